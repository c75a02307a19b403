"""Certificates, the cards (signed tokens) printed for them, reviews, proposals, print jobs and
the certificate settings. Certificates are never deleted: they are revoked, cancelled or
superseded by a new card, each with a reason (audited in ``core.audit``)."""
from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.catalog.models import CatalogItem
from app.core.errors import DomainError
from app.db import Base, created_at, intpk, str20, str50, str200, utcnow
from app.people.models import Person


class CertificateState(StrEnum):
    ISSUED = "issued"
    REVOKED = "revoked"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {"issued": "已发证", "revoked": "已撤销", "cancelled": "已注销"}[self.value]


class Certificate(Base):
    """One certificate: a person, an operation item, a number and its dates. Transitions below."""

    __tablename__ = "certificates"
    __table_args__ = (
        # One live certificate per (number, item); revoked or cancelled ones stay on record.
        sa.Index("uq_certificates_live_number_item", "number", "item_id", unique=True,
                 sqlite_where=sa.text("state = 'issued'"), postgresql_where=sa.text("state = 'issued'")),
    )

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(sa.String(40), index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("catalog_items.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("exam_sessions.id"), index=True)
    state: Mapped[str20] = mapped_column(default=CertificateState.ISSUED, index=True)
    passed_on: Mapped[dt.date]
    issued_on: Mapped[dt.date]
    valid_until: Mapped[dt.date] = mapped_column(index=True)
    review_due: Mapped[dt.date | None] = mapped_column(index=True)
    last_review_on: Mapped[dt.date | None]
    authority: Mapped[str200]
    revoked_on: Mapped[dt.date | None]
    revocation_ground: Mapped[str | None] = mapped_column(sa.String(30))
    cancelled_on: Mapped[dt.date | None]
    cancellation_ground: Mapped[str | None] = mapped_column(sa.String(30))
    status_reason: Mapped[str] = mapped_column(sa.Text, default="")
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[created_at]

    person: Mapped[Person] = relationship(lazy="joined")
    item: Mapped[CatalogItem] = relationship(lazy="joined")
    cards: Mapped[list[CertificateCard]] = relationship(back_populates="certificate",
                                                        order_by="CertificateCard.id")

    @property
    def current_card(self) -> CertificateCard | None:
        live = [c for c in self.cards if c.superseded_at is None]
        return live[-1] if live else None

    def snapshot(self) -> dict:
        return {"number": self.number, "state": self.state, "valid_until": self.valid_until,
                "review_due": self.review_due, "last_review_on": self.last_review_on,
                "revocation_ground": self.revocation_ground, "cancellation_ground": self.cancellation_ground}

    # ---- transitions: each refuses an illegal move with a message a person can act on ----
    def revoke(self, ground: str, reason: str, on: dt.date) -> None:
        if self.state != CertificateState.ISSUED:
            raise DomainError(f"证书 {self.number} 当前为“{CertificateState(self.state).label}”，不能撤销")
        self.state = CertificateState.REVOKED
        self.revoked_on, self.revocation_ground, self.status_reason = on, ground, reason

    def cancel(self, ground: str, reason: str, on: dt.date) -> None:
        if self.state == CertificateState.CANCELLED:
            raise DomainError(f"证书 {self.number} 已注销，不能重复注销")
        if ground == "revoked" and self.state != CertificateState.REVOKED:
            raise DomainError("以“证书被依法撤销”为由注销的，证书须先被撤销")
        self.state = CertificateState.CANCELLED
        self.cancelled_on, self.cancellation_ground, self.status_reason = on, ground, reason

    def record_review(self, on: dt.date, valid_until: dt.date, review_due: dt.date | None) -> None:
        if self.state != CertificateState.ISSUED:
            raise DomainError(f"证书 {self.number} 当前为“{CertificateState(self.state).label}”，不能复审")
        self.last_review_on, self.valid_until, self.review_due = on, valid_until, review_due

    def require_issued(self, action: str) -> None:
        if self.state != CertificateState.ISSUED:
            raise DomainError(f"证书 {self.number} 当前为“{CertificateState(self.state).label}”，不能{action}")


class CertificateCard(Base):
    """One printed/electronic card of a certificate: its random public id and signed token.
    A replacement (补发/换发) supersedes the card; the old token then says 已补发."""

    __tablename__ = "certificate_cards"

    id: Mapped[intpk]
    certificate_id: Mapped[int] = mapped_column(sa.ForeignKey("certificates.id"), index=True)
    public_id: Mapped[str] = mapped_column(sa.String(20), unique=True)
    key_id: Mapped[str] = mapped_column(sa.String(4), index=True)
    token: Mapped[str] = mapped_column(sa.String(120))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    issued_at: Mapped[created_at]
    superseded_at: Mapped[dt.datetime | None]

    certificate: Mapped[Certificate] = relationship(back_populates="cards", lazy="joined")

    def supersede(self) -> None:
        if self.superseded_at is not None:
            raise DomainError("这张证卡已被补发的新证卡取代")
        self.superseded_at = utcnow()


class CertificateReview(Base):
    """One review (复审) of a certificate, with what was checked."""

    __tablename__ = "certificate_reviews"

    id: Mapped[intpk]
    certificate_id: Mapped[int] = mapped_column(sa.ForeignKey("certificates.id"), index=True)
    reviewed_on: Mapped[dt.date]
    refresher_hours: Mapped[float] = mapped_column(default=0.0)
    exam_passed_on: Mapped[dt.date | None]
    long_interval: Mapped[bool] = mapped_column(default=False)
    old_review_due: Mapped[dt.date | None]
    new_review_due: Mapped[dt.date | None]
    old_valid_until: Mapped[dt.date]
    new_valid_until: Mapped[dt.date]
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[created_at]


class ProposalState(StrEnum):
    PENDING = "pending"
    ISSUED = "issued"
    DISMISSED = "dismissed"

    @property
    def label(self) -> str:
        return {"pending": "待发证", "issued": "已发证", "dismissed": "不予发证"}[self.value]


class CertificateProposal(Base):
    """A candidate who passed every required part, waiting for the certifying officer."""

    __tablename__ = "certificate_proposals"

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("catalog_items.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("exam_sessions.id"))
    passed_on: Mapped[dt.date]
    state: Mapped[str20] = mapped_column(default=ProposalState.PENDING, index=True)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    certificate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificates.id"))
    created_at: Mapped[created_at]
    decided_at: Mapped[dt.datetime | None]

    person: Mapped[Person] = relationship(lazy="joined")
    item: Mapped[CatalogItem] = relationship(lazy="joined")


class PrintJob(Base):
    """A batch PDF rendered in the background; the file lands in instance/certificates/prints."""

    __tablename__ = "certificate_print_jobs"

    id: Mapped[intpk]
    label: Mapped[str200]
    layout: Mapped[str20]
    certificate_ids: Mapped[list] = mapped_column(sa.JSON)
    state: Mapped[str20] = mapped_column(default="queued")   # queued / running / done / failed
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    file_name: Mapped[str | None] = mapped_column(sa.String(64))
    error: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[created_at]
    finished_at: Mapped[dt.datetime | None]


class CertificateSetting(Base):
    """A certificate setting an administrator changes without code (issuing authority, …)."""

    __tablename__ = "certificate_settings"

    key: Mapped[str50] = mapped_column(primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text, default="")


__all__ = ["Certificate", "CertificateCard", "CertificateReview", "CertificateProposal", "CertificateSetting",
           "CertificateState", "ProposalState", "PrintJob", "intpk"]
