"""Scheduling pages: rooms and seats, staff qualifications and availability, closed days."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role, User, UserRole
from app.accounts.permissions import role_required
from app.core.errors import DomainError
from app.core.forms import apply_domain_error
from app.core.timeutil import format_datetime, local_today
from app.extensions import db
from app.scheduling import bp, resources
from app.scheduling import calendar as days
from app.scheduling import sessions as svc
from app.scheduling.forms_resources import (
    CalendarDayForm,
    CalendarRemoveForm,
    ConfirmForm,
    QualificationForm,
    RoomForm,
    RoomNewForm,
    SeatForm,
    UnavailabilityForm,
)
from app.scheduling.models import (
    CalendarDay,
    ExamSession,
    Room,
    RoomKind,
    SessionKind,
    SessionState,
    Site,
    StaffUnavailability,
)
from app.scheduling.views.common import (  # noqa: F401
    OFFICE,
    SESSION_FILTERS,
    STAFF_ROLES,
    _form_errors,
    _items,
    _items_by_id,
    _parse_day,
    _session_or_404,
    _staff_user_or_404,
    _year_arg,
    feed_url,
)

# ---- rooms and seats -------------------------------------------------------------------------

@bp.route("/schedule/rooms")
@role_required(*OFFICE)
def rooms():
    """Rooms per site with kind, capacity, usable seats and items."""
    rows = db.session.scalars(sa.select(Room).join(Site).order_by(Site.name, Room.kind, Room.name)).all()
    return render_template("scheduling/res_rooms.html", rows=rows, kinds=RoomKind)


@bp.route("/schedule/rooms/<int:room_id>")
@role_required(*OFFICE)
def room_detail(room_id: int):
    """One room: its seats with the out-of-use toggle, coming sessions and the feed URL."""
    room = db.get_or_404(Room, room_id)
    ahead = db.session.scalars(sa.select(ExamSession).where(ExamSession.room_id == room.id,
                                                            ExamSession.day >= local_today())
                               .order_by(ExamSession.starts_at).limit(20)).all()
    return render_template("scheduling/res_room.html", room=room, kinds=RoomKind, kinds_s=SessionKind,
                           states=SessionState, seat_form=SeatForm(), ahead=ahead, feed=feed_url("room", room.id))


@bp.route("/schedule/rooms/<int:room_id>/edit", methods=["GET", "POST"])
@role_required(*OFFICE)
def room_edit(room_id: int):
    """Edit capacity, items (practical) and whether the room is in use."""
    room = db.get_or_404(Room, room_id)
    form = RoomForm(obj=room)
    form.items.choices = [(i.id, i.name) for i in _items(practical_only=True)]
    if request.method == "GET":
        form.items.data = [i.id for i in room.items]
    if form.validate_on_submit():
        try:
            resources.update_room(room, form.capacity.data, _items_by_id(form.items.data), form.is_active.data,
                            actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("已保存 %(name)s。", name=room.name), "success")
            return redirect(url_for("scheduling.room_detail", room_id=room.id))
    return render_template("scheduling/res_room_form.html", form=form, room=room, kinds=RoomKind)


@bp.route("/schedule/rooms/new", methods=["GET", "POST"])
@role_required(*OFFICE)
def room_new():
    """Add a room to a site (rooms are normally loaded by `flask schedule load-site`)."""
    form = RoomNewForm()
    form.site_id.choices = [(s.id, s.name) for s in db.session.scalars(sa.select(Site).order_by(Site.name))]
    form.items.choices = [(i.id, i.name) for i in _items(practical_only=True)]
    if form.validate_on_submit():
        try:
            room = resources.create_room(db.session.get(Site, form.site_id.data), form.name.data, form.kind.data,
                                   form.capacity.data, _items_by_id(form.items.data), actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("已新增 %(name)s。", name=room.name), "success")
            return redirect(url_for("scheduling.room_detail", room_id=room.id))
    return render_template("scheduling/res_room_form.html", form=form, room=None, kinds=RoomKind)


@bp.route("/schedule/rooms/<int:room_id>/seats", methods=["POST"])
@role_required(*OFFICE)
def seat_toggle(room_id: int):
    """Take a seat's terminal out of use (broken) or back into use."""
    room = db.get_or_404(Room, room_id)
    form = SeatForm()
    back = redirect(url_for("scheduling.room_detail", room_id=room.id) + "#seats")
    if not form.validate_on_submit():
        flash(_form_errors(form), "danger")
        return back
    usable = form.usable.data == "1"
    try:
        seated = resources.set_seat_usable(room, form.number.data, usable, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return back
    db.session.commit()
    flash(_("%(n)d 号座位已恢复使用。", n=form.number.data) if usable else
          _("%(n)d 号座位已停用。", n=form.number.data), "success")
    if seated:
        flash(_("该座位已安排考生，请调整座位：%(who)s",
                who="、".join(f"{r.person.name}（{format_datetime(r.session.starts_at)}，场次 {r.session_id}）"
                             for r in seated)),
              "warning")
    return back


# ---- staff: qualifications and unavailability ------------------------------------------------

@bp.route("/schedule/staff")
@role_required(*OFFICE)
def staff():
    """Proctors and examiners with their qualifications and coming unavailability."""
    users = db.session.scalars(sa.select(User).where(
        User.is_active, User.role_rows.any(UserRole.role.in_([str(r) for r in STAFF_ROLES])))
        .order_by(User.display_name)).all()
    away = defaultdict(list)
    for row in db.session.scalars(sa.select(StaffUnavailability).where(
            StaffUnavailability.end_date >= local_today()).order_by(StaffUnavailability.start_date)):
        away[row.user_id].append(row)
    return render_template("scheduling/res_staff.html", users=users, away=away,
                           quals=resources.qualifications(u.id for u in users))


@bp.route("/schedule/staff/<int:user_id>")
@role_required(*OFFICE)
def staff_detail(user_id: int):
    """One proctor or examiner: qualifications, unavailability, coming sessions and the feed URL."""
    user = _staff_user_or_404(user_id)
    qual_form = QualificationForm()
    qual_form.items.choices = [(i.id, i.name) for i in _items()]
    qual_form.items.data = [i.id for i in resources.qualifications([user.id]).get(user.id, [])]
    periods = db.session.scalars(sa.select(StaffUnavailability).where(StaffUnavailability.user_id == user.id)
                                 .order_by(StaffUnavailability.start_date.desc()).limit(50)).all()
    return render_template("scheduling/res_staff_member.html", user=user, qual_form=qual_form, periods=periods,
                           away_form=UnavailabilityForm(), remove_form=ConfirmForm(), roles=Role,
                           ahead=svc.staff_sessions(user.id, local_today()), feed=feed_url("staff", user.id))


@bp.route("/schedule/staff/<int:user_id>/qualifications", methods=["POST"])
@role_required(*OFFICE)
def staff_qualifications(user_id: int):
    """Save the items an examiner may examine."""
    user = _staff_user_or_404(user_id)
    form = QualificationForm()
    form.items.choices = [(i.id, i.name) for i in _items()]
    if not form.validate_on_submit():
        flash(_form_errors(form), "danger")
    else:
        try:
            resources.set_qualifications(user, _items_by_id(form.items.data), actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("已保存 %(name)s 的考评资格。", name=user.display_name), "success")
    return redirect(url_for("scheduling.staff_detail", user_id=user.id))


@bp.route("/schedule/staff/<int:user_id>/unavailability", methods=["POST"])
@role_required(*OFFICE)
def unavailability_add(user_id: int):
    """Record a period the person cannot work."""
    user = _staff_user_or_404(user_id)
    form = UnavailabilityForm()
    if not form.validate_on_submit():
        flash(_form_errors(form), "danger")
    else:
        try:
            resources.add_unavailability(user, form.start_date.data, form.end_date.data, form.reason.data,
                                   actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("已登记不可用时段。"), "success")
    return redirect(url_for("scheduling.staff_detail", user_id=user.id) + "#away")


@bp.route("/schedule/staff/<int:user_id>/unavailability/<int:period_id>/remove", methods=["POST"])
@role_required(*OFFICE)
def unavailability_remove(user_id: int, period_id: int):
    """Delete an unavailability period of this person."""
    user = _staff_user_or_404(user_id)
    row = db.get_or_404(StaffUnavailability, period_id)
    if row.user_id != user.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        resources.remove_unavailability(row, actor=current_user)
        db.session.commit()
        flash(_("已删除不可用时段。"), "success")
    return redirect(url_for("scheduling.staff_detail", user_id=user.id) + "#away")


# ---- closed days (休息日设置) ------------------------------------------------------------------

@bp.route("/schedule/calendar-days", methods=["GET", "POST"])
@role_required(*OFFICE)
def calendar_days():
    """National holidays of a year and the base's own closures and swapped working days."""
    year = _year_arg()
    form = CalendarDayForm()
    if form.validate_on_submit():
        try:
            days.set_calendar_day(form.day.data, form.is_open.data == "1", form.reason.data, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("已设置 %(day)s。", day=form.day.data.isoformat()), "success")
            return redirect(url_for("scheduling.calendar_days", year=form.day.data.year))
    own = db.session.scalars(sa.select(CalendarDay).where(
        CalendarDay.day.between(dt.date(year, 1, 1), dt.date(year, 12, 31))).order_by(CalendarDay.day)).all()
    return render_template("scheduling/res_calendar_days.html", year=year, form=form, own=own,
                           national=days.national_days(year), covers=days.national_data_covers(year),
                           remove_form=CalendarRemoveForm())


@bp.route("/schedule/calendar-days/remove", methods=["POST"])
@role_required(*OFFICE)
def calendar_day_remove():
    """Remove the base's own setting of a day."""
    form = CalendarRemoveForm()
    if not form.validate_on_submit():
        flash(_form_errors(form), "danger")
        return redirect(url_for("scheduling.calendar_days"))
    try:
        days.remove_calendar_day(form.day.data, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("已删除 %(day)s 的设置。", day=form.day.data.isoformat()), "success")
    return redirect(url_for("scheduling.calendar_days", year=form.day.data.year))
