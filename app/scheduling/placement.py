"""Placing approved registrations in sessions: preview, apply, manual moves; tickets numbers."""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from app.catalog.services import rule_value
from app.core import audit
from app.core.errors import DomainError
from app.core.timeutil import format_datetime, local_today
from app.db import utcnow
from app.extensions import db
from app.scheduling import allocation as alloc
from app.scheduling.models import (
    ExamSession,
    Notice,
    Registration,
    RegistrationState,
    RoomKind,
    SessionState,
    TrainingRecord,
)
from app.scheduling.registration import PART_LABELS, decide, notify
from app.scheduling.sessions import DUTY_PROCTOR

BOOKABLE = (SessionState.PLANNED, SessionState.PUBLISHED)
TAKEN = (RegistrationState.SCHEDULED, RegistrationState.CHECKED_IN, RegistrationState.COMPLETED, RegistrationState.ABSENT)


def _taken_seats(session_ids) -> dict[int, set[int]]:
    taken: dict[int, set[int]] = {}
    for sid, seat in db.session.execute(sa.select(Registration.session_id, Registration.seat).where(
            Registration.session_id.in_(session_ids), Registration.state.in_(TAKEN))):
        taken.setdefault(sid, set()).add(seat)
    return taken


def _slot(session: ExamSession, taken: set[int]) -> alloc.Slot:
    if session.room.kind == RoomKind.THEORY:
        seats = [n for n in session.room.usable_seats() if n not in taken][: max(0, session.capacity - len(taken))]
    else:
        seats = [n for n in range(1, session.capacity + 1) if n not in taken]
    return alloc.Slot(session_id=session.id, day=session.day, starts_at=session.starts_at, kind=session.kind,
                      items=frozenset(i.id for i in session.items), free_seats=tuple(seats))


def open_slots(from_day: dt.date) -> dict[int, alloc.Slot]:
    sessions = db.session.scalars(sa.select(ExamSession).where(
        ExamSession.day >= from_day, ExamSession.state.in_(BOOKABLE)).order_by(ExamSession.starts_at)).all()
    taken = _taken_seats([s.id for s in sessions])
    return {s.id: _slot(s, taken.get(s.id, set())) for s in sessions}


def _theory_days(person_ids) -> dict[int, dt.date]:
    """The day of each person's scheduled theory sitting (practical comes after it)."""
    rows = db.session.execute(sa.select(Registration.person_id, ExamSession.day)
                              .join(ExamSession, ExamSession.id == Registration.session_id)
                              .where(Registration.person_id.in_(person_ids), Registration.part == "theory",
                                     Registration.state.in_(TAKEN)))
    return {pid: day for pid, day in rows}


def _request(reg, gap: int, theory_days: dict[int, dt.date]) -> alloc.Request:
    theory_day = theory_days.get(reg.person_id) if reg.part == "practical" else None
    return alloc.Request(registration_id=reg.id, person_id=reg.person_id, item_id=reg.item_id, part=reg.part,
                         employer_id=reg.employer_id, earliest=max(reg.requested_date, local_today()),
                         not_before=theory_day + dt.timedelta(days=gap) if theory_day else None)


@dataclass(frozen=True)
class Named:
    id: int
    name: str


@dataclass(frozen=True)
class RegRow:
    """An approved registration as the batch allocation reads it (plain values, no ORM object)."""
    id: int
    person_id: int
    item_id: int
    part: str
    employer_id: int | None
    requested_date: dt.date
    person: Named
    item: Named


@dataclass
class Preview:
    allocation: alloc.Allocation
    slots: dict[int, alloc.Slot]
    registrations: dict[int, RegRow]


def _approved_rows() -> list[RegRow]:
    from app.catalog.models import CatalogItem
    from app.people.models import Person
    rows = db.session.execute(
        sa.select(Registration.id, Registration.person_id, Registration.item_id, Registration.part,
                  Registration.employer_id, Registration.requested_date, Person.name, CatalogItem.name)
        .join(Person, Person.id == Registration.person_id).join(CatalogItem, CatalogItem.id == Registration.item_id)
        .where(Registration.state == RegistrationState.APPROVED).order_by(Registration.id)).all()
    return [RegRow(i, pid, iid, part, emp, req, Named(pid, pname), Named(iid, iname))
            for i, pid, iid, part, emp, req, pname, iname in rows]


def preview_allocation() -> Preview:
    """What `apply_allocation` would do now. Deterministic for the same database state."""
    regs = _approved_rows()
    slots = open_slots(local_today())
    gap = rule_value("practical_gap_days", 1)
    theory_days = _theory_days({r.person_id for r in regs})
    requests = [_request(r, gap, theory_days) for r in regs]
    return Preview(alloc.allocate(requests, list(slots.values()), practical_gap_days=gap), slots,
                   {r.id: r for r in regs})


def apply_allocation(preview: Preview, *, actor=None) -> int:
    """Write the previewed placements in bulk: seats, ticket numbers and notices, one statement each.
    Only registrations still approved are placed (another scheduler may have acted meanwhile)."""
    placements = preview.allocation.placements
    still = set(db.session.scalars(sa.select(Registration.id).where(
        Registration.id.in_([p.registration_id for p in placements]) if len(placements) < 30000 else sa.true(),
        Registration.state == RegistrationState.APPROVED)))
    placements = [p for p in placements if p.registration_id in still]
    where = _session_labels({p.session_id for p in placements})
    tickets = new_ticket_numbers(len(placements))
    updates, notices = [], []
    for p, ticket in zip(placements, tickets):
        reg = preview.registrations[p.registration_id]
        updates.append({"id": reg.id, "state": RegistrationState.SCHEDULED, "session_id": p.session_id,
                        "seat": p.seat, "ticket_no": ticket})
        body = (f"{reg.person.name} 的{reg.item.name}{PART_LABELS[reg.part]}：{where[p.session_id]}，座位 {p.seat}。"
                f"准考证号 {ticket}。")
        notices.append({"person_id": reg.person_id, "employer_id": None, "kind": "registration.scheduled",
                        "title": "考试已安排", "body": body, "created_at": utcnow()})
        if reg.employer_id:
            notices.append({**notices[-1], "employer_id": reg.employer_id})
    if updates:
        db.session.execute(sa.update(Registration), updates)
        db.session.execute(sa.insert(Notice), notices)
    db.session.flush()
    db.session.expire_all()  # bulk statements bypass loaded objects: reload them on next access
    audit.record("registration.allocate", "registration", "batch", actor=actor,
                 after={"placed": len(updates), "unplaced": len(preview.allocation.unplaced)})
    return len(updates)


def _session_labels(session_ids) -> dict[int, str]:
    from app.scheduling.models import Room, Site
    rows = db.session.execute(sa.select(ExamSession.id, ExamSession.starts_at, Site.name, Room.name)
                              .join(Room, Room.id == ExamSession.room_id).join(Site, Site.id == Room.site_id)
                              .where(ExamSession.id.in_(session_ids)))
    return {sid: f"{format_datetime(starts)}，{site}{room}" for sid, starts, site, room in rows}


def new_ticket_numbers(n: int) -> list[str]:
    """``n`` unused ticket numbers: 12 digits, the year's last two then 10 random digits — printed,
    never derivable from another (checked against the database in chunks)."""
    out: set[str] = set()
    while len(out) < n:
        batch = {f"{local_today():%y}{secrets.randbelow(10**10):010d}" for _ in range(n - len(out))} - out
        chunk = list(batch)
        for start in range(0, len(chunk), 900):
            used = set(db.session.scalars(sa.select(Registration.ticket_no).where(
                Registration.ticket_no.in_(chunk[start:start + 900]))))
            out.update(t for t in chunk[start:start + 900] if t not in used)
    return sorted(out, key=lambda _t: secrets.randbits(32))


def new_ticket_no() -> str:
    return new_ticket_numbers(1)[0]


def _place(reg: Registration, session: ExamSession, seat: int, *, tickets=None, flush: bool = True) -> None:
    was_scheduled = reg.state == RegistrationState.SCHEDULED
    reg.move_to(RegistrationState.SCHEDULED)
    reg.session, reg.seat = session, seat
    if not reg.ticket_no:
        reg.ticket_no = next(tickets) if tickets is not None else new_ticket_no()
    when = f"{format_datetime(session.starts_at)}，{session.room.site.name}{session.room.name}，座位 {seat}"
    notify(reg, "registration.changed" if was_scheduled else "registration.scheduled",
           "考试安排已变更" if was_scheduled else "考试已安排",
           f"{reg.person.name} 的{reg.item.name}{PART_LABELS[reg.part]}：{when}。准考证号 {reg.ticket_no}。",
           flush=flush)


def move_registration(reg: Registration, session: ExamSession, *, actor=None, reason: str = "") -> None:
    """A scheduler's manual placement, checked like the automatic one, plus double booking,
    eligibility on the session's day and 考教分离."""
    if reg.state not in (RegistrationState.APPROVED, RegistrationState.SCHEDULED):
        raise DomainError(f"只有已审核或已排考的报名可以安排场次（当前：{RegistrationState(reg.state).label}）")
    if session.state not in BOOKABLE:
        raise DomainError("该场次已开考或已结束，不能再安排考生")
    if session.day < local_today():
        raise DomainError("不能安排到已经过去的场次")
    taken = _taken_seats([session.id]).get(session.id, set()) - ({reg.seat} if reg.session_id == session.id else set())
    slot = _slot(session, taken)
    gap = rule_value("practical_gap_days", 1)
    theory_day = _theory_days([reg.person_id]).get(reg.person_id) if reg.part == "practical" else None
    problem = alloc.check_move(_request(reg, gap, {}), slot, practical_gap_days=gap, theory_day=theory_day)
    if problem:
        raise DomainError(problem)
    _check_person_free(reg, session)
    _check_trainers(reg, session)
    decision = decide(reg.person, reg.item, reg.part, session.day, is_review=reg.is_review)
    if not decision.ok:
        raise DomainError("".join(r.message for r in decision.refusals))
    before = {"session_id": reg.session_id, "seat": reg.seat}
    _place(reg, session, slot.free_seats[0])
    db.session.flush()
    audit.record("registration.move", "registration", reg.id, actor=actor, reason=reason, before=before,
                 after={"session_id": session.id, "seat": reg.seat})


def _check_person_free(reg: Registration, session: ExamSession) -> None:
    clash = db.session.scalar(sa.select(ExamSession).join(Registration, Registration.session_id == ExamSession.id).where(
        Registration.person_id == reg.person_id, Registration.id != reg.id, Registration.state.in_(TAKEN),
        ExamSession.starts_at < session.ends_at, ExamSession.ends_at > session.starts_at))
    if clash is not None:
        raise DomainError(f"{reg.person.name} 在同一时间已有考试：{format_datetime(clash.starts_at)} {clash.room.name}")


def _check_trainers(reg: Registration, session: ExamSession) -> None:
    examiners = [s.user_id for s in session.staff if s.duty != DUTY_PROCTOR]
    if not examiners:
        return
    trainer = db.session.scalar(sa.select(TrainingRecord.trainer_id).where(
        TrainingRecord.person_id == reg.person_id, TrainingRecord.trainer_id.in_(examiners)))
    if trainer is not None:
        raise DomainError(f"考教分离：本场次的考评员培训过 {reg.person.name}，请安排到其他场次")


# ---- added for the pages

def preview_digest(preview: Preview) -> str:
    """A short fingerprint of what a preview would write (placements and the unplaced)."""
    import hashlib
    result = preview.allocation
    text = repr(([(p.registration_id, p.session_id, p.seat) for p in result.placements],
                 [(u.registration_id, u.reason) for u in result.unplaced]))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def apply_previewed(digest: str, *, actor=None) -> int:
    """Recompute the preview and apply it, but only if it is still the one the scheduler saw
    (same input, same result). Raises DomainError when the data changed in between or nothing
    can be placed; returns how many were placed."""
    preview = preview_allocation()
    if preview_digest(preview) != digest:
        raise DomainError("预览之后报名或场次发生了变化，排考结果已不同。请核对下面的新预览后再确认。")
    if not preview.allocation.placements:
        raise DomainError("没有可以安排的报名。")
    return apply_allocation(preview, actor=actor)


@dataclass
class SessionGroup:
    """One session of a preview with the registrations it would receive, by seat."""

    session: ExamSession
    rows: list[tuple[Registration, int]]


def preview_groups(preview: Preview) -> tuple[list[SessionGroup], list[tuple[Registration, str]]]:
    """The preview for a page: placements grouped by session (in time order) and the unplaced with reasons."""
    by_session: dict[int, list[tuple[Registration, int]]] = {}
    for p in preview.allocation.placements:
        by_session.setdefault(p.session_id, []).append((preview.registrations[p.registration_id], p.seat))
    sessions = db.session.scalars(sa.select(ExamSession).where(ExamSession.id.in_(by_session))
                                  .order_by(ExamSession.starts_at, ExamSession.id)).all()
    groups = [SessionGroup(s, sorted(by_session[s.id], key=lambda row: row[1])) for s in sessions]
    unplaced = [(preview.registrations[u.registration_id], u.reason) for u in preview.allocation.unplaced]
    return groups, unplaced


def movable_sessions(reg: Registration) -> list[ExamSession]:
    """Sessions a manual move may offer: bookable, from today, of the registration's part and item.
    move_registration still checks seats, dates, clashes and eligibility."""
    from app.scheduling.models import session_items
    return db.session.scalars(sa.select(ExamSession).join(session_items, session_items.c.session_id == ExamSession.id)
                              .where(session_items.c.item_id == reg.item_id, ExamSession.kind == reg.part,
                                     ExamSession.state.in_(BOOKABLE), ExamSession.day >= local_today(),
                                     ExamSession.id != (reg.session_id or 0))
                              .order_by(ExamSession.starts_at, ExamSession.id).limit(200)).all()
