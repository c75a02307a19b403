"""Exam results of a person in one operation item: pure rules, no Flask, no database.

DOMAIN.md §3.4–3.5 and §4.2:
- the practical passes with total ≥ pass mark and no failed veto item (否决项);
- the overall result passes when the theory is passed and — where the item has a practical exam —
  the practical is passed no later than ``valid_months`` (12) after that theory pass; the practical
  cannot be taken before the theory is passed, so a practical before the theory pass does not pair;
- a failed part is repeated once (补考) on its own: the passed part is kept; failing the make-up
  means retraining (重新培训) before a new registration; retraining starts a new attempt cycle.

Months are calendar months with the same month-end rule as registration eligibility
(``app.scheduling.eligibility.add_months``): 2025-02-28 + 12 months = 2026-02-28.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from app.scheduling.eligibility import add_months

THEORY_LABEL, PRACTICAL_LABEL = "理论考试", "实操考试"


@dataclass(frozen=True)
class PartOutcome:
    """One published result of one part (theory or practical)."""

    passed: bool
    score: float | None
    exam_date: dt.date
    session_id: int | None


@dataclass(frozen=True)
class OverallOutcome:
    """The person's result in an item: passed, the parts that count, and what is still missing."""

    passed: bool
    theory: PartOutcome | None
    practical: PartOutcome | None
    needs: list[str] = field(default_factory=list)   # Chinese, e.g. "实操考试未合格，需补考"
    passed_on: dt.date | None = None                 # the day the last required part was passed


class PartState(StrEnum):
    PASSED = "passed"        # a pass still valid on the day asked about
    NOT_TAKEN = "not_taken"  # nothing in this cycle yet
    EXPIRED = "expired"      # passed once, more than valid_months ago, nothing since
    MAKEUP = "makeup"        # failed, a make-up is still allowed
    RETRAIN = "retrain"      # the make-up failed too: retraining before a new registration


@dataclass(frozen=True)
class PartStatus:
    state: PartState
    message: str              # Chinese; empty when passed


def practical_passed(total: float, pass_mark: float, veto_failed: bool) -> bool:
    """DOMAIN.md §4.2: total ≥ pass mark and no failed veto item."""
    return not veto_failed and total + 1e-9 >= pass_mark


def _known(outcomes: Sequence[PartOutcome], today: dt.date) -> list[PartOutcome]:
    """Outcomes up to ``today``, oldest first (ties keep their order)."""
    return sorted((o for o in outcomes if o.exam_date <= today), key=lambda o: o.exam_date)


def _latest_pass(outcomes: Sequence[PartOutcome]) -> PartOutcome | None:
    passes = [o for o in outcomes if o.passed]
    return passes[-1] if passes else None


def part_status(outcomes: Sequence[PartOutcome], *, label: str, today: dt.date, valid_months: int = 12,
                makeups_allowed: int = 1, retrained_on: dt.date | None = None) -> PartStatus:
    """Where a person stands in one part: passed (and valid today), not taken, expired, make-up
    allowed, or retraining required. Failures count from the later of the last pass and the last
    retraining; one failure allows ``makeups_allowed`` make-ups."""
    known = _known(outcomes, today)
    latest = _latest_pass(known)
    if latest is not None and add_months(latest.exam_date, valid_months) >= today:
        return PartStatus(PartState.PASSED, "")
    since = max([d for d in (retrained_on, latest.exam_date if latest else None) if d is not None], default=None)
    failures = [o for o in known if not o.passed and (since is None or o.exam_date > since)]
    if not failures:
        if latest is not None:
            return PartStatus(PartState.EXPIRED, f"{label}于{latest.exam_date:%Y-%m-%d}合格，已超过{valid_months}个月，"
                                                 f"需重新参加{label}")
        return PartStatus(PartState.NOT_TAKEN, f"尚无{label}合格成绩，需参加{label}")
    if len(failures) <= makeups_allowed:
        return PartStatus(PartState.MAKEUP, f"{label}未合格，需补考")
    return PartStatus(PartState.RETRAIN, f"{label}补考未合格，需重新培训后再报名")


def _pair(theory: list[PartOutcome], practical: list[PartOutcome],
          valid_months: int) -> tuple[PartOutcome, PartOutcome] | None:
    """The latest practical pass with a theory pass on or before it and within ``valid_months``."""
    for p in reversed([o for o in practical if o.passed]):
        for t in reversed([o for o in theory if o.passed]):
            if t.exam_date <= p.exam_date <= add_months(t.exam_date, valid_months):
                return t, p
    return None


def overall(theory: Sequence[PartOutcome], practical: Sequence[PartOutcome], *, practical_required: bool,
            today: dt.date, valid_months: int = 12, makeups_allowed: int = 1,
            retrained_on: dt.date | None = None) -> OverallOutcome:
    """The overall result from every published outcome of both parts (results after ``today`` are
    ignored). Items without a practical exam pass on the theory alone."""
    t_known, p_known = _known(theory, today), _known(practical, today)
    if not practical_required:
        latest = _latest_pass(t_known)
        if latest is not None:
            return OverallOutcome(True, latest, None, [], latest.exam_date)
        status = part_status(t_known, label=THEORY_LABEL, today=today, valid_months=valid_months,
                             makeups_allowed=makeups_allowed, retrained_on=retrained_on)
        return OverallOutcome(False, t_known[-1] if t_known else None, None, [status.message], None)
    pair = _pair(t_known, p_known, valid_months)
    if pair is not None:
        return OverallOutcome(True, pair[0], pair[1], [], pair[1].exam_date)
    kwargs = {"today": today, "valid_months": valid_months, "makeups_allowed": makeups_allowed,
              "retrained_on": retrained_on}
    t_status = part_status(t_known, label=THEORY_LABEL, **kwargs)
    # The practical counts from the current theory pass on: a practical of an earlier cycle does not.
    t_pass = _latest_pass(t_known)
    p_cycle = [o for o in p_known if t_pass is None or o.exam_date >= t_pass.exam_date]
    p_status = part_status(p_cycle, label=PRACTICAL_LABEL, **kwargs)
    needs = [t_status.message] if t_status.state != PartState.PASSED else []
    # Theory first: the practical is named once the theory is passed, or when it was sat already.
    if p_status.state != PartState.PASSED and (t_status.state == PartState.PASSED or p_cycle):
        needs.append(p_status.message)
    theory_shown = t_pass or (t_known[-1] if t_known else None)
    return OverallOutcome(False, theory_shown, p_known[-1] if p_known else None, needs, None)


__all__ = ["PartOutcome", "OverallOutcome", "PartState", "PartStatus", "practical_passed", "part_status",
           "overall", "THEORY_LABEL", "PRACTICAL_LABEL"]
