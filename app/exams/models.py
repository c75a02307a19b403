"""Attempts at a theory paper and the answers given; graded at submit."""
from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, intpk, str20, utcnow


class AttemptStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


class Attempt(Base):
    __tablename__ = "attempts"

    id: Mapped[intpk]
    paper_id: Mapped[int] = mapped_column(sa.ForeignKey("papers.id"), unique=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("catalog_items.id"), index=True)
    is_makeup: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str20] = mapped_column(default=AttemptStatus.IN_PROGRESS, index=True)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[dt.datetime | None]
    submitted_at: Mapped[dt.datetime | None]
    graded_at: Mapped[dt.datetime | None]
    score: Mapped[float | None]
    passed: Mapped[bool | None]

    paper = relationship("Paper", lazy="joined")
    answers: Mapped[list[AttemptAnswer]] = relationship(order_by="AttemptAnswer.position", lazy="selectin",
                                                        cascade="all, delete-orphan")


class AttemptAnswer(Base):
    """One answer, in the original option letters (the display permutation is undone on save)."""

    __tablename__ = "attempt_answers"

    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    answer: Mapped[str | None] = mapped_column(sa.String(10))
    seq: Mapped[int] = mapped_column(default=0)
    saved_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    is_correct: Mapped[bool | None]
