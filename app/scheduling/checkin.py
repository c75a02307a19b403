"""Admission tickets (准考证) with a signed check-in token, and check-in at the door."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.catalog.services import rule_value
from app.core import audit
from app.core.errors import DomainError
from app.core.timeutil import format_datetime, local_today
from app.db import utcnow
from app.extensions import db
from app.scheduling import signals
from app.scheduling.models import ExamSession, Registration, RegistrationState, SessionState

TOKEN_SALT = "checkin-v1"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def checkin_token(reg: Registration) -> str:
    """What the ticket's QR code carries: the registration and ticket number, signed."""
    return _serializer().dumps([reg.id, reg.ticket_no])


def find_registration(code: str) -> Registration | None:
    """A scanned token or a typed ticket number → the registration, or None (forged/unknown)."""
    code = (code or "").strip()
    if not code or len(code) > 200:
        return None
    if code.isdigit():
        return db.session.scalar(sa.select(Registration).where(Registration.ticket_no == code))
    try:
        reg_id, ticket_no = _serializer().loads(code)
    except (BadSignature, ValueError, TypeError):
        return None
    reg = db.session.get(Registration, reg_id) if isinstance(reg_id, int) else None
    return reg if reg is not None and reg.ticket_no == ticket_no else None


def check_in(session: ExamSession, code: str, *, actor=None, now: dt.datetime | None = None) -> Registration:
    """Record that the candidate is at the door of this session. Refuses an unknown code, a ticket of
    another session, day or room, a session not open for check-in, and arrivals after the cut-off."""
    now = now or utcnow()
    reg = find_registration(code)
    if reg is None:
        raise DomainError("准考证号或二维码无效，请核对后重新输入")
    if reg.session_id != session.id:
        theirs = db.session.get(ExamSession, reg.session_id) if reg.session_id else None
        if theirs is None:
            raise DomainError(f"{reg.person.name} 尚未安排考试场次")
        where = f"{format_datetime(theirs.starts_at)} {theirs.room.site.name}{theirs.room.name}"
        day_note = "（不是今天）" if theirs.day != local_today() else ""
        raise DomainError(f"{reg.person.name} 不属于本场次：其考试安排为 {where}{day_note}")
    if reg.state == RegistrationState.CHECKED_IN:
        raise DomainError(f"{reg.person.name} 已于 {format_datetime(reg.checked_in_at, seconds=True)} 签到")
    if reg.state != RegistrationState.SCHEDULED:
        raise DomainError(f"{reg.person.name} 的报名状态为“{RegistrationState(reg.state).label}”，不能签到")
    if session.state not in (SessionState.PUBLISHED, SessionState.OPEN):
        raise DomainError(f"本场次{SessionState(session.state).label}，不能签到")
    opens = session.starts_at - dt.timedelta(minutes=rule_value("checkin_opens_minutes", 60))
    cutoff = session.starts_at + dt.timedelta(minutes=rule_value("checkin_cutoff_minutes", 15))
    if now < opens:
        raise DomainError(f"签到尚未开始：{format_datetime(opens)} 开始签到")
    if now > cutoff:
        raise DomainError(f"已超过签到截止时间 {format_datetime(cutoff)}，按考场规则不得入场")
    reg.move_to(RegistrationState.CHECKED_IN)
    reg.checked_in_at = now
    db.session.flush()
    audit.record("registration.check_in", "registration", reg.id, actor=actor,
                 after={"session_id": session.id, "seat": reg.seat})
    signals.checked_in.send(reg, session=session)
    return reg


def sheet_rows(session: ExamSession) -> list[Registration]:
    """Everyone placed in the session, by seat (the 考场记录 sign-in sheet)."""
    return db.session.scalars(sa.select(Registration).where(
        Registration.session_id == session.id, Registration.state.in_([
            RegistrationState.SCHEDULED, RegistrationState.CHECKED_IN, RegistrationState.COMPLETED,
            RegistrationState.ABSENT])).order_by(Registration.seat)).all()


# ---- added for the pages

SHEET_HEADERS = ["座位号", "姓名", "身份证号码", "工作单位", "准考证号", "签到时间", "状态", "考生签名"]


def is_on_duty(session: ExamSession, user) -> bool:
    """True when the user is one of the session's staff (proctor or examiner)."""
    return any(s.user_id == user.id for s in session.staff)


def duty_sessions(day: dt.date, user=None) -> list[ExamSession]:
    """The sessions of ``day`` in time order: only the user's own when ``user`` is given, else all."""
    from app.scheduling.models import SessionStaff
    stmt = sa.select(ExamSession).where(ExamSession.day == day).order_by(ExamSession.starts_at, ExamSession.id)
    if user is not None:
        stmt = stmt.join(SessionStaff, SessionStaff.session_id == ExamSession.id).where(SessionStaff.user_id == user.id)
    return db.session.scalars(stmt).all()


def sheet_table(session: ExamSession) -> list[list[str]]:
    """The 考场记录 rows (SHEET_HEADERS order), by seat; the signature column is left blank."""
    from app.core.ids import mask_id_number
    return [[str(r.seat or ""), r.person.name, mask_id_number(r.person.id_number),
             r.person.employer.name if r.person.employer else "个人",
             r.ticket_no or "", format_datetime(r.checked_in_at, seconds=True),
             RegistrationState(r.state).label, ""] for r in sheet_rows(session)]


def staff_names(session: ExamSession) -> str:
    """The session's proctors and examiners as one line, e.g. "监考员：张三、李四"."""
    from app.scheduling.sessions import DUTY_LABELS
    by_duty: dict[str, list[str]] = {}
    for s in session.staff:
        by_duty.setdefault(s.duty, []).append(s.user.display_name)
    return "；".join(f"{DUTY_LABELS.get(d, d)}：{'、'.join(names)}" for d, names in by_duty.items()) or "（未安排）"
