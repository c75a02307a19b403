"""Paper assembly (组卷): draw one theory paper per candidate from a question bank by a blueprint.

Pure module (no Flask, no database, no I/O). The bank is grouped into cells keyed by
(question type, first-level knowledge point, difficulty). Choosing how many questions to take from
each cell is a flow problem with lower bounds:

    S -[KP min, KP max]-> KP k -[0, available]-> (type t, difficulty d)
      -[difficulty min, max of section t]-> type t -[count_t, count_t]-> T -[0, inf]-> S

A feasible circulation is exactly a feasible paper (then any ids can be drawn inside each cell), so
the decision is complete. The max-flow solution is only a starting point: a short Metropolis chain of
unit moves between cells of one type makes every feasible question subset roughly equally likely,
then ids are drawn at random inside each cell. Everything random comes from one random.Random(seed).

Questions to avoid (`exclude`, a candidate's previous attempt) are first removed; only when no paper
exists without them is the bank used in full, with a min-cost flow that reuses as few as possible.
"""
from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass

from app.papers.flow import INF, Network, circulate_min_cost, max_flow

QTYPES = ("judge", "single", "multiple")          # 判断 / 单选 / 多选
TYPE_LABELS = {"judge": "判断题", "single": "单选题", "multiple": "多选题"}
LEVELS = (1, 2, 3)
MIX_STEPS = 300            # Metropolis steps per paper, plus MIX_PER_QUESTION per question
MIX_PER_QUESTION = 2
_PLAN_CACHE_SIZE = 32
_PERMS: dict[int, tuple[tuple[int, ...], ...]] = {}


@dataclass(frozen=True, slots=True)
class BankItem:
    """One active question version in the pool."""
    id: int                # question version id
    qtype: str             # one of QTYPES
    kp: str                # first-level knowledge point name (e.g. "触电事故与急救")
    difficulty: int        # 1, 2 or 3
    n_options: int         # 0 for judge; 4 for single; 4–6 for multiple


@dataclass(frozen=True)
class Section:
    """One section of the paper: `count` questions of one type, with per-difficulty ranges."""
    qtype: str
    count: int             # exact number of questions of this type
    points: float          # points per question
    difficulty: dict[int, tuple[int, int]]   # level -> (min, max) within this section; missing = (0, count)


@dataclass(frozen=True)
class KpRule:
    """How many questions of one knowledge point the whole paper must hold (all sections)."""
    kp: str
    min: int
    max: int


@dataclass(frozen=True)
class BlueprintSpec:
    """The blueprint: sections in paper order and knowledge-point rules."""
    sections: tuple[Section, ...]
    kp_rules: tuple[KpRule, ...] = ()        # KPs without a rule: min 0, no max


@dataclass(frozen=True)
class PaperItem:
    """One question on a paper; displayed position i shows original option option_order[i]."""
    question_id: int
    section: int           # index into spec.sections
    qtype: str
    points: float
    option_order: tuple[int, ...]   # () for judge


@dataclass(frozen=True)
class Paper:
    """A drawn paper: items section by section (shuffled within each), its seed, and reuse count."""
    items: tuple[PaperItem, ...]
    seed: int
    reused: int                     # excluded questions that had to be used (0 whenever avoidable)


class AssemblyError(Exception):
    """No paper can meet the blueprint (or the blueprint itself is invalid).

    `message` is Chinese, for a person; `constraint` is a machine key such as "section:single",
    "kp:触电事故与急救", "difficulty:single:3", "spec:…" or "cut:…" (keys of the clashing requirements).
    """

    def __init__(self, message: str, constraint: str):
        """Keep the human message and the machine key."""
        super().__init__(message)
        self.message = message
        self.constraint = constraint

    def copy(self) -> AssemblyError:
        """A fresh exception with the same message and key (cached errors are re-raised as copies)."""
        return AssemblyError(self.message, self.constraint)


class BankIndex:
    """Built once from a list of BankItem (the active pool of one subject); reused for many papers.
    Groups ids into cells keyed by (qtype, kp, difficulty) and caches one compiled plan per blueprint."""

    def __init__(self, items: Iterable[BankItem]):
        """Index the items; raises ValueError on a duplicate id, unknown type or difficulty."""
        cells: dict[tuple[str, str, int], list[int]] = {}
        self._options: dict[int, int] = {}
        for item in items:
            if item.qtype not in QTYPES or item.difficulty not in LEVELS:
                raise ValueError(f"bad question {item.id}: type {item.qtype!r}, difficulty {item.difficulty!r}")
            if item.id in self._options:
                raise ValueError(f"duplicate question id {item.id}")
            self._options[item.id] = item.n_options
            cells.setdefault((item.qtype, item.kp, item.difficulty), []).append(item.id)
        self._cells = {key: tuple(sorted(ids)) for key, ids in sorted(cells.items())}
        self._plans: dict[tuple, _Plan] = {}

    def __len__(self) -> int:
        """Number of questions in the pool."""
        return len(self._options)

    def n_options(self, question_id: int) -> int:
        """Number of options of a question (0 for judge); raises KeyError for an unknown id."""
        return self._options[question_id]

    def plan(self, spec: BlueprintSpec) -> _Plan:
        """The compiled plan for a (validated) blueprint, cached; raises AssemblyError for a bad spec."""
        key = _validate(spec)
        plan = self._plans.get(key)
        if plan is None:
            if len(self._plans) >= _PLAN_CACHE_SIZE:
                self._plans.clear()
            plan = self._plans[key] = _Plan(spec, self)
        return plan


# ---------------------------------------------------------------------------- blueprint validation

def _validate(spec: BlueprintSpec) -> tuple:
    """Check the blueprint on its own; raises AssemblyError("spec:…"); returns a hashable cache key
    (everything but the points, which do not affect which papers exist)."""
    seen: set[str] = set()
    sections = []
    for sec in spec.sections:
        _validate_section(sec, seen)
        seen.add(sec.qtype)
        sections.append((sec.qtype, sec.count, tuple(sorted((d, tuple(r)) for d, r in sec.difficulty.items()))))
    total = sum(sec.count for sec in spec.sections)
    _validate_kp_rules(spec.kp_rules, total)
    return tuple(sections), tuple((r.kp, r.min, r.max) for r in spec.kp_rules)


def _validate_section(sec: Section, seen: set[str]) -> None:
    """Check one section (type, count, points, difficulty ranges); raises AssemblyError("spec:…")."""
    if sec.qtype not in QTYPES:
        raise AssemblyError(f"未知题型“{sec.qtype}”", f"spec:qtype:{sec.qtype}")
    label = TYPE_LABELS[sec.qtype]
    if sec.qtype in seen:
        raise AssemblyError(f"组卷方案中{label}出现了两次", f"spec:section:{sec.qtype}")
    if not isinstance(sec.count, int) or sec.count < 0:
        raise AssemblyError(f"{label}题数必须是非负整数", f"spec:section:{sec.qtype}")
    if sec.points < 0:
        raise AssemblyError(f"{label}每题分值不能为负数", f"spec:points:{sec.qtype}")
    lo_sum = hi_sum = 0
    for level in LEVELS:
        lo, hi = _level_range(sec, level)
        lo_sum, hi_sum = lo_sum + lo, hi_sum + min(hi, sec.count)
    for level in sec.difficulty:
        if level not in LEVELS:
            raise AssemblyError(f"{label}的难度“{level}”不存在（只有 1、2、3）", f"spec:difficulty:{sec.qtype}:{level}")
    if lo_sum > sec.count:
        raise AssemblyError(f"{label}各难度最少题数之和 {lo_sum} 超过了题数 {sec.count}", f"spec:difficulty:{sec.qtype}")
    if hi_sum < sec.count:
        raise AssemblyError(f"{label}各难度最多题数之和 {hi_sum} 少于题数 {sec.count}", f"spec:difficulty:{sec.qtype}")


def _level_range(sec: Section, level: int) -> tuple[int, int]:
    """(min, max) for one difficulty level of a section; raises AssemblyError("spec:…") if malformed."""
    rng = sec.difficulty.get(level, (0, sec.count))
    label = TYPE_LABELS[sec.qtype]
    key = f"spec:difficulty:{sec.qtype}:{level}"
    try:
        lo, hi = rng
    except (TypeError, ValueError):
        raise AssemblyError(f"{label}难度 {level} 的范围格式不对", key) from None
    if not (isinstance(lo, int) and isinstance(hi, int)) or lo < 0 or lo > hi:
        raise AssemblyError(f"{label}难度 {level} 的题数范围 {lo}–{hi} 无效（最少不能大于最多）", key)
    return lo, hi


def _validate_kp_rules(rules: tuple[KpRule, ...], total: int) -> None:
    """Check knowledge-point rules (ranges, duplicates, sum of minima); raises AssemblyError("spec:kp…")."""
    seen: set[str] = set()
    for rule in rules:
        key = f"spec:kp:{rule.kp}"
        if rule.kp in seen:
            raise AssemblyError(f"知识点“{rule.kp}”的规则重复", key)
        seen.add(rule.kp)
        if not (isinstance(rule.min, int) and isinstance(rule.max, int)) or rule.min < 0 or rule.min > rule.max:
            raise AssemblyError(f"知识点“{rule.kp}”的题数范围 {rule.min}–{rule.max} 无效（最少不能大于最多）", key)
    lo_sum = sum(rule.min for rule in rules)
    if lo_sum > total:
        raise AssemblyError(f"各知识点最少题数之和 {lo_sum} 超过了试卷总题数 {total}", "spec:kp")


# ---------------------------------------------------------------------------- compiled plan

class _Plan:
    """A blueprint compiled against one BankIndex: cells, bounds, flow network and base solution.

    Cells are numbered 0..C-1 (only non-empty cells of the blueprint's types); td = section*3 + d-1.
    `base` is a feasible cell allocation for the whole pool, or None and `error` says why."""

    def __init__(self, spec: BlueprintSpec, index: BankIndex):
        """Compile; never raises for an infeasible blueprint (the error is stored in `error`)."""
        self.spec = spec
        self.total = sum(sec.count for sec in spec.sections)
        self._cells(spec, index)
        self._bounds(spec)
        self.net, self.cell_edges, self.described = _network(self, split=False)
        self.base, cap = _balanced_flow(self, self.cell_avail)
        self.error = None if self.base is not None else _explain(self, cap)

    def _cells(self, spec: BlueprintSpec, index: BankIndex) -> None:
        """Number the non-empty cells of the blueprint's types and the knowledge points."""
        sec_of = {sec.qtype: i for i, sec in enumerate(spec.sections)}
        kps = {kp for (t, kp, _) in index._cells if t in sec_of} | {r.kp for r in spec.kp_rules}
        self.kps = tuple(sorted(kps))
        kp_of = {kp: i for i, kp in enumerate(self.kps)}
        self.cell_sec, self.cell_kp, self.cell_td, self.cell_ids = [], [], [], []
        self.sec_cells: list[list[int]] = [[] for _ in spec.sections]
        self.id_cell: dict[int, int] = {}
        for (t, kp, d), ids in index._cells.items():
            if t not in sec_of:
                continue
            c, s = len(self.cell_ids), sec_of[t]
            self.cell_sec.append(s)
            self.cell_kp.append(kp_of[kp])
            self.cell_td.append(s * 3 + d - 1)
            self.cell_ids.append(ids)
            self.sec_cells[s].append(c)
            self.id_cell.update(dict.fromkeys(ids, c))
        self.cell_avail = [len(ids) for ids in self.cell_ids]
        self.options = index._options

    def _bounds(self, spec: BlueprintSpec) -> None:
        """Per knowledge point and per (section, difficulty) [lo, hi] bounds (hi = INF: no maximum
        other than the section count)."""
        rules = {r.kp: r for r in spec.kp_rules}
        self.kp_lo = [rules[kp].min if kp in rules else 0 for kp in self.kps]
        self.kp_hi = [rules[kp].max if kp in rules else INF for kp in self.kps]
        self.td_lo, self.td_hi = [], []
        for sec in spec.sections:
            for level in LEVELS:
                lo, hi = _level_range(sec, level)
                self.td_lo.append(lo)
                self.td_hi.append(hi if hi < sec.count else INF)     # INF: only the count limits it


def _network(plan: _Plan, split: bool):
    """Build the circulation network of a plan; with split, each cell has a fresh edge (cost 0) and an
    excluded edge (cost 1, capacity 0 until set). Returns (network, cell edge ids, described bounds)."""
    kp0 = 2                                                          # node ids: S = 0, T = 1, then KPs,
    td0 = kp0 + len(plan.kps)                                        # (section, difficulty) pairs
    sec0 = td0 + len(plan.td_lo)                                     # and sections
    net = Network(sec0 + len(plan.spec.sections))
    described = []
    net.add(1, 0, 0, INF)                                            # T -> S closes the circulation
    for i, kp in enumerate(plan.kps):
        e = net.add(0, kp0 + i, plan.kp_lo[i], plan.kp_hi[i])
        described.append((e, 0, kp0 + i, plan.kp_lo[i], plan.kp_hi[i], ("kp", kp)))
    cell_edges = []
    for c, avail in enumerate(plan.cell_avail):
        u, v = kp0 + plan.cell_kp[c], td0 + plan.cell_td[c]
        edges = (net.add(u, v, 0, avail),) + ((net.add(u, v, 0, 0, cost=1),) if split else ())
        cell_edges.append(edges)
        described.append((edges[0], u, v, 0, avail, ("cell", c)))
    for td in range(len(plan.td_lo)):
        u, v = td0 + td, sec0 + td // 3
        e = net.add(u, v, plan.td_lo[td], plan.td_hi[td])
        described.append((e, u, v, plan.td_lo[td], plan.td_hi[td], ("difficulty", td)))
    for s, sec in enumerate(plan.spec.sections):
        e = net.add(sec0 + s, 1, sec.count, sec.count)
        described.append((e, sec0 + s, 1, sec.count, sec.count, ("section", s)))
    net.close()
    return net, cell_edges, described


# ---------------------------------------------------------------------------- explaining infeasibility

def _explain(plan: _Plan, cap: list[int]) -> AssemblyError:
    """The AssemblyError for an infeasible plan: a simple direct shortfall if one applies, otherwise
    the saturated constraints of the min cut (`cap` is the residual after the failed max-flow)."""
    return _direct_shortfall(plan) or _cut_error(plan, cap)


def _direct_shortfall(plan: _Plan) -> AssemblyError | None:
    """Check type totals, per-difficulty minima, sums of difficulty maxima, per-KP minima and sums of
    KP maxima against the pool; returns the first shortfall found as an AssemblyError, else None."""
    sec_avail = [0] * len(plan.spec.sections)
    td_avail = [0] * len(plan.td_lo)
    kp_avail = [0] * len(plan.kps)
    for c, n in enumerate(plan.cell_avail):
        sec_avail[plan.cell_sec[c]] += n
        td_avail[plan.cell_td[c]] += n
        kp_avail[plan.cell_kp[c]] += n
    return (_section_shortfall(plan, sec_avail, td_avail)
            or _kp_shortfall(plan, kp_avail))


def _section_shortfall(plan: _Plan, sec_avail: list[int], td_avail: list[int]) -> AssemblyError | None:
    """Shortfalls within one section: type total, a difficulty minimum, or the difficulty maxima."""
    for s, sec in enumerate(plan.spec.sections):
        label = TYPE_LABELS[sec.qtype]
        if sec_avail[s] < sec.count:
            return AssemblyError(f"需要 {sec.count} 道{label}，题库中只有 {sec_avail[s]} 道", f"section:{sec.qtype}")
        for level in LEVELS:
            td = s * 3 + level - 1
            if td_avail[td] < plan.td_lo[td]:
                return AssemblyError(f"{label}中难度 {level} 至少需要 {plan.td_lo[td]} 道，题库中只有 {td_avail[td]} 道",
                                     f"difficulty:{sec.qtype}:{level}")
        most = sum(min(td_avail[s * 3 + i], plan.td_hi[s * 3 + i]) for i in range(3))
        if most < sec.count:
            return AssemblyError(f"需要 {sec.count} 道{label}，按各难度上限题库最多只能提供 {most} 道",
                                 f"difficulty:{sec.qtype}")
    return None


def _kp_shortfall(plan: _Plan, kp_avail: list[int]) -> AssemblyError | None:
    """Shortfalls of knowledge points: a KP minimum above its pool, or the KP maxima below the total."""
    for i, kp in enumerate(plan.kps):
        if kp_avail[i] < plan.kp_lo[i]:
            return AssemblyError(f"知识点“{kp}”至少需要 {plan.kp_lo[i]} 道题，题库中只有 {kp_avail[i]} 道", f"kp:{kp}")
    most = sum(min(n, hi) for n, hi in zip(kp_avail, plan.kp_hi))
    if most < plan.total:
        return AssemblyError(f"试卷需要 {plan.total} 道题，按各知识点上限题库最多只能提供 {most} 道", "kp")
    return None


def _cut_error(plan: _Plan, cap: list[int]) -> AssemblyError:
    """Describe the min cut: the requirements flowing into the reachable side exceed the upper limits
    leaving it (Hoffman's condition). Constraint key: "cut:" + keys of those requirements."""
    side = plan.net.reachable(cap)
    needs, limits, keys, demand, supply = [], [], [], 0, 0
    for _, u, v, lo, hi, what in plan.described:
        if u not in side and v in side and lo > 0:
            text, key = _describe(plan, what, lo, need=True)
            needs.append(text)
            keys.append(key)
            demand += lo
        elif u in side and v not in side and hi > 0:
            limits.append(_describe(plan, what, hi, need=False)[0])
            supply += hi
    limited = f"受限于{'、'.join(limits)}" if limits else "题库中没有相应的题"
    message = f"无法同时满足：{'、'.join(needs)}，合计至少需要 {demand} 道；但{limited}，最多只能提供 {supply} 道"
    return AssemblyError(message, "cut:" + ",".join(keys))


def _describe(plan: _Plan, what: tuple, n: int, need: bool) -> tuple[str, str]:
    """Chinese text and key for one bound of the network (a requirement if need, else a limit)."""
    kind, ref = what
    if kind == "kp":
        return (f"知识点“{ref}”{'至少' if need else '至多'} {n} 道", f"kp:{ref}")
    if kind == "cell":
        sec = plan.spec.sections[plan.cell_sec[ref]]
        kp, level = plan.kps[plan.cell_kp[ref]], plan.cell_td[ref] % 3 + 1
        return (f"“{kp}”难度 {level} 的{TYPE_LABELS[sec.qtype]}只有 {n} 道", f"cell:{sec.qtype}:{kp}:{level}")
    if kind == "difficulty":
        qtype, level = plan.spec.sections[ref // 3].qtype, ref % 3 + 1
        return (f"{TYPE_LABELS[qtype]}中难度 {level} {'至少' if need else '至多'} {n} 道", f"difficulty:{qtype}:{level}")
    qtype = plan.spec.sections[ref].qtype
    return (f"{TYPE_LABELS[qtype]}共 {n} 道", f"section:{qtype}")


# ---------------------------------------------------------------------------- public API

def check_feasible(spec: BlueprintSpec, index: BankIndex) -> None:
    """Raise AssemblyError naming the shortfall when no paper can meet the blueprint (the spec itself
    is validated first: constraint "spec:…"). Returns None when at least one paper exists."""
    plan = index.plan(spec)
    if plan.error is not None:
        raise plan.error.copy()


def assemble(spec: BlueprintSpec, index: BankIndex, seed: int, exclude: frozenset[int] = frozenset()) -> Paper:
    """A paper meeting every constraint, reproducible from seed (same inputs + seed -> identical Paper).

    Questions in `exclude` are avoided whenever a paper without them exists; otherwise as few as
    possible are used (Paper.reused counts them). Raises AssemblyError exactly when no paper exists."""
    plan = index.plan(spec)
    if plan.error is not None:
        raise plan.error.copy()
    excluded = _excluded_counts(plan, exclude)
    x, fresh, spare = _allocate(plan, excluded)
    rng = random.Random(seed)
    _mix(plan, x, fresh, spare, rng, MIX_STEPS + MIX_PER_QUESTION * plan.total)
    reused = sum(n - f for n, f in zip(x, fresh) if n > f)
    items = _draw(spec, plan, x, fresh, excluded, exclude, rng)
    return Paper(items=items, seed=seed, reused=reused)


def _excluded_counts(plan: _Plan, exclude: frozenset[int]) -> list[int]:
    """How many excluded ids fall in each cell of the plan (ids outside the pool are ignored)."""
    counts = [0] * len(plan.cell_ids)
    get = plan.id_cell.get
    for qid in exclude:
        c = get(qid)
        if c is not None:
            counts[c] += 1
    return counts


def _allocate(plan: _Plan, excluded: list[int]) -> tuple[list[int], list[int], list[int]]:
    """A feasible per-cell count vector that uses excluded questions as little as possible.

    Returns (x, fresh, spare): fresh[c] = non-excluded questions of cell c; spare[c] = excluded ones
    the chain may still use (all zeros when a paper without excluded questions exists)."""
    fresh = [a - e for a, e in zip(plan.cell_avail, excluded)]
    zeros = [0] * len(fresh)
    if all(b <= f for b, f in zip(plan.base, fresh)):
        return list(plan.base), fresh, zeros
    x, _ = _balanced_flow(plan, fresh)
    if x is not None:
        return x, fresh, zeros
    return _min_reuse(plan, fresh, excluded), fresh, excluded


def _balanced_flow(plan: _Plan, limit: list[int]) -> tuple[list[int] | None, list[int]]:
    """Feasible per-cell counts with x[c] <= limit[c], as even as the bounds allow, by max-flow.

    Cell capacities start at each cell's proportional share of its section and grow by half each
    round (the flow so far is kept) until the bounds are met or the capacities reach `limit`.
    Returns (x, residual capacities), or (None, residual of a maximum flow) when infeasible."""
    net, edges = plan.net, plan.cell_edges
    cap = list(net.cap)
    sec_limit = [0] * len(plan.spec.sections)
    for c, n in enumerate(limit):
        sec_limit[plan.cell_sec[c]] += n
    share = [max(plan.spec.sections[s].count, 1) / max(n, 1) for s, n in enumerate(sec_limit)]
    given, pushed, scale = [0] * len(limit), 0, 1.0
    for (e,) in edges:
        cap[e] = 0
    while True:
        for c, (e,) in enumerate(edges):
            want = min(limit[c], math.ceil(limit[c] * share[plan.cell_sec[c]] * scale))
            cap[e] += want - given[c]
            given[c] = want
        pushed += max_flow(net.adj, net.to, cap, net.ss, net.tt, net.need - pushed)
        if pushed == net.need:
            return [net.flow(cap, e) for (e,) in edges], cap
        if given == limit:
            return None, cap
        scale *= 1.5


def _min_reuse(plan: _Plan, fresh: list[int], excluded: list[int]) -> list[int]:
    """Per-cell counts of a feasible paper using the fewest excluded questions (min-cost circulation:
    each use of an excluded question costs 1). Only called when the full pool is feasible."""
    net, edges, _ = _network(plan, split=True)
    cap = list(net.cap)
    for c, (e_fresh, e_excl) in enumerate(edges):
        cap[e_fresh], cap[e_excl] = fresh[c], excluded[c]
    if not circulate_min_cost(net, cap):           # pragma: no cover - plan.base proved feasibility
        raise AssemblyError("题库不足以组卷", "cut:")
    return [net.flow(cap, a) + net.flow(cap, b) for a, b in edges]


# ---------------------------------------------------------------------------- randomisation

def _mix(plan: _Plan, x: list[int], fresh: list[int], spare: list[int], rng: random.Random, steps: int) -> None:
    """Metropolis chain over per-cell counts x (in place), target ∝ Π_c (ways to pick x[c] ids in c).

    A move takes one unit from cell a (picked via a uniformly random question slot, so a ∝ x[a]) to a
    uniformly random cell b of the same section, and keeps every KP / difficulty bound and the reuse
    count. The target ratio ((avail_b-x_b)/(x_b+1))·(x_a/(avail_a-x_a+1)) times the Hastings factor
    (x_b+1)/x_a gives the acceptance h(b, x_b) / h(a, x_a-1) computed by _gain."""
    slots = [c for c, n in enumerate(x) for _ in range(n)]
    if not slots:
        return
    kp_n, td_n = [0] * len(plan.kps), [0] * len(plan.td_lo)
    for c, n in enumerate(x):
        kp_n[plan.cell_kp[c]] += n
        td_n[plan.cell_td[c]] += n
    rnd, n_slots = rng.random, len(slots)
    cell_sec, sec_cells, cell_kp, cell_td = plan.cell_sec, plan.sec_cells, plan.cell_kp, plan.cell_td
    kp_lo, kp_hi, td_lo, td_hi = plan.kp_lo, plan.kp_hi, plan.td_lo, plan.td_hi
    for _ in range(steps):
        i = int(rnd() * n_slots)
        a = slots[i]
        cands = sec_cells[cell_sec[a]]
        b = cands[int(rnd() * len(cands))]
        ka, kb, ta, tb = cell_kp[a], cell_kp[b], cell_td[a], cell_td[b]
        if (b == a or (ka != kb and (kp_n[ka] <= kp_lo[ka] or kp_n[kb] >= kp_hi[kb]))
                or (ta != tb and (td_n[ta] <= td_lo[ta] or td_n[tb] >= td_hi[tb]))):
            continue                                 # the move would break a KP or difficulty bound
        xa, xb = x[a], x[b]
        if xa <= fresh[a] and xb < fresh[b]:            # common case: both cells within fresh ids
            ratio = (fresh[b] - xb) / (fresh[a] - xa + 1)
        else:
            ratio = _gain(x, fresh, spare, a, b)
        if ratio >= 1 or (ratio > 0 and rnd() < ratio):
            x[a] -= 1
            x[b] += 1
            slots[i] = b
            kp_n[ka] -= 1
            kp_n[kb] += 1
            td_n[ta] -= 1
            td_n[tb] += 1


def _gain(x: list[int], fresh: list[int], spare: list[int], a: int, b: int) -> float:
    """Acceptance ratio for moving one unit a -> b; 0 when b is full or the move would add a reuse.

    With w(n) = C(fresh, n) for n <= fresh, else C(spare, n - fresh) (fresh ones always used first),
    h(n) = (n+1)·w(n+1)/w(n), and the ratio is h_b(x_b) / h_a(x_a - 1)."""
    xb, fb = x[b], fresh[b]
    xa = x[a] - 1
    fa = fresh[a]
    if xb < fb:
        hb = fb - xb
    elif xa >= fa and xb - fb < spare[b]:           # reuse moves from a to b, total unchanged
        hb = (spare[b] - xb + fb) * (xb + 1) / (xb - fb + 1)
    else:
        return 0.0
    ha = fa - xa if xa < fa else (spare[a] - xa + fa) * (xa + 1) / (xa - fa + 1)
    return hb / ha


def _draw(spec: BlueprintSpec, plan: _Plan, x: list[int], fresh: list[int], excluded: list[int],
          exclude: frozenset[int], rng: random.Random) -> tuple[PaperItem, ...]:
    """Draw x[c] ids from every cell (fresh ones first), shuffle each section and every option order.
    Points come from `spec` (the cached plan is shared by blueprints that differ only in points)."""
    items = []
    for s, sec in enumerate(spec.sections):
        ids: list[int] = []
        for c in plan.sec_cells[s]:
            if x[c]:
                ids += _pick(plan.cell_ids[c], x[c], fresh[c], excluded[c], exclude, rng)
        _shuffle(ids, rng.random)
        choice = sec.qtype != "judge"
        for qid in ids:
            order = _option_order(plan.options[qid], rng) if choice else ()
            items.append(PaperItem(qid, s, sec.qtype, sec.points, order))
    return tuple(items)


def _pick(ids: tuple[int, ...], n: int, fresh: int, excluded: int, exclude: frozenset[int],
          rng: random.Random) -> list[int]:
    """n random ids of one cell: fresh ones first, excluded ones only for the remainder."""
    if not excluded:
        return _sample(ids, n, rng.random)
    if n <= fresh:
        return _sample(ids, n, rng.random, skip=exclude)
    return [i for i in ids if i not in exclude] + _sample([i for i in ids if i in exclude], n - fresh, rng.random)


def _sample(seq, n: int, rnd, skip: frozenset[int] = frozenset()) -> list[int]:
    """n distinct random elements of seq not in skip (partial Fisher–Yates driven by rnd = rng.random);
    the caller guarantees that seq holds at least n elements outside skip."""
    pool, out, j = list(seq), [], 0
    size = len(pool)
    while len(out) < n:
        k = j + int(rnd() * (size - j))
        pool[j], pool[k] = pool[k], pool[j]
        if pool[j] not in skip:
            out.append(pool[j])
        j += 1
    return out


def _shuffle(items: list, rnd) -> None:
    """Shuffle a list in place (Fisher–Yates driven by rnd = rng.random)."""
    for j in range(len(items) - 1, 0, -1):
        k = int(rnd() * (j + 1))
        items[j], items[k] = items[k], items[j]


def _option_order(n: int, rng: random.Random) -> tuple[int, ...]:
    """A uniformly random permutation of range(n) (from a cached table for n <= 6)."""
    if n > 6:
        order = list(range(n))
        rng.shuffle(order)
        return tuple(order)
    perms = _PERMS.get(n)
    if perms is None:
        perms = _PERMS[n] = tuple(itertools.permutations(range(n)))
    return perms[int(rng.random() * len(perms))]
