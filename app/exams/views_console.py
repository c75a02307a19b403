"""Staff pages of theory-exam delivery: the proctor's console (live seat map and the actions on an
attempt, each with a reason), publishing a session's results, the admin's key correction with its
regrade, and the results page of candidates and employers. Thin views over app.exams.proctoring."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from app.accounts.models import Role
from app.accounts.permissions import role_required
from app.catalog.models import CatalogItem
from app.core.errors import DomainError, wants_json
from app.core.pagination import paginate
from app.core.timeutil import format_date
from app.db import utcnow
from app.exams import bp, proctoring
from app.exams.models import FINISHED, Attempt, AttemptStatus
from app.exams.services import breakdown
from app.extensions import db
from app.people.models import Person
from app.questions.models import QuestionVersion
from app.questions.types import kind
from app.scheduling.models import ExamSession, Registration, SessionKind
from app.scheduling.views.checkin import get_duty_session_or_403

OFFICE = (Role.ADMIN, Role.SCHEDULER)
CONSOLE = (Role.ADMIN, Role.SCHEDULER, Role.PROCTOR, Role.EXAMINER)  # proctors/examiners only when on duty

# The seat states of proctoring.STATE_LABELS, as literals so Babel extracts them (a test keeps them equal).
STATE_TEXT = {"not_started": _l("未开始"), "not_checked_in": _l("未签到"), "absent": _l("缺考"),
              "answering": _l("答题中"), "paused": _l("已暂停"), "submitted": _l("已交卷"),
              "terminated": _l("已终止"), "disconnected": _l("连接中断")}
ACTION_TEXT = {"pause": _l("暂停"), "resume": _l("继续"), "extra_time": _l("延长时间"),
               "release": _l("解除终端绑定"), "terminate": _l("违纪终止"), "absent": _l("记为缺考")}
# Which actions fit a seat's state: the menu offers only these (the service refuses the rest anyway).
LIVE = ("extra_time", "release", "terminate")
STATE_ACTIONS = {"not_checked_in": ("absent",), "not_started": ("absent",), "answering": ("pause", *LIVE),
                 "disconnected": ("pause", *LIVE), "paused": ("resume", *LIVE)}


class ConsoleActionForm(FlaskForm):
    registration_id = IntegerField(widget=HiddenInput(), validators=[DataRequired(_l("请选择考生"))])
    action = SelectField(_l("操作"), choices=list(ACTION_TEXT.items()), validators=[DataRequired(_l("请选择操作"))])
    minutes = IntegerField(_l("延长时间（分钟）"), validators=[Optional(), NumberRange(1, 120, _l("延长时间应为 1–120 分钟"))])
    reason = TextAreaField(_l("原因"), description=_l("必填，写入考场记录和审计日志"),
                           validators=[DataRequired(_l("请填写原因（会写入考场记录和审计日志）")), Length(max=500)])
    submit = SubmitField(_l("确定"))


class PublishForm(FlaskForm):
    submit = SubmitField(_l("公布本场成绩"))


class KeyCorrectionForm(FlaskForm):
    new_key = StringField(_l("正确答案"), validators=[DataRequired(_l("请填写正确答案")), Length(max=10)])
    reason = TextAreaField(_l("更正原因"), description=_l("必填，写入审计日志；所有用过此版本的已评分试卷将重新评分"),
                           validators=[DataRequired(_l("请填写更正原因")), Length(max=500)])
    submit = SubmitField(_l("更正答案并重新评分"))


# ---- the console ------------------------------------------------------------------------------

def _console_session_or_403(session_id: int) -> ExamSession:
    """A theory session the user may proctor (404 for other kinds, 403 when not on duty)."""
    session = get_duty_session_or_403(session_id)
    if session.kind != SessionKind.THEORY:
        abort(404)
    return session


def _clock(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def _seat_rows(session: ExamSession) -> list[dict]:
    """The console rows with their label, time left as mm:ss and the actions that fit (no scores)."""
    rows = []
    for row in proctoring.console_rows(session, utcnow()):
        state = row["state"]
        live = state in ("answering", "paused", "disconnected")
        rows.append({**{k: v for k, v in row.items() if k != "score"}, "state": str(state),
                     "registration_state": str(row["registration_state"]),
                     "label": str(STATE_TEXT.get(state, state)), "time_left": _clock(row["remaining_seconds"] if live else None),
                     "progress": f"{row['answered']}/{row['total']}" if row["total"] else "—",
                     "actions": list(STATE_ACTIONS.get(state, ()))})
    return rows


def _summary(rows: list[dict]) -> list[dict]:
    counts = {}
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    return [{"state": s, "label": str(label), "count": counts[s]} for s, label in STATE_TEXT.items() if counts.get(s)]


def _result_counts(session: ExamSession) -> dict:
    """How many of the session's attempts are graded, and how many of those published."""
    graded, published = db.session.execute(
        sa.select(sa.func.count(Attempt.graded_at), sa.func.count(Attempt.published_at))
        .join(Registration, Registration.id == Attempt.registration_id)
        .where(Registration.session_id == session.id)).one()
    return {"graded": graded, "published": published}


@bp.route("/exams/sessions/<int:session_id>/console")
@role_required(*CONSOLE)
def console(session_id: int):
    """监考台: the seat map, refreshed by console.js, with an action dialog per seat."""
    session = _console_session_or_403(session_id)
    rows = _seat_rows(session)
    is_office = current_user.has_role(*OFFICE)
    return render_template("exams/console.html", session=session, rows=rows, summary=_summary(rows),
                           form=ConsoleActionForm(), action_text=ACTION_TEXT, is_office=is_office,
                           publish_form=PublishForm() if is_office else None, results=_result_counts(session))


@bp.route("/exams/sessions/<int:session_id>/console.json")
@role_required(*CONSOLE)
def console_data(session_id: int):
    """The seat rows as JSON for the console's live refresh."""
    session = _console_session_or_403(session_id)
    rows = _seat_rows(session)
    return jsonify(session_id=session.id, server_time=utcnow().isoformat(timespec="seconds"), rows=rows,
                   summary=_summary(rows))


def _first_error(form: FlaskForm) -> str:
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return _("提交的内容不完整，请重试。")


def _action_reply(session: ExamSession, ok: bool, message: str, status: int):
    """JSON for the console's script; a flash and the console again for a plain form post."""
    if wants_json():
        return jsonify(ok=ok, message=message), status
    flash(message, "success" if ok else "danger")
    return redirect(url_for("exams.console", session_id=session.id))


@bp.route("/exams/sessions/<int:session_id>/console/action", methods=["POST"])
@role_required(*CONSOLE)
def console_action(session_id: int):
    """One proctor action on one candidate, with a reason (recorded and audited by the service)."""
    session = _console_session_or_403(session_id)
    form = ConsoleActionForm()
    if not form.validate_on_submit():
        return _action_reply(session, False, _first_error(form), 422)
    try:
        message = proctoring.act(session, form.registration_id.data, form.action.data, reason=form.reason.data,
                                 actor=current_user, minutes=form.minutes.data)
    except DomainError as exc:
        db.session.rollback()
        return _action_reply(session, False, exc.message, 409)
    db.session.commit()
    return _action_reply(session, True, message, 200)


@bp.route("/exams/sessions/<int:session_id>/publish", methods=["POST"])
@role_required(*OFFICE)
def publish_results(session_id: int):
    """Make the session's graded results visible to candidates and employers."""
    session = db.get_or_404(ExamSession, session_id)
    if PublishForm().validate_on_submit():
        count = proctoring.publish_results(session, actor=current_user)
        db.session.commit()
        flash(_("已公布 %(n)d 名考生的成绩。", n=count) if count else _("没有待公布的成绩。"),
              "success" if count else "info")
    return redirect(url_for("exams.console", session_id=session.id))


# ---- key correction ---------------------------------------------------------------------------

def _graded_uses(version: QuestionVersion) -> int:
    """How many graded attempts saw this version (all of them are regraded by a correction)."""
    from app.papers.models import PaperQuestion
    return db.session.scalar(sa.select(sa.func.count(Attempt.id))
                             .join(PaperQuestion, PaperQuestion.paper_id == Attempt.paper_id)
                             .where(PaperQuestion.question_version_id == version.id, Attempt.graded_at.is_not(None)))


def _change_rows(changes: list[dict]) -> list[dict]:
    """The service's changes with the candidate, ticket, item and date of each attempt."""
    attempts = {a.id: a for a in db.session.scalars(sa.select(Attempt).where(
        Attempt.id.in_([c["attempt_id"] for c in changes])))}
    rows = []
    for change in changes:
        attempt = attempts[change["attempt_id"]]
        reg = db.session.get(Registration, attempt.registration_id) if attempt.registration_id else None
        person = reg.person if reg else db.session.get(Person, attempt.person_id)
        rows.append({**change, "name": person.name, "ticket_no": reg.ticket_no if reg else "",
                     "date": format_date(attempt.submitted_at), "published": attempt.published_at is not None})
    return rows


@bp.route("/exams/question-versions/<int:version_id>/correct-key", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def correct_key(version_id: int):
    """Correct the key of a used question version; every graded attempt that saw it is regraded."""
    version = db.get_or_404(QuestionVersion, version_id)
    form = KeyCorrectionForm()
    changes, status = None, 200
    if form.validate_on_submit():
        try:
            raw = proctoring.correct_key(version, form.new_key.data, reason=form.reason.data, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            getattr(form, {"answer": "new_key"}.get(exc.field, exc.field or ""), form.new_key).errors.append(exc.message)
            status = 409
        else:
            changes = _change_rows(raw)
            db.session.commit()
            flash(_("答案已更正，已重新评分；%(n)d 名考生的成绩发生变化。", n=len(changes)), "success")
            form = KeyCorrectionForm(formdata=None)
    elif form.is_submitted():
        status = 422
    return render_template("exams/correct_key.html", version=version, qkind=kind(version.qtype), form=form,
                           changes=changes, uses=_graded_uses(version)), status


# ---- results for candidates and employers -------------------------------------------------------

def _results_scope(user):
    """Whose results the user may read: the candidate's own, an employer's staff; nobody else's."""
    conditions = []
    if user.has_role(Role.CANDIDATE) and user.person_id:
        conditions.append(Attempt.person_id == user.person_id)
    if user.has_role(Role.EMPLOYER) and user.employer_id:
        conditions.append(Person.employer_id == user.employer_id)
    return sa.or_(*conditions) if conditions else sa.false()


def _result_row(attempt: Attempt) -> dict:
    """What a result line shows; score, pass/fail and breakdown only once published."""
    reg = db.session.get(Registration, attempt.registration_id)
    published = attempt.published_at is not None and attempt.score is not None
    day = reg.session.day if reg.session else attempt.submitted_at
    return {"name": reg.person.name, "id_number": reg.person.id_number, "item": reg.item.name,
            "date": format_date(day), "is_makeup": attempt.is_makeup, "published": published,
            "terminated": attempt.status == AttemptStatus.TERMINATED,
            "score": attempt.score if published else None, "passed": attempt.passed if published else None,
            "pass_mark": attempt.paper.blueprint.pass_mark if published else None,
            "by_kp": breakdown(attempt) if published else []}


@bp.route("/exams/results")
@role_required(Role.CANDIDATE, Role.EMPLOYER)
def my_results():
    """成绩查询: a candidate's own theory results, or an employer's staff's (filter by item)."""
    scoped = (sa.select(Attempt).join(Registration, Registration.id == Attempt.registration_id)
              .join(Person, Person.id == Attempt.person_id)
              .where(Attempt.status.in_(FINISHED), _results_scope(current_user)))
    items = db.session.execute(sa.select(CatalogItem.id, CatalogItem.name).where(
        CatalogItem.id.in_(scoped.with_only_columns(Attempt.item_id))).order_by(CatalogItem.sort_order)).all()
    item_id = request.args.get("item", type=int)
    stmt = scoped.where(Attempt.item_id == item_id) if item_id else scoped
    page = paginate(stmt.order_by(Attempt.submitted_at.desc(), Attempt.id.desc()))
    return render_template("exams/results.html", page=page, rows=[_result_row(a) for a in page.items],
                           items=items, item_id=item_id, is_employer=current_user.has_role(Role.EMPLOYER))
