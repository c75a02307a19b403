"""Access through the terminal API: a token opens exactly one attempt, and no key leaves the server
before grading (not in any API response, nor in the kiosk page or its script)."""
from __future__ import annotations

import json
import re

import pytest

from tests.exams.test_api import (  # noqa: F401 - the module-wide bank and the per-test savepoint
    _transaction,
    api_login,
    assert_error,
    attempt_of,
    auth,
    bank,
    candidates,
    logged_in,
    original_to_shown,
    paper_meta,
)

KEYISH = re.compile(r"answer(?!ed$)|key|correct|explanation|solution|analysis|right", re.I)  # "answered" is a count
FORBIDDEN_WORDS = ("explanation", "answer_key", "correct", "解析")
QUESTION_FIELDS = {"position", "type", "points", "stem", "options"}
OPTION_FIELDS = {"letter", "text"}
STATE_FIELDS = {"attempt_id", "state", "server_time", "deadline", "remaining_seconds", "answered", "total", "candidate",
                "item", "room", "seat", "show_result"}
# Every field the contract (/tmp/api_contract.md) allows in a 2xx body: anything else is a place a key could hide.
ALLOWED_TOP = {
    "login": {"token", "attempt"},
    "paper": STATE_FIELDS | {"duration_minutes", "pass_mark", "instructions", "questions", "answers"},
    "state": STATE_FIELDS,
    "save": {"position", "seq", "saved", "server_time", "deadline", "state"},
    "submit": {"state", "result"},
}


def _wrong_shown(meta_item) -> str:
    """A displayed answer that is not the key (so a stored answer can never be mistaken for a leak)."""
    key = original_to_shown(meta_item.key, meta_item.order)
    if meta_item.qtype == "judge":
        return "F" if key == "T" else "T"
    return next(chr(65 + i) for i in range(len(meta_item.order)) if chr(65 + i) != key)


def _walk(value, path=()):
    """Yield (path, key, value) for every dict entry in a JSON document."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield path, k, v
            yield from _walk(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, (*path, i))


def assert_no_key(response, meta: dict, saved: dict[int, str]):
    """The response reveals no key: no key-like field (other than the candidate's own saved answers, which
    are known to be wrong), no question field beyond the whitelist, no explanation text, no telltale word."""
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    text = response.get_data(as_text=True)
    for word in FORBIDDEN_WORDS:
        assert word.lower() not in text.lower(), word
    for m in meta.values():
        if m.explanation:
            assert m.explanation not in text
    body = response.get_json()
    assert any(set(body) <= allowed for allowed in ALLOWED_TOP.values()), set(body)
    if "attempt" in body:
        assert set(body["attempt"]) <= STATE_FIELDS
    if isinstance(body.get("candidate"), dict):
        assert set(body["candidate"]) <= {"name", "masked_id", "photo_url"}
    for entry in (body.get("answers") or {}).values():
        assert set(entry) <= {"answer", "seq", "flagged"}
    for q in body.get("questions", []):
        assert set(q) <= QUESTION_FIELDS, set(q) - QUESTION_FIELDS
        for option in q["options"]:
            assert set(option) <= OPTION_FIELDS, set(option) - OPTION_FIELDS
    for path, key, value in _walk(body):
        if not KEYISH.search(str(key)):
            continue
        if path == () and key == "answers" and isinstance(value, dict):
            assert {int(p) for p in value} == set(saved), value
            continue
        if len(path) == 2 and path[0] == "answers" and key == "answer":
            position = int(path[1])
            m = meta[position]
            assert value == saved[position], (position, value)
            assert value != original_to_shown(m.key, m.order)
            continue
        if len(path) >= 1 and path[0] == "questions":
            pytest.fail(f"question field {key!r} in {path}")
        pytest.fail(f"key-like field {key!r}={value!r} at {path}")
    # Belt and braces: per question, the key in displayed letters is never the value of a key-like field.
    for path, key, value in _walk(body):
        if KEYISH.search(str(key)) and len(path) >= 2 and path[0] == "questions":
            m = meta[body["questions"][path[1]]["position"]]
            assert value not in (m.key, original_to_shown(m.key, m.order))


def test_no_route_of_the_api_takes_an_attempt_id(app):
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1")]
    assert rules
    for rule in rules:
        assert set(rule.arguments) <= {"position"}, rule.rule


def test_a_token_reaches_only_its_own_attempt(app, client):
    a, b = candidates(app, 2)
    token_a, token_b = logged_in(client, a, "T-A"), logged_in(client, b, "T-B")
    with app.app_context():
        attempt_a, attempt_b = attempt_of(a), attempt_of(b)
        id_a, id_b = attempt_a.id, attempt_b.id
        assert attempt_a.paper_id != attempt_b.paper_id
    assert id_a != id_b and token_a != token_b

    paper_a = client.get(f"/api/v1/attempt?attempt_id={id_b}", headers=auth(token_a)).get_json()
    paper_b = client.get("/api/v1/attempt", headers=auth(token_b)).get_json()
    assert paper_a["attempt_id"] == id_a and paper_a["candidate"]["name"] == a.name
    assert paper_b["attempt_id"] == id_b and paper_b["candidate"]["name"] == b.name

    # A writes with a body naming B's attempt: it lands in A's attempt only.
    r = client.put("/api/v1/attempt/answers/1", json={"answer": "T", "seq": 5, "attempt_id": id_b,
                                                      "registration_id": b.reg_id}, headers=auth(token_a))
    assert r.status_code == 200 and r.get_json()["saved"] is True
    with app.app_context():
        assert [(x.position, x.seq) for x in attempt_of(a).answers] == [(1, 5)]
        assert attempt_of(b).answers == []
    # B's own seq counter is independent of A's.
    r = client.put("/api/v1/attempt/answers/1", json={"answer": "F", "seq": 1}, headers=auth(token_b))
    assert r.status_code == 200 and r.get_json()["saved"] is True

    # Every response to A's token speaks only of A.
    calls = [client.get("/api/v1/attempt", headers=auth(token_a)),
             client.post("/api/v1/attempt/heartbeat", headers=auth(token_a)),
             client.put("/api/v1/attempt/answers/2", json={"answer": "F", "seq": 6}, headers=auth(token_a))]
    for resp in calls:
        assert resp.status_code == 200
        text = resp.get_data(as_text=True)
        assert b.name not in text and b.ticket not in text and b.id_number not in text and a.id_number not in text
        body = resp.get_json()
        assert body.get("attempt_id", id_a) == id_a

    # A submits: only A is finished; B goes on.
    assert client.post("/api/v1/attempt/submit", json={"attempt_id": id_b}, headers=auth(token_a)).status_code == 200
    with app.app_context():
        assert attempt_of(a).status == "submitted" and attempt_of(b).status == "answering"
        assert {x.position for x in attempt_of(b).answers} == {1}
    hb = client.post("/api/v1/attempt/heartbeat", headers=auth(token_b)).get_json()
    assert hb["state"] == "answering" and hb["attempt_id"] == id_b

    # Crossed credentials open nothing; A logging in again does not disturb B's token.
    assert_error(client.post("/api/v1/terminal/login", json={"admission_no": a.ticket, "id_number": b.id_number}),
                 401, "login_failed")
    assert_error(client.post("/api/v1/terminal/login", json={"admission_no": b.ticket, "id_number": a.id_number}),
                 401, "login_failed")
    assert client.get("/api/v1/attempt", headers=auth(token_b)).status_code == 200


def test_a_logged_in_staff_session_opens_no_attempt(app, client, login, world):
    """The API ignores cookies: a proctor's (or the candidate role's) web login reaches no attempt."""
    from app.accounts.models import Role
    a, = candidates(app)
    logged_in(client, a)
    for role in (Role.PROCTOR, Role.CANDIDATE, Role.ADMIN):
        login(role)
        assert_error(client.get("/api/v1/attempt"), 401, "invalid_token")
        assert_error(client.put("/api/v1/attempt/answers/1", json={"answer": "T", "seq": 1}), 401, "invalid_token")
        assert_error(client.post("/api/v1/attempt/submit"), 401, "invalid_token")


def test_no_response_contains_the_key_before_grading(app, client):
    cand, other = candidates(app, 2)
    login_response = api_login(client, cand, "T-1")
    token = login_response.get_json()["token"]
    with app.app_context():
        meta = paper_meta(attempt_of(cand))
    assert_no_key(login_response, meta, {})
    assert_no_key(client.get("/api/v1/attempt", headers=auth(token)), meta, {})

    saved = {}
    singles = [p for p, m in sorted(meta.items()) if m.qtype == "single"][:8]
    judges = [p for p, m in sorted(meta.items()) if m.qtype == "judge"][:8]
    for seq, pos in enumerate(singles + judges, start=1):
        saved[pos] = _wrong_shown(meta[pos])
        r = client.put(f"/api/v1/attempt/answers/{pos}", json={"answer": saved[pos], "seq": seq}, headers=auth(token))
        assert_no_key(r, meta, {})
        # a replay (older seq) carrying the right answer is ignored, and its response reveals nothing
        right = original_to_shown(meta[pos].key, meta[pos].order)
        r = client.put(f"/api/v1/attempt/answers/{pos}", json={"answer": right, "seq": seq}, headers=auth(token))
        assert r.get_json()["saved"] is False
        assert_no_key(r, meta, {})
    assert_no_key(client.post("/api/v1/attempt/heartbeat", headers=auth(token)), meta, {})
    assert_no_key(client.get("/api/v1/attempt", headers=auth(token)), meta, saved)
    # A reload (login again on the same terminal) too.
    relogin = api_login(client, cand, "T-1")
    assert_no_key(relogin, meta, {})
    token = relogin.get_json()["token"]
    assert_no_key(client.get("/api/v1/attempt", headers=auth(token)), meta, saved)
    # The other candidate's view is clean as well (and shows none of the first candidate's answers).
    token_other = logged_in(client, other, "T-2")
    with app.app_context():
        meta_other = paper_meta(attempt_of(other))
    assert_no_key(client.get("/api/v1/attempt", headers=auth(token_other)), meta_other, {})
    with app.app_context():
        assert attempt_of(cand).graded_at is None  # all of the above was before grading


def test_every_key_mapped_to_displayed_letters_is_absent_from_key_like_fields(app, client):
    """The brief's literal check: for each question, its key in displayed letters is not the value of any
    field named like answer/key/correct/explanation anywhere in GET /attempt (no answers saved)."""
    cand, = candidates(app)
    token = logged_in(client, cand)
    with app.app_context():
        meta = paper_meta(attempt_of(cand))
    body = client.get("/api/v1/attempt", headers=auth(token)).get_json()
    keyish_values = [v for _, k, v in _walk(body) if KEYISH.search(str(k))]
    assert keyish_values == [{}]  # only the (empty) saved answers
    by_position = {q["position"]: q for q in body["questions"]}
    for pos, m in meta.items():
        shown_key = original_to_shown(m.key, m.order)
        q = by_position[pos]
        assert all(v != shown_key for k, v in q.items() if KEYISH.search(k))
        assert json.dumps(q, ensure_ascii=False).count(f'"{shown_key}"') <= (1 if m.qtype == "single" else 0)
        # the only place a single choice's displayed key letter may appear is its own option letter
        if m.qtype == "single":
            assert [o["letter"] for o in q["options"]].count(shown_key) == 1


def test_after_submit_the_result_has_score_and_breakdown_but_no_key(app, client):
    cand, = candidates(app)
    token = logged_in(client, cand)
    with app.app_context():
        meta = paper_meta(attempt_of(cand))
    saved = {}
    for seq, pos in enumerate(sorted(meta)[:20], start=1):
        saved[pos] = _wrong_shown(meta[pos])
        assert client.put(f"/api/v1/attempt/answers/{pos}", json={"answer": saved[pos], "seq": seq},
                          headers=auth(token)).status_code == 200
    r = client.post("/api/v1/attempt/submit", headers=auth(token))
    assert r.status_code == 200
    body = r.get_json()
    assert set(body) == {"state", "result"} and body["state"] == "submitted"
    result = body["result"]
    assert set(result) == {"score", "passed", "pass_mark", "by_kp"}
    assert result["score"] == 0 and result["passed"] is False
    assert result["by_kp"] and all(set(k) == {"kp", "earned", "possible"} for k in result["by_kp"])
    assert sum(k["possible"] for k in result["by_kp"]) == 100
    text = r.get_data(as_text=True)
    for word in FORBIDDEN_WORDS:
        assert word not in text.lower()
    for m in meta.values():
        assert m.explanation not in text
    # Still no per-question key in what the terminal can fetch afterwards.
    assert_no_key(client.get("/api/v1/attempt", headers=auth(token)), meta, saved)
    assert_no_key(client.post("/api/v1/attempt/heartbeat", headers=auth(token)), meta, {})
    assert_no_key(client.post("/api/v1/attempt/submit", headers=auth(token)), meta, {})


def test_the_kiosk_page_and_script_carry_no_key(app, client):
    with app.test_request_context():
        from flask import url_for
        page_url = url_for("exams.terminal")
    page = client.get(page_url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    sources = [html]
    for src in re.findall(r'<script[^>]+src="([^"]+)"', html):
        if src.startswith("/"):
            r = client.get(src)
            assert r.status_code == 200
            sources.append(r.get_data(as_text=True))
            r.close()
    assert len(sources) >= 2  # the page and its own script
    for text in sources:
        assert "answer_key" not in text and "explanation" not in text and "解析" not in text
