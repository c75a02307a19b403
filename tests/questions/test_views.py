"""Question bank pages: list filters, authoring and versions, import, bulk status, export."""
import csv
import io

import sqlalchemy as sa
import yaml
from openpyxl import load_workbook

from app.accounts.models import Role
from app.extensions import db
from app.questions import services
from app.questions.models import Question, QuestionStatus, QuestionVersion
from app.questions.records import TABLE_COLUMNS, build_record

ITEM = "低压电工作业"
LEAVES = ["电工基础/直流电路", "电工基础/交流电路与三相电", "触电事故、防护与急救/触电急救与心肺复苏"]


def _raw(key, qtype="判断", difficulty=1, kp=LEAVES[0], pool="考试", answer=None, options=None, stem=None):
    return {"id": key, "type": qtype, "stem": stem or f"{key} 号测试题：电流的单位是安培吗", "difficulty": difficulty,
            "options": options if options is not None else ([] if qtype == "判断" else ["甲", "乙", "丙", "丁"]),
            "answer": answer or ("对" if qtype == "判断" else "B"), "explanation": "依据电工基础教材。",
            "knowledge_point": kp, "items": [ITEM], "source": "市级", "pool": pool}


def make_questions(app, raws, activate=True) -> dict[str, int]:
    """Knowledge points and the questions described by ``raws``; returns {external key: id}."""
    with app.app_context():
        services.load_knowledge_points(ITEM, LEAVES)
        records = []
        for i, raw in enumerate(raws):
            rec, errors = build_record(raw, i)
            assert not errors, errors
            records.append(rec)
        result = services.import_records(records, activate=activate, source_name="test")
        assert not result.errors, result.errors
        db.session.commit()
        return dict(db.session.execute(sa.select(Question.external_key, Question.id)).all())


def _item_id(app):
    from app.catalog.services import item_by_name
    with app.app_context():
        return item_by_name(ITEM).id


def test_list_filters(client, login, app):
    ids = make_questions(app, [_raw("T-J1"), _raw("T-J2", difficulty=3, kp=LEAVES[2]),
                               _raw("T-S1", qtype="单选", difficulty=2, kp=LEAVES[1], pool="练习")])
    make_questions(app, [_raw("T-D1", stem="草稿里的一道新题")], activate=False)
    login(Role.ADMIN)
    item = _item_id(app)

    def keys(**args):
        page = client.get("/questions", query_string=args).get_data(as_text=True)
        return {k for k in ("T-J1", "T-J2", "T-S1", "T-D1") if f">{k}<" in page}

    assert keys() == {"T-J1", "T-J2", "T-S1", "T-D1"}
    assert keys(qtype="single") == {"T-S1"}
    assert keys(difficulty="3") == {"T-J2"}
    assert keys(pool="practice") == {"T-S1"}
    assert keys(status="draft") == {"T-D1"}
    assert keys(q="草稿里") == {"T-D1"}
    assert keys(item=item, kp="电工基础") == {"T-J1", "T-S1", "T-D1"}
    assert keys(item=item, kp=LEAVES[2]) == {"T-J2"}
    page = client.get("/questions", query_string={"item": item}).get_data(as_text=True)
    assert "触电急救与心肺复苏" in page  # the item's knowledge points become choices
    assert client.get(f"/questions/{ids['T-J1']}").status_code == 200


def test_edit_active_question_makes_a_version_and_keeps_the_old_key(client, login, app):
    ids = make_questions(app, [_raw("T-S1", qtype="单选", answer="B")])
    qid = ids["T-S1"]
    login(Role.ADMIN)
    page = client.get(f"/questions/{qid}/edit").get_data(as_text=True)
    assert "甲" in page and 'value="B"' in page
    form = {"qtype": "single", "stem": "T-S1 号测试题：电流的单位是<b>安培</b>吗", "option_a": "甲", "option_b": "乙",
            "option_c": "丙", "option_d": "戊", "answer": "C", "explanation": "依据电工基础教材。",
            "knowledge_point": LEAVES[0], "difficulty": "2", "source": "市级", "pool": "exam", "change_note": ""}
    r = client.post(f"/questions/{qid}/edit", data=form)
    assert r.status_code == 200 and "请填写修改说明" in r.get_data(as_text=True)
    r = client.post(f"/questions/{qid}/edit", data=dict(form, preview="预览"))
    assert r.status_code == 200 and 'id="question-preview"' in r.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.get(Question, qid).versions) == 1  # a preview saves nothing
    r = client.post(f"/questions/{qid}/edit", data=dict(form, change_note="更正答案"))
    assert r.status_code == 302
    with app.app_context():
        question = db.session.get(Question, qid)
        v1, v2 = question.versions
        assert (v1.answer, v1.options[3], v1.difficulty) == ("B", "丁", 1)  # the old version never changes
        assert (v2.answer, v2.options[3], v2.change_note) == ("C", "戊", "更正答案")
        assert question.current_version_id == v2.id and question.status == QuestionStatus.ACTIVE
        v1_id, v2_id = v1.id, v2.id
    detail = client.get(f"/questions/{qid}").get_data(as_text=True)
    assert "第 1 版" in detail and "第 2 版" in detail and "更正答案" in detail
    diff = client.get(f"/questions/{qid}/versions/{v2_id}").get_data(as_text=True)
    assert "<ins>戊</ins>" in diff and "<del>丁</del>" in diff
    assert "&lt;b&gt;" in diff  # a tag in a diff is shown as text, never as markup
    assert "与第 1 版相比" in diff
    assert "没有可比较的上一版" in client.get(f"/questions/{qid}/versions/{v1_id}").get_data(as_text=True)


def test_new_question_errors_next_to_fields_then_a_draft(client, login, app):
    make_questions(app, [_raw("T-J1")])
    login(Role.ADMIN)
    assert "所属考核项目" in client.get("/questions/new").get_data(as_text=True)
    item = _item_id(app)
    form = {"qtype": "single", "stem": "新录入的题目<script>alert(1)</script>", "option_a": "只有一个选项",
            "answer": "E", "explanation": "解析", "knowledge_point": LEAVES[1], "difficulty": "2", "source": "市级",
            "pool": "exam", "external_key": "NEW-1", "change_note": "新题"}
    r = client.post(f"/questions/new?item_id={item}", data=form)
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and "单选题应有 2–6 个选项" in text and "答案只能由选项字母" in text
    form.update(option_b="第二个选项", answer="A")
    r = client.post(f"/questions/new?item_id={item}", data=form)
    assert r.status_code == 302
    with app.app_context():
        question = db.session.scalar(sa.select(Question).where(Question.external_key == "NEW-1"))
        assert question.status == QuestionStatus.DRAFT and "<script>" not in question.current.stem
        assert question.current.change_note == "新题"
    r = client.post(f"/questions/new?item_id={item}", data=form)
    assert "已被另一道题使用" in r.get_data(as_text=True)
    with app.app_context():
        qid = db.session.scalar(sa.select(Question.id).where(Question.external_key == "NEW-1"))
    edit = {k: v for k, v in form.items() if k != "external_key"}
    r = client.post(f"/questions/{qid}/edit", data=dict(edit, answer="B", change_note="草稿改答案"))
    assert r.status_code == 302
    with app.app_context():
        question = db.session.get(Question, qid)
        assert [v.answer for v in question.versions] == ["B"]  # a draft's only version is edited in place


def _csv(rows) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(TABLE_COLUMNS)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def _row(key, difficulty="1", stem=None):
    values = {"题型": "判断", "题干": stem or f"导入的判断题 {key}", "答案": "对", "解析": "依据规程。",
              "知识点": LEAVES[0], "难度": difficulty, "适用项目": ITEM, "来源": "市级", "题库": "考试", "编号": key}
    return [values.get(c, "") for c in TABLE_COLUMNS]


def test_import_with_a_bad_row_imports_nothing_then_a_good_file_imports(client, login, app):
    make_questions(app, [_raw("T-J1")])
    login(Role.ADMIN)
    bad = _csv([_row("IMP-1"), _row("IMP-2", difficulty="5")])
    r = client.post("/questions/import", data={"file": (io.BytesIO(bad), "bank.csv"), "mode": "active"},
                    content_type="multipart/form-data")
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and "没有导入任何题目" in text
    assert "第 3 行" in text and "难度" in text and "难度应为 1、2 或 3" in text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)
                                 .where(Question.external_key.like("IMP-%"))) == 0
    good = _csv([_row("IMP-1"), _row("IMP-2")])
    r = client.post("/questions/import", data={"file": (io.BytesIO(good), "bank.csv"), "mode": "active"},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "新增 2 题" in r.get_data(as_text=True)
    with app.app_context():
        statuses = set(db.session.scalars(sa.select(Question.status).where(Question.external_key.like("IMP-%"))))
        assert statuses == {QuestionStatus.ACTIVE}
    r = client.post("/questions/import", data={"file": (io.BytesIO(good), "bank.csv"), "mode": "active"},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "未变 2 题" in r.get_data(as_text=True)
    r = client.post("/questions/import", data={"file": (io.BytesIO(b"x"), "bank.txt"), "mode": "draft"},
                    content_type="multipart/form-data")
    assert "只接受" in r.get_data(as_text=True)
    template = client.get("/questions/import/template.xlsx")
    assert template.status_code == 200
    assert [c.value for c in load_workbook(io.BytesIO(template.data)).active[1]] == TABLE_COLUMNS


def test_bulk_retire_needs_a_reason(client, login, app):
    ids = make_questions(app, [_raw("T-J1"), _raw("T-J2"), _raw("T-J3")])
    login(Role.ADMIN)
    picked = [ids["T-J1"], ids["T-J2"]]
    r = client.post("/questions/bulk-status?status=active", data={"ids": picked, "status": "retired", "reason": ""},
                    follow_redirects=True)
    assert "请填写原因" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Question, ids["T-J1"]).status == QuestionStatus.ACTIVE
    r = client.post("/questions/bulk-status", data={"status": "retired", "reason": "过时"}, follow_redirects=True)
    assert "请至少勾选一道题" in r.get_data(as_text=True)
    r = client.post("/questions/bulk-status?status=active",
                    data={"ids": picked, "status": "retired", "reason": "法规已修订"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/questions?status=active")
    with app.app_context():
        status = {k: db.session.get(Question, i).status for k, i in ids.items() if k.startswith("T-")}
        assert status == {"T-J1": "retired", "T-J2": "retired", "T-J3": "active"}
    status_url = f"/questions/{ids['T-J1']}/status"
    r = client.post(status_url, data={"status": "active", "reason": ""}, follow_redirects=True)
    assert "请填写原因" in r.get_data(as_text=True)
    r = client.post(status_url, data={"status": "active", "reason": "恢复"}, follow_redirects=True)
    assert "已启用 1 道题" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Question, ids["T-J1"]).status == QuestionStatus.ACTIVE


def test_export_follows_the_filters(client, login, app):
    make_questions(app, [_raw("T-J1"), _raw("T-S1", qtype="单选")])
    login(Role.ADMIN)
    r = client.get("/questions/export.xlsx?qtype=single")
    rows = list(load_workbook(io.BytesIO(r.data)).active.iter_rows(min_row=2, values_only=True))
    assert [row[-1] for row in rows if not row[-1].startswith("W-")] == ["T-S1"]
    r = client.get("/questions/export.yaml")
    doc = yaml.safe_load(r.data.decode("utf-8"))
    assert {q["id"] for q in doc["questions"] if q["id"].startswith("T-")} == {"T-J1", "T-S1"}


def test_version_of_another_question_is_404(client, login, app):
    ids = make_questions(app, [_raw("T-J1"), _raw("T-J2")])
    login(Role.ADMIN)
    with app.app_context():
        other = db.session.get(Question, ids["T-J2"]).current_version_id
        assert db.session.get(QuestionVersion, other) is not None
    assert client.get(f"/questions/{ids['T-J1']}/versions/{other}").status_code == 404
    assert client.get("/questions/999999").status_code == 404
