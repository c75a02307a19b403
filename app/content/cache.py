"""The public page cache: whole rendered pages per worker process, keyed by the content generation.

A page is rebuilt when the generation changed (an editor, admin or load changed something), when an
approved item's publication time has come (scheduled items appear on time without a background job),
and at local midnight (the current campaign and the coming events depend on the day). Responses carry
an ETag (hash of the body, the same in every worker) and Last-Modified, and conditional requests are
answered 304.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Response, request

from app.content import services
from app.content.models import ContentItem, ItemStatus
from app.core.filters import current_language
from app.core.timeutil import LOCAL_TZ
from app.db import utcnow
from app.extensions import db

MAX_ENTRIES = 2000
MAX_AGE = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Entry:
    generation: tuple  # (generation, changed_at): a rolled-back and repeated bump still differs
    expires: dt.datetime
    body: bytes
    etag: str
    last_modified: dt.datetime
    mimetype: str
    extra: object = None


_ENTRIES: dict[tuple, Entry] = {}


def clear() -> None:
    _ENTRIES.clear()


def _expiry(now: dt.datetime) -> dt.datetime:
    local = now.astimezone(LOCAL_TZ)
    midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), LOCAL_TZ).astimezone(dt.UTC)
    candidates = [now + MAX_AGE, midnight]
    upcoming = services.next_publication(now)
    if upcoming is not None:
        candidates.append(upcoming)
    return min(candidates)


def _last_modified(now: dt.datetime, changed: dt.datetime | None) -> dt.datetime:
    published = db.session.scalar(sa.select(sa.func.max(ContentItem.published_at))
                                  .where(ContentItem.status == ItemStatus.APPROVED, ContentItem.published_at <= now))
    # Pages depend on the day too (the current campaign): the local midnight counts as a change.
    midnight = dt.datetime.combine(now.astimezone(LOCAL_TZ).date(), dt.time(), LOCAL_TZ).astimezone(dt.UTC)
    stamps = [s for s in (changed, published, midnight) if s is not None]
    return max(stamps).replace(microsecond=0)


def _build(build, generation: tuple, changed, now: dt.datetime, mimetype: str) -> Entry:
    result = build()
    body, extra = result if isinstance(result, tuple) else (result, None)
    data = body.encode("utf-8") if isinstance(body, str) else body
    return Entry(generation, _expiry(now), data, hashlib.sha256(data).hexdigest()[:32],
                 _last_modified(now, changed), mimetype, extra)


def cached_page(key: tuple | None, build, mimetype: str = "text/html; charset=utf-8") -> tuple[Response, object]:
    """The page for ``key`` from the cache, or from ``build()`` (a body, or (body, extra)); ``key`` None
    builds every time (search results) but still answers conditional requests.
    Returns (the response, made conditional on the request, and the entry's ``extra``)."""
    generation, changed = services.current_generation()
    stamp = (generation, changed)
    now = utcnow()
    full_key = (key, current_language()) if key is not None else None
    entry = _ENTRIES.get(full_key) if full_key else None
    if entry is None or entry.generation != stamp or now >= entry.expires:
        entry = _build(build, stamp, changed, now, mimetype)
        if full_key:
            if len(_ENTRIES) >= MAX_ENTRIES:
                _ENTRIES.clear()
            _ENTRIES[full_key] = entry
    response = Response(entry.body, mimetype=entry.mimetype)
    response.set_etag(entry.etag)
    response.last_modified = entry.last_modified
    response.cache_control.public = True
    response.cache_control.no_cache = True  # may be stored, but revalidated: the 304 answers are cheap
    response.vary.add("Cookie")  # the language is chosen in the session
    return response.make_conditional(request), entry.extra
