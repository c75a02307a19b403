"""Sites, rooms and seats, staff qualifications and availability, closed days, exam sessions,
registrations with their lifecycle, training records, application bans and the notice outbox."""
from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.errors import DomainError
from app.db import Base, created_at, intpk, str20, str50, str100, str200


class RoomKind(StrEnum):
    THEORY = "theory"        # 理论考场: numbered seats / terminals
    PRACTICAL = "practical"  # 实操考位: places per operation item
    TRAINING = "training"    # 培训教室

    @property
    def label(self) -> str:
        return {"theory": "理论考场", "practical": "实操考位", "training": "培训教室"}[self.value]


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[intpk]
    name: Mapped[str100] = mapped_column(unique=True)
    address: Mapped[str200] = mapped_column(default="")


room_items = sa.Table(
    "room_items", Base.metadata,
    sa.Column("room_id", sa.ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("item_id", sa.ForeignKey("catalog_items.id"), primary_key=True),
)


class Room(Base):
    __tablename__ = "rooms"
    __table_args__ = (sa.UniqueConstraint("site_id", "name"),)

    id: Mapped[intpk]
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"), index=True)
    name: Mapped[str100]
    kind: Mapped[str20]
    capacity: Mapped[int]  # seats, terminals or practical places
    is_active: Mapped[bool] = mapped_column(default=True)

    site: Mapped[Site] = relationship(lazy="joined")
    items = relationship("CatalogItem", secondary=room_items, lazy="selectin")  # practical: what it examines
    seats: Mapped[list[Seat]] = relationship(order_by="Seat.number", lazy="selectin", cascade="all, delete-orphan")

    def usable_seats(self) -> list[int]:
        return [s.number for s in self.seats if s.is_usable]


class Seat(Base):
    """A numbered seat (and its terminal) in a room; a broken terminal is taken out of use."""

    __tablename__ = "seats"
    __table_args__ = (sa.UniqueConstraint("room_id", "number"),)

    id: Mapped[intpk]
    room_id: Mapped[int] = mapped_column(sa.ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    terminal: Mapped[str50] = mapped_column(default="")
    is_usable: Mapped[bool] = mapped_column(default=True)


class ExaminerQualification(Base):
    __tablename__ = "examiner_qualifications"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("catalog_items.id"), primary_key=True)


class StaffUnavailability(Base):
    __tablename__ = "staff_unavailability"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    reason: Mapped[str200] = mapped_column(default="")


class CalendarDay(Base):
    """A day the base sets by hand: closed (maintenance, a holiday not yet in the national data) or
    open (a swapped working day, 调休上班). Overrides the national holiday data."""

    __tablename__ = "calendar_days"

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    is_open: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str200] = mapped_column(default="")


class SessionKind(StrEnum):
    THEORY = "theory"
    PRACTICAL = "practical"

    @property
    def label(self) -> str:
        return {"theory": "理论考试", "practical": "实际操作考试"}[self.value]


class SessionState(StrEnum):
    PLANNED = "planned"
    PUBLISHED = "published"
    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return {"planned": "计划中", "published": "已发布", "open": "考试中", "closed": "已结束"}[self.value]


SESSION_MOVES = {
    SessionState.PLANNED: {SessionState.PUBLISHED},
    SessionState.PUBLISHED: {SessionState.OPEN, SessionState.PLANNED},
    SessionState.OPEN: {SessionState.CLOSED},
    SessionState.CLOSED: set(),
}

session_items = sa.Table(
    "session_items", Base.metadata,
    sa.Column("session_id", sa.ForeignKey("exam_sessions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("item_id", sa.ForeignKey("catalog_items.id"), primary_key=True),
)


class ExamSession(Base):
    """考试场次: one room or station, one time window."""

    __tablename__ = "exam_sessions"

    id: Mapped[intpk]
    kind: Mapped[str20]
    room_id: Mapped[int] = mapped_column(sa.ForeignKey("rooms.id"), index=True)
    day: Mapped[dt.date] = mapped_column(index=True)
    starts_at: Mapped[dt.datetime] = mapped_column(index=True)
    ends_at: Mapped[dt.datetime]
    capacity: Mapped[int]
    state: Mapped[str20] = mapped_column(default=SessionState.PLANNED, index=True)
    note: Mapped[str200] = mapped_column(default="")
    created_at: Mapped[created_at]

    room: Mapped[Room] = relationship(lazy="joined")
    items = relationship("CatalogItem", secondary=session_items, lazy="selectin")
    staff: Mapped[list[SessionStaff]] = relationship(lazy="selectin", cascade="all, delete-orphan")

    def move_to(self, state: SessionState) -> None:
        """Lifecycle: planned → published → open → closed (published may go back to planned)."""
        current = SessionState(self.state)
        if state not in SESSION_MOVES[current]:
            raise DomainError(f"场次状态不能从“{current.label}”改为“{state.label}”")
        self.state = state


class SessionStaff(Base):
    __tablename__ = "session_staff"

    session_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_sessions.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True, index=True)
    duty: Mapped[str20]  # proctor / examiner / chief_examiner

    user = relationship("User", lazy="joined")


class RegistrationState(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    SCHEDULED = "scheduled"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    ABSENT = "absent"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return REGISTRATION_LABELS[self]


REGISTRATION_LABELS = {
    RegistrationState.SUBMITTED: "已提交", RegistrationState.APPROVED: "已审核", RegistrationState.REJECTED: "已退回",
    RegistrationState.SCHEDULED: "已排考", RegistrationState.CHECKED_IN: "已签到", RegistrationState.COMPLETED: "已考试",
    RegistrationState.ABSENT: "缺考", RegistrationState.CANCELLED: "已取消",
}
REGISTRATION_MOVES = {
    RegistrationState.SUBMITTED: {RegistrationState.APPROVED, RegistrationState.REJECTED, RegistrationState.CANCELLED},
    RegistrationState.APPROVED: {RegistrationState.SCHEDULED, RegistrationState.CANCELLED},
    RegistrationState.SCHEDULED: {RegistrationState.CHECKED_IN, RegistrationState.ABSENT, RegistrationState.CANCELLED,
                                  RegistrationState.SCHEDULED},
    RegistrationState.CHECKED_IN: {RegistrationState.COMPLETED, RegistrationState.ABSENT},
    RegistrationState.REJECTED: set(), RegistrationState.COMPLETED: set(), RegistrationState.ABSENT: set(),
    RegistrationState.CANCELLED: set(),
}
OPEN_REGISTRATION_STATES = (RegistrationState.SUBMITTED, RegistrationState.APPROVED, RegistrationState.SCHEDULED,
                            RegistrationState.CHECKED_IN)


class Registration(Base):
    """报名: one person, one item, one part (theory or practical)."""

    __tablename__ = "registrations"

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("catalog_items.id"), index=True)
    part: Mapped[str20]
    employer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("employers.id"), index=True)
    requested_date: Mapped[dt.date]
    is_makeup: Mapped[bool] = mapped_column(default=False)
    is_review: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str20] = mapped_column(default=RegistrationState.SUBMITTED, index=True)
    reason: Mapped[str200] = mapped_column(default="")  # rejection or cancellation reason
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("exam_sessions.id"), index=True)
    seat: Mapped[int | None]
    ticket_no: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    checked_in_at: Mapped[dt.datetime | None]
    passed: Mapped[bool | None]  # the sitting's result, once known
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[created_at]

    person = relationship("Person", lazy="joined")
    item = relationship("CatalogItem", lazy="joined")
    session: Mapped[ExamSession | None] = relationship(lazy="joined")

    def move_to(self, state: RegistrationState) -> None:
        current = RegistrationState(self.state)
        if state not in REGISTRATION_MOVES[current]:
            raise DomainError(f"报名状态不能从“{current.label}”改为“{state.label}”")
        self.state = state


class HealthCommitment(Base):
    """个人健康书面承诺: recorded once per person, with the date signed."""

    __tablename__ = "health_commitments"

    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), primary_key=True)
    signed_on: Mapped[dt.date]
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class TrainingRecord(Base):
    """Completed training, as recorded by the base (replaced by class records when training lands)."""

    __tablename__ = "training_records"

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("catalog_items.id"), index=True)
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    hours: Mapped[float]
    provider: Mapped[str100] = mapped_column(default="")
    trainer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[created_at]


class ApplicationBan(Base):
    """No new application before ``until`` (revocation grounds 4–5: false information, deceit, bribery)."""

    __tablename__ = "application_bans"

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    until: Mapped[dt.date]
    ground: Mapped[str200]
    created_at: Mapped[created_at]


class Notice(Base):
    """Outbox: what employers and candidates should be told; an e-mail/SMS sender reads unsent rows."""

    __tablename__ = "notices"

    id: Mapped[intpk]
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"), index=True)
    employer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("employers.id"), index=True)
    kind: Mapped[str50]
    title: Mapped[str200]
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[created_at]
    sent_at: Mapped[dt.datetime | None]
