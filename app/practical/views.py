"""Practical-exam pages: the examiner's stations, the queue, the tablet score sheet and its JSON
entry endpoint, sign-off, the chief examiner's decision, changes after the lock, publishing, the
session's archive (PDF, XLSX) and the results candidates and employers see."""
from __future__ import annotations

from urllib.parse import quote

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role
from app.accounts.permissions import role_required
from app.core.errors import DomainError, NotAllowed
from app.core.pdf import render_pdf
from app.core.timeutil import local_today
from app.core.xlsx import XLSX_MIME, workbook_bytes
from app.extensions import db
from app.practical import bp, present, services
from app.practical.forms import AmendForm, DrawForm, ResolveForm, SignForm
from app.practical.models import DrawMode, ScoreSheet
from app.scheduling.models import ExamSession, Registration, SessionKind

OFFICE = (Role.ADMIN, Role.SCHEDULER)
STAFF = (Role.ADMIN, Role.SCHEDULER, Role.EXAMINER)


def _session_or_403(session_id: int) -> ExamSession:
    """A practical session the user works on (or the office), else 404/403."""
    session = db.get_or_404(ExamSession, session_id)
    if session.kind != SessionKind.PRACTICAL:
        abort(404)
    if not current_user.has_role(*OFFICE) and services.duty_of(session, current_user) is None:
        abort(403)
    return session


def _sheet_or_403(sheet_id: int) -> ScoreSheet:
    sheet = db.get_or_404(ScoreSheet, sheet_id)
    _session_or_403(sheet.session_id)
    return sheet


def _back(sheet: ScoreSheet):
    return redirect(url_for("practical.sheet", sheet_id=sheet.id))


def _run(sheet: ScoreSheet, action, success: str):
    """Call one service, commit once, flash the outcome, back to the sheet (a refusal is flashed)."""
    try:
        action()
    except NotAllowed:
        db.session.rollback()
        raise
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(success, "success")
    return _back(sheet)


@bp.route("/practical")
@role_required(*STAFF)
def stations():
    """实操考评: today's practical sessions of the examiner (the office sees every one)."""
    today = local_today()
    mine = services.practical_sessions(today, current_user)
    every = services.practical_sessions(today) if current_user.has_role(*OFFICE) else []
    return render_template("practical/stations.html", today=today, mine=mine, every=every)


@bp.route("/practical/stations/<int:station_id>")
@role_required(*STAFF)
def station(station_id: int):
    """The station's queue: checked-in candidates with their photos and the state of their sheets."""
    session = _session_or_403(station_id)
    return render_template("practical/station.html", session=session, queue=services.station_queue(session),
                           may_score=services.scoring_refusal(session, session.items[0].id, current_user) is None
                           if session.items else False,
                           is_chief=services.is_chief(session, current_user), form=SignForm(),
                           staff=present.staff_line(session))


@bp.route("/practical/registrations/<int:registration_id>/sheet", methods=["POST"])
@role_required(Role.EXAMINER)
def open_sheet(registration_id: int):
    """Open (and on first opening create) the candidate's score sheet."""
    reg = db.get_or_404(Registration, registration_id)
    if reg.session_id is None:
        abort(404)
    _session_or_403(reg.session_id)
    try:
        sheet = services.open_sheet(reg, actor=current_user)
    except NotAllowed:
        db.session.rollback()
        raise
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("practical.station", station_id=reg.session_id))
    db.session.commit()
    return _back(sheet)


@bp.route("/practical/sheets/<int:sheet_id>")
@role_required(*STAFF)
def sheet(sheet_id: int):
    """The examiner's tablet score sheet (read-only for the office and once signed)."""
    sheet = _sheet_or_403(sheet_id)
    return render_template("practical/sheet.html", **present.sheet_context(sheet, current_user),
                           draw_form=DrawForm(), sign_form=SignForm(), resolve_form=ResolveForm(),
                           amend_form=AmendForm())


@bp.route("/practical/sheets/<int:sheet_id>/draw", methods=["POST"])
@role_required(Role.EXAMINER)
def draw(sheet_id: int):
    """抽题: by the system (every subject left) or by the candidate (one subject); a redraw needs a reason."""
    sheet = _sheet_or_403(sheet_id)
    form = DrawForm()
    if not form.validate_on_submit():
        flash(_("抽题请求无效，请刷新页面后重试。"), "danger")
        return _back(sheet)
    return _run(sheet, lambda: services.draw(sheet, DrawMode(form.mode.data), actor=current_user,
                                             subject=form.subject.data or None, reason=form.reason.data or ""),
                _("已抽题。"))


@bp.route("/practical/sheets/<int:sheet_id>/entries", methods=["POST"])
@role_required(Role.EXAMINER)
def entry(sheet_id: int):
    """One queued entry from the tablet (JSON): applied in order by its sequence number."""
    sheet = _sheet_or_403(sheet_id)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return jsonify({"error": {"code": "invalid_entry", "message": _("录入内容无效")}}), 400
    try:
        ack = services.apply_entry(sheet, current_user, payload)
    except DomainError as exc:
        db.session.rollback()
        status = {"invalid_entry": 422, "not_allowed": 403}.get(exc.code, 409)
        return jsonify({"error": {"code": exc.code, "message": exc.message, "field": exc.field}}), status
    db.session.commit()
    return jsonify({"ok": True, **ack})


@bp.route("/practical/sheets/<int:sheet_id>/sign", methods=["POST"])
@role_required(Role.EXAMINER)
def sign(sheet_id: int):
    """Sign one's own marks (an examiner signs once)."""
    sheet = _sheet_or_403(sheet_id)
    if not SignForm().validate_on_submit():
        abort(400)
    return _run(sheet, lambda: services.sign(sheet, current_user), _("已签字。"))


@bp.route("/practical/sheets/<int:sheet_id>/confirm", methods=["POST"])
@role_required(Role.EXAMINER)
def confirm(sheet_id: int):
    """The second examiner adopts the first examiner's marks and signs."""
    sheet = _sheet_or_403(sheet_id)
    if not SignForm().validate_on_submit():
        abort(400)
    return _run(sheet, lambda: services.confirm(sheet, current_user), _("已确认第一考评员的评分并签字。"))


@bp.route("/practical/sheets/<int:sheet_id>/resolve", methods=["POST"])
@role_required(Role.ADMIN, Role.EXAMINER)
def resolve(sheet_id: int):
    """The chief examiner decides the disputed tasks and locks the sheet."""
    sheet = _sheet_or_403(sheet_id)
    if not ResolveForm().validate_on_submit():
        abort(400)
    decisions = {code: {"score": request.form.get(f"score_{code}", ""), "note": request.form.get(f"note_{code}", ""),
                        "vetoes": request.form.getlist(f"veto_{code}")} for code in sheet.drawn.values()
                 if f"score_{code}" in request.form}
    return _run(sheet, lambda: services.resolve(sheet, current_user, decisions), _("已裁定，评分表已锁定。"))


@bp.route("/practical/sheets/<int:sheet_id>/amend", methods=["POST"])
@role_required(Role.ADMIN, Role.EXAMINER)
def amend(sheet_id: int):
    """After the lock: change one task's final score or veto items, with a reason (audited)."""
    sheet = _sheet_or_403(sheet_id)
    form = AmendForm()
    if not form.validate_on_submit():
        flash("；".join(e for errors in form.errors.values() for e in errors), "danger")
        return _back(sheet)
    vetoes = request.form.getlist("vetoes")
    return _run(sheet, lambda: services.amend(sheet, current_user, form.task.data, form.score.data, vetoes,
                                              form.reason.data), _("成绩已修改，原值和新值已记入审计日志。"))


@bp.route("/practical/stations/<int:station_id>/publish", methods=["POST"])
@role_required(*STAFF)
def publish(station_id: int):
    """Publish the session's locked results to candidates and employers (office or chief examiner)."""
    session = _session_or_403(station_id)
    if not current_user.has_role(*OFFICE) and not services.is_chief(session, current_user):
        abort(403)
    if not SignForm().validate_on_submit():
        abort(400)
    count = services.publish_session(session, actor=current_user)
    db.session.commit()
    flash(_("已公布 %(n)d 名考生的实操成绩。", n=count), "success")
    return redirect(url_for("practical.station", station_id=session.id))


def _disposition(session: ExamSession, ext: str) -> str:
    name = f"实操评分表-场次{session.id}-{session.day:%Y-%m-%d}.{ext}"
    return f"attachment; filename=\"practical-session-{session.id}.{ext}\"; filename*=UTF-8''{quote(name, safe='')}"


@bp.route("/practical/stations/<int:station_id>/sheets.pdf")
@role_required(*STAFF)
def sheets_pdf(station_id: int):
    """The session's score sheets as one PDF to archive, with both examiners and their sign-off times."""
    session = _session_or_403(station_id)
    data = render_pdf("practical/sheets_pdf.html", session=session, sheets=present.archive_sheets(session),
                      staff=present.staff_line(session), site_name=current_app.config["SITE_NAME"])
    return Response(data, mimetype="application/pdf", headers={"Content-Disposition": _disposition(session, "pdf")})


@bp.route("/practical/stations/<int:station_id>/sheets.xlsx")
@role_required(*STAFF)
def sheets_xlsx(station_id: int):
    """The session's practical results as a spreadsheet (one row per candidate)."""
    session = _session_or_403(station_id)
    headers, rows = present.xlsx_rows(session)
    data = workbook_bytes("实操成绩", headers, rows)
    return Response(data, mimetype=XLSX_MIME, headers={"Content-Disposition": _disposition(session, "xlsx")})


@bp.route("/practical/results")
@role_required(Role.CANDIDATE, Role.EMPLOYER)
def my_results():
    """实操成绩: a candidate's own published practical results, or an employer's staff's."""
    from app.people.models import Person
    conditions = []
    if current_user.has_role(Role.CANDIDATE) and current_user.person_id:
        conditions.append(ScoreSheet.person_id == current_user.person_id)
    if current_user.has_role(Role.EMPLOYER) and current_user.employer_id:
        conditions.append(Person.employer_id == current_user.employer_id)
    stmt = (sa.select(ScoreSheet).join(Person, Person.id == ScoreSheet.person_id)
            .where(sa.or_(*conditions) if conditions else sa.false(), ScoreSheet.published_at.is_not(None))
            .order_by(ScoreSheet.published_at.desc(), ScoreSheet.id.desc()).limit(200))
    rows = [present.result_row(s) for s in db.session.scalars(stmt)]
    return render_template("practical/results.html", rows=rows, is_employer=current_user.has_role(Role.EMPLOYER))
