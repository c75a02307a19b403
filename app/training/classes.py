"""Classes (培训班): creation, meetings checked against room and trainer conflicts, enrolment, attendance
by class QR or roster, hours, the class test, and completion (which writes the training record that
registration's eligibility check reads)."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.accounts.models import Role, User
from app.core import audit
from app.core.errors import DomainError
from app.core.timeutil import format_datetime, local_today, to_local
from app.db import utcnow
from app.extensions import db
from app.people.models import Person
from app.scheduling.models import ExamSession, Room, RoomKind, SessionStaff, StaffUnavailability, TrainingRecord
from app.scheduling.sessions import local_window
from app.training import outline as ol
from app.training.models import (
    Attendance,
    ClassState,
    CourseVersion,
    Enrolment,
    EnrolmentState,
    LessonProgress,
    Meeting,
    TrainingClass,
    VersionStatus,
)

SIGNIN_SALT = "class-signin-v1"
SIGNIN_OPENS_MINUTES = 30   # the class QR works from this long before a meeting …
SIGNIN_CLOSES_MINUTES = 30  # … until this long after it started
PROVIDER_PREFIX = "本基地培训班"


def required_hours_for(version: CourseVersion) -> float:
    """Hours a person must reach in a class of this course: the catalogue's hours for the kind, else the
    course's own total."""
    from app.training.courses import _item_hours
    want = ol.required_hours(version.course.kind, _item_hours(version.course.item))
    return float(want) if want is not None else float(version.hours)


def create_class(version: CourseVersion, name: str, start: dt.date, end: dt.date, capacity: int,
                 room: Room | None, trainers: list[User], *, has_test: bool, actor) -> TrainingClass:
    """A planned class of a published course version. Raises DomainError naming what is wrong."""
    if version.status != VersionStatus.PUBLISHED:
        raise DomainError("只能用已发布的课程开班", field="course_id")
    if end < start:
        raise DomainError("结束日期不能早于开始日期", field="end_date")
    if not 1 <= capacity <= 500:
        raise DomainError("人数上限应在 1–500 之间", field="capacity")
    if room is not None and room.kind != RoomKind.TRAINING:
        raise DomainError(f"{room.name} 不是培训教室", field="room_id")
    if room is not None and room.capacity < capacity:
        raise DomainError(f"{room.name} 只能容纳 {room.capacity} 人", field="capacity")
    if not trainers or any(not t.has_role(Role.TRAINER) for t in trainers):
        raise DomainError("请选择至少一名培训教师", field="trainer_ids")
    tc = TrainingClass(name=name.strip() or version.title, course_version_id=version.id, item_id=version.course.item_id,
                       room_id=room.id if room else None, start_date=start, end_date=end, capacity=capacity,
                       required_hours=required_hours_for(version), has_test=has_test,
                       created_by_id=getattr(actor, "id", None))
    tc.trainers = list(trainers)
    db.session.add(tc)
    db.session.flush()
    audit.record("class.create", "training_class", tc.id, actor=actor,
                 after={"course_version": version.id, "start": start.isoformat(), "end": end.isoformat(),
                        "capacity": capacity, "trainers": [t.username for t in trainers]})
    return tc


def _describe_meeting(m: Meeting) -> str:
    return f"{format_datetime(m.starts_at)}–{format_datetime(m.ends_at)[-5:]} 培训班“{m.training_class.name}”"


def _describe_session(s: ExamSession) -> str:
    return f"{format_datetime(s.starts_at)}–{format_datetime(s.ends_at)[-5:]} {s.room.name}（考试场次 {s.id}）"


def meeting_conflict(tc: TrainingClass, starts: dt.datetime, ends: dt.datetime, *,
                     meeting_id: int | None = None) -> str | None:
    """Why a meeting at this time cannot take place (room or trainer double-booked against exam sessions,
    other classes' meetings, or a trainer's registered absence), or None."""
    others = sa.select(Meeting).join(TrainingClass).where(Meeting.starts_at < ends, Meeting.ends_at > starts)
    if meeting_id:
        others = others.where(Meeting.id != meeting_id)
    if tc.room_id:
        session = db.session.scalars(sa.select(ExamSession).where(
            ExamSession.room_id == tc.room_id, ExamSession.starts_at < ends, ExamSession.ends_at > starts)).first()
        if session is not None:
            return f"{tc.room.name} 在这个时间已有{_describe_session(session)}"
        clash = db.session.scalars(others.where(TrainingClass.room_id == tc.room_id)).first()
        if clash is not None:
            return f"{tc.room.name} 在这个时间已有{_describe_meeting(clash)}"
    for trainer in tc.trainers:
        duty = db.session.scalars(sa.select(ExamSession).join(SessionStaff).where(
            SessionStaff.user_id == trainer.id, ExamSession.starts_at < ends, ExamSession.ends_at > starts)).first()
        if duty is not None:
            return f"{trainer.display_name} 在这个时间已安排在{_describe_session(duty)}"
        busy = db.session.scalars(others.where(TrainingClass.trainers.any(User.id == trainer.id))).first()
        if busy is not None:
            return f"{trainer.display_name} 在这个时间要讲授{_describe_meeting(busy)}"
        day = to_local(starts).date()
        away = db.session.scalars(sa.select(StaffUnavailability).where(
            StaffUnavailability.user_id == trainer.id, StaffUnavailability.start_date <= day,
            StaffUnavailability.end_date >= day)).first()
        if away is not None:
            return f"{trainer.display_name} 在 {day:%Y-%m-%d} 不可用（{away.reason or '已登记不可用'}）"
    return None


def add_meeting(tc: TrainingClass, day: dt.date, start: dt.time, end: dt.time, hours: float, topic: str, *,
                actor) -> Meeting:
    """A meeting within the class's dates, free of room and trainer conflicts. Raises DomainError."""
    if tc.state == ClassState.CLOSED:
        raise DomainError("培训班已结班，不能再安排课次")
    if not tc.start_date <= day <= tc.end_date:
        raise DomainError(f"课次日期应在开班日期 {tc.start_date:%Y-%m-%d} 至 {tc.end_date:%Y-%m-%d} 之间", field="day")
    starts, ends = local_window(day, start, end)
    if ends <= starts:
        raise DomainError("结束时间必须晚于开始时间", field="end")
    span_hours = (ends - starts).total_seconds() / 3600
    if not 0 < hours <= math.ceil(span_hours * 4 / 3 * 2) / 2 or hours * 2 != int(hours * 2):
        # a 学时 is 45 minutes: a meeting credits at most its length in 学时
        raise DomainError(f"学时应为正的整数或 .5，且不超过该时段可授学时（{span_hours * 4 / 3:.1f}）", field="hours")
    problem = meeting_conflict(tc, starts, ends)
    if problem:
        raise DomainError(problem)
    meeting = Meeting(training_class=tc, starts_at=starts, ends_at=ends, hours=hours, topic=topic.strip())
    db.session.add(meeting)
    db.session.flush()
    audit.record("class.meeting_add", "training_class", tc.id, actor=actor,
                 after={"meeting": meeting.id, "starts": starts.isoformat(), "hours": hours})
    return meeting


def set_class_state(tc: TrainingClass, state: ClassState, *, actor) -> None:
    before = tc.state
    tc.move_to(state)
    db.session.flush()
    audit.record("class.state", "training_class", tc.id, actor=actor, before={"state": before},
                 after={"state": str(state)})


def cancel_meeting(meeting: Meeting, reason: str, *, actor) -> None:
    """取消课次: a meeting set by mistake or called off, removed before anybody signed in (hours credited
    there would otherwise vanish). The room and the trainers are free again; the audit entry keeps what
    the meeting was and why it was cancelled. To move a meeting, cancel it and add the new time."""
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError("请填写取消原因", field="reason")
    if len(reason) > 200:
        raise DomainError("取消原因不能超过 200 个字", field="reason")
    tc = meeting.training_class
    if tc.state == ClassState.CLOSED:
        raise DomainError("培训班已结班，不能再取消课次")
    signed = db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)
                               .where(Attendance.meeting_id == meeting.id)) or 0
    if signed:
        raise DomainError(f"该课次已有 {signed} 人签到，学时已计入，不能取消")
    before = {"meeting": meeting.id, "starts": meeting.starts_at.isoformat(), "ends": meeting.ends_at.isoformat(),
              "hours": meeting.hours, "topic": meeting.topic}
    tc.meetings.remove(meeting)
    db.session.delete(meeting)
    db.session.flush()
    audit.record("class.meeting_cancel", "training_class", tc.id, actor=actor, before=before,
                 after={"reason": reason})


# ---- enrolment ------------------------------------------------------------------------------

def enrol(tc: TrainingClass, people: list[Person], *, actor) -> list[tuple[Person, str | None]]:
    """Enrol each person (already enrolled ones are reported, not doubled). Returns (person, refusal or None)."""
    if tc.state == ClassState.CLOSED:
        raise DomainError("培训班已结班，不能再报名")
    taken = db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment).where(
        Enrolment.class_id == tc.id, Enrolment.state != EnrolmentState.WITHDRAWN)) or 0
    existing = {e.person_id: e for e in db.session.scalars(sa.select(Enrolment).where(Enrolment.class_id == tc.id))}
    out = []
    for person in people:
        earlier = existing.get(person.id)
        if earlier is not None and earlier.state != EnrolmentState.WITHDRAWN:
            out.append((person, f"{person.name} 已在本班"))
            continue
        if taken >= tc.capacity:
            out.append((person, f"本班已满（{tc.capacity} 人），{person.name} 未能报名"))
            continue
        if earlier is not None:  # withdrawn before: back in the class, with the hours already signed for
            earlier.state = EnrolmentState.ENROLLED
            db.session.flush()
            audit.record("class.enrol", "enrolment", earlier.id, actor=actor,
                         before={"state": EnrolmentState.WITHDRAWN.value},
                         after={"class": tc.id, "person": person.id_number[-4:], "state": EnrolmentState.ENROLLED.value})
            taken += 1
            out.append((person, None))
            continue
        enrolment = Enrolment(class_id=tc.id, person_id=person.id, employer_id=person.employer_id,
                              enrolled_by_id=getattr(actor, "id", None))
        db.session.add(enrolment)
        db.session.flush()
        audit.record("class.enrol", "enrolment", enrolment.id, actor=actor,
                     after={"class": tc.id, "person": person.id_number[-4:]})
        taken += 1
        existing[person.id] = enrolment
        out.append((person, None))
    return out


def withdraw(enrolment: Enrolment, reason: str, *, actor) -> None:
    """退出培训班: the person leaves the class (the seat is freed; hours already signed for are kept and
    count again if they re-enrol). Only while in training and the class is not closed; a reason is required."""
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError("请填写退出原因", field="reason")
    if len(reason) > 200:
        raise DomainError("退出原因不能超过 200 个字", field="reason")
    if enrolment.state == EnrolmentState.COMPLETED:
        raise DomainError(f"{enrolment.person.name} 已结业，不能退出")
    if enrolment.state == EnrolmentState.WITHDRAWN:
        raise DomainError(f"{enrolment.person.name} 已退出本班")
    if enrolment.training_class.state == ClassState.CLOSED:
        raise DomainError("培训班已结班，不能再办理退出")
    enrolment.state = EnrolmentState.WITHDRAWN
    db.session.flush()
    audit.record("class.withdraw", "enrolment", enrolment.id, actor=actor,
                 before={"state": EnrolmentState.ENROLLED.value},
                 after={"state": EnrolmentState.WITHDRAWN.value, "reason": reason})


def enrolment_for(tc: TrainingClass, person_id: int) -> Enrolment | None:
    return db.session.scalar(sa.select(Enrolment).where(Enrolment.class_id == tc.id, Enrolment.person_id == person_id,
                                                        Enrolment.state != EnrolmentState.WITHDRAWN))


# ---- attendance -----------------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SIGNIN_SALT)


def signin_window(meeting: Meeting) -> tuple[dt.datetime, dt.datetime]:
    return (meeting.starts_at - dt.timedelta(minutes=SIGNIN_OPENS_MINUTES),
            meeting.starts_at + dt.timedelta(minutes=SIGNIN_CLOSES_MINUTES))


def signin_token(meeting: Meeting) -> str:
    """What the class QR carries: the meeting and the end of its sign-in window, signed."""
    _opens, closes = signin_window(meeting)
    return _serializer().dumps([meeting.id, int(closes.timestamp())])


def meeting_from_token(token: str, now: dt.datetime | None = None) -> Meeting:
    """The meeting a scanned class QR names. Raises DomainError for a forged, unknown or expired code."""
    now = now or utcnow()
    try:
        meeting_id, closes = _serializer().loads((token or "")[:300])
    except (BadSignature, ValueError, TypeError):
        raise DomainError("签到二维码无效，请重新扫描培训教师出示的二维码") from None
    meeting = db.session.get(Meeting, meeting_id) if isinstance(meeting_id, int) else None
    if meeting is None:
        raise DomainError("签到二维码无效，请重新扫描培训教师出示的二维码")
    if not isinstance(closes, int) or now.timestamp() > closes:
        raise DomainError("签到二维码已过期，请向培训教师索取本次课的签到码")
    return meeting


def _credit(meeting: Meeting, enrolment: Enrolment, method: str, actor, now: dt.datetime) -> Attendance:
    if enrolment.state == EnrolmentState.WITHDRAWN:
        raise DomainError(f"{enrolment.person.name} 已退出本班")
    existing = db.session.scalar(sa.select(Attendance).where(Attendance.meeting_id == meeting.id,
                                                             Attendance.enrolment_id == enrolment.id))
    if existing is not None:
        raise DomainError(f"{enrolment.person.name} 已于 {format_datetime(existing.signed_at)} 签到")
    row = Attendance(meeting_id=meeting.id, enrolment_id=enrolment.id, method=method, hours=meeting.hours,
                     signed_at=now, recorded_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    audit.record("class.attend", "enrolment", enrolment.id, actor=actor,
                 after={"meeting": meeting.id, "method": method, "hours": meeting.hours})
    update_completion(enrolment, actor=actor)
    return row


def sign_in_by_qr(meeting: Meeting, person: Person, *, actor, now: dt.datetime | None = None) -> Attendance:
    """A logged-in candidate signs in to the meeting the QR named. Raises DomainError when not enrolled,
    outside the sign-in window or already signed in."""
    now = now or utcnow()
    tc = meeting.training_class
    enrolment = enrolment_for(tc, person.id)
    if enrolment is None:
        raise DomainError(f"{person.name} 不在培训班“{tc.name}”中，不能签到")
    opens, closes = signin_window(meeting)
    if now < opens:
        raise DomainError(f"签到尚未开始：{format_datetime(opens)} 开始签到")
    if now > closes:
        raise DomainError(f"已超过签到时间（{format_datetime(closes)} 截止），请联系培训教师")
    return _credit(meeting, enrolment, "qr", actor, now)


def mark_present(meeting: Meeting, enrolment: Enrolment, *, actor) -> Attendance:
    """The trainer's roster marks a person present (any time: the trainer vouches for it)."""
    if enrolment.class_id != meeting.class_id:
        raise DomainError("该学员不在本班")
    return _credit(meeting, enrolment, "roster", actor, utcnow())


# ---- hours and completion -------------------------------------------------------------------

@dataclass(frozen=True)
class Hours:
    attended: float
    online: float
    required: float

    @property
    def total(self) -> float:
        return round(self.attended + self.online, 2)

    @property
    def is_complete(self) -> bool:
        return self.total + 1e-9 >= self.required


def hours_of(enrolment: Enrolment) -> Hours:
    attended = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Attendance.hours), 0.0))
                                 .where(Attendance.enrolment_id == enrolment.id)) or 0.0
    online = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LessonProgress.hours_credited), 0.0))
                               .where(LessonProgress.enrolment_id == enrolment.id)) or 0.0
    return Hours(float(attended), float(online), float(enrolment.training_class.required_hours))


def record_test(enrolment: Enrolment, score: float, *, actor, pass_mark: float = 80) -> None:
    """The class test result (0–100; pass at ``pass_mark``), audited; completion is re-checked."""
    if not 0 <= score <= 100:
        raise DomainError("成绩应在 0–100 之间", field="score")
    before = {"score": enrolment.test_score, "passed": enrolment.test_passed}
    enrolment.test_score, enrolment.test_passed = score, score >= pass_mark
    db.session.flush()
    audit.record("class.test_score", "enrolment", enrolment.id, actor=actor, before=before,
                 after={"score": score, "passed": enrolment.test_passed})
    update_completion(enrolment, actor=actor)


def update_completion(enrolment: Enrolment, *, actor=None) -> bool:
    """Complete the enrolment once the hours reach the requirement and the class test (if any) is passed,
    and write or update the person's training record for the item (dates, hours, lead trainer). The record
    keeps up with hours credited after completion. Returns True when the enrolment is complete."""
    tc = enrolment.training_class
    hours = hours_of(enrolment)
    done = hours.is_complete and (not tc.has_test or bool(enrolment.test_passed))
    if not done or enrolment.state == EnrolmentState.WITHDRAWN:
        return False
    today = local_today()
    end = min(tc.end_date, today)
    start = min(tc.start_date, end)
    trainer_id = tc.trainers[0].id if tc.trainers else None
    record = db.session.get(TrainingRecord, enrolment.training_record_id) if enrolment.training_record_id else None
    if record is None:
        record = TrainingRecord(person_id=enrolment.person_id, item_id=tc.item_id, start_date=start, end_date=end,
                                hours=hours.total, provider=f"{PROVIDER_PREFIX}（{tc.name}）"[:100],
                                trainer_id=trainer_id)
        db.session.add(record)
        db.session.flush()
        enrolment.training_record_id = record.id
    elif record.hours == hours.total:
        return True
    else:
        record.hours = hours.total
    if enrolment.state != EnrolmentState.COMPLETED:
        enrolment.state = EnrolmentState.COMPLETED
        enrolment.completed_at = utcnow()
    db.session.flush()
    audit.record("class.complete", "enrolment", enrolment.id, actor=actor,
                 after={"hours": hours.total, "required": hours.required, "training_record": record.id})
    return True


# ---- lists ----------------------------------------------------------------------------------

def class_rows(tc: TrainingClass) -> list[tuple[Enrolment, Hours]]:
    """The class's enrolments (not withdrawn) by name, each with their hours."""
    enrolments = db.session.scalars(sa.select(Enrolment).join(Person).where(
        Enrolment.class_id == tc.id, Enrolment.state != EnrolmentState.WITHDRAWN).order_by(Person.name, Person.id)).all()
    return [(e, hours_of(e)) for e in enrolments]


def present_ids(meeting: Meeting) -> dict[int, Attendance]:
    return {a.enrolment_id: a for a in db.session.scalars(sa.select(Attendance).where(Attendance.meeting_id == meeting.id))}


def classes_for(user) -> list[TrainingClass]:
    """The classes a user sees: a trainer their own, the office every class."""
    stmt = sa.select(TrainingClass).order_by(TrainingClass.start_date.desc(), TrainingClass.id.desc())
    if not user.has_role(Role.ADMIN, Role.SCHEDULER, Role.EMPLOYER):
        stmt = stmt.where(TrainingClass.trainers.any(User.id == user.id))
    return db.session.scalars(stmt).all()


def is_trainer_of(user, tc: TrainingClass) -> bool:
    return any(t.id == user.id for t in tc.trainers)


def person_enrolments(person_id: int) -> list[Enrolment]:
    return db.session.scalars(sa.select(Enrolment).where(Enrolment.person_id == person_id,
                                                         Enrolment.state != EnrolmentState.WITHDRAWN)
                              .order_by(Enrolment.id.desc())).all()


def today_in(tc: TrainingClass) -> bool:
    return tc.start_date <= local_today() <= tc.end_date
