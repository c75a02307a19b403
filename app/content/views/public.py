"""Public pages: no login, no cookie, cached per content generation, answered 304 when unchanged."""
from __future__ import annotations

import io

import sqlalchemy as sa
from flask import abort, current_app, render_template, request, send_file, url_for
from flask_babel import gettext as _

from app.content import bp, cache, feeds, quiz, services
from app.content.media import MEDIA_TYPES, path_of
from app.content.models import CampaignEvent, ContentItem
from app.content.rules import HAZARD_BY_SLUG, HAZARDS, ContentType, format_duration, plain_text
from app.core.database import write_intent
from app.core.timeutil import local_today
from app.db import utcnow
from app.extensions import csrf, db, limiter

HOME_LATEST = 8
FEED_SIZE = 30
LIST_SIZE = 12


def _public_item_or_404(key: str) -> ContentItem:
    item = db.session.scalar(sa.select(ContentItem).where(ContentItem.key == key))
    if item is None or not item.is_public():
        abort(404)
    return item


def _render_home():
    now, today = utcnow(), local_today()
    current, coming = services.events_on(today)
    latest = db.session.scalars(services.public_items(now).limit(HOME_LATEST)).all()
    featured = []
    if current:
        featured = db.session.scalars(services.public_items(now, event=current[0][0]).limit(4)).all()
    return render_template("content/home.html", current=current, coming=coming[:4], latest=latest,
                           featured=featured, today=today, hazards=HAZARDS)


@bp.route("/")
def home():
    """The portal's home: the current campaign, the latest content and the coming events."""
    response, _extra = cache.cached_page(("home",), _render_home)
    return response


@bp.route("/list")
def items():
    """All public items, narrowed by type, hazard and search words; paginated."""
    type_ = request.args.get("type") or None
    hazard_slug = request.args.get("hazard") or None
    q = (request.args.get("q") or "").strip()[:50]
    page = request.args.get("page", 1, type=int)
    if (type_ and type_ not in set(ContentType)) or (hazard_slug and hazard_slug not in HAZARD_BY_SLUG) or page < 1:
        abort(404)
    hazard = HAZARD_BY_SLUG.get(hazard_slug) if hazard_slug else None

    def build():
        stmt = services.public_items(utcnow(), type_=type_, hazard=hazard, query=q)
        pagination = db.paginate(stmt, page=page, per_page=LIST_SIZE, error_out=False)
        return render_template("content/list.html", page=pagination, type_=type_, hazard=hazard,
                               hazard_slug=hazard_slug, q=q, types=ContentType, hazards=HAZARDS)

    key = None if q else ("list", type_, hazard_slug, page)
    response, _extra = cache.cached_page(key, build)
    return response


def _item_page(key: str, template: str):
    def build():
        item = _public_item_or_404(key)
        related = db.session.scalars(services.public_items(utcnow(), hazard=item.hazards[0] if item.hazards else None)
                                     .where(ContentItem.id != item.id).limit(4)).all()
        body = render_template(template, item=item, related=related, duration=format_duration(item.reading_seconds),
                               hazards=HAZARDS)
        return body, item.id

    response, item_id = cache.cached_page((template, key), build)
    return response, item_id


@bp.route("/item/<item_key>")
def item(item_key: str):
    """One public item; its view is counted (a number per day, nothing about the reader)."""
    response, item_id = _item_page(item_key, "content/item.html")
    if request.method == "GET":
        # A short write transaction of its own, taking SQLite's lock up front: upgrading the page's
        # read transaction to a write would fail under concurrent readers ("database is locked").
        db.session.rollback()
        write_intent()
        services.record_view(item_id, local_today())
        db.session.commit()
    return response


@bp.route("/item/<item_key>/print")
def item_print(item_key: str):
    """A print-friendly page of the item (handbooks, posters, scripts)."""
    response, _id = _item_page(item_key, "content/item_print.html")
    return response


@bp.route("/item/<item_key>/script.txt")
def item_text(item_key: str):
    """A broadcast script as plain text (for the announcer or a text-to-speech system)."""
    def build():
        item = _public_item_or_404(item_key)
        return f"{item.title}\n\n{plain_text(item.body)}\n"
    response, _extra = cache.cached_page(("text", item_key), build, "text/plain; charset=utf-8")
    return response


@bp.route("/item/<item_key>/file")
def item_file(item_key: str):
    """The item's audio, video or PDF, stored privately and served only while the item is public."""
    item = _public_item_or_404(item_key)
    if not item.media_file:
        abort(404)
    return _send_media(item)


def _send_media(item: ContentItem):
    try:
        path = path_of(current_app.config["UPLOAD_ROOT"], item.media_file)
    except FileNotFoundError:
        abort(404)
    if not path.exists():
        abort(404)
    return send_file(path, mimetype=MEDIA_TYPES.get(item.media_kind, "application/octet-stream"),
                     as_attachment=item.media_kind == "pdf", download_name=f"{item.key}.{item.media_kind}",
                     conditional=True, max_age=3600)


@bp.route("/media/<media_name>")
def media_image(media_name: str):
    """A cover image of a public item (re-encoded on upload)."""
    item = db.session.scalar(sa.select(ContentItem).where(ContentItem.image_file == media_name))
    if item is None or not item.is_public():
        abort(404)
    path = path_of(current_app.config["UPLOAD_ROOT"], media_name)
    if not path.exists():
        abort(404)
    return send_file(path, mimetype="image/jpeg", conditional=True, max_age=86400)


@bp.route("/calendar")
def calendar():
    """The campaign calendar of a year, with the yearly themes the editors set."""
    year = request.args.get("year", local_today().year, type=int)
    if not 2000 <= year <= 2100:
        abort(404)

    def build():
        return render_template("content/calendar.html", rows=services.event_periods(year), year=year,
                               today=local_today())

    response, _extra = cache.cached_page(("calendar", year), build)
    return response


@bp.route("/calendar.ics")
def calendar_ics():
    """The calendar as iCalendar: this year's and next year's campaigns."""
    def build():
        year = local_today().year
        rows = services.event_periods(year) + services.event_periods(year + 1)
        _gen, changed = services.current_generation()
        return feeds.ical_calendar(_("应急文化宣传日历"), rows,
                                   lambda e: url_for("content.event", campaign_key=e.key, _external=True),
                                   current_app.config.get("ICAL_UID_DOMAIN", "exam-base.local"), changed or utcnow())

    response, _extra = cache.cached_page(("ics",), build, "text/calendar; charset=utf-8")
    return response


@bp.route("/event/<campaign_key>")
def event(campaign_key: str):
    """One campaign with its period, this year's theme and its content collection."""
    def build():
        ev = db.session.scalar(sa.select(CampaignEvent).where(CampaignEvent.key == campaign_key))
        if ev is None:
            abort(404)
        from app.content.calendar import current_or_next
        period = current_or_next(local_today(), ev.start_md, ev.end_md, ev.rule)
        rows = db.session.scalars(services.public_items(utcnow(), event=ev)).all()
        return render_template("content/event.html", event=ev, period=period, items=rows, today=local_today(),
                               quiz_slug=f"event-{ev.key}" if ev.hazards else None)

    response, _extra = cache.cached_page(("event", campaign_key), build)
    return response


@bp.route("/feed.atom")
def feed():
    """The Atom feed of the latest public items."""
    def build():
        rows = db.session.scalars(services.public_items(utcnow()).limit(FEED_SIZE)).all()
        _gen, changed = services.current_generation()
        updated = max([changed or utcnow()] + [r.published_at for r in rows])
        pairs = [(r, url_for("content.item", item_key=r.key, _external=True)) for r in rows]
        return feeds.atom_feed(_("应急文化"), url_for("content.feed", _external=True),
                               url_for("content.home", _external=True), pairs, updated)

    response, _extra = cache.cached_page(("atom",), build, "application/atom+xml; charset=utf-8")
    return response


# ---- quizzes ------------------------------------------------------------------------------------------

@bp.route("/quiz")
def quiz_index():
    """The quizzes: one per hazard with questions, a mixed one, and the campaigns'."""
    def build():
        counts = quiz.pool_counts()
        current, _coming = services.events_on(local_today())
        return render_template("content/quiz_index.html", counts=counts, hazards=HAZARDS, current=current,
                               total=sum(counts.values()))

    response, _extra = cache.cached_page(("quiz_index",), build)
    return response


def _quiz_limit() -> str:
    return current_app.config.get("CONTENT_QUIZ_LIMIT", "30 per hour")


@bp.route("/quiz/<quiz_slug>", methods=["GET", "POST"])
@csrf.exempt  # anonymous and without a session: nothing a forged request could do on someone's behalf
@limiter.limit(_quiz_limit, methods=["POST"])
def quiz_take(quiz_slug: str):
    """GET: ten questions drawn from the public pool. POST: the marked answers with explanations."""
    found = quiz.quiz_for_slug(quiz_slug)
    if found is None:
        abort(404)
    if request.method == "GET":
        questions = quiz.draw(found)
        if not questions:
            abort(404)
        response = current_app.make_response(render_template("content/quiz.html", quiz=found, questions=questions))
        response.headers["Cache-Control"] = "no-store"
        return response
    ids = [int(v) for v in request.form.getlist("qid") if v.isdigit()][:quiz.QUIZ_LENGTH]
    questions = quiz.questions_by_ids(found, ids)
    if not questions:
        abort(400)
    responses = {q.id: "".join(request.form.getlist(f"q{q.id}")) for q in questions}
    marked = quiz.grade(questions, responses)
    correct = sum(m.correct for m in marked)
    answered = sum(m.response is not None for m in marked)
    today = local_today()
    db.session.rollback()  # end the reads; the count is a short write transaction of its own
    write_intent()
    services.record_quiz(found.key, today, answered, correct)
    db.session.commit()
    token = quiz.result_token(current_app.config["SECRET_KEY"], found, correct, len(marked), today.isoformat())
    response = current_app.make_response(render_template("content/quiz_result.html", quiz=found, marked=marked,
                                                          correct=correct, total=len(marked), token=token))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/quiz/result/<result_token>")
def quiz_result(result_token: str):
    """The shareable result card: the quiz, the score and the date, signed by the server."""
    result = quiz.read_result(current_app.config["SECRET_KEY"], result_token)
    found = quiz.quiz_for_slug(result[0]) if result else None
    if found is None:
        abort(404)
    _slug, correct, total, day = result
    return render_template("content/quiz_card.html", quiz=found, correct=correct, total=total, day=day, token=result_token)


@bp.route("/quiz/result/<result_token>.png")
def quiz_card_png(result_token: str):
    """The result card as a PNG picture to share in a chat."""
    result = quiz.read_result(current_app.config["SECRET_KEY"], result_token)
    found = quiz.quiz_for_slug(result[0]) if result else None
    if found is None:
        abort(404)
    from app.content.card import render_card
    png = render_card(found.title, result[1], result[2], result[3], current_app.config["SITE_NAME"])
    return send_file(io.BytesIO(png), mimetype="image/png", max_age=86400)
