"""Access decisions for the certificate pages, merged into the matrix of tests/test_access.py.
Object-level rules (an employer's own staff, a holder's own certificate) are in test_views_portal.py."""
from __future__ import annotations

import datetime as dt
import tempfile

import sqlalchemy as sa
from flask import current_app

from app.accounts.models import Role
from app.catalog.services import item_by_name
from app.certificates import services
from app.certificates.models import Certificate, CertificateProposal, PrintJob
from app.extensions import db
from app.people.models import Person

A, EM, C = Role.ADMIN, Role.EMPLOYER, Role.CANDIDATE
PUBLIC = "public"

ACCESS = {
    "certificates.register": {A},
    "certificates.detail": {A},
    "certificates.revoke": {A},
    "certificates.cancel": {A},
    "certificates.replace": {A},
    "certificates.review": {A},
    "certificates.certificate_pdf": {A, EM, C},
    "certificates.proposals": {A},
    "certificates.proposals_scan": {A},
    "certificates.proposal_dismiss": {A},
    "certificates.settings": {A},
    "certificates.print_jobs": {A},
    "certificates.print_job_status": {A},
    "certificates.print_job_download": {A},
    "certificates.mine": {C},
    "certificates.employer": {EM},
    "certificates.employer_export": {EM},
    "certificates.bulk_check": {A, EM},
    "certificates.verify_page": PUBLIC,
    "certificates.published_keys": PUBLIC,
    "certificates.lookup": PUBLIC,
    "certificates.captcha_image": PUBLIC,
    "certificates.cancelled": PUBLIC,
    "certificates_api.api_verify": PUBLIC,
}


def sample_certificate(world) -> int:
    """A certificate of the baseline candidate (staff of the baseline employer)."""
    current_app.config.setdefault("CERT_KEYS_DIR", tempfile.mkdtemp(prefix="cert-keys-"))
    item = item_by_name("低压电工作业")
    existing = db.session.scalar(sa.select(Certificate.id).where(Certificate.person_id == world.person_a))
    if existing:
        return existing
    cert = services.create_certificate(db.session.get(Person, world.person_a), item, passed_on=dt.date(2026, 1, 5),
                                       session_id=None, today=dt.date(2026, 1, 10), settings=services.get_settings())
    db.session.commit()
    return cert.id


def sample_proposal(world) -> int:
    item = item_by_name("高压电工作业")
    proposal = CertificateProposal(person_id=world.person_b, item_id=item.id, passed_on=dt.date(2026, 1, 5))
    db.session.add(proposal)
    db.session.commit()
    return proposal.id


def sample_job(world) -> int:
    job = PrintJob(label="样例", layout="card", certificate_ids=[], total=0)
    db.session.add(job)
    db.session.commit()
    return job.id


SAMPLE_ARGS = {
    "certificate_id": sample_certificate,
    "proposal_id": sample_proposal,
    "job_id": sample_job,
    "cert_token": lambda world: "not-a-real-token",
}
