"""People and employer pages: thin views over people.services."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role
from app.accounts.permissions import can_manage_person, can_view_person, role_required
from app.catalog.services import industry_names
from app.core.errors import DomainError
from app.core.forms import apply_domain_error
from app.core.pagination import paginate
from app.core.xlsx import XLSX_MIME, workbook_bytes
from app.extensions import db
from app.people import bp, importing, services
from app.people.forms import EmployerForm, ImportForm, PersonForm, PhotoForm
from app.people.models import Employer, Person
from app.people.photos import photo_path, process_photo, remove_photo, store_photo

MANAGERS = (Role.ADMIN, Role.SCHEDULER, Role.EMPLOYER)
OFFICE = (Role.ADMIN, Role.SCHEDULER)


def get_person_or_403(person_id: int, manage: bool = False) -> Person:
    person = db.get_or_404(Person, person_id)
    allowed = can_manage_person(current_user, person) if manage else can_view_person(current_user, person)
    if not allowed:
        abort(403)
    return person


def _scope_employer() -> Employer | None:
    """The employer an employer user is limited to; None for the base's staff."""
    if current_user.has_role(*OFFICE):
        return None
    if current_user.employer_id is None:
        abort(403)
    return current_user.employer


def _people_query():
    scope = _scope_employer()
    q = (request.args.get("q") or "").strip()
    stmt = sa.select(Person).order_by(Person.id.desc())
    if scope is not None:
        stmt = stmt.where(Person.employer_id == scope.id)
    elif request.args.get("employer", type=int):
        stmt = stmt.where(Person.employer_id == request.args.get("employer", type=int))
    if q:
        stmt = stmt.where(sa.or_(Person.name.contains(q), Person.id_number.contains(q.upper())))
    return stmt, q


@bp.route("/people")
@role_required(*MANAGERS)
def people():
    stmt, q = _people_query()
    return render_template("people/people.html", page=paginate(stmt), q=q)


@bp.route("/people/export.xlsx")
@role_required(*MANAGERS)
def export_people():
    stmt, _q = _people_query()
    rows = ((p.name, p.id_number, p.sex, p.birth_date.isoformat(), p.phone, p.education,
             p.employer.name if p.employer else "") for p in db.session.scalars(stmt.limit(50000)))
    data = workbook_bytes("人员", ["姓名", "身份证号码", "性别", "出生日期", "手机号码", "文化程度", "所属单位"], rows)
    return Response(data, mimetype=XLSX_MIME,
                    headers={"Content-Disposition": "attachment; filename*=UTF-8''people.xlsx"})


def _employer_choices(scope: Employer | None):
    if scope is not None:
        return [(scope.id, scope.name)]
    rows = db.session.execute(sa.select(Employer.id, Employer.name).order_by(Employer.name)).all()
    return [(0, _("（无单位/个人报名）"))] + [(r.id, r.name) for r in rows]


def _person_data(form, scope: Employer | None) -> services.PersonData:
    employer_id = scope.id if scope is not None else (form.employer_id.data or None)
    return services.check_person_data(form.id_number.data, form.name.data, form.phone.data,
                                      form.education.data, employer_id)


@bp.route("/people/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def person_new():
    scope = _scope_employer()
    form = PersonForm()
    form.employer_id.choices = _employer_choices(scope)
    if form.validate_on_submit():
        try:
            person = services.create_person(_person_data(form, scope))
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("已登记 %(name)s。", name=person.name), "success")
            return redirect(url_for("people.person_detail", person_id=person.id))
    return render_template("people/person_form.html", form=form, person=None)


@bp.route("/people/<int:person_id>")
@role_required(*MANAGERS, Role.PROCTOR, Role.EXAMINER, Role.CANDIDATE)
def person_detail(person_id: int):
    person = get_person_or_403(person_id)
    return render_template("people/person_detail.html", person=person, photo_form=PhotoForm(),
                           can_manage=can_manage_person(current_user, person))


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
@role_required(*MANAGERS)
def person_edit(person_id: int):
    person = get_person_or_403(person_id, manage=True)
    scope = _scope_employer()
    form = PersonForm(obj=person)
    form.employer_id.choices = _employer_choices(scope)
    if request.method == "GET":
        form.employer_id.data = person.employer_id or 0
    if form.validate_on_submit():
        try:
            services.update_person(person, _person_data(form, scope), reason=form.reason.data or "")
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for("people.person_detail", person_id=person.id))
    return render_template("people/person_form.html", form=form, person=person)


@bp.route("/people/<int:person_id>/photo", methods=["POST"])
@role_required(*MANAGERS)
def person_photo_upload(person_id: int):
    person = get_person_or_403(person_id, manage=True)
    form = PhotoForm()
    if not form.validate_on_submit():
        flash(_("请选择照片文件。"), "danger")
        return redirect(url_for("people.person_detail", person_id=person.id))
    cfg = current_app.config
    try:
        jpeg = process_photo(form.photo.data.read(), max_bytes=cfg["PHOTO_MAX_BYTES"],
                             min_side=cfg["PHOTO_MIN_SIDE"], max_side=cfg["PHOTO_MAX_SIDE"],
                             store_side=cfg["PHOTO_STORE_SIDE"])
    except DomainError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("people.person_detail", person_id=person.id))
    name = store_photo(cfg["UPLOAD_ROOT"], jpeg)
    try:
        old = services.set_person_photo(person, name)
        db.session.commit()
    except Exception:
        db.session.rollback()
        remove_photo(cfg["UPLOAD_ROOT"], name)
        raise
    remove_photo(cfg["UPLOAD_ROOT"], old)
    flash(_("照片已更新。"), "success")
    return redirect(url_for("people.person_detail", person_id=person.id))


@bp.route("/people/<int:person_id>/photo")
@role_required(*MANAGERS, Role.PROCTOR, Role.EXAMINER, Role.CANDIDATE)
def person_photo(person_id: int):
    person = get_person_or_403(person_id)
    if not person.photo_file:
        abort(404)
    try:
        path = photo_path(current_app.config["UPLOAD_ROOT"], person.photo_file)
    except FileNotFoundError:
        abort(404)
    if not path.exists():
        abort(404)
    response = send_file(path, mimetype="image/jpeg", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/people/import", methods=["GET", "POST"])
@role_required(*MANAGERS)
def import_people():
    scope = _scope_employer()
    form = ImportForm()
    check = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            check, created = importing.import_people(upload.filename or "", upload.read(), scope,
                                                     max_rows=current_app.config["IMPORT_MAX_ROWS"])
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, DomainError(exc.message, field="file"))
        else:
            if created:
                db.session.commit()
                flash(_("已导入 %(n)d 名人员。", n=len(created)), "success")
                return redirect(url_for("people.people"))
            db.session.rollback()
    return render_template("people/import.html", form=form, check=check, columns=importing.COLUMNS)


@bp.route("/people/import/template.xlsx")
@role_required(*MANAGERS)
def import_template():
    return Response(importing.template_bytes(), mimetype=XLSX_MIME,
                    headers={"Content-Disposition": "attachment; filename*=UTF-8''people-template.xlsx"})


# ---- employers --------------------------------------------------------------------------

def _employer_data(form) -> services.EmployerData:
    return services.check_employer_data(form.credit_code.data, form.name.data, form.industry.data,
                                        form.address.data, form.contact_name.data, form.contact_phone.data,
                                        industry_names())


def _employer_form(obj=None) -> EmployerForm:
    form = EmployerForm(obj=obj)
    form.industry.choices = [("", _("请选择"))] + [(n, n) for n in industry_names()]
    return form


@bp.route("/employers")
@role_required(*OFFICE)
def employers():
    q = (request.args.get("q") or "").strip()
    stmt = sa.select(Employer).order_by(Employer.name)
    if q:
        stmt = stmt.where(sa.or_(Employer.name.contains(q), Employer.credit_code.contains(q.upper())))
    return render_template("people/employers.html", page=paginate(stmt), q=q)


@bp.route("/employers/new", methods=["GET", "POST"])
@role_required(*OFFICE)
def employer_new():
    form = _employer_form()
    if form.validate_on_submit():
        try:
            employer = services.create_employer(_employer_data(form))
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("已登记单位 %(name)s。", name=employer.name), "success")
            return redirect(url_for("people.employer_detail", employer_id=employer.id))
    return render_template("people/employer_form.html", form=form, employer=None)


@bp.route("/employers/<int:employer_id>")
@role_required(*OFFICE)
def employer_detail(employer_id: int):
    employer = db.get_or_404(Employer, employer_id)
    staff = db.session.scalar(sa.select(sa.func.count()).where(Person.employer_id == employer.id))
    return render_template("people/employer_detail.html", employer=employer, staff=staff)


@bp.route("/employers/<int:employer_id>/edit", methods=["GET", "POST"])
@role_required(*OFFICE)
def employer_edit(employer_id: int):
    employer = db.get_or_404(Employer, employer_id)
    form = _employer_form(employer)
    if form.validate_on_submit():
        try:
            services.update_employer(employer, _employer_data(form), is_active=form.is_active.data)
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for("people.employer_detail", employer_id=employer.id))
    return render_template("people/employer_form.html", form=form, employer=employer)


@bp.route("/my-employer")
@role_required(Role.EMPLOYER)
def my_employer():
    employer = _scope_employer()
    staff = db.session.scalar(sa.select(sa.func.count()).where(Person.employer_id == employer.id))
    return render_template("people/employer_detail.html", employer=employer, staff=staff)
