"""Access-matrix entries of the emergency-culture portal (merged into tests/test_access.py).

The public pages are open to everybody; the editors' pages to editors and admins; approving and
rejecting to admins only. Samples create one public item, one event and one broadcast slot in the
test's rolled-back transaction."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app.accounts.models import Role
from app.content import broadcasting, quiz, services
from app.content.models import BroadcastChannel, BroadcastSlot, CampaignEvent, ContentItem, ItemStatus, QuizQuestion
from app.core.timeutil import local_today
from app.db import utcnow
from app.extensions import db

A, ED = Role.ADMIN, Role.EDITOR
EDITORS = {A, ED}
PUBLIC = "public"

ACCESS: dict[str, object] = {
    "content.home": PUBLIC,
    "content.items": PUBLIC,
    "content.item": PUBLIC,
    "content.item_print": PUBLIC,
    "content.item_text": PUBLIC,
    "content.item_file": PUBLIC,
    "content.media_image": PUBLIC,
    "content.calendar": PUBLIC,
    "content.calendar_ics": PUBLIC,
    "content.event": PUBLIC,
    "content.feed": PUBLIC,
    "content.quiz_index": PUBLIC,
    "content.quiz_take": PUBLIC,
    "content.quiz_result": PUBLIC,
    "content.quiz_card_png": PUBLIC,
    "content.dashboard": EDITORS,
    "content.admin_items": EDITORS,
    "content.item_new": EDITORS,
    "content.item_edit": EDITORS,
    "content.item_detail": EDITORS,
    "content.item_action": EDITORS,
    "content.item_approve": {A},
    "content.item_reject": {A},
    "content.item_upload": EDITORS,
    "content.item_file_admin": EDITORS,
    "content.admin_events": EDITORS,
    "content.event_edit": EDITORS,
    "content.broadcast": EDITORS,
    "content.slot_new": EDITORS,
    "content.slot_edit": EDITORS,
    "content.slot_delete": EDITORS,
    "content.channel_new": EDITORS,
    "content.playlist_export": EDITORS,
}

SAMPLE_KEY = "matrix-broadcast"


def sample_event(world) -> CampaignEvent:
    event = db.session.scalar(sa.select(CampaignEvent).where(CampaignEvent.key == "matrix-event"))
    if event is None:
        event = CampaignEvent(key="matrix-event", name="矩阵测试活动", start_md="01-01", end_md="12-31", hazards=["地震"],
                              themes={})
        db.session.add(event)
        db.session.flush()
        if not db.session.scalar(sa.select(QuizQuestion.id).where(QuizQuestion.code == "YJ-9999")):
            db.session.add(QuizQuestion(code="YJ-9999", hazard="地震", type="judge", stem="地震时不要乘电梯。",
                                        options=[], answer="T", explanation="电梯可能停运。"))
    return event


def sample_item(world) -> ContentItem:
    """A public broadcast script in the sample event."""
    item = db.session.scalar(sa.select(ContentItem).where(ContentItem.key == SAMPLE_KEY))
    if item is None:
        sample_event(world)
        item = services.save_item(None, key=SAMPLE_KEY, type_="broadcast", title="矩阵测试广播", summary="",
                                  body="<p>发现火情请拨打119。</p>", hazards=["地震"], event_keys=["matrix-event"], speed=240)
        item.status, item.published_at = ItemStatus.APPROVED, utcnow() - dt.timedelta(minutes=1)
        db.session.flush()
    return item


def sample_slot(world) -> int:
    item = sample_item(world)
    slot = db.session.scalar(sa.select(BroadcastSlot).where(BroadcastSlot.item_id == item.id))
    if slot is None:
        broadcasting.ensure_channels()
        channel = db.session.scalar(sa.select(BroadcastChannel).order_by(BroadcastChannel.id).limit(1))
        slot = broadcasting.save_slot(None, channel=channel, item=item, start=local_today(), end=local_today(),
                                  repeat="daily", weekdays=[], times="07:30")
    return slot.id


SAMPLE_ARGS = {
    "item_key": lambda world: sample_item(world).key,
    "campaign_key": lambda world: sample_event(world).key,
    "content_id": lambda world: sample_item(world).id,
    "campaign_id": lambda world: sample_event(world).id,
    "broadcast_slot_id": sample_slot,
    "media_name": lambda world: "0" * 32 + ".jpg",
    "quiz_slug": lambda world: (sample_event(world), "dizhen")[1],
    "result_token": lambda world: quiz.result_token(
        "test-secret-key", quiz.Quiz("hazard:地震", "dizhen", "地震知识", ("地震",)), 1, 1, "2026-05-12"),
    "item_action": lambda world: "submit",
    "upload_kind": lambda world: "image",
    "playlist_format": lambda world: "csv",
}
