"""Rooms, seats and staff: capacity and items of rooms, seats out of use, examiners' qualifications and
unavailability. Each change is checked against the sessions that use it and audited."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app.accounts.models import Role, User
from app.catalog.models import CatalogItem
from app.core import audit
from app.core.errors import DomainError
from app.core.timeutil import local_today
from app.extensions import db
from app.scheduling.models import (
    ExaminerQualification,
    ExamSession,
    Registration,
    RegistrationState,
    Room,
    RoomKind,
    Seat,
    SessionStaff,
    SessionState,
    Site,
    StaffUnavailability,
)
from app.scheduling.sessions import _describe


def _open_sessions(*conditions) -> list[ExamSession]:
    """Sessions from today on that are not closed, matching ``conditions``, by start."""
    return db.session.scalars(sa.select(ExamSession).where(
        ExamSession.day >= local_today(), ExamSession.state != SessionState.CLOSED, *conditions)
        .order_by(ExamSession.starts_at)).all()


def _resize_seats(room: Room, capacity: int) -> None:
    """Numbered seats 1…capacity (new ones usable, with a terminal label); seats above are removed."""
    have = {s.number for s in room.seats}
    room.seats = [s for s in room.seats if s.number <= capacity]
    room.seats.extend(Seat(number=n, terminal=f"{room.name}-{n:02d}") for n in range(1, capacity + 1) if n not in have)


def update_room(room: Room, capacity: int, items: list[CatalogItem], is_active: bool, *, actor=None) -> None:
    """Change a room's capacity (a theory room's seats follow it), its items (practical) and whether it
    is in use. Refuses what would break a session still to come, naming it."""
    if not 1 <= capacity <= 500:
        raise DomainError("容量应在 1–500 之间", field="capacity")
    ahead = _open_sessions(ExamSession.room_id == room.id)
    if not is_active and ahead:
        raise DomainError(f"{room.name} 还有 {len(ahead)} 个未结束的场次（如 {_describe(ahead[0])}），不能停用",
                          field="is_active")
    too_big = [s for s in ahead if s.capacity > capacity]
    if too_big:
        raise DomainError(f"容量不能小于已有场次的容量：{_describe(too_big[0])} 容量 {too_big[0].capacity}",
                          field="capacity")
    before = {"capacity": room.capacity, "active": room.is_active, "items": [i.name for i in room.items]}
    if room.kind == RoomKind.PRACTICAL:
        keep = {i.id for i in items}
        if not keep:
            raise DomainError("请选择本实操考位可以考核的项目", field="items")
        used = [(s, i.name) for s in ahead for i in s.items if i.id not in keep]
        if used:
            raise DomainError(f"{_describe(used[0][0])} 考核 {used[0][1]}，不能移除该项目", field="items")
        room.items = list(items)
    elif room.kind == RoomKind.THEORY:
        _resize_seats(room, capacity)
    room.capacity, room.is_active = capacity, is_active
    db.session.flush()
    audit.record("room.update", "room", room.id, actor=actor, before=before,
                 after={"capacity": capacity, "active": is_active, "items": [i.name for i in room.items]})


def create_room(site: Site, name: str, kind: str, capacity: int, items: list[CatalogItem], *, actor=None) -> Room:
    """A new room (theory rooms get numbered seats 1…capacity). Refuses a duplicate name on the site
    and a practical room without items."""
    name = (name or "").strip()
    if not name:
        raise DomainError("请填写名称", field="name")
    if db.session.scalar(sa.select(Room.id).where(Room.site_id == site.id, Room.name == name)):
        raise DomainError(f"{site.name} 已有名为“{name}”的考场", field="name")
    if not 1 <= capacity <= 500:
        raise DomainError("容量应在 1–500 之间", field="capacity")
    if kind == RoomKind.PRACTICAL and not items:
        raise DomainError("请选择本实操考位可以考核的项目", field="items")
    room = Room(site_id=site.id, name=name, kind=RoomKind(kind), capacity=capacity)
    room.items = list(items) if kind == RoomKind.PRACTICAL else []
    if kind == RoomKind.THEORY:
        _resize_seats(room, capacity)
    db.session.add(room)
    db.session.flush()
    audit.record("room.create", "room", room.id, actor=actor, after={"name": name, "kind": kind, "capacity": capacity})
    return room


def set_seat_usable(room: Room, number: int, usable: bool, *, actor=None) -> list[Registration]:
    """Take a seat (its terminal) out of use or back into use. Returns the candidates already seated
    there in sessions still to come, whom the scheduler must move. Raises DomainError for no such seat."""
    seat = next((s for s in room.seats if s.number == number), None)
    if seat is None:
        raise DomainError(f"{room.name} 没有 {number} 号座位")
    seat.is_usable = usable
    db.session.flush()
    audit.record("room.seat", "room", room.id, actor=actor, before={"seat": number, "usable": not usable},
                 after={"seat": number, "usable": usable})
    if usable:
        return []
    return db.session.scalars(sa.select(Registration).join(
        ExamSession, ExamSession.id == Registration.session_id).where(
        ExamSession.room_id == room.id, ExamSession.day >= local_today(), Registration.seat == number,
        Registration.state.in_([RegistrationState.SCHEDULED, RegistrationState.CHECKED_IN]))).all()


def set_qualifications(user: User, items: list[CatalogItem], *, actor=None) -> None:
    """The items an examiner may examine. Refuses a non-examiner, and removing an item the examiner
    is assigned to examine in a session still to come (naming it)."""
    if not user.has_role(Role.EXAMINER):
        raise DomainError(f"{user.display_name} 不是考评员")
    keep = {i.id for i in items}
    ahead = _open_sessions(ExamSession.staff.any(SessionStaff.user_id == user.id))
    used = [(s, i.name) for s in ahead for i in s.items if i.id not in keep]
    if used:
        raise DomainError(f"{user.display_name} 已安排在 {_describe(used[0][0])} 考核 {used[0][1]}，"
                          "不能取消该项目的考评资格", field="items")
    rows = db.session.scalars(sa.select(ExaminerQualification).where(ExaminerQualification.user_id == user.id)).all()
    before = sorted(r.item_id for r in rows)
    for r in rows:
        if r.item_id not in keep:
            db.session.delete(r)
    db.session.add_all(ExaminerQualification(user_id=user.id, item_id=i) for i in keep - set(before))
    db.session.flush()
    audit.record("staff.qualifications", "user", user.id, actor=actor, before={"items": before},
                 after={"items": sorted(keep)})


def qualifications(user_ids) -> dict[int, list[CatalogItem]]:
    """Each examiner's qualified items, by user id."""
    out: dict[int, list[CatalogItem]] = {}
    rows = db.session.execute(sa.select(ExaminerQualification.user_id, CatalogItem)
                              .join(CatalogItem, CatalogItem.id == ExaminerQualification.item_id)
                              .where(ExaminerQualification.user_id.in_(list(user_ids)))
                              .order_by(CatalogItem.sort_order, CatalogItem.id))
    for uid, item in rows:
        out.setdefault(uid, []).append(item)
    return out


def add_unavailability(user: User, start: dt.date, end: dt.date, reason: str, *, actor=None) -> StaffUnavailability:
    """A period a proctor or examiner cannot work. Refuses a reversed period and one that covers a
    session they are already assigned to (naming it)."""
    if end < start:
        raise DomainError("结束日期不能早于开始日期", field="end_date")
    busy = _open_sessions(ExamSession.staff.any(SessionStaff.user_id == user.id),
                          ExamSession.day.between(start, end))
    if busy:
        raise DomainError(f"{user.display_name} 在此期间已安排在 {_describe(busy[0])}，请先从该场次移除")
    row = StaffUnavailability(user_id=user.id, start_date=start, end_date=end, reason=(reason or "").strip())
    db.session.add(row)
    db.session.flush()
    audit.record("staff.unavailable_add", "user", user.id, actor=actor,
                 after={"start": start.isoformat(), "end": end.isoformat(), "reason": row.reason})
    return row


def remove_unavailability(row: StaffUnavailability, *, actor=None) -> None:
    """Delete an unavailability period (the person is available again)."""
    before = {"start": row.start_date.isoformat(), "end": row.end_date.isoformat(), "reason": row.reason}
    db.session.delete(row)
    db.session.flush()
    audit.record("staff.unavailable_remove", "user", row.user_id, actor=actor, before=before)
