"""What the practical pages, the archive PDF and the XLSX export show (no queries in templates)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import url_for

from app.accounts.models import Role
from app.core.audit import AuditEntry
from app.core.ids import mask_id_number
from app.core.timeutil import format_date, format_datetime
from app.extensions import db
from app.practical import scoring, services
from app.practical.models import DrawMode, ScoreSheet, SheetStatus
from app.practical.rubric_store import parsed
from app.scheduling.models import ExamSession


def staff_line(session: ExamSession) -> str:
    """The session's examiners as one line, e.g. "考评员：张三；主考评员：李四"."""
    from app.scheduling.checkin import staff_names
    return staff_names(session)


def _photo_url(person) -> str | None:
    return url_for("people.person_photo", person_id=person.id) if person.photo_file else None


def _task_data(task) -> dict:
    """A drawn task as the tablet script needs it."""
    return {"limit": task.time_limit_minutes,
            "points": {p.code: {"max": p.max, "typical": [d.points for d in p.deductions]} for p in task.points},
            "vetoes": [v.code for v in task.vetoes]}


def _first_summary(sheet: ScoreSheet, user) -> dict | None:
    """The other examiner's signed task scores, shown to a second examiner who has entered nothing
    (so entering independently stays blind; confirming shows what is adopted)."""
    mine = sheet.mark_of(user.id)
    other = next((m for m in sheet.marks if m.examiner_id != user.id and m.signed_at), None)
    if other is None or (mine is not None and (mine.signed_at or any(mine.marks.values()))):
        return None
    rubric = parsed(sheet.rubric)
    tasks = [{"task": code, "score": scoring.task_score(rubric.task(code), other.marks.get(code)),
              "vetoes": scoring.failed_vetoes(rubric.task(code), other.marks.get(code))} for code in sheet.drawn.values()]
    return {"examiner": other.examiner.display_name, "tasks": tasks}


def sheet_context(sheet: ScoreSheet, user) -> dict:
    """Everything the tablet page renders for this user."""
    rubric = parsed(sheet.rubric)
    session = db.session.get(ExamSession, sheet.session_id)
    reg = sheet.registration
    me = sheet.mark_of(user.id)
    refusal = services.scoring_refusal(session, sheet.item_id, user)
    free_place = me is not None or len(sheet.marks) < 2
    can_enter = (refusal is None and sheet.status == SheetStatus.SCORING and free_place
                 and (me is None or me.signed_at is None))
    drawn = {t.subject: t for t in sheet.tasks}
    subjects = [{"subject": s, "drawn": drawn.get(s.code), "task": rubric.task(drawn[s.code].task_code)
                 if s.code in drawn else None} for s in rubric.subjects]
    my_marks = me.marks if me else {}
    both_signed = len(sheet.marks) == 2 and all(m.signed_at for m in sheet.marks)
    threshold = services.dispute_threshold()
    comparisons = scoring.compare(rubric, sheet.drawn, *(m.marks for m in sheet.marks)) if both_signed else []
    finals = sheet.finals or {}
    summary = _first_summary(sheet, user) if can_enter else None
    data = {"sheet": sheet.id, "user": user.id, "entryUrl": url_for("practical.entry", sheet_id=sheet.id),
            "lastSeq": me.last_seq if me else 0, "passMark": rubric.pass_mark,
            "weights": {s.code: s.weight for s in rubric.subjects}, "drawn": sheet.drawn,
            "tasks": {t["task"].code: _task_data(t["task"]) for t in subjects if t["task"]},
            "marks": my_marks, "editable": can_enter}
    return {"sheet": sheet, "session": session, "reg": reg, "person": reg.person, "photo_url": _photo_url(reg.person),
            "rubric": rubric, "status": SheetStatus(sheet.status), "subjects": subjects, "me": me,
            "my_marks": my_marks, "my_result": scoring.marks_result(rubric, sheet.drawn, my_marks),
            "can_enter": can_enter, "show_mine": can_enter or me is not None,
            # The office reads the sheet; an examiner who may not score is told why.
            "refusal": refusal if sheet.status == SheetStatus.SCORING and user.has_role(Role.EXAMINER) else None,
            "examiners": sheet.marks, "comparisons": comparisons, "threshold": threshold, "summary": summary,
            "finals": finals, "is_chief": services.is_chief(session, user), "draw_modes": DrawMode,
            "amendments": amendments(sheet), "data": data,
            "final_result": _final_result(sheet, rubric) if finals else None}


def _final_result(sheet: ScoreSheet, rubric) -> scoring.SheetResult:
    return scoring.sheet_result(rubric, sheet.drawn, {c: (f["score"], f.get("vetoes") or [])
                                                      for c, f in (sheet.finals or {}).items()})


def amendments(sheet: ScoreSheet) -> list[AuditEntry]:
    """Changes after the lock, oldest first, from the audit log."""
    return db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.object_type == "score_sheet", AuditEntry.object_id == str(sheet.id),
        AuditEntry.action.in_(["practical.amend", "practical.resolve", "practical.redraw"]))
        .order_by(AuditEntry.seq)).all()


def _sheets(session: ExamSession) -> list[ScoreSheet]:
    from app.scheduling.models import Registration
    return db.session.scalars(sa.select(ScoreSheet).join(Registration, Registration.id == ScoreSheet.registration_id)
                              .where(ScoreSheet.session_id == session.id)
                              .order_by(Registration.ticket_no, ScoreSheet.id)).all()


def _veto_text(rubric, task_code: str, codes) -> str:
    task = rubric.task(task_code)
    return "；".join(f"{c} {task.veto(c).text}" for c in codes if task and task.veto(c))


def archive_sheets(session: ExamSession) -> list[dict]:
    """Each sheet of the session as the archive PDF prints it."""
    out = []
    for sheet in _sheets(session):
        rubric = parsed(sheet.rubric)
        finals = sheet.finals or {}
        rows = []
        for s in rubric.subjects:
            drawn = next((t for t in sheet.tasks if t.subject == s.code), None)
            task = rubric.task(drawn.task_code) if drawn else None
            final = finals.get(drawn.task_code) if drawn else None
            rows.append({"subject": s, "task": task, "drawn": drawn,
                         "mode": DrawMode(drawn.drawn_by).label if drawn else "",
                         "scores": [scoring.task_score(task, m.marks.get(task.code)) if task else None
                                    for m in sheet.marks],
                         "final": final, "weighted": scoring.weighted(final["score"], s.weight) if final else None,
                         "vetoes": _veto_text(rubric, drawn.task_code, final.get("vetoes") or []) if final else ""})
        out.append({"sheet": sheet, "person": sheet.registration.person, "reg": sheet.registration, "rubric": rubric,
                    "rows": rows, "status": SheetStatus(sheet.status).label, "examiners": sheet.marks,
                    "amendments": amendments(sheet)})
    return out


XLSX_HEADERS = ["准考证号", "姓名", "身份证号码", "工作单位", "K1 题目", "K1 得分", "K2 题目", "K2 得分", "K3 题目",
                "K3 得分", "K4 题目", "K4 得分", "总分", "否决项", "结果", "状态", "考评员一", "签字时间一",
                "考评员二", "签字时间二", "锁定时间", "公布时间", "评分表版本"]


def xlsx_rows(session: ExamSession) -> tuple[list[str], list[list]]:
    """One row per sheet (subject scores are weighted: task score / 100 × weight)."""
    rows = []
    for item in archive_sheets(session):
        sheet, person = item["sheet"], item["person"]
        cells = [item["reg"].ticket_no or "", person.name, mask_id_number(person.id_number),
                 person.employer.name if person.employer else "个人"]
        for row in item["rows"]:
            cells += [f"{row['task'].code} {row['task'].name}" if row["task"] else "", row["weighted"]]
        vetoes = "；".join(r["vetoes"] for r in item["rows"] if r["vetoes"])
        result = "" if sheet.passed is None else ("合格" if sheet.passed else "不合格")
        cells += [sheet.total, vetoes, result, item["status"]]
        for position in (0, 1):
            mark = sheet.marks[position] if len(sheet.marks) > position else None
            cells += [mark.examiner.display_name if mark else "", format_datetime(mark.signed_at) if mark else ""]
        cells += [format_datetime(sheet.locked_at), format_datetime(sheet.published_at),
                  f"{item['rubric'].item} v{item['rubric'].version}"]
        rows.append(cells)
    return XLSX_HEADERS, rows


def result_row(sheet: ScoreSheet) -> dict:
    """A published result line for the candidate or the employer."""
    rubric = parsed(sheet.rubric)
    session = db.session.get(ExamSession, sheet.session_id)
    finals = sheet.finals or {}
    subjects = []
    for s in rubric.subjects:
        code = sheet.drawn.get(s.code)
        final = finals.get(code) if code else None
        subjects.append({"code": s.code, "name": s.name, "weight": s.weight,
                         "score": scoring.weighted(final["score"], s.weight) if final else None})
    person = sheet.registration.person
    return {"name": person.name, "id_number": person.id_number, "item": rubric.item, "date": format_date(session.day),
            "total": sheet.total, "passed": sheet.passed, "veto_failed": sheet.veto_failed,
            "pass_mark": rubric.pass_mark, "subjects": subjects, "is_makeup": sheet.registration.is_makeup}
