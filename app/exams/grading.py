"""Grading a paper from its snapshot, through the question-type registry. Pure module."""
from __future__ import annotations

from dataclasses import dataclass, field

from app.questions.types import kind


@dataclass(frozen=True)
class GradeItem:
    position: int
    qtype: str
    key: str
    points: float
    kp: str  # first-level knowledge point


@dataclass
class GradeResult:
    score: float
    max_score: float
    passed: bool
    correct: dict[int, bool]
    by_kp: dict[str, tuple[float, float]] = field(default_factory=dict)  # kp -> (earned, possible)


def grade(items: list[GradeItem], answers: dict[int, str | None], pass_mark: float) -> GradeResult:
    """Score each question all-or-nothing by its type's grade(); unanswered scores 0.
    Returns the total, pass/fail (score ≥ pass_mark) and a breakdown per knowledge point."""
    correct, by_kp, score, max_score = {}, {}, 0.0, 0.0
    for it in items:
        ok = kind(it.qtype).grade(it.key, answers.get(it.position))
        correct[it.position] = ok
        earned = it.points if ok else 0.0
        score += earned
        max_score += it.points
        got, possible = by_kp.get(it.kp, (0.0, 0.0))
        by_kp[it.kp] = (got + earned, possible + it.points)
    score = round(score, 2)
    return GradeResult(score=score, max_score=max_score, passed=score >= pass_mark, correct=correct, by_kp=by_kp)
