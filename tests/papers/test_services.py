"""Blueprints and papers against the real shipped bank."""
import pytest
import sqlalchemy as sa
import yaml

from app.catalog.services import item_by_name
from app.core.errors import DomainError
from app.extensions import db
from app.papers import services
from app.papers.blueprints import BLUEPRINT_DIR, resolve_spec
from app.papers.models import Blueprint, BlueprintStatus, Paper
from app.questions import services as qservices
from app.questions.bankfiles import BANK_DIR, parse_knowledge_points, parse_yaml_questions
from app.questions.models import Question, QuestionStatus, QuestionVersion


def _load_bank(only: str | None = None):
    for path in sorted((BANK_DIR / "knowledge_points").glob("*.yaml")):
        qservices.load_knowledge_points(*parse_knowledge_points(path.read_text(encoding="utf-8"), path.name))
    records = []
    for path in sorted((BANK_DIR / "questions").glob("*.yaml")):
        if only and path.stem != only:
            continue
        records += parse_yaml_questions(path.read_text(encoding="utf-8"), path.name)[1].records
    assert not qservices.import_records(records, activate=True, source_name="bank").errors


def test_every_shipped_blueprint_activates_and_assembles(app):
    with app.app_context():
        _load_bank()
        lines = services.load_blueprint_files(BLUEPRINT_DIR)
        assert len(lines) == 6 and all("已启用" in line for line in lines)
        for bp in db.session.scalars(sa.select(Blueprint).where(Blueprint.status == BlueprintStatus.ACTIVE)):
            paper = services.assemble_paper(bp, seed=42)
            versions = [db.session.get(QuestionVersion, pq.question_version_id) for pq in paper.questions]
            assert sum(pq.points for pq in paper.questions) == 100
            assert len({v.question_id for v in versions}) == len(versions)
            for section in bp.spec["sections"]:
                of_type = [v for v in versions if v.qtype == section["type"]]
                assert len(of_type) == section["count"]
                for level, (lo, hi) in section["difficulty"].items():
                    assert lo <= sum(v.difficulty == int(level) for v in of_type) <= hi
            for rule in bp.spec["kp_rules"]:
                n = sum(v.knowledge_point.top == rule["kp"] for v in versions)
                assert rule["min"] <= n <= rule["max"], (bp.item.name, rule, n)
            for pq, v in zip(paper.questions, versions):
                assert sorted(pq.option_order) == list(range(len(v.options)))
                question = db.session.get(Question, v.question_id)
                assert question.pool == "exam" and question.status == QuestionStatus.ACTIVE


def test_loading_twice_makes_no_new_version(app):
    with app.app_context():
        _load_bank("diya-diangong")
        item = item_by_name("低压电工作业")
        doc = {"subject": "低压电工作业", "sections": [{"type": "判断", "count": 70, "points": 1},
                                                   {"type": "单选", "count": 30, "points": 1}]}
        first, created = services.save_blueprint(item, doc)
        again, created_again = services.save_blueprint(item, doc)
        assert created and not created_again and again.id == first.id


def test_activation_names_the_shortfall(app):
    with app.app_context():
        _load_bank("diya-diangong")
        item = item_by_name("低压电工作业")
        doc = {"subject": "低压电工作业", "sections": [{"type": "判断", "count": 40, "points": 1},
                                                   {"type": "单选", "count": 30, "points": 1, "difficulty": {3: [25, 30]}},
                                                   {"type": "多选", "count": 15, "points": 2}]}
        blueprint, _ = services.save_blueprint(item, doc)
        with pytest.raises(DomainError) as err:
            services.activate_blueprint(blueprint, reason="试")
        assert "题库" in err.value.message and ("难度 3" in err.value.message or "单选" in err.value.message)
        assert blueprint.status == BlueprintStatus.DRAFT


@pytest.mark.parametrize("doc, fragment", [
    ({"sections": [{"type": "判断", "count": 70, "points": 1}]}, "应为 100 分"),
    ({"sections": [{"type": "填空", "count": 100, "points": 1}]}, "题型"),
    ({"sections": [{"type": "判断", "count": 100, "points": 1, "difficulty": {1: [60, 70], 2: [50, 60]}}]}, "最少题数之和"),
    ({"sections": []}, "至少需要一个部分"),
])
def test_malformed_blueprints(doc, fragment):
    with pytest.raises(DomainError, match=fragment):
        resolve_spec(doc)


def test_make_up_avoids_the_first_papers_questions(app):
    with app.app_context():
        _load_bank("diya-diangong")
        doc = yaml.safe_load((BLUEPRINT_DIR / "diya-diangong.yaml").read_text(encoding="utf-8"))
        bp, _ = services.save_blueprint(item_by_name("低压电工作业"), doc)
        services.activate_blueprint(bp)
        first = services.assemble_paper(bp, seed=1)
        first_qids = frozenset(db.session.get(QuestionVersion, pq.question_version_id).question_id
                               for pq in first.questions)
        second = services.assemble_paper(bp, seed=2, avoid_question_ids=first_qids)
        second_qids = {db.session.get(QuestionVersion, pq.question_version_id).question_id for pq in second.questions}
        # the judge pool cannot give 70 fresh questions: reuse is what the bank forces
        judge_pool = db.session.scalar(sa.select(sa.func.count()).select_from(Question).join(
            QuestionVersion, QuestionVersion.id == Question.current_version_id).where(
            Question.pool == "exam", QuestionVersion.qtype == "judge", Question.item_id == bp.item_id))
        assert second.reused == len(first_qids & second_qids) >= 70 - (judge_pool - 70)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Paper)) >= 2


def test_bank_changes_reach_the_cached_index(app):
    with app.app_context():
        _load_bank("diya-diangong")
        item = item_by_name("低压电工作业")
        before = len(services.bank_index(item.id).index)
        q = db.session.scalars(sa.select(Question).where(Question.pool == "exam").limit(1)).one()
        qservices.set_status([q], QuestionStatus.RETIRED, reason="表述有歧义")
        assert len(services.bank_index(item.id).index) == before - 1
