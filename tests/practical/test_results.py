"""Pure result rules: practical passed, the overall result, make-ups and retraining."""
import datetime as dt

from app.practical.results import PartOutcome, PartState, overall, part_status, practical_passed

D = dt.date


def P(passed, day, score=None):  # noqa: N802 - a short constructor for the tables below
    return PartOutcome(passed, score, day, None)


def test_practical_passed_needs_the_mark_and_no_veto():
    assert practical_passed(80, 80, False)
    assert not practical_passed(79.99, 80, False)
    assert not practical_passed(100, 80, True)


def test_both_parts_passed_within_12_months_pass_on_the_later_date():
    out = overall([P(True, D(2026, 1, 10), 90)], [P(True, D(2026, 3, 1), 85)], practical_required=True,
                  today=D(2026, 6, 1))
    assert out.passed and out.passed_on == D(2026, 3, 1) and out.needs == []
    assert out.theory.exam_date == D(2026, 1, 10) and out.practical.score == 85


def test_a_theory_pass_more_than_12_months_before_the_practical_does_not_count():
    out = overall([P(True, D(2025, 1, 10))], [P(True, D(2026, 1, 11))], practical_required=True, today=D(2026, 2, 1))
    assert not out.passed
    assert any("理论考试" in n and "超过12个月" in n for n in out.needs)
    same_day = overall([P(True, D(2025, 1, 10))], [P(True, D(2026, 1, 10))], practical_required=True,
                       today=D(2026, 2, 1))
    assert same_day.passed  # 12 calendar months to the day still counts


def test_a_failed_practical_is_repeated_alone_then_retraining():
    theory = [P(True, D(2026, 1, 10))]
    once = overall(theory, [P(False, D(2026, 2, 1))], practical_required=True, today=D(2026, 2, 5))
    assert once.needs == ["实操考试未合格，需补考"]      # the theory pass is kept
    twice = overall(theory, [P(False, D(2026, 2, 1)), P(False, D(2026, 3, 1))], practical_required=True,
                    today=D(2026, 3, 5))
    assert twice.needs == ["实操考试补考未合格，需重新培训后再报名"]
    retrained = overall(theory, [P(False, D(2026, 2, 1)), P(False, D(2026, 3, 1))], practical_required=True,
                        today=D(2026, 4, 5), retrained_on=D(2026, 4, 1))
    assert retrained.needs == ["尚无实操考试合格成绩，需参加实操考试"]


def test_a_failed_theory_is_named_and_the_practical_waits():
    out = overall([P(False, D(2026, 1, 10))], [], practical_required=True, today=D(2026, 1, 20))
    assert out.needs == ["理论考试未合格，需补考"] and not out.passed
    fresh = overall([], [], practical_required=True, today=D(2026, 1, 20))
    assert fresh.needs == ["尚无理论考试合格成绩，需参加理论考试"]
    ready = overall([P(True, D(2026, 1, 10))], [], practical_required=True, today=D(2026, 1, 20))
    assert ready.needs == ["尚无实操考试合格成绩，需参加实操考试"]


def test_items_without_a_practical_pass_on_the_theory_alone():
    out = overall([P(False, D(2026, 1, 1)), P(True, D(2026, 2, 1), 88)], [], practical_required=False,
                  today=D(2026, 3, 1))
    assert out.passed and out.passed_on == D(2026, 2, 1) and out.practical is None


def test_results_after_today_are_ignored():
    out = overall([P(True, D(2026, 1, 10))], [P(True, D(2026, 5, 1))], practical_required=True, today=D(2026, 4, 1))
    assert not out.passed and out.practical is None


def test_part_status_states():
    assert part_status([], label="理论考试", today=D(2026, 1, 1)).state == PartState.NOT_TAKEN
    assert part_status([P(True, D(2025, 1, 1))], label="理论考试", today=D(2026, 1, 2)).state == PartState.EXPIRED
    assert part_status([P(True, D(2025, 1, 1))], label="理论考试", today=D(2026, 1, 1)).state == PartState.PASSED
