"""Papers drawn at the door: check-in prepares the paper, the login binds it (a room logging in at
once only binds papers), a changed blueprint or a failed draw falls back to drawing at login."""
from __future__ import annotations

import sqlalchemy as sa

from app.exams import delivery
from app.exams.models import Attempt, PreparedPaper
from app.extensions import db
from app.papers.models import Paper, PaperQuestion
from app.scheduling.models import Registration
from tests.exams.test_api import _transaction, api_login, bank, candidates, new_candidates  # noqa: F401


def test_check_in_draws_the_paper_and_login_binds_it(app, client):
    [cand] = candidates(app, 1)
    with app.app_context():
        prepared = db.session.get(PreparedPaper, cand.reg_id)
        assert prepared is not None
        paper_id = prepared.paper_id
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PaperQuestion)
                                 .where(PaperQuestion.paper_id == paper_id)) == 100
    r = api_login(client, cand)
    assert r.status_code == 200, r.get_json()
    with app.app_context():
        attempt = db.session.scalar(sa.select(Attempt).where(Attempt.registration_id == cand.reg_id))
        assert attempt.paper_id == paper_id
        assert db.session.get(PreparedPaper, cand.reg_id) is None  # used once, then gone


def test_a_prepared_paper_of_an_older_blueprint_is_not_used(app, client, bank):  # noqa: F811
    [cand] = candidates(app, 1)
    with app.app_context():
        stale_id = db.session.get(PreparedPaper, cand.reg_id).paper_id
        # The blueprint changed after check-in: the prepared paper belongs to another (older) one.
        db.session.execute(sa.update(Paper).where(Paper.id == stale_id).values(blueprint_id=_older_blueprint()))
        db.session.commit()
    r = api_login(client, cand)
    assert r.status_code == 200, r.get_json()
    with app.app_context():
        attempt = db.session.scalar(sa.select(Attempt).where(Attempt.registration_id == cand.reg_id))
        assert attempt.paper_id != stale_id
        assert db.session.get(Paper, attempt.paper_id).blueprint_id == bank.blueprint_id
        assert db.session.get(PreparedPaper, cand.reg_id) is None


def _older_blueprint() -> int:
    from app.papers.models import Blueprint
    current = db.session.scalar(sa.select(Blueprint).order_by(Blueprint.id.desc()).limit(1))
    older = Blueprint(**{c.key: getattr(current, c.key) for c in Blueprint.__table__.columns
                         if c.key not in ("id", "version", "status")},
                      version=current.version + 100, status="retired")
    db.session.add(older)
    db.session.flush()
    return older.id


def test_a_failed_draw_does_not_block_check_in_and_leaves_nothing(app, monkeypatch):
    from app.core.errors import DomainError

    def no_paper(*a, **k):
        db.session.add(Paper(blueprint_id=None, item_id=None, seed=0, reused=0, total_points=0))
        raise DomainError("题库不足")

    monkeypatch.setattr(delivery, "draw_for", no_paper)
    with app.app_context():
        papers_before = db.session.scalar(sa.select(sa.func.count()).select_from(Paper))
        [cand] = new_candidates(1)
        reg = db.session.get(Registration, cand.reg_id)
        assert reg.state == "checked_in"
        assert db.session.get(PreparedPaper, cand.reg_id) is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Paper)) == papers_before


def test_prepare_is_idempotent_and_skips_candidates_with_an_attempt(app, client):
    [cand] = candidates(app, 1)
    with app.app_context():
        reg = db.session.get(Registration, cand.reg_id)
        first = delivery.prepare_paper(reg).paper_id
        assert delivery.prepare_paper(reg).paper_id == first
    assert api_login(client, cand).status_code == 200
    with app.app_context():
        assert delivery.prepare_paper(db.session.get(Registration, cand.reg_id)) is None
