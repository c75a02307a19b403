"""The Atom feed of the latest public items and the iCalendar feed of the campaign calendar."""
from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import icalendar

from app.content.calendar import Period
from app.content.models import CampaignEvent, ContentItem

ATOM_NS = "http://www.w3.org/2005/Atom"


def _rfc3339(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def atom_feed(title: str, self_url: str, home_url: str, items: list[tuple[ContentItem, str]],
              updated: dt.datetime) -> bytes:
    """An Atom 1.0 document; ``items`` are (item, absolute URL) pairs, newest first."""
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed", {"xml:lang": "zh-CN"})

    def sub(parent, tag, text=None, **attrs):
        el = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    sub(feed, "title", title)
    sub(feed, "id", self_url)
    sub(feed, "updated", _rfc3339(updated))
    sub(feed, "link", href=self_url, rel="self", type="application/atom+xml")
    sub(feed, "link", href=home_url, rel="alternate", type="text/html")
    author = sub(feed, "author")
    sub(author, "name", title)
    for item, url in items:
        entry = sub(feed, "entry")
        sub(entry, "title", item.title)
        sub(entry, "id", url)
        sub(entry, "link", href=url, rel="alternate", type="text/html")
        sub(entry, "published", _rfc3339(item.published_at))
        sub(entry, "updated", _rfc3339(max(item.published_at, item.updated_at)))
        sub(entry, "summary", item.summary or item.title)
        for hazard in item.hazards:
            sub(entry, "category", term=hazard)
        sub(entry, "content", item.body, type="html")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8")


def ical_calendar(title: str, rows: list[tuple[CampaignEvent, Period]], url_for_event, uid_domain: str,
                  stamp: dt.datetime) -> bytes:
    """All-day VEVENTs for each event's period (DTEND exclusive, as RFC 5545 wants), with the year's theme."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//anquan-jidi//emergency culture calendar//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", title)
    cal.add("x-wr-timezone", "Asia/Shanghai")
    for event, period in rows:
        ev = icalendar.Event()
        ev.add("uid", f"campaign-{event.key}-{period.start.year}@{uid_domain}")
        ev.add("dtstamp", stamp.astimezone(dt.UTC).replace(microsecond=0))
        ev.add("dtstart", period.start)
        ev.add("dtend", period.end + dt.timedelta(days=1))
        theme = event.theme(period.start.year)
        ev.add("summary", f"{event.name}" + (f"：{theme}" if theme else ""))
        ev.add("description", event.description)
        ev.add("url", url_for_event(event))
        ev.add("transp", "TRANSPARENT")
        cal.add_component(ev)
    return cal.to_ical()
