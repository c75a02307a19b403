"""The append-only, hash-chained audit log.

Every privileged change writes one entry: actor, time, action, object, before,
after, reason, and the hash of the previous entry. ``verify_chain`` recomputes the
chain so that an edited, deleted or reordered row is found (``flask audit verify``).
Entries are appended under a lock (SQLite: the write transaction is taken up front;
PostgreSQL: a transaction-scoped advisory lock) so two writers never fork the chain.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import has_request_context
from flask_login import current_user
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, created_at, intpk, str50, str100, utcnow
from app.extensions import db

GENESIS = "0" * 64
_PG_LOCK_KEY = 7_264_001


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    id: Mapped[intpk]
    seq: Mapped[int] = mapped_column(unique=True)
    created_at: Mapped[created_at]
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    actor_name: Mapped[str100]
    action: Mapped[str100] = mapped_column(index=True)
    object_type: Mapped[str50] = mapped_column(index=True)
    object_id: Mapped[str50] = mapped_column(index=True)
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_hash(prev_hash: str, seq: int, created: dt.datetime, actor_id, actor_name: str,
               action: str, object_type: str, object_id: str, before, after, reason: str) -> str:
    """SHA-256 over the previous hash and every field of the entry, in a fixed order."""
    created_utc = created.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    payload = _canonical([prev_hash, seq, created_utc, actor_id, actor_name, action,
                          object_type, object_id, before, after, reason])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _lock_chain() -> None:
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})


def _current_actor() -> tuple[int | None, str]:
    if has_request_context() and getattr(current_user, "is_authenticated", False):
        return current_user.id, current_user.display_name or current_user.username
    return None, "system"


def record(action: str, obj_type: str, obj_id: Any, *, before: dict | None = None,
           after: dict | None = None, reason: str = "", actor=None) -> AuditEntry:
    """Append one entry to the chain (flushes, does not commit).

    ``actor`` is a User or None (then the logged-in user, or "system" for CLI jobs).
    Returns the new entry.
    """
    if actor is not None:
        actor_id, actor_name = actor.id, actor.display_name or actor.username
    else:
        actor_id, actor_name = _current_actor()
    _lock_chain()
    last = db.session.execute(
        sa.select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
    before, after = _jsonable(before), _jsonable(after)
    created = utcnow()
    entry = AuditEntry(
        seq=seq, created_at=created, actor_id=actor_id, actor_name=actor_name, action=action,
        object_type=obj_type, object_id=str(obj_id), before=before, after=after, reason=reason or "",
        prev_hash=prev,
    )
    entry.hash = entry_hash(prev, seq, created, actor_id, actor_name, action, obj_type,
                            str(obj_id), before, after, reason or "")
    db.session.add(entry)
    db.session.flush()
    return entry


def _jsonable(value):
    if value is None:
        return None
    return json.loads(_canonical(value))


@dataclass
class ChainProblem:
    seq: int
    entry_id: int
    message: str


def verify_chain(batch: int = 2000) -> tuple[int, ChainProblem | None]:
    """Walk the chain in order. Returns (entries checked, first problem or None)."""
    prev_hash, expected_seq, checked, last_id = GENESIS, 1, 0, 0
    while True:
        rows = db.session.execute(
            sa.select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).scalars().all()
        if not rows:
            return checked, None
        for e in rows:
            last_id = e.id
            if e.seq != expected_seq:
                message = f"序号不连续：应为 {expected_seq}，实际为 {e.seq}（有记录被删除或调换）"
                return checked, ChainProblem(e.seq, e.id, message)
            if e.prev_hash != prev_hash:
                return checked, ChainProblem(e.seq, e.id, "前一条记录的哈希不符（前面的记录被删除、修改或调换）")
            digest = entry_hash(e.prev_hash, e.seq, e.created_at, e.actor_id, e.actor_name, e.action,
                                e.object_type, e.object_id, e.before, e.after, e.reason)
            if digest != e.hash:
                return checked, ChainProblem(e.seq, e.id, "记录内容与其哈希不符（该记录被修改）")
            prev_hash, expected_seq = e.hash, expected_seq + 1
            checked += 1
        db.session.expunge_all()
