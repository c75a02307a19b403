"""The terminal API (/api/v1) through the test client: login, the paper, autosave, the clock, submit.

The diya-diangong bank, its blueprint and the site are built once per module (in an outer transaction
rolled back at the end of the module); every test runs in its own savepoint on top of it, so tests stay
independent. The helpers here are shared with test_access_api.py and test_delivery_machine.py.
"""
from __future__ import annotations

import datetime as dt
import itertools
import re
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
import yaml

from app.accounts.models import Role, User
from app.catalog.services import item_by_name
from app.core.audit import AuditEntry
from app.db import utcnow
from app.exams import delivery, proctoring
from app.exams.models import Attempt, AttemptAnswer, AttemptStatus
from app.extensions import db, limiter
from app.papers import services as paper_services
from app.papers.blueprints import BLUEPRINT_DIR
from app.papers.models import PaperQuestion
from app.questions.models import QuestionVersion
from app.scheduling.fixtures import exam_day
from app.scheduling.models import ExamSession, Registration, RegistrationState, SessionState
from app.scheduling.setup import load_site
from tests.papers.test_services import _load_bank

ITEM = "低压电工作业"
LOGIN_URL = "/api/v1/terminal/login"
CJK = re.compile(r"[\u4e00-\u9fff]")
_seeds = itertools.count(1000)


# ---- module-wide bank, per-test savepoint ----------------------------------------------------------

@pytest.fixture(scope="module")
def bank(app):
    """The diya-diangong bank with its active blueprint and the site, built once for the module on a
    connection whose outer transaction is rolled back when the module ends."""
    with app.app_context():
        engines = db.engines
    engine = engines[None]
    conn = engine.connect()
    outer = conn.begin()
    engines[None] = conn
    try:
        with app.app_context():
            _load_bank("diya-diangong")
            doc = yaml.safe_load((BLUEPRINT_DIR / "diya-diangong.yaml").read_text(encoding="utf-8"))
            blueprint, _ = paper_services.save_blueprint(item_by_name(ITEM), doc)
            paper_services.activate_blueprint(blueprint)
            load_site()
            db.session.commit()
            info = SimpleNamespace(conn=conn, blueprint_id=blueprint.id, duration=blueprint.duration_minutes,
                                   pass_mark=blueprint.pass_mark)
            db.session.remove()
        yield info
    finally:
        with app.app_context():
            db.session.remove()
        engines[None] = engine
        outer.rollback()
        conn.close()
        limiter.reset()


@pytest.fixture(autouse=True)
def _transaction(bank, app):
    """Overrides the conftest fixture: each test runs in a savepoint over the module's bank."""
    nested = bank.conn.begin_nested()
    try:
        yield
    finally:
        with app.app_context():
            db.session.remove()
        if nested.is_active:
            nested.rollback()
        limiter.reset()


# ---- helpers ---------------------------------------------------------------------------------------

def new_candidates(n: int = 1) -> list[SimpleNamespace]:
    """Inside an app context: ``n`` checked-in candidates of a new open theory session (not committed)."""
    _, rows = exam_day(n, ITEM, seed=next(_seeds))
    out = []
    for ticket, id_number in rows:
        reg = db.session.scalar(sa.select(Registration).where(Registration.ticket_no == ticket))
        out.append(SimpleNamespace(ticket=ticket, id_number=id_number, reg_id=reg.id, session_id=reg.session_id,
                                   name=reg.person.name))
    return out


def candidates(app, n: int = 1) -> list[SimpleNamespace]:
    """``n`` committed candidates the test client can log in with."""
    with app.app_context():
        out = new_candidates(n)
        db.session.commit()
    return out


def api_login(client, cand, terminal: str = "T-1"):
    return client.post(LOGIN_URL, json={"admission_no": cand.ticket, "id_number": cand.id_number},
                       headers={"X-Terminal-Id": terminal})


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def logged_in(client, cand, terminal: str = "T-1") -> str:
    r = api_login(client, cand, terminal)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["token"]


def proctor_act(app, world, cand, action: str, *, minutes: int | None = None, now=None, reason: str = "考生举手，监考员处理"):
    with app.app_context():
        session = db.session.get(ExamSession, cand.session_id)
        actor = db.session.get(User, world.users[Role.PROCTOR])
        message = proctoring.act(session, cand.reg_id, action, reason=reason, actor=actor, minutes=minutes, now=now)
        db.session.commit()
    return message


def attempt_of(cand) -> Attempt:
    """Inside an app context: the candidate's attempt, fresh from the database."""
    db.session.expire_all()
    return db.session.scalar(sa.select(Attempt).where(Attempt.registration_id == cand.reg_id))


def finish_count(attempt_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "attempt.finish", AuditEntry.object_type == "attempt",
        AuditEntry.object_id == str(attempt_id)))


def paper_meta(attempt: Attempt) -> dict[int, SimpleNamespace]:
    """position → type, display order, original key, points, options, explanation (straight from the snapshot)."""
    rows = db.session.execute(
        sa.select(PaperQuestion.position, PaperQuestion.option_order, PaperQuestion.points, QuestionVersion)
        .join(QuestionVersion, QuestionVersion.id == PaperQuestion.question_version_id)
        .where(PaperQuestion.paper_id == attempt.paper_id)).all()
    return {pos: SimpleNamespace(qtype=v.qtype, order=list(order or []), key=v.effective_answer, points=points,
                                 options=list(v.options or []), explanation=v.explanation)
            for pos, order, points, v in rows}


def shown_to_original(shown: str, order: list[int]) -> str:
    """Independent of the app: displayed letter i shows original option order[i]."""
    if not order:
        return shown
    return "".join(sorted(chr(65 + order[ord(c) - 65]) for c in shown))


def original_to_shown(original: str, order: list[int]) -> str:
    if not order:
        return original
    return "".join(sorted(chr(65 + order.index(ord(c) - 65)) for c in original))


def move_deadline(app, cand, seconds_from_now: float) -> dt.datetime:
    """Put the attempt's deadline ``seconds_from_now`` from the real clock (negative: in the past)."""
    with app.app_context():
        a = attempt_of(cand)
        a.deadline_at = utcnow() + dt.timedelta(seconds=seconds_from_now)
        deadline = a.deadline_at
        db.session.commit()
    return deadline


def assert_error(response, status: int, code: str | None = None):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.is_json, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert CJK.search(body["error"]["message"]), body  # a Chinese message for the candidate
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


def first_of_type(meta: dict, qtype: str) -> int:
    return min(p for p, m in meta.items() if m.qtype == qtype)


# ---- login -----------------------------------------------------------------------------------------

def test_login_starts_the_attempt_and_returns_state(app, client, bank):
    cand, = candidates(app)
    r = api_login(client, cand)
    assert r.status_code == 200
    body = r.get_json()
    assert isinstance(body["token"], str) and len(body["token"]) >= 32
    state = body["attempt"]
    assert state["state"] == "answering" and state["total"] == 100 and state["answered"] == 0
    assert state["candidate"]["name"] == cand.name and cand.id_number not in r.get_data(as_text=True)
    assert state["candidate"]["masked_id"].endswith(cand.id_number[-4:]) and "*" in state["candidate"]["masked_id"]
    assert abs(state["remaining_seconds"] - bank.duration * 60) <= 2
    assert state["server_time"].endswith("Z") and state["deadline"].endswith("Z")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", state["server_time"])
    with app.app_context():
        a = attempt_of(cand)
        assert a.terminal_id == "T-1" and a.status == AttemptStatus.ANSWERING
        assert a.token_hash and body["token"] not in (a.token_hash or "")  # only a hash is stored


@pytest.mark.parametrize("change", ["id_number", "ticket", "both"])
def test_login_wrong_credentials_is_401_login_failed(app, client, change):
    cand, = candidates(app)
    wrong_id = cand.id_number[:-4] + ("0000" if not cand.id_number.endswith("0000") else "1111")
    body = {"admission_no": cand.ticket if change == "id_number" else "999999999999",
            "id_number": wrong_id if change != "ticket" else cand.id_number}
    err = assert_error(client.post(LOGIN_URL, json=body, headers={"X-Terminal-Id": "T-1"}), 401, "login_failed")
    assert err["message"] == "准考证号或身份证号码不正确"
    with app.app_context():
        assert attempt_of(cand) is None


@pytest.mark.parametrize("body", [None, "not json", [], {}, {"admission_no": "", "id_number": ""}, {"admission_no": "1"}])
def test_login_bad_request_is_400(client, body):
    if body is None:
        r = client.post(LOGIN_URL)
    elif isinstance(body, str):
        r = client.post(LOGIN_URL, data=body, content_type="application/json")
    else:
        r = client.post(LOGIN_URL, json=body)
    assert_error(r, 400, "bad_request")


def test_login_lowercase_x_and_full_width_digits_are_accepted(app, client):
    cand, = candidates(app)
    full_width_ticket = "".join(chr(ord(c) + 0xFEE0) for c in cand.ticket)
    r = client.post(LOGIN_URL, json={"admission_no": f" {full_width_ticket} ", "id_number": cand.id_number.lower()})
    assert r.status_code == 200, r.get_json()


def test_login_not_checked_in_is_403(app, client):
    cand, = candidates(app)
    with app.app_context():
        reg = db.session.get(Registration, cand.reg_id)
        reg.state, reg.checked_in_at = RegistrationState.SCHEDULED, None
        db.session.commit()
    assert_error(api_login(client, cand), 403, "not_checked_in")
    with app.app_context():
        assert attempt_of(cand) is None


@pytest.mark.parametrize("how", ["closed", "ended", "not_yet"])
def test_login_session_not_open_is_409(app, client, how):
    cand, = candidates(app)
    with app.app_context():
        session = db.session.get(ExamSession, cand.session_id)
        now = utcnow()
        if how == "closed":
            session.state = SessionState.CLOSED
        elif how == "ended":
            session.starts_at, session.ends_at = now - dt.timedelta(hours=3), now - dt.timedelta(minutes=1)
        else:
            session.starts_at, session.ends_at = now + dt.timedelta(hours=2), now + dt.timedelta(hours=4)
        db.session.commit()
    assert_error(api_login(client, cand), 409, "session_not_open")
    with app.app_context():
        assert attempt_of(cand) is None


def test_second_terminal_needs_the_proctor_to_release_the_first(app, client, world):
    cand, = candidates(app)
    token1 = logged_in(client, cand, "T-1")
    err = assert_error(api_login(client, cand, "T-2"), 409, "bound_elsewhere")
    assert "监考员" in err["message"]
    assert client.get("/api/v1/attempt", headers=auth(token1)).status_code == 200  # the refusal changed nothing
    # The same terminal may log in again (reload): the token rotates, the old one is dead.
    token1b = logged_in(client, cand, "T-1")
    assert token1b != token1
    assert_error(client.get("/api/v1/attempt", headers=auth(token1)), 401, "invalid_token")
    r = client.put("/api/v1/attempt/answers/1", json={"answer": "T", "seq": 1}, headers=auth(token1b))
    assert r.status_code == 200
    # Release by the proctor: the new terminal gets in, the old token gets 401 everywhere.
    proctor_act(app, world, cand, "release")
    token2 = logged_in(client, cand, "T-2")
    for method, url, body in [("get", "/api/v1/attempt", None), ("put", "/api/v1/attempt/answers/2", {"answer": "T", "seq": 2}),
                              ("post", "/api/v1/attempt/heartbeat", None), ("post", "/api/v1/attempt/submit", None)]:
        assert_error(getattr(client, method)(url, json=body, headers=auth(token1b)), 401, "invalid_token")
    # The old terminal is now the other one.
    assert_error(api_login(client, cand, "T-1"), 409, "bound_elsewhere")
    paper = client.get("/api/v1/attempt", headers=auth(token2)).get_json()
    assert set(paper["answers"]) == {"1"}  # the acknowledged answer followed the candidate
    with app.app_context():
        a = attempt_of(cand)
        assert a.terminal_id == "T-2" and a.status == AttemptStatus.ANSWERING
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "proctor.release", AuditEntry.object_id == str(a.id))) == 1


def test_release_needs_a_reason(app, world):
    cand, = candidates(app)
    from app.core.errors import DomainError
    with pytest.raises(DomainError):
        proctor_act(app, world, cand, "release", reason="  ")


@pytest.mark.parametrize("token", [None, "", "Bearer", "x" * 201, "not-a-token"])
def test_missing_or_wrong_token_is_401(client, token):
    headers = {} if token is None else {"Authorization": token if token.startswith("Bearer") else f"Bearer {token}"}
    assert_error(client.get("/api/v1/attempt", headers=headers), 401, "invalid_token")
    assert_error(client.post("/api/v1/attempt/heartbeat", headers=headers), 401, "invalid_token")
    assert_error(client.put("/api/v1/attempt/answers/1", json={"answer": "T", "seq": 1}, headers=headers), 401)
    assert_error(client.post("/api/v1/attempt/submit", headers=headers), 401, "invalid_token")


def test_login_after_submit_is_409_finished(app, client):
    cand, = candidates(app)
    token = logged_in(client, cand)
    assert client.post("/api/v1/attempt/submit", headers=auth(token)).status_code == 200
    assert_error(api_login(client, cand, "T-1"), 409, "finished")
    assert_error(api_login(client, cand, "T-9"), 409, "finished")


def test_login_past_the_deadline_finishes_the_attempt(app, client):
    cand, = candidates(app)
    logged_in(client, cand)
    deadline = move_deadline(app, cand, -120)
    assert_error(api_login(client, cand, "T-1"), 409, "finished")
    with app.app_context():
        a = attempt_of(cand)
        assert a.status == AttemptStatus.SUBMITTED and a.submitted_at == deadline
        assert finish_count(a.id) == 1


def test_login_is_rate_limited_per_admission_number_after_failures(app, client):
    cand, = candidates(app)
    for _ in range(10):
        assert_error(client.post(LOGIN_URL, json={"admission_no": cand.ticket, "id_number": "110101199001011237"}),
                     401, "login_failed")
    assert_error(client.post(LOGIN_URL, json={"admission_no": cand.ticket, "id_number": "110101199001011237"}), 429)


# ---- the paper -------------------------------------------------------------------------------------

def test_get_attempt_shape_and_shuffled_options(app, client, bank):
    cand, = candidates(app)
    token = logged_in(client, cand)
    r = client.get("/api/v1/attempt", headers=auth(token))
    assert r.status_code == 200
    paper = r.get_json()
    for key in ("attempt_id", "state", "server_time", "deadline", "remaining_seconds", "answered", "total", "candidate",
                "item", "room", "seat", "show_result", "duration_minutes", "pass_mark", "instructions", "questions",
                "answers"):
        assert key in paper, key
    assert paper["state"] == "answering" and paper["item"] == ITEM and paper["total"] == 100
    assert paper["duration_minutes"] == bank.duration and paper["pass_mark"] == bank.pass_mark
    assert paper["instructions"] and all(CJK.search(line) for line in paper["instructions"])
    assert paper["answers"] == {}
    questions = paper["questions"]
    assert [q["position"] for q in questions] == list(range(1, 101))
    assert sum(q["type"] == "judge" for q in questions) == 70 and sum(q["type"] == "single" for q in questions) == 30
    assert sum(q["points"] for q in questions) == 100
    with app.app_context():
        meta = paper_meta(attempt_of(cand))
    shuffled = 0
    for q in questions:
        m = meta[q["position"]]
        assert set(q) == {"position", "type", "points", "stem", "options"}
        if q["type"] == "judge":
            assert q["options"] == []
            continue
        assert [o["letter"] for o in q["options"]] == [chr(65 + i) for i in range(len(m.options))]
        assert [o["text"] for o in q["options"]] == [m.options[j] for j in m.order]  # per the snapshot
        assert sorted(m.order) == list(range(len(m.options)))
        shuffled += m.order != sorted(m.order)
    assert shuffled >= 10  # 30 single-choice questions: the options really are shuffled


def test_saved_answers_come_back_in_displayed_letters(app, client):
    cand, = candidates(app)
    token = logged_in(client, cand)
    with app.app_context():
        meta = paper_meta(attempt_of(cand))
    singles = [p for p, m in sorted(meta.items()) if m.qtype == "single" and m.order != sorted(m.order)][:3]
    judge = first_of_type(meta, "judge")
    sent = {judge: "F"}
    for i, pos in enumerate(singles):
        sent[pos] = "ABC"[i]
    for seq, (pos, shown) in enumerate(sent.items(), start=1):
        r = client.put(f"/api/v1/attempt/answers/{pos}", json={"answer": shown, "seq": seq, "flagged": pos == judge},
                       headers=auth(token))
        assert r.status_code == 200 and r.get_json()["saved"] is True
    with app.app_context():
        stored = {a.position: a.answer for a in attempt_of(cand).answers}
    for pos, shown in sent.items():
        assert stored[pos] == shown_to_original(shown, meta[pos].order)  # stored in the original letters
    paper = client.get("/api/v1/attempt", headers=auth(token)).get_json()
    assert {int(p): v["answer"] for p, v in paper["answers"].items()} == sent
    assert paper["answers"][str(judge)]["flagged"] is True
    assert paper["answered"] == len(sent)
    assert {int(p): v["seq"] for p, v in paper["answers"].items()} == {p: i for i, p in enumerate(sent, start=1)}


# ---- autosave --------------------------------------------------------------------------------------

def _put(client, token, position, answer, seq, **extra):
    return client.put(f"/api/v1/attempt/answers/{position}", json={"answer": answer, "seq": seq, **extra},
                      headers=auth(token))


def test_put_is_idempotent_and_an_older_seq_never_overwrites(app, client):
    cand, = candidates(app)
    token = logged_in(client, cand)
    with app.app_context():
        meta = paper_meta(attempt_of(cand))
    pos = first_of_type(meta, "single")

    def stored():
        with app.app_context():
            row = db.session.get(AttemptAnswer, (attempt_of(cand).id, pos))
            return (original_to_shown(row.answer, meta[pos].order) if row.answer else None, row.seq, row.flagged)

    r = _put(client, token, pos, "A", 5)
    body = r.get_json()
    assert r.status_code == 200 and body["position"] == pos and body["seq"] == 5 and body["saved"] is True
    assert body["state"] == "answering" and body["server_time"].endswith("Z") and body["deadline"].endswith("Z")
    assert stored() == ("A", 5, False)
    r = _put(client, token, pos, "A", 5)  # the same request again (a retry)
    assert r.status_code == 200 and r.get_json()["seq"] == 5 and r.get_json()["saved"] is False
    r = _put(client, token, pos, "B", 5)  # the same seq with another answer: still a replay
    assert r.get_json() == {**r.get_json(), "seq": 5, "saved": False}
    assert stored() == ("A", 5, False)
    r = _put(client, token, pos, "C", 3)  # an older change arriving late
    assert r.status_code == 200 and r.get_json()["seq"] == 5 and r.get_json()["saved"] is False
    assert stored() == ("A", 5, False)
    r = _put(client, token, pos, "B", 6, flagged=True)
    assert r.get_json()["saved"] is True and stored() == ("B", 6, True)
    r = _put(client, token, pos, "D", 6)
    assert r.get_json()["saved"] is False and stored() == ("B", 6, True)
    r = _put(client, token, pos, "C", 7)  # flagged absent: the stored flag is kept
    assert r.get_json()["saved"] is True and stored() == ("C", 7, True)
    r = _put(client, token, pos, None, 8, flagged=False)  # null clears the answer
    assert r.get_json()["saved"] is True and stored() == (None, 8, False)
    r = _put(client, token, pos, "A", 2)
    assert r.get_json()["seq"] == 8 and stored() == (None, 8, False)
    # Per position: another question starts from its own stored seq.
    other = first_of_type(meta, "judge")
    r = _put(client, token, other, "T", 1)
    assert r.get_json()["saved"] is True and r.get_json()["seq"] == 1


@pytest.mark.parametrize("case", ["letter_out_of_range", "letter_z", "two_letters_on_single", "dict", "list",
                                  "judge_letter", "huge_seq", "bool_seq", "zero_seq", "negative_seq", "string_seq",
                                  "float_seq", "missing_seq", "repeated_letter"])
def test_invalid_answers_are_422_and_not_stored(app, client, case):
    cand, = candidates(app)
    token = logged_in(client, cand)
    with app.app_context():
        meta = paper_meta(attempt_of(cand))
    single, judge = first_of_type(meta, "single"), first_of_type(meta, "judge")
    n = len(meta[single].order)
    body = {
        "letter_out_of_range": (single, {"answer": chr(65 + n), "seq": 1}),
        "letter_z": (single, {"answer": "Z", "seq": 1}),
        "two_letters_on_single": (single, {"answer": "AB", "seq": 1}),
        "dict": (single, {"answer": {"A": True}, "seq": 1}),
        "list": (single, {"answer": ["A"], "seq": 1}),
        "judge_letter": (judge, {"answer": "A", "seq": 1}),
        "huge_seq": (single, {"answer": "A", "seq": 10**12}),
        "bool_seq": (single, {"answer": "A", "seq": True}),
        "zero_seq": (single, {"answer": "A", "seq": 0}),
        "negative_seq": (single, {"answer": "A", "seq": -3}),
        "string_seq": (single, {"answer": "A", "seq": "3"}),
        "float_seq": (single, {"answer": "A", "seq": 3.5}),
        "missing_seq": (single, {"answer": "A"}),
        "repeated_letter": (single, {"answer": "AA", "seq": 1}),
    }[case]
    pos, payload = body
    assert_error(client.put(f"/api/v1/attempt/answers/{pos}", json=payload, headers=auth(token)), 422, "invalid_answer")
    with app.app_context():
        assert attempt_of(cand).answers == []


@pytest.mark.parametrize("position", [0, 101, 5000])
def test_unknown_position_is_404(app, client, position):
    cand, = candidates(app)
    token = logged_in(client, cand)
    assert_error(_put(client, token, position, "T", 1), 404, "no_such_question")


def test_huge_position_is_a_json_404(app, client):
    cand, = candidates(app)
    token = logged_in(client, cand)
    assert_error(_put(client, token, 10**20, "T", 1), 404)


def test_put_needs_a_json_object(app, client):
    cand, = candidates(app)
    token = logged_in(client, cand)
    assert_error(client.put("/api/v1/attempt/answers/1", data="seq=1", headers=auth(token)), 400, "bad_request")
    assert_error(client.put("/api/v1/attempt/answers/1", json=[1, 2], headers=auth(token)), 400, "bad_request")


# ---- the server's clock ----------------------------------------------------------------------------

def test_write_within_the_grace_is_stored(app, client):
    cand, = candidates(app)
    token = logged_in(client, cand)
    move_deadline(app, cand, -10)  # 10 s past the deadline, within the default 30 s grace
    r = _put(client, token, 1, "T", 1)
    assert r.status_code == 200 and r.get_json()["saved"] is True
    with app.app_context():
        assert attempt_of(cand).answers[0].answer == "T"


def test_write_after_deadline_and_grace_is_409_and_finishes_at_the_deadline(app, client):
    cand, = candidates(app)
    token = logged_in(client, cand)
    assert _put(client, token, 1, "T", 1).status_code == 200
    deadline = move_deadline(app, cand, -31)
    err = assert_error(_put(client, token, 2, "F", 2), 409, "deadline_passed")
    assert "未保存" in err["message"]
    with app.app_context():
        a = attempt_of(cand)
        assert [x.position for x in a.answers] == [1]  # the late write was not stored
        assert a.status == AttemptStatus.SUBMITTED and a.finished_reason == "deadline"
        assert a.submitted_at == deadline and a.graded_at is not None and a.score is not None
        assert finish_count(a.id) == 1
    assert_error(_put(client, token, 2, "F", 3), 409, "not_answering")
    hb = client.post("/api/v1/attempt/heartbeat", headers=auth(token)).get_json()
    assert hb["state"] == "submitted" and hb["remaining_seconds"] == 0
    with app.app_context():
        assert finish_count(attempt_of(cand).id) == 1


def test_grace_is_configurable(app, client):
    cand, = candidates(app)
    token = logged_in(client, cand)
    move_deadline(app, cand, -10)
    old = app.config.get("EXAM_GRACE_SECONDS")
    app.config["EXAM_GRACE_SECONDS"] = 5
    try:
        assert_error(_put(client, token, 1, "T", 1), 409, "deadline_passed")
    finally:
        if old is None:
            app.config.pop("EXAM_GRACE_SECONDS", None)
        else:
            app.config["EXAM_GRACE_SECONDS"] = old


@pytest.mark.parametrize("access", ["get", "heartbeat", "submit"])
def test_expired_attempt_is_finished_on_next_access_with_deadline_as_finish_time(app, client, access):
    cand, = candidates(app)
    token = logged_in(client, cand)
    assert _put(client, token, 3, "T", 1).status_code == 200
    deadline = move_deadline(app, cand, -600)
    if access == "get":
        r = client.get("/api/v1/attempt", headers=auth(token))
    elif access == "heartbeat":
        r = client.post("/api/v1/attempt/heartbeat", headers=auth(token))
    else:
        r = client.post("/api/v1/attempt/submit", headers=auth(token))
    assert r.status_code == 200 and r.get_json()["state"] == "submitted"
    with app.app_context():
        a = attempt_of(cand)
        assert a.status == AttemptStatus.SUBMITTED and a.submitted_at == deadline and a.finished_reason == "deadline"
        assert finish_count(a.id) == 1 and [x.position for x in a.answers] == [3]


def test_sweep_command_finishes_expired_attempts(app, client):
    first, second = candidates(app, 2)
    logged_in(client, first)
    logged_in(client, second, "T-2")
    deadline = move_deadline(app, first, -5)
    result = app.test_cli_runner().invoke(args=["exams", "sweep"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        a, b = attempt_of(first), attempt_of(second)
        assert a.status == AttemptStatus.SUBMITTED and a.submitted_at == deadline
        assert b.status == AttemptStatus.ANSWERING and b.graded_at is None
        assert finish_count(a.id) == 1
    assert "已结束超时的答卷 1 份" in result.output


def test_heartbeat_shows_the_pause_and_the_clock_stands_still(app, client, world):
    cand, = candidates(app)
    token = logged_in(client, cand)
    before = client.post("/api/v1/attempt/heartbeat", headers=auth(token)).get_json()
    assert before["state"] == "answering"
    proctor_act(app, world, cand, "pause")
    with app.app_context():  # ten minutes pass while paused
        a = attempt_of(cand)
        a.paused_at -= dt.timedelta(minutes=10)
        a.deadline_at -= dt.timedelta(minutes=10)
        frozen = int((a.deadline_at - a.paused_at).total_seconds())
        db.session.commit()
    hb1 = client.post("/api/v1/attempt/heartbeat", headers=auth(token)).get_json()
    hb2 = client.post("/api/v1/attempt/heartbeat", headers=auth(token)).get_json()
    assert hb1["state"] == hb2["state"] == "paused"
    assert hb1["remaining_seconds"] == hb2["remaining_seconds"] == frozen
    assert abs(frozen - before["remaining_seconds"]) <= 2
    # The deadline shown moves with the server clock so a terminal shows the frozen time.
    shown = dt.datetime.fromisoformat(hb2["deadline"].replace("Z", "+00:00"))
    server = dt.datetime.fromisoformat(hb2["server_time"].replace("Z", "+00:00"))
    assert abs((shown - server).total_seconds() - frozen) <= 1
    assert_error(_put(client, token, 1, "T", 1), 409, "not_answering")
    assert_error(client.post("/api/v1/attempt/submit", headers=auth(token)), 409, "not_answering")
    assert client.get("/api/v1/attempt", headers=auth(token)).get_json()["state"] == "paused"
    proctor_act(app, world, cand, "resume")
    after = client.post("/api/v1/attempt/heartbeat", headers=auth(token)).get_json()
    assert after["state"] == "answering" and frozen - 2 <= after["remaining_seconds"] <= frozen
    assert _put(client, token, 1, "T", 1).status_code == 200


def test_extra_time_shows_in_the_heartbeat(app, client, world):
    cand, = candidates(app)
    token = logged_in(client, cand)
    before = client.post("/api/v1/attempt/heartbeat", headers=auth(token)).get_json()["remaining_seconds"]
    proctor_act(app, world, cand, "extra_time", minutes=10)
    after = client.post("/api/v1/attempt/heartbeat", headers=auth(token)).get_json()["remaining_seconds"]
    assert 600 - 3 <= after - before <= 600


def test_terminated_candidate_sees_the_state(app, client, world):
    cand, = candidates(app)
    token = logged_in(client, cand)
    proctor_act(app, world, cand, "terminate", reason="夹带小抄")
    hb = client.post("/api/v1/attempt/heartbeat", headers=auth(token)).get_json()
    assert hb["state"] == "terminated" and hb["remaining_seconds"] == 0
    assert_error(_put(client, token, 1, "T", 1), 409, "not_answering")
    assert_error(client.post("/api/v1/attempt/submit", headers=auth(token)), 409, "not_answering")
    with app.app_context():
        a = attempt_of(cand)
        assert a.passed is False and finish_count(a.id) == 1


# ---- submit ----------------------------------------------------------------------------------------

def test_submit_is_idempotent_over_http(app, client, bank):
    cand, = candidates(app)
    token = logged_in(client, cand)
    with app.app_context():
        meta = paper_meta(attempt_of(cand))
    right = [p for p in sorted(meta)[:10]]
    for seq, pos in enumerate(right, start=1):
        m = meta[pos]
        assert _put(client, token, pos, original_to_shown(m.key, m.order), seq).status_code == 200
    r1 = client.post("/api/v1/attempt/submit", headers=auth(token))
    r2 = client.post("/api/v1/attempt/submit", headers=auth(token))
    assert r1.status_code == r2.status_code == 200
    b1, b2 = r1.get_json(), r2.get_json()
    assert b1 == b2 and b1["state"] == "submitted"
    result = b1["result"]
    assert result["score"] == sum(meta[p].points for p in right) and result["passed"] is False
    assert result["pass_mark"] == bank.pass_mark
    assert sum(k["possible"] for k in result["by_kp"]) == 100
    assert sum(k["earned"] for k in result["by_kp"]) == result["score"]
    with app.app_context():
        a = attempt_of(cand)
        graded_at = a.graded_at
        assert finish_count(a.id) == 1 and a.finished_reason == "submitted"
        assert db.session.get(Registration, cand.reg_id).state == RegistrationState.COMPLETED
    assert client.post("/api/v1/attempt/submit", headers=auth(token)).get_json() == b1
    with app.app_context():
        a = attempt_of(cand)
        assert a.graded_at == graded_at and finish_count(a.id) == 1
    assert_error(_put(client, token, 50, "T", 99), 409, "not_answering")


def test_submit_twice_in_one_transaction_grades_once(app, client):
    cand, = candidates(app)
    logged_in(client, cand)
    with app.app_context():
        a = attempt_of(cand)
        now = utcnow()
        first = delivery.submit(a, now)
        graded_at, score = a.graded_at, a.score
        second = delivery.submit(a, now + dt.timedelta(seconds=1))
        db.session.flush()
        assert first == second and a.graded_at == graded_at and a.score == score
        assert finish_count(a.id) == 1
        db.session.commit()
    with app.app_context():
        assert finish_count(attempt_of(cand).id) == 1


def test_results_published_later_are_null_at_submit(app, client):
    cand, = candidates(app)
    token = logged_in(client, cand)
    with app.app_context():
        a = attempt_of(cand)
        a.paper.blueprint.show_result_immediately = False
        db.session.commit()
    body = client.post("/api/v1/attempt/submit", headers=auth(token)).get_json()
    assert body == {"state": "submitted", "result": None}


# ---- errors and the description --------------------------------------------------------------------

def test_every_4xx_is_json_with_code_and_chinese_message(app, client):
    cand, = candidates(app)
    token = logged_in(client, cand)
    h = auth(token)
    responses = [
        client.post(LOGIN_URL, data="x", content_type="text/plain"),                       # 400
        client.post(LOGIN_URL, json={"admission_no": cand.ticket, "id_number": "1"}),      # 401
        client.get("/api/v1/attempt"),                                                    # 401
        api_login(client, cand, "T-other"),                                               # 409
        client.put("/api/v1/attempt/answers/1", json={"answer": "Q", "seq": 1}, headers=h),  # 422
        client.put("/api/v1/attempt/answers/0", json={"answer": "T", "seq": 1}, headers=h),  # 404
        client.get("/api/v1/no-such-route"),                                              # 404 (routing)
        client.put("/api/v1/attempt/answers/x", json={}, headers=h),                      # 404 (converter)
        client.post("/api/v1/attempt", headers=h),                                        # 405
        client.get("/api/v1/attempt/submit", headers=h),                                  # 405
    ]
    for r in responses:
        assert 400 <= r.status_code < 500
        assert_error(r, r.status_code)


def test_openapi_describes_every_api_rule(app, client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200 and r.is_json
    spec = r.get_json()
    assert re.fullmatch(r"3\.0\.\d+", spec["openapi"])
    assert spec["info"]["title"] and spec["info"]["version"]
    paths = spec["paths"]
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")]
    assert rules
    for rule in rules:
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        if path == "/api/v1/openapi.json":
            continue  # the description itself
        assert path in paths, path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            op = paths[path].get(method.lower())
            assert op is not None, (path, method)
            assert "200" in op["responses"], (path, method)
            for param in re.findall(r"{(\w+)}", path):
                assert any(p["name"] == param and p["in"] == "path" and p.get("required") for p in op.get("parameters", []))
    for path, ops in paths.items():
        assert path.startswith("/api/v1/")
        for method in ops:
            assert method in {"get", "put", "post", "delete", "patch"}
    refs = re.findall(r'"\$ref": ?"#/components/schemas/(\w+)"', r.get_data(as_text=True))
    assert refs and all(ref in spec["components"]["schemas"] for ref in refs)
