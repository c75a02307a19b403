"""Theory exams on the terminals: login and binding, the paper without keys, answers guarded by
sequence numbers, the server's clock, submission exactly once, and the sweep of expired attempts.

Every function takes ``now`` (UTC) so the clock is the server's and tests can move it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import unicodedata

import sqlalchemy as sa
from flask import current_app

from app.catalog.models import CatalogItem
from app.core import audit
from app.core.errors import DomainError
from app.core.ids import mask_id_number
from app.exams.models import FINISHED, Attempt, AttemptAnswer, AttemptStatus, PreparedPaper
from app.exams.services import draw_for, grade_attempt, start_attempt
from app.extensions import db
from app.papers.models import Blueprint, Paper, PaperQuestion
from app.papers.services import active_blueprint
from app.people.models import Person
from app.questions.models import QuestionVersion
from app.scheduling.models import ExamSession, Registration, RegistrationState, Room, SessionKind, SessionState

GRACE_SECONDS_DEFAULT = 30
LETTERS = "ABCDEFGH"
INSTRUCTIONS = [
    "请核对屏幕上的姓名、座位号和考试项目，如有不符请立即举手。",
    "考试时间以服务器时间为准，剩余时间显示在屏幕上方；结束前 10 分钟和 5 分钟会提醒。",
    "每道题作答后自动保存，屏幕上方显示保存状态；网络中断时答案暂存在本机，恢复后自动发送。",
    "可以标记没有把握的题目，交卷前会列出未答和已标记的题目。",
    "考试时间到自动交卷。交卷后不能再修改答案。",
    "考试期间不得离开座位、交谈或使用任何电子设备，违者按考场规则处理。",
]


class ApiError(DomainError):
    """An error for the terminal API: HTTP status, machine code and a Chinese message. ``keep`` means
    what was done before the error (finishing an expired attempt) is committed, not rolled back."""

    def __init__(self, status: int, code: str, message: str, *, keep: bool = False):
        super().__init__(message, code=code)
        self.status = status
        self.keep = keep


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _grace() -> dt.timedelta:
    return dt.timedelta(seconds=current_app.config.get("EXAM_GRACE_SECONDS", GRACE_SECONDS_DEFAULT))


# ---- login ---------------------------------------------------------------------------------

def _registration_for(admission_no: str, id_number: str):
    """The registration's columns the login needs (a row, not the model: a whole room logs in at once,
    and the model eagerly loads its session, staff and seats)."""
    number = unicodedata.normalize("NFKC", str(id_number or "")).strip().upper()
    ticket = unicodedata.normalize("NFKC", str(admission_no or "")).strip()
    if not ticket or not number:
        raise ApiError(400, "bad_request", "请输入准考证号和身份证号码")
    reg = db.session.execute(
        sa.select(Registration.id, Registration.person_id, Registration.item_id, Registration.session_id,
                  Registration.state, Registration.is_makeup, Person.id_number)
        .join(Person, Person.id == Registration.person_id).where(Registration.ticket_no == ticket)).first()
    if reg is None or not secrets.compare_digest(reg.id_number, number):
        raise ApiError(401, "login_failed", "准考证号或身份证号码不正确")
    return reg


def _check_session(reg, now: dt.datetime) -> None:
    session = db.session.execute(
        sa.select(ExamSession.kind, ExamSession.state, ExamSession.starts_at, ExamSession.ends_at)
        .where(ExamSession.id == reg.session_id)).first() if reg.session_id else None
    if session is None or session.kind != SessionKind.THEORY:
        raise ApiError(409, "session_not_open", "没有找到你的理论考试场次，请联系监考员")
    if session.state != SessionState.OPEN or now < session.starts_at - dt.timedelta(minutes=30):
        raise ApiError(409, "session_not_open", "考试尚未开始，请等待监考员宣布开考")
    if now > session.ends_at:
        raise ApiError(409, "session_not_open", "本场考试已经结束")


def terminal_login(admission_no: str, id_number: str, terminal_id: str, now: dt.datetime) -> tuple[Attempt, str]:
    """Start or resume the candidate's attempt and bind it to this terminal. Returns (attempt, token).
    Raises ApiError (login_failed, not_checked_in, session_not_open, bound_elsewhere, finished)."""
    reg = _registration_for(admission_no, id_number)
    terminal_id = (terminal_id or "").strip()[:64] or "unknown"
    attempt = db.session.scalar(sa.select(Attempt).where(Attempt.registration_id == reg.id).with_for_update())
    if attempt is not None and attempt.status in FINISHED:
        raise ApiError(409, "finished", "你已交卷，本场考试已结束")
    if attempt is None:
        if reg.state != RegistrationState.CHECKED_IN:
            raise ApiError(403, "not_checked_in", "请先到考场门口签到后再登录")
        _check_session(reg, now)
        attempt = _start(reg, now)
    elif attempt.terminal_id and attempt.terminal_id != terminal_id:
        raise ApiError(409, "bound_elsewhere", "你已在其他终端登录。如需换机，请举手请监考员解除绑定")
    if finish_if_expired(attempt, now):
        raise ApiError(409, "finished", "考试时间已到，系统已自动交卷", keep=True)
    token = secrets.token_urlsafe(32)
    attempt.token_hash, attempt.terminal_id, attempt.bound_at = _hash(token), terminal_id, now
    attempt.last_seen_at = now
    db.session.flush()
    return attempt, token


def _previous_attempt(reg) -> Attempt | None:
    """The attempt a make-up must avoid the questions of (None for a first sitting)."""
    if not reg.is_makeup:
        return None
    return db.session.scalar(sa.select(Attempt).where(
        Attempt.person_id == reg.person_id, Attempt.item_id == reg.item_id)
        .order_by(Attempt.started_at.desc()).limit(1))


def prepare_paper(reg: Registration) -> PreparedPaper | None:
    """Draw the paper of a checked-in theory candidate ahead of the login, so that a room logging in
    at once only binds papers. Returns the prepared paper, or None when the candidate already has an
    attempt or the item has no usable blueprint (the login then reports why). Never half-written: a
    draw that fails leaves nothing behind."""
    if db.session.get(PreparedPaper, reg.id) is not None:
        return db.session.get(PreparedPaper, reg.id)
    if db.session.scalar(sa.select(Attempt.id).where(Attempt.registration_id == reg.id)) is not None:
        return None
    blueprint = active_blueprint(reg.item_id)
    if blueprint is None:
        return None
    try:
        with db.session.begin_nested():
            paper = draw_for(blueprint, previous=_previous_attempt(reg))
            prepared = PreparedPaper(registration_id=reg.id, paper_id=paper.id)
            db.session.add(prepared)
    except DomainError as exc:
        current_app.logger.warning("paper for registration %s not prepared: %s", reg.id, exc.message)
        return None
    return prepared


def _start(reg, now: dt.datetime) -> Attempt:
    blueprint = active_blueprint(reg.item_id)
    if blueprint is None:
        raise ApiError(409, "session_not_open", "该考试项目尚无启用的组卷方案，请联系监考员")
    paper_id = None
    prepared = db.session.get(PreparedPaper, reg.id)
    if prepared is not None:
        ahead_blueprint = db.session.scalar(sa.select(Paper.blueprint_id).where(Paper.id == prepared.paper_id))
        if ahead_blueprint == blueprint.id:  # else the blueprint changed since
            paper_id = prepared.paper_id
        db.session.delete(prepared)
    try:
        attempt = start_attempt(reg.person_id, blueprint, previous=_previous_attempt(reg), paper_id=paper_id)
    except DomainError as exc:
        raise ApiError(409, "paper_unavailable", exc.message) from None
    attempt.registration_id = reg.id
    attempt.started_at = now
    attempt.deadline_at = now + dt.timedelta(minutes=blueprint.duration_minutes)
    db.session.flush()
    audit.record("attempt.start", "attempt", attempt.id, after={"registration_id": reg.id, "paper_id": attempt.paper_id,
                                                                "drawn_ahead": paper_id is not None})
    return attempt


def attempt_for_token(token: str | None, *, for_update: bool = False) -> Attempt:
    """The attempt a bearer token opens; ApiError 401 for a missing, wrong or rotated token."""
    if not token or len(token) > 200:
        raise ApiError(401, "invalid_token", "登录已失效，请重新登录")
    stmt = sa.select(Attempt).where(Attempt.token_hash == _hash(token))
    attempt = db.session.scalar(stmt.with_for_update() if for_update else stmt)
    if attempt is None:
        raise ApiError(401, "invalid_token", "登录已失效，请重新登录")
    return attempt


def on_check_in(reg: Registration, session: ExamSession | None = None, **_) -> None:
    """Receiver of scheduling's ``checked_in``: draw a theory candidate's paper at the door."""
    if session is None or session.kind != SessionKind.THEORY:
        return
    prepare_paper(reg)


# ---- the clock -------------------------------------------------------------------------------

def remaining(attempt: Attempt, now: dt.datetime) -> int:
    """Seconds left by the server's clock (standing still while paused), never negative."""
    if attempt.status in FINISHED or attempt.deadline_at is None:
        return 0
    at = attempt.paused_at if attempt.status == AttemptStatus.PAUSED and attempt.paused_at else now
    return max(0, int((attempt.deadline_at - at).total_seconds()))


def finish_if_expired(attempt: Attempt, now: dt.datetime) -> bool:
    """Finish an answering attempt whose deadline has passed, with the deadline as finish time."""
    if attempt.status != AttemptStatus.ANSWERING or attempt.deadline_at is None or now < attempt.deadline_at:
        return False
    _finish(attempt, attempt.deadline_at, "deadline")
    return True


def _finish(attempt: Attempt, at: dt.datetime, reason: str) -> None:
    attempt.submitted_at = at
    attempt.finished_reason = reason
    grade_attempt(attempt)  # sets SUBMITTED and the score from the paper snapshot
    attempt.submitted_at = at
    reg = db.session.get(Registration, attempt.registration_id) if attempt.registration_id else None
    if reg is not None and reg.state == RegistrationState.CHECKED_IN:
        reg.move_to(RegistrationState.COMPLETED)
        reg.passed = attempt.passed
    if attempt.paper.blueprint.show_result_immediately:
        attempt.published_at = at
    audit.record("attempt.finish", "attempt", attempt.id, after={"reason": reason, "score": attempt.score})


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def attempt_state(attempt: Attempt, now: dt.datetime) -> dict:
    """What every response tells the terminal: state, server time, deadline, progress, who and where.
    Two small queries; callers build it before they commit, so that no lazy load after the commit
    waits for the write lock a second time."""
    return {**_clock_state(attempt, now), **_static_state(attempt)}


def _static_state(attempt: Attempt) -> dict:
    """The parts of the state that never change during an attempt, in one query."""
    row = db.session.execute(
        sa.select(Person.name, Person.id_number, CatalogItem.name, Room.name, Registration.seat,
                  Blueprint.show_result_immediately)
        .select_from(Paper).join(Blueprint, Blueprint.id == Paper.blueprint_id)
        .outerjoin(Registration, Registration.id == attempt.registration_id)
        .outerjoin(Person, Person.id == Registration.person_id)
        .outerjoin(CatalogItem, CatalogItem.id == Registration.item_id)
        .outerjoin(ExamSession, ExamSession.id == Registration.session_id)
        .outerjoin(Room, Room.id == ExamSession.room_id)
        .where(Paper.id == attempt.paper_id)).one()
    name, id_number, item, room, seat, show = row
    return {"candidate": {"name": name or "", "masked_id": mask_id_number(id_number) if id_number else "",
                          "photo_url": None},
            "item": item or "", "room": room or "", "seat": seat, "show_result": bool(show)}


# ---- the paper -------------------------------------------------------------------------------

def _paper_rows(paper_id: int):
    return db.session.execute(
        sa.select(PaperQuestion.position, PaperQuestion.option_order, PaperQuestion.points, QuestionVersion.qtype,
                  QuestionVersion.stem, QuestionVersion.options)
        .join(QuestionVersion, QuestionVersion.id == PaperQuestion.question_version_id)
        .where(PaperQuestion.paper_id == paper_id).order_by(PaperQuestion.position)).all()


def to_display(answer: str | None, order: list[int]) -> str | None:
    """Original option letters → the letters the candidate sees (order[i] is shown at position i)."""
    if answer is None or not order:
        return answer
    shown = {order[i]: LETTERS[i] for i in range(len(order))}
    return "".join(sorted(shown[LETTERS.index(c)] for c in answer))


def to_original(answer: str, order: list[int]) -> str:
    if not order:
        return answer
    return "".join(sorted(LETTERS[order[LETTERS.index(c)]] for c in answer))


def paper_payload(attempt: Attempt, now: dt.datetime) -> dict:
    """The paper in the candidate's order, options shuffled, saved answers in displayed letters — no key."""
    questions = []
    orders = {}
    for position, order, points, qtype, stem, options in _paper_rows(attempt.paper_id):
        orders[position] = order or []
        shown = [{"letter": LETTERS[i], "text": options[j]} for i, j in enumerate(order or [])]
        questions.append({"position": position, "type": qtype, "points": points, "stem": stem, "options": shown})
    saved = db.session.execute(sa.select(AttemptAnswer.position, AttemptAnswer.answer, AttemptAnswer.seq,
                                         AttemptAnswer.flagged).where(AttemptAnswer.attempt_id == attempt.id)).all()
    answers = {str(position): {"answer": to_display(answer, orders.get(position, [])), "seq": seq, "flagged": flagged}
               for position, answer, seq, flagged in saved}
    duration, pass_mark = db.session.execute(
        sa.select(Blueprint.duration_minutes, Blueprint.pass_mark).join(Paper, Paper.blueprint_id == Blueprint.id)
        .where(Paper.id == attempt.paper_id)).one()
    return {**attempt_state(attempt, now), "duration_minutes": duration, "pass_mark": pass_mark,
            "instructions": INSTRUCTIONS, "questions": questions, "answers": answers}


# ---- heartbeat, submit, sweep (the autosave is in app.exams.autosave) ----------------------

def heartbeat(attempt: Attempt, now: dt.datetime) -> None:
    finish_if_expired(attempt, now)
    attempt.last_seen_at = now


def _clock_state(row, now: dt.datetime) -> dict:
    """State, clock and progress of an attempt row (status, deadline_at, paused_at, id, paper_id)."""
    answered, total = db.session.execute(sa.select(
        sa.select(sa.func.count()).select_from(AttemptAnswer).where(
            AttemptAnswer.attempt_id == row.id, AttemptAnswer.answer.is_not(None)).scalar_subquery(),
        sa.select(sa.func.count()).select_from(PaperQuestion).where(
            PaperQuestion.paper_id == row.paper_id).scalar_subquery())).one()
    return clock_body(row, answered, total, now)


def clock_body(row, answered: int, total: int, now: dt.datetime) -> dict:
    """The clock part of the state from a row (id, status, deadline_at, paused_at) and its progress."""
    deadline = row.deadline_at
    if row.status == AttemptStatus.PAUSED and row.paused_at and deadline:
        deadline = deadline + (now - row.paused_at)  # shown as if the clock stood still
    return {"attempt_id": row.id, "state": row.status, "server_time": _iso(now), "deadline": _iso(deadline),
            "remaining_seconds": remaining(row, now), "answered": answered, "total": total}


def submit(attempt: Attempt, now: dt.datetime) -> dict | None:
    """Finish and grade exactly once (a repeated or concurrent call changes nothing). Returns the result
    when results show at once, else None."""
    if attempt.status == AttemptStatus.TERMINATED:
        raise ApiError(409, "not_answering", "本场考试已被监考员终止")
    if attempt.status != AttemptStatus.SUBMITTED:
        if attempt.status == AttemptStatus.PAUSED:
            raise ApiError(409, "not_answering", "考试已暂停，暂时不能交卷")
        if not finish_if_expired(attempt, now):
            _finish(attempt, now, "submitted")
    return result_of(attempt)


def result_of(attempt: Attempt) -> dict | None:
    if attempt.published_at is None or attempt.score is None:
        return None
    from app.exams.services import breakdown
    return {"score": attempt.score, "passed": attempt.passed, "pass_mark": attempt.paper.blueprint.pass_mark,
            "by_kp": breakdown(attempt)}


def sweep(now: dt.datetime, limit: int = 500) -> int:
    """Finish answering attempts whose deadline has passed (deadline as finish time). Returns how many."""
    due = db.session.scalars(sa.select(Attempt).where(Attempt.status == AttemptStatus.ANSWERING,
                                                      Attempt.deadline_at < now).limit(limit)).all()
    for attempt in due:
        finish_if_expired(attempt, now)
    db.session.flush()
    return len(due)


__all__ = ["ApiError", "terminal_login", "attempt_for_token", "attempt_state", "paper_payload", "heartbeat",
           "submit", "sweep", "remaining", "clock_body", "finish_if_expired", "prepare_paper"]
