"""Time: UTC in the database, Asia/Shanghai on screen, dates as YYYY-MM-DD."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from app.db import utcnow

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

__all__ = ["LOCAL_TZ", "utcnow", "to_local", "local_today", "format_datetime", "format_date"]


def to_local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(LOCAL_TZ)


def local_today() -> dt.date:
    return utcnow().astimezone(LOCAL_TZ).date()


def format_datetime(value: dt.datetime | None, seconds: bool = False) -> str:
    if value is None:
        return ""
    return to_local(value).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def format_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = to_local(value).date()
    return value.strftime("%Y-%m-%d")
