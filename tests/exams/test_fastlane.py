"""The terminal fast lane (app.exams.fastlane): it answers the common autosave and heartbeat itself, with
the same body the full path gives, and steps aside — request body intact — for everything else, which the
Flask views then answer as before."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app import create_app
from app.exams import api as exams_api
from app.exams import delivery
from app.exams.fastlane import TerminalFastLane
from app.exams.models import AttemptAnswer, AttemptStatus
from app.extensions import db
from tests.exams.test_api import (  # noqa: F401 - the module-wide bank and the per-test savepoint
    _transaction,
    assert_error,
    attempt_of,
    auth,
    bank,
    candidates,
    first_of_type,
    logged_in,
    move_deadline,
    paper_meta,
    proctor_act,
    shown_to_original,
)

SAVE = "/api/v1/attempt/answers/{}"
HEARTBEAT = "/api/v1/attempt/heartbeat"


@pytest.fixture()
def full_path(app, monkeypatch):
    """Counts the requests that reach the Flask views of the autosave and the heartbeat."""
    calls = {"save": 0, "heartbeat": 0}
    for name, key in (("api.save_answer", "save"), ("api.heartbeat", "heartbeat")):
        view = app.view_functions[name]

        def counted(*args, _view=view, _key=key, **kwargs):
            calls[_key] += 1
            return _view(*args, **kwargs)
        monkeypatch.setitem(app.view_functions, name, counted)
    monkeypatch.setattr(exams_api, "_last_sweep", [float("inf")])  # no sweep due in this test
    return calls


def _setup(app, client):
    cand, = candidates(app)
    token = logged_in(client, cand)
    with app.app_context():
        meta = paper_meta(attempt_of(cand))
    return cand, token, meta


def _stored(app, cand, position):
    with app.app_context():
        a = attempt_of(cand)
        return db.session.get(AttemptAnswer, (a.id, position))


def test_the_fast_lane_is_installed_and_can_be_switched_off(app, tmp_path):
    assert isinstance(app.wsgi_app, TerminalFastLane)
    off = create_app({"TESTING": True, "SECRET_KEY": "x" * 32, "EXAM_FAST_LANE": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'off.db'}"})
    assert not isinstance(off.wsgi_app, TerminalFastLane)


def test_a_save_is_answered_by_the_fast_lane_and_stored_in_original_letters(app, client, full_path):
    cand, token, meta = _setup(app, client)
    pos = first_of_type(meta, "single")
    r = client.put(SAVE.format(pos), json={"answer": "B", "seq": 3, "flagged": True}, headers=auth(token))
    assert r.status_code == 200 and full_path["save"] == 0
    body = r.get_json()
    with app.app_context():
        deadline = attempt_of(cand).deadline_at
    assert body == {"position": pos, "seq": 3, "saved": True, "server_time": body["server_time"],
                    "deadline": delivery._iso(deadline), "state": "answering"}
    assert body["server_time"].endswith("Z")
    row = _stored(app, cand, pos)
    assert (row.answer, row.seq, row.flagged) == (shown_to_original("B", meta[pos].order), 3, True)
    # the same headers as every other response
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers["X-Content-Type-Options"] == "nosniff" and "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["Cache-Control"] == "no-store"


def test_an_older_seq_never_overwrites_and_the_flag_survives_a_save_without_it(app, client, full_path):
    cand, token, meta = _setup(app, client)
    pos = first_of_type(meta, "judge")
    assert client.put(SAVE.format(pos), json={"answer": "T", "seq": 5, "flagged": True}, headers=auth(token)).status_code == 200
    late = client.put(SAVE.format(pos), json={"answer": "F", "seq": 4}, headers=auth(token))
    assert late.status_code == 200 and late.get_json()["seq"] == 5 and late.get_json()["saved"] is False
    same = client.put(SAVE.format(pos), json={"answer": "F", "seq": 5}, headers=auth(token))
    assert same.get_json() == {**same.get_json(), "seq": 5, "saved": False}
    row = _stored(app, cand, pos)
    assert (row.answer, row.seq, row.flagged) == ("T", 5, True)
    newer = client.put(SAVE.format(pos), json={"answer": None, "seq": 6}, headers=auth(token))
    assert newer.get_json()["saved"] is True
    row = _stored(app, cand, pos)
    assert (row.answer, row.seq, row.flagged) == (None, 6, True)  # cleared, still flagged
    assert full_path["save"] == 0


@pytest.mark.parametrize("case", ["no_token", "bad_token", "not_json", "wrong_type", "bool_seq", "no_such_question",
                                  "impossible_answer", "form_body"])
def test_everything_else_goes_to_the_full_path_with_its_body(app, client, full_path, case):
    cand, token, meta = _setup(app, client)
    pos = first_of_type(meta, "single")
    headers, url = auth(token), SAVE.format(pos)
    expected = {"no_token": (401, "invalid_token"), "bad_token": (401, "invalid_token"),
                "not_json": (400, "bad_request"), "wrong_type": (422, "invalid_answer"),
                "bool_seq": (422, "invalid_answer"), "no_such_question": (404, "no_such_question"),
                "impossible_answer": (422, "invalid_answer"), "form_body": (400, "bad_request")}[case]
    if case == "no_token":
        r = client.put(url, json={"answer": "A", "seq": 1})
    elif case == "bad_token":
        r = client.put(url, json={"answer": "A", "seq": 1}, headers=auth("x" * 43))
    elif case == "not_json":
        r = client.put(url, data="{nope", content_type="application/json", headers=headers)
    elif case == "wrong_type":
        r = client.put(url, json={"answer": "A", "seq": "1"}, headers=headers)
    elif case == "bool_seq":
        r = client.put(url, json={"answer": "A", "seq": True}, headers=headers)
    elif case == "no_such_question":
        r = client.put(SAVE.format(101), json={"answer": "A", "seq": 1}, headers=headers)
    elif case == "impossible_answer":
        r = client.put(url, json={"answer": "Z", "seq": 1}, headers=headers)
    else:
        r = client.put(url, data="answer=A&seq=1", content_type="application/x-www-form-urlencoded", headers=headers)
    assert_error(r, *expected)
    assert full_path["save"] == 1
    assert _stored(app, cand, pos) is None


def test_a_paused_attempt_is_refused_by_the_full_path(app, world, client, full_path):
    cand, token, meta = _setup(app, client)
    proctor_act(app, world, cand, "pause")
    assert_error(client.put(SAVE.format(1), json={"answer": "T", "seq": 1}, headers=auth(token)), 409, "not_answering")
    assert full_path["save"] == 1 and _stored(app, cand, 1) is None
    hb = client.post(HEARTBEAT, headers=auth(token))
    assert hb.status_code == 200 and hb.get_json()["state"] == "paused" and full_path["heartbeat"] == 0
    proctor_act(app, world, cand, "resume")
    hb = client.post(HEARTBEAT, headers=auth(token)).get_json()
    assert hb["state"] == "answering"


def test_within_the_grace_the_fast_lane_saves_after_it_the_full_path_finishes(app, client, full_path):
    cand, token, meta = _setup(app, client)
    move_deadline(app, cand, -10)  # 10 s past the deadline: inside the 30 s grace
    r = client.put(SAVE.format(1), json={"answer": "T", "seq": 1}, headers=auth(token))
    assert r.status_code == 200 and full_path["save"] == 0 and _stored(app, cand, 1).seq == 1
    deadline = move_deadline(app, cand, -31)
    assert_error(client.put(SAVE.format(2), json={"answer": "T", "seq": 2}, headers=auth(token)), 409, "deadline_passed")
    assert full_path["save"] == 1 and _stored(app, cand, 2) is None
    with app.app_context():
        a = attempt_of(cand)
        assert a.status == AttemptStatus.SUBMITTED and a.submitted_at == deadline and a.graded_at is not None


def test_a_heartbeat_is_answered_by_the_fast_lane_like_the_full_path(app, client, full_path, monkeypatch):
    cand, token, meta = _setup(app, client)
    client.put(SAVE.format(1), json={"answer": "T", "seq": 1}, headers=auth(token))
    client.put(SAVE.format(2), json={"answer": None, "seq": 2}, headers=auth(token))  # stored, not an answer
    fast = client.post(HEARTBEAT, headers=auth(token))
    assert fast.status_code == 200 and full_path["heartbeat"] == 0
    monkeypatch.setattr(exams_api, "_last_sweep", [0.0])  # a sweep is due: this one goes to the view
    full = client.post(HEARTBEAT, headers=auth(token))
    assert full.status_code == 200 and full_path["heartbeat"] == 1
    f, g = fast.get_json(), full.get_json()
    assert f["answered"] == 1 and f["total"] == 100 and f["state"] == "answering"
    for key in ("attempt_id", "state", "deadline", "answered", "total"):
        assert f[key] == g[key], key
    assert abs(f["remaining_seconds"] - g["remaining_seconds"]) <= 1
    with app.app_context():
        seen = attempt_of(cand).last_seen_at
    assert seen is not None and abs((seen - dt.datetime.now(dt.UTC)).total_seconds()) < 60


def test_a_heartbeat_past_the_deadline_is_finished_by_the_full_path(app, client, full_path):
    cand, token, meta = _setup(app, client)
    deadline = move_deadline(app, cand, -1)
    r = client.post(HEARTBEAT, headers=auth(token))
    assert r.status_code == 200 and r.get_json()["state"] == "submitted" and full_path["heartbeat"] == 1
    with app.app_context():
        assert attempt_of(cand).submitted_at == deadline


def test_unknown_token_heartbeat_is_401_from_the_full_path(app, client, full_path):
    assert_error(client.post(HEARTBEAT, headers=auth("y" * 43)), 401, "invalid_token")
    assert full_path["heartbeat"] == 1


def test_a_locked_database_answers_503_and_stores_nothing(app, client, full_path, monkeypatch):
    cand, token, meta = _setup(app, client)
    from app.exams import fastlane

    def locked(*_a, **_k):
        raise sa.exc.OperationalError("UPDATE", {}, Exception("database is locked"))
    monkeypatch.setattr(fastlane._Db, "read", locked)
    r = client.put(SAVE.format(1), json={"answer": "T", "seq": 1}, headers=auth(token))
    assert_error(r, 503, "unavailable")
    assert full_path["save"] == 0 and _stored(app, cand, 1) is None
