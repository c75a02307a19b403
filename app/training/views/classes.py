"""Class pages: list, new class, a class with meetings and people, enrolment, a meeting's roster and QR,
the class test, and the documents."""
from __future__ import annotations

from urllib.parse import quote

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role, User, UserRole
from app.accounts.permissions import role_required
from app.core.errors import DomainError
from app.core.pdf import qr_data_uri
from app.core.xlsx import XLSX_MIME
from app.extensions import db
from app.people.models import Employer, Person
from app.scheduling.models import Room, RoomKind
from app.training import bp, documents
from app.training import classes as svc
from app.training.courses import published_versions
from app.training.forms import ClassForm, EnrolForm, MeetingForm, TestScoreForm
from app.training.models import ClassState, Enrolment
from app.training.views.common import (
    CLASS_STAFF,
    CLASS_VIEWERS,
    EM,
    OFFICE,
    A,
    S,
    apply_or_flash,
    class_or_403,
    form_errors,
    meeting_or_403,
)


@bp.route("/training/classes")
@role_required(*CLASS_VIEWERS)
def classes():
    """培训班: the office and employers see every class; a trainer the classes they teach."""
    employers = db.session.scalars(sa.select(Employer).order_by(Employer.name)).all() \
        if current_user.has_role(*OFFICE) else []
    return render_template("training/classes.html", classes=svc.classes_for(current_user), employers=employers,
                           can_create=current_user.has_role(*OFFICE), states=ClassState)


def _class_form() -> ClassForm:
    form = ClassForm()
    form.version_id.choices = [(v.id, f"{v.course.item.name} · {v.course.kind} · {v.title}（第 {v.version_no} 版）")
                               for v in published_versions()]
    rooms = db.session.scalars(sa.select(Room).where(Room.kind == RoomKind.TRAINING, Room.is_active)
                               .order_by(Room.name)).all()
    form.room_id.choices = [(0, _("（不指定教室）"))] + [(r.id, f"{r.name}（{r.capacity} 人）") for r in rooms]
    trainers = db.session.scalars(sa.select(User).join(UserRole).where(UserRole.role == Role.TRAINER,
                                                                       User.is_active).order_by(User.id)).all()
    form.trainer_ids.choices = [(u.id, u.display_name) for u in trainers]
    return form


@bp.route("/training/classes/new", methods=["GET", "POST"])
@role_required(*OFFICE)
def class_new():
    form = _class_form()
    if form.validate_on_submit():
        from app.training.models import CourseVersion
        version = db.get_or_404(CourseVersion, form.version_id.data)
        trainers = db.session.scalars(sa.select(User).where(User.id.in_(form.trainer_ids.data))).all()
        room = db.session.get(Room, form.room_id.data) if form.room_id.data else None
        try:
            tc = svc.create_class(version, form.name.data, form.start_date.data, form.end_date.data,
                                  form.capacity.data, room, trainers, has_test=form.has_test.data, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("培训班已创建，请安排课次。"), "success")
            return redirect(url_for("training.class_detail", class_id=tc.id))
    elif form.is_submitted():
        flash(form_errors(form), "danger")
    return render_template("training/form.html", form=form, title=_("新开培训班"), cancel=url_for("training.classes"))


@bp.route("/training/classes/<int:class_id>")
@role_required(*CLASS_VIEWERS)
def class_detail(class_id: int):
    """A class: meetings, trainers and people with their hours (an employer sees only their own staff)."""
    tc = class_or_403(class_id)
    rows = svc.class_rows(tc)
    is_staff = current_user.has_role(*OFFICE) or svc.is_trainer_of(current_user, tc)
    if not is_staff:
        rows = [(e, h) for e, h in rows if e.employer_id == current_user.employer_id]
    return render_template("training/class.html", tc=tc, rows=rows, is_staff=is_staff,
                           is_office=current_user.has_role(*OFFICE), can_enrol=current_user.has_role(A, S, EM),
                           meeting_form=MeetingForm(), states=ClassState)


@bp.route("/training/classes/<int:class_id>/meetings", methods=["POST"])
@role_required(*OFFICE)
def meeting_new(class_id: int):
    tc = class_or_403(class_id)
    form = MeetingForm()
    if form.validate_on_submit():
        apply_or_flash(lambda: svc.add_meeting(tc, form.day.data, form.start.data, form.end.data,
                                               float(form.hours.data), form.topic.data or "", actor=current_user),
                       _("课次已添加。"))
    else:
        flash(form_errors(form), "danger")
    return redirect(url_for("training.class_detail", class_id=tc.id))


@bp.route("/training/meetings/<int:meeting_id>/cancel", methods=["POST"])
@role_required(*OFFICE)
def meeting_cancel(meeting_id: int):
    meeting = meeting_or_403(meeting_id)
    class_id = meeting.class_id
    apply_or_flash(lambda: svc.cancel_meeting(meeting, request.form.get("reason", ""), actor=current_user),
                   _("课次已取消。"))
    return redirect(url_for("training.class_detail", class_id=class_id))


@bp.route("/training/classes/<int:class_id>/state", methods=["POST"])
@role_required(*OFFICE)
def class_state(class_id: int):
    tc = class_or_403(class_id)
    try:
        svc.set_class_state(tc, ClassState(request.form.get("state", "")), actor=current_user)
    except (DomainError, ValueError) as exc:
        db.session.rollback()
        flash(getattr(exc, "message", _("未知的状态。")), "danger")
    else:
        db.session.commit()
    return redirect(url_for("training.class_detail", class_id=tc.id))


def _candidates_for_enrolment(q: str) -> list[Person]:
    stmt = sa.select(Person).order_by(Person.name, Person.id).limit(200)
    if current_user.has_role(EM) and not current_user.has_role(*OFFICE):
        stmt = stmt.where(Person.employer_id == (current_user.employer_id or -1))
    if q:
        stmt = stmt.where(sa.or_(Person.name.contains(q), Person.id_number.contains(q.upper())))
    return db.session.scalars(stmt).all()


@bp.route("/training/classes/<int:class_id>/enrol", methods=["GET", "POST"])
@role_required(A, S, EM)
def class_enrol(class_id: int):
    """Enrol people: an employer its own staff, the office anyone."""
    tc = class_or_403(class_id)
    form = EnrolForm()
    if form.validate_on_submit():
        people = db.session.scalars(sa.select(Person).where(Person.id.in_(form.person_ids.data)).order_by(Person.id)).all()
        if current_user.has_role(EM) and not current_user.has_role(*OFFICE) and \
                any(p.employer_id != current_user.employer_id for p in people):
            abort(403)
        try:
            results = svc.enrol(tc, people, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            db.session.commit()
            done = [p.name for p, why in results if why is None]
            if done:
                flash(_("已报名：%(names)s", names="、".join(done)), "success")
            for _p, why in results:
                if why:
                    flash(why, "warning")
            return redirect(url_for("training.class_detail", class_id=tc.id))
    elif form.is_submitted():
        flash(form_errors(form), "danger")
    q = (request.args.get("q") or "").strip()[:50]
    enrolled = {e.person_id for e in db.session.scalars(sa.select(Enrolment).where(Enrolment.class_id == tc.id))}
    return render_template("training/enrol.html", tc=tc, form=form, people=_candidates_for_enrolment(q), q=q,
                           enrolled=enrolled)


@bp.route("/training/enrolments/<int:enrolment_id>/withdraw", methods=["POST"])
@role_required(A, S, EM)
def enrolment_withdraw(enrolment_id: int):
    """退出: the office for anyone, an employer for its own staff; the reason goes to the audit log."""
    enrolment = db.get_or_404(Enrolment, enrolment_id)
    if not current_user.has_role(*OFFICE) and enrolment.employer_id != current_user.employer_id:
        abort(403)
    apply_or_flash(lambda: svc.withdraw(enrolment, request.form.get("reason", ""), actor=current_user),
                   _("%(name)s 已退出本班。", name=enrolment.person.name))
    return redirect(url_for("training.class_detail", class_id=enrolment.class_id))


@bp.route("/training/meetings/<int:meeting_id>")
@role_required(*CLASS_STAFF)
def meeting_detail(meeting_id: int):
    """A meeting's roster to mark, and the class QR the candidates scan (valid for this meeting only)."""
    meeting = meeting_or_403(meeting_id)
    tc = meeting.training_class
    token = svc.signin_token(meeting)
    link = url_for("training.signin", signin_token=token, _external=True)
    opens, closes = svc.signin_window(meeting)
    return render_template("training/meeting.html", meeting=meeting, tc=tc, rows=svc.class_rows(tc),
                           present=svc.present_ids(meeting), qr=qr_data_uri(link), link=link, opens=opens,
                           closes=closes)


@bp.route("/training/meetings/<int:meeting_id>/mark", methods=["POST"])
@role_required(*CLASS_STAFF)
def meeting_mark(meeting_id: int):
    """The trainer marks the ticked people present."""
    meeting = meeting_or_403(meeting_id)
    form = EnrolForm()
    if not form.validate_on_submit():
        flash(form_errors(form), "danger")
        return redirect(url_for("training.meeting_detail", meeting_id=meeting.id))
    marked = []
    for enrolment_id in form.person_ids.data:
        enrolment = db.session.get(Enrolment, enrolment_id)
        if enrolment is None or enrolment.class_id != meeting.class_id:
            continue
        try:
            with db.session.begin_nested():
                svc.mark_present(meeting, enrolment, actor=current_user)
        except DomainError as exc:
            flash(exc.message, "warning")
        else:
            marked.append(enrolment.person.name)
    db.session.commit()
    if marked:
        flash(_("已签到：%(names)s", names="、".join(marked)), "success")
    return redirect(url_for("training.meeting_detail", meeting_id=meeting.id))


@bp.route("/training/classes/<int:class_id>/test", methods=["POST"])
@role_required(*CLASS_STAFF)
def class_test(class_id: int):
    """Record one person's class test score (audited)."""
    tc = class_or_403(class_id, staff_only=True)
    form = TestScoreForm()
    if not form.validate_on_submit():
        flash(form_errors(form), "danger")
        return redirect(url_for("training.class_detail", class_id=tc.id))
    enrolment = db.session.get(Enrolment, form.enrolment_id.data)
    if enrolment is None or enrolment.class_id != tc.id:
        abort(404)
    apply_or_flash(lambda: svc.record_test(enrolment, form.score.data, actor=current_user),
                   _("已登记 %(name)s 的成绩。", name=enrolment.person.name))
    return redirect(url_for("training.class_detail", class_id=tc.id))


def _download(data: bytes, mimetype: str, ascii_name: str, chinese_name: str) -> Response:
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(chinese_name, safe='')}"
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": disposition})


@bp.route("/training/classes/<int:class_id>/roster.pdf")
@role_required(*CLASS_STAFF)
def class_roster_pdf(class_id: int):
    tc = class_or_403(class_id, staff_only=True)
    return _download(documents.roster_pdf(tc), "application/pdf", f"roster-{tc.id}.pdf", f"花名册-{tc.name}.pdf")


@bp.route("/training/classes/<int:class_id>/signin.pdf")
@role_required(*CLASS_STAFF)
def class_signin_pdf(class_id: int):
    tc = class_or_403(class_id, staff_only=True)
    return _download(documents.signin_pdf(tc), "application/pdf", f"signin-{tc.id}.pdf", f"签到表-{tc.name}.pdf")


@bp.route("/training/hours.xlsx")
@role_required(A, S, EM)
def hours_xlsx():
    """Training hours per person, for one employer (an employer user: always their own)."""
    if current_user.has_role(*OFFICE):
        employer_id = request.args.get("employer_id", type=int)
        if employer_id is not None:
            db.get_or_404(Employer, employer_id)
    else:
        employer_id = current_user.employer_id
        if employer_id is None:
            abort(403)
    return _download(documents.hours_xlsx(employer_id), XLSX_MIME, "training-hours.xlsx", "培训学时.xlsx")
