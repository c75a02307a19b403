"""Training services: the course lifecycle, outline loading, classes and their conflicts, enrolment,
attendance by QR and roster, online credit, completion feeding registration, and practice."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from app.accounts.models import Role, User
from app.catalog.services import item_by_name
from app.core.audit import AuditEntry
from app.core.errors import DomainError
from app.core.timeutil import local_today
from app.db import utcnow
from app.extensions import db
from app.people.models import Person
from app.questions.models import Pool, Question
from app.scheduling import registration
from app.scheduling.models import ExamSession, Room, RoomKind, SessionStaff, Site, TrainingRecord
from app.scheduling.sessions import local_window
from app.training import classes, courses, learning, practice
from app.training.models import (
    ClassState,
    CourseVersion,
    Enrolment,
    EnrolmentState,
    Meeting,
    PracticeAnswer,
    VersionStatus,
    WrongBookEntry,
)
from tests import factories
from tests.training import fixtures


@pytest.fixture
def db_ctx(app):
    with app.test_request_context():
        yield


def _user(world, role) -> User:
    return db.session.get(User, world.users[role])


# ---- courses ----------------------------------------------------------------------------------

def _fill(version: CourseVersion) -> None:
    courses.save_lesson(version, None, title="法规", hours=88, mode="理论", is_online=True,
                        body_html='<p onclick="x()">安全<script>alert(1)</script></p>', outline=["a"])
    courses.save_lesson(version, None, title="实操", hours=60, mode="实操", is_online=False, body_html="", outline=[])
    courses.update_version(version, title=version.title, goals=["会做"], audience="", assessment="")


def test_course_lifecycle_from_trainer_draft_to_published_versions(db_ctx, world):
    trainer, admin = _user(world, Role.TRAINER), _user(world, Role.ADMIN)
    course = courses.create_course(item_by_name("低压电工作业"), "初训", "低压电工初训", actor=trainer)
    v1 = course.latest
    with pytest.raises(DomainError, match="还没有任何一课"):
        courses.submit_version(v1, actor=trainer)
    _fill(v1)
    assert "<script>" not in v1.lessons[0].body_html and "onclick" not in v1.lessons[0].body_html
    courses.submit_version(v1, actor=trainer)
    with pytest.raises(DomainError):
        courses.publish_version(v1, actor=admin)  # must be approved first
    courses.approve_version(v1, actor=admin)
    courses.publish_version(v1, actor=admin)
    assert course.published_version_id == v1.id and v1.status == VersionStatus.PUBLISHED
    with pytest.raises(DomainError, match="不能修改"):
        courses.save_lesson(v1, v1.lessons[0], title="改", hours=88, mode="理论", is_online=False, body_html="", outline=[])
    v2 = courses.draft_for_edit(course, actor=trainer)
    assert v2.version_no == 2 and [le.title for le in v2.lessons] == ["法规", "实操"]
    courses.submit_version(v2, actor=trainer)
    courses.return_version(v2, actor=admin, note="请补充学习目标")
    assert v2.status == VersionStatus.DRAFT and v2.review_note == "请补充学习目标"
    courses.submit_version(v2, actor=trainer)
    courses.approve_version(v2, actor=admin)
    courses.publish_version(v2, actor=admin)
    assert v1.status == VersionStatus.SUPERSEDED and course.published_version_id == v2.id
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.object_type == "course_version")).all()
    assert {"course.create", "course.submit", "course.approve", "course.publish", "course.return"} <= set(actions)


def test_hours_below_the_catalogue_and_online_practical_lessons_are_refused(db_ctx, world):
    trainer = _user(world, Role.TRAINER)
    course = courses.create_course(item_by_name("低压电工作业"), "初训", "不足学时", actor=trainer)
    with pytest.raises(DomainError, match="实操课不能在线学习"):
        courses.save_lesson(course.latest, None, title="x", hours=4, mode="实操", is_online=True, body_html="", outline=[])
    courses.save_lesson(course.latest, None, title="x", hours=40, mode="理论", is_online=False, body_html="", outline=[])
    courses.update_version(course.latest, title="不足学时", goals=["g"], audience="", assessment="")
    with pytest.raises(DomainError, match="须 148 学时"):
        courses.submit_version(course.latest, actor=trainer)
    with pytest.raises(DomainError, match="媒体服务器"):
        courses.save_lesson(course.latest, None, title="v", hours=1, mode="理论", is_online=True, body_html="", outline=[],
                            video_url="https://example.com/a.mp4", video_seconds=60,
                            allowed_video_prefixes=("https://media.base.local/",))
    with pytest.raises(DomainError, match="复审培训用于特种作业"):
        courses.create_course(item_by_name("主要负责人（一般行业）"), "复审培训", "x", actor=trainer)


def test_a_trainer_edits_only_their_own_and_the_bases_courses(db_ctx, world):
    from app.accounts import services as account_services
    other = account_services.create_user("t_other_trainer", "另一位教师", "Test-pass-2026", {Role.TRAINER})
    mine = courses.create_course(item_by_name("低压电工作业"), "初训", "甲", actor=other)
    base = fixtures.published_course().course
    trainer = _user(world, Role.TRAINER)
    assert not courses.can_edit(trainer, mine) and courses.can_edit(trainer, base) and courses.can_edit(other, mine)


def _outline_folder(tmp_path: Path, hours_theory: int = 88) -> Path:
    folder = tmp_path / "courses"
    folder.mkdir()
    doc = {"key": "diya-test", "item": "低压电工作业", "kind": "初训", "title": "低压电工作业初次培训",
           "hours": hours_theory + 60, "theory_hours": hours_theory, "practical_hours": 60, "goals": ["掌握"],
           "lessons": [{"title": "法规", "hours": hours_theory, "mode": "理论", "online": True, "outline": ["一", "二", "三"]},
                       {"title": "实操", "hours": 60, "mode": "实操", "online": False, "outline": ["一", "二", "三"]}]}
    (folder / "diya-test.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return folder


def test_loading_outlines_is_idempotent_and_never_overwrites_an_edited_course(db_ctx, world, tmp_path):
    folder = _outline_folder(tmp_path)
    kp_dir = tmp_path / "kp"
    kp_dir.mkdir()
    lines = courses.load_course_files(folder, kp_dir)
    assert "第 1 版已发布" in lines[0]
    assert "未变" in courses.load_course_files(folder, kp_dir)[0]
    course = db.session.scalar(sa.select(CourseVersion).where(CourseVersion.title == "低压电工作业初次培训")).course
    assert course.owner_id is None and course.published.hours == 148
    doc = yaml.safe_load((folder / "diya-test.yaml").read_text(encoding="utf-8"))
    doc["title"] = "低压电工作业初次培训（修订）"
    (folder / "diya-test.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    assert "第 2 版已发布" in courses.load_course_files(folder, kp_dir)[0]
    courses.draft_for_edit(course, actor=_user(world, Role.TRAINER))
    doc["title"] = "第三次"
    (folder / "diya-test.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    assert "未覆盖" in courses.load_course_files(folder, kp_dir)[0]
    assert course.published.title == "低压电工作业初次培训（修订）"


def test_a_bad_outline_stops_a_strict_load(db_ctx, tmp_path):
    folder = _outline_folder(tmp_path, hours_theory=80)
    with pytest.raises(DomainError, match="在目录中为 148 学时"):
        courses.load_course_files(folder, tmp_path)
    assert "有错误，未载入" in courses.load_course_files(folder, tmp_path, strict=False)[0]


def test_the_shipped_outlines_pass_the_checker_and_cover_every_item_with_a_bank(db_ctx):
    results = courses.check_course_files()
    assert results, "question_bank/courses/ holds no outline"
    problems = {name: p for name, (_o, p) in results.items() if p}
    assert not problems, problems
    covered = {o.item for o, _p in results.values()}
    subjects = {yaml.safe_load(p.read_text(encoding="utf-8"))["subject"] for p in courses.KP_DIR.glob("*.yaml")}
    assert subjects - covered == set(), f"items with a question bank but no course: {subjects - covered}"


# ---- classes ----------------------------------------------------------------------------------

def _training_room(name="测试培训教室", capacity=30) -> Room:
    site = db.session.scalar(sa.select(Site).where(Site.name == "测试培训点")) or Site(name="测试培训点")
    room = Room(site=site, name=name, kind=RoomKind.TRAINING, capacity=capacity)
    db.session.add(room)
    db.session.flush()
    return room


def test_create_class_checks_course_room_and_trainers(db_ctx, world):
    version = fixtures.published_course()
    trainer, admin = _user(world, Role.TRAINER), _user(world, Role.ADMIN)
    room = _training_room(capacity=20)
    today = local_today()
    with pytest.raises(DomainError, match="只能容纳 20 人"):
        classes.create_class(version, "班", today, today, 30, room, [trainer], has_test=False, actor=admin)
    with pytest.raises(DomainError, match="培训教师"):
        classes.create_class(version, "班", today, today, 10, room, [admin], has_test=False, actor=admin)
    tc = classes.create_class(version, "班", today, today + dt.timedelta(days=5), 10, room, [trainer], has_test=False,
                              actor=admin)
    assert tc.required_hours == 148


def test_meetings_refuse_room_and_trainer_double_booking(db_ctx, world):
    version = fixtures.published_course()
    trainer, admin = _user(world, Role.TRAINER), _user(world, Role.ADMIN)
    room = _training_room()
    day = local_today() + dt.timedelta(days=3)
    tc = classes.create_class(version, "甲班", day, day, 10, room, [trainer], has_test=False, actor=admin)
    other = classes.create_class(version, "乙班", day, day, 10, _training_room("另一教室"), [trainer], has_test=False,
                                 actor=admin)
    classes.add_meeting(tc, day, dt.time(8), dt.time(11), 4, "法规", actor=admin)
    with pytest.raises(DomainError, match="要讲授"):
        classes.add_meeting(other, day, dt.time(10), dt.time(12), 2, "x", actor=admin)
    starts, ends = local_window(day, dt.time(13), dt.time(15))
    session = ExamSession(kind="theory", room_id=room.id, day=day, starts_at=starts, ends_at=ends, capacity=5)
    db.session.add(session)
    db.session.flush()
    with pytest.raises(DomainError, match="考试场次"):
        classes.add_meeting(tc, day, dt.time(14), dt.time(16), 2, "x", actor=admin)
    starts, ends = local_window(day, dt.time(16), dt.time(18))
    duty = ExamSession(kind="theory", room_id=_training_room("别处").id, day=day, starts_at=starts, ends_at=ends,
                       capacity=5, staff=[SessionStaff(user_id=trainer.id, duty="proctor")])
    db.session.add(duty)
    db.session.flush()
    with pytest.raises(DomainError, match="已安排在"):
        classes.add_meeting(other, day, dt.time(17), dt.time(18), 1, "x", actor=admin)
    with pytest.raises(DomainError, match="开班日期"):
        classes.add_meeting(tc, day + dt.timedelta(days=1), dt.time(8), dt.time(9), 1, "x", actor=admin)


def test_enrolment_respects_capacity_and_never_doubles(db_ctx, world):
    tc = fixtures.running_class(world.users[Role.TRAINER])
    tc.capacity = 2
    employer = factories.employer()
    people = [factories.person(employer=employer, name=f"学员{i}") for i in range(3)]
    db.session.flush()
    results = classes.enrol(tc, people[:1] + people, actor=None)
    refusals = [why for _p, why in results if why]
    assert len([1 for _p, why in results if why is None]) == 2
    assert any("已在本班" in w for w in refusals) and any("本班已满" in w for w in refusals)


# ---- attendance, online credit and completion --------------------------------------------------

def _enrolled(world, **kw) -> tuple:
    tc = fixtures.running_class(world.users[Role.TRAINER], **kw)
    person = db.session.get(Person, world.person_a)
    classes.enrol(tc, [person], actor=None)
    return tc, person, classes.enrolment_for(tc, person.id)


def test_qr_sign_in_credits_the_meeting_once_within_its_window(db_ctx, world):
    tc, person, enrolment = _enrolled(world)
    meeting = tc.meetings[0]
    token = classes.signin_token(meeting)
    assert classes.meeting_from_token(token) is meeting
    with pytest.raises(DomainError, match="无效"):
        classes.meeting_from_token(token[:-3] + "abc")
    with pytest.raises(DomainError, match="已过期"):
        classes.meeting_from_token(token, now=utcnow() + dt.timedelta(hours=2))
    stranger = factories.person(name="旁人")
    db.session.flush()
    with pytest.raises(DomainError, match="不在培训班"):
        classes.sign_in_by_qr(meeting, stranger, actor=None)
    row = classes.sign_in_by_qr(meeting, person, actor=None)
    assert row.hours == 4 and row.method == "qr"
    with pytest.raises(DomainError, match="已于"):
        classes.sign_in_by_qr(meeting, person, actor=None)
    assert classes.hours_of(enrolment).attended == 4
    late = Meeting(training_class=tc, starts_at=utcnow() - dt.timedelta(hours=2), ends_at=utcnow(), hours=2)
    db.session.add(late)
    db.session.flush()
    with pytest.raises(DomainError, match="已超过签到时间"):
        classes.sign_in_by_qr(late, person, actor=None)
    assert classes.mark_present(late, enrolment, actor=None).method == "roster"


def test_online_credit_only_for_time_seen_then_completion_writes_the_training_record(db_ctx, world):
    tc, person, enrolment = _enrolled(world)
    lesson = next(le for le in tc.version.lessons if le.is_online)
    start = utcnow()
    learning.record_heartbeat(enrolment, lesson, 0, now=start)
    learning.record_heartbeat(enrolment, lesson, 15, now=start + dt.timedelta(seconds=15))
    row = learning.record_heartbeat(enrolment, lesson, 500, now=start + dt.timedelta(seconds=30))  # a skip
    assert row.watched_seconds == 15 and row.hours_credited == 0.05  # 15 s of 600 s × 2 h
    t = start + dt.timedelta(seconds=30)
    for pos in (515, 530, 545, 560, 575, 590, 600):  # play on after the skip: only 500→600 is seen
        t += dt.timedelta(seconds=15)
        row = learning.record_heartbeat(enrolment, lesson, pos, now=t)
    assert row.watched_seconds == 115 and row.hours_credited == pytest.approx(0.38)
    assert enrolment.state == EnrolmentState.ENROLLED
    item = item_by_name("低压电工作业")
    assert not registration.decide(person, item, "theory", local_today() + dt.timedelta(days=7)).ok
    for k in range(37):  # 37 more meetings of 4 h: 148 h with the online credit
        m = Meeting(training_class=tc, starts_at=utcnow() - dt.timedelta(days=k + 1),
                    ends_at=utcnow() - dt.timedelta(days=k + 1) + dt.timedelta(hours=3), hours=4)
        db.session.add(m)
        db.session.flush()
        classes.mark_present(m, enrolment, actor=None)
    assert enrolment.state == EnrolmentState.COMPLETED
    record = db.session.get(TrainingRecord, enrolment.training_record_id)
    assert record.hours == pytest.approx(148.38) and record.trainer_id == world.users[Role.TRAINER]
    assert record.provider.startswith(classes.PROVIDER_PREFIX) and record.end_date <= local_today()
    registration.record_health_commitment(person, local_today() - dt.timedelta(days=3))
    decision = registration.decide(person, item, "theory", local_today() + dt.timedelta(days=7))
    assert not [r for r in decision.refusals if r.rule == "training_hours"]


def test_a_class_test_is_required_when_the_class_has_one(db_ctx, world):
    tc, _person, enrolment = _enrolled(world, name="带考试的班", has_test=True)
    for k in range(37):
        m = Meeting(training_class=tc, starts_at=utcnow() - dt.timedelta(days=k + 1),
                    ends_at=utcnow() - dt.timedelta(days=k + 1) + dt.timedelta(hours=3), hours=4)
        db.session.add(m)
        db.session.flush()
        classes.mark_present(m, enrolment, actor=None)
    assert enrolment.state == EnrolmentState.ENROLLED
    classes.record_test(enrolment, 60, actor=None)
    assert enrolment.state == EnrolmentState.ENROLLED and enrolment.test_passed is False
    classes.record_test(enrolment, 86, actor=None)
    assert enrolment.state == EnrolmentState.COMPLETED
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "class.test_score")).all()
    assert [a.after["score"] for a in audit][-2:] == [60, 86]


def test_lessons_outside_the_class_or_not_online_earn_nothing(db_ctx, world):
    _tc, _person, enrolment = _enrolled(world)
    offline = next(le for le in enrolment.training_class.version.lessons if not le.is_online)
    with pytest.raises(DomainError, match="不能在线学习"):
        learning.record_heartbeat(enrolment, offline, 10)
    other = fixtures.published_course(key="another-course")
    foreign = next(le for le in other.lessons if le.is_online)
    assert learning.lesson_of_enrolment(enrolment, foreign.id) is None
    assert learning.lesson_of_enrolment(enrolment, offline.id) is offline


def test_class_state_moves_forward_only(db_ctx, world):
    tc = fixtures.running_class(world.users[Role.TRAINER])
    classes.set_class_state(tc, ClassState.OPEN, actor=None)
    with pytest.raises(DomainError):
        classes.set_class_state(tc, ClassState.PLANNED, actor=None)


# ---- practice -----------------------------------------------------------------------------------

def test_practice_draws_only_from_the_practice_pool(db_ctx, world):
    fixtures.practice_pool()
    item = item_by_name("低压电工作业")
    seen = set()
    for _ in range(60):
        q, v, _path = practice.next_question(world.person_a, item.id)
        seen.add(q.pool)
        assert "考试题" not in v.stem
    assert seen == {Pool.PRACTICE}
    exam_q = db.session.scalar(sa.select(Question).where(Question.pool == Pool.EXAM))
    assert practice.practice_question(item.id, exam_q.id) is None
    with pytest.raises(DomainError):
        practice.answer(world.person_a, item.id, exam_q, exam_q.current, "法规/证书", "T")


def test_the_wrong_answer_book_keeps_a_question_until_right_twice_in_a_row(db_ctx, world):
    fixtures.practice_pool()
    item = item_by_name("低压电工作业")
    q, v, path = practice.next_question(world.person_a, item.id, "法规")
    assert path.startswith("法规")
    wrong = "F" if v.qtype == "judge" else "A"
    right = v.effective_answer
    assert practice.answer(world.person_a, item.id, q, v, path, wrong).is_correct is False
    assert practice.next_wrong(world.person_a, item.id)[0].id == q.id
    practice.answer(world.person_a, item.id, q, v, path, right, mode="wrong")
    practice.answer(world.person_a, item.id, q, v, path, wrong, mode="wrong")  # a slip resets the streak
    practice.answer(world.person_a, item.id, q, v, path, right, mode="wrong")
    entry = db.session.scalar(sa.select(WrongBookEntry).where(WrongBookEntry.question_id == q.id))
    assert not entry.is_cleared and entry.right_streak == 1 and entry.times_wrong == 2
    practice.answer(world.person_a, item.id, q, v, path, right, mode="wrong")
    assert entry.is_cleared and practice.next_wrong(world.person_a, item.id) is None
    with pytest.raises(DomainError, match="请先作答"):
        practice.answer(world.person_a, item.id, q, v, path, "")


def test_progress_per_knowledge_point_counts_latest_answers(db_ctx, world):
    fixtures.practice_pool()
    item = item_by_name("低压电工作业")
    q, v, path = practice.next_question(world.person_a, item.id, "急救")
    practice.answer(world.person_a, item.id, q, v, path, v.effective_answer)
    by_kp = {p.path: p for p in practice.kp_progress(world.person_a, item.id)}
    assert by_kp["急救"].total == 9 and by_kp["急救"].answered == 1 and by_kp["急救"].correct == 1
    assert by_kp["法规"].answered == 0


def test_a_mock_exam_uses_the_blueprint_make_up_scaled_to_the_practice_pool(db_ctx, world):
    fixtures.practice_pool(n_judge=42, n_single=18)
    fixtures.active_blueprint_for_mock()
    item = item_by_name("低压电工作业")
    mock = practice.start_mock(world.person_a, item, seed=11)
    rows = practice.mock_versions(mock)
    assert rows and len(rows) == len(mock.questions) < 60 and "缩减为" in mock.note
    assert all("考试题" not in v.stem for _e, v, _p in rows)
    judges = sum(1 for _e, v, _p in rows if v.qtype == "judge")
    assert abs(judges / len(rows) - 0.7) < 0.1
    assert abs(sum(e["p"] for e in mock.questions) - 100) < 0.01
    answers = {v.id: v.effective_answer for _e, v, _p in rows[:-3]}
    practice.submit_mock(mock, answers)
    assert mock.score == pytest.approx(100 - sum(e["p"] for e in mock.questions[-3:]), abs=0.01)
    missed = db.session.scalar(sa.select(sa.func.count()).select_from(WrongBookEntry).where(
        WrongBookEntry.person_id == world.person_a, WrongBookEntry.is_cleared.is_(False)))
    assert missed == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PracticeAnswer).where(
        PracticeAnswer.mode == "mock")) == len(rows) - 3
    with pytest.raises(DomainError, match="已经交卷"):
        practice.submit_mock(mock, {})


def test_no_active_blueprint_means_no_mock_exam(db_ctx, world):
    fixtures.practice_pool()
    item = item_by_name("低压电工作业")
    with pytest.raises(DomainError, match="组卷方案"):
        practice.start_mock(world.person_a, item)


def test_enrolment_rows_are_unique(db_ctx, world):
    tc = fixtures.running_class(world.users[Role.TRAINER])
    db.session.add(Enrolment(class_id=tc.id, person_id=world.person_b))
    db.session.flush()
    db.session.add(Enrolment(class_id=tc.id, person_id=world.person_b))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
