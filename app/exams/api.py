"""The terminal API (/api/v1): JSON only, bearer token per attempt, errors with a machine code and a
Chinese message. Thin views over app.exams.delivery; each write commits once."""
from __future__ import annotations

import threading
import time

from flask import Blueprint, current_app, g, jsonify, request

from app.core.database import write_intent
from app.db import utcnow
from app.exams import autosave, delivery
from app.exams.delivery import ApiError
from app.exams.openapi import SPEC
from app.extensions import client_ip, csrf, db, limiter

api = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(api)  # no cookies: the bearer token is what protects the writes

SWEEP_EVERY_SECONDS = 30
_last_sweep = [0.0]
_sweep_lock = threading.Lock()


@api.errorhandler(ApiError)
def _api_error(exc: ApiError):
    if exc.keep:
        db.session.commit()
    else:
        db.session.rollback()
    return jsonify(error={"code": exc.code, "message": exc.message}), exc.status


def _json() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "请求格式不正确")
    return data


def _token() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else None


def _login_failed() -> bool:
    return bool(g.get("api_login_failed"))


def _admission_key() -> str:
    data = request.get_json(silent=True) or {}
    return "terminal-login:" + str(data.get("admission_no", ""))[:40]


@api.route("/terminal/login", methods=["POST"])
@limiter.limit("600 per minute", key_func=client_ip)  # a room of terminals shares one address
@limiter.limit("10 per 15 minutes", key_func=_admission_key, deduct_when=lambda r: _login_failed())
def terminal_login():
    data = _json()
    try:
        attempt, token = delivery.terminal_login(data.get("admission_no"), data.get("id_number"),
                                                 request.headers.get("X-Terminal-Id", ""), utcnow())
    except ApiError as exc:
        if exc.code == "login_failed":
            g.api_login_failed = True
        raise
    body = {"token": token, "attempt": delivery.attempt_state(attempt, utcnow())}
    db.session.commit()  # last: nothing after the commit may touch the database again (see heartbeat)
    return jsonify(body)


@api.route("/attempt", methods=["GET"])
def attempt():
    now = utcnow()
    current = delivery.attempt_for_token(_token())
    if current.status == "answering" and current.deadline_at and now >= current.deadline_at:
        db.session.rollback()  # finishing writes: start again in a transaction that holds the write lock
        write_intent()
        current = delivery.attempt_for_token(_token(), for_update=True)
        delivery.finish_if_expired(current, now)
        db.session.commit()
    return jsonify(delivery.paper_payload(current, now))


@api.route("/attempt/answers/<int:position>", methods=["PUT"])
def save_answer(position: int):
    """The full path of the autosave: the common case is answered by app.exams.fastlane before Flask;
    this view gets what it steps aside from (and every save when it is switched off)."""
    now = utcnow()
    current = delivery.attempt_for_token(_token(), for_update=True)
    data = _json()
    try:
        seq, saved = autosave.save_answer(current, position, data.get("answer"), data.get("seq"),
                                          data.get("flagged"), now)
    except ApiError as exc:
        if exc.code == "deadline_passed":
            db.session.commit()  # the attempt was finished by this access
            return jsonify(error={"code": exc.code, "message": exc.message}), exc.status
        raise
    body = {"position": position, "seq": seq, "saved": saved, "server_time": delivery._iso(now),
            "deadline": delivery._iso(current.deadline_at), "state": current.status}
    db.session.commit()
    return jsonify(body)


@api.route("/attempt/heartbeat", methods=["POST"])
def heartbeat():
    """The full path of the heartbeat (see save_answer); it also runs the periodic sweep."""
    now = utcnow()
    current = delivery.attempt_for_token(_token(), for_update=True)
    delivery.heartbeat(current, now)
    # Built inside the transaction: after the commit, a lazy load would begin a new write
    # transaction and queue for the SQLite write lock a second time.
    body = delivery.attempt_state(current, now)
    db.session.commit()
    _maybe_sweep()
    return jsonify(body)


@api.route("/attempt/submit", methods=["POST"])
def submit():
    now = utcnow()
    current = delivery.attempt_for_token(_token(), for_update=True)
    result = delivery.submit(current, now)
    body = {"state": current.status, "result": result}
    db.session.commit()
    return jsonify(body)


@api.route("/openapi.json", methods=["GET"])
def openapi():
    return jsonify(SPEC)


def sweep_due() -> bool:
    """Whether this process's next heartbeat should run the sweep (the fast lane then steps aside)."""
    return time.monotonic() - _last_sweep[0] >= SWEEP_EVERY_SECONDS


def _maybe_sweep() -> None:
    """The running app finishes expired attempts itself: at most every 30 s per process, on a heartbeat."""
    if not sweep_due() or not _sweep_lock.acquire(blocking=False):
        return
    try:
        _last_sweep[0] = time.monotonic()
        delivery.sweep(utcnow())
        db.session.commit()
    except Exception:  # noqa: BLE001 - a failed sweep must not fail the heartbeat; the next one retries
        db.session.rollback()
        current_app.logger.exception("exam sweep failed")
    finally:
        _sweep_lock.release()
