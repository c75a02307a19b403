"""Small training fixtures for tests: a published course of 低压电工作业, a class with a meeting now, an
enrolment of a baseline person, and a practice pool."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app.accounts.models import Role, User
from app.catalog.services import item_by_name
from app.db import utcnow
from app.extensions import db
from app.training import classes as class_svc
from app.training.models import Course, CourseVersion, Lesson, Meeting, TrainingClass, VersionStatus

FIXTURE_COURSE = "test-diya-chuxun"
FIXTURE_CLASS = "测试低压电工初训班"


def published_course(*, key: str = FIXTURE_COURSE, online_seconds: int = 600) -> CourseVersion:
    """A published 低压电工作业 初训 course (148 h: 88 theory incl. a 2 h online video lesson, 60 practical)."""
    course = db.session.scalar(sa.select(Course).where(Course.key == key))
    if course is not None:
        return course.published
    item = item_by_name("低压电工作业")
    course = Course(key=key, item_id=item.id, kind="初训")
    db.session.add(course)
    db.session.flush()
    version = CourseVersion(course=course, version_no=1, title="低压电工作业初次培训（测试）", goals=["掌握安全操作"],
                            status=VersionStatus.PUBLISHED, published_at=utcnow())
    version.lessons = [
        Lesson(position=1, title="安全生产法律法规（视频）", hours=2, mode="理论", is_online=True,
               outline=["a", "b", "c"], video_file="missing.mp4", video_seconds=online_seconds),
        Lesson(position=2, title="电工基础", hours=86, mode="理论", is_online=False, outline=["a", "b", "c"]),
        Lesson(position=3, title="实际操作训练", hours=60, mode="实操", is_online=False, outline=["a", "b", "c"]),
    ]
    db.session.add(version)
    db.session.flush()
    course.published_version_id = version.id
    db.session.flush()
    return version


def running_class(trainer_id: int, *, name: str = FIXTURE_CLASS, has_test: bool = False) -> TrainingClass:
    """A class of the fixture course from 10 days ago to 10 days ahead, with a 4-hour meeting starting now
    (inserted directly: no conflict checks, today may be a holiday)."""
    tc = db.session.scalar(sa.select(TrainingClass).where(TrainingClass.name == name))
    if tc is not None:
        return tc
    version = published_course()
    today = dt.date.today()
    trainer = db.session.get(User, trainer_id)
    tc = TrainingClass(name=name, course_version_id=version.id, item_id=version.course.item_id,
                       start_date=today - dt.timedelta(days=10), end_date=today + dt.timedelta(days=10), capacity=30,
                       required_hours=class_svc.required_hours_for(version), has_test=has_test)
    tc.trainers = [trainer]
    now = utcnow().replace(microsecond=0)
    tc.meetings = [Meeting(starts_at=now - dt.timedelta(minutes=5), ends_at=now + dt.timedelta(hours=3), hours=4,
                           topic="法规")]
    db.session.add(tc)
    db.session.flush()
    return tc


def baseline_trainer(world) -> int:
    return world.users[Role.TRAINER]


def practice_pool(n_judge: int = 12, n_single: int = 6, *, exam: int = 3, prefix: str = "TP") -> None:
    """Practice-pool questions of 低压电工作业, half 法规/证书 and half 急救/心肺复苏 (the baseline knowledge
    points), and ``exam`` exam-pool questions whose stems say 考试题 (they must never appear in practice)."""
    from app.questions import services as qservices
    from app.questions.records import build_record

    raws = []
    for i in range(n_judge):
        raws.append({"type": "判断", "stem": f"练习判断题第{i + 1}题：作业前应检查安全用具（{prefix}）。", "answer": "对",
                     "pool": "练习", "knowledge_point": "法规/证书" if i % 2 else "急救/心肺复苏", "difficulty": 1 + i % 3})
    for i in range(n_single):
        raws.append({"type": "单选", "stem": f"练习单选题第{i + 1}题：正确的做法是（{prefix}）。",
                     "options": ["甲", "乙", "丙", "丁"], "answer": "B", "pool": "练习",
                     "knowledge_point": "法规/证书" if i % 2 else "急救/心肺复苏", "difficulty": 1 + i % 3})
    for i in range(exam):
        raws.append({"type": "判断", "stem": f"考试题第{i + 1}题：只在正式考试中出现（{prefix}）。", "answer": "错",
                     "pool": "考试", "knowledge_point": "法规/证书", "difficulty": 2})
    records = []
    for i, raw in enumerate(raws, start=1):
        rec, errors = build_record({"explanation": "依据有关规定。", "items": "低压电工作业", "source": "市级",
                                    "id": f"{prefix}-{i:04d}", **raw}, i)
        assert not errors, errors
        records.append(rec)
    result = qservices.import_records(records, activate=True, source_name="training-test")
    assert not result.errors, result.errors


def active_blueprint_for_mock() -> None:
    """An active 70 判断 + 30 单选 blueprint for 低压电工作业 with both knowledge points at half each (set active
    directly: the small exam pool of the tests could never fill it, and the mock exam draws from practice)."""
    from app.catalog.services import item_by_name
    from app.papers.models import Blueprint, BlueprintStatus
    from app.papers.services import save_blueprint

    item = item_by_name("低压电工作业")
    for other in db.session.scalars(sa.select(Blueprint).where(Blueprint.item_id == item.id)):
        other.status = BlueprintStatus.RETIRED
    bp, _created = save_blueprint(item, {"name": "测试方案", "duration_minutes": 120, "pass_mark": 80,
                                         "sections": [{"type": "判断", "count": 70, "points": 1},
                                                      {"type": "单选", "count": 30, "points": 1}],
                                         "knowledge_points": {"法规": 0.5, "急救": 0.5}, "kp_tolerance": 0.1})
    bp.status = BlueprintStatus.ACTIVE
    db.session.flush()
