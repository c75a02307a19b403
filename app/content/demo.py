"""The portal's part of `flask demo load`: the shipped content of culture/ (when present) and a week
of broadcasts of the current campaign on the city channel."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app

from app.content import broadcasting, loader, services
from app.content.models import BroadcastChannel, BroadcastSlot, ContentItem
from app.content.rules import ContentType
from app.core.errors import DomainError
from app.core.timeutil import local_today
from app.extensions import db


def load_content_demo() -> int:
    """Load culture/ (idempotent) and, when no slot exists yet, schedule two broadcast scripts (those of
    today's campaigns first) on the city channel for the next seven days: one at the morning and evening
    rush hours, one at noon. Returns how many
    items were created."""
    if not (loader.CULTURE_DIR / "calendar.yaml").exists():
        broadcasting.ensure_channels()
        return 0
    try:
        summary = loader.load_culture(speed=services.chars_per_minute(current_app.config))
    except ValueError as exc:
        raise DomainError("应急文化内容文件有错误，请先运行 flask content check：" + str(exc.args[0][0])) from None
    if db.session.scalar(sa.select(sa.func.count()).select_from(BroadcastSlot)) == 0:
        city = db.session.scalar(sa.select(BroadcastChannel).where(BroadcastChannel.level == "city")
                                 .order_by(BroadcastChannel.sort_order).limit(1))
        today = local_today()
        running = {event.id for event, _period in services.events_on(today)[0]}
        scripts = db.session.scalars(sa.select(ContentItem).where(ContentItem.type == ContentType.BROADCAST)
                                     .order_by(ContentItem.key)).all()
        # the scripts of the campaigns running today first
        scripts = sorted(scripts, key=lambda s: not any(e.id in running for e in s.events))[:2]
        for n, script in enumerate(scripts):
            broadcasting.save_slot(None, channel=city, item=script, start=today, end=today + dt.timedelta(days=6),
                               repeat="daily", weekdays=[], times="07:30, 17:30" if n == 0 else "12:00",
                               note="演示：早晚高峰")
    return summary.created["items"]
