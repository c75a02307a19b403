"""The question bank: knowledge points, questions and their immutable versions."""
from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, created_at, intpk, str20, str50, str200, updated_at


class QuestionStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"

    @property
    def label(self) -> str:
        return {"draft": "草稿", "active": "启用", "retired": "停用"}[self.value]


class Pool(StrEnum):
    EXAM = "exam"
    PRACTICE = "practice"
    PUBLIC = "public"

    @property
    def label(self) -> str:
        return POOL_LABELS[self]


POOL_LABELS = {Pool.EXAM: "考试", Pool.PRACTICE: "练习", Pool.PUBLIC: "公众"}
POOL_BY_LABEL = {v: k for k, v in POOL_LABELS.items()}
SOURCE_TIERS = ("国家级", "省级", "市级")

question_items = sa.Table(
    "question_items",
    Base.metadata,
    sa.Column("question_id", sa.ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("item_id", sa.ForeignKey("catalog_items.id"), primary_key=True),
)


class KnowledgePoint(Base):
    __tablename__ = "knowledge_points"
    __table_args__ = (sa.UniqueConstraint("item_id", "path"),)

    id: Mapped[intpk]
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("catalog_items.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("knowledge_points.id"))
    name: Mapped[str200]
    path: Mapped[str200]  # "一级/二级"
    sort_order: Mapped[int] = mapped_column(default=0)

    @property
    def top(self) -> str:
        return self.path.split("/", 1)[0]


class Question(Base):
    """A question's identity, status and pool; its content lives in versions."""

    __tablename__ = "questions"

    id: Mapped[intpk]
    external_key: Mapped[str50] = mapped_column(unique=True)  # 编号
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("catalog_items.id"), index=True)  # owning subject
    status: Mapped[str20] = mapped_column(default=QuestionStatus.DRAFT, index=True)
    pool: Mapped[str20] = mapped_column(index=True)
    # The version shown and drawn now. Kept by services; not a foreign key because the
    # two tables point at each other.
    current_version_id: Mapped[int | None] = mapped_column(index=True)
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    item = relationship("CatalogItem", lazy="joined")
    items = relationship("CatalogItem", secondary=question_items, lazy="selectin", order_by="CatalogItem.sort_order")
    versions: Mapped[list[QuestionVersion]] = relationship(
        back_populates="question", order_by="QuestionVersion.version_no", lazy="select",
        foreign_keys="QuestionVersion.question_id")

    @property
    def current(self) -> QuestionVersion | None:
        for v in self.versions:
            if v.id == self.current_version_id:
                return v
        return None


class QuestionVersion(Base):
    """What a candidate saw: never changed once a paper may point at it."""

    __tablename__ = "question_versions"
    __table_args__ = (sa.UniqueConstraint("question_id", "version_no"),)

    id: Mapped[intpk]
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id"), index=True)
    version_no: Mapped[int]
    qtype: Mapped[str20]
    stem: Mapped[str] = mapped_column(sa.Text)
    stem_image: Mapped[str | None] = mapped_column(sa.String(64))
    options: Mapped[list] = mapped_column(sa.JSON, default=list)
    answer: Mapped[str] = mapped_column(sa.String(10))
    explanation: Mapped[str] = mapped_column(sa.Text)
    knowledge_point_id: Mapped[int] = mapped_column(sa.ForeignKey("knowledge_points.id"), index=True)
    difficulty: Mapped[int]
    source: Mapped[str20]
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[created_at]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    change_note: Mapped[str200] = mapped_column(default="")
    # A wrong key found after use: graded with this instead, for everyone who saw this version.
    corrected_answer: Mapped[str | None] = mapped_column(sa.String(10))
    corrected_at: Mapped[dt.datetime | None]
    correction_reason: Mapped[str200] = mapped_column(default="", server_default="")

    @property
    def effective_answer(self) -> str:
        return self.corrected_answer or self.answer

    question: Mapped[Question] = relationship(back_populates="versions", foreign_keys=[question_id])
    knowledge_point: Mapped[KnowledgePoint] = relationship(lazy="joined")


class BankGeneration(Base):
    """Changed whenever a subject's bank changes, so cached indexes know to rebuild. A random
    token rather than a counter: a rolled-back change can never make an old value come back."""

    __tablename__ = "bank_generations"

    item_id: Mapped[int] = mapped_column(sa.ForeignKey("catalog_items.id"), primary_key=True)
    generation: Mapped[str] = mapped_column(sa.String(32))


__all__ = ["KnowledgePoint", "Question", "QuestionVersion", "BankGeneration", "Pool", "QuestionStatus",
           "POOL_LABELS", "POOL_BY_LABEL", "SOURCE_TIERS", "question_items", "str50"]
