"""Class documents: the roster and the sign-in sheet as PDF, the hours report per employer as XLSX."""
from __future__ import annotations

import sqlalchemy as sa

from app.core.ids import mask_id_number
from app.core.pdf import render_pdf
from app.core.timeutil import format_date, format_datetime, to_local
from app.core.xlsx import workbook_bytes
from app.extensions import db
from app.people.models import Employer, Person
from app.training import classes as class_svc
from app.training.models import Enrolment, EnrolmentState, TrainingClass

HOURS_HEADERS = ["单位", "姓名", "身份证号码", "培训班", "考核项目", "开班日期", "结业日期", "面授学时", "在线学时",
                 "合计学时", "要求学时", "班级考试", "状态"]


def _trainers(tc: TrainingClass) -> str:
    return "、".join(t.display_name for t in tc.trainers)


def roster_pdf(tc: TrainingClass) -> bytes:
    """花名册: everyone in the class with employer, masked ID, hours and status."""
    rows = [(e, h, mask_id_number(e.person.id_number)) for e, h in class_svc.class_rows(tc)]
    return render_pdf("training/pdf_roster.html", tc=tc, rows=rows, trainers=_trainers(tc),
                      states=EnrolmentState, format_date=format_date)


def signin_pdf(tc: TrainingClass) -> bytes:
    """签到表: one page per meeting, a line per person with the sign-in time (if any) and a signature box."""
    rows = class_svc.class_rows(tc)
    pages = []
    for meeting in tc.meetings:
        present = class_svc.present_ids(meeting)
        lines = [(e, present.get(e.id)) for e, _h in rows]
        pages.append((meeting, lines))
    return render_pdf("training/pdf_signin.html", tc=tc, pages=pages, trainers=_trainers(tc),
                      format_datetime=format_datetime, to_local=to_local, mask=mask_id_number)


def hours_rows(employer_id: int | None) -> list[list]:
    """One row per enrolment (not withdrawn) of the employer's staff (everyone's when None), by employer and name."""
    stmt = (sa.select(Enrolment).join(Person, Person.id == Enrolment.person_id)
            .outerjoin(Employer, Employer.id == Enrolment.employer_id)
            .where(Enrolment.state != EnrolmentState.WITHDRAWN).order_by(Employer.name, Person.name, Enrolment.id))
    if employer_id is not None:
        stmt = stmt.where(Enrolment.employer_id == employer_id)
    out = []
    for e in db.session.scalars(stmt):
        tc = e.training_class
        h = class_svc.hours_of(e)
        test = "—" if not tc.has_test else ("未考" if e.test_passed is None else ("合格" if e.test_passed else "不合格"))
        employer = db.session.get(Employer, e.employer_id).name if e.employer_id else "个人"
        out.append([employer, e.person.name, mask_id_number(e.person.id_number), tc.name, tc.item.name,
                    format_date(tc.start_date), format_date(tc.end_date), h.attended, h.online, h.total, h.required,
                    test, EnrolmentState(e.state).label])
    return out


def hours_xlsx(employer_id: int | None) -> bytes:
    return workbook_bytes("培训学时", HOURS_HEADERS, hours_rows(employer_id))
