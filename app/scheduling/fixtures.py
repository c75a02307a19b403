"""The exam-day fixture: a theory session open now, with checked-in candidates (demo and load tests)."""
from __future__ import annotations

import csv
import datetime as dt
import math
import random

import sqlalchemy as sa

from app.accounts.models import Role, User
from app.catalog.services import item_by_name
from app.core.ids import id_check_char, parse_id_number
from app.core.timeutil import local_today
from app.db import utcnow
from app.extensions import db
from app.people.models import Employer, Person
from app.scheduling import checkin, placement, registration
from app.scheduling.models import ExamSession, Room, RoomKind, Seat, SessionKind, SessionStaff, SessionState, Site

ROOM_SEATS = 40


def _rooms(n_rooms: int, site: Site) -> list[Room]:
    rooms = []
    for k in range(1, n_rooms + 1):
        name = f"考务演练考场{k:02d}"
        room = db.session.scalar(sa.select(Room).where(Room.site_id == site.id, Room.name == name))
        if room is None:
            room = Room(site_id=site.id, name=name, kind=RoomKind.THEORY, capacity=ROOM_SEATS)
            room.seats = [Seat(number=n, terminal=f"YL{k:02d}-{n:02d}") for n in range(1, ROOM_SEATS + 1)]
            db.session.add(room)
        rooms.append(room)
    db.session.flush()
    return rooms


def _people(n: int, employer: Employer | None, rng: random.Random) -> list[Person]:
    out, today = [], local_today()
    while len(out) < n:
        birth = today - dt.timedelta(days=rng.randint(22 * 365, 50 * 365))
        first17 = f"210902{birth:%Y%m%d}{rng.randint(0, 999):03d}"
        number = first17 + id_check_char(first17)
        if db.session.scalar(sa.select(Person.id).where(Person.id_number == number)):
            continue
        info = parse_id_number(number)
        from app.demo import GIVEN, SURNAMES
        name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice([1, 2, 2])))
        person = Person(id_number=number, name=name,
                        sex=info.sex, birth_date=info.birth_date, education="高中",
                        employer_id=employer.id if employer else None)
        db.session.add(person)
        out.append(person)
    db.session.flush()
    return out


def exam_day(n_candidates: int, item_name: str = "低压电工作业", *, seed: int = 7) -> tuple[list[ExamSession], list]:
    """Sessions open now (one per 40 candidates, in rehearsal rooms) with ``n_candidates`` registered,
    approved, seated and checked-in. Returns (sessions, [(ticket_no, id_number)])."""
    rng = random.Random(seed)
    item = item_by_name(item_name)
    site = db.session.scalar(sa.select(Site).order_by(Site.id).limit(1)) or Site(name="安全教育考核培训基地")
    db.session.add(site)
    employer = db.session.scalar(sa.select(Employer).order_by(Employer.id).limit(1))
    rooms = _rooms(math.ceil(n_candidates / ROOM_SEATS), site)
    now = utcnow().replace(microsecond=0)
    proctors = db.session.scalars(sa.select(User).where(User.role_rows.any(role=str(Role.PROCTOR)))).all()
    sessions = []
    for room in rooms:
        # A rehearsal is allowed on any day, so it is created directly rather than through the
        # working-day check that real sessions pass.
        s = ExamSession(kind=SessionKind.THEORY, room_id=room.id, day=local_today(), starts_at=now - dt.timedelta(minutes=5),
                        ends_at=now + dt.timedelta(hours=3), capacity=ROOM_SEATS, state=SessionState.OPEN,
                        note="考务演练（exam-day）")
        s.items = [item]
        s.staff = [SessionStaff(user_id=p.id, duty="proctor") for p in proctors[:2]]
        db.session.add(s)
        sessions.append(s)
    db.session.flush()
    people = _people(n_candidates, employer, rng)
    rows = []
    for i, person in enumerate(people):
        registration.record_health_commitment(person, local_today() - dt.timedelta(days=30))
        end = local_today() - dt.timedelta(days=7)
        registration.record_training(person, item, end - dt.timedelta(days=40), end, float(item.training_hours_initial or 8),
                                     provider="演练")
        reg = registration.register(person, item, "theory", local_today())
        registration.approve(reg)
        session = sessions[i // ROOM_SEATS]
        reg.move_to(reg.state.__class__("scheduled"))
        reg.session, reg.seat, reg.ticket_no = session, i % ROOM_SEATS + 1, placement.new_ticket_no()
        db.session.flush()
        checkin.check_in(session, reg.ticket_no)
        rows.append((reg.ticket_no, person.id_number))
    return sessions, rows


def write_csv(path: str, rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["admission_no", "id_number"])
        writer.writerows(rows)
