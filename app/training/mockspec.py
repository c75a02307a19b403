"""Mock-exam composition: the real blueprint's make-up (question types, points, knowledge-point shares,
difficulty), scaled down when the practice pool is too small to fill it. Pure module.

The practice pool is much smaller than the exam pool (a few dozen questions a subject), so a 100-question
blueprint rarely fits as it is. ``scale_to_pool`` keeps the type proportions and the relative points, scales
every knowledge-point and difficulty range by the same factor (widened by one question each way, as a
share of a small paper is coarse), and gives up first the difficulty ranges, then the knowledge-point
ranges, before it gives up size. The note it returns says what was changed, for the candidate to read.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from app.papers.assembly import AssemblyError, BankIndex, BankItem, BlueprintSpec, KpRule, Section, check_feasible

PAPER_TOTAL = 100.0
MIN_QUESTIONS = 5


@dataclass(frozen=True)
class ScaledSpec:
    spec: BlueprintSpec
    note: str          # empty when the blueprint fits as it is
    questions: int


def _scaled_range(lo: int, hi: int, factor: float, cap: int) -> tuple[int, int]:
    return max(0, math.floor(lo * factor) - 1), min(cap, math.ceil(hi * factor) + 1)


def _build(spec: BlueprintSpec, counts: dict[str, int], factor: float, *, difficulty: bool,
           kp: bool) -> BlueprintSpec:
    """A spec with the given counts per type; points rescaled so the paper is worth 100."""
    raw_total = sum(counts[s.qtype] * s.points for s in spec.sections if counts[s.qtype])
    ratio = PAPER_TOTAL / raw_total
    sections = []
    for s in spec.sections:
        n = counts[s.qtype]
        if not n:
            continue
        diff = {lvl: _scaled_range(lo, hi, factor, n) for lvl, (lo, hi) in s.difficulty.items()} if difficulty else {}
        sections.append(Section(qtype=s.qtype, count=n, points=s.points * ratio, difficulty=diff))
    total = sum(counts.values())
    rules = tuple(KpRule(r.kp, *_scaled_range(r.min, r.max, factor, total)) for r in spec.kp_rules) if kp else ()
    return BlueprintSpec(sections=tuple(sections), kp_rules=rules)


def _counts_for(spec: BlueprintSpec, factor: float, available: Counter) -> dict[str, int]:
    counts = {}
    for s in spec.sections:
        n = max(1, round(s.count * factor)) if available[s.qtype] else 0
        counts[s.qtype] = min(n, available[s.qtype])
    return counts


def scale_to_pool(spec: BlueprintSpec, items: list[BankItem]) -> ScaledSpec:
    """The largest version of ``spec`` the pool can fill (see the module docstring).
    Raises AssemblyError when not even MIN_QUESTIONS questions of the blueprint's types exist."""
    index = BankIndex(items)
    try:
        check_feasible(spec, index)
        return ScaledSpec(spec, "", sum(s.count for s in spec.sections))
    except AssemblyError:
        pass
    available = Counter(i.qtype for i in items)
    full = sum(s.count for s in spec.sections)
    usable = sum(min(s.count, available[s.qtype]) for s in spec.sections)
    if usable < MIN_QUESTIONS:
        raise AssemblyError(f"练习题库只有 {usable} 道可用的题，无法组成模拟试卷", "pool:too_small")
    factor = min(1.0, min((available[s.qtype] / s.count for s in spec.sections if available[s.qtype]), default=0))
    factor = min(factor, usable / full) * 0.9  # leave room for the draw to vary between attempts
    while True:
        counts = _counts_for(spec, factor, available)
        n = sum(counts.values())
        for difficulty, kp, what in ((True, True, ""), (False, True, "，不限难度比例"), (False, False, "，不限难度和知识点比例")):
            candidate = _build(spec, counts, factor, difficulty=difficulty, kp=kp)
            try:
                check_feasible(candidate, index)
            except AssemblyError:
                continue
            note = (f"练习题库较小，模拟试卷按正式组卷方案的题型和知识点比例缩减为 {n} 题（正式考试 {full} 题）{what}，"
                    f"满分仍为 100 分。")
            return ScaledSpec(candidate, note, n)
        if n <= MIN_QUESTIONS:
            raise AssemblyError("练习题库无法满足组卷方案的题型要求", "pool:infeasible")
        factor *= 0.85
