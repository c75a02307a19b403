"""Demo data for the practical exam: the rubrics, and a 低压电工作业 practical session open today with
a few checked-in candidates, so examiner1 (chief examiner) and examiner2 can score right away."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app.accounts.models import User
from app.catalog.services import item_by_name
from app.core.errors import DomainError
from app.core.timeutil import local_today
from app.db import utcnow
from app.extensions import db
from app.people.models import Person
from app.practical import rubrics
from app.practical.rubric_store import load_rubrics
from app.scheduling import checkin, placement, registration
from app.scheduling.models import (
    ExaminerQualification,
    ExamSession,
    Registration,
    RegistrationState,
    Room,
    SessionKind,
    SessionStaff,
    SessionState,
    TrainingRecord,
)

DEMO_NOTE = "实操演示（demo）"
ITEM = "低压电工作业"
ROOM = "电工实操室"


def load_practical_demo(n_candidates: int = 4) -> dict:
    """Load the rubric files and create the demo practical session (once). Returns what was created;
    ``skipped`` says why nothing was (no rubric for the item, or the session exists already)."""
    out = {"rubrics": 0, "sessions": 0, "candidates": 0, "skipped": ""}
    if not (rubrics.RUBRIC_DIR / "diya-diangong.yaml").exists():
        out["skipped"] = "question_bank/rubrics/diya-diangong.yaml 不存在"
        return out
    try:
        out["rubrics"] = len(load_rubrics().created)
    except DomainError as exc:  # rubric content being edited must not stop the rest of the demo
        out["skipped"] = exc.message
        return out
    if db.session.scalar(sa.select(ExamSession.id).where(ExamSession.note == DEMO_NOTE)):
        out["skipped"] = "演示实操场次已存在"
        return out
    item, room = item_by_name(ITEM), db.session.scalar(sa.select(Room).where(Room.name == ROOM))
    users = {u.username: u for u in db.session.scalars(sa.select(User).where(User.username.in_(["examiner1", "examiner2"])))}
    if item is None or room is None or len(users) < 2:
        raise DomainError("演示实操场次需要目录、考场和演示考评员，请先加载演示数据")
    session = _session(item, room, users)
    out["sessions"] = 1
    for person in _people(item, n_candidates * 5):
        if out["candidates"] >= n_candidates:
            break
        try:
            with db.session.begin_nested():  # someone the rules refuse (e.g. holds a certificate) is skipped
                _check_in(person, item, session)
        except DomainError:
            continue
        out["candidates"] += 1
    return out


def _session(item, room, users) -> ExamSession:
    """Open now, examiner1 as chief examiner and examiner2 as examiner, both qualified for the item."""
    now = utcnow().replace(microsecond=0)
    for user in users.values():
        db.session.merge(ExaminerQualification(user_id=user.id, item_id=item.id))
    # A demo may run on any day, so the session is created directly, not through the working-day check.
    session = ExamSession(kind=SessionKind.PRACTICAL, room_id=room.id, day=local_today(),
                          starts_at=now - dt.timedelta(minutes=5), ends_at=now + dt.timedelta(hours=4),
                          capacity=room.capacity, state=SessionState.OPEN, note=DEMO_NOTE)
    session.items = [item]
    session.staff = [SessionStaff(user_id=users["examiner1"].id, duty="chief_examiner"),
                     SessionStaff(user_id=users["examiner2"].id, duty="examiner")]
    db.session.add(session)
    db.session.flush()
    return session


def _people(item, n: int) -> list[Person]:
    """People trained for the item without a practical registration yet (the demo's ready staff)."""
    registered = sa.select(Registration.person_id).where(Registration.item_id == item.id,
                                                         Registration.part == "practical")
    return db.session.scalars(sa.select(Person).join(TrainingRecord, TrainingRecord.person_id == Person.id)
                              .where(TrainingRecord.item_id == item.id, Person.id.not_in(registered))
                              .order_by(Person.id).limit(n)).all()


def _check_in(person: Person, item, session: ExamSession) -> None:
    """A theory pass on record, then a practical registration approved, placed and checked in."""
    today = local_today()
    db.session.add(Registration(person_id=person.id, item_id=item.id, part="theory", employer_id=person.employer_id,
                                requested_date=today - dt.timedelta(days=7), state=RegistrationState.COMPLETED,
                                passed=True))
    db.session.flush()
    reg = registration.register(person, item, "practical", today)
    registration.approve(reg)
    reg.move_to(RegistrationState.SCHEDULED)
    reg.session, reg.seat, reg.ticket_no = session, None, placement.new_ticket_no()
    db.session.flush()
    checkin.check_in(session, reg.ticket_no)
