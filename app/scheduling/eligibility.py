"""Registration eligibility (报名条件) for one part of one exam: pure rules, no database, no I/O.

DOMAIN.md §1.3 (people), §3.4–3.5 (theory first, 12-month validity, one make-up, retraining),
§5 (training hours) and §6.3 (bans after revocation). The caller loads the facts (candidate,
catalogue item, settings, the candidate's training records, past sittings and bans for this
item) and gets back every rule that refuses, each with a Chinese sentence a person can act on.

Decisions where the rules leave room (see also the module tests):
- Age in 周岁 is reached on the birthday itself; someone born on 29 February reaches it on
  28 February in a non-leap year (民法典 第二百零二条: no corresponding day → last day of the
  month). The same month-end rule is used to add months to a passed sitting.
- Retraining (a training record completed after a sitting) starts a new attempt cycle: earlier
  failed sittings no longer count towards the make-up limit. A passed part, however, stays valid
  for ``passed_part_valid_months`` whatever training follows it (§3.4 "a passing part stays
  valid for 12 months"), so retraining after a failed practical make-up keeps a valid theory
  pass. This also guarantees that adding a training record never adds a refusal.
"""
from __future__ import annotations

import calendar
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

PART_THEORY, PART_PRACTICAL = "theory", "practical"
PARTS = (PART_THEORY, PART_PRACTICAL)
PART_LABELS = {PART_THEORY: "理论考试", PART_PRACTICAL: "实际操作考试"}

EDUCATION_RANK = {"小学": 0, "初中": 1, "高中": 2, "中专": 2, "技校": 2, "大专": 3, "本科": 4, "硕士研究生": 5,
                  "博士研究生": 6}

SEXES = ("男", "女")

# Machine keys of the rules, in the order refusals are reported.
RULES = ("age_min", "age_max", "education", "health", "training_hours", "no_practical", "part_already_passed",
         "retraining_required", "theory_first", "ban", "certificate_held")

_HOURS_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Candidate:
    """The facts about a person that the registration rules look at."""

    birth_date: date
    sex: str                    # "男" / "女"
    education: str              # one of EDUCATION_RANK
    health_commitment_signed: bool   # 个人健康书面承诺 recorded


@dataclass(frozen=True)
class ItemRules:
    """The catalogue facts about an operation item (特种作业) or a 三项岗位 role/industry."""

    name: str                   # e.g. "低压电工作业"
    is_special: bool            # 特种作业 (True) or 三项岗位 (False)
    min_education: str          # "" = no requirement; "初中"; "高中" for 危险化学品安全作业
    practical_required: bool
    training_hours_required: int | None   # initial training hours; None = not set in the catalogue


@dataclass(frozen=True)
class Settings:
    """Base-wide configurable values (DOMAIN.md marks them configurable)."""

    min_age: int = 18
    retirement_age_male: int = 60
    retirement_age_female: int = 55
    passed_part_valid_months: int = 12
    makeups_allowed: int = 1


@dataclass(frozen=True)
class TrainingRecord:
    """One completed training of this item."""

    end_date: date              # training completed on
    hours: float                # hours credited (records of the same item only are passed in)


@dataclass(frozen=True)
class PartResult:
    """A past sitting of one part of this item."""

    part: str                   # PART_THEORY / PART_PRACTICAL
    sat_on: date
    passed: bool                # an absence (缺考) is passed=False


@dataclass(frozen=True)
class Ban:
    """A bar on new applications, e.g. 3 years after revocation for deceit (§6.3)."""

    until: date                 # no new application before this date (inclusive)
    ground: str                 # Chinese, e.g. "以欺骗、贿赂等不正当手段取得证书被撤销"


@dataclass(frozen=True)
class Refusal:
    """One rule that refuses the registration, with a Chinese explanation."""

    rule: str                   # machine key, one of RULES
    message: str                # Chinese, names the rule and the facts


@dataclass(frozen=True)
class Decision:
    """The outcome: every refusal, and whether the sitting would be a make-up (补考)."""

    refusals: tuple[Refusal, ...]
    is_makeup: bool             # this sitting is the make-up of the part

    @property
    def ok(self) -> bool:
        """True when no rule refuses."""
        return not self.refusals


# ---------------------------------------------------------------------------------------------
# Calendar helpers


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months; a missing day becomes the month's last day."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def add_years(day: date, years: int) -> date:
    """``day`` moved by ``years`` years; 29 February becomes 28 February in a non-leap year."""
    return add_months(day, 12 * years)


def age_on(birth_date: date, on: date) -> int:
    """Age in full years (周岁) on ``on``; the birthday itself counts as reached."""
    years = on.year - birth_date.year
    if add_years(birth_date, years) > on:
        years -= 1
    return years


def _iso(day: date) -> str:
    """A date as YYYY-MM-DD."""
    return day.isoformat()


def _hours(value: float) -> str:
    """Hours for a message: at most two decimals, no trailing zeros."""
    text = f"{round(value, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# ---------------------------------------------------------------------------------------------
# The rules


def _check_age(candidate: Candidate, item: ItemRules, settings: Settings, exam_date: date) -> list[Refusal]:
    """Rule 1: special operations need min_age on the exam date and an age below retirement."""
    if not item.is_special:
        return []
    refusals = []
    age = age_on(candidate.birth_date, exam_date)
    if age < settings.min_age:
        earliest = add_years(candidate.birth_date, settings.min_age)
        refusals.append(Refusal("age_min", (
            f"报名条件：考试当日须年满{settings.min_age}周岁（本人出生于{_iso(candidate.birth_date)}，"
            f"考试当日{_iso(exam_date)}为{age}周岁），请选择{_iso(earliest)}或之后的考试日期。")))
    limit = settings.retirement_age_male if candidate.sex == "男" else settings.retirement_age_female
    if age >= limit:
        reached = add_years(candidate.birth_date, limit)
        refusals.append(Refusal("age_max", (
            f"报名条件：特种作业人员不得超过法定退休年龄（{candidate.sex}性{limit}周岁），本人出生于"
            f"{_iso(candidate.birth_date)}，已于{_iso(reached)}满{limit}周岁，考试当日{_iso(exam_date)}为"
            f"{age}周岁，不能报名。")))
    return refusals


def _check_education(candidate: Candidate, item: ItemRules) -> list[Refusal]:
    """Rule 2: education at least the item's minimum, compared by rank."""
    if not item.min_education:
        return []
    required = EDUCATION_RANK[item.min_education]
    actual = EDUCATION_RANK.get(candidate.education)
    if actual is None:
        return [Refusal("education", (
            f"报名条件：{item.name}要求{item.min_education}及以上文化程度，本人登记的文化程度"
            f"“{candidate.education}”无法识别，请更正后再报名。"))]
    if actual < required:
        return [Refusal("education", (
            f"报名条件：{item.name}要求{item.min_education}及以上文化程度，本人登记为{candidate.education}，"
            f"不符合报名条件。"))]
    return []


def _check_health(candidate: Candidate, item: ItemRules) -> list[Refusal]:
    """Rule 3: special operations need a signed personal health commitment."""
    if item.is_special and not candidate.health_commitment_signed:
        return [Refusal("health", (
            "报名条件：特种作业人员须签署个人健康书面承诺，本人尚未签署，请签署并登记后再报名。"))]
    return []


def _completed(training: Sequence[TrainingRecord], exam_date: date) -> list[TrainingRecord]:
    """Training records completed on or before the exam date."""
    return [record for record in training if record.end_date <= exam_date]


def _check_training(item: ItemRules, exam_date: date, training: Sequence[TrainingRecord]) -> list[Refusal]:
    """Rule 4: the completed hours reach the item's initial hours (or any hours when unset)."""
    completed = _completed(training, exam_date)
    recorded = math.fsum(record.hours for record in completed)
    required = item.training_hours_required
    if required is None:
        if any(record.hours > 0 for record in completed):
            return []
        return [Refusal("training_hours", (
            f"报名条件：须先完成{item.name}的培训（目录未设定学时，至少须有一条已完成的培训记录），"
            f"截至考试日期{_iso(exam_date)}已登记完成0学时，请完成培训并登记后再报名。"))]
    if recorded + _HOURS_TOLERANCE >= required:
        return []
    return [Refusal("training_hours", (
        f"报名条件：{item.name}初训须完成{required}学时，截至考试日期{_iso(exam_date)}已登记完成"
        f"{_hours(recorded)}学时，还差{_hours(required - recorded)}学时，请完成培训并登记后再报名。"))]


def _cycle_start(training: Sequence[TrainingRecord], exam_date: date) -> date | None:
    """The latest completion of a training with hours (before the exam); sittings after it count."""
    ends = [record.end_date for record in _completed(training, exam_date) if record.hours > 0]
    return max(ends) if ends else None


def _latest_pass(results: Sequence[PartResult], part: str, exam_date: date) -> PartResult | None:
    """The most recent passed sitting of ``part`` on or before the exam date, valid or not."""
    passes = [r for r in results if r.part == part and r.passed and r.sat_on <= exam_date]
    return max(passes, key=lambda r: r.sat_on) if passes else None


def _valid_until(result: PartResult, settings: Settings) -> date:
    """The last day on which a passed sitting still counts."""
    return add_months(result.sat_on, settings.passed_part_valid_months)


def _check_attempts(item: ItemRules, settings: Settings, part: str, exam_date: date,
                    training: Sequence[TrainingRecord], results: Sequence[PartResult]) -> tuple[list[Refusal], bool]:
    """Rule 5: already passed and valid; otherwise count failures in the cycle for make-up/retraining."""
    label = PART_LABELS[part]
    latest = _latest_pass(results, part, exam_date)
    if latest is not None:
        until = _valid_until(latest, settings)
        if until >= exam_date:
            return [Refusal("part_already_passed", (
                f"{label}已于{_iso(latest.sat_on)}合格，{settings.passed_part_valid_months}个月内有效"
                f"（至{_iso(until)}），无需重复报名。"))], False
    after = [d for d in (_cycle_start(training, exam_date), latest.sat_on if latest else None) if d is not None]
    threshold = max(after) if after else None
    failures = sorted(r.sat_on for r in results
                      if r.part == part and not r.passed and r.sat_on <= exam_date
                      and (threshold is None or r.sat_on > threshold))
    if not failures:
        return [], False
    if len(failures) <= settings.makeups_allowed:
        return [], True
    dates = "、".join(_iso(d) for d in failures)
    return [Refusal("retraining_required", (
        f"补考仍不合格，须重新参加培训后方可报名：{item.name}{label}于{dates}共{len(failures)}次不合格"
        f"（含缺考，允许补考{settings.makeups_allowed}次），请完成重新培训并登记后再报名。"))], False


def _check_theory_first(settings: Settings, exam_date: date, results: Sequence[PartResult]) -> list[Refusal]:
    """Rule 6: the practical needs a theory pass still valid on the exam date."""
    months = settings.passed_part_valid_months
    latest = _latest_pass(results, PART_THEORY, exam_date)
    if latest is None:
        facts = "本人没有理论考试合格记录"
    else:
        until = _valid_until(latest, settings)
        if until >= exam_date:
            return []
        facts = (f"本人最近一次理论考试于{_iso(latest.sat_on)}合格，有效期至{_iso(until)}，"
                 f"考试当日{_iso(exam_date)}已过期")
    return [Refusal("theory_first", (
        f"须先通过理论考试（合格成绩{months}个月内有效）：{facts}，请先报名理论考试。"))]


def _check_bans(exam_date: date, bans: Sequence[Ban]) -> list[Refusal]:
    """Rule 7: any ban lasting until the exam date or later refuses (all active bans in one refusal)."""
    active = sorted((b for b in bans if b.until >= exam_date), key=lambda b: (b.until, b.ground))
    if not active:
        return []
    parts = "；".join(f"因“{b.ground}”，{_iso(b.until)}（含当日）前不得申请" for b in active)
    return [Refusal("ban", f"禁止报名：{parts}，考试日期{_iso(exam_date)}在限制期内，不能报名。")]


def _check_certificate(item: ItemRules, holds_valid_certificate: bool, is_review: bool) -> list[Refusal]:
    """Rule 8: a holder of a valid certificate reviews (复审) instead of registering again."""
    if holds_valid_certificate and not is_review:
        return [Refusal("certificate_held", (
            f"已持有{item.name}有效证书，只需办理复审，不能重新报名初次考试。"))]
    return []


def _validate(candidate: Candidate, item: ItemRules, part: str, training: Sequence[TrainingRecord],
              results: Sequence[PartResult]) -> None:
    """Raise ValueError for inputs no caller should pass (programming or catalogue errors)."""
    if part not in PARTS:
        raise ValueError(f"unknown part {part!r}; expected one of {PARTS}")
    if candidate.sex not in SEXES:
        raise ValueError(f"unknown sex {candidate.sex!r}; expected one of {SEXES}")
    if item.min_education and item.min_education not in EDUCATION_RANK:
        raise ValueError(f"unknown min_education {item.min_education!r} for item {item.name!r}")
    if any(not math.isfinite(r.hours) or r.hours < 0 for r in training):
        raise ValueError("training hours must be finite and not negative")
    if any(r.part not in PARTS for r in results):
        raise ValueError(f"unknown part in results; expected one of {PARTS}")


def check_eligibility(candidate: Candidate, item: ItemRules, settings: Settings, *, part: str, exam_date: date,
                      training: Sequence[TrainingRecord] = (), results: Sequence[PartResult] = (),
                      bans: Sequence[Ban] = (), holds_valid_certificate: bool = False,
                      is_review: bool = False) -> Decision:
    """Every rule that refuses, each naming its rule (not just the first).

    ``training``, ``results`` and ``bans`` are this candidate's records for this item. Sittings
    and training after ``exam_date`` are ignored. Raises ValueError for an unknown part or sex,
    an unknown catalogue education level, or negative training hours.
    """
    _validate(candidate, item, part, training, results)
    refusals: list[Refusal] = []
    refusals += _check_age(candidate, item, settings, exam_date)
    refusals += _check_education(candidate, item)
    refusals += _check_health(candidate, item)
    if not is_review:
        refusals += _check_training(item, exam_date, training)
    is_makeup = False
    if part == PART_PRACTICAL and not item.practical_required:
        refusals.append(Refusal("no_practical", (
            f"{item.name}不设实际操作考试，无需报名实际操作考试，请报名理论考试。")))
    else:
        attempt_refusals, is_makeup = _check_attempts(item, settings, part, exam_date, training, results)
        refusals += attempt_refusals
        if part == PART_PRACTICAL:
            refusals += _check_theory_first(settings, exam_date, results)
    refusals += _check_bans(exam_date, bans)
    refusals += _check_certificate(item, holds_valid_certificate, is_review)
    return Decision(refusals=tuple(refusals), is_makeup=is_makeup)


__all__ = ["PART_THEORY", "PART_PRACTICAL", "PARTS", "PART_LABELS", "EDUCATION_RANK", "RULES", "Candidate",
           "ItemRules", "Settings", "TrainingRecord", "PartResult", "Ban", "Refusal", "Decision",
           "check_eligibility", "add_months", "add_years", "age_on"]
