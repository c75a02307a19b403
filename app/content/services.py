"""Business rules of the portal: the editorial workflow, campaign events, broadcast slots, anonymous
counters and the content generation. Services flush, never commit; every change is audited."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app.content import media
from app.content.calendar import CalendarError, occurrence, parse_month_day, parse_rule
from app.content.models import (
    CampaignEvent,
    ContentHazard,
    ContentItem,
    ContentState,
    ContentVersion,
    ItemDailyViews,
    ItemStatus,
    QuizDailyStat,
)
from app.content.rules import HAZARDS, ContentType, is_slug, plain_text, reading_seconds, sanitise_html
from app.core import audit
from app.core.errors import DomainError
from app.db import utcnow
from app.extensions import db

DEFAULT_CHARS_PER_MINUTE = 240


# ---- the content generation (the public page cache's key) ---------------------------------------

def bump_generation() -> None:
    """Mark that public content changed: every cached public page is rebuilt on its next request."""
    now = utcnow()
    updated = db.session.execute(sa.update(ContentState).where(ContentState.id == 1)
                                 .values(generation=ContentState.generation + 1, changed_at=now)).rowcount
    if not updated:
        db.session.add(ContentState(id=1, generation=1, changed_at=now))
    db.session.flush()


def current_generation() -> tuple[int, dt.datetime | None]:
    """(generation, when it last changed); (0, None) before anything was loaded."""
    row = db.session.execute(sa.select(ContentState.generation, ContentState.changed_at)
                             .where(ContentState.id == 1)).first()
    return (row.generation, row.changed_at) if row else (0, None)


# ---- items: writing and the workflow --------------------------------------------------------------

def chars_per_minute(config) -> int:
    return int(config.get("CONTENT_READING_CHARS_PER_MINUTE") or DEFAULT_CHARS_PER_MINUTE)


def _check_fields(key: str, type_: str, title: str, hazards: list[str]) -> None:
    if not is_slug(key):
        raise DomainError("编号只能用小写字母、数字和连字符（例如 dizhen-bixian），最长 80 个字符", field="key")
    if type_ not in set(ContentType):
        raise DomainError(f"未知的内容类型“{type_}”", field="type")
    if not title.strip():
        raise DomainError("请填写标题", field="title")
    unknown = [h for h in hazards if h not in HAZARDS]
    if unknown:
        raise DomainError(f"未知的灾种标签：{'、'.join(unknown)}", field="hazards")


def _events_by_key(keys: list[str]) -> list[CampaignEvent]:
    found = db.session.scalars(sa.select(CampaignEvent).where(CampaignEvent.key.in_(keys))).all() if keys else []
    missing = set(keys) - {e.key for e in found}
    if missing:
        raise DomainError(f"日历中没有这些活动：{'、'.join(sorted(missing))}", field="events")
    return list(found)


def save_item(item: ContentItem | None, *, key: str, type_: str, title: str, summary: str, body: str,
              hazards: list[str], event_keys: list[str], speed: int, author=None, note: str = "",
              from_file: bool = False) -> ContentItem:
    """Create an item (a draft) or save a new version of a draft. The body is sanitised, a broadcast
    script's reading time computed at ``speed`` characters a minute. Raises DomainError for bad
    fields, a duplicate key, or an item that is not a draft (withdraw it first). Returns the item."""
    key, title = key.strip(), title.strip()
    _check_fields(key, type_, title, hazards)
    events = _events_by_key(event_keys)
    clean = sanitise_html(body)
    if item is None:
        if db.session.scalar(sa.select(ContentItem.id).where(ContentItem.key == key)):
            raise DomainError(f"编号“{key}”已被使用", field="key")
        item = ContentItem(key=key, type=type_, status=ItemStatus.DRAFT, created_by_id=getattr(author, "id", None),
                           version=0)
        db.session.add(item)
        before = None
    else:
        if item.status != ItemStatus.DRAFT and not from_file:
            raise DomainError("只有草稿可以修改：请先撤回为草稿，修改后再提交审核")
        before = item.snapshot()
    item.type, item.title, item.summary, item.body = type_, title, summary.strip(), clean
    item.search_text = "\n".join([title, summary.strip(), plain_text(clean)])
    item.reading_seconds = reading_seconds(clean, speed) if type_ == ContentType.BROADCAST else 0
    item.hazard_rows = [ContentHazard(hazard=h) for h in dict.fromkeys(hazards)]
    item.events = events
    item.version += 1
    item.is_edited = item.is_edited or not from_file
    item.versions.insert(0, ContentVersion(number=item.version, title=title, summary=item.summary, body=clean,
                                        author_id=getattr(author, "id", None),
                                        author_name=getattr(author, "display_name", None) or "系统",
                                        note=note[:200]))
    db.session.flush()
    audit.record("content.item.create" if before is None else "content.item.update", "content_item", item.id,
                 before=before, after=item.snapshot(), reason=note, actor=author)
    bump_generation()
    return item


def recompute_reading_times(speed: int) -> int:
    """Recompute every broadcast script's reading time at ``speed`` characters a minute (after the
    configured speed changed). Returns how many changed."""
    changed = 0
    for item in db.session.scalars(sa.select(ContentItem).where(ContentItem.type == ContentType.BROADCAST)):
        seconds = reading_seconds(item.body, speed)
        if seconds != item.reading_seconds:
            item.reading_seconds, changed = seconds, changed + 1
    if changed:
        db.session.flush()
        bump_generation()
    return changed


def _transition(item: ContentItem, action: str, change, reason: str = "", actor=None) -> ContentItem:
    before = item.snapshot()
    change()
    db.session.flush()
    audit.record(f"content.item.{action}", "content_item", item.id, before=before, after=item.snapshot(),
                 reason=reason, actor=actor)
    bump_generation()
    return item


def submit_item(item: ContentItem, actor=None) -> ContentItem:
    """Draft → waiting for an admin's review. Raises DomainError otherwise."""
    return _transition(item, "submit", item.submit, actor=actor)


def approve_item(item: ContentItem, approver, publish_at: dt.datetime | None = None) -> ContentItem:
    """Approve for publication at ``publish_at`` (UTC-aware; now when None). The item is public from
    then on. Raises DomainError when it is not waiting for review or the time is naive."""
    when = publish_at or utcnow()
    if when.tzinfo is None:
        raise DomainError("发布时间缺少时区")
    reason = f"定时发布 {when.isoformat()}" if when > utcnow() else "立即发布"
    return _transition(item, "approve", lambda: item.approve(approver.id, when), reason, actor=approver)


def reject_item(item: ContentItem, note: str, actor=None) -> ContentItem:
    """Back to the editor with a note. Raises DomainError without a note or when not pending."""
    return _transition(item, "reject", lambda: item.reject(note), note, actor=actor)


def withdraw_item(item: ContentItem, actor=None) -> ContentItem:
    """Take a pending or published item back to draft (off the public site) to change it."""
    return _transition(item, "withdraw", item.withdraw, actor=actor)


def archive_item(item: ContentItem, actor=None) -> ContentItem:
    return _transition(item, "archive", item.archive, actor=actor)


def restore_item(item: ContentItem, actor=None) -> ContentItem:
    return _transition(item, "restore", item.restore, actor=actor)


def attach_image(item: ContentItem, data: bytes, root: str, actor=None) -> ContentItem:
    """Re-encode an uploaded cover image and attach it. Raises DomainError for a bad image."""
    jpeg = media.reencode_image(data)
    before = {"image": item.image_file}
    item.image_file = media.store(root, jpeg, "jpg")
    db.session.flush()
    audit.record("content.item.image", "content_item", item.id, before=before, after={"image": item.image_file},
                 actor=actor)
    bump_generation()
    return item


def attach_media(item: ContentItem, data: bytes, root: str, actor=None) -> ContentItem:
    """Attach the item's audio (broadcast), video or PDF after checking its bytes and size."""
    kind = media.check_media(data, item.type)
    before = {"media": item.media_file}
    item.media_file, item.media_kind = media.store(root, data, kind), kind
    db.session.flush()
    audit.record("content.item.media", "content_item", item.id, before=before,
                 after={"media": item.media_file, "kind": kind}, actor=actor)
    bump_generation()
    return item


# ---- public reading ----------------------------------------------------------------------------------

def public_filter(stmt, now: dt.datetime):
    return stmt.where(ContentItem.status == ItemStatus.APPROVED, ContentItem.published_at <= now)


def public_items(now: dt.datetime, *, type_: str | None = None, hazard: str | None = None,
                 event: CampaignEvent | None = None, query: str | None = None):
    """A select of the items public at ``now``, newest first, narrowed by type, hazard, event, words."""
    stmt = public_filter(sa.select(ContentItem), now)
    if type_:
        stmt = stmt.where(ContentItem.type == type_)
    if hazard:
        stmt = stmt.where(ContentItem.id.in_(sa.select(ContentHazard.item_id).where(ContentHazard.hazard == hazard)))
    if event is not None:
        stmt = stmt.where(ContentItem.events.any(CampaignEvent.id == event.id))
    for word in (query or "").split()[:5]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(ContentItem.search_text.like(f"%{escaped}%", escape="\\"))
    return stmt.order_by(ContentItem.published_at.desc(), ContentItem.id.desc())


def next_publication(now: dt.datetime) -> dt.datetime | None:
    """When the next approved item goes public (the public page cache must not outlive it)."""
    return db.session.scalar(sa.select(sa.func.min(ContentItem.published_at))
                             .where(ContentItem.status == ItemStatus.APPROVED, ContentItem.published_at > now))


def _upsert(model, keys: dict, increments: dict) -> None:
    """INSERT … ON CONFLICT DO UPDATE adding ``increments`` (SQLite and PostgreSQL)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(model).values(**keys, **increments)
    stmt = stmt.on_conflict_do_update(index_elements=list(keys),
                                      set_={k: getattr(model, k) + stmt.excluded[k] for k in increments})
    db.session.execute(stmt)


def record_view(item_id: int, day: dt.date) -> None:
    """Count one view of an item on a local day. No reader data is stored."""
    _upsert(ItemDailyViews, {"item_id": item_id, "day": day}, {"views": 1})


def record_quiz(quiz: str, day: dt.date, answered: int, correct: int) -> None:
    """Count one anonymous quiz participation with its answered and correct questions."""
    _upsert(QuizDailyStat, {"quiz": quiz, "day": day}, {"participants": 1, "answered": answered, "correct": correct})


# ---- campaign events ---------------------------------------------------------------------------------

def check_event_dates(start: str, end: str, rule: str | None) -> None:
    """Raises DomainError when the dates or the rule cannot be used."""
    try:
        parse_month_day(start)
        parse_month_day(end)
        if rule:
            parse_rule(rule)
    except CalendarError as exc:
        raise DomainError(str(exc), field="rule" if rule and "规则" in str(exc) else "start_md") from None


def update_event(event: CampaignEvent, *, name: str, start: str, end: str, rule: str | None, description: str,
                 hazards: list[str], themes: dict[str, str], actor=None) -> CampaignEvent:
    """An editor's change to an event (dates, yearly themes …); a later file load keeps it."""
    check_event_dates(start, end, rule)
    unknown = [h for h in hazards if h not in HAZARDS]
    if unknown:
        raise DomainError(f"未知的灾种标签：{'、'.join(unknown)}", field="hazards")
    if not name.strip():
        raise DomainError("请填写名称", field="name")
    before = event.snapshot()
    event.name, event.start_md, event.end_md, event.rule = name.strip(), start, end, rule or None
    event.description, event.hazards = description.strip(), list(dict.fromkeys(hazards))
    event.themes = {str(y): t.strip() for y, t in themes.items() if t and t.strip()}
    event.is_edited = True
    db.session.flush()
    audit.record("content.event.update", "campaign_event", event.key, before=before, after=event.snapshot(),
                 actor=actor)
    bump_generation()
    return event


def events_on(day: dt.date) -> tuple[list[tuple[CampaignEvent, object]], list[tuple[CampaignEvent, object]]]:
    """(campaigns running on ``day``, campaigns to come), each with its period, in date order."""
    from app.content.calendar import current_or_next
    current, coming = [], []
    for event in db.session.scalars(sa.select(CampaignEvent)):
        period = current_or_next(day, event.start_md, event.end_md, event.rule)
        (current if day in period else coming).append((event, period))
    current.sort(key=lambda ep: (ep[1].days, ep[1].start))  # the most specific campaign first
    coming.sort(key=lambda ep: ep[1].start)
    return current, coming


def event_periods(year: int) -> list[tuple[CampaignEvent, object]]:
    """Every event with its period starting in ``year``, in date order."""
    rows = [(e, occurrence(year, e.start_md, e.end_md, e.rule)) for e in db.session.scalars(sa.select(CampaignEvent))]
    return sorted(rows, key=lambda ep: ep[1].start)


# ---- statistics ---------------------------------------------------------------------------------------

def item_view_totals(since: dt.date | None = None) -> dict[int, int]:
    stmt = sa.select(ItemDailyViews.item_id, sa.func.sum(ItemDailyViews.views)).group_by(ItemDailyViews.item_id)
    if since:
        stmt = stmt.where(ItemDailyViews.day >= since)
    return {item_id: int(n) for item_id, n in db.session.execute(stmt)}


def quiz_totals(since: dt.date | None = None) -> dict[str, tuple[int, int, int]]:
    """quiz → (participants, answered, correct)."""
    stmt = (sa.select(QuizDailyStat.quiz, sa.func.sum(QuizDailyStat.participants), sa.func.sum(QuizDailyStat.answered),
                      sa.func.sum(QuizDailyStat.correct)).group_by(QuizDailyStat.quiz))
    if since:
        stmt = stmt.where(QuizDailyStat.day >= since)
    return {q: (int(p), int(a), int(c)) for q, p, a, c in db.session.execute(stmt)}


def campaign_totals(since: dt.date | None = None) -> list[dict]:
    """Per campaign event: items, their views, and the participations of the event's quiz."""
    views = item_view_totals(since)
    quizzes = quiz_totals(since)
    rows = []
    for event in db.session.scalars(sa.select(CampaignEvent).order_by(CampaignEvent.start_md)):
        ids = db.session.scalars(sa.select(ContentItem.id).where(ContentItem.events.any(CampaignEvent.id == event.id))).all()
        rows.append({"event": event, "items": len(ids), "views": sum(views.get(i, 0) for i in ids),
                     "quiz": quizzes.get(f"event:{event.key}", (0, 0, 0))[0]})
    return rows
