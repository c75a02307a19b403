"""The pure scoring rules: field input, task and subject scores, vetoes, disagreement, the draw."""
import math

import pytest
import yaml

from app.practical import scoring
from app.practical.rubrics import rubric_from_dict
from tests.practical.helpers import FIXTURES

RUBRIC = rubric_from_dict(yaml.safe_load((FIXTURES / "diya-test.yaml").read_text(encoding="utf-8")))
DRAWN = {"K1": "K11", "K2": "K21", "K3": "K31", "K4": "K41"}


@pytest.mark.parametrize("raw, expected", [
    ("９０", 90), ("5", 5), (" 2.5 ", 2.5), ("４．５", 4.5), ("0", 0), ("+3", 3), (7, 7), (2.5, 2.5), ("3.0", 3),
])
def test_deductions_are_normalised(raw, expected):
    assert scoring.parse_deduction(raw, 100) == expected


@pytest.mark.parametrize("raw, message", [
    ("", "请填写扣分"), (None, "请填写扣分"), ("  ", "请填写扣分"), ("-5", "不能为负数"), ("－５", "不能为负数"),
    ("41", "不能超过该要点的分值 40 分"), ("abc", "不是数字"), ("NaN", "不是数字"), (math.nan, "应为数字"),
    (math.inf, "应为数字"), ("1e3", "不是数字"), ("2.25", "最多保留一位小数"), (True, "应为数字"), ("5分", "不是数字"),
])
def test_bad_deductions_are_refused_with_a_reason(raw, message):
    with pytest.raises(scoring.ScoreInputError, match=message):
        scoring.parse_deduction(raw, 40)


def test_task_score_is_100_minus_deductions_and_ignores_unknown_points():
    task = RUBRIC.task("K21")
    assert scoring.task_score(task, None) == 100
    assert scoring.task_score(task, {"d": {"K21-1": 5, "K21-2": 20.5, "K99-1": 50}}) == 74.5


def test_subject_scores_are_weighted_and_summed():
    marks = {"K11": {"d": {"K11-1": 10}}, "K21": {"d": {"K21-2": 30}}, "K31": {"d": {"K31-1": 20}}, "K41": {}}
    result = scoring.marks_result(RUBRIC, DRAWN, marks)
    assert [t.weighted for t in result.tasks] == [18, 28, 16, 20]
    assert result.total == 82 and result.passed


def test_a_failed_veto_fails_the_practical_whatever_the_total():
    marks = {"K41": {"v": {"K41-V1": "直接用手拉开触电者"}}}
    result = scoring.marks_result(RUBRIC, DRAWN, marks)
    assert result.total == 100
    assert result.veto_failed and not result.passed


def test_pass_mark_is_inclusive_and_an_undrawn_subject_fails():
    marks = {"K21": {"d": {"K21-2": 50}}}  # K2: 50 × 40 / 100 = 20 → total 80
    assert scoring.marks_result(RUBRIC, DRAWN, marks).total == 80
    assert scoring.marks_result(RUBRIC, DRAWN, marks).passed
    partial = scoring.marks_result(RUBRIC, {"K1": "K11"}, {})
    assert not partial.complete and not partial.passed


def test_comparison_flags_differences_above_the_threshold_and_veto_disagreements():
    a = {"K11": {"d": {"K11-1": 5}}, "K21": {"d": {"K21-2": 10}}}
    b = {"K11": {"d": {"K11-1": 10}}, "K21": {"d": {"K21-2": 20}}, "K41": {"v": {"K41-V1": "拉手"}}}
    rows = {r.task: r for r in scoring.compare(RUBRIC, DRAWN, a, b)}
    assert not rows["K11"].disputed(5)          # exactly 5 apart: within the threshold
    assert rows["K21"].disputed(5) and rows["K21"].difference == 10
    assert rows["K41"].disputed(5)              # same score, one examiner failed a veto
    assert not rows["K31"].disputed(5)
    assert rows["K11"].agreed == (92.5, ())


def test_unexplained_deductions_need_a_note():
    task = RUBRIC.task("K11")
    assert scoring.unexplained(task, {"d": {"K11-1": 15}}) == []        # 5 + 10: listed deductions
    assert scoring.unexplained(task, {"d": {"K11-1": 40}}) == []        # listed deductions, repeated
    problems = scoring.unexplained(task, {"d": {"K11-1": 7}})      # not made of 5s and 10s
    assert len(problems) == 1 and "K11-1" in problems[0]
    assert scoring.unexplained(task, {"d": {"K11-1": 7}, "n": {"K11-1": "仪表未调零"}}) == []


def test_the_draw_is_reproducible_from_its_seed_and_a_redraw_changes_the_task():
    pool = ["K22", "K21", "K23"]
    assert scoring.draw_task(pool, 42) == scoring.draw_task(list(reversed(pool)), 42)
    drawn = {scoring.draw_task(pool, seed) for seed in range(50)}
    assert drawn == set(pool)
    assert all(scoring.draw_task(pool, s, exclude="K21") != "K21" for s in range(50))
    assert scoring.draw_task(["K31"], 3, exclude="K31") == "K31"


def test_chief_examiner_task_score_input():
    assert scoring.parse_task_score("８５") == 85
    with pytest.raises(scoring.ScoreInputError, match="得分不能超过 100 分"):
        scoring.parse_task_score("101")
    with pytest.raises(scoring.ScoreInputError, match="请填写得分"):
        scoring.parse_task_score("")
