"""The training part of ``flask demo load``: every shipped outline published once, one running class."""
from __future__ import annotations

import sqlalchemy as sa

from app.accounts import services as account_services
from app.accounts.models import Role
from app.extensions import db
from app.people.models import Employer
from app.scheduling.setup import load_site
from app.training import courses
from app.training.demo import DEMO_CLASS, load_training_demo
from app.training.models import Course, Enrolment, TrainingClass
from tests import factories


def test_training_demo_loads_outlines_and_one_class_idempotently(app, world):
    with app.test_request_context():
        load_site()
        account_services.create_user("trainer", "培训教师 陈思远", "Peixun-2026!", {Role.TRAINER})
        person = factories.person(employer=db.session.get(Employer, world.employer_a), name="赵演示")
        db.session.flush()
        account_services.create_user("candidate1", "赵演示", "Kaosheng-2026", {Role.CANDIDATE}, person_id=person.id)
        first = load_training_demo()
        n_files = len(list(courses.COURSE_DIR.glob("*.yaml")))
        assert first == {"courses": n_files, "classes": 1}
        assert load_training_demo() == {"courses": 0, "classes": 0}
        published = db.session.scalar(sa.select(sa.func.count()).select_from(Course)
                                      .where(Course.published_version_id.is_not(None)))
        assert published == n_files
        tc = db.session.scalar(sa.select(TrainingClass).where(TrainingClass.name == DEMO_CLASS))
        assert tc.state == "open" and tc.trainers[0].username == "trainer" and tc.room.name == "培训教室一"
        people = db.session.scalars(sa.select(Enrolment.person_id).where(Enrolment.class_id == tc.id)).all()
        assert person.id in people and world.person_a in people  # the candidate and colleagues
