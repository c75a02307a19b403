"""Demo data of the training domain: the shipped course outlines and one running class with people."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app.accounts.models import User
from app.catalog.services import item_by_name
from app.core.errors import DomainError
from app.core.timeutil import local_today
from app.extensions import db
from app.people.models import Person
from app.scheduling.models import Room
from app.training import classes, courses
from app.training.models import Course, TrainingClass

DEMO_CLASS = "低压电工作业初训班（演示）"


def load_training_demo() -> dict:
    """Load the course outlines (files with problems are left out) and, once, a class of the published
    低压电工作业 initial course taught by the demo trainer, running from three weeks ago, with a meeting each
    working morning this week and today, and the demo candidate and ten colleagues enrolled."""
    lines = courses.load_course_files(strict=False)
    created = {"courses": sum(1 for line in lines if "已发布" in line), "classes": 0}
    if db.session.scalar(sa.select(TrainingClass.id).where(TrainingClass.name == DEMO_CLASS)):
        return created
    item = item_by_name("低压电工作业")
    course = db.session.scalar(sa.select(Course).where(Course.item_id == item.id, Course.kind == "初训",
                                                       Course.published_version_id.is_not(None)).order_by(Course.id))
    trainer = db.session.scalar(sa.select(User).where(User.username == "trainer"))
    if course is None or trainer is None:
        return created
    today = local_today()
    room = db.session.scalar(sa.select(Room).where(Room.name == "培训教室一"))
    tc = classes.create_class(course.published, DEMO_CLASS, today - dt.timedelta(days=21), today + dt.timedelta(days=24),
                              40, room, [trainer], has_test=False, actor=None)
    classes.set_class_state(tc, classes.ClassState.OPEN, actor=None)
    for offset in range(0, 5):
        day = today + dt.timedelta(days=offset)
        try:
            with db.session.begin_nested():
                classes.add_meeting(tc, day, dt.time(8, 30), dt.time(11, 30), 4, "理论授课", actor=None)
        except DomainError:
            continue
    candidate = db.session.scalar(sa.select(User).where(User.username == "candidate1"))
    people = []
    if candidate is not None and candidate.person_id:
        people.append(db.session.get(Person, candidate.person_id))
    employer_id = people[0].employer_id if people else None
    people += db.session.scalars(sa.select(Person).where(Person.employer_id == employer_id,
                                                         Person.id.notin_([p.id for p in people]))
                                 .order_by(Person.id.desc()).limit(10)).all()
    classes.enrol(tc, people, actor=None)
    created["classes"] = 1
    return created
