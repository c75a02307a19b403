"""The rubric checker (flask rubrics check): the fixture passes; each broken rule is named."""
import copy
from pathlib import Path

import pytest
import yaml

from app.practical import rubrics
from tests.practical.helpers import FIXTURES

CATALOGUE = rubrics.catalogue_facts()
GOOD = yaml.safe_load((FIXTURES / "diya-test.yaml").read_text(encoding="utf-8"))


def check(doc, name="diya-diangong.yaml"):
    return rubrics.check_document(doc, Path(name), CATALOGUE)


def broken(change):
    doc = copy.deepcopy(GOOD)
    change(doc)
    return check(doc)


def test_the_fixture_passes_and_parses():
    report = check(GOOD)
    assert report.ok, report.errors
    assert report.counts == {"K1": 2, "K2": 2, "K3": 2, "K4": 2}
    rubric = rubrics.rubric_from_dict(report.document)
    assert [s.weight for s in rubric.subjects] == [20, 40, 20, 20]
    assert rubric.task("K11").point("K11-1").deductions[1].points == 10
    assert rubric.subject_of("K42").code == "K4"


def _set(path, value):
    def change(doc):
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


@pytest.mark.parametrize("change, message", [
    (_set(["item"], "不存在的作业"), "不在考核项目目录"),
    (_set(["item"], "主要负责人（危险化学品生产单位）"), None),
    (_set(["colour"], "红"), "未知的键“colour”"),
    (_set(["subjects", 0, "weight"], 25), "权重之和应为 100"),
    (_set(["subjects", 0, "weight"], 20.5), "权重应为非负整数"),
    (_set(["subjects", 1, "name"], "操作技术"), "名称应为“安全操作技术”"),
    (_set(["subjects", 0, "tasks", 0, "points", 0, "max"], 45), "分值之和应为 100"),
    (_set(["subjects", 0, "tasks", 0, "points", 0, "max"], 0), "分值（max）应为正整数"),
    (_set(["subjects", 0, "tasks", 0, "points", 0, "deductions", 0, "points"], 50), "超过该要点分值 40"),
    (_set(["subjects", 0, "tasks", 0, "points", 0, "deductions", 0, "points"], -1), "扣分应为正整数"),
    (_set(["subjects", 0, "tasks", 1, "code"], "K11"), "编码 K11 重复"),
    (_set(["subjects", 0, "tasks", 1, "code"], "K21x"), "题目编码应为科目编码加数字"),
    (_set(["subjects", 0, "tasks", 0, "time_limit_minutes"], 90), "超过整场考试时长 60 分钟"),
    (_set(["subjects", 0, "tasks", 0, "time_limit_minutes"], 0), "限时（分钟）应为正整数"),
    (_set(["subjects", 0, "tasks", 0, "description"], "measure it"), "应为中文"),
    (_set(["subjects", 0, "tasks", 0, "name"], ""), "题目名称不能为空"),
    (_set(["subjects", 0, "tasks", 0, "vetoes", 0, "text"], " "), "否决项内容不能为空"),
    (_set(["subjects", 0, "tasks"], []), "至少要有 1 道题"),
    (_set(["subjects", 0, "tasks", 0, "points", 0, "remark"], "x"), "未知的键“remark”"),
    (_set(["duration_minutes"], 45), "与目录中的 60 分钟不一致"),
    (_set(["pass_mark"], 120), "合格分数线应为 1–100"),
    (_set(["weights_confirmed"], "yes"), "true 或 false"),
])
def test_each_rule_is_enforced(change, message):
    report = broken(change)
    assert not report.ok
    if message:
        assert any(message in e for e in report.errors), report.errors
    else:
        assert any("不是特种作业" in e for e in report.errors), report.errors


def test_subjects_must_be_k1_to_k4_in_order_and_weights_match_the_catalogue():
    def swap(doc):
        doc["subjects"][0], doc["subjects"][1] = doc["subjects"][1], doc["subjects"][0]
    assert any("依次为 K1、K2、K3、K4" in e for e in broken(swap).errors)

    def reweigh(doc):
        doc["subjects"][0]["weight"], doc["subjects"][1]["weight"] = 40, 20
    assert any("与目录中的 20/40/20/20 不一致" in e for e in broken(reweigh).errors)


def test_a_single_task_pool_is_a_warning_not_an_error():
    report = broken(lambda doc: doc["subjects"][2]["tasks"].pop())
    assert report.ok and any("只有 1 道题" in w for w in report.warnings)


def test_a_file_for_another_slug_is_a_warning(tmp_path):
    report = check(GOOD, name="something-else.yaml")
    assert report.ok and any("diya-diangong" in w for w in report.warnings)


def test_folder_check_reports_unreadable_yaml_and_duplicate_items(tmp_path):
    (tmp_path / "a.yaml").write_text((FIXTURES / "diya-test.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "b.yaml").write_text((FIXTURES / "diya-test.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "c.yaml").write_text("item: [unclosed", encoding="utf-8")
    reports = {r.path.name: r for r in rubrics.check_folder(tmp_path)}
    assert reports["a.yaml"].ok
    assert any("同一操作项目" in e for e in reports["b.yaml"].errors)
    assert any("无法读取" in e for e in reports["c.yaml"].errors)


def test_cli_check_and_load(app, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["rubrics", "check", str(FIXTURES)])
    assert result.exit_code == 0, result.output
    assert "全部 1 个文件检查通过" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("item: 低压电工作业\nversion: 1\n", encoding="utf-8")
    result = runner.invoke(args=["rubrics", "check", str(bad)])
    assert result.exit_code == 1 and "缺少“subjects”" in result.output
