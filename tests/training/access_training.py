"""Access-matrix entries of the training pages (merged into tests/test_access.py).

A trainer reaches courses, their classes, attendance and documents, never the exam pool, papers,
attempts or results: those endpoints' entries (questions.*, papers.*, exams.*) leave the trainer out, and
test_a_trainer_never_reaches_the_exam_pool_papers_or_results (tests/training/test_views.py) proves it
against the whole URL map."""
from __future__ import annotations

import sqlalchemy as sa

from app.accounts.models import Role
from app.db import utcnow
from app.extensions import db
from app.training import classes as class_svc
from app.training.models import Enrolment, Lesson, MockExam
from tests.training import fixtures

A, S, T, EM, C = Role.ADMIN, Role.SCHEDULER, Role.TRAINER, Role.EMPLOYER, Role.CANDIDATE
STAFF = {A, S, T}
AUTHORS = {A, T}

ACCESS: dict[str, object] = {
    "training.static": "public",
    "training.courses": STAFF,
    "training.course_new": AUTHORS,
    "training.course_detail": STAFF,
    "training.course_draft": AUTHORS,
    "training.version_detail": STAFF,
    "training.version_edit": AUTHORS,
    "training.version_submit": AUTHORS,
    "training.version_review": {A},
    "training.lesson_new": AUTHORS,
    "training.lesson_edit": AUTHORS,
    "training.lesson_delete": AUTHORS,
    "training.lesson_video_upload": AUTHORS,
    "training.lesson_attachment_upload": AUTHORS,
    "training.lesson_video": {A, S, T, C},
    "training.lesson_attachment": {A, S, T, C},
    "training.classes": {A, S, T, EM},
    "training.class_new": {A, S},
    "training.class_detail": {A, S, T, EM},
    "training.class_state": {A, S},
    "training.meeting_new": {A, S},
    "training.meeting_cancel": {A, S},
    "training.class_enrol": {A, S, EM},
    "training.enrolment_withdraw": {A, S, EM},
    "training.meeting_detail": STAFF,
    "training.meeting_mark": STAFF,
    "training.class_test": STAFF,
    "training.class_roster_pdf": STAFF,
    "training.class_signin_pdf": STAFF,
    "training.hours_xlsx": {A, S, EM},
    "training.my_training": {C},
    "training.signin": {C},
    "training.lesson_watch": {C},
    "training.lesson_beat": {C},
    "training.practice_home": {C},
    "training.practice_item": {C},
    "training.practice_question": {C},
    "training.wrong_book": {C},
    "training.mock_start": {C},
    "training.mock_paper": {C},
}


def _class(world):
    """The fixture class (taught by the baseline trainer) with the baseline candidate's person enrolled."""
    tc = fixtures.running_class(fixtures.baseline_trainer(world))
    if class_svc.enrolment_for(tc, world.person_a) is None:
        db.session.add(Enrolment(class_id=tc.id, person_id=world.person_a, employer_id=world.employer_a))
    db.session.commit()
    return tc


def sample_class(world) -> int:
    return _class(world).id


def sample_course(world) -> int:
    return fixtures.published_course().course_id


def sample_version(world) -> int:
    return fixtures.published_course().id


def sample_lesson(world) -> int:
    """The fixture course's first lesson; the candidate is enrolled in a class using it."""
    version = _class(world).version
    return db.session.scalar(sa.select(Lesson.id).where(Lesson.version_id == version.id).order_by(Lesson.position))


def sample_meeting(world) -> int:
    return _class(world).meetings[0].id


def sample_enrolment(world) -> int:
    return class_svc.enrolment_for(_class(world), world.person_a).id


def sample_mock(world) -> int:
    mock = db.session.scalar(sa.select(MockExam).where(MockExam.person_id == world.person_a))
    if mock is None:
        from app.catalog.services import item_by_name
        now = utcnow()
        mock = MockExam(person_id=world.person_a, item_id=item_by_name("低压电工作业").id, questions=[], answers={},
                        started_at=now, deadline_at=now)
        db.session.add(mock)
        db.session.commit()
    return mock.id


def sample_signin_token(world) -> str:
    tc = _class(world)
    from flask import current_app
    with current_app.test_request_context():
        return class_svc.signin_token(tc.meetings[0])


SAMPLE_ARGS = {
    "class_id": sample_class,
    "course_id": sample_course,
    "version_id": sample_version,
    "lesson_id": sample_lesson,
    "meeting_id": sample_meeting,
    "enrolment_id": sample_enrolment,
    "mock_id": sample_mock,
    "signin_token": sample_signin_token,
    "filename": lambda world: "training.js",
}
