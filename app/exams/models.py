"""Attempts at a theory paper and the answers given; graded at submit."""
from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, intpk, str20, utcnow


class AttemptStatus(StrEnum):
    ANSWERING = "answering"
    PAUSED = "paused"
    SUBMITTED = "submitted"    # finished: by the candidate, at the deadline, or by the sweep
    TERMINATED = "terminated"  # ended by the proctor for misconduct (recorded as an irregularity)

    @property
    def label(self) -> str:
        return {"answering": "答题中", "paused": "已暂停", "submitted": "已交卷", "terminated": "已终止"}[self.value]


FINISHED = (AttemptStatus.SUBMITTED, AttemptStatus.TERMINATED)


class Attempt(Base):
    __tablename__ = "attempts"

    id: Mapped[intpk]
    paper_id: Mapped[int] = mapped_column(sa.ForeignKey("papers.id"), unique=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("catalog_items.id"), index=True)
    registration_id: Mapped[int | None] = mapped_column(sa.ForeignKey("registrations.id"), unique=True)
    is_makeup: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str20] = mapped_column(default=AttemptStatus.ANSWERING, index=True)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[dt.datetime | None]
    paused_at: Mapped[dt.datetime | None]
    extra_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    token_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    terminal_id: Mapped[str | None] = mapped_column(sa.String(64))
    bound_at: Mapped[dt.datetime | None]
    last_seen_at: Mapped[dt.datetime | None]
    submitted_at: Mapped[dt.datetime | None]
    finished_reason: Mapped[str | None] = mapped_column(sa.String(20))
    graded_at: Mapped[dt.datetime | None]
    score: Mapped[float | None]
    passed: Mapped[bool | None]
    published_at: Mapped[dt.datetime | None]

    paper = relationship("Paper", lazy="select")  # not eager: every save loads its attempt by token
    answers: Mapped[list[AttemptAnswer]] = relationship(order_by="AttemptAnswer.position", lazy="select",
                                                        cascade="all, delete-orphan")


class AttemptAnswer(Base):
    """One answer, in the original option letters (the display permutation is undone on save)."""

    __tablename__ = "attempt_answers"

    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    answer: Mapped[str | None] = mapped_column(sa.String(10))
    seq: Mapped[int] = mapped_column(default=0)
    flagged: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    saved_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    is_correct: Mapped[bool | None]


class PreparedPaper(Base):
    """A paper drawn for a registration ahead of the exam (at check-in), so that the terminal login —
    when a whole room logs in within seconds — only binds it instead of drawing and storing 100 rows.
    Used by the login when it still fits the active blueprint, then removed."""

    __tablename__ = "prepared_papers"

    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id", ondelete="CASCADE"), primary_key=True)
    paper_id: Mapped[int] = mapped_column(sa.ForeignKey("papers.id"), unique=True)
    prepared_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Irregularity(Base):
    """考场记录 entries: misconduct, incidents, proctor notes."""

    __tablename__ = "irregularities"

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_sessions.id"), index=True)
    registration_id: Mapped[int | None] = mapped_column(sa.ForeignKey("registrations.id"), index=True)
    kind: Mapped[str20]
    note: Mapped[str] = mapped_column(sa.Text)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
