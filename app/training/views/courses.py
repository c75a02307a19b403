"""Course pages: the list, a course and its versions, editing a draft and its lessons, uploads, review."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from app.accounts.permissions import role_required
from app.catalog.models import CatalogItem
from app.core.errors import DomainError
from app.extensions import csrf, db
from app.training import bp, learning
from app.training import courses as svc
from app.training.forms import CourseForm, LessonForm, ReviewForm, UploadForm, VersionForm
from app.training.models import Course, Enrolment, EnrolmentState, Lesson, TrainingClass, VersionStatus
from app.training.views.common import (
    AUTHORS,
    CLASS_STAFF,
    A,
    C,
    S,
    course_or_404,
    draft_or_redirect,
    editable_course_or_403,
    editable_version_or_403,
    form_errors,
    lesson_in_editable_or_403,
    version_or_404,
)


@bp.route("/training/courses")
@role_required(*CLASS_STAFF)
def courses():
    """课程: every course (a trainer: their own and the base's), with the versions waiting for review."""
    stmt = sa.select(Course).order_by(Course.item_id, Course.kind, Course.id)
    if not current_user.has_role(A, S):
        stmt = stmt.where(sa.or_(Course.owner_id.is_(None), Course.owner_id == current_user.id))
    rows = db.session.scalars(stmt).all()
    pending = [c for c in rows if c.latest and c.latest.status in (VersionStatus.SUBMITTED, VersionStatus.APPROVED)]
    return render_template("training/courses.html", courses=rows, pending=pending, can_author=current_user.has_role(*AUTHORS),
                           is_admin=current_user.has_role(A), statuses=VersionStatus)


def _item_choices() -> list[tuple[int, str]]:
    items = db.session.scalars(sa.select(CatalogItem).where(CatalogItem.is_active)
                               .order_by(CatalogItem.sort_order, CatalogItem.id)).all()
    return [(i.id, i.name) for i in items]


@bp.route("/training/courses/new", methods=["GET", "POST"])
@role_required(*AUTHORS)
def course_new():
    form = CourseForm()
    form.item_id.choices = _item_choices()
    if form.validate_on_submit():
        try:
            course = svc.create_course(db.get_or_404(CatalogItem, form.item_id.data), form.kind.data, form.title.data,
                                       actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("课程已创建，请添加课节。"), "success")
            return redirect(url_for("training.version_detail", version_id=course.latest.id))
    elif form.is_submitted():
        flash(form_errors(form), "danger")
    return render_template("training/form.html", form=form, title=_("新建课程"), cancel=url_for("training.courses"))


@bp.route("/training/courses/<int:course_id>")
@role_required(*CLASS_STAFF)
def course_detail(course_id: int):
    course = course_or_404(course_id)
    return render_template("training/course.html", course=course, can_edit=svc.can_edit(current_user, course),
                           statuses=VersionStatus)


@bp.route("/training/courses/<int:course_id>/draft", methods=["POST"])
@role_required(*AUTHORS)
def course_draft(course_id: int):
    """Open the course's draft, copying the latest version into a new one when there is none."""
    course = editable_course_or_403(course_id)
    try:
        version = svc.draft_for_edit(course, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("training.course_detail", course_id=course.id))
    db.session.commit()
    return redirect(url_for("training.version_detail", version_id=version.id))


@bp.route("/training/versions/<int:version_id>")
@role_required(*CLASS_STAFF)
def version_detail(version_id: int):
    version = version_or_404(version_id)
    return render_template("training/version.html", version=version, course=version.course,
                           can_edit=svc.can_edit(current_user, version.course) and version.is_editable,
                           is_admin=current_user.has_role(A), problems=svc.completeness_problems(version),
                           review_form=ReviewForm(), statuses=VersionStatus)


@bp.route("/training/versions/<int:version_id>/edit", methods=["GET", "POST"])
@role_required(*AUTHORS)
def version_edit(version_id: int):
    version = editable_version_or_403(version_id)
    if (away := draft_or_redirect(version)) is not None:
        return away
    form = VersionForm(obj=version) if request.method == "GET" else VersionForm()
    if request.method == "GET":
        form.goals.data = "\n".join(version.goals)
    if form.validate_on_submit():
        try:
            svc.update_version(version, title=form.title.data, goals=form.goals.data.splitlines(),
                               audience=form.audience.data or "", assessment=form.assessment.data or "")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            db.session.commit()
            return redirect(url_for("training.version_detail", version_id=version.id))
    elif form.is_submitted():
        flash(form_errors(form), "danger")
    return render_template("training/form.html", form=form, title=_("课程信息"),
                           cancel=url_for("training.version_detail", version_id=version.id))


def _video_prefixes() -> tuple[str, ...]:
    return tuple(current_app.config.get("TRAINING_MEDIA_PREFIXES", ()))


def _save_lesson(version, lesson, form) -> Lesson:
    minutes = form.video_minutes.data
    return svc.save_lesson(version, lesson, title=form.title.data, hours=float(form.hours.data), mode=form.mode.data,
                           is_online=form.is_online.data, body_html=form.body_html.data or "",
                           outline=(form.outline.data or "").splitlines(), video_url=form.video_url.data or "",
                           video_seconds=round(minutes * 60) if minutes else None,
                           allowed_video_prefixes=_video_prefixes())


def _lesson_form_page(version, lesson, form):
    if form.validate_on_submit():
        try:
            lesson = _save_lesson(version, lesson, form)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for("training.lesson_edit", lesson_id=lesson.id))
    elif form.is_submitted():
        flash(form_errors(form), "danger")
    return render_template("training/lesson_form.html", form=form, version=version, lesson=lesson,
                           upload=UploadForm(), prefixes=_video_prefixes())


@bp.route("/training/versions/<int:version_id>/lessons/new", methods=["GET", "POST"])
@role_required(*AUTHORS)
def lesson_new(version_id: int):
    version = editable_version_or_403(version_id)
    if (away := draft_or_redirect(version)) is not None:
        return away
    return _lesson_form_page(version, None, LessonForm())


@bp.route("/training/lessons/<int:lesson_id>/edit", methods=["GET", "POST"])
@role_required(*AUTHORS)
def lesson_edit(lesson_id: int):
    lesson = lesson_in_editable_or_403(lesson_id)
    if (away := draft_or_redirect(_version(lesson))) is not None:
        return away
    form = LessonForm(obj=lesson) if request.method == "GET" else LessonForm()
    if request.method == "GET":
        form.outline.data = "\n".join(lesson.outline)
        form.video_minutes.data = round(lesson.video_seconds / 60, 1) if lesson.video_url and lesson.video_seconds else None
    return _lesson_form_page(_version(lesson), lesson, form)


def _version(lesson: Lesson):
    return version_or_404(lesson.version_id)


@bp.route("/training/lessons/<int:lesson_id>/delete", methods=["POST"])
@role_required(*AUTHORS)
def lesson_delete(lesson_id: int):
    lesson = lesson_in_editable_or_403(lesson_id)
    version = _version(lesson)
    try:
        svc.remove_lesson(version, lesson)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("已删除该课。"), "success")
    return redirect(url_for("training.version_detail", version_id=version.id))


def _check_upload_csrf() -> None:
    """Uploads are exempt from the global CSRF check (which would read the body under the small default
    size limit); the token is checked here, after the larger limit is set."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    try:
        validate_csrf(request.form.get("csrf_token"))
    except (ValidationError, CSRFError):
        abort(400, description="CSRF token missing or invalid")


@bp.route("/training/lessons/<int:lesson_id>/video", methods=["POST"])
@csrf.exempt
@role_required(*AUTHORS)
def lesson_video_upload(lesson_id: int):
    """Upload the lesson's MP4 (type sniffed, size limited, duration read from the file)."""
    request.max_content_length = current_app.config.get("TRAINING_VIDEO_MAX_BYTES", learning.VIDEO_MAX_BYTES) + 1024 * 1024
    _check_upload_csrf()
    lesson = lesson_in_editable_or_403(lesson_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("请选择视频文件。"), "danger")
        return redirect(url_for("training.lesson_edit", lesson_id=lesson.id))
    try:
        name, seconds = learning.store_video(current_app.config["UPLOAD_ROOT"], upload.stream,
                                             max_bytes=current_app.config.get("TRAINING_VIDEO_MAX_BYTES",
                                                                              learning.VIDEO_MAX_BYTES))
        learning.attach_video(lesson, name, seconds, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("视频已上传（时长 %(m)s 分钟）。", m=f"{seconds / 60:.1f}"), "success")
    return redirect(url_for("training.lesson_edit", lesson_id=lesson.id))


@bp.route("/training/lessons/<int:lesson_id>/attachment", methods=["POST"])
@role_required(*AUTHORS)
def lesson_attachment_upload(lesson_id: int):
    lesson = lesson_in_editable_or_403(lesson_id)
    form = UploadForm()
    if not form.validate_on_submit():
        flash(form_errors(form), "danger")
        return redirect(url_for("training.lesson_edit", lesson_id=lesson.id))
    try:
        name = learning.store_pdf(current_app.config["UPLOAD_ROOT"], form.file.data.read())
        learning.attach_pdf(lesson, name, form.file.data.filename, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("课件已上传。"), "success")
    return redirect(url_for("training.lesson_edit", lesson_id=lesson.id))


def _may_open_lesson_files(lesson: Lesson) -> bool:
    """Course staff see every lesson; a candidate only lessons of a class they are enrolled in."""
    if current_user.has_role(*CLASS_STAFF):
        return True
    if current_user.has_role(C) and current_user.person_id:
        return db.session.scalar(sa.select(Enrolment.id).join(TrainingClass).where(
            Enrolment.person_id == current_user.person_id, Enrolment.state != EnrolmentState.WITHDRAWN,
            TrainingClass.course_version_id == lesson.version_id).limit(1)) is not None
    return False


@bp.route("/training/lessons/<int:lesson_id>/video.mp4")
@role_required(*CLASS_STAFF, C)
def lesson_video(lesson_id: int):
    """The uploaded video, with HTTP range requests (seeking and resuming)."""
    lesson = db.get_or_404(Lesson, lesson_id)
    if not _may_open_lesson_files(lesson):
        abort(403)
    if not lesson.video_file:
        abort(404)
    path = learning.file_path(current_app.config["UPLOAD_ROOT"], lesson.video_file)
    if not path.exists():
        abort(404)
    response = send_file(path, mimetype="video/mp4", conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/training/lessons/<int:lesson_id>/courseware.pdf")
@role_required(*CLASS_STAFF, C)
def lesson_attachment(lesson_id: int):
    lesson = db.get_or_404(Lesson, lesson_id)
    if not _may_open_lesson_files(lesson):
        abort(403)
    if not lesson.attachment_file:
        abort(404)
    path = learning.file_path(current_app.config["UPLOAD_ROOT"], lesson.attachment_file)
    if not path.exists():
        abort(404)
    return send_file(path, mimetype="application/pdf", download_name=lesson.attachment_name or "courseware.pdf",
                     conditional=True)


@bp.route("/training/versions/<int:version_id>/submit", methods=["POST"])
@role_required(*AUTHORS)
def version_submit(version_id: int):
    version = editable_version_or_403(version_id)
    try:
        svc.submit_version(version, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("已提交审核。"), "success")
    return redirect(url_for("training.version_detail", version_id=version.id))


REVIEW_ACTIONS = {"approve": svc.approve_version, "return": svc.return_version, "publish": svc.publish_version}


@bp.route("/training/versions/<int:version_id>/review", methods=["POST"])
@role_required(A)
def version_review(version_id: int):
    """The admin approves, returns (with a reason) or publishes a version."""
    version = version_or_404(version_id)
    form = ReviewForm()
    action = request.form.get("action", "")
    if action not in REVIEW_ACTIONS or not form.validate_on_submit():
        flash(_("未知的审核操作。"), "danger")
        return redirect(url_for("training.version_detail", version_id=version.id))
    try:
        if action == "publish":
            svc.publish_version(version, actor=current_user)
        else:
            REVIEW_ACTIONS[action](version, actor=current_user, note=form.note.data or "")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("课程版本状态：%(s)s。", s=VersionStatus(version.status).label), "success")
    return redirect(url_for("training.version_detail", version_id=version.id))

