"""Scheduling pages: sessions (list, calendar, create, edit, staff, state), capacity, my sessions, iCalendar."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role, User, UserRole
from app.accounts.permissions import role_required
from app.catalog.models import CatalogItem
from app.catalog.services import rule_value
from app.core.errors import DomainError
from app.core.forms import apply_domain_error
from app.core.pagination import paginate
from app.core.timeutil import local_today, to_local
from app.extensions import db
from app.scheduling import bp, ical
from app.scheduling import calendar as days
from app.scheduling import sessions as svc
from app.scheduling.checkin import sheet_rows
from app.scheduling.forms_resources import (
    SessionForm,
    SessionStateForm,
    StaffAssignForm,
    StaffRemoveForm,
)
from app.scheduling.models import (
    REGISTRATION_LABELS,
    SESSION_MOVES,
    ExamSession,
    Room,
    RoomKind,
    SessionKind,
    SessionState,
    Site,
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

# ---- sessions: list, calendar ----------------------------------------------------------------

def _session_filters() -> dict:
    """The list's filters from the query string; "from" is today unless the person cleared it."""
    f = {name: (request.args.get(name) or "").strip() for name in SESSION_FILTERS}
    if "from" not in request.args:
        f["from"] = local_today().isoformat()
    return f


def _session_query(f: dict):
    """Sessions matching the filters, by start time."""
    stmt = sa.select(ExamSession).order_by(ExamSession.starts_at, ExamSession.id)
    if (start := _parse_day(f["from"])) is not None:
        stmt = stmt.where(ExamSession.day >= start)
    if (end := _parse_day(f["to"])) is not None:
        stmt = stmt.where(ExamSession.day <= end)
    if f["kind"] in set(SessionKind):
        stmt = stmt.where(ExamSession.kind == f["kind"])
    if f["state"] in set(SessionState):
        stmt = stmt.where(ExamSession.state == f["state"])
    if f["room"].isdigit():
        stmt = stmt.where(ExamSession.room_id == int(f["room"]))
    if f["item"].isdigit():
        stmt = stmt.where(ExamSession.items.any(CatalogItem.id == int(f["item"])))
    return stmt


@bp.route("/schedule/sessions")
@role_required(*OFFICE)
def sessions():
    """Exam sessions with filters (date range, kind, room, state, item)."""
    f = _session_filters()
    page = paginate(_session_query(f))
    rooms = db.session.scalars(sa.select(Room).where(Room.kind != RoomKind.TRAINING).order_by(Room.name)).all()
    return render_template("scheduling/sess_list.html", page=page, f=f, rooms=rooms, items=_items(),
                           counts=svc.placed_counts(s.id for s in page.items), kinds=SessionKind,
                           states=SessionState)


def _calendar_range(view: str, anchor: dt.date) -> tuple[dt.date, dt.date, dt.date, dt.date]:
    """(first shown day, last shown day, anchor of the previous page, anchor of the next page):
    a month grid runs Monday to Sunday around the month; a week is Monday to Sunday."""
    if view == "week":
        start = anchor - dt.timedelta(days=anchor.weekday())
        return start, start + dt.timedelta(days=6), start - dt.timedelta(days=7), start + dt.timedelta(days=7)
    first = anchor.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    start = first - dt.timedelta(days=first.weekday())
    end = last + dt.timedelta(days=6 - last.weekday())
    return start, end, (first - dt.timedelta(days=1)).replace(day=1), last + dt.timedelta(days=1)


@bp.route("/schedule/sessions/calendar")
@role_required(*OFFICE)
def session_calendar():
    """Month or week calendar of sessions (server-rendered, with previous/next links)."""
    view = "week" if request.args.get("view") == "week" else "month"
    anchor = _parse_day(request.args.get("date")) or local_today()
    start, end, prev, nxt = _calendar_range(view, anchor)
    by_day = defaultdict(list)
    for s in db.session.scalars(sa.select(ExamSession).where(ExamSession.day.between(start, end))
                                .order_by(ExamSession.starts_at)):
        by_day[s.day].append(s)
    shown = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    return render_template("scheduling/sess_calendar.html", view=view, anchor=anchor, prev=prev, next=nxt,
                           weeks=[shown[i:i + 7] for i in range(0, len(shown), 7)], by_day=by_day,
                           notes=days.day_notes(start, end), today=local_today(),
                           counts=svc.placed_counts(s.id for day in by_day.values() for s in day))


# ---- sessions: create, edit, detail, staff, state --------------------------------------------

def _session_form(session: ExamSession | None = None) -> tuple[SessionForm, dict]:
    """The session form with its room and item choices, and the rooms' facts for schedule.js."""
    form = SessionForm()
    rooms = db.session.scalars(sa.select(Room).join(Site).where(
        Room.kind.in_([RoomKind.THEORY, RoomKind.PRACTICAL]),
        sa.or_(Room.is_active, Room.id == (session.room_id if session else 0)))
        .order_by(Room.kind.desc(), Room.name)).all()
    info = {}
    for r in rooms:
        seats = len(r.usable_seats()) if r.kind == RoomKind.THEORY else r.capacity
        info[r.id] = {"kind": "theory" if r.kind == RoomKind.THEORY else "practical", "seats": seats,
                      "items": [i.id for i in r.items]}
    form.room_id.choices = [(r.id, _("%(site)s %(room)s（%(kind)s，可用 %(n)d）", site=r.site.name, room=r.name,
                                     kind=RoomKind(r.kind).label, n=info[r.id]["seats"])) for r in rooms]
    form.items.choices = [(i.id, i.name) for i in _items()]
    return form, info


def _fill_session_form(form: SessionForm, session: ExamSession) -> None:
    """Show a stored session in the form (local times)."""
    form.kind.data, form.room_id.data, form.day.data = session.kind, session.room_id, session.day
    form.start.data, form.end.data = to_local(session.starts_at).time(), to_local(session.ends_at).time()
    form.capacity.data, form.note.data = session.capacity, session.note
    form.items.data = [i.id for i in session.items]


def _session_values(form: SessionForm) -> tuple:
    """The positional arguments of create_session / update_session from a valid form."""
    room = db.session.get(Room, form.room_id.data)
    return (form.kind.data, room, form.day.data, form.start.data, form.end.data, form.capacity.data,
            _items_by_id(form.items.data))


@bp.route("/schedule/sessions/new", methods=["GET", "POST"])
@role_required(*OFFICE)
def session_new():
    """Create a planned session; every conflict is refused with a message naming it."""
    form, info = _session_form()
    if request.method == "GET":
        form.day.data = _parse_day(request.args.get("day"))
        form.start.data, form.end.data = dt.time(9, 0), dt.time(11, 0)
    if form.validate_on_submit():
        try:
            session = svc.create_session(*_session_values(form), note=form.note.data or "", actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("已新建场次 %(id)d。", id=session.id), "success")
            return redirect(url_for("scheduling.session_detail", session_id=session.id))
    return render_template("scheduling/sess_form.html", form=form, session=None, room_info=info)


@bp.route("/schedule/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@role_required(*OFFICE)
def session_edit(session_id: int):
    """Change a planned session (same checks as creating it)."""
    session = _session_or_404(session_id)
    form, info = _session_form(session)
    if request.method == "GET":
        _fill_session_form(form, session)
    if form.validate_on_submit():
        try:
            svc.update_session(session, *_session_values(form), note=form.note.data or "", actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("已保存场次 %(id)d。", id=session.id), "success")
            return redirect(url_for("scheduling.session_detail", session_id=session.id))
    return render_template("scheduling/sess_form.html", form=form, session=session, room_info=info)


def _assign_form(session: ExamSession) -> StaffAssignForm:
    """Who may be put on this session: proctors (theory) or examiners (practical) not on it yet."""
    form = StaffAssignForm()
    theory = session.kind == SessionKind.THEORY
    role = Role.PROCTOR if theory else Role.EXAMINER
    taken = {s.user_id for s in session.staff}
    users = db.session.scalars(sa.select(User).where(User.is_active, User.role_rows.any(UserRole.role == str(role)))
                               .order_by(User.display_name)).all()
    form.user_id.choices = [(u.id, f"{u.display_name}（{u.username}）") for u in users if u.id not in taken]
    form.duty.choices = [c for c in form.duty.choices if (c[0] == svc.DUTY_PROCTOR) == theory]
    return form


@bp.route("/schedule/sessions/<int:session_id>")
@role_required(*OFFICE)
def session_detail(session_id: int):
    """A session: staff (assign, remove), the candidates placed in it, and the state buttons."""
    session = _session_or_404(session_id)
    moves = sorted(SESSION_MOVES[SessionState(session.state)], key=list(SessionState).index)
    return render_template("scheduling/sess_detail.html", session=session, assign_form=_assign_form(session),
                           remove_form=StaffRemoveForm(), state_form=SessionStateForm(), moves=moves,
                           regs=sheet_rows(session), duties=svc.DUTY_LABELS, summary=ical.session_summary(session),
                           reg_labels=REGISTRATION_LABELS)


@bp.route("/schedule/sessions/<int:session_id>/staff", methods=["POST"])
@role_required(*OFFICE)
def session_staff_add(session_id: int):
    """Assign a proctor or examiner (role, qualification, clash and 考教分离 are checked)."""
    session = _session_or_404(session_id)
    form = _assign_form(session)
    if not form.validate_on_submit():
        flash(_form_errors(form), "danger")
    else:
        user = db.session.get(User, form.user_id.data)
        try:
            svc.assign_staff(session, user, form.duty.data, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("已安排 %(name)s。", name=user.display_name), "success")
    return redirect(url_for("scheduling.session_detail", session_id=session_id) + "#staff")


@bp.route("/schedule/sessions/<int:session_id>/staff/remove", methods=["POST"])
@role_required(*OFFICE)
def session_staff_remove(session_id: int):
    """Take a person off the session."""
    session = _session_or_404(session_id)
    form = StaffRemoveForm()
    if not form.validate_on_submit():
        flash(_form_errors(form), "danger")
    else:
        try:
            svc.unassign_staff(session, form.user_id.data, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("已移除。"), "success")
    return redirect(url_for("scheduling.session_detail", session_id=session_id) + "#staff")


@bp.route("/schedule/sessions/<int:session_id>/state", methods=["POST"])
@role_required(*OFFICE)
def session_state(session_id: int):
    """Publish, take back to planned, open or close the session (refusals are shown)."""
    session = _session_or_404(session_id)
    form = SessionStateForm()
    if not form.validate_on_submit():
        flash(_form_errors(form), "danger")
    else:
        state = SessionState(form.state.data)
        try:
            svc.set_state(session, state, actor=current_user, reason=form.reason.data or "")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("场次已结束，未签到的考生已记为缺考。") if state == SessionState.CLOSED else
                  _("场次状态已改为“%(state)s”。", state=_(state.label)), "success")
    return redirect(url_for("scheduling.session_detail", session_id=session_id))


# ---- capacity, my sessions, iCalendar ----------------------------------------------------------

def _bar(value: int, scale: int) -> int:
    """A bar's width in percent of ``scale``, rounded to the 5 % steps schedule.css provides."""
    return 0 if scale <= 0 else min(100, round(value * 20 / scale) * 5)


@bp.route("/schedule/capacity")
@role_required(*OFFICE)
def capacity():
    """Per month: theory seats, practical places, registrations and the monthly target, with bars."""
    year = _year_arg()
    rows = svc.capacity_by_month(year)
    scale = max([max(r["theory"] + r["practical"], r["registered"], r["target"]) for r in rows] + [1])
    for r in rows:
        r["offered"] = r["theory"] + r["practical"]
        r["bars"] = {k: _bar(r[k], scale) for k in ("offered", "registered", "target")}
    totals = {k: sum(r[k] for r in rows) for k in ("theory", "practical", "offered", "registered")}
    totals["target"] = rule_value("yearly_exam_target", 8000)  # the year's own figure, not 12 rounded months
    return render_template("scheduling/sess_capacity.html", year=year, rows=rows, totals=totals,
                           covers=days.national_data_covers(year))


@bp.route("/schedule/my-sessions")
@role_required(*STAFF_ROLES)
def my_sessions():
    """The sessions the logged-in proctor or examiner is assigned to, and their own feed URL."""
    rows = svc.staff_sessions(current_user.id, local_today() - dt.timedelta(days=30))
    return render_template("scheduling/sess_mine.html", rows=rows, today=local_today(), duties=svc.DUTY_LABELS,
                           counts=svc.placed_counts(s.id for s in rows), feed=feed_url("staff", current_user.id))


def _ics(data: bytes, name: str) -> Response:
    """An iCalendar response; calendar apps may cache it for a short while."""
    return Response(data, mimetype="text/calendar", headers={
        "Content-Disposition": f"inline; filename={name}.ics", "Cache-Control": "private, max-age=300"})


@bp.route("/schedule/ical/room/<int:room_id>/<room_token>.ics")
def ical_room(room_id: int, room_token: str):
    """A room's sessions as iCalendar; the signed token in the URL is the credential (bad → 404)."""
    if not ical.ical_token_ok("room", room_id, room_token):
        abort(404)
    room = db.get_or_404(Room, room_id)
    title = _("%(site)s %(room)s 考试场次", site=room.site.name, room=room.name)
    return _ics(ical.ical_feed(title, ical.feed_sessions(room_id=room.id)), f"room-{room.id}")


@bp.route("/schedule/ical/staff/<int:user_id>/<staff_token>.ics")
def ical_staff(user_id: int, staff_token: str):
    """A staff member's sessions as iCalendar; the signed token in the URL is the credential."""
    if not ical.ical_token_ok("staff", user_id, staff_token):
        abort(404)
    user = db.get_or_404(User, user_id)
    if not user.is_active:
        abort(404)
    title = _("%(name)s 的考务安排", name=user.display_name)
    return _ics(ical.ical_feed(title, ical.feed_sessions(user_id=user.id)), f"staff-{user.id}")
