"""The terminal's two frequent calls — the autosave and the heartbeat — answered in front of Flask.

With 1,000 terminals sitting at once the server receives about 180 autosaves and 70 heartbeats a
second. Each is a few hundred microseconds of real work (one read, one guarded write), but going
through Flask's routing and hooks, the ORM session and SQL compilation costs several milliseconds
of CPU, and on a 2-core server that is what decides the latency. This WSGI middleware answers the
*common case* of those two calls — a well-formed request for an attempt that is answering in time —
with fixed SQL on a pooled connection, and hands everything else, body intact, to the Flask views in
``app.exams.api``: a bad token, malformed input, a paused, finished or expired attempt, an answer the
question type refuses, a due sweep. Those views stay the single authority for errors, for finishing
an expired attempt and for every other state; the fast lane only ever answers with the 200 that the
full path would give, or steps aside.

The rules it applies are the full path's (``autosave.save_answer``, ``delivery.heartbeat``):
- an answer is written only while the attempt is answering and not past its deadline plus the grace,
  checked by the UPDATE that records the sign of life, in the same transaction as the answer, so a
  concurrent submit or pause (which lock the row) is either before or after it, never in between;
- the answer is stored only when its seq is newer than the stored one — the database compares, in
  one INSERT … ON CONFLICT DO UPDATE … WHERE statement;
- on SQLite the reading happens in a read transaction, and the write transaction is short and takes
  the write lock up front (``BEGIN IMMEDIATE`` through ``app.core.database``'s engine events).

``save()`` and ``heartbeat()`` take ``now``, so that tests drive them with their own clock;
they return the response body or None ("step aside").
"""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import logging
import re
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from app.core.database import deferred
from app.core.security import CSP
from app.exams.delivery import GRACE_SECONDS_DEFAULT, _hash, _iso, clock_body, to_original
from app.exams.models import AttemptStatus
from app.questions.types import KeyError_, kind

log = logging.getLogger(__name__)

SAVE_PREFIX = "/api/v1/attempt/answers/"
SAVE_PATH = re.compile(r"/api/v1/attempt/answers/([1-9][0-9]{0,3})\Z")
HEARTBEAT_PATH = "/api/v1/attempt/heartbeat"
MAX_BODY = 4096  # an autosave is ~50 bytes; anything larger goes to the full path and its limits
ANSWERING = AttemptStatus.ANSWERING.value

# Written with "?" placeholders (SQLite); "%s" for PostgreSQL (psycopg).
SQL = {
    "question": (
        "SELECT pq.option_order, qv.qtype FROM attempts a"
        " JOIN paper_questions pq ON pq.paper_id = a.paper_id AND pq.position = ?"
        " JOIN question_versions qv ON qv.id = pq.question_version_id"
        " WHERE a.token_hash = ?"),
    "touch_answering": (
        "UPDATE attempts SET last_seen_at = ?"
        " WHERE token_hash = ? AND status = ? AND (deadline_at IS NULL OR deadline_at >= ?)"
        " RETURNING id, deadline_at"),
    "upsert": (
        "INSERT INTO attempt_answers (attempt_id, position, answer, seq, flagged, saved_at)"
        " VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (attempt_id, position) DO UPDATE SET answer = excluded.answer, seq = excluded.seq,"
        " saved_at = excluded.saved_at{flag} WHERE attempt_answers.seq < excluded.seq"
        " RETURNING seq"),
    "stored_seq": "SELECT seq FROM attempt_answers WHERE attempt_id = ? AND position = ?",
    "clock": (
        "SELECT a.id, a.status, a.deadline_at, a.paused_at,"
        " (SELECT count(*) FROM attempt_answers aa WHERE aa.attempt_id = a.id AND aa.answer IS NOT NULL),"
        " (SELECT count(*) FROM paper_questions pq WHERE pq.paper_id = a.paper_id)"
        " FROM attempts a WHERE a.token_hash = ?"),
    "touch": "UPDATE attempts SET last_seen_at = ? WHERE id = ? AND status = ? RETURNING id",
}

SECURITY_HEADERS = [
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "geolocation=(), microphone=()"),
    ("Cache-Control", "no-store"),
]


class _Db:
    """Fixed statements on the application's bind, in the dialect's placeholder style. The bind is
    looked up per call: an Engine in production; tests put one Connection with an outer transaction
    in its place, and then each transaction here is a savepoint on it."""

    def __init__(self, engines: dict):
        self.engines = engines
        bind = engines[None]
        self.sqlite = bind.dialect.name == "sqlite"
        style = (lambda s: s) if self.sqlite else (lambda s: s.replace("?", "%s"))
        self.sql = {name: style(text) for name, text in SQL.items()}
        self.sql["upsert_flag"] = style(SQL["upsert"].format(flag=", flagged = excluded.flagged"))
        self.sql["upsert"] = style(SQL["upsert"].format(flag=""))

    def when(self, value: dt.datetime):
        """A UTC timestamp as the column stores it (SQLAlchemy's SQLite format; timestamptz on PostgreSQL)."""
        if self.sqlite:
            return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        return value

    @staticmethod
    def parse_when(value) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)

    @contextlib.contextmanager
    def connection(self):
        """(connection, nested) for one request; a pooled connection is returned to the pool after it."""
        bind = self.engines[None]
        if isinstance(bind, sa.Engine):
            with bind.connect() as conn:
                yield conn, False
        else:
            yield bind, True  # the tests' shared connection: savepoints, and it is not closed here

    @staticmethod
    def writing(conn, nested: bool):
        """A write transaction (on SQLite, BEGIN IMMEDIATE through the engine's events): committed at the
        end of the block unless rolled back in it, rolled back if the block raises."""
        return conn.begin_nested() if nested else conn.begin()

    def read(self, conn, nested: bool, name: str, params: tuple):
        """All rows of one read. On SQLite a plain (deferred) transaction: no write lock is taken."""
        if nested:
            return conn.exec_driver_sql(self.sql[name], params).fetchall()
        with deferred():
            try:
                return conn.exec_driver_sql(self.sql[name], params).fetchall()
            finally:
                conn.rollback()


def _normalised(data) -> tuple | None:
    """(answer, seq, flagged) of a well-formed autosave body, else None (the full path says why)."""
    if not isinstance(data, dict):
        return None
    answer, seq, flagged = data.get("answer"), data.get("seq"), data.get("flagged")
    if type(seq) is not int or not 1 <= seq <= 10**9:
        return None
    if flagged is not None and type(flagged) is not bool:
        return None
    if answer is not None and not (isinstance(answer, str) and len(answer) <= 20) and not (
            isinstance(answer, list) and len(answer) <= 8 and all(isinstance(x, str) for x in answer)):
        return None
    return answer, seq, flagged


def _token_hash(token: str | None) -> str | None:
    return _hash(token) if token and len(token) <= 200 else None


def save(db: _Db, token: str | None, position: int, data, now: dt.datetime, grace: dt.timedelta) -> dict | None:
    """The autosave for an attempt answering in time: the response body, or None to step aside."""
    token_hash = _token_hash(token)
    parsed = _normalised(data)
    if token_hash is None or parsed is None or not 1 <= position <= 1000:
        return None
    answer, seq, flagged = parsed
    with db.connection() as (conn, nested):
        rows = db.read(conn, nested, "question", (position, token_hash))
        if not rows:
            return None  # unknown token or no such question: the full path answers 401/404
        order, qtype = rows[0]
        if isinstance(order, str):
            order = json.loads(order)
        order = order or []
        try:
            shown = kind(qtype).normalise_response(answer, len(order))
        except (KeyError_, KeyError, ValueError):
            return None  # the full path answers 422 with the reason
        original = to_original(shown, order) if shown else None
        at = db.when(now)
        with db.writing(conn, nested) as tx:
            touched = conn.exec_driver_sql(db.sql["touch_answering"],
                                           (at, token_hash, ANSWERING, db.when(now - grace))).fetchall()
            if not touched:
                tx.rollback()
                return None  # paused, finished or past the deadline meanwhile: the full path decides
            attempt_id, deadline = touched[0]
            if flagged is None:
                stmt, params = db.sql["upsert"], (attempt_id, position, original, seq, False, at)
            else:
                stmt, params = db.sql["upsert_flag"], (attempt_id, position, original, seq, flagged, at)
            if conn.exec_driver_sql(stmt, params).fetchall():
                stored, saved = seq, True
            else:
                stored = conn.exec_driver_sql(db.sql["stored_seq"], (attempt_id, position)).scalar()
                saved = False
    return {"position": position, "seq": stored, "saved": saved, "server_time": _iso(now),
            "deadline": _iso(db.parse_when(deadline)), "state": ANSWERING}


def heartbeat(db: _Db, token: str | None, now: dt.datetime) -> dict | None:
    """The heartbeat of an attempt not due to be finished: the clock part of its state, or None."""
    token_hash = _token_hash(token)
    if token_hash is None:
        return None
    with db.connection() as (conn, nested):
        rows = db.read(conn, nested, "clock", (token_hash,))
        if not rows:
            return None
        attempt_id, status, deadline, paused_at, answered, total = rows[0]
        deadline, paused_at = db.parse_when(deadline), db.parse_when(paused_at)
        if status == ANSWERING and deadline is not None and now >= deadline:
            return None  # the full path finishes it, with the deadline as finish time
        with db.writing(conn, nested) as tx:
            touched = conn.exec_driver_sql(db.sql["touch"], (db.when(now), attempt_id, status)).fetchall()
            if not touched:
                tx.rollback()
                return None  # changed meanwhile (paused, extra time, finished): the full path reads it again
    row = SimpleNamespace(id=attempt_id, status=status, deadline_at=deadline, paused_at=paused_at)
    return clock_body(row, answered, total, now)


class TerminalFastLane:
    """WSGI middleware: see the module's docstring."""

    def __init__(self, wsgi_app, engines: dict, config, sweep_due):
        self.next = wsgi_app
        self.db = _Db(engines)
        self.config = config  # read per request: the grace may be changed while the app runs
        self.sweep_due = sweep_due

    def __call__(self, environ, start_response):
        method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO", "")
        if method == "PUT" and path.startswith(SAVE_PREFIX):
            match = SAVE_PATH.match(path)
            if match is None:
                return self.next(environ, start_response)
            position = int(match.group(1))
            body = self._body(environ)
            if body is None:
                return self.next(environ, start_response)
            try:
                data = json.loads(body)
            except ValueError:
                return self.next(environ, start_response)
            grace = dt.timedelta(seconds=self.config.get("EXAM_GRACE_SECONDS", GRACE_SECONDS_DEFAULT))
            answer = lambda now: save(self.db, self._bearer(environ), position, data, now, grace)  # noqa: E731
        elif method == "POST" and path == HEARTBEAT_PATH and not self.sweep_due():
            answer = lambda now: heartbeat(self.db, self._bearer(environ), now)  # noqa: E731
        else:
            return self.next(environ, start_response)
        try:
            out = answer(dt.datetime.now(dt.UTC))
        except OperationalError:
            # The database stayed locked past the busy timeout, or is gone: nothing was stored. The
            # terminal keeps the change and sends it again (it retries a 503 with a backoff).
            log.warning("terminal fast lane: database unavailable", exc_info=True)
            return self._respond(start_response, "503 Service Unavailable", {"error": {
                "code": "unavailable", "message": "服务器繁忙，本次未保存，将自动重试"}})
        except Exception:  # noqa: BLE001 - whatever went wrong, the full path answers (both are idempotent)
            log.exception("terminal fast lane failed; the request goes through the full path")
            out = None
        if out is None:
            return self.next(environ, start_response)
        return self._respond(start_response, "200 OK", out)

    @staticmethod
    def _bearer(environ) -> str | None:
        header = environ.get("HTTP_AUTHORIZATION", "")
        return header[7:].strip() if header.startswith("Bearer ") else None

    @staticmethod
    def _body(environ) -> bytes | None:
        """The JSON body (and the input put back for the full path), or None when it is not a small JSON body."""
        if not environ.get("CONTENT_TYPE", "").startswith("application/json"):
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            return None
        if not 0 < length <= MAX_BODY:
            return None
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return body

    @staticmethod
    def _respond(start_response, status: str, payload: dict):
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                                *SECURITY_HEADERS])
        return [body]
