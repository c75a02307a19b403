"""Building a practical station for the tests: the fixture rubric, an open practical session with a
chief examiner and two examiners (qualified), and checked-in candidates."""
from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from app.accounts import services as account_services
from app.accounts.models import Role, User
from app.catalog.services import item_by_name
from app.core.timeutil import local_today
from app.db import utcnow
from app.extensions import db
from app.practical.rubric_store import load_rubrics
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
from tests import factories

FIXTURES = Path(__file__).parent / "rubrics"
PASSWORD = "Examiner-pass-2026"
_n = itertools.count(1)


@dataclass
class Station:
    session: ExamSession
    chief: User
    first: User
    second: User
    regs: list[Registration] = field(default_factory=list)


def examiner(name: str, item, *, qualified: bool = True) -> User:
    user = account_services.create_user(f"ex{next(_n)}_{abs(hash(name)) % 10000}", name, PASSWORD, {Role.EXAMINER})
    if qualified:
        db.session.add(ExaminerQualification(user_id=user.id, item_id=item.id))
    db.session.flush()
    return user


def checked_in(session: ExamSession, item, name: str, *, employer=None, makeup: bool = False) -> Registration:
    person = factories.person(name=name, employer=employer)
    db.session.flush()
    reg = Registration(person_id=person.id, item_id=item.id, part="practical", employer_id=person.employer_id,
                       requested_date=session.day, state=RegistrationState.CHECKED_IN, session_id=session.id,
                       ticket_no=f"9{next(_n):011d}", checked_in_at=utcnow(), is_makeup=makeup)
    db.session.add(reg)
    db.session.flush()
    return reg


def build_station(n_candidates: int = 2, *, day: dt.date | None = None, names=("周明", "吴刚", "郑华")) -> Station:
    """Everything a practical exam needs, flushed (the caller commits when requests must see it)."""
    load_rubrics(FIXTURES)
    item = item_by_name("低压电工作业")
    site = Site(name=f"实操测试考点{next(_n)}")
    room = Room(site=site, name="电工实操室", kind=RoomKind.PRACTICAL, capacity=8)
    room.items = [item]
    now = utcnow().replace(microsecond=0)
    session = ExamSession(kind="practical", room=room, day=day or local_today(), starts_at=now - dt.timedelta(minutes=5),
                          ends_at=now + dt.timedelta(hours=3), capacity=8, state=SessionState.OPEN)
    session.items = [item]
    db.session.add(session)
    chief, first, second = examiner("主考 钱坤", item), examiner("考评 孙丽", item), examiner("考评 李强", item)
    session.staff = [SessionStaff(user_id=chief.id, duty="chief_examiner"),
                     SessionStaff(user_id=first.id, duty="examiner"), SessionStaff(user_id=second.id, duty="examiner")]
    db.session.flush()
    station = Station(session, chief, first, second)
    for i in range(n_candidates):
        station.regs.append(checked_in(session, item, names[i % len(names)]))
    return station


def draw_fixed(sheet, actor, tasks=("K11", "K21", "K31", "K41")):
    """Draw each subject with a seed that gives the wanted task (the draw itself stays the real one)."""
    from app.practical import scoring, services
    from app.practical.models import DrawMode
    from app.practical.rubric_store import parsed
    rubric = parsed(sheet.rubric)
    for code in tasks:
        pool = [t.code for t in rubric.subject(code[:2]).tasks]
        seed = next(s for s in range(1000) if scoring.draw_task(pool, s) == code)
        services.draw(sheet, DrawMode.SYSTEM, actor=actor, subject=code[:2], seed=seed)
    return sheet


def user_by_id(user_id: int) -> User:
    return db.session.scalar(sa.select(User).where(User.id == user_id))
