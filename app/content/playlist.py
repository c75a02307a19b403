"""The broadcast play list: slots with repeat rules expanded into dated plays, and the CSV and M3U
documents the broadcast system imports. Pure module."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from enum import StrEnum


class Repeat(StrEnum):
    DAILY = "daily"        # every day of the period
    WORKDAYS = "workdays"  # Monday to Friday
    WEEKLY = "weekly"      # the chosen weekdays

    @property
    def label(self) -> str:
        return {"daily": "每天", "workdays": "周一至周五", "weekly": "每周指定日"}[self.value]


WEEKDAY_LABELS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class PlaylistError(ValueError):
    """A slot definition that cannot be used; str() is a Chinese message."""


def parse_times(raw: str) -> list[dt.time]:
    """"07:30, 17:45" → [07:30, 17:45], sorted and without duplicates. Raises PlaylistError."""
    times = set()
    for part in re.split(r"[,，、\s]+", raw or ""):
        if not part:
            continue
        m = _TIME.match(part)
        if not m:
            raise PlaylistError(f"播出时间“{part}”应为 HH:MM（例如 07:30）")
        times.add(dt.time(int(m.group(1)), int(m.group(2))))
    if not times:
        raise PlaylistError("请至少填写一个播出时间")
    return sorted(times)


@dataclass(frozen=True)
class SlotRule:
    start: dt.date
    end: dt.date
    times: tuple[dt.time, ...]
    repeat: Repeat
    weekdays: frozenset[int] = frozenset()  # 0 = Monday, for Repeat.WEEKLY

    def days(self, since: dt.date, until: dt.date):
        """The days of the slot within [since, until], in order."""
        day, last = max(self.start, since), min(self.end, until)
        while day <= last:
            wd = day.weekday()
            if (self.repeat == Repeat.DAILY or (self.repeat == Repeat.WORKDAYS and wd < 5)
                    or (self.repeat == Repeat.WEEKLY and wd in self.weekdays)):
                yield day
            day += dt.timedelta(days=1)


def check_rule(rule: SlotRule) -> None:
    """Raises PlaylistError when the period is reversed, too long, or a weekly rule has no weekday."""
    if rule.end < rule.start:
        raise PlaylistError("结束日期不能早于开始日期")
    if (rule.end - rule.start).days > 366:
        raise PlaylistError("一个时段最长一年，请分开设置")
    if rule.repeat == Repeat.WEEKLY and not rule.weekdays:
        raise PlaylistError("“每周指定日”至少要选择一天")


@dataclass(frozen=True)
class Play:
    day: dt.date
    time: dt.time
    channel: str
    title: str
    seconds: int
    media: str  # URL of the audio file, or of the script's text for reading by the announcer / TTS
    key: str


def expand(slots, since: dt.date, until: dt.date) -> list[Play]:
    """Every play of ``slots`` — iterables of (SlotRule, channel, title, seconds, media, key) — between
    ``since`` and ``until`` inclusive, ordered by time then channel."""
    plays = [Play(day, t, channel, title, seconds, media, key)
             for rule, channel, title, seconds, media, key in slots
             for day in rule.days(since, until) for t in rule.times]
    return sorted(plays, key=lambda p: (p.day, p.time, p.channel, p.title))


CSV_HEADER = ["日期", "时间", "频道", "标题", "时长（秒）", "媒体", "编号"]


def to_csv(plays: list[Play]) -> str:
    """CSV with a header row, UTF-8 with a BOM added by the caller if a spreadsheet needs it."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(CSV_HEADER)
    for p in plays:
        w.writerow([p.day.isoformat(), p.time.strftime("%H:%M"), p.channel, p.title, p.seconds, p.media, p.key])
    return out.getvalue()


def to_m3u(plays: list[Play]) -> str:
    """Extended M3U: one #EXTINF (duration, "channel 日期 时间 title") and its media line per play."""
    lines = ["#EXTM3U"]
    for p in plays:
        title = f"{p.channel} {p.day.isoformat()} {p.time.strftime('%H:%M')} {p.title}".replace(",", "，")
        lines.append(f"#EXTINF:{p.seconds},{title}")
        lines.append(p.media)
    return "\n".join(lines) + "\n"
