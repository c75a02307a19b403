"""Delivery services: sweep, pause clock, make-up papers, key correction regrade."""
import datetime as dt

import pytest
import sqlalchemy as sa
import yaml

from app.catalog.services import item_by_name
from app.core.errors import DomainError
from app.db import utcnow
from app.exams import autosave, delivery, proctoring
from app.exams.models import Attempt, AttemptStatus
from app.extensions import db
from app.papers import services as paper_services
from app.papers.blueprints import BLUEPRINT_DIR
from app.papers.models import PaperQuestion
from app.questions.models import QuestionVersion
from app.scheduling.fixtures import exam_day
from app.scheduling.setup import load_site
from tests.papers.test_services import _load_bank


def _exam(n=2):
    _load_bank("diya-diangong")
    doc = yaml.safe_load((BLUEPRINT_DIR / "diya-diangong.yaml").read_text(encoding="utf-8"))
    bp, _ = paper_services.save_blueprint(item_by_name("低压电工作业"), doc)
    paper_services.activate_blueprint(bp)
    load_site()
    return exam_day(n)


def test_sweep_finishes_expired_attempts_at_their_deadline(app):
    with app.app_context():
        _sessions, rows = _exam(2)
        now = utcnow()
        a, _ = delivery.terminal_login(*rows[0], "T1", now)
        b, _ = delivery.terminal_login(*rows[1], "T2", now)
        a.deadline_at = now - dt.timedelta(minutes=1)
        db.session.flush()
        result = app.test_cli_runner().invoke(args=["exams", "sweep"])
        assert result.exit_code == 0 and "1 份" in result.output
        db.session.refresh(a)
        db.session.refresh(b)
        assert a.status == AttemptStatus.SUBMITTED and a.submitted_at == a.deadline_at and a.finished_reason == "deadline"
        assert b.status == AttemptStatus.ANSWERING


def test_pause_stops_the_clock_and_resume_gives_it_back(app, world):
    with app.app_context():
        sessions, rows = _exam(1)
        now = utcnow()
        attempt, _ = delivery.terminal_login(*rows[0], "T1", now)
        left = delivery.remaining(attempt, now)
        proctoring.act(sessions[0], attempt.registration_id, "pause", reason="停电", actor=None, now=now)
        later = now + dt.timedelta(minutes=10)
        assert delivery.remaining(attempt, later) == left
        with pytest.raises(delivery.ApiError) as err:
            autosave.save_answer(attempt, 1, "T", 1, None, later)
        assert err.value.code == "not_answering"
        proctoring.act(sessions[0], attempt.registration_id, "resume", reason="来电", actor=None, now=later)
        assert delivery.remaining(attempt, later) == left
        with pytest.raises(DomainError, match="原因"):
            proctoring.act(sessions[0], attempt.registration_id, "extra_time", reason=" ", actor=None, minutes=5)
        proctoring.act(sessions[0], attempt.registration_id, "extra_time", reason="补偿停电", actor=None, minutes=5,
                       now=later)
        assert delivery.remaining(attempt, later) == left + 300


def test_key_correction_regrades_who_saw_the_version(app, world):
    with app.app_context():
        _sessions, rows = _exam(1)
        now = utcnow()
        attempt, _ = delivery.terminal_login(*rows[0], "T1", now)
        first = db.session.scalar(sa.select(PaperQuestion).where(PaperQuestion.paper_id == attempt.paper_id,
                                                                 PaperQuestion.position == 1))
        version = db.session.get(QuestionVersion, first.question_version_id)
        shown = delivery.to_display(version.answer, first.option_order)
        autosave.save_answer(attempt, 1, shown, 1, None, now)
        delivery.submit(attempt, now)
        before = attempt.score
        wrong = {"T": "F", "F": "T"}.get(version.answer) or ("A" if version.answer != "A" else "B")
        changes = proctoring.correct_key(version, wrong, reason="原答案有误", actor=None)
        assert changes == [{"attempt_id": attempt.id, "before": before, "after": before - first.points,
                            "passed_before": attempt.passed, "passed_after": attempt.passed}]
        assert version.answer != wrong and version.effective_answer == wrong  # the version itself is kept


def test_make_up_paper_avoids_the_first_papers_questions(app, world):
    with app.app_context():
        _sessions, rows = _exam(1)
        now = utcnow()
        first, _ = delivery.terminal_login(*rows[0], "T1", now)
        delivery.submit(first, now)
        from app.exams.services import start_attempt
        bp = paper_services.active_blueprint(first.item_id)
        makeup = start_attempt(first.person_id, bp, previous=first, seed=3)
        qids = lambda a: {db.session.get(QuestionVersion, pq.question_version_id).question_id  # noqa: E731
                          for pq in db.session.scalars(sa.select(PaperQuestion).where(PaperQuestion.paper_id == a.paper_id))}
        overlap = qids(first) & qids(makeup)
        assert makeup.is_makeup and makeup.paper.reused == len(overlap)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) >= 2
