from pathlib import Path

import yaml

from app.questions.bankfiles import BANK_DIR, check_bank


def _bank(tmp_path, questions, leaves=("法规/证书", "法规/培训")):
    (tmp_path / "questions").mkdir()
    (tmp_path / "knowledge_points").mkdir()
    tops = {}
    for leaf in leaves:
        top, child = leaf.split("/")
        tops.setdefault(top, []).append(child)
    kp = {"subject": "低压电工作业", "knowledge_points": [{"name": t, "children": c} for t, c in tops.items()]}
    (tmp_path / "knowledge_points" / "x.yaml").write_text(yaml.safe_dump(kp, allow_unicode=True), encoding="utf-8")
    doc = {"subject": "低压电工作业", "questions": questions}
    (tmp_path / "questions" / "x.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return tmp_path


def _judge(i, answer):
    return {"id": f"X-{i:04d}", "type": "判断", "pool": "考试", "difficulty": 1, "source": "市级",
            "knowledge_point": "法规/证书", "stem": f"第{i}条陈述是真的吗", "answer": answer, "explanation": "因为规定如此。"}


def test_shipped_bank_passes():
    reports = check_bank(BANK_DIR)
    assert len(reports) >= 6
    for r in reports:
        assert r.problems == [], (r.path, r.problems[:5])
        exam = sum(n for (t, pool, _d), n in r.counts.items() if pool == "考试")
        practice = sum(n for (t, pool, _d), n in r.counts.items() if pool == "练习")
        assert exam >= 200 and practice >= 60, r.path


def test_checker_finds_each_kind_of_problem(tmp_path):
    qs = [_judge(i, "对") for i in range(1, 9)] + [_judge(9, "错")]
    qs.append({**_judge(10, "错"), "stem": "第1条陈述，是真的吗？"})          # duplicate after normalising
    qs.append({**_judge(11, "错"), "knowledge_point": "法规/不存在"})       # unknown knowledge point
    qs.append({**_judge(12, "错"), "explanation": ""})                     # no explanation
    qs.append({"id": "X-0013", "type": "单选", "pool": "考试", "difficulty": 2, "source": "市级",
               "knowledge_point": "法规/培训", "stem": "单选题", "options": ["a", "b", "c", "d"], "answer": "AB",
               "explanation": "解析"})
    report = check_bank(_bank(tmp_path, qs))[0]
    text = "\n".join(report.problems)
    assert "题干重复" in text or "的题干重复" in text
    assert "不在 x.yaml 的知识点列表中" in text
    assert "必须有解析" in text
    assert "只能有一个答案" in text
    assert "应在 40%–60% 之间" in text


def test_cli_check_exit_codes(app, tmp_path):
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["questions", "check"])
    assert ok.exit_code == 0 and "检查通过" in ok.output
    bad = _bank(tmp_path, [_judge(1, "对"), _judge(2, "对")])
    result = runner.invoke(args=["questions", "check", str(bad)])
    assert result.exit_code == 1


def test_knowledge_point_files_exist_for_every_question_file():
    for path in (BANK_DIR / "questions").glob("*.yaml"):
        assert (BANK_DIR / "knowledge_points" / path.name).exists()
        assert (BANK_DIR / "blueprints" / path.name).exists(), f"no blueprint for {path.name}"
    assert Path(BANK_DIR / "FORMAT.md").exists()
