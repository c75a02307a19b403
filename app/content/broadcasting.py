"""Broadcast channels (city, counties, villages) and slots: which script plays when, with repeat rules.
Services flush, never commit; every change is audited."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app.content.models import BroadcastChannel, BroadcastSlot, ContentItem, ItemStatus
from app.content.playlist import PlaylistError, Repeat, SlotRule, check_rule, parse_times
from app.content.rules import ContentType
from app.core import audit
from app.core.errors import DomainError
from app.extensions import db

DEFAULT_CHANNELS = [("阜新市应急广播（市级）", "city"), ("各县区应急广播", "county"), ("乡村应急广播（大喇叭）", "village")]


def ensure_channels() -> int:
    """The three default channels (city, counties, villages). Idempotent; returns how many were created."""
    made = 0
    for order, (name, level) in enumerate(DEFAULT_CHANNELS):
        if db.session.scalar(sa.select(BroadcastChannel.id).where(BroadcastChannel.name == name)) is None:
            db.session.add(BroadcastChannel(name=name, level=level, sort_order=order * 10))
            made += 1
    db.session.flush()
    return made


def create_channel(name: str, level: str, actor=None) -> BroadcastChannel:
    """A further channel (a county's or a township's). Raises DomainError for a duplicate or bad level."""
    name = name.strip()
    if not name:
        raise DomainError("请填写频道名称", field="name")
    if level not in BroadcastChannel.LEVELS:
        raise DomainError("级别应为 市级、县区 或 乡村", field="level")
    if db.session.scalar(sa.select(BroadcastChannel.id).where(BroadcastChannel.name == name)):
        raise DomainError(f"频道“{name}”已存在", field="name")
    channel = BroadcastChannel(name=name, level=level, sort_order=100)
    db.session.add(channel)
    db.session.flush()
    audit.record("content.channel.create", "broadcast_channel", channel.id, after={"name": name, "level": level},
                 actor=actor)
    return channel


def slot_rule(slot: BroadcastSlot) -> SlotRule:
    return SlotRule(slot.start_date, slot.end_date, tuple(parse_times(",".join(slot.times))), Repeat(slot.repeat),
                    frozenset(slot.weekdays or []))


def save_slot(slot: BroadcastSlot | None, *, channel: BroadcastChannel, item: ContentItem, start: dt.date,
              end: dt.date, repeat: str, weekdays: list[int], times: str, note: str = "", actor=None) -> BroadcastSlot:
    """Create or change a slot. Raises DomainError when the item is not a broadcast script, the times or
    the period are unusable."""
    if item.type != ContentType.BROADCAST:
        raise DomainError("只能安排广播稿播出", field="item_id")
    if item.status == ItemStatus.ARCHIVED:
        raise DomainError("已归档的广播稿不能安排播出", field="item_id")
    try:
        parsed = parse_times(times)
        rule = SlotRule(start, end, tuple(parsed), Repeat(repeat), frozenset(weekdays))
        check_rule(rule)
    except PlaylistError as exc:
        raise DomainError(str(exc), field="times" if "时间" in str(exc) else "start_date") from None
    except ValueError:
        raise DomainError("未知的重复方式", field="repeat") from None
    before = slot.snapshot() if slot else None
    if slot is None:
        slot = BroadcastSlot(channel=channel, item=item)
        db.session.add(slot)
    slot.channel, slot.item, slot.start_date, slot.end_date = channel, item, start, end
    slot.repeat, slot.weekdays = repeat, sorted(set(weekdays)) if repeat == Repeat.WEEKLY else []
    slot.times, slot.note = [t.strftime("%H:%M") for t in parsed], note.strip()[:200]
    db.session.flush()
    audit.record("content.slot.create" if before is None else "content.slot.update", "broadcast_slot", slot.id,
                 before=before, after=slot.snapshot(), actor=actor)
    return slot


def delete_slot(slot: BroadcastSlot, actor=None) -> None:
    """Remove a slot from the schedule (audited with its content)."""
    audit.record("content.slot.delete", "broadcast_slot", slot.id, before=slot.snapshot(), actor=actor)
    db.session.delete(slot)
    db.session.flush()


def slots_for(channel_id: int | None, since: dt.date, until: dt.date) -> list[BroadcastSlot]:
    stmt = (sa.select(BroadcastSlot).where(BroadcastSlot.start_date <= until, BroadcastSlot.end_date >= since)
            .order_by(BroadcastSlot.start_date))
    if channel_id:
        stmt = stmt.where(BroadcastSlot.channel_id == channel_id)
    return list(db.session.scalars(stmt))
