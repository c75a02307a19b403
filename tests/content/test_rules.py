"""Pure modules: sanitising, reading time, the campaign calendar, the play list."""
from __future__ import annotations

import datetime as dt

import pytest

from app.content import calendar, playlist
from app.content.rules import format_duration, plain_text, reading_seconds, sanitise_html, spoken_characters


@pytest.mark.parametrize("dirty, forbidden", [
    ("<p>hi<script>alert(1)</script></p>", ["script", "alert"]),
    ('<img src="/culture/media/a.jpg" onerror="alert(1)">', ["onerror"]),
    ('<a href="javascript:alert(1)">x</a>', ["javascript"]),
    ('<img src="https://evil.example/x.png">', ["evil.example"]),
    ('<p style="color:red" onclick="x()">t</p>', ["style", "onclick"]),
    ("<iframe src='https://x'></iframe><p>ok</p>", ["iframe"]),
    ("<svg><script>alert(1)</script></svg>", ["svg", "alert"]),
])
def test_sanitise_removes_scripts_and_foreign_media(dirty, forbidden):
    clean = sanitise_html(dirty)
    for word in forbidden:
        assert word not in clean


def test_sanitise_keeps_the_allowed_structure():
    html = ('<h2>标题</h2><p><strong>重</strong><em>点</em></p><ul><li>一</li></ul>'
            '<table><thead><tr><th>a</th></tr></thead><tbody><tr><td>b</td></tr></tbody></table>'
            '<blockquote>引</blockquote><img src="/culture/media/ab.jpg" alt="图">')
    assert sanitise_html(html) == html.replace('alt="图">', 'alt="图">')
    assert 'rel="noopener noreferrer"' in sanitise_html('<a href="https://www.mem.gov.cn">应急管理部</a>')


def test_reading_time_counts_spoken_characters():
    body = "<p>发现火情，请拨打119。</p>\n<p>  不要乘电梯。 </p>"
    assert plain_text(body) == "发现火情，请拨打119。\n不要乘电梯。"
    assert spoken_characters(body) == 18
    assert reading_seconds(body, 240) == 5  # 18 characters at 4 a second → 4.5 s, rounded up
    assert reading_seconds("<p>" + "安" * 240 + "</p>", 240) == 60
    assert reading_seconds("<p>" + "安" * 240 + "</p>", 180) == 80
    assert reading_seconds("", 240) == 0
    assert format_duration(125) == "2 分 05 秒" and format_duration(45) == "45 秒"
    with pytest.raises(ValueError):
        reading_seconds(body, 0)


def test_calendar_fixed_wrapping_and_movable_events():
    assert calendar.occurrence(2026, "05-12", "05-18") == calendar.Period(dt.date(2026, 5, 12), dt.date(2026, 5, 18))
    wrap = calendar.occurrence(2026, "10-01", "01-31")
    assert wrap.end == dt.date(2027, 1, 31)
    # January 2027 belongs to the season that began in October 2026
    assert calendar.current_or_next(dt.date(2027, 1, 10), "10-01", "01-31").start == dt.date(2026, 10, 1)
    assert calendar.is_active(dt.date(2027, 1, 10), "10-01", "01-31")
    assert not calendar.is_active(dt.date(2027, 2, 1), "10-01", "01-31")
    # September 2026: Mondays 7, 14, 21 → the third week is 21–27
    kepu = calendar.occurrence(2026, "09-15", "09-21", "third-week-of-september")
    assert (kepu.start, kepu.end) == (dt.date(2026, 9, 21), dt.date(2026, 9, 27))
    assert calendar.occurrence(2025, "", "", "third-week-of-september").start == dt.date(2025, 9, 15)
    assert calendar.occurrence(2026, "", "", "last-week-of-october").start == dt.date(2026, 10, 26)
    assert calendar.current_or_next(dt.date(2026, 6, 1), "05-12", "05-18").start == dt.date(2027, 5, 12)


@pytest.mark.parametrize("bad", ["5-32", "02-29", "13-01", "x", ""])
def test_calendar_refuses_bad_dates(bad):
    with pytest.raises(calendar.CalendarError):
        calendar.parse_month_day(bad)


def test_calendar_refuses_unknown_rules():
    with pytest.raises(calendar.CalendarError):
        calendar.parse_rule("third-day-of-september")


def test_playlist_expands_repeat_rules_in_order():
    week = playlist.SlotRule(dt.date(2026, 5, 11), dt.date(2026, 5, 17),
                             tuple(playlist.parse_times("17:30，07:30")), playlist.Repeat.WORKDAYS)
    weekly = playlist.SlotRule(dt.date(2026, 5, 1), dt.date(2026, 5, 31), (dt.time(12),), playlist.Repeat.WEEKLY,
                               frozenset({5}))  # Saturdays
    plays = playlist.expand([(week, "市级", "防震广播", 90, "http://x/a.txt", "a"),
                             (weekly, "乡村", "周末广播", 60, "http://x/b.mp3", "b")],
                            dt.date(2026, 5, 14), dt.date(2026, 5, 17))
    assert [(p.day.day, p.time.strftime("%H:%M"), p.channel) for p in plays] == [
        (14, "07:30", "市级"), (14, "17:30", "市级"), (15, "07:30", "市级"), (15, "17:30", "市级"), (16, "12:00", "乡村")]
    csv_text = playlist.to_csv(plays)
    assert csv_text.splitlines()[0] == "日期,时间,频道,标题,时长（秒）,媒体,编号"
    assert "2026-05-16,12:00,乡村,周末广播,60,http://x/b.mp3,b" in csv_text
    m3u = playlist.to_m3u(plays).splitlines()
    assert m3u[0] == "#EXTM3U" and m3u[1] == "#EXTINF:90,市级 2026-05-14 07:30 防震广播" and m3u[2] == "http://x/a.txt"
    assert len(m3u) == 1 + 2 * len(plays)


@pytest.mark.parametrize("raw", ["25:00", "7点半", "", " , "])
def test_playlist_refuses_bad_times(raw):
    with pytest.raises(playlist.PlaylistError):
        playlist.parse_times(raw)


def test_playlist_checks_period_and_weekdays():
    with pytest.raises(playlist.PlaylistError):
        playlist.check_rule(playlist.SlotRule(dt.date(2026, 5, 2), dt.date(2026, 5, 1), (dt.time(7),), playlist.Repeat.DAILY))
    with pytest.raises(playlist.PlaylistError):
        playlist.check_rule(playlist.SlotRule(dt.date(2026, 5, 1), dt.date(2026, 5, 9), (dt.time(7),), playlist.Repeat.WEEKLY))
