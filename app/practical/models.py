"""Practical exams: loaded rubric versions, score sheets, drawn tasks and each examiner's marks."""
from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.errors import DomainError
from app.db import Base, created_at, intpk, str20, str50, updated_at


class Rubric(Base):
    """One version of an item's rubric (评分表), as loaded from question_bank/rubrics/. A sheet keeps
    the version it was scored with; a new file version adds a row and never changes an old one."""

    __tablename__ = "practical_rubrics"
    __table_args__ = (sa.UniqueConstraint("item_id", "version"),)

    id: Mapped[intpk]
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("catalog_items.id"), index=True)
    slug: Mapped[str50]
    version: Mapped[int]
    pass_mark: Mapped[int]
    content: Mapped[dict] = mapped_column(sa.JSON)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    loaded_at: Mapped[created_at]

    item = relationship("CatalogItem", lazy="joined")


class SheetStatus(StrEnum):
    SCORING = "scoring"      # examiners enter and sign
    DISPUTED = "disputed"    # both signed, a task differs by more than the threshold: the chief decides
    LOCKED = "locked"        # final; only the chief examiner or an admin may change it, with a reason

    @property
    def label(self) -> str:
        return {"scoring": "评分中", "disputed": "待主考评员裁定", "locked": "已签字锁定"}[self.value]


class DrawMode(StrEnum):
    SYSTEM = "system"        # drawn by the system
    CANDIDATE = "candidate"  # the candidate drew when the examiner pressed 抽题 in front of them

    @property
    def label(self) -> str:
        return {"system": "系统抽题", "candidate": "考生抽题"}[self.value]


class ScoreSheet(Base):
    """评分表 of one candidate's practical sitting (one registration)."""

    __tablename__ = "score_sheets"

    id: Mapped[intpk]
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id"), unique=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_sessions.id"), index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("catalog_items.id"), index=True)
    rubric_id: Mapped[int] = mapped_column(sa.ForeignKey("practical_rubrics.id"))
    status: Mapped[str20] = mapped_column(default=SheetStatus.SCORING, index=True)
    finals: Mapped[dict | None] = mapped_column(sa.JSON)  # task code → {"score", "vetoes", "source", "note"}
    total: Mapped[float | None]
    passed: Mapped[bool | None]
    veto_failed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[created_at]
    locked_at: Mapped[dt.datetime | None]
    published_at: Mapped[dt.datetime | None]

    rubric: Mapped[Rubric] = relationship(lazy="joined")
    registration = relationship("Registration", lazy="select")  # not on the entry path: an entry needs none of it
    tasks: Mapped[list[SheetTask]] = relationship(order_by="SheetTask.subject", lazy="selectin",
                                                  cascade="all, delete-orphan")
    marks: Mapped[list[ExaminerMark]] = relationship(order_by="ExaminerMark.position", lazy="selectin",
                                                     cascade="all, delete-orphan")

    @property
    def drawn(self) -> dict[str, str]:
        """Subject code → drawn task code."""
        return {t.subject: t.task_code for t in self.tasks}

    def mark_of(self, user_id: int) -> ExaminerMark | None:
        return next((m for m in self.marks if m.examiner_id == user_id), None)

    def require(self, *states: SheetStatus) -> None:
        """Refuse the action unless the sheet is in one of ``states``."""
        if self.status not in states:
            raise DomainError(f"评分表{SheetStatus(self.status).label}，不能进行此操作")

    def dispute(self) -> None:
        """Both signed and they disagree: the chief examiner decides."""
        self.require(SheetStatus.SCORING)
        self.status = SheetStatus.DISPUTED

    def lock(self, at: dt.datetime) -> None:
        """Sign-off complete (agreed, or decided by the chief): the sheet is final."""
        self.require(SheetStatus.SCORING, SheetStatus.DISPUTED)
        self.status = SheetStatus.LOCKED
        self.locked_at = at

    def publish(self, at: dt.datetime) -> None:
        """Make the result visible to the candidate and the employer."""
        self.require(SheetStatus.LOCKED)
        if self.published_at is None:
            self.published_at = at


class SheetTask(Base):
    """The task drawn for one subject, how (system or candidate) and with which seed."""

    __tablename__ = "sheet_tasks"
    __table_args__ = (sa.UniqueConstraint("sheet_id", "subject"),)

    id: Mapped[intpk]
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("score_sheets.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str20]
    task_code: Mapped[str20]
    drawn_by: Mapped[str20]
    seed: Mapped[int] = mapped_column(sa.BigInteger)
    draws: Mapped[int] = mapped_column(default=1)  # > 1: redrawn, each time with a reason in the audit log
    drawn_at: Mapped[created_at]


class ExaminerMark(Base):
    """One examiner's marks on a sheet (position 1 or 2), entered independently, then signed.

    ``marks``: task code → {"d": {point: deduction}, "n": {point: note}, "v": {veto: note}}.
    ``last_seq``: the last entry applied from the examiner's tablet; older ones are refused."""

    __tablename__ = "examiner_marks"
    __table_args__ = (sa.UniqueConstraint("sheet_id", "examiner_id"), sa.UniqueConstraint("sheet_id", "position"))

    id: Mapped[intpk]
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("score_sheets.id", ondelete="CASCADE"), index=True)
    examiner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    position: Mapped[int]
    marks: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    last_seq: Mapped[int] = mapped_column(default=0)
    confirmed: Mapped[bool] = mapped_column(default=False)  # the second examiner adopted the first's marks
    signed_at: Mapped[dt.datetime | None]
    updated_at: Mapped[updated_at]

    examiner = relationship("User", lazy="joined")
