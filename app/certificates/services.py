"""Certificate services: proposals, issuing in batches and the lifecycle (review, revoke, cancel,
replace). They flush, never commit; the view or CLI commits once. Settings and keys: ``settings``."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from app.catalog.models import CatalogItem
from app.catalog.services import rule_value
from app.certificates import rules, signing
from app.certificates.models import (
    Certificate,
    CertificateCard,
    CertificateProposal,
    CertificateReview,
    CertificateState,
    ProposalState,
)

# Settings and keys live in their own module; re-exported here for existing callers.
from app.certificates.settings import (  # noqa: E402,F401
    CertSettings,
    get_settings,
    keyring,
    public_settings,
    published_keys,
    save_settings,
)
from app.core import audit
from app.core.errors import DomainError
from app.core.timeutil import local_today
from app.db import utcnow
from app.extensions import db
from app.people.models import Person

# ---- outcomes (the practical domain answers) ---------------------------------------------------

def _overall_outcome(person_id: int, item_id: int, today: dt.date):
    """practical.services.overall_outcome (the practical domain decides what "passed" means)."""
    from app.practical.services import overall_outcome
    return overall_outcome(person_id, item_id, today)


def _theory_outcome(person_id: int, item_id: int):
    from app.practical.services import theory_outcome
    return theory_outcome(person_id, item_id)


def _practical_outcome(person_id: int, item_id: int):
    from app.practical.services import practical_outcome
    return practical_outcome(person_id, item_id)


def _last_session(outcome) -> int | None:
    parts = [p for p in (outcome.theory, outcome.practical) if p is not None and p.passed]
    parts.sort(key=lambda p: p.exam_date)
    return parts[-1].session_id if parts else None


# ---- proposals and issuing ----------------------------------------------------------------------

def live_certificate(person_id: int, item_id: int) -> Certificate | None:
    return db.session.scalar(sa.select(Certificate).where(
        Certificate.person_id == person_id, Certificate.item_id == item_id,
        Certificate.state == CertificateState.ISSUED).limit(1))


def propose(person: Person, item: CatalogItem, today: dt.date | None = None) -> CertificateProposal | None:
    """A proposal when the person passed every required part and holds no live certificate or
    pending proposal for the item; else None."""
    today = today or local_today()
    if live_certificate(person.id, item.id) is not None:
        return None
    if db.session.scalar(sa.select(CertificateProposal.id).where(
            CertificateProposal.person_id == person.id, CertificateProposal.item_id == item.id,
            CertificateProposal.state == ProposalState.PENDING)):
        return None
    outcome = _overall_outcome(person.id, item.id, today)
    if not outcome.passed or outcome.passed_on is None:
        return None
    latest = db.session.scalar(sa.select(Certificate).where(
        Certificate.person_id == person.id, Certificate.item_id == item.id).order_by(Certificate.id.desc()).limit(1))
    if latest is not None and latest.passed_on >= outcome.passed_on:
        return None   # this pass already led to a certificate (since revoked or cancelled)
    if db.session.scalar(sa.select(CertificateProposal.id).where(
            CertificateProposal.person_id == person.id, CertificateProposal.item_id == item.id,
            CertificateProposal.state == ProposalState.DISMISSED,
            CertificateProposal.passed_on >= outcome.passed_on).limit(1)):
        return None   # the officer declined this pass already; a later pass is proposed again
    proposal = CertificateProposal(person_id=person.id, item_id=item.id, passed_on=outcome.passed_on,
                                   session_id=_last_session(outcome))
    db.session.add(proposal)
    db.session.flush()
    return proposal


def propose_all(today: dt.date | None = None) -> list[CertificateProposal]:
    """Proposals for everyone with a passed, graded sitting and no certificate yet (idempotent)."""
    from app.scheduling.models import Registration, RegistrationState
    pairs = db.session.execute(sa.select(Registration.person_id, Registration.item_id).where(
        Registration.state == RegistrationState.COMPLETED, Registration.passed.is_(True)).distinct()).all()
    made = []
    for person_id, item_id in pairs:
        proposal = propose(db.session.get(Person, person_id), db.session.get(CatalogItem, item_id), today)
        if proposal is not None:
            made.append(proposal)
    return made


def _sign_card(cert: Certificate, reason: str) -> CertificateCard:
    kid, private = keyring().active()
    while True:
        public_id = signing.new_public_id()
        if not db.session.scalar(sa.select(CertificateCard.id).where(CertificateCard.public_id == public_id)):
            break
    token = signing.sign_token(private, kid, public_id, cert.item_id, cert.valid_until)
    card = CertificateCard(certificate=cert, public_id=public_id, key_id=kid, token=token, reason=reason)
    db.session.add(card)
    return card


def issue_certificate(proposal: CertificateProposal, *, today: dt.date | None = None, actor=None,
                      settings: CertSettings | None = None) -> Certificate:
    """Issue the certificate of a pending proposal: number (§6.1), dates, authority, a signed card.
    Re-checks that every required part is still passed. Raises DomainError otherwise."""
    today = today or local_today()
    settings = settings or get_settings()
    if proposal.state != ProposalState.PENDING:
        raise DomainError(f"{proposal.person.name} 的发证申请已处理（{ProposalState(proposal.state).label}）")
    person, item = proposal.person, proposal.item
    outcome = _overall_outcome(person.id, item.id, today)
    if not outcome.passed:
        missing = "；".join(outcome.needs) or "考试成绩不全"
        raise DomainError(f"{person.name}（{item.name}）尚不符合发证条件：{missing}")
    cert = create_certificate(person, item, passed_on=outcome.passed_on or proposal.passed_on,
                              session_id=proposal.session_id or _last_session(outcome), today=today,
                              settings=settings, actor=actor)
    proposal.state, proposal.certificate_id, proposal.decided_at = ProposalState.ISSUED, cert.id, utcnow()
    db.session.flush()
    return cert


def create_certificate(person: Person, item: CatalogItem, *, passed_on: dt.date, session_id: int | None,
                       today: dt.date, settings: CertSettings, actor=None) -> Certificate:
    """The certificate row and its first signed card (audited). Callers have checked eligibility.
    Raises DomainError for a bad number format or an existing live certificate of the same number."""
    try:
        number = rules.certificate_number(person.id_number, is_special=item.is_special, item_code=item.code or "",
                                          year=today.year, safety_role_format=settings.safety_role_number_format)
    except ValueError as exc:
        raise DomainError(str(exc)) from None
    if db.session.scalar(sa.select(Certificate.id).where(Certificate.number == number, Certificate.item_id == item.id,
                                                         Certificate.state == CertificateState.ISSUED)):
        raise DomainError(f"{person.name} 已持有{item.name}证书（编号相同），不能重复发证")
    dates = rules.initial_dates(today, item.validity_years, item.review_interval_years)
    cert = Certificate(number=number, person=person, item=item, session_id=session_id, passed_on=passed_on,
                       issued_on=dates.issued_on, valid_until=dates.valid_until, review_due=dates.review_due,
                       authority=settings.authority, issued_by_id=getattr(actor, "id", None))
    db.session.add(cert)
    db.session.flush()
    _sign_card(cert, "首次发证")
    db.session.flush()
    audit.record("certificates.issue", "certificate", cert.id, after=cert.snapshot(),
                 reason=f"{person.name} {item.name}", actor=actor)
    return cert


def issue_batch(proposals: list[CertificateProposal], *, today: dt.date | None = None, actor=None
                ) -> tuple[list[Certificate], list[str]]:
    """Issue several proposals; one that is refused is skipped (its message returned), the others
    are issued. Each runs in a savepoint, so nothing half-written is left."""
    issued, refused = [], []
    settings = get_settings()
    for proposal in proposals:
        try:
            with db.session.begin_nested():
                issued.append(issue_certificate(proposal, today=today, actor=actor, settings=settings))
        except DomainError as exc:
            refused.append(exc.message)
    return issued, refused


def dismiss_proposal(proposal: CertificateProposal, reason: str, actor=None) -> None:
    """Decline a proposal with a reason (audited)."""
    if proposal.state != ProposalState.PENDING:
        raise DomainError("该发证申请已处理")
    if not reason.strip():
        raise DomainError("请填写不予发证的原因", field="reason")
    proposal.state, proposal.reason, proposal.decided_at = ProposalState.DISMISSED, reason.strip(), utcnow()
    db.session.flush()
    audit.record("certificates.dismiss_proposal", "certificate_proposal", proposal.id, reason=reason, actor=actor)


# ---- lifecycle ------------------------------------------------------------------------------

def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写原因", field="reason")
    return reason


def status_of(cert: Certificate, today: dt.date | None = None, card: CertificateCard | None = None, *,
              review_window_days: int | None = None) -> rules.LiveStatus:
    """The live status of a certificate (or of one of its cards)."""
    if review_window_days is None:
        review_window_days = rule_value("review_window_days", 60)
    return rules.live_status(cert.state, valid_until=cert.valid_until, review_due=cert.review_due,
                             today=today or local_today(), review_window_days=review_window_days,
                             superseded=card is not None and card.superseded_at is not None)


def refresher_hours_since(cert: Certificate, since: dt.date, until: dt.date) -> float:
    from app.scheduling.models import TrainingRecord
    total = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(TrainingRecord.hours), 0.0)).where(
        TrainingRecord.person_id == cert.person_id, TrainingRecord.item_id == cert.item_id,
        TrainingRecord.end_date > since, TrainingRecord.end_date <= until))
    return float(total or 0.0)


@dataclass(frozen=True)
class ReviewFacts:
    """What the officer declares at a review (复审, §6.4)."""

    violations: int = 0                 # verified serious violations in the period
    penalised: bool = False             # an administrative penalty in the period
    away_from_job: bool = False         # away from the job ≥ 6 months: the practical is retaken
    long_interval: bool = False         # ≥ 10 years clean work, approved: next review in 6 years


def review_certificate(cert: Certificate, facts: ReviewFacts, reason: str, *, today: dt.date | None = None,
                       actor=None) -> CertificateReview:
    """Record a passed review and extend per the rules. Refused (DomainError) outside the window,
    for ≥ 2 violations or a penalty, without the refresher hours or a passed review exam when the
    base enforces them, or without a practical retake after ≥ 6 months away from the job. A review
    that extends the validity (换证) issues a new card, since the printed date changes."""
    today = today or local_today()
    reason = _reason(reason)
    cert.require_issued("复审")
    item, settings = cert.item, get_settings()
    due = cert.review_due or cert.valid_until
    window = rule_value("review_window_days", 60)
    if today > due:
        raise DomainError(f"复审日期 {due:%Y-%m-%d} 已过，证书逾期未复审，不能再办理复审")
    opens = due - dt.timedelta(days=window)
    if today < opens:
        raise DomainError(f"复审须在复审日期 {due:%Y-%m-%d} 前 {window} 天内申请（{opens:%Y-%m-%d} 起）")
    if facts.violations >= 2:
        raise DomainError("复审不予通过：有效期内有 2 次以上经确认的违章行为")
    if facts.penalised:
        raise DomainError("复审不予通过：有效期内受到行政处罚")
    since = cert.last_review_on or cert.issued_on
    hours = refresher_hours_since(cert, since, today)
    required = item.refresher_hours or 8
    if settings.enforce_refresher_hours and hours + 1e-9 < required:
        raise DomainError(f"复审须完成 {required} 学时复审培训，自 {since:%Y-%m-%d} 起已登记 {hours:g} 学时")
    exam_on = None
    theory = _theory_outcome(cert.person_id, cert.item_id)
    if theory is not None and theory.passed and theory.exam_date > since:
        exam_on = theory.exam_date
    if settings.enforce_review_exam and exam_on is None:
        raise DomainError(f"复审须考试合格：自 {since:%Y-%m-%d} 起没有合格的复审考试成绩")
    if facts.away_from_job and item.practical_required:
        practical = _practical_outcome(cert.person_id, cert.item_id)
        if practical is None or not practical.passed or practical.exam_date <= since:
            months = rule_value("away_from_job_months", 6)
            raise DomainError(f"离岗 {months} 个月以上的，须重新参加实际操作考试并合格后方可复审")
    before = cert.snapshot()
    interval = item.review_interval_years or item.validity_years
    dates = rules.dates_after_review(cert.issued_on, cert.valid_until, cert.review_due, validity_years=item.validity_years,
                                     review_interval_years=interval, long_interval=facts.long_interval)
    review = CertificateReview(certificate_id=cert.id, reviewed_on=today, refresher_hours=hours, exam_passed_on=exam_on,
                               long_interval=facts.long_interval, old_review_due=cert.review_due,
                               new_review_due=dates.review_due, old_valid_until=cert.valid_until,
                               new_valid_until=dates.valid_until, reason=reason, actor_id=getattr(actor, "id", None))
    extended = dates.valid_until != cert.valid_until
    cert.record_review(today, dates.valid_until, dates.review_due)
    db.session.add(review)
    if extended:
        _replace_card(cert, "复审换证")
    db.session.flush()
    audit.record("certificates.review", "certificate", cert.id, before=before, after=cert.snapshot(), reason=reason,
                 actor=actor)
    return review


def revoke_certificate(cert: Certificate, ground: str, reason: str, *, today: dt.date | None = None, actor=None) -> None:
    """Revoke on one of the 5 grounds; grounds 4–5 (false information, deceit or bribery) also bar a
    new application for ``application_ban_years`` (3) years, which registration checks."""
    from app.scheduling.eligibility import add_years
    from app.scheduling.models import ApplicationBan
    today = today or local_today()
    reason = _reason(reason)
    if ground not in rules.REVOCATION:
        raise DomainError("请选择撤销的依据", field="ground")
    before = cert.snapshot()
    cert.revoke(ground, reason, today)
    g = rules.REVOCATION[ground]
    if g.starts_ban:
        years = rule_value("application_ban_years", 3)
        db.session.add(ApplicationBan(person_id=cert.person_id, until=add_years(today, years),
                                      ground=f"{g.label}，证书被撤销"[:200]))
    db.session.flush()
    audit.record("certificates.revoke", "certificate", cert.id, before=before, after=cert.snapshot(),
                 reason=f"{g.label}：{reason}", actor=actor)


def cancel_certificate(cert: Certificate, ground: str, reason: str, *, today: dt.date | None = None, actor=None) -> None:
    """Cancel (注销) on one of the 3 grounds; listed on the public cancellation page."""
    today = today or local_today()
    reason = _reason(reason)
    if ground not in rules.CANCELLATION:
        raise DomainError("请选择注销的依据", field="ground")
    before = cert.snapshot()
    cert.cancel(ground, reason, today)
    db.session.flush()
    audit.record("certificates.cancel", "certificate", cert.id, before=before, after=cert.snapshot(),
                 reason=f"{rules.CANCELLATION[ground].label}：{reason}", actor=actor)


def _replace_card(cert: Certificate, reason: str) -> CertificateCard:
    old = cert.current_card
    if old is not None:
        old.supersede()
    db.session.flush()
    return _sign_card(cert, reason)


def replace_certificate(cert: Certificate, reason: str, *, actor=None) -> CertificateCard:
    """补发/换发: the same number, a new card with a new token; the old token then says 已补发."""
    reason = _reason(reason)
    cert.require_issued("补发")
    old = cert.current_card
    card = _replace_card(cert, reason)
    db.session.flush()
    audit.record("certificates.replace", "certificate", cert.id,
                 before={"public_id": old.public_id if old else None}, after={"public_id": card.public_id},
                 reason=reason, actor=actor)
    return card


def reissue_for_key(key_id: str, *, actor=None) -> int:
    """New cards for the live certificates whose current card a (compromised) key signed."""
    cards = db.session.scalars(sa.select(CertificateCard).join(Certificate).where(
        CertificateCard.key_id == key_id, CertificateCard.superseded_at.is_(None),
        Certificate.state == CertificateState.ISSUED)).all()
    for card in cards:
        replace_certificate(card.certificate, f"签名密钥 {key_id} 停用，换发新证卡", actor=actor)
    return len(cards)


# ---- questions other domains ask --------------------------------------------------------------

def holds_valid_certificate(person_id: int, item_id: int, today: dt.date | None = None) -> bool:
    """Whether the person holds a certificate of this item that is valid (or due for review)."""
    cert = live_certificate(person_id, item_id)
    return cert is not None and status_of(cert, today).is_good


def certificates_query(*, employer_id: int | None = None, person_id: int | None = None, status: str = "",
                       due_within: int | None = None, q: str = "", today: dt.date | None = None):
    """A select of certificates (newest first) filtered by holder, employer, search text, live status
    and due date (review or end of validity within ``due_within`` days)."""
    today = today or local_today()
    stmt = sa.select(Certificate).join(Person, Certificate.person_id == Person.id).order_by(Certificate.id.desc())
    if employer_id is not None:
        stmt = stmt.where(Person.employer_id == employer_id)
    if person_id is not None:
        stmt = stmt.where(Certificate.person_id == person_id)
    if q:
        stmt = stmt.where(sa.or_(Person.name.contains(q), Certificate.number.contains(q.upper())))
    if status:
        stmt = stmt.where(_status_clause(status, today))
    if due_within is not None:
        limit = today + dt.timedelta(days=due_within)
        stmt = stmt.where(Certificate.state == CertificateState.ISSUED, sa.or_(
            Certificate.valid_until <= limit, sa.and_(Certificate.review_due.is_not(None), Certificate.review_due <= limit)))
    return stmt


def _status_clause(status: str, today: dt.date):
    """SQL for a live status of certificates (the same rules as rules.live_status; a card-level
    "replaced" does not apply to a certificate and matches nothing)."""
    window_end = today + dt.timedelta(days=rule_value("review_window_days", 60))
    issued = Certificate.state == CertificateState.ISSUED
    expired = sa.or_(Certificate.valid_until < today,
                     sa.and_(Certificate.review_due.is_not(None), Certificate.review_due < today))
    due = sa.and_(Certificate.review_due.is_not(None), Certificate.review_due <= window_end)
    clauses = {
        rules.LiveStatus.REVOKED: Certificate.state == CertificateState.REVOKED,
        rules.LiveStatus.CANCELLED: Certificate.state == CertificateState.CANCELLED,
        rules.LiveStatus.EXPIRED: sa.and_(issued, expired),
        rules.LiveStatus.REVIEW_DUE: sa.and_(issued, sa.not_(expired), due),
        rules.LiveStatus.VALID: sa.and_(issued, sa.not_(expired), sa.not_(due)),
    }
    return clauses.get(status, sa.false())


def filter_status(certs, status: str, today: dt.date | None = None) -> list[tuple[Certificate, rules.LiveStatus]]:
    today = today or local_today()
    out = [(c, status_of(c, today)) for c in certs]
    return [(c, s) for c, s in out if not status or s.value == status]


def due_soon(certs, today: dt.date | None = None) -> list[tuple[Certificate, rules.LiveStatus, int, dt.date]]:
    """Live certificates whose review or end of validity falls within 90 days: (cert, status, band, date)."""
    today = today or local_today()
    out = []
    for cert in certs:
        if cert.state != CertificateState.ISSUED:
            continue
        deadline = rules.next_deadline(cert.valid_until, cert.review_due)
        band = rules.due_band(deadline, today)
        if band is not None:
            out.append((cert, status_of(cert, today), band, deadline))
    return sorted(out, key=lambda r: r[3])
