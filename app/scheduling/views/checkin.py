"""Scheduling pages: the proctor's sessions of the day, check-in at the door and the sign-in sheet."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, current_app, jsonify, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role
from app.accounts.permissions import role_required
from app.core.errors import DomainError, wants_json
from app.core.pdf import render_pdf
from app.core.timeutil import local_today
from app.core.xlsx import XLSX_MIME, workbook_bytes
from app.extensions import db
from app.scheduling import bp, checkin
from app.scheduling.forms_registration import CheckInForm
from app.scheduling.models import ExamSession, Registration, RegistrationState, SessionKind
from app.scheduling.registration import PART_LABELS

OFFICE = (Role.ADMIN, Role.SCHEDULER)
DOOR = (Role.ADMIN, Role.SCHEDULER, Role.PROCTOR, Role.EXAMINER)  # staff on duty at the session


def get_duty_session_or_403(session_id: int) -> ExamSession:
    """The session, if the user is on its staff or works for the base's office (else 403)."""
    session = db.get_or_404(ExamSession, session_id)
    if not current_user.has_role(*OFFICE) and not checkin.is_on_duty(session, current_user):
        abort(403)
    return session


@bp.route("/schedule/checkin")
@role_required(*DOOR)
def duty_today():
    """今日场次: the proctor's own sessions today (the office also sees every session of the day)."""
    today = local_today()
    mine = checkin.duty_sessions(today, current_user)
    every = checkin.duty_sessions(today) if current_user.has_role(*OFFICE) else []
    return render_template("scheduling/chk_today.html", today=today, mine=mine, every=every,
                           is_office=current_user.has_role(*OFFICE))


def _roster(session: ExamSession) -> dict:
    """The session's candidates by seat, with how many have checked in."""
    rows = checkin.sheet_rows(session)
    arrived = sum(1 for r in rows if r.state in (RegistrationState.CHECKED_IN, RegistrationState.COMPLETED))
    return {"rows": rows, "arrived": arrived, "total": len(rows)}


def _result_json(ok: bool, message: str, reg: Registration | None, status: int):
    """A check-in outcome for the desk page's script: the rendered result card and the message."""
    html = render_template("scheduling/chk_result.html", ok=ok, message=message, reg=reg, photo_url=_photo_url(reg))
    return jsonify({"ok": ok, "message": message, "html": html}), status


def _photo_url(reg: Registration | None) -> str | None:
    """Where the candidate's photo is served (people.person_photo), or None without a photo."""
    if reg is None or not reg.person.photo_file:
        return None
    return url_for("people.person_photo", person_id=reg.person_id)


@bp.route("/schedule/sessions/<int:session_id>/checkin", methods=["GET", "POST"])
@role_required(*DOOR)
def checkin_desk(session_id: int):
    """The check-in desk: scan or type a ticket, see the photo, name, seat and masked ID, or the refusal."""
    session = get_duty_session_or_403(session_id)
    form = CheckInForm()
    reg, message, ok, status = None, None, False, 200
    if form.validate_on_submit():
        try:
            reg = checkin.check_in(session, form.code.data, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            message, status = exc.message, 409
        else:
            db.session.commit()
            ok, message = True, _("签到成功：%(name)s，%(seat)s 号座位。", name=reg.person.name, seat=reg.seat)
    elif form.is_submitted():
        message, status = _("请扫描二维码或输入准考证号。"), 422
    if form.is_submitted() and wants_json():
        return _result_json(ok, message, reg, status)
    form.code.data = ""
    return render_template("scheduling/chk_desk.html", session=session, form=form, ok=ok, message=message, reg=reg,
                           photo_url=_photo_url(reg), part_labels=PART_LABELS, staff=checkin.staff_names(session),
                           jsqr=url_for("static", filename="vendor/jsqr/jsQR.js"), **_roster(session)), status


@bp.route("/schedule/sessions/<int:session_id>/checkin/roster")
@role_required(*DOOR)
def checkin_roster(session_id: int):
    """The session's candidates and their check-in state (a fragment the desk page reloads)."""
    session = get_duty_session_or_403(session_id)
    return render_template("scheduling/chk_roster.html", session=session, **_roster(session))


def _sheet_name(session: ExamSession, ext: str) -> str:
    """Content-Disposition of a sign-in sheet: an ASCII filename and the Chinese one (filename*)."""
    disposition = f"attachment; filename=\"sign-in-session-{session.id}.{ext}\"; "
    return disposition + f"filename*=UTF-8''{quote(f'考场记录-场次{session.id}-{session.day:%Y-%m-%d}.{ext}', safe='')}"


def _sheet_title(session: ExamSession) -> list[tuple[str, str]]:
    """The session facts printed with the sign-in sheet, as (label, value) pairs."""
    items = "、".join(i.name for i in session.items)
    return [("场次", f"{session.id}（{SessionKind(session.kind).label}）"),
            ("考场", f"{session.room.site.name} {session.room.name}"),
            ("考核项目", items), ("工作人员", checkin.staff_names(session))]


@bp.route("/schedule/sessions/<int:session_id>/sheet.xlsx")
@role_required(*DOOR)
def sheet_xlsx(session_id: int):
    """The sign-in sheet (考场记录) as a spreadsheet: one row per seat, then the session and its staff."""
    session = get_duty_session_or_403(session_id)
    rows = checkin.sheet_table(session)
    tail = [[""] * len(checkin.SHEET_HEADERS)] + [[k, v] for k, v in _sheet_title(session)]
    data = workbook_bytes("考场记录", checkin.SHEET_HEADERS, rows + tail)
    return Response(data, mimetype=XLSX_MIME, headers={"Content-Disposition": _sheet_name(session, "xlsx")})


@bp.route("/schedule/sessions/<int:session_id>/sheet.pdf")
@role_required(*DOOR)
def sheet_pdf(session_id: int):
    """The sign-in sheet (考场记录) as a PDF to print, sign and keep."""
    session = get_duty_session_or_403(session_id)
    data = render_pdf("scheduling/chk_sheet_pdf.html", session=session, headers=checkin.SHEET_HEADERS,
                      rows=checkin.sheet_table(session), title=_sheet_title(session),
                      proctors=[s.user.display_name for s in session.staff],
                      site_name=current_app.config["SITE_NAME"])
    return Response(data, mimetype="application/pdf", headers={"Content-Disposition": _sheet_name(session, "pdf")})
