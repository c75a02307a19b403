"""Scoring a practical exam: pure rules, no Flask, no database.

An examiner's marks for one task are a dict ``{"d": {point: deduction}, "n": {point: note},
"v": {veto: note}}``: deductions per scoring point (扣分), a note per point, and the veto items
(否决项) marked failed, each with its note. A point without a deduction scores its maximum, so a
task scores 100 − Σ deductions (the point maxima sum to 100). DOMAIN.md §4.2: subject score =
task score / 100 × weight; the practical passes with total ≥ pass mark and no failed veto item.
"""
from __future__ import annotations

import math
import random
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.practical.rubrics import Rubric, Task

DEFAULT_DISPUTE_THRESHOLD = 5  # points of task score (0–100) on any task
_NUMBER = re.compile(r"\d+(\.\d+)?")


class ScoreInputError(ValueError):
    """A value an examiner typed that cannot be a deduction; ``message`` is Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _round(value: float) -> float:
    """Two decimals, halves away from zero (no binary-float surprises like 2.675 → 2.67)."""
    return math.floor(abs(value) * 100 + 0.5 + 1e-9) / 100 * (1 if value >= 0 else -1)


def normalise_text(raw) -> str:
    """Full-width digits, signs and points folded to ASCII (９０ → 90, －５ → -5, ４．５ → 4.5), trimmed."""
    text = unicodedata.normalize("NFKC", "" if raw is None else str(raw)).strip()
    return text.replace("。", ".").replace(" ", "")


def _parse_number(raw, maximum: int, noun: str, too_big: str, empty: str) -> float:
    """A typed number from 0 to ``maximum`` with at most one decimal; ScoreInputError otherwise."""
    if isinstance(raw, bool) or (isinstance(raw, float) and not math.isfinite(raw)):
        raise ScoreInputError(f"{noun}应为数字")
    if isinstance(raw, (int, float)):
        text = str(raw)
        text = text[:-2] if text.endswith(".0") else text
    else:
        text = normalise_text(raw)
    if not text:
        raise ScoreInputError(empty)
    if text.startswith("-") and _NUMBER.fullmatch(text[1:]):
        raise ScoreInputError(f"{noun}不能为负数")
    if not _NUMBER.fullmatch(text.lstrip("+")):
        raise ScoreInputError(f"{noun}应为数字，“{raw}”不是数字")
    value = float(text.lstrip("+"))
    if "." in text and len(text.split(".", 1)[1].rstrip("0")) > 1:
        raise ScoreInputError(f"{noun}最多保留一位小数（如 2.5）")
    if value > maximum:
        raise ScoreInputError(too_big)
    return int(value) if value == int(value) else value


def parse_deduction(raw, maximum: int) -> float:
    """A deduction typed for a scoring point worth ``maximum``: a number from 0 to maximum, at most
    one decimal (half points). Raises ScoreInputError for empty, non-numeric, NaN/infinite, negative
    or too large values, or more than one decimal."""
    return _parse_number(raw, maximum, "扣分", f"扣分不能超过该要点的分值 {maximum} 分", "请填写扣分（不扣分填 0）")


def parse_task_score(raw) -> float:
    """A task score (0–100, at most one decimal) as a chief examiner types it; ScoreInputError otherwise."""
    return _parse_number(raw, 100, "得分", "得分不能超过 100 分", "请填写得分")


# ---- one task ---------------------------------------------------------------------------------

def task_score(task: Task, mark: Mapping | None) -> float:
    """100 minus the deductions of the task's points (unknown point codes are ignored)."""
    deductions = (mark or {}).get("d") or {}
    lost = sum(min(float(deductions.get(p.code, 0) or 0), p.max) for p in task.points)
    return _round(max(0.0, 100.0 - lost))


def failed_vetoes(task: Task, mark: Mapping | None) -> list[str]:
    """The codes of the task's veto items marked failed, in rubric order."""
    marked = (mark or {}).get("v") or {}
    return [v.code for v in task.vetoes if v.code in marked]


def _typical_amounts(deductions: Sequence[int], maximum: int) -> set[int]:
    """Every amount up to ``maximum`` made of listed deductions, each any number of times (a
    deduction is often "per occurrence": 漏找一处扣 20 分)."""
    reachable = {0}
    for total in range(1, maximum + 1):
        if any(total - d in reachable for d in deductions if d > 0):
            reachable.add(total)
    return reachable - {0}


def unexplained(task: Task, mark: Mapping | None) -> list[str]:
    """Points whose deduction is not made of listed deductions and carry no note:
    the rubric lets an examiner deduct other amounts, with a note. Returns Chinese sentences."""
    deductions = (mark or {}).get("d") or {}
    notes = (mark or {}).get("n") or {}
    out = []
    for point in task.points:
        value = float(deductions.get(point.code, 0) or 0)
        if value and value not in _typical_amounts([d.points for d in point.deductions], point.max) \
                and not str(notes.get(point.code, "")).strip():
            out.append(f"{point.code}（{point.step}）扣 {value:g} 分不是评分表列出的扣分，请填写说明")
    return out


# ---- the sheet --------------------------------------------------------------------------------

@dataclass(frozen=True)
class TaskOutcome:
    subject: str
    task: str
    weight: int
    score: float               # 0–100
    weighted: float            # score / 100 × weight
    failed_vetoes: tuple[str, ...]


@dataclass(frozen=True)
class SheetResult:
    tasks: tuple[TaskOutcome, ...]
    total: float
    pass_mark: int
    complete: bool             # every subject has a drawn task with a score

    @property
    def veto_failed(self) -> bool:
        return any(t.failed_vetoes for t in self.tasks)

    @property
    def passed(self) -> bool:
        """DOMAIN.md §4.2: total ≥ pass mark and no failed veto item (and every subject scored)."""
        return self.complete and self.total + 1e-9 >= self.pass_mark and not self.veto_failed


def weighted(score: float, weight: int) -> float:
    """Subject score = task score / 100 × weight."""
    return _round(score * weight / 100)


def sheet_result(rubric: Rubric, drawn: Mapping[str, str],
                 finals: Mapping[str, tuple[float, Sequence[str]]]) -> SheetResult:
    """Totals of a sheet: ``drawn`` maps subject code → task code, ``finals`` task code →
    (task score, failed veto codes). A subject without a drawn or scored task counts 0."""
    outcomes, complete = [], True
    for subject in rubric.subjects:
        code = drawn.get(subject.code)
        if code is None or code not in finals:
            complete = False
            continue
        score, vetoes = finals[code]
        outcomes.append(TaskOutcome(subject.code, code, subject.weight, float(score),
                                    weighted(float(score), subject.weight), tuple(vetoes)))
    total = _round(sum(o.weighted for o in outcomes))
    return SheetResult(tuple(outcomes), total, rubric.pass_mark, complete)


def marks_result(rubric: Rubric, drawn: Mapping[str, str], marks: Mapping[str, Mapping]) -> SheetResult:
    """One examiner's running totals from their marks (a drawn task with no marks scores 100)."""
    finals = {}
    for code in drawn.values():
        task = rubric.task(code)
        if task is not None:
            mark = marks.get(code)
            finals[code] = (task_score(task, mark), failed_vetoes(task, mark))
    return sheet_result(rubric, drawn, finals)


@dataclass(frozen=True)
class Comparison:
    """Two examiners' marks of one task side by side."""

    task: str
    score_a: float
    score_b: float
    vetoes_a: tuple[str, ...]
    vetoes_b: tuple[str, ...]

    @property
    def difference(self) -> float:
        return _round(abs(self.score_a - self.score_b))

    def disputed(self, threshold: float) -> bool:
        """A difference above the threshold, or a veto item failed by one examiner only."""
        return self.difference > threshold + 1e-9 or set(self.vetoes_a) != set(self.vetoes_b)

    @property
    def agreed(self) -> tuple[float, tuple[str, ...]]:
        """The final of an undisputed task: the mean of the two scores, the (same) failed vetoes."""
        return _round((self.score_a + self.score_b) / 2), self.vetoes_a


def compare(rubric: Rubric, drawn: Mapping[str, str], marks_a: Mapping[str, Mapping],
            marks_b: Mapping[str, Mapping]) -> list[Comparison]:
    """Each drawn task's two scores and failed vetoes, in subject order."""
    out = []
    for subject in rubric.subjects:
        task = rubric.task(drawn.get(subject.code, ""))
        if task is None:
            continue
        a, b = marks_a.get(task.code), marks_b.get(task.code)
        out.append(Comparison(task.code, task_score(task, a), task_score(task, b),
                              tuple(failed_vetoes(task, a)), tuple(failed_vetoes(task, b))))
    return out


# ---- the draw ---------------------------------------------------------------------------------

def draw_task(pool: Sequence[str], seed: int, *, exclude: str | None = None) -> str:
    """One task code from the pool, reproducible from ``seed`` (sorted pool, ``random.Random(seed)``).
    ``exclude`` (the task being redrawn) is left out when the pool has another task."""
    choices = sorted(c for c in pool if c != exclude) or sorted(pool)
    if not choices:
        raise ValueError("empty task pool")
    return random.Random(seed).choice(choices)
