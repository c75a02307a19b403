"""The autosave of the terminal: an answer stored only when newer than what is stored. This is the full
path (the ORM, the attempt's row locked); the common case is answered by app.exams.fastlane."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.exams.delivery import ApiError, _grace, finish_if_expired, to_original
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
