"""The proctor's console: seat map rows and the actions on an attempt, each with a reason and audited.
Also the admin's key correction, which regrades everyone who saw the corrected version."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app.core import audit
from app.core.errors import DomainError
from app.db import utcnow
from app.exams.delivery import _finish, finish_if_expired, remaining
from app.exams.models import FINISHED, Attempt, AttemptAnswer, AttemptStatus, Irregularity
from app.exams.services import grade_attempt
from app.extensions import db
from app.papers.models import PaperQuestion
from app.questions.models import QuestionVersion
from app.questions.types import KeyError_, kind
from app.scheduling.models import ExamSession, Registration, RegistrationState

DISCONNECTED_AFTER = dt.timedelta(seconds=30)
ACTIONS = ("pause", "resume", "extra_time", "release", "terminate", "absent")


def _need_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写原因（会写入考场记录和审计日志）", field="reason")
    return reason


def console_rows(session: ExamSession, now: dt.datetime) -> list[dict]:
    """One row per seat: candidate, state, answered count, time left."""
    regs = db.session.scalars(sa.select(Registration).where(Registration.session_id == session.id)
                              .order_by(Registration.seat)).all()
    attempts = {a.registration_id: a for a in db.session.scalars(
        sa.select(Attempt).where(Attempt.registration_id.in_([r.id for r in regs])))}
    answered = dict(db.session.execute(
        sa.select(AttemptAnswer.attempt_id, sa.func.count()).where(
            AttemptAnswer.attempt_id.in_([a.id for a in attempts.values()]), AttemptAnswer.answer.is_not(None))
        .group_by(AttemptAnswer.attempt_id)).all())
    totals = dict(db.session.execute(
        sa.select(PaperQuestion.paper_id, sa.func.count()).where(
            PaperQuestion.paper_id.in_([a.paper_id for a in attempts.values()])).group_by(PaperQuestion.paper_id)).all())
    rows = []
    for reg in regs:
        a = attempts.get(reg.id)
        rows.append({"registration_id": reg.id, "seat": reg.seat, "name": reg.person.name,
                     "ticket_no": reg.ticket_no, "registration_state": reg.state, "state": _state(reg, a, now),
                     "answered": answered.get(a.id, 0) if a else 0, "total": totals.get(a.paper_id, 0) if a else 0,
                     "remaining_seconds": remaining(a, now) if a else None, "terminal": a.terminal_id if a else None,
                     "score": a.score if a and a.status in FINISHED else None})
    return rows


def _state(reg: Registration, attempt: Attempt | None, now: dt.datetime) -> str:
    if attempt is None:
        return {"absent": "absent", "scheduled": "not_checked_in"}.get(reg.state, "not_started")
    if attempt.status == AttemptStatus.ANSWERING and (attempt.last_seen_at is None
                                                      or now - attempt.last_seen_at > DISCONNECTED_AFTER):
        return "disconnected"
    return attempt.status


STATE_LABELS = {"not_started": "未开始", "not_checked_in": "未签到", "absent": "缺考", "answering": "答题中",
                "paused": "已暂停", "submitted": "已交卷", "terminated": "已终止", "disconnected": "连接中断"}


def act(session: ExamSession, registration_id: int, action: str, *, reason: str, actor, minutes: int | None = None,
        now: dt.datetime | None = None) -> str:
    """Apply one proctor action to a candidate of this session. Returns a Chinese confirmation.
    Raises DomainError when the action does not fit the candidate's state."""
    now = now or utcnow()
    reason = _need_reason(reason)
    reg = db.session.get(Registration, registration_id)
    if reg is None or reg.session_id != session.id:
        raise DomainError("该考生不在本场次")
    if action == "absent":
        return _absent(session, reg, reason, actor)
    attempt = db.session.scalar(sa.select(Attempt).where(Attempt.registration_id == reg.id).with_for_update())
    if attempt is None:
        raise DomainError(f"{reg.person.name} 尚未开始答题")
    finish_if_expired(attempt, now)
    handler = {"pause": _pause, "resume": _resume, "extra_time": _extra, "release": _release,
               "terminate": _terminate}.get(action)
    if handler is None:
        raise DomainError("未知的操作")
    before = {"status": attempt.status, "deadline": attempt.deadline_at.isoformat() if attempt.deadline_at else None}
    message = handler(attempt, reg, now=now, minutes=minutes, reason=reason, actor=actor)
    db.session.flush()
    audit.record(f"proctor.{action}", "attempt", attempt.id, actor=actor, reason=reason, before=before,
                 after={"status": attempt.status, "deadline": attempt.deadline_at.isoformat() if attempt.deadline_at else None,
                        "minutes": minutes})
    return message


def _pause(attempt, reg, *, now, **_):
    if attempt.status != AttemptStatus.ANSWERING:
        raise DomainError(f"{reg.person.name} 当前不在答题，不能暂停")
    attempt.status, attempt.paused_at = AttemptStatus.PAUSED, now
    return f"已暂停 {reg.person.name} 的考试，计时停止"


def _resume(attempt, reg, *, now, **_):
    if attempt.status != AttemptStatus.PAUSED:
        raise DomainError(f"{reg.person.name} 的考试没有暂停")
    attempt.deadline_at += now - attempt.paused_at  # the clock stood still while paused
    attempt.status, attempt.paused_at = AttemptStatus.ANSWERING, None
    return f"已恢复 {reg.person.name} 的考试"


def _extra(attempt, reg, *, minutes, **_):
    if attempt.status in FINISHED:
        raise DomainError(f"{reg.person.name} 已结束考试，不能延时")
    if not isinstance(minutes, int) or not 1 <= minutes <= 120:
        raise DomainError("延长时间应为 1–120 分钟", field="minutes")
    attempt.deadline_at += dt.timedelta(minutes=minutes)
    attempt.extra_seconds += minutes * 60
    return f"已为 {reg.person.name} 延长 {minutes} 分钟"


def _release(attempt, reg, **_):
    if attempt.status in FINISHED:
        raise DomainError(f"{reg.person.name} 已结束考试")
    attempt.terminal_id, attempt.token_hash = None, None
    return f"已解除 {reg.person.name} 与原终端的绑定，请到新终端重新登录"


def _terminate(attempt, reg, *, now, reason, actor, **_):
    if attempt.status in FINISHED:
        raise DomainError(f"{reg.person.name} 已结束考试")
    attempt.status = AttemptStatus.TERMINATED
    _finish(attempt, now, "misconduct")
    attempt.status, attempt.passed = AttemptStatus.TERMINATED, False
    reg.passed = False
    db.session.add(Irregularity(session_id=reg.session_id, registration_id=reg.id, kind="misconduct", note=reason,
                                actor_id=getattr(actor, "id", None)))
    return f"已终止 {reg.person.name} 的考试，并记入考场记录"


def _absent(session, reg, reason, actor) -> str:
    if db.session.scalar(sa.select(Attempt.id).where(Attempt.registration_id == reg.id)):
        raise DomainError(f"{reg.person.name} 已开始答题，不能记为缺考")
    reg.move_to(RegistrationState.ABSENT)
    db.session.add(Irregularity(session_id=session.id, registration_id=reg.id, kind="absent", note=reason,
                                actor_id=getattr(actor, "id", None)))
    db.session.flush()
    audit.record("proctor.absent", "registration", reg.id, actor=actor, reason=reason)
    return f"已将 {reg.person.name} 记为缺考"


# ---- key correction -----------------------------------------------------------------------------

def correct_key(version: QuestionVersion, new_key: str, *, reason: str, actor) -> list[dict]:
    """Correct a wrong key of a used version: every graded attempt that saw it is regraded. Returns the
    changes [{attempt_id, before, after, passed_before, passed_after}] (also audited)."""
    reason = _need_reason(reason)
    try:
        key = kind(version.qtype).parse_key(new_key, len(version.options or []))
    except KeyError_ as exc:
        raise DomainError(str(exc), field="answer") from None
    if key == version.effective_answer:
        raise DomainError("新答案与现有答案相同")
    before_key = version.effective_answer
    version.corrected_answer, version.corrected_at, version.correction_reason = key, utcnow(), reason[:200]
    db.session.flush()
    audit.record("question.key_correction", "question_version", version.id, actor=actor, reason=reason,
                 before={"answer": before_key}, after={"answer": key})
    attempts = db.session.scalars(sa.select(Attempt).join(PaperQuestion, PaperQuestion.paper_id == Attempt.paper_id)
                                  .where(PaperQuestion.question_version_id == version.id,
                                         Attempt.graded_at.is_not(None))).all()
    changes = []
    for attempt in attempts:
        before = (attempt.score, attempt.passed)
        terminated = attempt.status == AttemptStatus.TERMINATED
        grade_attempt(attempt)
        if terminated:
            attempt.passed = False
        if (attempt.score, attempt.passed) != before:
            reg = db.session.get(Registration, attempt.registration_id) if attempt.registration_id else None
            if reg is not None:
                reg.passed = attempt.passed
            change = {"attempt_id": attempt.id, "before": before[0], "after": attempt.score,
                      "passed_before": before[1], "passed_after": attempt.passed}
            changes.append(change)
            audit.record("attempt.regrade", "attempt", attempt.id, actor=actor, reason=reason,
                         before={"score": before[0], "passed": before[1]},
                         after={"score": attempt.score, "passed": attempt.passed})
    return changes


def publish_results(session: ExamSession, *, actor) -> int:
    """Make this session's graded results visible to candidates and employers. Returns how many."""
    attempts = db.session.scalars(sa.select(Attempt).join(Registration, Registration.id == Attempt.registration_id)
                                  .where(Registration.session_id == session.id, Attempt.graded_at.is_not(None),
                                         Attempt.published_at.is_(None))).all()
    now = utcnow()
    for a in attempts:
        a.published_at = now
    db.session.flush()
    audit.record("results.publish", "exam_session", session.id, actor=actor, after={"count": len(attempts)})
    return len(attempts)
