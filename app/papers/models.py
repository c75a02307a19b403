"""Blueprints (组卷方案), versioned; papers stored as snapshots of what was drawn."""
from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, created_at, intpk, str20, str100


class BlueprintStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"

    @property
    def label(self) -> str:
        return {"draft": "草稿", "active": "启用", "retired": "停用"}[self.value]


class Blueprint(Base):
    """One version of a subject's paper composition. Never edited once active: a change is a new version."""

    __tablename__ = "blueprints"
    __table_args__ = (sa.UniqueConstraint("item_id", "version"),)

    id: Mapped[intpk]
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("catalog_items.id"), index=True)
    version: Mapped[int]
    name: Mapped[str100]
    status: Mapped[str20] = mapped_column(default=BlueprintStatus.DRAFT, index=True)
    duration_minutes: Mapped[int]
    pass_mark: Mapped[int]
    total_points: Mapped[float]
    show_result_immediately: Mapped[bool] = mapped_column(default=True)
    # {"sections": [{"type", "count", "points", "difficulty": {"1": [min, max], …}}],
    #  "kp_rules": [{"kp", "min", "max"}]}
    spec: Mapped[dict] = mapped_column(sa.JSON)
    spec_hash: Mapped[str] = mapped_column(sa.String(64))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[created_at]
    activated_at: Mapped[dt.datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    item = relationship("CatalogItem", lazy="joined")


class Paper(Base):
    """The paper one candidate sits: question versions, order and option permutations, fixed at start."""

    __tablename__ = "papers"

    id: Mapped[intpk]
    blueprint_id: Mapped[int] = mapped_column(sa.ForeignKey("blueprints.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("catalog_items.id"), index=True)
    seed: Mapped[int] = mapped_column(sa.BigInteger)
    reused: Mapped[int] = mapped_column(default=0)
    total_points: Mapped[float]
    created_at: Mapped[created_at]

    blueprint: Mapped[Blueprint] = relationship(lazy="joined")
    questions: Mapped[list[PaperQuestion]] = relationship(order_by="PaperQuestion.position", lazy="select",
                                                          cascade="all, delete-orphan")


class PaperQuestion(Base):
    __tablename__ = "paper_questions"
    __table_args__ = (sa.UniqueConstraint("paper_id", "position"),)

    id: Mapped[intpk]
    paper_id: Mapped[int] = mapped_column(sa.ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]  # 1-based, display order
    section: Mapped[int]
    question_version_id: Mapped[int] = mapped_column(sa.ForeignKey("question_versions.id"), index=True)
    option_order: Mapped[list] = mapped_column(sa.JSON, default=list)
    points: Mapped[float]

    version = relationship("QuestionVersion", lazy="joined")
