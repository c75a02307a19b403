"""The portal's tables: campaign events, content items with versions, broadcast channels and slots,
public quiz questions (their own pool, never the exam bank), anonymous counters and the content
generation that keys the public page cache."""
from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.content.rules import ContentType
from app.core.errors import DomainError
from app.db import Base, UTCDateTime, created_at, intpk, str20, str50, str100, str200, updated_at, utcnow


class ItemStatus(StrEnum):
    DRAFT = "draft"          # the editor works on it
    PENDING = "pending"      # submitted, waiting for an admin
    APPROVED = "approved"    # approved for publication at published_at (public from then on)
    ARCHIVED = "archived"    # taken off the public site, kept

    @property
    def label(self) -> str:
        return {"draft": "草稿", "pending": "待审核", "approved": "已批准发布", "archived": "已归档"}[self.value]


item_events = sa.Table(
    "content_item_events", Base.metadata,
    sa.Column("item_id", sa.ForeignKey("content_items.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("event_id", sa.ForeignKey("campaign_events.id", ondelete="CASCADE"), primary_key=True),
)


class CampaignEvent(Base):
    """A yearly campaign day or period (DOMAIN.md §8); the yearly themes are data editors set."""

    __tablename__ = "campaign_events"

    id: Mapped[intpk]
    key: Mapped[str100] = mapped_column(unique=True)
    name: Mapped[str100]
    start_md: Mapped[str20]  # MM-DD
    end_md: Mapped[str20]
    rule: Mapped[str50 | None]
    hazards: Mapped[list] = mapped_column(sa.JSON, default=list)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    themes: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # {"2026": "…"}
    source_hash: Mapped[str | None] = mapped_column(sa.String(64))
    is_edited: Mapped[bool] = mapped_column(default=False)  # changed in the system: a file load keeps it
    updated_at: Mapped[updated_at]

    def theme(self, year: int) -> str:
        return (self.themes or {}).get(str(year), "")

    def snapshot(self) -> dict:
        return {"name": self.name, "start": self.start_md, "end": self.end_md, "rule": self.rule,
                "hazards": list(self.hazards or []), "description": self.description, "themes": dict(self.themes or {})}


class ContentHazard(Base):
    __tablename__ = "content_item_hazards"

    item_id: Mapped[int] = mapped_column(sa.ForeignKey("content_items.id", ondelete="CASCADE"), primary_key=True)
    hazard: Mapped[str20] = mapped_column(primary_key=True, index=True)


class ContentItem(Base):
    """One piece of public content, with its workflow status and its numbered versions."""

    __tablename__ = "content_items"
    __table_args__ = (sa.Index("ix_content_items_public", "status", "published_at"),)

    id: Mapped[intpk]
    key: Mapped[str100] = mapped_column(unique=True)
    type: Mapped[str20]
    status: Mapped[str20] = mapped_column(default=ItemStatus.DRAFT)
    title: Mapped[str200]
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")  # sanitised HTML
    search_text: Mapped[str] = mapped_column(sa.Text, default="")  # title + summary + plain body
    reading_seconds: Mapped[int] = mapped_column(default=0)  # broadcast scripts
    image_file: Mapped[str100 | None]  # re-encoded cover image (JPEG) under UPLOAD_ROOT/content
    media_file: Mapped[str100 | None]  # audio (MP3/M4A), video (MP4) or PDF, stored privately
    media_kind: Mapped[str20 | None]   # mp3 | m4a | mp4 | pdf
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)
    source_hash: Mapped[str | None] = mapped_column(sa.String(64))  # of the culture/ file last loaded
    is_edited: Mapped[bool] = mapped_column(default=False)
    review_note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    hazard_rows: Mapped[list[ContentHazard]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    events: Mapped[list[CampaignEvent]] = relationship(secondary=item_events, lazy="selectin",
                                                       order_by=CampaignEvent.start_md)
    versions: Mapped[list[ContentVersion]] = relationship(back_populates="item", cascade="all, delete-orphan",
                                                          order_by="ContentVersion.number.desc()")

    @property
    def hazards(self) -> list[str]:
        return sorted(h.hazard for h in self.hazard_rows)

    @property
    def type_label(self) -> str:
        return ContentType(self.type).label

    @property
    def status_label(self) -> str:
        return ItemStatus(self.status).label

    def is_public(self, now: dt.datetime | None = None) -> bool:
        return (self.status == ItemStatus.APPROVED and self.published_at is not None
                and self.published_at <= (now or utcnow()))

    # ---- lifecycle: each method refuses a move the workflow does not allow --------------------
    def _move(self, allowed: set[ItemStatus], to: ItemStatus, message: str) -> None:
        if self.status not in allowed:
            raise DomainError(message)
        self.status = to

    def submit(self) -> None:
        self._move({ItemStatus.DRAFT}, ItemStatus.PENDING, "只有草稿可以提交审核")

    def approve(self, user_id: int, publish_at: dt.datetime) -> None:
        self._move({ItemStatus.PENDING}, ItemStatus.APPROVED, "只有待审核的内容可以批准")
        self.approved_by_id, self.published_at, self.review_note = user_id, publish_at, ""

    def reject(self, note: str) -> None:
        if not note.strip():
            raise DomainError("退回时请写明原因，方便编辑修改", field="note")
        self._move({ItemStatus.PENDING}, ItemStatus.DRAFT, "只有待审核的内容可以退回")
        self.review_note = note.strip()

    def withdraw(self) -> None:
        self._move({ItemStatus.APPROVED, ItemStatus.PENDING}, ItemStatus.DRAFT, "只有待审核或已发布的内容可以撤回修改")
        self.approved_by_id = None

    def archive(self) -> None:
        self._move({ItemStatus.APPROVED, ItemStatus.DRAFT}, ItemStatus.ARCHIVED, "该内容不能归档")

    def restore(self) -> None:
        self._move({ItemStatus.ARCHIVED}, ItemStatus.DRAFT, "只有已归档的内容可以恢复为草稿")

    def snapshot(self) -> dict:
        return {"status": self.status, "title": self.title, "summary": self.summary, "version": self.version,
                "hazards": self.hazards, "events": [e.key for e in self.events],
                "published_at": self.published_at.isoformat() if self.published_at else None}


class ContentVersion(Base):
    """Every saved state of an item's text, numbered from 1; never changed afterwards."""

    __tablename__ = "content_versions"
    __table_args__ = (sa.UniqueConstraint("item_id", "number"),)

    id: Mapped[intpk]
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("content_items.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    title: Mapped[str200]
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    author_name: Mapped[str100] = mapped_column(default="")
    note: Mapped[str200] = mapped_column(default="")
    created_at: Mapped[created_at]

    item: Mapped[ContentItem] = relationship(back_populates="versions")


class BroadcastChannel(Base):
    """A broadcast channel: the city, a county or district, or the village loudspeakers."""

    __tablename__ = "broadcast_channels"

    id: Mapped[intpk]
    name: Mapped[str100] = mapped_column(unique=True)
    level: Mapped[str20]  # city | county | village
    sort_order: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    LEVELS = {"city": "市级", "county": "县区", "village": "乡村"}

    @property
    def level_label(self) -> str:
        return self.LEVELS.get(self.level, self.level)


class BroadcastSlot(Base):
    """A broadcast script on a channel: the period, the repeat rule and the times of day (local)."""

    __tablename__ = "broadcast_slots"

    id: Mapped[intpk]
    channel_id: Mapped[int] = mapped_column(sa.ForeignKey("broadcast_channels.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("content_items.id"), index=True)
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    repeat: Mapped[str20]
    weekdays: Mapped[list] = mapped_column(sa.JSON, default=list)  # 0 = Monday
    times: Mapped[list] = mapped_column(sa.JSON, default=list)     # ["07:30", "17:30"]
    note: Mapped[str200] = mapped_column(default="")
    created_at: Mapped[created_at]

    channel: Mapped[BroadcastChannel] = relationship(lazy="joined")
    item: Mapped[ContentItem] = relationship(lazy="joined")

    def snapshot(self) -> dict:
        return {"channel": self.channel_id, "item": self.item_id, "start": self.start_date.isoformat(),
                "end": self.end_date.isoformat(), "repeat": self.repeat, "weekdays": list(self.weekdays or []),
                "times": list(self.times or []), "note": self.note}


class QuizQuestion(Base):
    """A public-pool knowledge question (公众题库), loaded from culture/quiz/; not an exam question."""

    __tablename__ = "quiz_questions"

    id: Mapped[intpk]
    code: Mapped[str20] = mapped_column(unique=True)  # YJ-0001
    hazard: Mapped[str20] = mapped_column(index=True)
    type: Mapped[str20]  # judge | single | multiple (app.questions.types)
    stem: Mapped[str] = mapped_column(sa.Text)
    options: Mapped[list] = mapped_column(sa.JSON, default=list)
    answer: Mapped[str20]  # canonical key: T/F, "B", "ACD"
    explanation: Mapped[str] = mapped_column(sa.Text, default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    source_hash: Mapped[str | None] = mapped_column(sa.String(64))
    is_edited: Mapped[bool] = mapped_column(default=False)


class ItemDailyViews(Base):
    """Anonymous view counter per item and local day: a number, nothing about the reader."""

    __tablename__ = "content_item_views"

    item_id: Mapped[int] = mapped_column(sa.ForeignKey("content_items.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(primary_key=True)
    views: Mapped[int] = mapped_column(default=0)


class QuizDailyStat(Base):
    """Anonymous quiz participation per quiz ("hazard:地震", "event:<key>", "all") and local day."""

    __tablename__ = "quiz_daily_stats"

    quiz: Mapped[str100] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(primary_key=True)
    participants: Mapped[int] = mapped_column(default=0)
    answered: Mapped[int] = mapped_column(default=0)
    correct: Mapped[int] = mapped_column(default=0)


class ContentState(Base):
    """One row: the content generation, bumped by every change an editor, admin or load makes; the
    public page cache is keyed by it."""

    __tablename__ = "content_state"

    id: Mapped[intpk]
    generation: Mapped[int] = mapped_column(default=0)
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
