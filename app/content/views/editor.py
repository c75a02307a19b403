"""The editors' pages: items and their workflow, versions, uploads, campaign events, statistics."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role
from app.accounts.permissions import role_required
from app.content import bp, quiz, services
from app.content.forms import ActionForm, ApproveForm, EventForm, ItemForm, RejectForm, UploadForm
from app.content.models import CampaignEvent, ContentItem, ItemStatus
from app.content.rules import ContentType
from app.content.views.public import _send_media
from app.core.errors import DomainError
from app.core.forms import apply_domain_error
from app.core.pagination import paginate
from app.core.timeutil import LOCAL_TZ, local_today
from app.extensions import db

EDITORS = (Role.EDITOR, Role.ADMIN)
ACTIONS = {"submit": services.submit_item, "withdraw": services.withdraw_item, "archive": services.archive_item,
           "restore": services.restore_item}
ACTION_DONE = {"submit": "已提交审核", "withdraw": "已撤回为草稿", "archive": "已归档", "restore": "已恢复为草稿"}


def _item_or_404(content_id: int) -> ContentItem:
    return db.get_or_404(ContentItem, content_id)


def _event_choices():
    return [(e.key, e.name) for e in db.session.scalars(sa.select(CampaignEvent).order_by(CampaignEvent.start_md))]


@bp.route("/admin/")
@role_required(*EDITORS)
def dashboard():
    """Statistics without trackers: views per item, quiz participation, per campaign (last 30 days and all)."""
    since = local_today() - dt.timedelta(days=30) if request.args.get("range") != "all" else None
    views = services.item_view_totals(since)
    top_ids = sorted(views, key=views.get, reverse=True)[:20]
    items = {i.id: i for i in db.session.scalars(sa.select(ContentItem).where(ContentItem.id.in_(top_ids)))}
    counts = dict(db.session.execute(sa.select(ContentItem.status, sa.func.count()).group_by(ContentItem.status)).all())
    names = dict(db.session.execute(sa.select(CampaignEvent.key, CampaignEvent.name)).all())
    quizzes = [(_quiz_label(key, names), totals) for key, totals in sorted(services.quiz_totals(since).items())]
    return render_template("content/admin_dashboard.html", top=[(items[i], views[i]) for i in top_ids if i in items],
                           quizzes=quizzes, campaigns=services.campaign_totals(since),
                           counts=counts, statuses=ItemStatus, pool=quiz.pool_counts(), since=since)


def _quiz_label(key: str, event_names: dict[str, str]) -> str:
    """"hazard:地震" → "地震"; "event:<key>" → the event's name; "all" → "综合"."""
    kind, _sep, rest = key.partition(":")
    if kind == "hazard":
        return rest
    if kind == "event":
        return event_names.get(rest, rest)
    return _("综合")


@bp.route("/admin/items")
@role_required(*EDITORS)
def admin_items():
    """Every item, by status and type."""
    status = request.args.get("status") or None
    stmt = sa.select(ContentItem).order_by(ContentItem.updated_at.desc())
    if status in set(ItemStatus):
        stmt = stmt.where(ContentItem.status == status)
    return render_template("content/admin_items.html", page=paginate(stmt), status=status, statuses=ItemStatus,
                           now=services.utcnow())


def _save(form: ItemForm, item: ContentItem | None):
    try:
        saved = services.save_item(item, key=form.key.data if item is None else item.key, type_=form.type.data,
                                   title=form.title.data, summary=form.summary.data or "", body=form.body.data or "",
                                   hazards=form.hazards.data or [], event_keys=form.events.data or [],
                                   speed=services.chars_per_minute(current_app.config), author=current_user,
                                   note=form.note.data or "")
    except DomainError as exc:
        db.session.rollback()
        apply_domain_error(form, exc)
        return None
    db.session.commit()
    flash(_("已保存（第 %(n)d 版）", n=saved.version), "success")
    return redirect(url_for("content.item_detail", content_id=saved.id))


@bp.route("/admin/items/new", methods=["GET", "POST"])
@role_required(*EDITORS)
def item_new():
    """A new draft."""
    form = ItemForm()
    form.events.choices = _event_choices()
    if form.validate_on_submit():
        done = _save(form, None)
        if done:
            return done
    return render_template("content/admin_item_form.html", form=form, item=None)


@bp.route("/admin/items/<int:content_id>/edit", methods=["GET", "POST"])
@role_required(*EDITORS)
def item_edit(content_id: int):
    """Change a draft: a new version is kept."""
    item = _item_or_404(content_id)
    form = ItemForm(obj=item) if request.method == "GET" else ItemForm()
    form.events.choices = _event_choices()
    if request.method == "GET":
        form.hazards.data, form.events.data = item.hazards, [e.key for e in item.events]
    form.key.data = item.key
    if form.validate_on_submit():
        done = _save(form, item)
        if done:
            return done
    return render_template("content/admin_item_form.html", form=form, item=item)


@bp.route("/admin/items/<int:content_id>")
@role_required(*EDITORS)
def item_detail(content_id: int):
    """An item: preview, status, the workflow buttons, uploads and its versions."""
    item = _item_or_404(content_id)
    number = request.args.get("version", type=int)
    shown = next((v for v in item.versions if v.number == number), None) if number else None
    return render_template("content/admin_item.html", item=item, shown=shown, action_form=ActionForm(),
                           approve_form=ApproveForm(), reject_form=RejectForm(), upload_form=UploadForm(),
                           is_admin=current_user.has_role(Role.ADMIN), types=ContentType, now=services.utcnow())


@bp.route("/admin/items/<int:content_id>/do/<item_action>", methods=["POST"])
@role_required(*EDITORS)
def item_action(content_id: int, item_action: str):
    """Submit, withdraw, archive or restore (editors and admins)."""
    item = _item_or_404(content_id)
    if item_action not in ACTIONS:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        ACTIONS[item_action](item, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_(ACTION_DONE[item_action]), "success")
    return redirect(url_for("content.item_detail", content_id=item.id))


@bp.route("/admin/items/<int:content_id>/approve", methods=["POST"])
@role_required(Role.ADMIN)
def item_approve(content_id: int):
    """An admin approves, now or for a set time (Beijing time)."""
    item = _item_or_404(content_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        flash(_("发布时间格式不正确"), "danger")
        return redirect(url_for("content.item_detail", content_id=item.id))
    when = form.publish_at.data.replace(tzinfo=LOCAL_TZ).astimezone(dt.UTC) if form.publish_at.data else None
    try:
        services.approve_item(item, current_user, when)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("已批准，将于 %(t)s 发布", t=item.published_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")), "success")
    return redirect(url_for("content.item_detail", content_id=item.id))


@bp.route("/admin/items/<int:content_id>/reject", methods=["POST"])
@role_required(Role.ADMIN)
def item_reject(content_id: int):
    """An admin sends the item back to the editor with a note."""
    item = _item_or_404(content_id)
    form = RejectForm()
    try:
        if not form.validate_on_submit():
            raise DomainError(_("退回时请写明原因，方便编辑修改"))
        services.reject_item(item, form.note.data, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("已退回修改"), "success")
    return redirect(url_for("content.item_detail", content_id=item.id))


@bp.route("/admin/items/<int:content_id>/upload/<upload_kind>", methods=["POST"])
@role_required(*EDITORS)
def item_upload(content_id: int, upload_kind: str):
    """Upload the cover image (re-encoded) or the audio / video / PDF file."""
    item = _item_or_404(content_id)
    if upload_kind not in ("image", "media"):
        abort(404)
    form = UploadForm()
    if not form.validate_on_submit():
        flash(_("请选择文件"), "danger")
        return redirect(url_for("content.item_detail", content_id=item.id))
    data = form.file.data.read()
    attach = services.attach_image if upload_kind == "image" else services.attach_media
    try:
        attach(item, data, current_app.config["UPLOAD_ROOT"], actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("已上传"), "success")
    return redirect(url_for("content.item_detail", content_id=item.id))


@bp.route("/admin/items/<int:content_id>/file")
@role_required(*EDITORS)
def item_file_admin(content_id: int):
    """The item's file for the editors, whatever its status."""
    item = _item_or_404(content_id)
    if not item.media_file:
        abort(404)
    return _send_media(item)


@bp.route("/admin/events")
@role_required(*EDITORS)
def admin_events():
    """The campaign calendar for the editors (this year's periods, themes)."""
    year = local_today().year
    return render_template("content/admin_events.html", rows=services.event_periods(year), year=year)


def _themes_from_text(text: str) -> dict[str, str]:
    themes = {}
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        year, sep, theme = line.replace("：", ":").partition(":")
        if not sep or not year.strip().isdigit() or len(year.strip()) != 4:
            raise DomainError(_("年度主题每行应为“2026: 主题”"), field="themes")
        themes[year.strip()] = theme.strip()
    return themes


@bp.route("/admin/events/<int:campaign_id>", methods=["GET", "POST"])
@role_required(*EDITORS)
def event_edit(campaign_id: int):
    """Change an event's dates, rule, hazards and yearly themes."""
    event = db.get_or_404(CampaignEvent, campaign_id)
    form = EventForm(obj=event)
    if request.method == "GET":
        form.themes.data = "\n".join(f"{y}: {t}" for y, t in sorted((event.themes or {}).items()))
    if form.validate_on_submit():
        try:
            services.update_event(event, name=form.name.data, start=form.start_md.data.strip(),
                                  end=form.end_md.data.strip(), rule=(form.rule.data or "").strip() or None,
                                  description=form.description.data or "", hazards=form.hazards.data or [],
                                  themes=_themes_from_text(form.themes.data), actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("已保存"), "success")
            return redirect(url_for("content.admin_events"))
    return render_template("content/admin_event_form.html", form=form, event=event)
