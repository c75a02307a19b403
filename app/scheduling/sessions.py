"""Exam sessions: creation with conflict checks, staff, states, the year plan and capacity."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from app.accounts.models import Role, User
from app.catalog.models import CatalogItem
from app.catalog.services import rule_value
from app.core import audit
from app.core.errors import DomainError
from app.core.timeutil import LOCAL_TZ, format_datetime, local_today
from app.extensions import db
from app.scheduling.calendar import holiday_name, is_working_day, national_data_covers
from app.scheduling.models import (
    ExaminerQualification,
    ExamSession,
    Registration,
    RegistrationState,
    Room,
    RoomKind,
    SessionKind,
    SessionStaff,
    SessionState,
    StaffUnavailability,
)

DUTY_PROCTOR, DUTY_EXAMINER, DUTY_CHIEF = "proctor", "examiner", "chief_examiner"
DUTY_LABELS = {DUTY_PROCTOR: "监考员", DUTY_EXAMINER: "考评员", DUTY_CHIEF: "主考评员"}


def local_window(day: dt.date, start: dt.time, end: dt.time) -> tuple[dt.datetime, dt.datetime]:
    """UTC datetimes of a local (Asia/Shanghai) time window on ``day``."""
    starts = dt.datetime.combine(day, start, LOCAL_TZ).astimezone(dt.UTC)
    ends = dt.datetime.combine(day, end, LOCAL_TZ).astimezone(dt.UTC)
    return starts, ends


def _overlapping(starts: dt.datetime, ends: dt.datetime, exclude_id: int | None):
    stmt = sa.select(ExamSession).where(ExamSession.starts_at < ends, ExamSession.ends_at > starts)
    if exclude_id:
        stmt = stmt.where(ExamSession.id != exclude_id)
    return stmt


def _describe(s: ExamSession) -> str:
    return f"{format_datetime(s.starts_at)}–{format_datetime(s.ends_at)[-5:]} {s.room.name}（场次 {s.id}）"


def check_session(kind: str, room: Room, day: dt.date, starts: dt.datetime, ends: dt.datetime, capacity: int,
                  items: list[CatalogItem], *, session_id: int | None = None) -> None:
    """Refuse a session that cannot take place, naming the conflict."""
    if ends <= starts:
        raise DomainError("结束时间必须晚于开始时间", field="end")
    if not room.is_active:
        raise DomainError(f"{room.name} 已停用")
    wanted_room = RoomKind.THEORY if kind == SessionKind.THEORY else RoomKind.PRACTICAL
    if room.kind != wanted_room:
        raise DomainError(f"{room.name} 是{RoomKind(room.kind).label}，不能安排{SessionKind(kind).label}", field="room_id")
    seats = len(room.usable_seats()) if room.kind == RoomKind.THEORY else room.capacity
    if capacity < 1 or capacity > seats:
        raise DomainError(f"容量应在 1–{seats} 之间（{room.name} 可用座位/考位 {seats} 个）", field="capacity")
    if not items:
        raise DomainError("请选择本场次允许的考核项目", field="items")
    if kind == SessionKind.PRACTICAL:
        allowed = {i.id for i in room.items}
        wrong = [i.name for i in items if i.id not in allowed]
        if wrong:
            raise DomainError(f"{room.name} 不能考 {'、'.join(wrong)}", field="items")
        no_practical = [i.name for i in items if not i.practical_required]
        if no_practical:
            raise DomainError(f"{'、'.join(no_practical)} 没有实际操作考试", field="items")
    if not is_working_day(day):
        name = holiday_name(day)
        raise DomainError(f"{day:%Y-%m-%d} 不是工作日" + (f"（{name}）" if name else ""), field="day")
    clash = db.session.scalars(_overlapping(starts, ends, session_id).where(ExamSession.room_id == room.id)).first()
    if clash is not None:
        raise DomainError(f"{room.name} 在这个时间已有场次：{_describe(clash)}")


def create_session(kind: str, room: Room, day: dt.date, start: dt.time, end: dt.time, capacity: int,
                   items: list[CatalogItem], *, note: str = "", actor=None) -> ExamSession:
    """A planned session after every check. Raises DomainError naming the conflict."""
    starts, ends = local_window(day, start, end)
    check_session(kind, room, day, starts, ends, capacity, items)
    session = ExamSession(kind=kind, room_id=room.id, day=day, starts_at=starts, ends_at=ends, capacity=capacity,
                          note=note)
    session.items = items
    db.session.add(session)
    db.session.flush()
    audit.record("session.create", "exam_session", session.id, actor=actor,
                 after={"kind": kind, "room": room.name, "starts": starts.isoformat(), "capacity": capacity})
    return session


def staff_conflict(user: User, session: ExamSession) -> str | None:
    """Why this person cannot work this session, or None."""
    other = db.session.scalars(_overlapping(session.starts_at, session.ends_at, session.id)
                               .join(SessionStaff, SessionStaff.session_id == ExamSession.id)
                               .where(SessionStaff.user_id == user.id)).first()
    if other is not None:
        return f"{user.display_name} 在同一时间已安排在 {_describe(other)}"
    away = db.session.scalars(sa.select(StaffUnavailability).where(
        StaffUnavailability.user_id == user.id, StaffUnavailability.start_date <= session.day,
        StaffUnavailability.end_date >= session.day)).first()
    if away is not None:
        return f"{user.display_name} 在 {session.day:%Y-%m-%d} 不可用（{away.reason or '已登记不可用'}）"
    return None


def trained_candidates(user_id: int, session: ExamSession) -> list[str]:
    """Names of this session's candidates that the user trained (考教分离)."""
    from app.scheduling.models import TrainingRecord
    rows = db.session.execute(
        sa.select(Registration.person_id).where(Registration.session_id == session.id,
                                                Registration.state.in_([RegistrationState.SCHEDULED,
                                                                        RegistrationState.CHECKED_IN]))).scalars().all()
    if not rows:
        return []
    trained = db.session.scalars(sa.select(TrainingRecord.person_id).where(
        TrainingRecord.trainer_id == user_id, TrainingRecord.person_id.in_(rows))).all()
    from app.people.models import Person
    return [p.name for p in db.session.scalars(sa.select(Person).where(Person.id.in_(set(trained))))]


def assign_staff(session: ExamSession, user: User, duty: str, *, actor=None) -> None:
    """Put a proctor or examiner on a session; refuses roles, qualifications, clashes and 考教分离."""
    if duty == DUTY_PROCTOR and not user.has_role(Role.PROCTOR):
        raise DomainError(f"{user.display_name} 不是监考员")
    if duty in (DUTY_EXAMINER, DUTY_CHIEF):
        if not user.has_role(Role.EXAMINER):
            raise DomainError(f"{user.display_name} 不是考评员")
        qualified = set(db.session.scalars(sa.select(ExaminerQualification.item_id)
                                           .where(ExaminerQualification.user_id == user.id)))
        missing = [i.name for i in session.items if i.id not in qualified]
        if missing:
            raise DomainError(f"{user.display_name} 没有 {'、'.join(missing)} 的考评资格")
    if duty == DUTY_PROCTOR and session.kind != SessionKind.THEORY or \
            duty != DUTY_PROCTOR and session.kind != SessionKind.PRACTICAL:
        raise DomainError(f"{SessionKind(session.kind).label}不安排{DUTY_LABELS[duty]}")
    if any(s.user_id == user.id for s in session.staff):
        raise DomainError(f"{user.display_name} 已在本场次")
    problem = staff_conflict(user, session)
    if problem:
        raise DomainError(problem)
    trained = trained_candidates(user.id, session) if duty != DUTY_PROCTOR else []
    if trained:
        raise DomainError(f"考教分离：{user.display_name} 培训过本场次考生 {'、'.join(trained[:5])}，不能担任考评员")
    session.staff.append(SessionStaff(user_id=user.id, duty=duty))
    db.session.flush()
    audit.record("session.staff_add", "exam_session", session.id, actor=actor, after={"user": user.username, "duty": duty})


def remove_staff(session: ExamSession, user_id: int, *, actor=None) -> None:
    session.staff = [s for s in session.staff if s.user_id != user_id]
    db.session.flush()
    audit.record("session.staff_remove", "exam_session", session.id, actor=actor, before={"user_id": user_id})


def set_state(session: ExamSession, state: SessionState, *, actor=None, reason: str = "") -> None:
    """Move a session through its lifecycle. Publishing needs enough staff; closing marks no-shows absent."""
    if state == SessionState.PUBLISHED:
        need = rule_value("min_staff_per_session", 2)
        have = len(session.staff)
        if have < need:
            who = "监考员" if session.kind == SessionKind.THEORY else "考评员"
            raise DomainError(f"发布前至少需要安排 {need} 名{who}（现有 {have} 名）")
    before = session.state
    session.move_to(state)
    if state == SessionState.CLOSED:
        for reg in db.session.scalars(sa.select(Registration).where(
                Registration.session_id == session.id, Registration.state == RegistrationState.SCHEDULED)):
            reg.move_to(RegistrationState.ABSENT)
    db.session.flush()
    audit.record("session.state", "exam_session", session.id, actor=actor, reason=reason,
                 before={"state": before}, after={"state": str(state)})


# ---- the year plan --------------------------------------------------------------------------

@dataclass(frozen=True)
class WeeklySlot:
    weekday: int  # 1 Monday … 7 Sunday
    room: str
    kind: str
    start: dt.time
    end: dt.time
    items: tuple[str, ...]


def plan_year(year: int, templates: list[WeeklySlot], *, allow_unknown_holidays: bool = False) -> tuple[int, int]:
    """Planned sessions on every working day of ``year`` from weekly templates; existing ones are kept.
    Returns (created, skipped). Refuses a year without national holiday data unless allowed."""
    if not national_data_covers(year) and not allow_unknown_holidays:
        raise DomainError(f"节假日数据尚未包含 {year} 年。请先在“休息日设置”中录入 {year} 年的法定节假日和调休上班日，"
                          "再用 --holidays-entered 确认后生成计划。")
    rooms = {r.name: r for r in db.session.scalars(sa.select(Room))}
    items = {i.name: i for i in db.session.scalars(sa.select(CatalogItem))}
    for t in templates:
        if t.room not in rooms:
            raise DomainError(f"模板中的考场“{t.room}”不存在")
        unknown = [n for n in t.items if n not in items]
        if unknown:
            raise DomainError(f"模板中的考核项目不存在：{'、'.join(unknown)}")
    from app.scheduling.calendar import working_days
    created = skipped = 0
    existing = {(s.room_id, s.starts_at) for s in db.session.scalars(
        sa.select(ExamSession).where(ExamSession.day.between(dt.date(year, 1, 1), dt.date(year, 12, 31))))}
    today = local_today()
    for day in working_days(year):
        if day < today:
            continue  # a plan made mid-year starts today
        for t in (t for t in templates if t.weekday == day.isoweekday()):
            room = rooms[t.room]
            starts, ends = local_window(day, t.start, t.end)
            if (room.id, starts) in existing:
                skipped += 1
                continue
            capacity = len(room.usable_seats()) if room.kind == RoomKind.THEORY else room.capacity
            session = ExamSession(kind=t.kind, room_id=room.id, day=day, starts_at=starts, ends_at=ends, capacity=capacity)
            session.items = [items[n] for n in t.items]
            db.session.add(session)
            created += 1
    db.session.flush()
    audit.record("session.plan_year", "exam_session", str(year), after={"created": created, "skipped": skipped})
    return created, skipped


def capacity_by_month(year: int) -> list[dict]:
    """Per month: theory seats and practical places offered, and registrations placed or wanted."""
    target = rule_value("yearly_exam_target", 8000)
    rows = defaultdict(lambda: {"theory": 0, "practical": 0, "registered": 0})
    for day, kind, cap in db.session.execute(sa.select(ExamSession.day, ExamSession.kind, ExamSession.capacity).where(
            ExamSession.day.between(dt.date(year, 1, 1), dt.date(year, 12, 31)))):
        rows[day.month][kind] += cap
    for day, in db.session.execute(sa.select(sa.func.coalesce(ExamSession.day, Registration.requested_date))
                                   .select_from(Registration).outerjoin(ExamSession, ExamSession.id == Registration.session_id)
                                   .where(Registration.state.notin_([RegistrationState.REJECTED, RegistrationState.CANCELLED]))):
        if day.year == year:
            rows[day.month]["registered"] += 1
    return [{"month": m, **rows[m], "target": round(target / 12)} for m in range(1, 13)]


# ---- added for the pages --------------------------------------------------------------------
# (imports kept here so that the module above stays as it was)


PLACED_STATES = (RegistrationState.SCHEDULED, RegistrationState.CHECKED_IN, RegistrationState.COMPLETED,
                 RegistrationState.ABSENT)


def placed_counts(session_ids) -> dict[int, int]:
    """How many candidates are placed in each session (scheduled, checked in, sat or absent)."""
    ids = list(session_ids)
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Registration.session_id, sa.func.count()).where(
        Registration.session_id.in_(ids), Registration.state.in_(PLACED_STATES)).group_by(Registration.session_id))
    return {sid: n for sid, n in rows}


def _check_placed(session: ExamSession, kind: str, room: Room, starts: dt.datetime, ends: dt.datetime,
                  capacity: int, items: list[CatalogItem]) -> None:
    """Refuse a change that would strand candidates already placed in the session."""
    placed = db.session.scalars(sa.select(Registration).where(
        Registration.session_id == session.id, Registration.state.in_(PLACED_STATES))).all()
    if not placed:
        return
    if (kind, room.id, starts, ends) != (session.kind, session.room_id, session.starts_at, session.ends_at):
        raise DomainError(f"本场次已安排 {len(placed)} 名考生，不能改变考试类型、考场、日期或时间；请先调整考生")
    if capacity < len(placed):
        raise DomainError(f"本场次已安排 {len(placed)} 名考生，容量不能小于此数", field="capacity")
    kept = {i.id for i in items}
    missing = sorted({r.item.name for r in placed if r.item_id not in kept})
    if missing:
        raise DomainError(f"本场次已有 {'、'.join(missing)} 的考生，不能移除该项目", field="items")


def update_session(session: ExamSession, kind: str, room: Room, day: dt.date, start: dt.time, end: dt.time,
                   capacity: int, items: list[CatalogItem], *, note: str = "", actor=None) -> None:
    """Change a planned session after the checks of create_session, keeping placed candidates and the
    assigned staff valid. Raises DomainError naming the problem (the caller rolls back)."""
    if session.state != SessionState.PLANNED:
        raise DomainError("只有“计划中”的场次可以修改；已发布的场次请先退回计划中")
    starts, ends = local_window(day, start, end)
    check_session(kind, room, day, starts, ends, capacity, items, session_id=session.id)
    _check_placed(session, kind, room, starts, ends, capacity, items)
    if kind != session.kind and session.staff:
        raise DomainError("改变考试类型前请先移除已安排的监考员/考评员", field="kind")
    before = {"kind": session.kind, "room": session.room.name, "starts": session.starts_at.isoformat(),
              "capacity": session.capacity, "items": [i.name for i in session.items]}
    session.kind, session.room_id, session.day = kind, room.id, day
    session.starts_at, session.ends_at, session.capacity, session.note = starts, ends, capacity, note
    session.items = list(items)
    db.session.flush()
    for s in session.staff:
        problem = staff_conflict(s.user, session) or _unqualified(s, session)
        if problem:
            raise DomainError(problem)
    audit.record("session.update", "exam_session", session.id, actor=actor, before=before,
                 after={"kind": kind, "room": room.name, "starts": starts.isoformat(), "capacity": capacity,
                        "items": [i.name for i in items]})


def _unqualified(staff: SessionStaff, session: ExamSession) -> str | None:
    """Why an assigned examiner may not examine the session's items, or None."""
    if staff.duty == DUTY_PROCTOR:
        return None
    have = set(db.session.scalars(sa.select(ExaminerQualification.item_id)
                                  .where(ExaminerQualification.user_id == staff.user_id)))
    missing = [i.name for i in session.items if i.id not in have]
    return f"{staff.user.display_name} 没有 {'、'.join(missing)} 的考评资格" if missing else None


def staff_sessions(user_id: int, since: dt.date) -> list[ExamSession]:
    """The sessions a proctor or examiner is assigned to, from ``since``, by start."""
    return db.session.scalars(sa.select(ExamSession).where(
        ExamSession.staff.any(SessionStaff.user_id == user_id), ExamSession.day >= since)
        .order_by(ExamSession.starts_at)).all()


def unassign_staff(session: ExamSession, user_id: int, *, actor=None) -> None:
    """Take a person off a session (remove_staff), refusing a closed session (its record stays as it
    was) and a person who is not on it."""
    if session.state == SessionState.CLOSED:
        raise DomainError("场次已结束，考务人员记录不能再修改")
    if not any(s.user_id == user_id for s in session.staff):
        raise DomainError("该人员不在本场次")
    remove_staff(session, user_id, actor=actor)
