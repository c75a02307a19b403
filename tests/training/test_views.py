"""Training pages: authoring and review, uploads and range requests, classes and documents, the candidate's
sign-in, heartbeats and practice, and what a trainer may never open."""
from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.accounts.models import Role
from app.catalog.services import item_by_name
from app.core.audit import AuditEntry
from app.extensions import db
from app.training import classes as class_svc
from app.training.models import Course, Enrolment, Lesson, LessonProgress, Meeting, MockExam, VersionStatus
from tests.conftest import app_ctx
from tests.training import fixtures
from tests.training.test_pure import tiny_mp4

A, S, T, EM, C = Role.ADMIN, Role.SCHEDULER, Role.TRAINER, Role.EMPLOYER, Role.CANDIDATE


def _setup(client, world, **kw):
    with app_ctx(client):
        tc = fixtures.running_class(world.users[T], **kw)
        if class_svc.enrolment_for(tc, world.person_a) is None:
            db.session.add(Enrolment(class_id=tc.id, person_id=world.person_a, employer_id=world.employer_a))
        db.session.add(Enrolment(class_id=tc.id, person_id=world.person_b, employer_id=world.employer_b))
        db.session.commit()
        lesson = next(le for le in tc.version.lessons if le.is_online)
        return tc.id, tc.meetings[0].id, class_svc.enrolment_for(tc, world.person_a).id, lesson.id, tc.course_version_id


def test_a_trainer_writes_a_course_and_an_admin_publishes_it(client, login, world):
    login(T)
    item = None
    with app_ctx(client):
        item = item_by_name("主要负责人（一般行业）")
        item_id = item.id
    r = client.post("/training/courses/new", data={"item_id": item_id, "kind": "年度再培训", "title": "负责人年度再培训"})
    assert r.status_code == 302
    version_url = r.headers["Location"]
    version_id = int(version_url.rstrip("/").split("/")[-1])
    r = client.post(f"/training/versions/{version_id}/lessons/new",
                    data={"title": "新法解读", "hours": "12", "mode": "理论", "is_online": "y", "outline": "一\n二",
                          "body_html": "<p>安全<script>x</script></p>"})
    assert r.status_code == 302
    client.post(f"/training/versions/{version_id}/edit", data={"title": "负责人年度再培训", "goals": "了解新法"})
    assert client.post(f"/training/versions/{version_id}/submit").status_code == 302
    assert client.post(f"/training/versions/{version_id}/review", data={"action": "approve"}).status_code == 403
    login(A)
    client.post(f"/training/versions/{version_id}/review", data={"action": "approve"})
    client.post(f"/training/versions/{version_id}/review", data={"action": "publish"})
    with app_ctx(client):
        course = db.session.scalar(sa.select(Course).where(Course.item_id == item_id, Course.kind == "年度再培训"))
        assert course.published.status == VersionStatus.PUBLISHED and course.published.hours == 12
        assert "<script>" not in course.published.lessons[0].body_html
    page = client.get("/training/courses").get_data(as_text=True)
    assert "负责人年度再培训" in page


def test_video_upload_is_sniffed_and_served_with_range_requests(client, login, world):
    login(T)
    with app_ctx(client):
        course = Course(key="upload-test", item_id=item_by_name("低压电工作业").id, kind="初训")
        db.session.add(course)
        db.session.flush()
        from app.training.models import CourseVersion
        version = CourseVersion(course=course, version_no=1, title="上传测试")
        version.lessons = [Lesson(position=1, title="视频课", hours=1, mode="理论", is_online=True)]
        db.session.add(version)
        db.session.commit()
        lesson_id = version.lessons[0].id
    bad = client.post(f"/training/lessons/{lesson_id}/video",
                      data={"file": (io.BytesIO(b"%PDF-1.4 not a video" * 10), "a.mp4")},
                      content_type="multipart/form-data", follow_redirects=True)
    assert "只能上传 MP4" in bad.get_data(as_text=True)
    video = tiny_mp4(1800)
    ok = client.post(f"/training/lessons/{lesson_id}/video", data={"file": (io.BytesIO(video), "课.mp4")},
                     content_type="multipart/form-data", follow_redirects=True)
    assert "时长 30.0 分钟" in ok.get_data(as_text=True)
    full = client.get(f"/training/lessons/{lesson_id}/video.mp4")
    assert full.status_code == 200 and full.data == video and full.headers["Accept-Ranges"] == "bytes"
    part = client.get(f"/training/lessons/{lesson_id}/video.mp4", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.data == video[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(video)}"
    login(C)  # not enrolled in a class using this course
    assert client.get(f"/training/lessons/{lesson_id}/video.mp4").status_code == 403


def test_the_candidate_signs_in_by_qr_and_heartbeats_credit_only_time_seen(client, login, world, app):
    _class_id, meeting_id, enrolment_id, lesson_id, _v = _setup(client, world)
    with app.test_request_context(), app_ctx(client):
        from app.training.models import Meeting
        token = class_svc.signin_token(db.session.get(Meeting, meeting_id))
    login(C)
    page = client.get(f"/training/signin/{token}")
    assert page.status_code == 200 and "确认签到" in page.get_data(as_text=True)
    r = client.post(f"/training/signin/{token}", data={}, follow_redirects=True)
    assert "签到成功" in r.get_data(as_text=True)
    again = client.post(f"/training/signin/{token}", data={})
    assert again.status_code == 409 and "已于" in again.get_data(as_text=True)
    assert client.get("/training/signin/forged-token").status_code == 409
    watch = client.get(f"/training/learn/{enrolment_id}/lessons/{lesson_id}")
    assert watch.status_code == 200 and "lesson-video" in watch.get_data(as_text=True)
    url = f"/training/learn/{enrolment_id}/lessons/{lesson_id}/beat"
    assert client.post(url, json={"position": 0}).get_json()["watched_seconds"] == 0
    skipped = client.post(url, json={"position": 590}).get_json()
    assert skipped["watched_seconds"] == 0 and skipped["lesson_hours"] == 0
    assert client.post(url, json={"position": "x"}).status_code == 400
    with app_ctx(client):
        row = db.session.scalar(sa.select(LessonProgress).where(LessonProgress.enrolment_id == enrolment_id))
        row.last_beat_at = row.last_beat_at - dt.timedelta(seconds=15)  # as if 15 s passed
        db.session.commit()
    seen = client.post(url, json={"position": 600}).get_json()
    assert seen["watched_seconds"] == 10 and seen["total_hours"] == 4.03
    mine = client.get("/training/my").get_data(as_text=True)
    assert fixtures.FIXTURE_CLASS in mine and "4.03" in mine


def test_another_persons_enrolment_is_not_found(client, login, world):
    _c, _m, _e, lesson_id, _v = _setup(client, world)
    with app_ctx(client):
        other = db.session.scalar(sa.select(Enrolment).where(Enrolment.person_id == world.person_b))
        other_id = other.id
    login(C)
    assert client.get(f"/training/learn/{other_id}/lessons/{lesson_id}").status_code == 404
    assert client.post(f"/training/learn/{other_id}/lessons/{lesson_id}/beat", json={"position": 1}).status_code == 404


def test_the_trainer_marks_the_roster_and_prints_documents(client, login, world):
    class_id, meeting_id, enrolment_id, _l, _v = _setup(client, world)
    login(T)
    page = client.get(f"/training/meetings/{meeting_id}").get_data(as_text=True)
    assert "签到二维码" in page and "data:image/png;base64" in page
    r = client.post(f"/training/meetings/{meeting_id}/mark", data={"person_ids": [enrolment_id]}, follow_redirects=True)
    assert "已签到" in r.get_data(as_text=True)
    detail = client.get(f"/training/classes/{class_id}").get_data(as_text=True)
    assert "王建国" in detail and "李秀英" in detail
    for doc in ("roster.pdf", "signin.pdf"):
        pdf = client.get(f"/training/classes/{class_id}/{doc}")
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    client.post(f"/training/classes/{class_id}/test", data={"enrolment_id": enrolment_id, "score": "150"})


def test_an_employer_enrols_only_its_staff_and_sees_only_their_hours(client, login, world):
    class_id, _m, _e, _l, _v = _setup(client, world)
    login(EM)
    detail = client.get(f"/training/classes/{class_id}").get_data(as_text=True)
    assert "王建国" in detail and "李秀英" not in detail
    assert client.post(f"/training/classes/{class_id}/enrol", data={"person_ids": [world.person_b]}).status_code == 403
    wb = load_workbook(io.BytesIO(client.get("/training/hours.xlsx").data))
    names = [row[1] for row in wb.active.iter_rows(min_row=2, values_only=True)]
    assert names == ["王建国"]
    assert client.get(f"/training/meetings/{_m}").status_code == 403
    login(A)
    assert 'id="hours-employer"' in client.get("/training/classes").get_data(as_text=True)
    wb = load_workbook(io.BytesIO(client.get(f"/training/hours.xlsx?employer_id={world.employer_b}").data))
    assert [row[1] for row in wb.active.iter_rows(min_row=2, values_only=True)] == ["李秀英"]
    wb = load_workbook(io.BytesIO(client.get("/training/hours.xlsx").data))
    assert sorted(row[1] for row in wb.active.iter_rows(min_row=2, values_only=True)) == sorted(["王建国", "李秀英"])


def test_practice_pages_show_practice_questions_and_grade_answers(client, login, world):
    with app_ctx(client):
        fixtures.practice_pool(n_judge=42, n_single=18)
        fixtures.active_blueprint_for_mock()
        db.session.commit()
        item_id = item_by_name("低压电工作业").id
    login(C)
    assert "低压电工作业" in client.get("/training/practice").get_data(as_text=True)
    q = client.get(f"/training/practice/{item_id}/question?mode=kp").get_data(as_text=True)
    assert "练习" in q and "考试题" not in q
    import re
    qid = int(re.search(r'name="question_id" value="(\d+)"', q).group(1))
    r = client.post(f"/training/practice/{item_id}/question", data={"question_id": qid, "mode": "kp",
                                                                   "answer": "T" if 'value="T"' in q else "A"})
    assert "正确答案" in r.get_data(as_text=True)
    r = client.post(f"/training/practice/{item_id}/mock", data={})
    assert r.status_code == 302
    paper = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "剩余时间" in paper and "缩减为" in paper and "考试题" not in paper
    done = client.post(r.headers["Location"], data={}, follow_redirects=True).get_data(as_text=True)
    assert "得分 0 分" in done
    with app_ctx(client):
        assert db.session.scalar(sa.select(MockExam.score)) == 0
    book = client.get("/training/practice/wrong").get_data(as_text=True)
    assert "答错 1 次" in book


def test_a_trainer_never_reaches_the_exam_pool_papers_or_results(client, login, world):
    """考教分离: every questions/papers/exams page answers 403 to a trainer (GET and POST)."""
    from tests.test_access import MATRIX
    login(T)
    app = client.application
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in ("questions", "papers", "exams"):
            continue
        expected = MATRIX[rule.endpoint]
        if expected in ("public", "token"):  # the exam terminal and its API: no login, no trainer session
            continue
        assert T not in expected and expected != "logged-in", rule.endpoint
        if "<" in rule.rule:
            continue
        for method in rule.methods & {"GET", "POST"}:
            status = client.open(rule.rule, method=method, data={}).status_code
            assert status in (401, 403), f"{method} {rule.rule}: {status}"
            checked += 1
    assert checked >= 5


def test_courseware_pdf_is_sniffed_and_opened_by_enrolled_candidates(client, login, world):
    _c, _m, _e, _lesson_id, version_id = _setup(client, world)
    with app_ctx(client):
        from app.training.models import CourseVersion
        draft = CourseVersion(course_id=db.session.get(CourseVersion, version_id).course_id, version_no=2, title="草稿")
        draft.lessons = [Lesson(position=1, title="讲义", hours=1, mode="理论")]
        db.session.add(draft)
        db.session.commit()
        draft_lesson = draft.lessons[0].id
    login(T)
    bad = client.post(f"/training/lessons/{draft_lesson}/attachment",
                      data={"file": (io.BytesIO(b"GIF89a not a pdf"), "x.pdf")}, content_type="multipart/form-data",
                      follow_redirects=True)
    assert "只能上传 PDF" in bad.get_data(as_text=True)
    pdf = b"%PDF-1.4\n% test courseware\n%%EOF\n"
    client.post(f"/training/lessons/{draft_lesson}/attachment", data={"file": (io.BytesIO(pdf), "讲义.pdf")},
                content_type="multipart/form-data")
    assert client.get(f"/training/lessons/{draft_lesson}/courseware.pdf").data == pdf
    login(C)  # the draft version is not the one the candidate's class uses
    assert client.get(f"/training/lessons/{draft_lesson}/courseware.pdf").status_code == 403


def test_cli_checks_and_loads_the_shipped_outlines(app):
    runner = app.test_cli_runner()
    checked = runner.invoke(args=["training", "check-courses"])
    assert checked.exit_code == 0 and "✓ diya-diangong-chuxun.yaml" in checked.output
    loaded = runner.invoke(args=["training", "load-courses"])
    assert loaded.exit_code == 0 and "已发布" in loaded.output
    again = runner.invoke(args=["training", "load-courses"])
    assert again.exit_code == 0 and "已发布" not in again.output and "未变" in again.output


def test_a_published_version_is_not_edited_in_place(client, login, world):
    with app_ctx(client):
        version = fixtures.published_course()
        db.session.commit()
        version_id, lesson_id = version.id, version.lessons[0].id
    login(T)
    for url in (f"/training/versions/{version_id}/edit", f"/training/versions/{version_id}/lessons/new",
                f"/training/lessons/{lesson_id}/edit"):
        r = client.get(url)
        assert r.status_code == 302 and r.headers["Location"].endswith(f"/training/versions/{version_id}")
    r = client.post(f"/training/lessons/{lesson_id}/edit", data={"title": "改", "hours": "2", "mode": "理论"},
                    follow_redirects=True)
    assert "生成新版本" in r.get_data(as_text=True)
    with app_ctx(client):
        assert db.session.get(Lesson, lesson_id).title != "改"


@pytest.mark.no_db_transaction  # a second app on the same database: nothing here writes
def test_with_csrf_on_uploads_and_heartbeats_need_the_token(app, world, tmp_path):
    """The video upload is exempt from the global CSRF check only to raise the size limit first: it checks
    the token itself. Heartbeats need the X-CSRFToken header like every other POST."""
    from app.accounts.models import User
    from app.db import utcnow
    from tests.conftest import make_app

    strict = make_app(app.config["SQLALCHEMY_DATABASE_URI"], str(tmp_path), WTF_CSRF_ENABLED=True)
    c = strict.test_client()
    with strict.app_context():
        ident = db.session.get(User, world.users[T]).get_id()
    with c.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"], sess["last_seen"] = ident, True, utcnow().timestamp()
    r = c.post("/training/lessons/1/video", data={"file": (io.BytesIO(tiny_mp4(5)), "a.mp4")},
               content_type="multipart/form-data")
    assert r.status_code == 400
    assert c.post("/training/learn/1/lessons/1/beat", json={"position": 1}).status_code == 400


def test_an_employer_withdraws_its_own_staff_with_a_reason_and_can_enrol_them_again(client, login, world):
    class_id, _m, enrolment_id, lesson_id, _v = _setup(client, world)
    with app_ctx(client):
        other_id = db.session.scalar(sa.select(Enrolment.id).where(Enrolment.class_id == class_id,
                                                                   Enrolment.person_id == world.person_b))
    login(EM)
    page = client.get(f"/training/classes/{class_id}").get_data(as_text=True)
    assert f"/training/enrolments/{enrolment_id}/withdraw" in page and f"/training/enrolments/{other_id}/withdraw" not in page
    # another employer's person: refused, nothing changes
    assert client.post(f"/training/enrolments/{other_id}/withdraw", data={"reason": "调岗"}).status_code == 403
    # no reason: a message, nothing changes
    r = client.post(f"/training/enrolments/{enrolment_id}/withdraw", data={"reason": " "}, follow_redirects=True)
    assert "请填写退出原因" in r.get_data(as_text=True)
    with app_ctx(client):
        assert db.session.get(Enrolment, enrolment_id).state == "enrolled"
    r = client.post(f"/training/enrolments/{enrolment_id}/withdraw", data={"reason": "员工调岗，不再从事电工作业"},
                    follow_redirects=True)
    assert "已退出本班" in r.get_data(as_text=True)
    with app_ctx(client):
        assert db.session.get(Enrolment, enrolment_id).state == "withdrawn"
        assert db.session.get(Enrolment, other_id).state == "enrolled"
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "class.withdraw",
                                                              AuditEntry.object_id == str(enrolment_id)))
        assert entry is not None and "员工调岗" in str(entry.after)
    client.post(f"/training/enrolments/{enrolment_id}/withdraw", data={"reason": "重复提交"})  # refused: once only
    with app_ctx(client):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "class.withdraw", AuditEntry.object_id == str(enrolment_id))) == 1
    # the withdrawn candidate can no longer learn in the class
    login(C)
    assert client.get(f"/training/learn/{enrolment_id}/lessons/{lesson_id}").status_code == 404
    # enrolled again: the same enrolment is back in training
    login(EM)
    r = client.post(f"/training/classes/{class_id}/enrol", data={"person_ids": [world.person_a]}, follow_redirects=True)
    assert "已报名" in r.get_data(as_text=True)
    with app_ctx(client):
        rows = db.session.scalars(sa.select(Enrolment).where(Enrolment.class_id == class_id,
                                                             Enrolment.person_id == world.person_a)).all()
        assert [(e.id, e.state) for e in rows] == [(enrolment_id, "enrolled")]
    login(C)
    assert client.get(f"/training/learn/{enrolment_id}/lessons/{lesson_id}").status_code == 200


def test_a_completed_enrolment_cannot_be_withdrawn(client, login, world):
    class_id, _m, enrolment_id, _l, _v = _setup(client, world)
    with app_ctx(client):
        db.session.get(Enrolment, enrolment_id).state = "completed"
        db.session.commit()
    login(A)
    r = client.post(f"/training/enrolments/{enrolment_id}/withdraw", data={"reason": "误操作"}, follow_redirects=True)
    assert "已结业，不能退出" in r.get_data(as_text=True)
    with app_ctx(client):
        assert db.session.get(Enrolment, enrolment_id).state == "completed"


def test_the_office_cancels_a_meeting_nobody_signed_in_to_with_a_reason(client, login, world):
    class_id, meeting_id, enrolment_id, _l, _v = _setup(client, world)
    with app_ctx(client):
        tc = db.session.get(class_svc.TrainingClass, class_id)
        start = tc.meetings[0].starts_at + dt.timedelta(days=1)
        later = Meeting(training_class=tc, starts_at=start, ends_at=start + dt.timedelta(hours=3), hours=4, topic="触电急救")
        db.session.add(later)
        db.session.commit()
        signed_id, free_id, free_topic = tc.meetings[0].id, later.id, later.topic
    login(T)
    client.post(f"/training/meetings/{signed_id}/mark", data={"person_ids": [enrolment_id]})
    assert client.post(f"/training/meetings/{free_id}/cancel", data={"reason": "教师病假"}).status_code == 403
    login(S)
    page = client.get(f"/training/classes/{class_id}").get_data(as_text=True)
    assert f"/training/meetings/{free_id}/cancel" in page
    r = client.post(f"/training/meetings/{free_id}/cancel", data={"reason": ""}, follow_redirects=True)
    assert "请填写取消原因" in r.get_data(as_text=True)
    r = client.post(f"/training/meetings/{signed_id}/cancel", data={"reason": "改期"}, follow_redirects=True)
    assert "人签到，学时已计入，不能取消" in r.get_data(as_text=True)
    r = client.post(f"/training/meetings/{free_id}/cancel", data={"reason": "培训教师临时病假，另行安排"},
                    follow_redirects=True)
    assert "课次已取消" in r.get_data(as_text=True)
    with app_ctx(client):
        assert db.session.get(Meeting, free_id) is None and db.session.get(Meeting, signed_id) is not None
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "class.meeting_cancel",
                                                              AuditEntry.object_id == str(class_id)))
        assert entry is not None and "病假" in str(entry.after) and str(free_id) in str(entry.before)
        assert free_topic in str(entry.before)
    assert client.get(f"/training/meetings/{free_id}").status_code == 404
