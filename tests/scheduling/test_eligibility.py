"""Registration eligibility rules (app.scheduling.eligibility): boundaries of every rule and properties."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from app.scheduling.eligibility import (
    EDUCATION_RANK,
    PART_PRACTICAL,
    PART_THEORY,
    RULES,
    Ban,
    Candidate,
    ItemRules,
    PartResult,
    Settings,
    TrainingRecord,
    add_months,
    add_years,
    age_on,
    check_eligibility,
)

EXAM = date(2026, 3, 10)
LOW = ItemRules("低压电工作业", is_special=True, min_education="初中", practical_required=True,
                training_hours_required=148)
HAZ = ItemRules("危险化学品安全作业", is_special=True, min_education="高中", practical_required=True,
                training_hours_required=80)
MGR = ItemRules("一般行业主要负责人", is_special=False, min_education="", practical_required=False,
                training_hours_required=32)
UNSET = ItemRules("防爆电气作业", is_special=True, min_education="初中", practical_required=True,
                  training_hours_required=None)
TRAINED = (TrainingRecord(date(2026, 1, 10), 148),)
DEFAULTS = Settings()
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def person(birth: date = date(1990, 5, 10), sex: str = "男", education: str = "初中",
           health: bool = True) -> Candidate:
    """A candidate who meets every personal condition unless told otherwise."""
    return Candidate(birth_date=birth, sex=sex, education=education, health_commitment_signed=health)


def check(candidate: Candidate | None = None, item: ItemRules = LOW, settings: Settings = DEFAULTS, *,
          part: str = PART_THEORY, exam_date: date = EXAM, training=TRAINED, results=(), bans=(),
          holds_valid_certificate: bool = False, is_review: bool = False):
    """check_eligibility with an eligible first-time theory registration as the default."""
    return check_eligibility(candidate or person(), item, settings, part=part, exam_date=exam_date,
                             training=training, results=results, bans=bans,
                             holds_valid_certificate=holds_valid_certificate, is_review=is_review)


def rules(decision) -> list[str]:
    """The rule keys of a decision's refusals, in order."""
    return [r.rule for r in decision.refusals]


def message(decision, rule: str) -> str:
    """The message of the one refusal for ``rule``."""
    found = [r.message for r in decision.refusals if r.rule == rule]
    assert len(found) == 1, rules(decision)
    return found[0]


def theory(sat_on: date, passed: bool) -> PartResult:
    """A past theory sitting."""
    return PartResult(PART_THEORY, sat_on, passed)


def practical(sat_on: date, passed: bool) -> PartResult:
    """A past practical sitting."""
    return PartResult(PART_PRACTICAL, sat_on, passed)


def test_eligible_first_registration():
    """A trained adult with everything in order may register, and it is not a make-up."""
    decision = check()
    assert decision.ok
    assert decision.refusals == ()
    assert not decision.is_makeup


# --- calendar helpers --------------------------------------------------------------------------

@pytest.mark.parametrize("birth, on, expected", [
    (date(2008, 3, 10), date(2026, 3, 9), 17),
    (date(2008, 3, 10), date(2026, 3, 10), 18),
    (date(2008, 3, 10), date(2026, 3, 11), 18),
    (date(2000, 2, 29), date(2001, 2, 27), 0),
    (date(2000, 2, 29), date(2001, 2, 28), 1),
    (date(2000, 2, 29), date(2001, 3, 1), 1),
    (date(2000, 2, 29), date(2004, 2, 28), 3),
    (date(2000, 2, 29), date(2004, 2, 29), 4),
    (date(1990, 12, 31), date(1991, 1, 1), 0),
    (date(1990, 1, 1), date(1990, 12, 31), 0),
])
def test_age_on(birth, on, expected):
    """Full years, reached on the birthday; 29 February reaches it on 28 February in common years."""
    assert age_on(birth, on) == expected


@pytest.mark.parametrize("day, months, expected", [
    (date(2025, 3, 10), 12, date(2026, 3, 10)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2024, 2, 29), 48, date(2028, 2, 29)),
    (date(2025, 8, 31), 6, date(2026, 2, 28)),
    (date(2025, 1, 31), 1, date(2025, 2, 28)),
    (date(2025, 12, 15), 1, date(2026, 1, 15)),
    (date(2025, 1, 15), -1, date(2024, 12, 15)),
])
def test_add_months_clamps_to_month_end(day, months, expected):
    """Months are added calendar-wise; a missing day becomes the last day of the month."""
    assert add_months(day, months) == expected


def test_add_years_on_29_february():
    """29 February plus a year is 28 February."""
    assert add_years(date(2008, 2, 29), 18) == date(2026, 2, 28)


# --- rule 1: age --------------------------------------------------------------------------------

@pytest.mark.parametrize("birth, refused", [
    (date(2008, 3, 11), True),    # 18th birthday the day after the exam
    (date(2008, 3, 10), False),   # 18th birthday on the exam day
    (date(2008, 3, 9), False),    # 18th birthday the day before
])
def test_minimum_age_boundary(birth, refused):
    """The candidate must be 18 on the exam day; the birthday itself counts."""
    decision = check(person(birth=birth))
    assert ("age_min" in rules(decision)) is refused


def test_minimum_age_message_names_rule_age_and_earliest_date():
    """The message says the rule, the age on the exam day and when they may register."""
    text = message(check(person(birth=date(2008, 3, 11))), "age_min")
    assert "须年满18周岁" in text
    assert "为17周岁" in text
    assert "2008-03-11" in text and "2026-03-10" in text
    assert "2026-03-11或之后" in text


@pytest.mark.parametrize("exam_date, refused", [
    (date(2026, 2, 27), True),
    (date(2026, 2, 28), False),   # no 29 February in 2026: the birthday falls on the 28th
    (date(2026, 3, 1), False),
])
def test_minimum_age_born_on_29_february_common_year(exam_date, refused):
    """Born 29 February 2008: 18 on 28 February 2026."""
    decision = check(person(birth=date(2008, 2, 29)), exam_date=exam_date,
                     training=(TrainingRecord(date(2026, 1, 10), 148),))
    assert ("age_min" in rules(decision)) is refused


@pytest.mark.parametrize("exam_date, refused", [
    (date(2028, 2, 28), True),    # leap year: the birthday is the 29th
    (date(2028, 2, 29), False),
])
def test_minimum_age_born_on_29_february_leap_year(exam_date, refused):
    """With a minimum age of 20, born 29 February 2008 reaches it on 29 February 2028 (a leap year)."""
    decision = check(person(birth=date(2008, 2, 29)), settings=Settings(min_age=20), exam_date=exam_date,
                     training=(TrainingRecord(date(2028, 1, 10), 148),))
    assert ("age_min" in rules(decision)) is refused


@pytest.mark.parametrize("sex, birth, refused", [
    ("男", date(1966, 3, 11), False),  # 60 the day after the exam
    ("男", date(1966, 3, 10), True),   # 60 on the exam day
    ("男", date(1966, 3, 9), True),
    ("女", date(1971, 3, 11), False),  # 55 the day after the exam
    ("女", date(1971, 3, 10), True),   # 55 on the exam day
    ("女", date(1971, 3, 9), True),
])
def test_retirement_age_by_sex(sex, birth, refused):
    """Age on the exam day must be below 60 for men and 55 for women."""
    decision = check(person(birth=birth, sex=sex))
    assert ("age_max" in rules(decision)) is refused


def test_retirement_limit_differs_by_sex():
    """At 57 a man may register and a woman may not."""
    birth = date(1969, 1, 1)
    assert check(person(birth=birth, sex="男")).ok
    text = message(check(person(birth=birth, sex="女")), "age_max")
    assert "法定退休年龄" in text and "女性55周岁" in text and "57周岁" in text and "2024-01-01" in text


def test_retirement_on_29_february():
    """A man born 29 February 1968 reaches 60 on 29 February 2028, a leap year."""
    candidate = person(birth=date(1968, 2, 29))
    training = (TrainingRecord(date(2028, 1, 10), 148),)
    assert check(candidate, exam_date=date(2028, 2, 28), training=training).ok
    assert "age_max" in rules(check(candidate, exam_date=date(2028, 2, 29), training=training))


def test_age_limits_come_from_settings():
    """Configured ages replace the defaults."""
    configured = Settings(min_age=20, retirement_age_male=63, retirement_age_female=58)
    assert check(person(birth=date(1965, 1, 1)), settings=configured).ok          # 61-year-old man
    assert check(person(birth=date(1969, 1, 1), sex="女"), settings=configured).ok  # 57-year-old woman
    text = message(check(person(birth=date(2007, 1, 1)), settings=configured), "age_min")
    assert "须年满20周岁" in text and "为19周岁" in text


def test_age_and_health_not_checked_for_three_roles():
    """三项岗位 registrations have no age or health-commitment condition here."""
    young = person(birth=date(2010, 1, 1), health=False)
    old = person(birth=date(1950, 1, 1), sex="女", health=False)
    training = (TrainingRecord(date(2026, 1, 10), 32),)
    assert check(young, MGR, training=training).ok
    assert check(old, MGR, training=training).ok


# --- rule 2: education --------------------------------------------------------------------------

@pytest.mark.parametrize("item, education, refused", [
    (LOW, "小学", True),
    (LOW, "初中", False),
    (LOW, "高中", False),
    (LOW, "博士研究生", False),
    (HAZ, "初中", True),
    (HAZ, "高中", False),
    (HAZ, "中专", False),
    (HAZ, "技校", False),
    (HAZ, "大专", False),
    (HAZ, "本科", False),
    (MGR, "小学", False),
])
def test_education_rank(item, education, refused):
    """Education is compared by rank; 中专 and 技校 count as 高中; no minimum means none is needed."""
    training = (TrainingRecord(date(2026, 1, 10), 200),)
    decision = check(person(education=education), item, training=training)
    assert ("education" in rules(decision)) is refused


def test_education_message_names_required_and_actual():
    """The message names the item, what is required and what the candidate has."""
    text = message(check(person(education="初中"), HAZ), "education")
    assert "危险化学品安全作业" in text and "高中及以上" in text and "本人登记为初中" in text


def test_unknown_candidate_education_is_refused_with_reason():
    """An education value outside the list cannot prove the minimum."""
    text = message(check(person(education="扫盲班")), "education")
    assert "无法识别" in text and "扫盲班" in text


def test_unknown_catalogue_education_is_a_programming_error():
    """A catalogue minimum outside the list is a data error, not a refusal."""
    item = ItemRules("低压电工作业", True, "初级", True, 148)
    with pytest.raises(ValueError):
        check(item=item)


# --- rule 3: health commitment -------------------------------------------------------------------

def test_health_commitment_required_for_special_operations():
    """Without a signed commitment a special-operation registration is refused."""
    text = message(check(person(health=False)), "health")
    assert "个人健康书面承诺" in text


# --- rule 4: training hours ---------------------------------------------------------------------

@pytest.mark.parametrize("hours, refused", [(147, True), (147.5, True), (148, False), (160, False)])
def test_training_hours_boundary(hours, refused):
    """The completed hours must reach the item's initial hours."""
    decision = check(training=(TrainingRecord(date(2026, 1, 10), hours),))
    assert ("training_hours" in rules(decision)) is refused


def test_training_message_gives_required_and_recorded():
    """The message says required, recorded and missing hours."""
    text = message(check(training=(TrainingRecord(date(2026, 1, 10), 147.5),)), "training_hours")
    assert "148学时" in text and "147.5学时" in text and "还差0.5学时" in text and "2026-03-10" in text


def test_training_hours_add_up_across_records():
    """Theory and practical training recorded separately add up (88 + 60 = 148)."""
    training = (TrainingRecord(date(2025, 12, 1), 88), TrainingRecord(date(2026, 1, 10), 60))
    assert check(training=training).ok


def test_training_fractional_hours_that_add_up_exactly():
    """Floating-point sums that should make the requirement do make it."""
    training = tuple(TrainingRecord(date(2026, 1, 10), 14.8) for _ in range(10))
    assert check(training=training).ok


def test_training_completed_after_the_exam_does_not_count():
    """Only training completed on or before the exam date counts."""
    assert check(training=(TrainingRecord(EXAM, 148),)).ok
    decision = check(training=(TrainingRecord(EXAM + timedelta(days=1), 148),))
    assert "0学时" in message(decision, "training_hours")


@pytest.mark.parametrize("training, refused", [
    ((), True),
    ((TrainingRecord(date(2026, 1, 10), 0),), True),
    ((TrainingRecord(EXAM + timedelta(days=1), 40),), True),
    ((TrainingRecord(date(2026, 1, 10), 1),), False),
])
def test_training_without_catalogue_hours_needs_one_completed_record(training, refused):
    """When the catalogue sets no hours, one completed record with hours is needed."""
    decision = check(item=UNSET, training=training)
    assert ("training_hours" in rules(decision)) is refused
    if refused:
        assert "目录未设定学时" in message(decision, "training_hours")


def test_training_not_checked_for_review():
    """Review training is checked elsewhere."""
    assert check(training=(), is_review=True).ok


def test_negative_training_hours_are_rejected():
    """Negative hours are a data error."""
    with pytest.raises(ValueError):
        check(training=(TrainingRecord(date(2026, 1, 10), -1),))


# --- rule 5: attempts, make-up, retraining --------------------------------------------------------

def test_failed_first_attempt_allows_a_make_up():
    """One failed sitting: the next one is the make-up."""
    decision = check(results=(theory(date(2026, 2, 1), False),))
    assert decision.ok and decision.is_makeup


def test_absence_counts_as_a_failed_sitting():
    """缺考 is recorded as passed=False and uses up the first attempt."""
    decision = check(results=(theory(date(2026, 2, 1), False), theory(date(2026, 2, 20), False)))
    assert rules(decision) == ["retraining_required"]


def test_failed_make_up_requires_retraining():
    """Failing the make-up means retraining before a new registration."""
    decision = check(results=(theory(date(2026, 2, 1), False), theory(date(2026, 2, 20), False)))
    assert not decision.ok and not decision.is_makeup
    text = message(decision, "retraining_required")
    assert "补考仍不合格，须重新参加培训后方可报名" in text
    assert "2026-02-01" in text and "2026-02-20" in text and "理论考试" in text


def test_retraining_after_failed_make_up_starts_a_fresh_cycle():
    """Training completed after the failed make-up: first attempt again, then one make-up again."""
    failed = (theory(date(2025, 12, 1), False), theory(date(2025, 12, 20), False))
    retrained = TRAINED + (TrainingRecord(date(2026, 2, 1), 16),)
    decision = check(training=retrained, results=failed)
    assert decision.ok and not decision.is_makeup
    again = check(training=retrained, results=failed + (theory(date(2026, 2, 15), False),))
    assert again.ok and again.is_makeup
    twice = check(training=retrained, results=failed + (theory(date(2026, 2, 15), False),
                                                         theory(date(2026, 3, 1), False)))
    assert rules(twice) == ["retraining_required"]


def test_retraining_record_without_hours_does_not_start_a_cycle():
    """A zero-hour record is not retraining."""
    failed = (theory(date(2026, 1, 20), False), theory(date(2026, 2, 10), False))
    decision = check(training=TRAINED + (TrainingRecord(date(2026, 2, 20), 0),), results=failed)
    assert rules(decision) == ["retraining_required"]


def test_sitting_on_the_training_completion_day_is_not_in_the_new_cycle():
    """Only sittings dated after the latest training completion count."""
    failed = (theory(date(2026, 1, 10), False), theory(date(2026, 2, 1), False))
    decision = check(training=TRAINED, results=failed)   # training completed 2026-01-10
    assert decision.ok and decision.is_makeup


@pytest.mark.parametrize("makeups, failures, expected_rules, makeup", [
    (0, 1, ["retraining_required"], False),
    (2, 1, [], True),
    (2, 2, [], True),
    (2, 3, ["retraining_required"], False),
])
def test_number_of_make_ups_comes_from_settings(makeups, failures, expected_rules, makeup):
    """makeups_allowed failed sittings are make-ups; one more means retraining."""
    results = tuple(theory(date(2026, 2, 1 + i), False) for i in range(failures))
    decision = check(settings=Settings(makeups_allowed=makeups), results=results)
    assert rules(decision) == expected_rules and decision.is_makeup is makeup


@pytest.mark.parametrize("exam_date, refused", [
    (date(2026, 3, 9), True),
    (date(2026, 3, 10), True),     # exactly 12 months after the pass: still valid
    (date(2026, 3, 11), False),    # expired
])
def test_passed_part_valid_for_twelve_months(exam_date, refused):
    """A pass stays valid through the same day 12 months later."""
    decision = check(exam_date=exam_date, training=(TrainingRecord(date(2025, 2, 1), 148),),
                     results=(theory(date(2025, 3, 10), True),))
    assert ("part_already_passed" in rules(decision)) is refused


def test_already_passed_message():
    """The message gives the pass date, the validity and the end date."""
    text = message(check(results=(theory(date(2026, 2, 1), True),)), "part_already_passed")
    assert text.startswith("理论考试已于2026-02-01合格，12个月内有效") and "2027-02-01" in text
    assert "无需重复报名" in text


def test_pass_on_29_february_valid_until_28_february():
    """A pass on 29 February 2024 is valid through 28 February 2025."""
    training = (TrainingRecord(date(2024, 1, 10), 148),)
    results = (theory(date(2024, 2, 29), True),)
    assert "part_already_passed" in rules(check(exam_date=date(2025, 2, 28), training=training, results=results))
    assert check(exam_date=date(2025, 3, 1), training=training, results=results).ok


def test_expired_pass_and_the_failures_before_it_do_not_count():
    """After a pass has expired, the candidate starts again with a first attempt."""
    training = (TrainingRecord(date(2024, 1, 10), 148),)
    results = (theory(date(2024, 2, 1), False), theory(date(2024, 3, 1), True))
    decision = check(exam_date=date(2025, 6, 1), training=training, results=results)
    assert decision.ok and not decision.is_makeup


def test_failure_after_an_expired_pass_counts():
    """A failure after the expired pass is the first attempt of the new run."""
    training = (TrainingRecord(date(2024, 1, 10), 148),)
    results = (theory(date(2024, 3, 1), True), theory(date(2025, 5, 1), False))
    decision = check(exam_date=date(2025, 6, 1), training=training, results=results)
    assert decision.ok and decision.is_makeup


def test_validity_months_come_from_settings():
    """With 6-month validity a pass on 31 August is valid through 28 February."""
    configured = Settings(passed_part_valid_months=6)
    training = (TrainingRecord(date(2025, 8, 1), 148),)
    results = (theory(date(2025, 8, 31), True),)
    text = message(check(settings=configured, exam_date=date(2026, 2, 28), training=training, results=results),
                   "part_already_passed")
    assert "6个月内有效" in text and "2026-02-28" in text
    assert check(settings=configured, exam_date=date(2026, 3, 1), training=training, results=results).ok


def test_attempts_are_counted_per_part():
    """Practical failures do not use up theory attempts and vice versa."""
    results = (theory(date(2026, 1, 20), True), practical(date(2026, 2, 1), False),
               practical(date(2026, 2, 20), False))
    assert rules(check(part=PART_PRACTICAL, results=results)) == ["retraining_required"]
    theory_failures = (theory(date(2026, 1, 20), False), theory(date(2026, 2, 1), False))
    assert rules(check(part=PART_THEORY, results=theory_failures)) == ["retraining_required"]
    decision = check(part=PART_THEORY, results=(practical(date(2026, 2, 1), False),))
    assert decision.ok and not decision.is_makeup


def test_sittings_after_the_exam_date_are_ignored():
    """Only sittings on or before the exam date are history."""
    results = (theory(EXAM + timedelta(days=1), False), theory(EXAM + timedelta(days=2), False))
    decision = check(results=results)
    assert decision.ok and not decision.is_makeup


# --- rule 6: practical ----------------------------------------------------------------------------

def test_practical_before_theory_is_refused():
    """No theory pass: the practical cannot be registered."""
    text = message(check(part=PART_PRACTICAL), "theory_first")
    assert text.startswith("须先通过理论考试（合格成绩12个月内有效）") and "没有理论考试合格记录" in text


def test_practical_after_failed_theory_is_refused():
    """A failed theory sitting is not a pass."""
    decision = check(part=PART_PRACTICAL, results=(theory(date(2026, 2, 1), False),))
    assert rules(decision) == ["theory_first"]


@pytest.mark.parametrize("exam_date, refused", [
    (date(2026, 3, 10), False),   # exactly 12 months after the theory pass
    (date(2026, 3, 11), True),
])
def test_practical_needs_a_theory_pass_still_valid(exam_date, refused):
    """The theory pass must still be valid on the practical exam day."""
    decision = check(part=PART_PRACTICAL, exam_date=exam_date, training=(TrainingRecord(date(2025, 2, 1), 148),),
                     results=(theory(date(2025, 3, 10), True),))
    assert ("theory_first" in rules(decision)) is refused
    if refused:
        text = message(decision, "theory_first")
        assert "2025-03-10合格" in text and "有效期至2026-03-10" in text and "已过期" in text


def test_practical_on_the_day_of_the_theory_pass():
    """Theory in the morning, practical in the afternoon."""
    assert check(part=PART_PRACTICAL, results=(theory(EXAM, True),)).ok


def test_practical_make_up_and_retraining():
    """A failed practical gives a make-up; after retraining a still-valid theory pass is kept."""
    trained = (TrainingRecord(date(2025, 10, 1), 148),)
    passed = (theory(date(2025, 11, 1), True),)
    one = check(part=PART_PRACTICAL, training=trained, results=passed + (practical(date(2025, 12, 1), False),))
    assert one.ok and one.is_makeup
    failed = passed + (practical(date(2025, 12, 1), False), practical(date(2025, 12, 20), False))
    assert rules(check(part=PART_PRACTICAL, training=trained, results=failed)) == ["retraining_required"]
    retrained = trained + (TrainingRecord(date(2026, 2, 1), 20),)
    fresh = check(part=PART_PRACTICAL, training=retrained, results=failed)
    assert fresh.ok and not fresh.is_makeup


def test_practical_already_passed():
    """A valid practical pass is not sat again."""
    results = (theory(date(2026, 1, 20), True), practical(date(2026, 2, 1), True))
    text = message(check(part=PART_PRACTICAL, results=results), "part_already_passed")
    assert text.startswith("实际操作考试已于2026-02-01合格")


def test_practical_for_item_without_practical_part():
    """三项岗位 have no practical exam; registering one is refused, the theory is fine."""
    training = (TrainingRecord(date(2026, 1, 10), 32),)
    decision = check(item=MGR, part=PART_PRACTICAL, training=training)
    assert rules(decision) == ["no_practical"] and "不设实际操作考试" in message(decision, "no_practical")
    assert check(item=MGR, part=PART_THEORY, training=training).ok


def test_unknown_part_is_a_programming_error():
    """Parts are theory or practical."""
    with pytest.raises(ValueError):
        check(part="oral")
    with pytest.raises(ValueError):
        check(results=(PartResult("oral", date(2026, 1, 1), True),))


def test_unknown_sex_is_a_programming_error():
    """Sex comes from the ID number and is 男 or 女."""
    with pytest.raises(ValueError):
        check(person(sex="M"))


# --- rule 7: bans ---------------------------------------------------------------------------------

GROUND = "以欺骗、贿赂等不正当手段取得证书被撤销"


@pytest.mark.parametrize("until, refused", [
    (EXAM - timedelta(days=1), False),
    (EXAM, True),
    (EXAM + timedelta(days=1), True),
])
def test_ban_boundary(until, refused):
    """A ban lasting until the exam day (inclusive) refuses; one ending the day before does not."""
    decision = check(bans=(Ban(until, GROUND),))
    assert ("ban" in rules(decision)) is refused


def test_ban_message_names_ground_and_date():
    """The message says why and until when."""
    text = message(check(bans=(Ban(date(2027, 5, 1), GROUND),)), "ban")
    assert GROUND in text and "2027-05-01" in text and "2026-03-10" in text


def test_several_bans_give_one_refusal_naming_each():
    """Active bans are reported together; expired ones are left out."""
    bans = (Ban(date(2028, 1, 1), GROUND), Ban(date(2027, 1, 1), "提供虚假材料取得证书被撤销"),
            Ban(date(2026, 1, 1), "已过期的限制"))
    decision = check(bans=bans)
    text = message(decision, "ban")
    assert GROUND in text and "提供虚假材料" in text and "已过期的限制" not in text
    assert text.index("2027-01-01") < text.index("2028-01-01")


# --- rule 8: certificate held ---------------------------------------------------------------------

@pytest.mark.parametrize("held, review, refused", [
    (True, False, True),
    (True, True, False),
    (False, True, False),
    (False, False, False),
])
def test_certificate_held_means_review(held, review, refused):
    """A holder of a valid certificate only reviews."""
    decision = check(holds_valid_certificate=held, is_review=review)
    assert ("certificate_held" in rules(decision)) is refused
    if refused:
        assert "只需办理复审" in message(decision, "certificate_held")


# --- all rules together -------------------------------------------------------------------------

def test_every_refusing_rule_is_reported_in_order():
    """Not just the first rule: all of them, in a fixed order."""
    candidate = person(birth=date(2008, 6, 1), education="小学", health=False)
    decision = check(candidate, training=(), part=PART_PRACTICAL,
                     results=(practical(date(2026, 1, 1), False), practical(date(2026, 2, 1), False)),
                     bans=(Ban(date(2027, 1, 1), GROUND),), holds_valid_certificate=True)
    assert rules(decision) == ["age_min", "education", "health", "training_hours", "retraining_required",
                               "theory_first", "ban", "certificate_held"]
    assert not decision.ok


def test_messages_are_chinese_sentences_with_iso_dates():
    """Messages end like sentences and show dates as YYYY-MM-DD only."""
    candidate = person(birth=date(1950, 6, 1), education="小学", health=False)
    decision = check(candidate, HAZ, training=(TrainingRecord(date(2026, 1, 1), 10),),
                     results=(theory(date(2026, 1, 5), False), theory(date(2026, 2, 5), False)),
                     bans=(Ban(date(2027, 1, 1), GROUND),), holds_valid_certificate=True)
    assert len(decision.refusals) == 7
    for refusal in decision.refusals:
        assert refusal.message.endswith("。")
        assert "datetime" not in refusal.message and "None" not in refusal.message
        assert not re.search(r"\d{4}/\d|\d{4}年", refusal.message)


# --- properties ---------------------------------------------------------------------------------

EDUCATIONS = sorted(EDUCATION_RANK)


@st.composite
def scenarios(draw):
    """A random registration with history clustered around the exam date."""
    exam_date = draw(st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31)))

    def near(low: int, high: int):
        """Dates from ``low`` to ``high`` days around the exam date."""
        return st.integers(low, high).map(lambda days: exam_date + timedelta(days=days))

    candidate = Candidate(
        birth_date=draw(st.dates(min_value=exam_date - timedelta(days=365 * 70),
                                 max_value=exam_date - timedelta(days=365 * 15))),
        sex=draw(st.sampled_from(["男", "女"])),
        education=draw(st.sampled_from(EDUCATIONS)),
        health_commitment_signed=draw(st.booleans()))
    item = ItemRules(name="测试项目", is_special=draw(st.booleans()),
                     min_education=draw(st.sampled_from(["", "初中", "高中"])),
                     practical_required=draw(st.booleans()),
                     training_hours_required=draw(st.none() | st.integers(0, 200)))
    config = Settings(min_age=draw(st.integers(16, 20)), retirement_age_male=draw(st.integers(55, 65)),
                      retirement_age_female=draw(st.integers(50, 60)),
                      passed_part_valid_months=draw(st.integers(1, 24)), makeups_allowed=draw(st.integers(0, 3)))
    hours = st.floats(min_value=0, max_value=200, allow_nan=False, allow_infinity=False)
    training = draw(st.lists(st.builds(TrainingRecord, near(-900, 30), hours), max_size=4))
    results = draw(st.lists(st.builds(PartResult, st.sampled_from([PART_THEORY, PART_PRACTICAL]), near(-900, 10),
                                      st.booleans()), max_size=6))
    bans = draw(st.lists(st.builds(Ban, near(-30, 30), st.sampled_from([GROUND, "提供虚假材料"])), max_size=2))
    kwargs = dict(part=draw(st.sampled_from([PART_THEORY, PART_PRACTICAL])), exam_date=exam_date,
                  training=training, results=results, bans=bans, holds_valid_certificate=draw(st.booleans()),
                  is_review=draw(st.booleans()))
    extra = TrainingRecord(draw(near(-900, 30)), draw(hours))
    return candidate, item, config, kwargs, extra


@hyp_settings(max_examples=400, deadline=None)
@given(scenarios())
def test_property_decisions_are_well_formed(scenario):
    """No duplicate rules, known rules in order, ok iff no refusals, a make-up is never also refused for attempts."""
    candidate, item, config, kwargs, _ = scenario
    decision = check_eligibility(candidate, item, config, **kwargs)
    keys = rules(decision)
    assert len(keys) == len(set(keys))
    assert set(keys) <= set(RULES)
    assert keys == sorted(keys, key=RULES.index)
    assert decision.ok == (not decision.refusals)
    for refusal in decision.refusals:
        assert refusal.message.endswith("。")
        assert not re.search(r"\d{4}/\d|\d{4}年|datetime|None", refusal.message)
        if refusal.rule in {"age_min", "age_max", "training_hours", "part_already_passed", "retraining_required",
                            "ban"}:
            assert DATE_RE.search(refusal.message)
    if decision.is_makeup:
        assert not {"retraining_required", "part_already_passed", "no_practical"} & set(keys)


@hyp_settings(max_examples=400, deadline=None)
@given(scenarios())
def test_property_adding_training_never_adds_a_refusal(scenario):
    """One more training record can only remove refusals."""
    candidate, item, config, kwargs, extra = scenario
    before = set(rules(check_eligibility(candidate, item, config, **kwargs)))
    more = dict(kwargs, training=[*kwargs["training"], extra])
    after = set(rules(check_eligibility(candidate, item, config, **more)))
    assert after <= before


@hyp_settings(max_examples=200, deadline=None)
@given(scenarios())
def test_property_review_never_adds_a_refusal(scenario):
    """A review registration is checked by a subset of the rules."""
    candidate, item, config, kwargs, _ = scenario
    initial = set(rules(check_eligibility(candidate, item, config, **dict(kwargs, is_review=False))))
    review = set(rules(check_eligibility(candidate, item, config, **dict(kwargs, is_review=True))))
    assert review <= initial
