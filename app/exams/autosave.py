"""The autosave of the terminal: an answer stored only when newer than what is stored, the fast path
that reads outside the write lock, and the full path for attempts that are not answering in time."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.core.database import read_only
from app.exams.delivery import ApiError, _grace, _hash, _iso, finish_if_expired, to_original
from app.exams.models import Attempt, AttemptAnswer, AttemptStatus
from app.extensions import db
from app.papers.models import PaperQuestion
from app.questions.models import QuestionVersion
from app.questions.types import KeyError_, kind


def _check_save_input(position, seq) -> None:
    if not isinstance(position, int) or not 1 <= position <= 1000:
        raise ApiError(404, "no_such_question", "没有这道题")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1 or seq > 10**9:
        raise ApiError(422, "invalid_answer", "保存序号无效，请刷新页面")


def _original_answer(paper_id: int, position: int, answer) -> str | None:
    """The candidate's answer (displayed letters) in the original option letters; ApiError 404/422."""
    row = db.session.execute(
        sa.select(PaperQuestion.option_order, QuestionVersion.qtype)
        .join(QuestionVersion, QuestionVersion.id == PaperQuestion.question_version_id)
        .where(PaperQuestion.paper_id == paper_id, PaperQuestion.position == position)).first()
    if row is None:
        raise ApiError(404, "no_such_question", "没有这道题")
    if answer is None:
        return None
    order = row.option_order or []
    try:
        shown = kind(row.qtype).normalise_response(answer, len(order))
    except KeyError_ as exc:
        raise ApiError(422, "invalid_answer", str(exc)) from None
    return to_original(shown, order) if shown else None


def _store_answer(attempt_id: int, position: int, original: str | None, seq: int, flagged, now: dt.datetime) -> tuple[int, bool]:
    """One statement: insert the answer, or replace it only when ``seq`` is newer than the stored one
    (the database compares, so two racing saves can never put an older answer over a newer one)."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    values = {"answer": original, "seq": seq, "saved_at": now}
    if flagged is not None:
        values["flagged"] = bool(flagged)
    table = AttemptAnswer.__table__
    stmt = insert(table).values(attempt_id=attempt_id, position=position, flagged=bool(flagged), answer=original,
                                seq=seq, saved_at=now)
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.attempt_id, table.c.position], set_=values,
                                      where=table.c.seq < seq)
    if db.session.execute(stmt.returning(table.c.seq)).first() is not None:  # (rowcount is -1 on psycopg)
        return seq, True
    stored = db.session.scalar(sa.select(table.c.seq).where(table.c.attempt_id == attempt_id, table.c.position == position))
    return stored, False


def save_answer_by_token(token: str | None, position: int, data, now: dt.datetime) -> dict | None:
    """The autosave as the terminal sends it. Everything that only reads — the attempt, the question,
    checking and translating the answer — runs before the write lock is taken; the write transaction
    is two statements: the attempt's last-seen time, only while it is answering in time (which also
    locks its row against a concurrent submit), and the answer upsert guarded by seq. Returns the
    response body, or None when the attempt is not answering in time (paused, finished, past the
    deadline and grace): the caller then takes ``save_answer``, which finishes or refuses as the rules
    say. Raises ApiError 400/401/404/422 for bad input."""
    if not token or len(token) > 200:
        raise ApiError(401, "invalid_token", "登录已失效，请重新登录")
    with read_only():
        row = db.session.execute(
            sa.select(Attempt.id, Attempt.status, Attempt.deadline_at, Attempt.paper_id)
            .where(Attempt.token_hash == _hash(token))).first()
        if row is None:
            raise ApiError(401, "invalid_token", "登录已失效，请重新登录")
        if not isinstance(data, dict):
            raise ApiError(400, "bad_request", "请求格式不正确")
        answer, seq, flagged = data.get("answer"), data.get("seq"), data.get("flagged")
        _check_save_input(position, seq)
        if row.status != AttemptStatus.ANSWERING or (row.deadline_at is not None and now > row.deadline_at + _grace()):
            return None  # refused for the state before the answer is even looked at
        original = _original_answer(row.paper_id, position, answer)
    table = Attempt.__table__
    answering = db.session.execute(
        sa.update(table).where(table.c.id == row.id, table.c.status == AttemptStatus.ANSWERING,
                               sa.or_(table.c.deadline_at.is_(None), table.c.deadline_at >= now - _grace()))
        .values(last_seen_at=now).returning(table.c.id))
    if answering.first() is None:
        return None
    stored_seq, saved = _store_answer(row.id, position, original, seq, flagged, now)
    return {"position": position, "seq": stored_seq, "saved": saved, "server_time": _iso(now),
            "deadline": _iso(row.deadline_at), "state": AttemptStatus.ANSWERING}


def save_answer(attempt: Attempt, position: int, answer, seq, flagged, now: dt.datetime) -> tuple[int, bool]:
    """Store an answer unless it is older than what is stored. Returns (stored seq, saved).
    Raises ApiError: deadline_passed / not_answering (409), no_such_question (404), invalid_answer (422)."""
    _check_save_input(position, seq)
    if attempt.status == AttemptStatus.ANSWERING and attempt.deadline_at and now > attempt.deadline_at + _grace():
        finish_if_expired(attempt, now)
        raise ApiError(409, "deadline_passed", "考试时间已到，答案未保存")
    if attempt.status != AttemptStatus.ANSWERING:
        raise ApiError(409, "not_answering", "考试已暂停或已结束，暂时不能作答")
    original = _original_answer(attempt.paper_id, position, answer)
    db.session.flush()  # the ORM's pending changes first: the statements below bypass it
    stored_seq, saved = _store_answer(attempt.id, position, original, seq, flagged, now)
    if saved:
        attempt.last_seen_at = now
        db.session.flush()
    db.session.expire(attempt, ["answers"])
    return stored_seq, saved
