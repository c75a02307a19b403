"""Sign-off of practical score sheets: each examiner signs once, the two are compared, a
disagreement goes to the chief examiner, the lock, changes after the lock (chief examiner or admin,
with a reason) and publishing. Services flush, never commit; every step is audited."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app.catalog.services import rule_value
from app.core import audit
from app.core.errors import DomainError, NotAllowed
from app.db import utcnow
from app.extensions import db
from app.practical import results, scoring
from app.practical.models import ExaminerMark, ScoreSheet, SheetStatus
from app.practical.rubric_store import parsed
from app.practical.services import NOTE_MAX, InvalidEntry, _hold, _my_mark, is_chief, require_scorer
from app.scheduling.models import ExamSession, Registration, RegistrationState


def dispute_threshold() -> float:
    """Points of task score above which two examiners disagree (configurable, default 5)."""
    return float(rule_value("practical_dispute_threshold", scoring.DEFAULT_DISPUTE_THRESHOLD))


def _check_complete(sheet: ScoreSheet, mark: ExaminerMark) -> None:
    rubric = parsed(sheet.rubric)
    missing = [s.code for s in rubric.subjects if s.code not in sheet.drawn]
    if missing:
        raise DomainError(f"还有科目未抽题：{'、'.join(missing)}")
    problems = [p for code in sheet.drawn.values() for p in scoring.unexplained(rubric.task(code), mark.marks.get(code))]
    if problems:
        raise DomainError("；".join(problems))


def sign(sheet: ScoreSheet, user, *, now: dt.datetime | None = None) -> None:
    """Sign the user's own marks. One signature per examiner; when both have signed the sheet is
    compared: agreement locks it, a difference above the threshold goes to the chief examiner."""
    _hold(sheet)
    sheet.require(SheetStatus.SCORING)
    require_scorer(sheet, user)
    mark = _my_mark(sheet, user)
    if mark.signed_at is not None:
        raise DomainError("您已签字，同一考评员不能签字两次")
    _check_complete(sheet, mark)
    now = now or utcnow()
    mark.signed_at = now
    result = scoring.marks_result(parsed(sheet.rubric), sheet.drawn, mark.marks)
    db.session.flush()
    audit.record("practical.sign", "score_sheet", sheet.id, actor=user,
                 after={"position": mark.position, "confirmed": mark.confirmed, "marks": mark.marks,
                        "total": result.total, "veto_failed": result.veto_failed})
    if len(sheet.marks) == 2 and all(m.signed_at for m in sheet.marks):
        _settle(sheet, now)


def confirm(sheet: ScoreSheet, user, *, now: dt.datetime | None = None) -> None:
    """The second examiner adopts the first examiner's signed marks and signs them."""
    _hold(sheet)
    sheet.require(SheetStatus.SCORING)
    require_scorer(sheet, user)
    first = next((m for m in sheet.marks if m.examiner_id != user.id), None)
    if first is None or first.signed_at is None:
        raise DomainError("第一考评员尚未签字，不能确认")
    mine = sheet.mark_of(user.id)
    if mine is not None and mine.signed_at is not None:
        raise DomainError("您已签字，同一考评员不能签字两次")
    if mine is not None and any(mine.marks.values()):
        raise DomainError("您已独立录入评分，请核对后直接签字")
    mine = _my_mark(sheet, user)
    mine.marks, mine.confirmed = dict(first.marks), True
    db.session.flush()
    sign(sheet, user, now=now)


def _settle(sheet: ScoreSheet, now: dt.datetime) -> None:
    rubric = parsed(sheet.rubric)
    a, b = sheet.marks
    rows = scoring.compare(rubric, sheet.drawn, a.marks, b.marks)
    threshold = dispute_threshold()
    if any(r.disputed(threshold) for r in rows):
        sheet.dispute()
        audit.record("practical.dispute", "score_sheet", sheet.id,
                     after={"threshold": threshold, "tasks": [
                         {"task": r.task, "a": r.score_a, "b": r.score_b, "vetoes_a": r.vetoes_a, "vetoes_b": r.vetoes_b}
                         for r in rows if r.disputed(threshold)]})
        return
    sheet.finals = {r.task: {"score": r.agreed[0], "vetoes": list(r.agreed[1]), "source": "agreed"} for r in rows}
    _lock(sheet, now)


def _lock(sheet: ScoreSheet, now: dt.datetime) -> None:
    sheet.lock(now)
    _recompute(sheet)
    audit.record("practical.lock", "score_sheet", sheet.id,
                 after={"total": sheet.total, "passed": sheet.passed, "veto_failed": sheet.veto_failed,
                        "finals": sheet.finals})


def _recompute(sheet: ScoreSheet) -> scoring.SheetResult:
    """Totals from the finals; the registration records the sitting's result (make-up rules read it)."""
    finals = {code: (f["score"], f.get("vetoes") or []) for code, f in (sheet.finals or {}).items()}
    result = scoring.sheet_result(parsed(sheet.rubric), sheet.drawn, finals)
    sheet.total, sheet.veto_failed = result.total, result.veto_failed
    sheet.passed = results.practical_passed(result.total, result.pass_mark, result.veto_failed) and result.complete
    reg = db.session.get(Registration, sheet.registration_id)
    if reg.state == RegistrationState.CHECKED_IN:
        reg.move_to(RegistrationState.COMPLETED)
    reg.passed = sheet.passed
    db.session.flush()
    return result


def _decision(task, raw_score, vetoes, note: str) -> dict:
    try:
        score = scoring.parse_task_score(raw_score)
    except scoring.ScoreInputError as exc:
        raise InvalidEntry(f"{task.code}：{exc.message}", field="score") from None
    unknown = [v for v in vetoes if task.veto(v) is None]
    if unknown:
        raise InvalidEntry(f"{task.code}：否决项 {'、'.join(unknown)} 不属于该题", field="vetoes")
    return {"score": score, "vetoes": [v.code for v in task.vetoes if v.code in vetoes], "note": note}


def resolve(sheet: ScoreSheet, user, decisions: dict[str, dict], *, now: dt.datetime | None = None) -> None:
    """The chief examiner (or an admin) decides each disputed task: ``decisions`` maps task code →
    {"score": typed score, "vetoes": [failed veto codes], "note": reason}. Undisputed tasks keep
    the mean of the two examiners. Locks the sheet."""
    _hold(sheet)
    sheet.require(SheetStatus.DISPUTED)
    session = db.session.get(ExamSession, sheet.session_id)
    if not is_chief(session, user):
        raise NotAllowed("只有本场次的主考评员或管理员可以裁定")
    rubric = parsed(sheet.rubric)
    a, b = sheet.marks
    rows = scoring.compare(rubric, sheet.drawn, a.marks, b.marks)
    threshold = dispute_threshold()
    finals, decided = {}, {}
    for r in rows:
        if not r.disputed(threshold):
            finals[r.task] = {"score": r.agreed[0], "vetoes": list(r.agreed[1]), "source": "agreed"}
            continue
        raw = decisions.get(r.task)
        if raw is None:
            raise InvalidEntry(f"请裁定 {r.task} 的得分", field="score")
        note = str(raw.get("note") or "").strip()
        if not note:
            raise InvalidEntry(f"请填写 {r.task} 的裁定理由", field="note")
        decided[r.task] = _decision(rubric.task(r.task), raw.get("score"), list(raw.get("vetoes") or []), note[:NOTE_MAX])
        finals[r.task] = {**decided[r.task], "source": "chief"}
    sheet.finals = finals
    audit.record("practical.resolve", "score_sheet", sheet.id, actor=user,
                 before={r.task: {"a": r.score_a, "b": r.score_b, "vetoes_a": r.vetoes_a, "vetoes_b": r.vetoes_b}
                         for r in rows if r.task in decided},
                 after=decided, reason="；".join(f"{k}：{v['note']}" for k, v in decided.items()))
    _lock(sheet, now or utcnow())


def amend(sheet: ScoreSheet, user, task_code: str, raw_score, vetoes: list[str], reason: str) -> None:
    """After the lock, the chief examiner or an admin changes a task's final score or veto items, with
    a reason; the audit log keeps the old and the new value. Totals and the result are recomputed."""
    _hold(sheet)
    sheet.require(SheetStatus.LOCKED)
    if not is_chief(db.session.get(ExamSession, sheet.session_id), user):
        raise NotAllowed("评分表已锁定，只有主考评员或管理员可以修改")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidEntry("修改已锁定的成绩须填写原因", field="reason")
    task = parsed(sheet.rubric).task(task_code)
    if task is None or task_code not in (sheet.finals or {}):
        raise InvalidEntry(f"题目 {task_code} 不在本评分表中", field="task")
    old = dict(sheet.finals[task_code])
    new = {**_decision(task, raw_score, vetoes, reason[:NOTE_MAX]), "source": "amended"}
    if new["score"] == old["score"] and new["vetoes"] == (old.get("vetoes") or []):
        raise InvalidEntry("得分和否决项都没有变化", field="score")
    before = {"task": task_code, "score": old["score"], "vetoes": old.get("vetoes") or [], "total": sheet.total,
              "passed": sheet.passed}
    sheet.finals = {**sheet.finals, task_code: new}
    _recompute(sheet)
    audit.record("practical.amend", "score_sheet", sheet.id, actor=user, reason=reason, before=before,
                 after={"task": task_code, "score": new["score"], "vetoes": new["vetoes"], "total": sheet.total,
                        "passed": sheet.passed})


def publish_session(session: ExamSession, *, actor) -> int:
    """Publish the session's locked sheets to candidates and employers. Returns how many were published."""
    sheets = db.session.scalars(sa.select(ScoreSheet).where(
        ScoreSheet.session_id == session.id, ScoreSheet.status == SheetStatus.LOCKED,
        ScoreSheet.published_at.is_(None))).all()
    now = utcnow()
    for sheet in sheets:
        sheet.publish(now)
    db.session.flush()
    audit.record("practical.publish", "exam_session", session.id, actor=actor, after={"count": len(sheets)})
    return len(sheets)
