"""iCalendar feeds of sessions per room and per staff member."""
from __future__ import annotations

import datetime as dt

import icalendar
import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.core.timeutil import local_today
from app.db import utcnow
from app.extensions import db
from app.scheduling.models import ExamSession, SessionKind, SessionState
from app.scheduling.sessions import DUTY_LABELS, staff_sessions

ICAL_SALT = "ical-v1"
ICAL_PAST_DAYS = 90  # a feed carries the last three months and everything ahead

# ---- iCalendar feeds: calendar apps fetch without cookies, so the URL carries a signed token ------

def _ical_serializer() -> URLSafeSerializer:
    """Signs feed tokens with the app's secret; the salt keeps them apart from check-in tokens."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=ICAL_SALT)


def ical_token(kind: str, obj_id: int) -> str:
    """The token in a feed's URL: ``[kind, id]`` signed with the app's secret (salt "ical-v1")."""
    return _ical_serializer().dumps([kind, obj_id])


def ical_token_ok(kind: str, obj_id: int, token: str) -> bool:
    """True when ``token`` was issued for exactly this feed (a forged or another feed's token is not)."""
    try:
        return _ical_serializer().loads(token) == [kind, obj_id]
    except (BadSignature, ValueError, TypeError):
        return False


def feed_sessions(*, room_id: int | None = None, user_id: int | None = None) -> list[ExamSession]:
    """The sessions of a room's or a staff member's feed: the last ICAL_PAST_DAYS days and all ahead."""
    since = local_today() - dt.timedelta(days=ICAL_PAST_DAYS)
    if user_id is not None:
        return staff_sessions(user_id, since)
    return db.session.scalars(sa.select(ExamSession).where(ExamSession.room_id == room_id, ExamSession.day >= since)
                              .order_by(ExamSession.starts_at)).all()


def session_summary(session: ExamSession) -> str:
    """"理论考试 低压电工作业、高压电工作业": the kind and the allowed items."""
    return f"{SessionKind(session.kind).label} {'、'.join(i.name for i in session.items)}"


def _vevent(session: ExamSession, stamp: dt.datetime) -> icalendar.Event:
    """One VEVENT: UID stable per session, times in UTC, the room and site as the location."""
    event = icalendar.Event()
    event.add("uid", f"exam-session-{session.id}@{current_app.config.get('ICAL_UID_DOMAIN', 'exam-base.local')}")
    event.add("dtstamp", stamp)
    event.add("dtstart", session.starts_at.astimezone(dt.UTC))
    event.add("dtend", session.ends_at.astimezone(dt.UTC))
    event.add("summary", session_summary(session))
    event.add("location", f"{session.room.name}，{session.room.site.name}")
    staff = "、".join(f"{s.user.display_name}（{DUTY_LABELS.get(s.duty, s.duty)}）" for s in session.staff)
    event.add("description", f"场次 {session.id}；状态：{SessionState(session.state).label}；容量 {session.capacity}"
                             + (f"；考务人员：{staff}" if staff else ""))
    event.add("status", "TENTATIVE" if session.state == SessionState.PLANNED else "CONFIRMED")
    return event


def ical_feed(title: str, sessions: list[ExamSession]) -> bytes:
    """An iCalendar (RFC 5545) document with one VEVENT per session."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//anquan-jidi//exam schedule//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", title)
    cal.add("x-wr-timezone", "Asia/Shanghai")
    stamp = utcnow().replace(microsecond=0)
    for s in sessions:
        cal.add_component(_vevent(s, stamp))
    return cal.to_ical()
