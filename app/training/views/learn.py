"""The candidate's training pages: my classes and hours, sign-in by the class QR, online lessons with
progress heartbeats."""
from __future__ import annotations

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.permissions import role_required
from app.core.errors import DomainError
from app.extensions import db
from app.training import bp, learning
from app.training import classes as svc
from app.training.forms import ReviewForm
from app.training.views.common import C, my_enrolment_or_404, my_person

HEARTBEAT_SECONDS = 15


@bp.route("/training/my")
@role_required(C)
def my_training():
    """我的培训: classes, hours against the requirement, online lessons and their progress."""
    person = my_person()
    rows = []
    for e in svc.person_enrolments(person.id):
        lessons = [(le, learning.progress_for(e, le)) for le in e.training_class.version.lessons if le.is_online]
        rows.append((e, svc.hours_of(e), lessons))
    return render_template("training/my.html", person=person, rows=rows)


@bp.route("/training/signin/<signin_token>", methods=["GET", "POST"])
@role_required(C)
def signin(signin_token: str):
    """The class QR opens this page on the candidate's phone; one tap signs in to the meeting."""
    person = my_person()
    form = ReviewForm()
    try:
        meeting = svc.meeting_from_token(signin_token)
    except DomainError as exc:
        return render_template("training/signin.html", error=exc.message, meeting=None, form=form), 409
    if form.validate_on_submit():
        try:
            row = svc.sign_in_by_qr(meeting, person, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            return render_template("training/signin.html", error=exc.message, meeting=meeting, form=form), 409
        db.session.commit()
        flash(_("签到成功：%(hours)s 学时已计入。", hours=f"{row.hours:g}"), "success")
        return redirect(url_for("training.my_training"))
    return render_template("training/signin.html", error=None, meeting=meeting, form=form)


def _video_csp(url: str) -> str:
    """The page's Content-Security-Policy, letting the media server's origin play in <video>."""
    from urllib.parse import urlsplit

    from app.core.security import CSP
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""
    return CSP.replace("media-src 'self' blob:", f"media-src 'self' blob: {origin}") if origin else CSP


@bp.route("/training/learn/<int:enrolment_id>/lessons/<int:lesson_id>")
@role_required(C)
def lesson_watch(enrolment_id: int, lesson_id: int):
    """An online lesson: the text, the courseware and the video, reporting progress as it plays."""
    enrolment = my_enrolment_or_404(enrolment_id)
    lesson = learning.lesson_of_enrolment(enrolment, lesson_id)
    if lesson is None or not lesson.is_online:
        return render_template("errors/error.html", status=404, title=_("页面不存在"),
                               hint=_("本课不在您的培训班中，或不能在线学习。")), 404
    src = lesson.video_url or (url_for("training.lesson_video", lesson_id=lesson.id) if lesson.video_file else "")
    html = render_template("training/lesson_watch.html", enrolment=enrolment, lesson=lesson, src=src,
                           progress=learning.progress_for(enrolment, lesson), hours=svc.hours_of(enrolment),
                           beat_url=url_for("training.lesson_beat", enrolment_id=enrolment.id, lesson_id=lesson.id),
                           interval=current_app.config.get("TRAINING_HEARTBEAT_SECONDS", HEARTBEAT_SECONDS))
    response = current_app.make_response(html)
    if lesson.video_url:
        response.headers["Content-Security-Policy"] = _video_csp(lesson.video_url)
    return response


@bp.route("/training/learn/<int:enrolment_id>/lessons/<int:lesson_id>/beat", methods=["POST"])
@role_required(C)
def lesson_beat(enrolment_id: int, lesson_id: int):
    """A progress heartbeat: {"position": seconds}. Answers the watched seconds and the hours credited."""
    enrolment = my_enrolment_or_404(enrolment_id)
    lesson = learning.lesson_of_enrolment(enrolment, lesson_id)
    payload = request.get_json(silent=True) or request.form
    try:
        position = float(payload.get("position"))
    except (TypeError, ValueError):
        return jsonify({"error": {"code": "bad_position", "message": _("播放位置无效")}}), 400
    if lesson is None:
        return jsonify({"error": {"code": "not_found", "message": _("本课不在您的培训班中")}}), 404
    try:
        row = learning.record_heartbeat(enrolment, lesson, position)
    except DomainError as exc:
        db.session.rollback()
        return jsonify({"error": {"code": exc.code, "message": exc.message}}), 409
    db.session.commit()
    hours = svc.hours_of(enrolment)
    return jsonify({"watched_seconds": round(row.watched_seconds, 1), "lesson_hours": row.hours_credited,
                    "total_hours": hours.total, "required_hours": hours.required,
                    "completed": enrolment.state == "completed"})
