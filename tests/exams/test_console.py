"""The proctor's console pages, publishing results, key correction and the results page, driven
through the views (services are tested in test_delivery_services.py)."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
import yaml

from app.accounts import services as account_services
from app.accounts.models import Role, User
from app.catalog.services import item_by_name
from app.core.audit import AuditEntry
from app.db import utcnow
from app.exams import delivery, proctoring, services
from app.exams.models import Attempt, AttemptStatus, Irregularity
from app.exams.views_console import STATE_TEXT
from app.extensions import db
from app.papers import services as paper_services
from app.papers.blueprints import BLUEPRINT_DIR
from app.papers.models import PaperQuestion
from app.questions.models import QuestionVersion
from app.scheduling.fixtures import exam_day
from app.scheduling.models import ExamSession, Registration, RegistrationState
from tests.conftest import PASSWORD
from tests.papers.test_services import _load_bank

JSON = {"Accept": "application/json"}


@pytest.fixture
def day(app):
    """An open theory session with three checked-in candidates; results wait for publication."""
    with app.app_context():
        _load_bank("diya-diangong")
        doc = yaml.safe_load((BLUEPRINT_DIR / "diya-diangong.yaml").read_text(encoding="utf-8"))
        doc["show_result_immediately"] = False
        bp, _ = paper_services.save_blueprint(item_by_name("低压电工作业"), doc)
        paper_services.activate_blueprint(bp)
        sessions, rows = exam_day(3)
        regs = [db.session.scalar(sa.select(Registration.id).where(Registration.ticket_no == t)) for t, _ in rows]
        db.session.commit()
        return SimpleNamespace(session_id=sessions[0].id, rows=rows, regs=regs)


def _start(app, day, i: int, terminal: str = "T-01"):
    """Log candidate i in on a terminal (starts the attempt). Returns (attempt id, token)."""
    with app.app_context():
        attempt, token = delivery.terminal_login(*day.rows[i], terminal, utcnow())
        db.session.commit()
        return attempt.id, token


def _act(client, day, i, action, reason="考生举手报告", json=True, **extra):
    data = {"registration_id": day.regs[i], "action": action, "reason": reason, **extra}
    return client.post(f"/exams/sessions/{day.session_id}/console/action", data=data, headers=JSON if json else {})


def _attempt(app, attempt_id):
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        db.session.expunge(attempt)
        return attempt


def _rows(client, day):
    response = client.get(f"/exams/sessions/{day.session_id}/console.json")
    assert response.status_code == 200
    return {r["registration_id"]: r for r in response.get_json()["rows"]}


def _login_user(client, user_id):
    with client.application.app_context():
        ident = db.session.get(User, user_id).get_id()
    with client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"], sess["last_seen"] = ident, True, utcnow().timestamp()
    return client


# ---- the seat map -----------------------------------------------------------------------------

def test_state_labels_match_the_service():
    assert {k: str(v) for k, v in STATE_TEXT.items()} == proctoring.STATE_LABELS


def test_console_page_and_json_show_every_seat(app, client, login, day):
    _start(app, day, 0)
    login(Role.PROCTOR)
    page = client.get(f"/exams/sessions/{day.session_id}/console")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "答题中" in html and "未开始" in html and "js/console.js" in html and "<script>" not in html
    assert "公布本场成绩" not in html  # publishing is for the office
    rows = _rows(client, day)
    first = rows[day.regs[0]]
    assert first["state"] == "answering" and first["label"] == "答题中" and first["total"] == 100
    assert first["answered"] == 0 and 119 * 60 <= first["remaining_seconds"] <= 120 * 60
    assert first["time_left"] in ("120:00", "119:59", "119:58") and "score" not in first
    assert set(first["actions"]) == {"pause", "extra_time", "release", "terminate"}
    assert rows[day.regs[1]]["state"] == "not_started" and rows[day.regs[1]]["actions"] == ["absent"]
    assert rows[day.regs[1]]["time_left"] == "—"


def test_no_heartbeat_for_30_seconds_shows_disconnected(app, client, login, day):
    attempt_id, _ = _start(app, day, 0)
    login(Role.PROCTOR)
    with app.app_context():
        db.session.get(Attempt, attempt_id).last_seen_at = utcnow() - dt.timedelta(seconds=10)
        db.session.commit()
    assert _rows(client, day)[day.regs[0]]["state"] == "answering"
    with app.app_context():
        db.session.get(Attempt, attempt_id).last_seen_at = utcnow() - dt.timedelta(seconds=31)
        db.session.commit()
    row = _rows(client, day)[day.regs[0]]
    assert row["state"] == "disconnected" and row["label"] == "连接中断" and "pause" in row["actions"]


def test_a_proctor_not_on_duty_is_refused(app, client, login, day):
    with app.app_context():
        db.session.get(ExamSession, day.session_id).staff = []
        db.session.commit()
    for role in (Role.PROCTOR, Role.EXAMINER):
        login(role)
        assert client.get(f"/exams/sessions/{day.session_id}/console").status_code == 403
        assert client.get(f"/exams/sessions/{day.session_id}/console.json").status_code == 403
        assert _act(client, day, 1, "absent").status_code == 403
    login(Role.SCHEDULER)
    assert client.get(f"/exams/sessions/{day.session_id}/console").status_code == 200


# ---- actions ----------------------------------------------------------------------------------

def test_pause_stops_the_clock_and_resume_restores_it(app, client, login, day):
    attempt_id, token = _start(app, day, 0)
    deadline = _attempt(app, attempt_id).deadline_at
    login(Role.PROCTOR)
    response = _act(client, day, 0, "pause", reason="考生身体不适")
    assert response.status_code == 200 and response.get_json()["ok"] and "已暂停" in response.get_json()["message"]
    paused = _attempt(app, attempt_id)
    assert paused.status == AttemptStatus.PAUSED
    assert delivery.remaining(paused, utcnow() + dt.timedelta(minutes=30)) == delivery.remaining(paused, utcnow())
    row = _rows(client, day)[day.regs[0]]
    assert row["state"] == "paused" and row["label"] == "已暂停" and "resume" in row["actions"]
    saved = client.put("/api/v1/attempt/answers/1", json={"answer": "A", "seq": 1},
                       headers={"Authorization": f"Bearer {token}"})
    assert saved.status_code == 409
    with app.app_context():  # the pause lasted five minutes
        db.session.get(Attempt, attempt_id).paused_at -= dt.timedelta(minutes=5)
        db.session.commit()
    assert _act(client, day, 0, "resume", reason="已恢复").get_json()["ok"]
    resumed = _attempt(app, attempt_id)
    assert resumed.status == AttemptStatus.ANSWERING and resumed.paused_at is None
    assert abs((resumed.deadline_at - deadline).total_seconds() - 300) < 5
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "proctor.pause"))
        assert entry.reason == "考生身体不适" and entry.object_id == str(attempt_id)


def test_extra_time_moves_the_deadline(app, client, login, day):
    attempt_id, _ = _start(app, day, 0)
    deadline = _attempt(app, attempt_id).deadline_at
    login(Role.PROCTOR)
    refused = _act(client, day, 0, "extra_time", reason="断网补时")
    assert refused.status_code == 409 and "1–120" in refused.get_json()["message"]
    response = _act(client, day, 0, "extra_time", reason="断网补时", minutes="10")
    assert response.status_code == 200 and "10 分钟" in response.get_json()["message"]
    attempt = _attempt(app, attempt_id)
    assert attempt.deadline_at - deadline == dt.timedelta(minutes=10) and attempt.extra_seconds == 600
    assert _rows(client, day)[day.regs[0]]["remaining_seconds"] > 129 * 60


def test_release_lets_another_terminal_log_in(app, client, login, day):
    _start(app, day, 0, "T-01")
    with app.app_context(), pytest.raises(delivery.ApiError) as err:
        delivery.terminal_login(*day.rows[0], "T-02", utcnow())
    assert err.value.code == "bound_elsewhere"
    login(Role.PROCTOR)
    response = _act(client, day, 0, "release", reason="终端故障，换机")
    assert response.get_json()["ok"] and "解除" in response.get_json()["message"]
    attempt_id, _ = _start(app, day, 0, "T-02")
    assert _attempt(app, attempt_id).terminal_id == "T-02"


def test_terminate_records_an_irregularity_and_fails_the_attempt(app, client, login, day):
    attempt_id, _ = _start(app, day, 0)
    login(Role.PROCTOR)
    response = _act(client, day, 0, "terminate", reason="使用手机查阅答案")
    assert response.status_code == 200 and response.get_json()["ok"]
    attempt = _attempt(app, attempt_id)
    assert attempt.status == AttemptStatus.TERMINATED and attempt.passed is False and attempt.graded_at
    with app.app_context():
        irregularity = db.session.scalar(sa.select(Irregularity).where(Irregularity.registration_id == day.regs[0]))
        assert irregularity.kind == "misconduct" and irregularity.note == "使用手机查阅答案"
        assert irregularity.actor_id is not None
        assert db.session.get(Registration, day.regs[0]).passed is False
    row = _rows(client, day)[day.regs[0]]
    assert row["state"] == "terminated" and row["actions"] == []
    again = _act(client, day, 0, "pause")
    assert again.status_code == 409 and "不在答题" in again.get_json()["message"]


def test_absent_only_before_starting(app, client, login, day):
    _start(app, day, 0)
    login(Role.PROCTOR)
    refused = _act(client, day, 0, "absent", reason="未到场")
    assert refused.status_code == 409 and "已开始答题" in refused.get_json()["message"]
    response = _act(client, day, 1, "absent", reason="开考 15 分钟未到场")
    assert response.status_code == 200 and response.get_json()["ok"]
    with app.app_context():
        assert db.session.get(Registration, day.regs[1]).state == RegistrationState.ABSENT
        assert db.session.scalar(sa.select(Irregularity.kind).where(Irregularity.registration_id == day.regs[1])) == "absent"
    assert _rows(client, day)[day.regs[1]]["state"] == "absent"


def test_a_reason_is_required(app, client, login, day):
    attempt_id, _ = _start(app, day, 0)
    login(Role.PROCTOR)
    for reason in ("", "   "):
        response = _act(client, day, 0, "pause", reason=reason)
        assert response.status_code == 422
        assert response.get_json() == {"ok": False, "message": "请填写原因（会写入考场记录和审计日志）"}
    assert _attempt(app, attempt_id).status == AttemptStatus.ANSWERING
    with app.app_context():
        assert db.session.scalar(sa.select(AuditEntry.id).where(AuditEntry.action.like("proctor.%"))) is None


def test_a_plain_form_post_redirects_with_the_message(app, client, login, day):
    _start(app, day, 0)
    login(Role.PROCTOR)
    response = _act(client, day, 0, "pause", reason="临时停电", json=False)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/exams/sessions/{day.session_id}/console")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已暂停" in page and "alert-success" in page
    refused = _act(client, day, 0, "pause", reason="再次暂停", json=False)
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "不能暂停" in page and "alert-danger" in page


# ---- publishing and the results page -----------------------------------------------------------

def _finish_with_answers(app, day, i, answers_for=None):
    """Start and submit candidate i with the given answers (position → original letters)."""
    attempt_id, _ = _start(app, day, i)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        keys = {pq.position: db.session.get(QuestionVersion, pq.question_version_id).answer
                for pq in attempt.paper.questions}
        services.record_answers(attempt, answers_for(keys) if answers_for else keys)
        delivery.submit(attempt, utcnow())
        db.session.commit()
        return attempt_id


def item_by_name_id(app) -> int:
    with app.app_context():
        return item_by_name("低压电工作业").id


def _candidate_user(app, day, i) -> int:
    with app.app_context():
        reg = db.session.get(Registration, day.regs[i])
        user = account_services.create_user(f"cand_{reg.id}", reg.person.name, PASSWORD, {Role.CANDIDATE},
                                            person_id=reg.person_id)
        db.session.commit()
        return user.id


def test_publish_makes_results_visible_to_candidate_and_employer(app, client, login, day, world):
    attempt_id = _finish_with_answers(app, day, 0)
    _finish_with_answers(app, day, 1, lambda keys: {p: k for p, k in keys.items() if p <= 50})
    with app.app_context():  # the third candidate works elsewhere: not employer A's to see
        person = db.session.get(Registration, day.regs[2]).person
        person.employer_id, hidden_name = world.employer_b, person.name
        db.session.commit()
    _finish_with_answers(app, day, 2)
    candidate = _login_user(app.test_client(), _candidate_user(app, day, 0))
    page = candidate.get("/exams/results").get_data(as_text=True)
    assert ">待公布<" in page and "<strong>100</strong>" not in page and "合格" not in page

    login(Role.EMPLOYER)
    page = client.get("/exams/results").get_data(as_text=True)
    assert page.count(">待公布<") == 2 and hidden_name not in page

    login(Role.SCHEDULER)
    console = client.get(f"/exams/sessions/{day.session_id}/console").get_data(as_text=True)
    assert "公布本场成绩" in console and "已评分 3 人，已公布 0 人" in console
    response = client.post(f"/exams/sessions/{day.session_id}/publish", data={})
    assert response.status_code == 302
    assert "已公布 3 名考生的成绩" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert _attempt(app, attempt_id).published_at is not None
    with app.app_context():
        assert db.session.scalar(sa.select(AuditEntry.after).where(AuditEntry.action == "results.publish")) == {"count": 3}

    page = candidate.get("/exams/results").get_data(as_text=True)
    assert ">待公布<" not in page and "<strong>100</strong>" in page and "合格" in page and "触电事故、防护与急救" in page

    login(Role.EMPLOYER)
    page = client.get("/exams/results").get_data(as_text=True)
    assert ">待公布<" not in page and "不合格" in page and "<strong>100</strong>" in page and hidden_name not in page
    item = item_by_name_id(app)
    assert "<strong>100</strong>" in client.get(f"/exams/results?item={item}").get_data(as_text=True)
    assert "还没有理论考试成绩" in client.get(f"/exams/results?item={item + 999}").get_data(as_text=True)


def test_results_page_shows_nothing_of_others(app, client, login, day):
    _finish_with_answers(app, day, 0)
    login(Role.CANDIDATE)  # the baseline candidate sat no exam
    assert "还没有理论考试成绩" in client.get("/exams/results").get_data(as_text=True)


# ---- key correction -----------------------------------------------------------------------------

def _judge_positions(app, attempt_id) -> list[tuple[int, int]]:
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        return db.session.execute(
            sa.select(PaperQuestion.position, QuestionVersion.id)
            .join(QuestionVersion, QuestionVersion.id == PaperQuestion.question_version_id)
            .where(PaperQuestion.paper_id == attempt.paper_id, QuestionVersion.qtype == "judge",
                   QuestionVersion.answer == "T").order_by(PaperQuestion.position)).all()


def test_key_correction_regrades_lists_changes_and_is_audited(app, client, login, day):
    attempt_id, _ = _start(app, day, 0)
    position, version_id = _judge_positions(app, attempt_id)[0]
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        keys = {pq.position: db.session.get(QuestionVersion, pq.question_version_id).answer
                for pq in attempt.paper.questions}
        # 79 right answers and the chosen judge question answered "错" against a key of "对": 79, failed.
        right = [p for p in sorted(keys) if p != position][:79]
        services.record_answers(attempt, {**{p: keys[p] for p in right}, position: "F"})
        delivery.submit(attempt, utcnow())
        db.session.commit()
        name = db.session.get(Registration, day.regs[0]).person.name
    before = _attempt(app, attempt_id)
    assert before.score == 79 and before.passed is False

    login(Role.ADMIN)
    url = f"/exams/question-versions/{version_id}/correct-key"
    page = client.get(url).get_data(as_text=True)
    assert "现行答案" in page and "已有 1 份已评分的试卷" in page
    missing = client.post(url, data={"new_key": "错", "reason": ""})
    assert missing.status_code == 422 and "请填写更正原因" in missing.get_data(as_text=True)
    same = client.post(url, data={"new_key": "对", "reason": "核对"})
    assert same.status_code == 409 and "新答案与现有答案相同" in same.get_data(as_text=True)
    assert _attempt(app, attempt_id).score == 79

    response = client.post(url, data={"new_key": "错", "reason": "依据新版安全规程，本题应判为错"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="regrade-changes"' in html
    assert name in html and "79 → <strong>80</strong>" in html and "不合格 → <strong>合格</strong>" in html
    after = _attempt(app, attempt_id)
    assert after.score == 80 and after.passed is True
    with app.app_context():
        version = db.session.get(QuestionVersion, version_id)
        assert version.corrected_answer == "F" and version.answer == "T"
        assert db.session.get(Registration, day.regs[0]).passed is True
        actions = dict(db.session.execute(sa.select(AuditEntry.action, AuditEntry.reason).where(
            AuditEntry.action.in_(["question.key_correction", "attempt.regrade"]))).all())
        assert actions == {"question.key_correction": "依据新版安全规程，本题应判为错",
                           "attempt.regrade": "依据新版安全规程，本题应判为错"}
    assert "错" in client.get(url).get_data(as_text=True).split('id="current-key">')[1][:5]


def test_correct_key_of_an_unknown_version_is_404(client, login):
    login(Role.ADMIN)
    assert client.get("/exams/question-versions/999999/correct-key").status_code == 404
