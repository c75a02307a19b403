"""Working days: China's public holidays and swapped working days (chinese-calendar), overridden
by the days the base sets itself. Years the library has no data for are reported, not guessed."""
from __future__ import annotations

import datetime as dt

import chinese_calendar
import sqlalchemy as sa

from app.extensions import db
from app.scheduling.models import CalendarDay


def national_data_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def overrides(start: dt.date, end: dt.date) -> dict[dt.date, CalendarDay]:
    rows = db.session.scalars(sa.select(CalendarDay).where(CalendarDay.day.between(start, end)))
    return {r.day: r for r in rows}


def is_working_day(day: dt.date, manual: dict[dt.date, CalendarDay] | None = None) -> bool:
    """Open for exams: the base's own setting first, then the national data, else Monday–Friday."""
    manual = overrides(day, day) if manual is None else manual
    if day in manual:
        return manual[day].is_open
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def holiday_name(day: dt.date) -> str | None:
    try:
        is_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    return HOLIDAY_NAMES.get(name, name) if is_holiday and name else None


def working_days(year: int) -> list[dt.date]:
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    manual = overrides(start, end)
    days, day = [], start
    while day <= end:
        if is_working_day(day, manual):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


HOLIDAY_NAMES = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
                 "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
                 "Mid-autumn Festival": "中秋节"}


# ---- added for the pages --------------------------------------------------------------------
# (imports kept here so that the module above stays as it was)
from app.core import audit  # noqa: E402
from app.core.errors import DomainError  # noqa: E402
from app.scheduling.models import ExamSession, SessionState  # noqa: E402


def national_days(year: int) -> list[tuple[dt.date, str, bool]]:
    """The year's national holidays and swapped working days (调休上班) from chinese-calendar, as
    (day, festival name, is_open) sorted by day; empty when the library has no data for the year."""
    if not national_data_covers(year):
        return []
    out, day = [], dt.date(year, 1, 1)
    while day.year == year:
        is_holiday, name = chinese_calendar.get_holiday_detail(day)
        if name and (is_holiday or day.weekday() >= 5):
            out.append((day, HOLIDAY_NAMES.get(name, name), not is_holiday))
        day += dt.timedelta(days=1)
    return out


def day_notes(start: dt.date, end: dt.date) -> dict[dt.date, tuple[bool, str]]:
    """For a calendar page: each day from ``start`` to ``end`` → (open for exams, why not / what
    it is: the base's reason, else the national festival name, else "")."""
    manual = overrides(start, end)
    out, day = {}, start
    while day <= end:
        row = manual.get(day)
        note = row.reason if row is not None else (holiday_name(day) or "")
        out[day] = (is_working_day(day, manual), note)
        day += dt.timedelta(days=1)
    return out


def _sessions_on(day: dt.date) -> list:
    """Sessions on ``day`` that have not ended their lifecycle (closed ones are history)."""
    return db.session.scalars(sa.select(ExamSession).where(ExamSession.day == day,
                                                           ExamSession.state != SessionState.CLOSED)).all()


def set_calendar_day(day: dt.date, is_open: bool, reason: str, *, actor=None) -> CalendarDay:
    """Close a day (maintenance, a holiday the national data lacks) or open one (调休上班), with a
    reason. Raises DomainError without a reason, or when closing a day that still has sessions."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写原因", field="reason")
    if not is_open:
        busy = _sessions_on(day)
        if busy:
            raise DomainError(f"{day:%Y-%m-%d} 已有 {len(busy)} 个场次（如场次 {busy[0].id}），"
                              "请先调整这些场次再设为休息日", field="day")
    row = db.session.get(CalendarDay, day)
    before = None if row is None else {"is_open": row.is_open, "reason": row.reason}
    if row is None:
        row = CalendarDay(day=day)
        db.session.add(row)
    row.is_open, row.reason = is_open, reason
    db.session.flush()
    audit.record("calendar.set", "calendar_day", day.isoformat(), actor=actor, before=before,
                 after={"is_open": is_open, "reason": reason})
    return row


def remove_calendar_day(day: dt.date, *, actor=None) -> None:
    """Remove the base's own setting of a day (the national data applies again). Raises DomainError
    when there is no such setting, or when the day would close while sessions remain on it."""
    row = db.session.get(CalendarDay, day)
    if row is None:
        raise DomainError(f"{day:%Y-%m-%d} 没有基地自行设置的记录")
    if not is_working_day(day, {}) and _sessions_on(day):
        raise DomainError(f"删除后 {day:%Y-%m-%d} 将成为休息日，但当天已有场次，请先调整这些场次")
    before = {"is_open": row.is_open, "reason": row.reason}
    db.session.delete(row)
    db.session.flush()
    audit.record("calendar.remove", "calendar_day", day.isoformat(), actor=actor, before=before)
