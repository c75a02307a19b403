"""Issuing, the lifecycle and what other domains ask (bans, holding a valid certificate)."""
import datetime as dt

import pytest
import sqlalchemy as sa

from app.catalog.services import item_by_name
from app.certificates import services, verification
from app.certificates.models import Certificate, CertificateState, ProposalState
from app.certificates.rules import LiveStatus
from app.core.audit import AuditEntry, verify_chain
from app.core.errors import DomainError
from app.extensions import db
from app.scheduling import registration
from app.scheduling.models import ApplicationBan, TrainingRecord
from tests import factories
from tests.certificates.conftest import issue

TODAY = dt.date(2026, 3, 2)


def _actions(cert_id):
    return db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.object_type == "certificate",
                                                                 AuditEntry.object_id == str(cert_id))
                              .order_by(AuditEntry.seq)).all()


def test_issue_sets_number_dates_authority_and_a_signed_card(app, outcomes):
    with app.app_context():
        cert = issue(outcomes, today=TODAY)
        assert cert.number == "T" + cert.person.id_number
        assert (cert.issued_on, cert.valid_until, cert.review_due) == (TODAY, dt.date(2032, 3, 2), dt.date(2029, 3, 2))
        assert cert.authority == "阜新市应急管理局"
        card = cert.current_card
        assert len(card.public_id) == 20 and card.token
        view, found = verification.verify(card.token, today=TODAY)
        assert found.card_id == card.id and view.status == "valid" and view.name == "张*明"
        assert _actions(cert.id) == ["certificates.issue"]
        assert verify_chain()[1] is None


def test_safety_role_certificate_uses_configured_number_and_three_years(app, outcomes):
    with app.app_context():
        services.save_settings({"safety_role_number_format": "AQ-{item_code}-{id_number}"}, reason="省里要求")
        cert = issue(outcomes, item="安全生产管理人员（一般行业）" if item_by_name("安全生产管理人员（一般行业）")
                     else "安全生产管理人员（危险化学品生产单位）", today=TODAY)
        assert cert.number.startswith("AQ-") and cert.number.endswith(cert.person.id_number)
        assert (cert.valid_until, cert.review_due) == (dt.date(2029, 3, 2), None)


def test_no_proposal_without_every_part_and_issue_rechecks(app, outcomes):
    with app.app_context():
        person = factories.person(name="李玥")
        db.session.flush()
        item = item_by_name("低压电工作业")
        outcomes.failed(person.id, item.id)
        assert services.propose(person, item, TODAY) is None
        outcomes.passed(person.id, item.id, TODAY)
        proposal = services.propose(person, item, TODAY)
        assert services.propose(person, item, TODAY) is None  # one pending proposal only
        outcomes.failed(person.id, item.id, "理论考试成绩已超过 12 个月")
        with pytest.raises(DomainError, match="12 个月"):
            services.issue_certificate(proposal, today=TODAY)


def test_batch_issue_skips_the_refused_and_issues_the_rest(app, outcomes):
    with app.app_context():
        item = item_by_name("低压电工作业")
        people = [factories.person(name=n) for n in ("王堃", "赵喆", "孙赟")]
        db.session.flush()
        proposals = []
        for p in people:
            outcomes.passed(p.id, item.id, TODAY)
            proposals.append(services.propose(p, item, TODAY))
        outcomes.failed(people[1].id, item.id)
        issued, refused = services.issue_batch(proposals, today=TODAY)
        assert [c.person.name for c in issued] == ["王堃", "孙赟"]
        assert len(refused) == 1 and "赵喆" in refused[0]
        assert proposals[1].state == ProposalState.PENDING
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)
                                 .where(Certificate.person_id == people[1].id)) == 0


def test_one_live_certificate_per_number_and_item(app, outcomes):
    with app.app_context():
        cert = issue(outcomes, today=TODAY)
        with pytest.raises(DomainError, match="已持有"):
            services.create_certificate(cert.person, cert.item, passed_on=TODAY, session_id=None, today=TODAY,
                                        settings=services.get_settings())


def test_revoked_for_deceit_bans_registration_for_three_years(app, outcomes):
    with app.app_context():
        cert = issue(outcomes, today=TODAY)
        person, item = cert.person, cert.item
        assert services.holds_valid_certificate(person.id, item.id, TODAY)
        services.revoke_certificate(cert, "deceit", "用他人的学历证明报名", today=TODAY)
        assert cert.state == CertificateState.REVOKED
        ban = db.session.scalar(sa.select(ApplicationBan).where(ApplicationBan.person_id == person.id))
        assert ban.until == dt.date(2029, 3, 2)
        decision = registration.decide(person, item, "theory", dt.date(2027, 1, 5))
        assert "ban" in {r.rule for r in decision.refusals}
        assert not services.holds_valid_certificate(person.id, item.id, TODAY)
        with pytest.raises(DomainError, match="不能撤销"):
            services.revoke_certificate(cert, "unfit", "再次", today=TODAY)
        assert _actions(cert.id) == ["certificates.issue", "certificates.revoke"]


def test_revoked_as_unfit_starts_no_ban(app, outcomes):
    with app.app_context():
        cert = issue(outcomes, today=TODAY)
        services.revoke_certificate(cert, "unfit", "体检不合格", today=TODAY)
        assert db.session.scalar(sa.select(ApplicationBan).where(ApplicationBan.person_id == cert.person_id)) is None


def test_holding_a_valid_certificate_refuses_a_new_first_registration(app, outcomes):
    with app.app_context():
        cert = issue(outcomes, today=TODAY)
        decision = registration.decide(cert.person, cert.item, "theory", TODAY + dt.timedelta(days=10))
        assert "certificate_held" in {r.rule for r in decision.refusals}


def test_cancel_grounds(app, outcomes):
    with app.app_context():
        cert = issue(outcomes, today=TODAY)
        with pytest.raises(DomainError, match="须先被撤销"):
            services.cancel_certificate(cert, "revoked", "…", today=TODAY)
        with pytest.raises(DomainError, match="原因"):
            services.cancel_certificate(cert, "died", "  ", today=TODAY)
        services.cancel_certificate(cert, "died", "家属提交死亡证明", today=TODAY)
        assert services.status_of(cert, TODAY) is LiveStatus.CANCELLED
        assert [r["ground"] for r in verification.cancelled_list()][:1] == ["特种作业人员死亡"]
        with pytest.raises(DomainError):
            services.cancel_certificate(cert, "requested", "again", today=TODAY)
        revoked = issue(outcomes, name="周彧", today=TODAY)
        services.revoke_certificate(revoked, "accident", "事故责任", today=TODAY)
        services.cancel_certificate(revoked, "revoked", "撤销后注销", today=TODAY)
        assert revoked.state == CertificateState.CANCELLED


def test_replacement_keeps_the_number_and_the_old_token_says_replaced(app, outcomes):
    with app.app_context():
        cert = issue(outcomes, today=TODAY)
        old = cert.current_card.token
        card = services.replace_certificate(cert, "原证遗失")
        assert card.token != old and cert.number == card.certificate.number
        old_view, _ = verification.verify(old, today=TODAY)
        new_view, _ = verification.verify(card.token, today=TODAY)
        assert old_view.status == "replaced" and old_view.replaced_at
        assert new_view.status == "valid"


def _train(cert, hours, end):
    db.session.add(TrainingRecord(person_id=cert.person_id, item_id=cert.item_id, start_date=end - dt.timedelta(days=2),
                                  end_date=end, hours=hours))
    db.session.flush()


def test_review_rules_and_extension(app, outcomes):
    with app.app_context():
        cert = issue(outcomes, today=TODAY)
        due = cert.review_due
        facts = services.ReviewFacts()
        with pytest.raises(DomainError, match="60 天内"):
            services.review_certificate(cert, facts, "复审", today=due - dt.timedelta(days=90))
        day = due - dt.timedelta(days=20)
        with pytest.raises(DomainError, match="8 学时"):
            services.review_certificate(cert, facts, "复审", today=day)
        _train(cert, 8, day - dt.timedelta(days=5))
        with pytest.raises(DomainError, match="考试合格"):
            services.review_certificate(cert, facts, "复审", today=day)
        outcomes.theory_passed(cert.person_id, cert.item_id, day - dt.timedelta(days=1))
        with pytest.raises(DomainError, match="违章"):
            services.review_certificate(cert, services.ReviewFacts(violations=2), "复审", today=day)
        with pytest.raises(DomainError, match="实际操作"):
            services.review_certificate(cert, services.ReviewFacts(away_from_job=True), "复审", today=day)
        token = cert.current_card.token
        review = services.review_certificate(cert, facts, "复审合格", today=day)
        assert (review.old_review_due, review.new_review_due) == (due, cert.valid_until)
        assert cert.last_review_on == day and cert.current_card.token == token  # validity unchanged: same card
        assert _actions(cert.id)[-1] == "certificates.review"


def test_review_at_end_of_validity_extends_and_issues_a_new_card(app, outcomes):
    with app.app_context():
        cert = issue(outcomes, today=TODAY)
        services.save_settings({"enforce_refresher_hours": False, "enforce_review_exam": False}, reason="试点")
        cert.review_due = cert.valid_until
        token = cert.current_card.token
        services.review_certificate(cert, services.ReviewFacts(), "换证", today=cert.valid_until - dt.timedelta(days=3))
        assert cert.valid_until == dt.date(2038, 3, 2) and cert.review_due == dt.date(2035, 3, 2)
        assert cert.current_card.token != token
        assert verification.verify(token, today=TODAY)[0].status == "replaced"


def test_missed_review_expires_and_cannot_be_reviewed(app, outcomes):
    with app.app_context():
        cert = issue(outcomes, today=TODAY)
        late = cert.review_due + dt.timedelta(days=1)
        assert services.status_of(cert, late) is LiveStatus.EXPIRED
        with pytest.raises(DomainError, match="逾期"):
            services.review_certificate(cert, services.ReviewFacts(), "复审", today=late)


def test_due_soon_bands(app, outcomes):
    with app.app_context():
        cert = issue(outcomes, today=TODAY)
        rows = services.due_soon([cert], cert.review_due - dt.timedelta(days=45))
        assert [(r[2], r[3]) for r in rows] == [(60, cert.review_due)]
        assert services.due_soon([cert], TODAY) == []


def test_bulk_check_and_lookup(app, outcomes):
    with app.app_context():
        cert = issue(outcomes, name="钱昇", today=TODAY)
        assert verification.lookup(cert.number.lower(), "钱昇") is not None
        assert verification.lookup(cert.number, "钱升") is None
        rows = verification.bulk_check([[cert.number, "钱昇"], [cert.number, "别人"], [None, None]], today=TODAY)
        assert rows[0][2:4] == ["低压电工作业", "有效"]
        assert rows[1][3].startswith("未找到") and rows[2][3].startswith("未找到")


def test_settings_are_audited_and_checked(app):
    with app.app_context():
        with pytest.raises(DomainError):
            services.save_settings({"safety_role_number_format": "AQ"}, reason="x")
        services.save_settings({"authority": "辽宁省应急管理厅", "show_photo_public": True}, reason="调整")
        s = services.get_settings()
        assert s.authority == "辽宁省应急管理厅" and s.show_photo_public
        assert db.session.scalar(sa.select(AuditEntry.action).order_by(AuditEntry.seq.desc()).limit(1)) \
            == "certificates.settings"


def test_compromised_key_reissue(app, outcomes):
    with app.app_context():
        cert = issue(outcomes, today=TODAY)
        old = cert.current_card.token
        kid = cert.current_card.key_id
        services.keyring().compromise(kid)
        assert verification.verify(old, today=TODAY) is None
        assert services.reissue_for_key(kid) == 1
        assert verification.verify(cert.current_card.token, today=TODAY)[0].status == "valid"


def test_status_filter_in_sql_agrees_with_the_live_status(app, outcomes):
    from app.certificates.rules import CERTIFICATE_STATUSES
    with app.app_context():
        day = dt.date(2026, 3, 2)
        certs = {
            "valid": issue(outcomes, name="甲", today=day - dt.timedelta(days=100)),
            "review_due": issue(outcomes, name="乙", today=day - dt.timedelta(days=3 * 365 - 30)),
            "expired": issue(outcomes, name="丙", today=day - dt.timedelta(days=3 * 365 + 30)),
            "revoked": issue(outcomes, name="丁", today=day - dt.timedelta(days=10)),
            "cancelled": issue(outcomes, name="戊", today=day - dt.timedelta(days=10)),
        }
        services.revoke_certificate(certs["revoked"], "unfit", "体检", today=day)
        services.cancel_certificate(certs["cancelled"], "requested", "本人申请", today=day)
        ids = [c.id for c in certs.values()]
        for status in CERTIFICATE_STATUSES:
            found = db.session.scalars(services.certificates_query(status=status, today=day)
                                       .where(Certificate.id.in_(ids))).unique().all()
            assert [c.id for c in found] == [certs[status.value].id]
            assert services.status_of(found[0], day) is status


def test_real_practical_interface_is_called_when_not_stubbed(app):
    """Without the stub the practical domain answers: a person with no published results gets no proposal."""
    with app.app_context():
        person = factories.person(name="无成绩")
        db.session.flush()
        item = item_by_name("低压电工作业")
        outcome = services._overall_outcome(person.id, item.id, TODAY)
        assert outcome.passed is False and outcome.needs
        assert services.propose(person, item, TODAY) is None
        assert services.propose_all(TODAY) == []


def test_a_dismissed_pass_is_not_proposed_again_but_a_later_one_is(app, outcomes):
    with app.app_context():
        person = factories.person(name="韩喆")
        db.session.flush()
        item = item_by_name("低压电工作业")
        outcomes.passed(person.id, item.id, TODAY)
        services.dismiss_proposal(services.propose(person, item, TODAY), "照片与本人不符")
        assert services.propose(person, item, TODAY) is None
        outcomes.passed(person.id, item.id, TODAY + dt.timedelta(days=40))
        assert services.propose(person, item, TODAY + dt.timedelta(days=41)) is not None
