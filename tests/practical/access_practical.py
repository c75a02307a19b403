"""Access-matrix entries of the practical pages (merged into tests/test_access.py).

The samples build one practical session (the "station") with the baseline examiner as its chief
examiner, qualified for the item, two checked-in candidates, and a score sheet for the second."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app.accounts.models import Role
from app.catalog.services import item_by_name
from app.core.timeutil import local_today
from app.db import utcnow
from app.extensions import db
from app.scheduling.models import (
    ExaminerQualification,
    ExamSession,
    Registration,
    RegistrationState,
    Room,
    RoomKind,
    SessionStaff,
    SessionState,
    Site,
)

A, S, E, EM, C = Role.ADMIN, Role.SCHEDULER, Role.EXAMINER, Role.EMPLOYER, Role.CANDIDATE
STAFF = {A, S, E}

ACCESS: dict[str, object] = {
    "practical.stations": STAFF,
    "practical.station": STAFF,
    "practical.open_sheet": {E},
    "practical.sheet": STAFF,
    "practical.draw": {E},
    "practical.entry": {E},
    "practical.sign": {E},
    "practical.confirm": {E},
    "practical.resolve": {A, E},
    "practical.amend": {A, E},
    "practical.publish": STAFF,
    "practical.sheets_pdf": STAFF,
    "practical.sheets_xlsx": STAFF,
    "practical.my_results": {EM, C},
}

NOTE = "访问矩阵实操场次"


def sample_station(world) -> int:
    """A practical session open today, the baseline examiner its chief examiner, two candidates checked in."""
    from app.practical.rubric_store import load_rubrics
    from tests import factories
    from tests.practical.helpers import FIXTURES

    session = db.session.scalar(sa.select(ExamSession).where(ExamSession.note == NOTE))
    if session is not None:
        return session.id
    load_rubrics(FIXTURES)
    item = item_by_name("低压电工作业")
    room = Room(site=Site(name="访问矩阵实操考点"), name="矩阵实操考位", kind=RoomKind.PRACTICAL, capacity=4)
    now = utcnow().replace(microsecond=0)
    session = ExamSession(kind="practical", room=room, day=local_today(), starts_at=now - dt.timedelta(minutes=5),
                          ends_at=now + dt.timedelta(hours=2), capacity=4, state=SessionState.OPEN, note=NOTE)
    session.items = [item]
    session.staff = [SessionStaff(user_id=world.users[E], duty="chief_examiner")]
    db.session.add(session)
    db.session.merge(ExaminerQualification(user_id=world.users[E], item_id=item.id))
    for i in range(2):
        person = factories.person(name=f"矩阵考生{i + 1}")
        db.session.flush()
        db.session.add(Registration(person_id=person.id, item_id=item.id, part="practical", requested_date=session.day,
                                    state=RegistrationState.CHECKED_IN, session=session, ticket_no=f"88{i:010d}",
                                    checked_in_at=now))
    db.session.commit()
    return session.id


def _regs(world) -> list[Registration]:
    station_id = sample_station(world)
    return db.session.scalars(sa.select(Registration).where(Registration.session_id == station_id)
                              .order_by(Registration.ticket_no)).all()


def sample_registration(world) -> int:
    """The first candidate: no sheet yet."""
    return _regs(world)[0].id


def sample_sheet(world) -> int:
    """The second candidate's score sheet (opened by the baseline examiner)."""
    from app.accounts.models import User
    from app.practical.models import ScoreSheet
    from app.practical.services import open_sheet

    reg = _regs(world)[1]
    sheet = db.session.scalar(sa.select(ScoreSheet).where(ScoreSheet.registration_id == reg.id))
    if sheet is None:
        sheet = open_sheet(reg, actor=db.session.get(User, world.users[E]))
        db.session.commit()
    return sheet.id


SAMPLE_ARGS = {
    "station_id": sample_station,
    "registration_id": sample_registration,
    "sheet_id": sample_sheet,
}
