"""Scheduling pages: registration, person records, review, allocation, admission tickets and notices."""
from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role, User
from app.accounts.permissions import can_manage_person, role_required
from app.catalog.models import CatalogItem
from app.core.errors import DomainError
from app.core.forms import apply_domain_error
from app.core.pagination import paginate
from app.core.timeutil import format_datetime
from app.extensions import db
from app.people.models import Employer, Person
from app.scheduling import bp, placement, registration, tickets
from app.scheduling.forms_registration import (
    ApplyAllocationForm,
    CancelForm,
    HealthCommitmentForm,
    MoveForm,
    RegisterForm,
    ReviewForm,
    TrainingRecordForm,
)
from app.scheduling.models import REGISTRATION_LABELS, ExamSession, Notice, Registration, RegistrationState

OFFICE = (Role.ADMIN, Role.SCHEDULER)
REGISTRARS = (Role.ADMIN, Role.SCHEDULER, Role.EMPLOYER)
PEOPLE_LIMIT = 100
FILTERS = ("state", "item", "part", "employer", "date", "q")
_CANCELLABLE = (RegistrationState.SUBMITTED, RegistrationState.APPROVED, RegistrationState.SCHEDULED)


# ---- access ---------------------------------------------------------------------------------

def _is_office() -> bool:
    """True for the base's own staff (admins and schedulers), who see and act on every registration."""
    return current_user.has_role(*OFFICE)


def _own_employer_id() -> int:
    """The employer an employer user acts for (403 when the account is not linked to one)."""
    if current_user.employer_id is None:
        abort(403)
    return current_user.employer_id


def can_view_registration(user, reg: Registration) -> bool:
    """Staff of the base see every registration; an employer its staff's; a candidate their own."""
    if user.has_role(*OFFICE):
        return True
    if user.has_role(Role.EMPLOYER) and user.employer_id is not None and reg.employer_id == user.employer_id:
        return True
    return user.has_role(Role.CANDIDATE) and user.person_id is not None and reg.person_id == user.person_id


def get_registration_or_403(reg_id: int) -> Registration:
    """The registration (404), if the user may see it (else 403)."""
    reg = db.get_or_404(Registration, reg_id)
    if not can_view_registration(current_user, reg):
        abort(403)
    return reg


def _manageable_person_or_403(person_id: int) -> Person:
    """The person (404), if the user may register them and keep their records (else 403)."""
    person = db.get_or_404(Person, person_id)
    if not can_manage_person(current_user, person):
        abort(403)
    return person


# ---- registering ----------------------------------------------------------------------------

def _candidates(q: str) -> list[Person]:
    """The people offered on the registration page: an employer's own staff, or anyone for the base."""
    stmt = sa.select(Person).order_by(Person.name, Person.id).limit(PEOPLE_LIMIT + 1)
    if not _is_office():
        stmt = stmt.where(Person.employer_id == _own_employer_id())
    if q:
        stmt = stmt.where(sa.or_(Person.name.contains(q), Person.id_number.contains(q.upper())))
    return db.session.scalars(stmt).all()


def _chosen_people(ids: list[int]) -> list[Person]:
    """The ticked people, in the order ticked; 403 if one is not the user's to register."""
    found = {p.id: p for p in db.session.scalars(sa.select(Person).where(Person.id.in_(ids)))}
    people = [found[i] for i in dict.fromkeys(ids) if i in found]
    if any(not can_manage_person(current_user, p) for p in people):
        abort(403)
    return people


@bp.route("/schedule/register", methods=["GET", "POST"])
@role_required(*REGISTRARS)
def register():
    """Register the ticked people for one item and part; each person is registered on their own."""
    form = RegisterForm()
    form.item_id.choices = [(0, _("请选择"))] + [(i.id, i.name) for i in registration.registrable_items()]
    q = (request.args.get("q") or "").strip()
    people = _candidates(q)
    outcomes = None
    if form.validate_on_submit():
        item = db.get_or_404(CatalogItem, form.item_id.data)
        outcomes = registration.register_each(_chosen_people(form.person_ids.data), item, form.part.data,
                                              form.requested_date.data, actor=current_user)
        db.session.commit()
        form.person_ids.data = []
    return render_template("scheduling/reg_register.html", form=form, people=people[:PEOPLE_LIMIT], q=q,
                           more=len(people) > PEOPLE_LIMIT, outcomes=outcomes,
                           ticked=set(form.person_ids.data or []))


# ---- health commitment and training records ------------------------------------------------------

def _training_form(person: Person) -> TrainingRecordForm:
    """The training-record form with its choices; the trainer (for 考教分离) is chosen by the base's staff only."""
    form = TrainingRecordForm(prefix="training")
    form.item_id.choices = [(0, _("请选择"))] + [(i.id, i.name) for i in registration.registrable_items()]
    if _is_office():
        trainers = db.session.scalars(sa.select(User).where(User.role_rows.any(role=str(Role.TRAINER)))
                                      .order_by(User.display_name)).all()
        form.trainer_id.choices = [(0, _("（外部机构或未指定）"))] + [(u.id, u.display_name) for u in trainers]
    else:
        del form.trainer_id
    return form


@bp.route("/schedule/people/<int:person_id>/records", methods=["GET", "POST"])
@role_required(*REGISTRARS)
def person_records(person_id: int):
    """Record the signed health commitment and completed training of one person, and list them."""
    person = _manageable_person_or_403(person_id)
    health, training = HealthCommitmentForm(prefix="health"), _training_form(person)
    back = redirect(url_for("scheduling.person_records", person_id=person.id))
    if health.submit.data and health.validate_on_submit():
        registration.record_health_commitment(person, health.signed_on.data, actor=current_user)
        db.session.commit()
        flash(_("已登记 %(name)s 的个人健康书面承诺。", name=person.name), "success")
        return back
    if training.submit.data and training.validate_on_submit():
        item = db.get_or_404(CatalogItem, training.item_id.data)
        trainer_id = training.trainer_id.data if "trainer_id" in training else None
        try:
            registration.record_training(person, item, training.start_date.data, training.end_date.data,
                                         training.hours.data, provider=training.provider.data or "",
                                         trainer_id=trainer_id or None, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(training, exc)
        else:
            db.session.commit()
            flash(_("已登记培训记录。"), "success")
            return back
    commitment, records = registration.person_records(person)
    return render_template("scheduling/reg_records.html", person=person, health=health, training=training,
                           commitment=commitment, records=records)


# ---- the registrations list and review --------------------------------------------------------

def _filters() -> dict:
    """The list filters given in the query string (empty ones left out)."""
    return {k: request.args.get(k, "").strip() for k in FILTERS if request.args.get(k, "").strip()}


def _scoped(stmt):
    """Limit a registrations query to what the user may see."""
    if _is_office():
        return stmt
    if current_user.has_role(Role.EMPLOYER):
        return stmt.where(Registration.employer_id == _own_employer_id())
    return stmt.where(Registration.person_id == (current_user.person_id or -1))


def _filtered(stmt, f: dict):
    """Apply the list filters (state, item, part, employer, exam or requested date, name / ID)."""
    if f.get("state") in REGISTRATION_LABELS:
        stmt = stmt.where(Registration.state == f["state"])
    if f.get("item", "").isdigit():
        stmt = stmt.where(Registration.item_id == int(f["item"]))
    if f.get("part") in ("theory", "practical"):
        stmt = stmt.where(Registration.part == f["part"])
    if f.get("employer", "").isdigit() and _is_office():
        stmt = stmt.where(Registration.employer_id == int(f["employer"]))
    try:
        day = dt.date.fromisoformat(f["date"]) if f.get("date") else None
    except ValueError:
        day = None
    if day is not None:
        stmt = stmt.where(sa.func.coalesce(ExamSession.day, Registration.requested_date) == day)
    if f.get("q"):
        stmt = stmt.join(Person, Person.id == Registration.person_id).where(
            sa.or_(Person.name.contains(f["q"]), Person.id_number.contains(f["q"].upper())))
    return stmt


@bp.route("/schedule/registrations")
@role_required(*REGISTRARS, Role.CANDIDATE)
def registrations():
    """Registrations with their states: all for the base (with review), own staff or own for others."""
    f = _filters()
    stmt = sa.select(Registration).outerjoin(ExamSession, ExamSession.id == Registration.session_id)
    stmt = _filtered(_scoped(stmt), f).order_by(Registration.id.desc())
    employers = db.session.execute(sa.select(Employer.id, Employer.name).order_by(Employer.name)).all() \
        if _is_office() else []
    items = db.session.execute(sa.select(CatalogItem.id, CatalogItem.name)
                               .order_by(CatalogItem.sort_order, CatalogItem.id)).all()
    return render_template("scheduling/reg_list.html", page=paginate(stmt), f=f, employers=employers, items=items,
                           states=REGISTRATION_LABELS, review_form=ReviewForm() if _is_office() else None,
                           is_office=_is_office())


@bp.route("/schedule/registrations/review", methods=["POST"])
@role_required(*OFFICE)
def registrations_review():
    """Approve, reject or cancel the ticked registrations; each one on its own, results listed."""
    form = ReviewForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "danger")
        return redirect(url_for("scheduling.registrations", **_filters()))
    regs = db.session.scalars(sa.select(Registration).where(Registration.id.in_(form.ids.data))
                              .order_by(Registration.id)).all()
    results = registration.review_each(regs, form.action.data, form.reason.data or "", actor=current_user)
    db.session.commit()
    return render_template("scheduling/reg_review_result.html", results=results,
                           action=registration.REVIEW_ACTIONS[form.action.data], f=_filters())


@bp.route("/schedule/registrations/<int:reg_id>")
@role_required(*REGISTRARS, Role.CANDIDATE)
def registration_detail(reg_id: int):
    """One registration: its state, session and seat, ticket, and the actions the user may take."""
    reg = get_registration_or_403(reg_id)
    move_form = None
    if _is_office():
        move_form = MoveForm()
        move_form.session_id.choices = [(0, _("请选择"))] + [
            (s.id, f"{format_datetime(s.starts_at)} {s.room.name}（{_('场次')} {s.id}）")
            for s in placement.movable_sessions(reg)]
    may_cancel = _is_office() or (current_user.has_role(Role.EMPLOYER) and reg.state == RegistrationState.SUBMITTED)
    return render_template("scheduling/reg_detail.html", reg=reg, move_form=move_form,
                           cancel_form=CancelForm() if may_cancel and reg.state in _CANCELLABLE else None,
                           no_ticket=tickets.not_printable_reason(reg))


@bp.route("/schedule/registrations/<int:reg_id>/cancel", methods=["POST"])
@role_required(*REGISTRARS)
def registration_cancel(reg_id: int):
    """Cancel (the base) or withdraw (an employer, before review) one registration, with a reason."""
    reg = get_registration_or_403(reg_id)
    form = CancelForm()
    back = redirect(url_for("scheduling.registration_detail", reg_id=reg.id))
    if not form.validate_on_submit():
        flash(_("请填写取消原因。"), "danger")
        return back
    try:
        if _is_office():
            registration.cancel(reg, form.reason.data, actor=current_user)
        else:
            registration.withdraw(reg, form.reason.data, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return back
    db.session.commit()
    flash(_("报名已取消。"), "success")
    return back


@bp.route("/schedule/registrations/<int:reg_id>/move", methods=["POST"])
@role_required(*OFFICE)
def registration_move(reg_id: int):
    """Put one registration in a chosen session, checked like the automatic allocation."""
    reg = get_registration_or_403(reg_id)
    form = MoveForm()
    form.session_id.choices = [(s.id, "") for s in placement.movable_sessions(reg)]
    back = redirect(url_for("scheduling.registration_detail", reg_id=reg.id))
    if not form.validate_on_submit():
        flash(_("请选择要安排的场次。"), "danger")
        return back
    session = db.get_or_404(ExamSession, form.session_id.data)
    try:
        placement.move_registration(reg, session, actor=current_user, reason=form.reason.data or "")
    except DomainError as exc:
        db.session.rollback()
        flash(_("不能安排到该场次：%(why)s", why=exc.message), "danger")
        return back
    db.session.commit()
    flash(_("已安排到场次 %(id)d，座位 %(seat)d。", id=session.id, seat=reg.seat), "success")
    return back


# ---- allocation -------------------------------------------------------------------------------

@bp.route("/schedule/allocation")
@role_required(*OFFICE)
def allocation():
    """Preview the allocation of every approved registration; nothing is written here."""
    preview = placement.preview_allocation()
    groups, unplaced = placement.preview_groups(preview)
    form = ApplyAllocationForm(digest=placement.preview_digest(preview))
    return render_template("scheduling/reg_allocation.html", groups=groups, unplaced=unplaced, form=form,
                           placed=len(preview.allocation.placements))


@bp.route("/schedule/allocation", methods=["POST"])
@role_required(*OFFICE)
def allocation_apply():
    """Recompute the preview and write it, if it is still the one shown (same input, same result)."""
    form = ApplyAllocationForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        placed = placement.apply_previewed(form.digest.data or "", actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "warning")
        return redirect(url_for("scheduling.allocation"))
    db.session.commit()
    flash(_("已安排 %(n)d 人，准考证号已生成，已通知单位和考生。", n=placed), "success")
    return redirect(url_for("scheduling.registrations", state=RegistrationState.SCHEDULED.value))


# ---- admission tickets ----------------------------------------------------------------------

def _pdf_response(data: bytes, ascii_name: str, name: str) -> Response:
    """A PDF download with an ASCII filename and the Chinese one as filename*=UTF-8''."""
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
    return Response(data, mimetype="application/pdf", headers={"Content-Disposition": disposition})


def _tickets_response(regs: list[Registration], ascii_name: str, name: str, empty_message: str):
    """The tickets as one PDF, or a page saying why there is nothing to print (409)."""
    if not regs:
        return render_template("scheduling/reg_no_ticket.html", message=empty_message), 409
    return _pdf_response(tickets.render_tickets(regs), ascii_name, name)


@bp.route("/schedule/registrations/<int:reg_id>/ticket.pdf")
@role_required(*REGISTRARS, Role.CANDIDATE)
def ticket_pdf(reg_id: int):
    """One admission ticket (the candidate, their employer, the base's staff)."""
    reg = get_registration_or_403(reg_id)
    regs = tickets.printable([reg])
    return _tickets_response(regs, f"ticket-{reg.ticket_no}.pdf", f"准考证-{reg.person.name}-{reg.ticket_no}.pdf",
                             tickets.not_printable_reason(reg) or "")


@bp.route("/schedule/employers/<int:employer_id>/tickets.pdf")
@role_required(*REGISTRARS)
def employer_tickets(employer_id: int):
    """Every printable ticket of an employer's staff (an employer user: its own only)."""
    employer = db.get_or_404(Employer, employer_id)
    if not _is_office() and _own_employer_id() != employer.id:
        abort(403)
    return _tickets_response(tickets.employer_tickets(employer.id), f"tickets-employer-{employer.id}.pdf",
                             f"准考证-{employer.name}.pdf", _("本单位目前没有已排考的考生，没有可打印的准考证。"))


@bp.route("/schedule/sessions/<int:session_id>/tickets.pdf")
@role_required(*OFFICE)
def session_tickets(session_id: int):
    """Every printable ticket of one session, by seat."""
    session = db.get_or_404(ExamSession, session_id)
    return _tickets_response(tickets.session_tickets(session.id), f"tickets-session-{session.id}.pdf",
                             f"准考证-场次{session.id}.pdf", _("本场次还没有已排考的考生，没有可打印的准考证。"))


# ---- notices --------------------------------------------------------------------------------

@bp.route("/schedule/notices")
@role_required(Role.EMPLOYER, Role.CANDIDATE)
def notices():
    """The notices for the user's employer, or for the candidate themself, newest first."""
    stmt = sa.select(Notice).order_by(Notice.created_at.desc(), Notice.id.desc())
    if current_user.has_role(Role.EMPLOYER):
        stmt = stmt.where(Notice.employer_id == _own_employer_id())
    else:
        stmt = stmt.where(Notice.person_id == (current_user.person_id or -1), Notice.employer_id.is_(None))
    return render_template("scheduling/reg_notices.html", page=paginate(stmt))
