"""Access-matrix entries of the resource and session pages (merged into tests/test_access.py).

ACCESS: endpoint → set of roles, or "public". SAMPLE_ARGS: URL parameter → callable(world) → value; each
callable runs inside an app context, creates what it needs once (get-or-create, then commit inside the
test's rolled-back transaction) and returns the value. The two iCalendar routes take string tokens
(``room_token``, ``staff_token``), not ints."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app.accounts.models import Role
from app.catalog.services import item_by_name
from app.core.timeutil import local_today
from app.extensions import db
from app.scheduling import ical
from app.scheduling import sessions as svc
from app.scheduling.models import ExamSession, Room, RoomKind, Seat, Site, StaffUnavailability

A, S, P, E = Role.ADMIN, Role.SCHEDULER, Role.PROCTOR, Role.EXAMINER
OFFICE = {A, S}

ACCESS: dict[str, object] = {
    "scheduling.rooms": OFFICE,
    "scheduling.room_detail": OFFICE,
    "scheduling.room_edit": OFFICE,
    "scheduling.room_new": OFFICE,
    "scheduling.seat_toggle": OFFICE,
    "scheduling.staff": OFFICE,
    "scheduling.staff_detail": OFFICE,
    "scheduling.staff_qualifications": OFFICE,
    "scheduling.unavailability_add": OFFICE,
    "scheduling.unavailability_remove": OFFICE,
    "scheduling.calendar_days": OFFICE,
    "scheduling.calendar_day_remove": OFFICE,
    "scheduling.sessions": OFFICE,
    "scheduling.session_calendar": OFFICE,
    "scheduling.session_new": OFFICE,
    "scheduling.session_edit": OFFICE,
    "scheduling.session_detail": OFFICE,
    "scheduling.session_staff_add": OFFICE,
    "scheduling.session_staff_remove": OFFICE,
    "scheduling.session_state": OFFICE,
    "scheduling.capacity": OFFICE,
    "scheduling.my_sessions": {P, E},
    "scheduling.ical_room": "public",   # the signed token in the URL is the credential
    "scheduling.ical_staff": "public",
}

MATRIX_SITE, MATRIX_ROOM = "矩阵测试考点", "矩阵理论考场"


def sample_room(world) -> int:
    """A theory room with four seats (created once per test transaction)."""
    room = db.session.scalar(sa.select(Room).join(Site).where(Site.name == MATRIX_SITE, Room.name == MATRIX_ROOM))
    if room is None:
        site = Site(name=MATRIX_SITE)
        room = Room(site=site, name=MATRIX_ROOM, kind=RoomKind.THEORY, capacity=4,
                    seats=[Seat(number=n, terminal=f"M-{n:02d}") for n in range(1, 5)])
        db.session.add(room)
        db.session.commit()
    return room.id


def sample_session(world) -> int:
    """A planned theory session in the sample room, two weeks ahead (inserted directly: no day checks),
    with the baseline proctor on duty, so the check-in pages' object rule lets that proctor in."""
    from app.scheduling.models import SessionStaff

    room_id = sample_room(world)
    session = db.session.scalar(sa.select(ExamSession).where(ExamSession.room_id == room_id))
    if session is None:
        day = local_today() + dt.timedelta(days=14)
        starts, ends = svc.local_window(day, dt.time(9), dt.time(11))
        session = ExamSession(kind="theory", room_id=room_id, day=day, starts_at=starts, ends_at=ends, capacity=4)
        session.items = [item_by_name("低压电工作业")]
        session.staff = [SessionStaff(user_id=world.users[P], duty="proctor")]
        db.session.add(session)
        db.session.commit()
    return session.id


def sample_period(world) -> int:
    """An unavailability period of the baseline proctor (the matrix's user_id)."""
    user_id = world.users[P]
    row = db.session.scalar(sa.select(StaffUnavailability).where(StaffUnavailability.user_id == user_id))
    if row is None:
        day = local_today() + dt.timedelta(days=60)
        row = StaffUnavailability(user_id=user_id, start_date=day, end_date=day, reason="矩阵测试")
        db.session.add(row)
        db.session.commit()
    return row.id


SAMPLE_ARGS = {
    "room_id": sample_room,
    "session_id": sample_session,
    "period_id": sample_period,
    "room_token": lambda world: ical.ical_token("room", sample_room(world)),
    "staff_token": lambda world: ical.ical_token("staff", world.users[P]),
}
