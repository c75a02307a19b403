"""Admission ticket PDFs: one per candidate, or a batch per employer or session."""
from __future__ import annotations

from flask import current_app

from app.catalog.services import rule_value
from app.core.pdf import photo_data_uri, qr_data_uri, render_pdf
from app.people.photos import photo_path
from app.scheduling.checkin import checkin_token
from app.scheduling.models import Registration, RegistrationState
from app.scheduling.registration import PART_LABELS

EXAM_ROOM_RULES = [
    "考生须携带本人有效居民身份证和准考证，在开考前到达考场，经身份核验后按座位号就座。",
    "开考 {cutoff} 分钟后不得进入考场。",
    "除黑色签字笔外，不得携带手机、智能手表等电子设备及书籍资料进入考场，已带入的须关机放在指定位置。",
    "理论考试在考试终端上作答，答案自动保存；遇设备故障请举手示意监考员，不得自行操作其他终端。",
    "实际操作考试须按要求穿戴劳动防护用品，服从考评员指挥，严禁违章操作。",
    "考试全程录像。替考、作弊等违纪行为按国家有关规定处理，成绩无效。",
]


def _photo(reg: Registration) -> str | None:
    if not reg.person.photo_file:
        return None
    try:
        return photo_data_uri(photo_path(current_app.config["UPLOAD_ROOT"], reg.person.photo_file))
    except FileNotFoundError:
        return None


def ticket_context(reg: Registration) -> dict:
    return {"reg": reg, "part_label": PART_LABELS.get(reg.part, reg.part), "photo": _photo(reg),
            "qr": qr_data_uri(checkin_token(reg))}


def printable(regs: list[Registration]) -> list[Registration]:
    return [r for r in regs if r.state in (RegistrationState.SCHEDULED, RegistrationState.CHECKED_IN) and r.ticket_no]


def render_tickets(regs: list[Registration]) -> bytes:
    """One page per ticket. The caller has checked access and that each registration is scheduled."""
    tickets = [ticket_context(r) for r in regs]
    cutoff = rule_value("checkin_cutoff_minutes", 15)
    rules = [r.format(cutoff=cutoff) for r in EXAM_ROOM_RULES]
    return render_pdf("scheduling/tickets_pdf.html", tickets=tickets, rules=rules,
                      site_name=current_app.config["SITE_NAME"])


# ---- added for the pages

def employer_tickets(employer_id: int) -> list[Registration]:
    """An employer's printable tickets (its staff scheduled or checked in), by exam time and seat."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.scheduling.models import ExamSession
    ready = [RegistrationState.SCHEDULED, RegistrationState.CHECKED_IN]
    regs = db.session.scalars(sa.select(Registration).join(ExamSession, ExamSession.id == Registration.session_id)
                              .where(Registration.employer_id == employer_id, Registration.state.in_(ready))
                              .order_by(ExamSession.starts_at, ExamSession.id, Registration.seat)).all()
    return printable(regs)


def session_tickets(session_id: int) -> list[Registration]:
    """A session's printable tickets, by seat."""
    import sqlalchemy as sa

    from app.extensions import db
    regs = db.session.scalars(sa.select(Registration).where(
        Registration.session_id == session_id,
        Registration.state.in_([RegistrationState.SCHEDULED, RegistrationState.CHECKED_IN]))
        .order_by(Registration.seat)).all()
    return printable(regs)


def not_printable_reason(reg: Registration) -> str | None:
    """Why this registration has no ticket to print yet (Chinese), or None when it prints."""
    if printable([reg]):
        return None
    state = RegistrationState(reg.state)
    if state in (RegistrationState.SUBMITTED, RegistrationState.APPROVED):
        return f"该报名当前为“{state.label}”，尚未安排考试场次。排考后才能打印准考证。"
    return f"该报名当前为“{state.label}”，没有可打印的准考证。"
