"""The campaign calendar as data: when a yearly event falls in a given year. Pure module.

An event is either a fixed period ``start``–``end`` (MM-DD, inclusive, recurring every year; an end
before the start wraps into the next year, e.g. 10-01 → 04-30), or a movable one given by a rule:

``<nth>-week-of-<month>`` (nth: first, second, third, fourth, last) is the Monday–Sunday week that
begins on the nth Monday of that month ("third-week-of-september": the week starting on the third
Monday of September, which is how 全国科普日 is usually held).
"""
from __future__ import annotations

import calendar as cal
import datetime as dt
from dataclasses import dataclass

MONTHS = {name.lower(): i for i, name in enumerate(cal.month_name) if name}
NTH = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}


class CalendarError(ValueError):
    """A date or rule the calendar cannot use; str() is a Chinese message."""


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def parse_month_day(value: str) -> tuple[int, int]:
    """"05-12" → (5, 12). Raises CalendarError for anything else (02-29 is refused: not every year has it)."""
    try:
        month, day = (int(part) for part in str(value).split("-"))
        dt.date(2001, month, day)  # a common year: 02-29 fails here on purpose
    except (ValueError, TypeError):
        raise CalendarError(f"日期“{value}”应为 MM-DD 格式（例如 05-12）") from None
    return month, day


def parse_rule(rule: str) -> tuple[int, int]:
    """"third-week-of-september" → (3, 9); "last-week-of-october" → (-1, 10). Raises CalendarError."""
    parts = str(rule).lower().split("-")
    if len(parts) != 4 or parts[1:3] != ["week", "of"] or parts[0] not in NTH or parts[3] not in MONTHS:
        raise CalendarError(f"规则“{rule}”无法识别，应形如 third-week-of-september")
    return NTH[parts[0]], MONTHS[parts[3]]


def _nth_monday(year: int, month: int, nth: int) -> dt.date:
    mondays = [dt.date(year, month, d) for d in range(1, cal.monthrange(year, month)[1] + 1)
               if dt.date(year, month, d).weekday() == 0]
    return mondays[nth - 1] if nth > 0 else mondays[-1]


def occurrence(year: int, start: str, end: str, rule: str | None = None) -> Period:
    """The event's period that starts in ``year``."""
    if rule:
        nth, month = parse_rule(rule)
        monday = _nth_monday(year, month, nth)
        return Period(monday, monday + dt.timedelta(days=6))
    sm, sd = parse_month_day(start)
    em, ed = parse_month_day(end)
    first = dt.date(year, sm, sd)
    last = dt.date(year, em, ed)
    if last < first:
        last = dt.date(year + 1, em, ed)
    return Period(first, last)


def current_or_next(day: dt.date, start: str, end: str, rule: str | None = None) -> Period:
    """The period containing ``day``, or else the next one to begin."""
    for year in (day.year - 1, day.year, day.year + 1):
        period = occurrence(year, start, end, rule)
        if period.end >= day:
            return period
    return occurrence(day.year + 1, start, end, rule)  # unreachable for periods shorter than a year


def is_active(day: dt.date, start: str, end: str, rule: str | None = None) -> bool:
    return day in current_or_next(day, start, end, rule)
