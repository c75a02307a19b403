"""Practical exams: opening score sheets, the task draw, examiners' entries, sign-off, the chief
examiner's decision, changes after the lock, publishing, and the results other domains read.

Services flush, never commit. Every draw, signature, decision, change and publication is audited.
"""
from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa

from app.accounts.models import Role
from app.catalog.services import rule_value
from app.core import audit
from app.core.errors import DomainError, NotAllowed
from app.db import utcnow
from app.extensions import db
from app.practical import results, scoring
from app.practical.models import DrawMode, ExaminerMark, ScoreSheet, SheetStatus, SheetTask
from app.practical.rubric_store import current_rubric, parsed
from app.scheduling.models import (
    ExaminerQualification,
    ExamSession,
    Registration,
    RegistrationState,
    SessionKind,
    SessionStaff,
)

DUTY_EXAMINER, DUTY_CHIEF = "examiner", "chief_examiner"
PART_PRACTICAL = "practical"
NOTE_MAX = 200


class StaleEntry(DomainError):
    """An entry older than the last one applied from the same examiner's tablet."""

    code = "stale_seq"


class InvalidEntry(DomainError):
    """An entry the field refuses (bad number, unknown point, veto without a note…)."""

    code = "invalid_entry"


# ---- who may do what --------------------------------------------------------------------------

def duty_of(session: ExamSession, user) -> str | None:
    """The user's duty on the session (examiner / chief_examiner / proctor), or None."""
    return next((s.duty for s in session.staff if s.user_id == user.id), None)


def is_chief(session: ExamSession, user) -> bool:
    """The session's chief examiner, or an admin (who may act as one)."""
    return duty_of(session, user) == DUTY_CHIEF or user.has_role(Role.ADMIN)


def scoring_refusal(session: ExamSession, item_id: int, user) -> str | None:
    """Why the user may not score this session's candidates in this item, or None."""
    if not user.has_role(Role.EXAMINER):
        return f"{user.display_name} 不是考评员，不能评分"
    if duty_of(session, user) not in (DUTY_EXAMINER, DUTY_CHIEF):
        return f"{user.display_name} 不是本场次的考评员，不能评分"
    qualified = db.session.get(ExaminerQualification, (user.id, item_id))
    if qualified is None:
        return f"{user.display_name} 没有该操作项目的考评资格，不能评分"
    return None


def require_scorer(sheet: ScoreSheet, user) -> None:
    """Raise NotAllowed unless the user is an assigned, qualified examiner of the sheet's session."""
    problem = scoring_refusal(db.session.get(ExamSession, sheet.session_id), sheet.item_id, user)
    if problem:
        raise NotAllowed(problem)


def practical_sessions(day: dt.date, user=None) -> list[ExamSession]:
    """The day's practical sessions; only the user's own when ``user`` is given."""
    stmt = (sa.select(ExamSession).where(ExamSession.day == day, ExamSession.kind == SessionKind.PRACTICAL)
            .order_by(ExamSession.starts_at, ExamSession.id))
    if user is not None:
        stmt = stmt.where(ExamSession.staff.any(SessionStaff.user_id == user.id))
    return db.session.scalars(stmt).all()


def station_queue(session: ExamSession) -> list[tuple[Registration, ScoreSheet | None]]:
    """The station's checked-in (and already scored) candidates with their sheets, by seat/station."""
    regs = db.session.scalars(sa.select(Registration).where(
        Registration.session_id == session.id, Registration.part == PART_PRACTICAL,
        Registration.state.in_([RegistrationState.CHECKED_IN, RegistrationState.COMPLETED]))
        .order_by(Registration.checked_in_at, Registration.id)).all()
    sheets = {s.registration_id: s for s in db.session.scalars(
        sa.select(ScoreSheet).where(ScoreSheet.session_id == session.id))}
    return [(r, sheets.get(r.id)) for r in regs]


def _hold(sheet: ScoreSheet) -> None:
    """Lock the sheet's row for this transaction and re-read its marks and state, so that two
    examiners signing (or taking an examiner place) at the same moment are handled one after the
    other (PostgreSQL; SQLite's write transactions are serialised already)."""
    db.session.flush()
    db.session.execute(sa.select(ScoreSheet.id).where(ScoreSheet.id == sheet.id).with_for_update())
    for mark in list(sheet.marks):  # rows already in the session would otherwise keep what they read earlier
        db.session.expire(mark)
    db.session.refresh(sheet, ["status", "finals", "marks", "tasks"])


# ---- sheets and the draw ----------------------------------------------------------------------

def open_sheet(reg: Registration, *, actor) -> ScoreSheet:
    """The registration's score sheet, created with the item's current rubric on first opening.
    Refuses a registration that is not a checked-in practical sitting, and examiners who may not score."""
    sheet = db.session.scalar(sa.select(ScoreSheet).where(ScoreSheet.registration_id == reg.id))
    if sheet is not None:
        return sheet
    session = reg.session
    if reg.part != PART_PRACTICAL or session is None or session.kind != SessionKind.PRACTICAL:
        raise DomainError("这不是实际操作考试的报名，不能打开评分表")
    if reg.state != RegistrationState.CHECKED_IN:
        raise DomainError(f"{reg.person.name} 尚未签到（{RegistrationState(reg.state).label}），不能评分")
    problem = scoring_refusal(session, reg.item_id, actor)
    if problem:
        raise NotAllowed(problem)
    rubric = current_rubric(reg.item)
    sheet = ScoreSheet(registration_id=reg.id, session_id=session.id, person_id=reg.person_id, item_id=reg.item_id,
                       rubric_id=rubric.id)
    db.session.add(sheet)
    db.session.flush()
    audit.record("practical.sheet_open", "score_sheet", sheet.id, actor=actor,
                 after={"registration": reg.id, "rubric": rubric.slug, "version": rubric.version})
    return sheet


def _has_marks(sheet: ScoreSheet, task_code: str) -> bool:
    return any(m.marks.get(task_code) for m in sheet.marks)


def draw(sheet: ScoreSheet, mode: DrawMode, *, actor, subject: str | None = None, reason: str = "",
         seed: int | None = None) -> list[SheetTask]:
    """Draw a task for ``subject`` (or, by the system, for every subject still without one), recording
    the seed. Drawing again for a subject is a redraw: it needs a reason, discards marks on the old
    task, is refused once anyone has signed, and is written to the audit log. Returns the drawn tasks."""
    _hold(sheet)
    sheet.require(SheetStatus.SCORING)
    require_scorer(sheet, actor)
    rubric = parsed(sheet.rubric)
    if subject is not None and rubric.subject(subject) is None:
        raise DomainError(f"没有科目 {subject}")
    if mode == DrawMode.CANDIDATE and subject is None:
        raise DomainError("考生抽题须逐科进行，请选择科目")
    current = {t.subject: t for t in sheet.tasks}
    targets = [subject] if subject else [s.code for s in rubric.subjects if s.code not in current]
    out = []
    for code in targets:
        existing = current.get(code)
        if existing is not None:
            out.append(_redraw(sheet, existing, rubric, mode, actor=actor, reason=reason, seed=seed))
            continue
        use = seed if seed is not None else secrets.randbits(31)
        pool = [t.code for t in rubric.subject(code).tasks]
        task = SheetTask(subject=code, task_code=scoring.draw_task(pool, use), drawn_by=mode, seed=use)
        sheet.tasks.append(task)
        out.append(task)
    db.session.flush()
    if any(t.draws == 1 for t in out):
        audit.record("practical.draw", "score_sheet", sheet.id, actor=actor,
                     after={t.subject: {"task": t.task_code, "mode": str(mode), "seed": t.seed} for t in out})
    return out


def _redraw(sheet: ScoreSheet, task: SheetTask, rubric, mode: DrawMode, *, actor, reason: str,
            seed: int | None) -> SheetTask:
    if not reason.strip():
        raise DomainError("重新抽题须填写原因（将记入审计日志）", field="reason")
    if any(m.signed_at for m in sheet.marks):
        raise DomainError("已有考评员签字，不能重新抽题")
    before = {"task": task.task_code, "mode": task.drawn_by, "seed": task.seed,
              "discarded_marks": {m.examiner.display_name: m.marks.get(task.task_code) for m in sheet.marks
                                  if m.marks.get(task.task_code)}}
    for m in sheet.marks:
        if task.task_code in m.marks:
            m.marks = {k: v for k, v in m.marks.items() if k != task.task_code}
    use = seed if seed is not None else secrets.randbits(31)
    pool = [t.code for t in rubric.subject(task.subject).tasks]
    task.task_code, task.drawn_by, task.seed = scoring.draw_task(pool, use, exclude=task.task_code), mode, use
    task.draws += 1
    task.drawn_at = utcnow()
    db.session.flush()
    audit.record("practical.redraw", "score_sheet", sheet.id, actor=actor, reason=reason.strip(), before=before,
                 after={"subject": task.subject, "task": task.task_code, "mode": str(mode), "seed": use})
    return task


# ---- entries from the tablet ------------------------------------------------------------------

def _my_mark(sheet: ScoreSheet, user) -> ExaminerMark:
    """The user's marks on the sheet, taking the next free examiner place (two per sheet)."""
    mark = sheet.mark_of(user.id)
    if mark is not None:
        return mark
    _hold(sheet)
    mark = sheet.mark_of(user.id)
    if mark is not None:
        return mark
    taken = {m.position for m in sheet.marks}
    if len(taken) >= 2:
        names = "、".join(m.examiner.display_name for m in sheet.marks)
        raise NotAllowed(f"本考生已由两名考评员（{names}）评分")
    mark = ExaminerMark(examiner_id=user.id, position=1 if 1 not in taken else 2, marks={})
    sheet.marks.append(mark)
    db.session.flush()
    return mark


def _entry_task(sheet: ScoreSheet, payload: dict):
    code = str(payload.get("task") or "")
    if code not in sheet.drawn.values():
        raise InvalidEntry(f"题目 {code or '（空）'} 不是本考生抽到的题", field="task")
    return parsed(sheet.rubric).task(code)


def _note(payload: dict, key: str = "note") -> str:
    text = str(payload.get(key) or "").strip()
    if len(text) > NOTE_MAX:
        raise InvalidEntry(f"说明最多 {NOTE_MAX} 字", field=key)
    return text


def _apply(task, current: dict, payload: dict) -> dict:
    """The task's marks after one entry (a new dict; the stored one is not mutated)."""
    marks = {"d": dict(current.get("d") or {}), "n": dict(current.get("n") or {}), "v": dict(current.get("v") or {})}
    kind = payload.get("kind")
    if kind in ("deduction", "note"):
        point = task.point(str(payload.get("point") or ""))
        if point is None:
            raise InvalidEntry("评分要点不属于该题", field="point")
        if kind == "deduction":
            try:
                value = scoring.parse_deduction(payload.get("value"), point.max)
            except scoring.ScoreInputError as exc:
                raise InvalidEntry(exc.message, field="value") from None
            marks["d"][point.code] = value
        else:
            marks["n"][point.code] = _note(payload, "text")
    elif kind == "veto":
        veto = task.veto(str(payload.get("code") or ""))
        if veto is None:
            raise InvalidEntry("否决项不属于该题", field="code")
        if payload.get("failed"):
            note = _note(payload)
            if not note:
                raise InvalidEntry("判定否决项不合格须填写说明", field="note")
            marks["v"][veto.code] = note
        else:
            marks["v"].pop(veto.code, None)
    else:
        raise InvalidEntry("未知的录入类型", field="kind")
    return marks


def apply_entry(sheet: ScoreSheet, user, payload: dict) -> dict:
    """Apply one entry from an examiner's tablet, in order: ``payload["seq"]`` must be greater than the
    last applied one (StaleEntry otherwise). Raises InvalidEntry for a value the field refuses,
    NotAllowed for someone who may not score. Returns the acknowledgement with running totals."""
    sheet.require(SheetStatus.SCORING)
    require_scorer(sheet, user)
    seq = payload.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise InvalidEntry("缺少录入序号", field="seq")
    mark = _my_mark(sheet, user)
    if mark.signed_at is not None:
        raise DomainError("您已签字，评分不能再修改")
    if seq <= mark.last_seq:
        raise StaleEntry(f"录入序号 {seq} 已过期（已保存到 {mark.last_seq}）")
    task = _entry_task(sheet, payload)
    mark.marks = {**mark.marks, task.code: _apply(task, mark.marks.get(task.code) or {}, payload)}
    mark.last_seq = seq
    db.session.flush()
    result = scoring.marks_result(parsed(sheet.rubric), sheet.drawn, mark.marks)
    return {"seq": seq, "task": task.code, "task_score": scoring.task_score(task, mark.marks[task.code]),
            "total": result.total}


# ---- results for other domains ----------------------------------------------------------------

def _theory_outcomes(person_id: int, item_id: int) -> list[results.PartOutcome]:
    from app.exams.models import Attempt
    rows = db.session.execute(
        sa.select(Attempt, ExamSession.day, ExamSession.id)
        .outerjoin(Registration, Registration.id == Attempt.registration_id)
        .outerjoin(ExamSession, ExamSession.id == Registration.session_id)
        .where(Attempt.person_id == person_id, Attempt.item_id == item_id, Attempt.published_at.is_not(None),
               Attempt.score.is_not(None))).all()
    from app.core.timeutil import to_local
    out = [results.PartOutcome(bool(a.passed), a.score, day or to_local(a.submitted_at or a.published_at).date(), sid)
           for a, day, sid in rows]
    return sorted(out, key=lambda o: o.exam_date)


def _practical_outcomes(person_id: int, item_id: int) -> list[results.PartOutcome]:
    rows = db.session.execute(
        sa.select(ScoreSheet, ExamSession.day).join(ExamSession, ExamSession.id == ScoreSheet.session_id)
        .where(ScoreSheet.person_id == person_id, ScoreSheet.item_id == item_id,
               ScoreSheet.status == SheetStatus.LOCKED, ScoreSheet.published_at.is_not(None))).all()
    return sorted((results.PartOutcome(bool(s.passed), s.total, day, s.session_id) for s, day in rows),
                  key=lambda o: o.exam_date)


def theory_outcome(person_id: int, item_id: int) -> results.PartOutcome | None:
    """Latest PUBLISHED theory result for this person and item (from app.exams Attempt), or None."""
    outcomes = _theory_outcomes(person_id, item_id)
    return outcomes[-1] if outcomes else None


def practical_outcome(person_id: int, item_id: int) -> results.PartOutcome | None:
    """Latest PUBLISHED, signed-off practical result for this person and item, or None."""
    outcomes = _practical_outcomes(person_id, item_id)
    return outcomes[-1] if outcomes else None


def overall_outcome(person_id: int, item_id: int, today: dt.date) -> results.OverallOutcome:
    """The overall result per DOMAIN.md §3–4 from every published result (see results.overall)."""
    from app.catalog.models import CatalogItem
    from app.scheduling.models import TrainingRecord
    item = db.session.get(CatalogItem, item_id)
    # Failures count from the latest training: before any sitting that is the initial training,
    # after a failed make-up it is the retraining that starts a new cycle (as registration counts).
    retrained = db.session.scalar(sa.select(sa.func.max(TrainingRecord.end_date)).where(
        TrainingRecord.person_id == person_id, TrainingRecord.item_id == item_id, TrainingRecord.end_date <= today))
    return results.overall(_theory_outcomes(person_id, item_id), _practical_outcomes(person_id, item_id),
                           practical_required=bool(item.practical_required), today=today,
                           valid_months=rule_value("passed_part_valid_months", 12),
                           makeups_allowed=rule_value("makeups_allowed", 1),
                           retrained_on=retrained)


# Sign-off, the chief examiner's decision, changes after the lock and publishing live in signoff.py;
# they are part of this module's interface.
from app.practical.signoff import (  # noqa: E402
    amend,
    confirm,
    dispute_threshold,
    publish_session,
    resolve,
    sign,
)

__all__ = ["StaleEntry", "InvalidEntry", "duty_of", "is_chief", "scoring_refusal", "require_scorer",
           "practical_sessions", "station_queue", "open_sheet", "draw", "apply_entry", "sign", "confirm",
           "resolve", "amend", "publish_session", "dispute_threshold", "theory_outcome", "practical_outcome",
           "overall_outcome"]
