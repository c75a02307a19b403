"""Holders' and employers' pages: their certificates, what is due for review or expiring within
90/60/30 days, the electronic copy, an XLSX export and a bulk status check."""
from __future__ import annotations

from flask import Response, abort, current_app, flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role
from app.accounts.permissions import role_required
from app.certificates import bp, services, verification
from app.certificates.forms import BulkCheckForm
from app.certificates.rules import CERTIFICATE_STATUSES
from app.core.errors import DomainError
from app.core.timeutil import format_date
from app.core.xlsx import XLSX_MIME, read_table, workbook_bytes
from app.extensions import db

DUE_CHOICES = (30, 60, 90)


@bp.route("/certificates/mine")
@role_required(Role.CANDIDATE)
def mine():
    if current_user.person_id is None:
        abort(403)
    certs = db.session.scalars(services.certificates_query(person_id=current_user.person_id)).unique().all()
    return render_template("certificates/mine.html", rows=services.filter_status(certs, ""),
                           due=services.due_soon(certs))


def _employer_id() -> int:
    if current_user.employer_id is None:
        abort(403)
    return current_user.employer_id


def _employer_rows():
    status = request.args.get("status", "")
    status = status if status in CERTIFICATE_STATUSES else ""
    due = request.args.get("due", type=int)
    due = due if due in DUE_CHOICES else None
    employer_id = _employer_id()
    certs = db.session.scalars(services.certificates_query(employer_id=employer_id, due_within=due, status=status)
                               .limit(20000)).unique().all()
    everyone = db.session.scalars(services.certificates_query(employer_id=employer_id, due_within=90)
                                  .limit(20000)).unique().all()
    return services.filter_status(certs, ""), status, due, everyone


def _employer_page(form, code: int = 200):
    rows, status, due, soon_pool = _employer_rows()
    return render_template("certificates/employer.html", rows=rows, status=status, due=due,
                           statuses=CERTIFICATE_STATUSES, due_choices=DUE_CHOICES, soon=services.due_soon(soon_pool),
                           form=form), code


@bp.route("/certificates/employer")
@role_required(Role.EMPLOYER)
def employer():
    return _employer_page(BulkCheckForm())


@bp.route("/certificates/employer/export.xlsx")
@role_required(Role.EMPLOYER)
def employer_export():
    rows, _status, _due, _certs = _employer_rows()
    headers = ["姓名", "证书编号", "操作项目", "状态", "初领日期", "有效期至", "复审日期", "最近复审", "发证机关"]
    data = workbook_bytes("证书", headers,
                          ((c.person.name, c.number, c.item.name, s.label, format_date(c.issued_on),
                            format_date(c.valid_until), format_date(c.review_due), format_date(c.last_review_on),
                            c.authority) for c, s in rows))
    return Response(data, mimetype=XLSX_MIME,
                    headers={"Content-Disposition": "attachment; filename*=UTF-8''certificates.xlsx"})


@bp.route("/certificates/employer/bulk-check", methods=["POST"])
@role_required(Role.EMPLOYER, Role.ADMIN)
def bulk_check():
    form = BulkCheckForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            table = read_table(upload.filename or "", upload.read(), max_rows=current_app.config["IMPORT_MAX_ROWS"],
                               max_cols=2)
        except DomainError as exc:
            flash(exc.message, "danger")
        else:
            body = table[1:] if table and str(table[0][0] or "").strip() in ("证书编号", "证号", "编号") else table
            if not body:
                flash(_("文件中没有数据行。"), "warning")
            else:
                data = workbook_bytes("核验结果", verification.BULK_HEADERS, verification.bulk_check(body))
                return Response(data, mimetype=XLSX_MIME, headers={
                    "Content-Disposition": "attachment; filename*=UTF-8''certificate-check.xlsx"})
    else:
        flash("；".join(str(e) for errs in form.errors.values() for e in errs) or _("请选择文件"), "danger")
    if current_user.has_role(Role.EMPLOYER) and current_user.employer_id is not None:
        return _employer_page(form, 400)
    return render_template("certificates/bulk_result.html", form=form), 400
