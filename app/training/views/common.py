"""Helpers shared by the training pages: roles, object loaders and the candidate's person."""
from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role
from app.core.errors import DomainError
from app.extensions import db
from app.people.models import Person
from app.training import classes as class_svc
from app.training.courses import can_edit
from app.training.models import Course, CourseVersion, Enrolment, EnrolmentState, Lesson, Meeting, TrainingClass

A, S, T, EM, C = Role.ADMIN, Role.SCHEDULER, Role.TRAINER, Role.EMPLOYER, Role.CANDIDATE
OFFICE = (A, S)
AUTHORS = (A, T)
CLASS_VIEWERS = (A, S, T, EM)
CLASS_STAFF = (A, S, T)


def form_errors(form) -> str:
    return "；".join(str(e) for errors in form.errors.values() for e in errors) or _("提交的内容不完整。")


def course_or_404(course_id: int) -> Course:
    return db.get_or_404(Course, course_id)


def editable_course_or_403(course_id: int) -> Course:
    course = course_or_404(course_id)
    if not can_edit(current_user, course):
        abort(403)
    return course


def version_or_404(version_id: int) -> CourseVersion:
    return db.get_or_404(CourseVersion, version_id)


def editable_version_or_403(version_id: int) -> CourseVersion:
    version = version_or_404(version_id)
    if not can_edit(current_user, version.course):
        abort(403)
    return version


def draft_or_redirect(version: CourseVersion):
    """None when the version is a draft; else a redirect to it, saying how to change a course."""
    if version.is_editable:
        return None
    flash(_("第 %(n)s 版已提交或已发布，不能直接修改；请在课程页点“修改课程”生成新版本。", n=version.version_no), "warning")
    return redirect(url_for("training.version_detail", version_id=version.id))


def lesson_in_editable_or_403(lesson_id: int) -> Lesson:
    lesson = db.get_or_404(Lesson, lesson_id)
    editable_version_or_403(lesson.version_id)
    return lesson


def class_or_403(class_id: int, *, staff_only: bool = False) -> TrainingClass:
    """The class, if the user runs it (trainer), works in the office, or (unless ``staff_only``) is an employer."""
    tc = db.get_or_404(TrainingClass, class_id)
    if current_user.has_role(*OFFICE):
        return tc
    if current_user.has_role(T) and class_svc.is_trainer_of(current_user, tc):
        return tc
    if not staff_only and current_user.has_role(EM):
        return tc
    abort(403)


def meeting_or_403(meeting_id: int) -> Meeting:
    meeting = db.get_or_404(Meeting, meeting_id)
    class_or_403(meeting.class_id, staff_only=True)
    return meeting


def my_person() -> Person:
    """The candidate's own person record (403 for an account not linked to one)."""
    if current_user.person_id is None:
        abort(403)
    return db.session.get(Person, current_user.person_id)


def my_enrolment_or_404(enrolment_id: int) -> Enrolment:
    enrolment = db.get_or_404(Enrolment, enrolment_id)
    if enrolment.person_id != my_person().id or enrolment.state == EnrolmentState.WITHDRAWN:
        abort(404)  # a withdrawn person no longer learns (or earns hours) in the class
    return enrolment


def apply_or_flash(action, success: str) -> bool:
    """Run one service action of a POST view: commit and flash ``success``, or roll back and flash the
    DomainError's message. Returns whether it went through."""
    try:
        action()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return False
    db.session.commit()
    flash(success, "success")
    return True
