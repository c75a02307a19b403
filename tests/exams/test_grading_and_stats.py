import random

import pytest
import yaml

from app.catalog.services import item_by_name
from app.exams import services
from app.exams.grading import GradeItem, grade
from app.extensions import db
from app.papers import services as paper_services
from app.papers.blueprints import BLUEPRINT_DIR
from app.questions.models import QuestionVersion
from app.questions.stats import Response, item_statistics
from tests.papers.test_services import _load_bank


def test_grade_all_or_nothing_and_breakdown():
    items = [GradeItem(1, "judge", "T", 1, "法规"), GradeItem(2, "single", "B", 1, "法规"),
             GradeItem(3, "multiple", "ABD", 2, "急救")]
    result = grade(items, {1: "T", 2: "C", 3: "ABD"}, pass_mark=2)
    assert result.score == 3 and result.max_score == 4 and result.passed
    assert result.by_kp == {"法规": (1, 2), "急救": (2, 2)}
    assert grade(items, {3: "AB"}, pass_mark=2).score == 0


def _responses(key, n, p_correct, discriminating=True, answers="AB"):
    rng = random.Random(key)
    out = []
    for i in range(n):
        ability = i / n
        correct = (rng.random() < ability) if discriminating else (rng.random() < p_correct)
        out.append(Response(key, "single", 4, "A" if correct else rng.choice(answers[1:] or "B"), correct, 1,
                            total=60 + 40 * ability))
    return out


def test_statistics_and_flags():
    stats = item_statistics(_responses("Q1", 100, 0.5) + _responses("Q2", 100, 0.5, discriminating=False)
                            + [Response("Q3", "judge", 0, "T", True, 1, 90)] * 40)
    assert stats["Q1"].discrimination > 0.3 and "区分度低" not in stats["Q1"].flags
    assert stats["Q2"].discrimination < 0.10 + 0.15
    assert "选项无人选" in stats["Q1"].flags  # C and D never chosen
    assert stats["Q3"].facility == 1.0 and "过易" in stats["Q3"].flags
    assert stats["Q3"].option_counts == {"T": 40, "F": 0}


def test_graded_attempts_feed_the_report_and_cli(app, world):
    with app.app_context():
        _load_bank("diya-diangong")
        doc = yaml.safe_load((BLUEPRINT_DIR / "diya-diangong.yaml").read_text(encoding="utf-8"))
        bp, _ = paper_services.save_blueprint(item_by_name("低压电工作业"), doc)
        paper_services.activate_blueprint(bp)
        rng = random.Random(3)
        first = None
        for n in range(4):
            attempt = services.start_attempt(world.person_a, bp, seed=n)
            first = first or attempt
            keys = {pq.position: db.session.get(QuestionVersion, pq.question_version_id).answer
                    for pq in attempt.paper.questions}
            services.record_answers(attempt, {p: (k if rng.random() < 0.85 else None) for p, k in keys.items()})
            services.grade_attempt(attempt)
            assert 60 <= attempt.score <= 100 and attempt.passed == (attempt.score >= 80)
        rows = services.item_report(bp.item_id)
        assert rows and sum(st.responses for st, _ in rows) == 400
        result = app.test_cli_runner().invoke(args=["questions", "stats", "低压电工作业"])
        assert result.exit_code == 0 and "作答人次" in result.output
        makeup = services.start_attempt(world.person_a, bp, previous=first, seed=99)
        assert makeup.is_makeup and makeup.paper.reused >= 0


def test_stored_score_equals_a_regrade(app, world):
    with app.app_context():
        _load_bank("diya-diangong")
        doc = yaml.safe_load((BLUEPRINT_DIR / "diya-diangong.yaml").read_text(encoding="utf-8"))
        bp, _ = paper_services.save_blueprint(item_by_name("低压电工作业"), doc)
        paper_services.activate_blueprint(bp)
        attempt = services.start_attempt(world.person_a, bp, seed=5)
        services.record_answers(attempt, {p.position: "T" for p in attempt.paper.questions})
        services.grade_attempt(attempt)
        stored = attempt.score
        services.grade_attempt(attempt)
        assert attempt.score == stored
        versions = [db.session.get(QuestionVersion, pq.question_version_id) for pq in attempt.paper.questions]
        judges = [pq for pq, v in zip(attempt.paper.questions, versions) if v.qtype == "judge"]
        trues = sum(db.session.get(QuestionVersion, pq.question_version_id).answer == "T" for pq in judges)
        assert stored == pytest.approx(trues)
