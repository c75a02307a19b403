import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.core.audit import AuditEntry
from app.extensions import db
from app.questions import exporting, services
from app.questions.bankfiles import BANK_DIR, parse_upload, parse_yaml_questions
from app.questions.models import BankGeneration, Question, QuestionStatus, QuestionVersion
from app.questions.records import build_record

SUBJECT = "低压电工作业"
LEAVES = ["法规/证书", "法规/培训", "急救/心肺复苏"]


def _rec(i, **over):
    raw = {"type": "单选", "stem": f"第{i}题：特种作业操作证每（  ）年复审一次。", "options": ["1", "3", "5", "6"],
           "answer": "B", "explanation": "依据规定每3年复审。", "knowledge_point": "法规/证书", "difficulty": 2,
           "items": SUBJECT, "source": "市级", "pool": "考试", "id": f"T-{i:04d}"}
    raw.update(over)
    rec, errors = build_record(raw, i)
    assert not errors, errors
    return rec


def _setup():
    services.load_knowledge_points(SUBJECT, LEAVES)


def _question(key):
    return db.session.scalar(sa.select(Question).where(Question.external_key == key))


def test_import_is_idempotent_and_versions_changes(app):
    with app.app_context():
        _setup()
        result = services.import_records([_rec(1), _rec(2)], activate=True, source_name="t")
        assert (result.created, result.unchanged) == (2, 0)
        again = services.import_records([_rec(1), _rec(2)], activate=True, source_name="t")
        assert (again.created, again.new_versions, again.unchanged) == (0, 0, 2)
        changed = services.import_records([_rec(1, explanation="依据规定，每3年复审1次。")], activate=True, source_name="t")
        assert changed.new_versions == 1
        q = _question("T-0001")
        versions = db.session.scalars(sa.select(QuestionVersion).where(QuestionVersion.question_id == q.id)
                                      .order_by(QuestionVersion.version_no)).all()
        assert [v.version_no for v in versions] == [1, 2]
        assert versions[0].explanation == "依据规定每3年复审。"  # the old version is never edited
        assert q.current_version_id == versions[1].id


def test_a_changed_key_is_audited(app):
    with app.app_context():
        _setup()
        services.import_records([_rec(3)], activate=True, source_name="t")
        services.import_records([_rec(3, answer="D")], activate=True, source_name="t")
        entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "question.key_change")
                                   .order_by(AuditEntry.seq.desc())).first()
        assert entry.object_id == "T-0003"
        assert entry.before["answer"] == "B" and entry.after["answer"] == "D"


def test_all_or_nothing_with_unknown_item_and_knowledge_point(app):
    with app.app_context():
        _setup()
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Question))
        result = services.import_records([_rec(4), _rec(5, knowledge_point="法规/不存在"), _rec(6, items="不存在的项目")],
                                         activate=True, source_name="t")
        assert {(e.row, e.column) for e in result.errors} == {(5, "知识点"), (6, "适用项目")}
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == before


def test_same_stem_under_another_key_is_refused_within_a_subject(app):
    with app.app_context():
        _setup()
        services.import_records([_rec(7)], activate=True, source_name="t")
        clash = _rec(7, id="OTHER-1")
        result = services.import_records([clash], activate=True, source_name="t")
        assert result.errors and "题干相同" in result.errors[0].message


def test_drafts_are_edited_in_place_and_generation_bumps(app):
    with app.app_context():
        _setup()
        services.import_records([_rec(8)], activate=False, source_name="t")
        q = _question("T-0008")
        assert q.status == QuestionStatus.DRAFT
        kp = q.current.knowledge_point
        services.save_version(q, _rec(8, stem="第8题：修改后的题干（  ）。"), kp, None)
        assert len(q.versions) == 1 and q.current.stem == "第8题：修改后的题干（  ）。"
        gen_before = db.session.get(BankGeneration, q.item_id).generation
        services.set_status([q], QuestionStatus.ACTIVE, reason="审核通过")
        assert db.session.get(BankGeneration, q.item_id).generation != gen_before
        services.save_version(q, _rec(8, stem="第8题：启用后再改（  ）。"), kp, None)
        assert [v.version_no for v in q.versions] == [1, 2]


def test_export_round_trips_exactly(app):
    with app.app_context():
        _setup()
        recs = [_rec(9, options=["+1", "=SUM(A1)", "@x", "-3"]), _rec(10, type="判断", options=[], answer="错",
                stem="第10题：<b>停电</b>后可直接作业。", knowledge_point="急救/心肺复苏")]
        services.import_records(recs, activate=True, source_name="t")
        questions = [_question("T-0009"), _question("T-0010")]
        for name in ("x.xlsx", "x.yaml"):
            data = exporting.export_bytes(questions, name)
            parsed = parse_upload(name, data)
            assert not parsed.errors
            result = services.import_records(parsed.records, activate=True, source_name=name)
            assert (result.created, result.new_versions, result.unchanged) == (0, 0, 2), name
        wb = load_workbook(io.BytesIO(exporting.export_bytes(questions, "x.xlsx")))
        assert all(c.data_type != "f" for row in wb.active.iter_rows() for c in row)


def test_shipped_bank_imports(app):
    with app.app_context():
        from app.questions.bankfiles import parse_knowledge_points
        for path in sorted((BANK_DIR / "knowledge_points").glob("*.yaml")):
            services.load_knowledge_points(*parse_knowledge_points(path.read_text(encoding="utf-8"), path.name))
        records = []
        for path in sorted((BANK_DIR / "questions").glob("*.yaml")):
            _s, parsed = parse_yaml_questions(path.read_text(encoding="utf-8"), path.name)
            assert not parsed.errors
            records += parsed.records
        result = services.import_records(records, activate=True, source_name="bank")
        assert not result.errors and result.created == len(records) >= 6 * 260


@pytest.mark.parametrize("bad", [b"questions: [", b"- just a string", b"{}"])
def test_bad_yaml_uploads_are_refused_clearly(bad):
    from app.core.errors import DomainError
    try:
        parsed = parse_upload("bad.yaml", bad)
    except DomainError as exc:
        assert "YAML" in exc.message
    else:
        assert parsed.errors and not parsed.records
