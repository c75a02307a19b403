"""Item statistics from graded attempts. Pure module.

facility      share of responses that were right (unanswered counts as wrong);
discrimination corrected point-biserial: the correlation between being right on this item and
               the candidate's score on the rest of the paper (total minus this item), so the
               item does not correlate with itself;
options       how often each original option was chosen (choice questions; 对/错 for 判断);
exposures     how many papers carried the item.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

MIN_RESPONSES = 30  # below this, discrimination and unused-option flags are noise


@dataclass(frozen=True)
class Response:
    question_key: str
    qtype: str
    n_options: int
    answer: str | None     # canonical, original option letters
    correct: bool
    points: float
    total: float           # the candidate's total score on the paper


@dataclass
class ItemStats:
    question_key: str
    responses: int = 0
    facility: float | None = None
    discrimination: float | None = None
    option_counts: dict[str, int] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)


def _pearson(xs: list[float], ys: list[float]) -> float | None:
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / math.sqrt(sxx * syy)


def item_statistics(responses: list[Response]) -> dict[str, ItemStats]:
    """Statistics and flags per question key (see module docstring for the definitions).

    Flags: 过易 (facility > 0.95), 过难 (< 0.20), 区分度低 (< 0.10 with ≥ 30 responses),
    选项无人选 (an option never chosen, with ≥ 30 responses)."""
    grouped: dict[str, list[Response]] = {}
    for r in responses:
        grouped.setdefault(r.question_key, []).append(r)
    out = {}
    for key, rs in grouped.items():
        st = ItemStats(key, responses=len(rs))
        st.facility = sum(r.correct for r in rs) / len(rs)
        st.discrimination = _pearson([float(r.correct) for r in rs],
                                     [r.total - (r.points if r.correct else 0.0) for r in rs])
        st.option_counts = _option_counts(rs)
        st.flags = _flags(st, rs[0])
        out[key] = st
    return out


def _option_counts(rs: list[Response]) -> dict[str, int]:
    first = rs[0]
    labels = ["T", "F"] if first.qtype == "judge" else [chr(65 + i) for i in range(first.n_options)]
    counts = Counter()
    for r in rs:
        for letter in (r.answer or ""):
            counts[letter] += 1
    return {label: counts.get(label, 0) for label in labels}


def _flags(st: ItemStats, sample: Response) -> list[str]:
    flags = []
    if st.facility > 0.95:
        flags.append("过易")
    if st.facility < 0.20:
        flags.append("过难")
    if st.responses >= MIN_RESPONSES:
        if st.discrimination is None or st.discrimination < 0.10:
            flags.append("区分度低")
        if any(n == 0 for n in st.option_counts.values()):
            flags.append("选项无人选")
    return flags
