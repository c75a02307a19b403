"""The broadcast schedule (应急广播): channels, slots with repeat rules, play-list export (CSV, M3U)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.permissions import role_required
from app.content import bp, broadcasting, playlist
from app.content.calendar import current_or_next
from app.content.forms import ActionForm, ChannelForm, SlotForm
from app.content.models import BroadcastChannel, BroadcastSlot, CampaignEvent, ContentItem, ItemStatus
from app.content.rules import ContentType, format_duration
from app.content.views.editor import EDITORS
from app.core.errors import DomainError
from app.core.forms import apply_domain_error
from app.core.timeutil import local_today
from app.extensions import db

MAX_EXPORT_DAYS = 92


def _channels():
    return db.session.scalars(sa.select(BroadcastChannel).where(BroadcastChannel.is_active)
                              .order_by(BroadcastChannel.sort_order, BroadcastChannel.name)).all()


def _slot_form(slot: BroadcastSlot | None = None) -> SlotForm:
    form = SlotForm(obj=slot)
    form.channel_id.choices = [(c.id, f"{c.name}（{c.level_label}）") for c in _channels()]
    scripts = db.session.scalars(sa.select(ContentItem).where(ContentItem.type == ContentType.BROADCAST,
                                                              ContentItem.status != ItemStatus.ARCHIVED)
                                 .order_by(ContentItem.title)).all()
    form.item_id.choices = [(i.id, f"{i.title}（{format_duration(i.reading_seconds)}，{i.status_label}）")
                            for i in scripts]
    if request.method == "GET" and slot is not None:
        form.times.data = ", ".join(slot.times)
        form.weekdays.data = list(slot.weekdays or [])
    return form


def _period_args() -> tuple[dt.date, dt.date]:
    today = local_today()
    try:
        since = dt.date.fromisoformat(request.args["since"]) if request.args.get("since") else today
        until = dt.date.fromisoformat(request.args["until"]) if request.args.get("until") else since + dt.timedelta(days=6)
    except ValueError:
        abort(400)
    if until < since or (until - since).days >= MAX_EXPORT_DAYS:
        abort(400)
    return since, until


@bp.route("/admin/broadcast")
@role_required(*EDITORS)
def broadcast():
    """Channels and slots, and the plays of the chosen week."""
    since, until = _period_args()
    channel_id = request.args.get("channel", type=int)
    slots = broadcasting.slots_for(channel_id, since, until)
    plays = playlist.expand(_slot_rows(slots), since, until)
    return render_template("content/admin_broadcast.html", slots=slots, plays=plays, channels=_channels(),
                           channel_id=channel_id, since=since, until=until, channel_form=ChannelForm(),
                           action_form=ActionForm(), repeat=playlist.Repeat, weekday_labels=playlist.WEEKDAY_LABELS,
                           duration=format_duration)


def _slot_rows(slots: list[BroadcastSlot]):
    """The slots as playlist.expand() wants them: the audio file's URL when there is one, else the
    script's text URL (read by the announcer or a text-to-speech system)."""
    for slot in slots:
        media = (url_for("content.item_file", item_key=slot.item.key, _external=True) if slot.item.media_file
                 else url_for("content.item_text", item_key=slot.item.key, _external=True))
        yield (broadcasting.slot_rule(slot), slot.channel.name, slot.item.title, slot.item.reading_seconds,
               media, slot.item.key)


@bp.route("/admin/broadcast/slots/new", methods=["GET", "POST"])
@role_required(*EDITORS)
def slot_new():
    return _slot_page(None)


@bp.route("/admin/broadcast/slots/<int:broadcast_slot_id>", methods=["GET", "POST"])
@role_required(*EDITORS)
def slot_edit(broadcast_slot_id: int):
    return _slot_page(db.get_or_404(BroadcastSlot, broadcast_slot_id))


def _slot_page(slot: BroadcastSlot | None):
    """Create or change a slot: channel, script, period, repeat rule and times. A new slot may start from
    a campaign (``?event=<key>``): its current or next period and the rush hours are filled in."""
    form = _slot_form(slot)
    if request.method == "GET" and slot is None and request.args.get("event"):
        event = db.session.scalar(sa.select(CampaignEvent).where(CampaignEvent.key == request.args["event"]))
        if event is not None:
            period = current_or_next(local_today(), event.start_md, event.end_md, event.rule)
            form.start_date.data, form.end_date.data = period.start, period.end
            form.repeat.data, form.times.data, form.note.data = "daily", "07:30, 17:30", event.name
    if form.validate_on_submit():
        channel = db.get_or_404(BroadcastChannel, form.channel_id.data)
        item = db.get_or_404(ContentItem, form.item_id.data)
        try:
            broadcasting.save_slot(slot, channel=channel, item=item, start=form.start_date.data, end=form.end_date.data,
                               repeat=form.repeat.data, weekdays=form.weekdays.data or [], times=form.times.data,
                               note=form.note.data or "", actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("播出安排已保存"), "success")
            return redirect(url_for("content.broadcast", since=form.start_date.data.isoformat()))
    return render_template("content/admin_slot_form.html", form=form, slot=slot)


@bp.route("/admin/broadcast/slots/<int:broadcast_slot_id>/delete", methods=["POST"])
@role_required(*EDITORS)
def slot_delete(broadcast_slot_id: int):
    slot = db.get_or_404(BroadcastSlot, broadcast_slot_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    broadcasting.delete_slot(slot, actor=current_user)
    db.session.commit()
    flash(_("已删除播出安排"), "success")
    return redirect(url_for("content.broadcast"))


@bp.route("/admin/broadcast/channels", methods=["POST"])
@role_required(*EDITORS)
def channel_new():
    form = ChannelForm()
    if form.validate_on_submit():
        try:
            broadcasting.create_channel(form.name.data, form.level.data, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("已新增频道"), "success")
    else:
        flash(_("请填写频道名称"), "danger")
    return redirect(url_for("content.broadcast"))


@bp.route("/admin/broadcast/playlist.<playlist_format>")
@role_required(*EDITORS)
def playlist_export(playlist_format: str):
    """The play list of a period (at most three months) for the broadcast system."""
    if playlist_format not in ("csv", "m3u"):
        abort(404)
    fmt = playlist_format
    since, until = _period_args()
    plays = playlist.expand(_slot_rows(broadcasting.slots_for(request.args.get("channel", type=int), since, until)),
                            since, until)
    name = f"playlist-{since.isoformat()}-{until.isoformat()}.{fmt}"
    if fmt == "csv":
        body, mimetype = "\ufeff" + playlist.to_csv(plays), "text/csv; charset=utf-8"
    else:
        body, mimetype = playlist.to_m3u(plays), "audio/x-mpegurl; charset=utf-8"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}"})
