"""Registration (报名): eligibility from the records we hold, review by the base, notices."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from app.catalog.models import CatalogItem
from app.catalog.services import rule_value
from app.core import audit
from app.core.errors import DomainError
from app.core.timeutil import local_today
from app.extensions import db
from app.people.models import Person
from app.scheduling import eligibility as el
from app.scheduling.models import (
    OPEN_REGISTRATION_STATES,
    ApplicationBan,
    HealthCommitment,
    Notice,
    Registration,
    RegistrationState,
    TrainingRecord,
)

PART_LABELS = {el.PART_THEORY: "理论考试", el.PART_PRACTICAL: "实际操作考试"}


class RegistrationRefused(DomainError):
    """Eligibility refused the registration; ``refusals`` lists every rule that did."""

    code = "not_eligible"

    def __init__(self, person: Person, refusals):
        self.refusals = list(refusals)
        super().__init__(f"{person.name}：" + "".join(r.message for r in self.refusals))


def settings() -> el.Settings:
    return el.Settings(min_age=rule_value("min_age", 18), retirement_age_male=rule_value("retirement_age_male", 60),
                       retirement_age_female=rule_value("retirement_age_female", 55),
                       passed_part_valid_months=rule_value("passed_part_valid_months", 12),
                       makeups_allowed=rule_value("makeups_allowed", 1))


def item_rules(item: CatalogItem) -> el.ItemRules:
    return el.ItemRules(name=item.name, is_special=item.is_special, min_education=item.min_education or "",
                        practical_required=item.practical_required,
                        training_hours_required=item.training_hours_initial)


def part_results(person_id: int, item_id: int) -> list[el.PartResult]:
    """Past sittings of this item's parts: graded (passed known) or absent."""
    rows = db.session.execute(
        sa.select(Registration.part, Registration.passed, Registration.state, Registration.session_id,
                  Registration.requested_date)
        .where(Registration.person_id == person_id, Registration.item_id == item_id,
               Registration.state.in_([RegistrationState.COMPLETED, RegistrationState.ABSENT]))).all()
    from app.scheduling.models import ExamSession
    days = {s.id: s.day for s in db.session.scalars(sa.select(ExamSession).where(
        ExamSession.id.in_([r.session_id for r in rows if r.session_id])))}
    out = []
    for part, passed, state, session_id, requested in rows:
        if state == RegistrationState.COMPLETED and passed is None:
            continue  # sat, result not known yet
        out.append(el.PartResult(part=part, sat_on=days.get(session_id, requested),
                                 passed=bool(passed) and state == RegistrationState.COMPLETED))
    return sorted(out, key=lambda r: r.sat_on)


def decide(person: Person, item: CatalogItem, part: str, exam_date: dt.date, *, is_review: bool = False) -> el.Decision:
    """Run every eligibility rule for this person, item, part and date against the records held."""
    commitment = db.session.get(HealthCommitment, person.id)
    training = [el.TrainingRecord(end_date=t.end_date, hours=t.hours) for t in db.session.scalars(
        sa.select(TrainingRecord).where(TrainingRecord.person_id == person.id, TrainingRecord.item_id == item.id))]
    bans = [el.Ban(until=b.until, ground=b.ground) for b in db.session.scalars(
        sa.select(ApplicationBan).where(ApplicationBan.person_id == person.id))]
    candidate = el.Candidate(birth_date=person.birth_date, sex=person.sex, education=person.education,
                             health_commitment_signed=commitment is not None and commitment.signed_on <= exam_date)
    return el.check_eligibility(candidate, item_rules(item), settings(), part=part, exam_date=exam_date,
                                training=training, results=part_results(person.id, item.id), bans=bans,
                                holds_valid_certificate=holds_valid_certificate(person.id, item.id),
                                is_review=is_review)


def holds_valid_certificate(person_id: int, item_id: int) -> bool:
    """Whether the person holds a valid (or review-due) certificate of this item (certificates domain)."""
    from app.certificates.services import holds_valid_certificate as holds
    return holds(person_id, item_id)


def register(person: Person, item: CatalogItem, part: str, requested_date: dt.date, *, actor=None,
             is_review: bool = False) -> Registration:
    """Submit a registration after the eligibility check. Raises RegistrationRefused listing every
    rule that refuses, or DomainError for an open registration of the same item and part."""
    if part not in PART_LABELS:
        raise DomainError("考试科目应为理论考试或实际操作考试")
    if not item.is_active:
        raise DomainError(f"{item.name} 已停用，暂不受理报名")
    if requested_date < local_today():
        raise DomainError("希望考试日期不能早于今天", field="requested_date")
    open_one = db.session.scalar(sa.select(Registration).where(
        Registration.person_id == person.id, Registration.item_id == item.id, Registration.part == part,
        Registration.state.in_(OPEN_REGISTRATION_STATES)))
    if open_one is not None:
        state = RegistrationState(open_one.state).label
        raise DomainError(f"{person.name} 已有一条{item.name}{PART_LABELS[part]}的报名（{state}），不能重复报名")
    decision = decide(person, item, part, requested_date, is_review=is_review)
    if not decision.ok:
        raise RegistrationRefused(person, decision.refusals)
    reg = Registration(person_id=person.id, item_id=item.id, part=part, employer_id=person.employer_id,
                       requested_date=requested_date, is_makeup=decision.is_makeup, is_review=is_review,
                       created_by_id=getattr(actor, "id", None))
    db.session.add(reg)
    db.session.flush()
    audit.record("registration.submit", "registration", reg.id, actor=actor,
                 after={"person": person.id_number[-4:], "item": item.name, "part": part, "makeup": decision.is_makeup})
    return reg


def approve(reg: Registration, *, actor=None) -> None:
    """The base accepts the registration (eligibility is checked again on the requested date)."""
    decision = decide(reg.person, reg.item, reg.part, reg.requested_date, is_review=reg.is_review)
    if not decision.ok:
        raise RegistrationRefused(reg.person, decision.refusals)
    reg.move_to(RegistrationState.APPROVED)
    notify(reg, "registration.approved", "报名已审核通过",
           f"{reg.person.name} 的{reg.item.name}{PART_LABELS[reg.part]}报名已审核通过，排考后将另行通知考试时间和考场。")
    audit.record("registration.approve", "registration", reg.id, actor=actor)


def reject(reg: Registration, reason: str, *, actor=None) -> None:
    if not reason.strip():
        raise DomainError("请填写退回原因", field="reason")
    reg.move_to(RegistrationState.REJECTED)
    reg.reason = reason.strip()
    notify(reg, "registration.rejected", "报名被退回", f"{reg.person.name} 的{reg.item.name}报名被退回：{reg.reason}")
    audit.record("registration.reject", "registration", reg.id, actor=actor, reason=reason)


def cancel(reg: Registration, reason: str, *, actor=None) -> None:
    if not reason.strip():
        raise DomainError("请填写取消原因", field="reason")
    reg.move_to(RegistrationState.CANCELLED)
    reg.reason = reason.strip()
    reg.session_id, reg.seat = None, None
    notify(reg, "registration.cancelled", "报名已取消", f"{reg.person.name} 的{reg.item.name}报名已取消：{reg.reason}")
    audit.record("registration.cancel", "registration", reg.id, actor=actor, reason=reason)


def notify(reg: Registration, kind: str, title: str, body: str, *, flush: bool = True) -> None:
    """One notice for the candidate and, when there is one, one for the employer (outbox rows).
    Batch callers pass flush=False and flush once at the end."""
    db.session.add(Notice(person_id=reg.person_id, kind=kind, title=title, body=body))
    if reg.employer_id:
        db.session.add(Notice(employer_id=reg.employer_id, person_id=reg.person_id, kind=kind, title=title, body=body))
    if flush:
        db.session.flush()


def record_health_commitment(person: Person, signed_on: dt.date, *, actor=None) -> None:
    row = db.session.get(HealthCommitment, person.id)
    if row is None:
        db.session.add(HealthCommitment(person_id=person.id, signed_on=signed_on, recorded_by_id=getattr(actor, "id", None)))
    else:
        row.signed_on = signed_on
    db.session.flush()
    audit.record("person.health_commitment", "person", person.id, actor=actor, after={"signed_on": signed_on.isoformat()})


def record_training(person: Person, item: CatalogItem, start: dt.date, end: dt.date, hours: float, *,
                    provider: str = "", trainer_id: int | None = None, actor=None) -> TrainingRecord:
    if end < start:
        raise DomainError("培训结束日期不能早于开始日期", field="end_date")
    if not 0 < hours <= 1000:
        raise DomainError("学时应大于 0 且不超过 1000", field="hours")
    if end > local_today():
        raise DomainError("只能登记已完成的培训", field="end_date")
    rec = TrainingRecord(person_id=person.id, item_id=item.id, start_date=start, end_date=end, hours=hours,
                         provider=provider, trainer_id=trainer_id)
    db.session.add(rec)
    db.session.flush()
    audit.record("training.record", "training_record", rec.id, actor=actor,
                 after={"person_id": person.id, "item": item.name, "hours": hours})
    return rec


@dataclass
class BatchOutcome:
    person: Person
    registration: Registration | None
    message: str


# ---- added for the pages

@dataclass
class PersonOutcome:
    """One person's result in a registration batch: the registration, or every reason it was refused."""

    person: Person
    registration: Registration | None
    messages: list[str]


def register_each(people: list[Person], item: CatalogItem, part: str, requested_date: dt.date, *,
                  actor=None) -> list[PersonOutcome]:
    """Register each person on their own (one savepoint each): a refusal neither stops nor undoes the
    others. Returns one outcome per person, in the order given, listing every rule that refused."""
    outcomes = []
    for person in people:
        try:
            with db.session.begin_nested():
                reg = register(person, item, part, requested_date, actor=actor)
        except RegistrationRefused as exc:
            outcomes.append(PersonOutcome(person, None, [r.message for r in exc.refusals]))
        except DomainError as exc:
            outcomes.append(PersonOutcome(person, None, [exc.message]))
        else:
            outcomes.append(PersonOutcome(person, reg, []))
    return outcomes


REVIEW_ACTIONS = {"approve": "审核通过", "reject": "退回", "cancel": "取消"}


def review_each(regs: list[Registration], action: str, reason: str = "", *,
                actor=None) -> list[tuple[Registration, str | None]]:
    """Approve, reject or cancel each registration on its own (one savepoint each). Returns
    (registration, None) when done or (registration, why not) — a refusal names every rule."""
    if action not in REVIEW_ACTIONS:
        raise DomainError("未知的审核操作", field="action")
    results = []
    for reg in regs:
        try:
            with db.session.begin_nested():
                if action == "approve":
                    approve(reg, actor=actor)
                elif action == "reject":
                    reject(reg, reason, actor=actor)
                else:
                    cancel(reg, reason, actor=actor)
        except RegistrationRefused as exc:
            results.append((reg, "；".join(r.message for r in exc.refusals)))
        except DomainError as exc:
            results.append((reg, exc.message))
        else:
            results.append((reg, None))
    return results


def withdraw(reg: Registration, reason: str, *, actor=None) -> None:
    """An employer withdraws a registration the base has not reviewed yet. Raises DomainError once
    it is approved or further on (then only the base's staff can cancel it)."""
    if reg.state != RegistrationState.SUBMITTED:
        raise DomainError(f"只能撤回尚未审核的报名（当前：{RegistrationState(reg.state).label}）。"
                          "已审核或已排考的报名，请联系考务人员取消。")
    cancel(reg, reason, actor=actor)


def registrable_items() -> list[CatalogItem]:
    """Catalogue items open for registration: active, with a theory paper plan or a practical part."""
    return db.session.scalars(sa.select(CatalogItem).where(
        CatalogItem.is_active.is_(True),
        sa.or_(CatalogItem.theory_blueprint != "", CatalogItem.practical_required.is_(True)))
        .order_by(CatalogItem.sort_order, CatalogItem.id)).all()


def person_records(person: Person) -> tuple[HealthCommitment | None, list[tuple[TrainingRecord, str]]]:
    """The health commitment (or None) and the person's training records with their item names, newest first."""
    records = db.session.execute(
        sa.select(TrainingRecord, CatalogItem.name).join(CatalogItem, CatalogItem.id == TrainingRecord.item_id)
        .where(TrainingRecord.person_id == person.id)
        .order_by(TrainingRecord.end_date.desc(), TrainingRecord.id.desc())).all()
    return db.session.get(HealthCommitment, person.id), [tuple(r) for r in records]
