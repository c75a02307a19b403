"""Paper assembly (app.papers.assembly): exactness against brute force, minimal reuse of excluded
questions, reproducibility, spread of the draw, speed-relevant realistic case and error messages."""
from __future__ import annotations

import itertools
import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.papers.assembly import (
    QTYPES,
    AssemblyError,
    BankIndex,
    BankItem,
    BlueprintSpec,
    KpRule,
    Paper,
    Section,
    assemble,
    check_feasible,
)

pytestmark = pytest.mark.no_db_transaction          # pure module: no database needed

KPS = ("A", "B", "C")
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------- helpers

def level_range(sec: Section, level: int) -> tuple[int, int]:
    """The (min, max) a section allows for a difficulty level (missing = (0, count))."""
    return sec.difficulty.get(level, (0, sec.count))


def valid_selection(items, spec: BlueprintSpec) -> bool:
    """Whether a set of bank items (one paper's questions) meets every rule of the blueprint."""
    by_type = Counter(it.qtype for it in items)
    for sec in spec.sections:
        if by_type[sec.qtype] != sec.count:
            return False
        levels = Counter(it.difficulty for it in items if it.qtype == sec.qtype)
        if any(not lo <= levels[d] <= hi for d, (lo, hi) in ((d, level_range(sec, d)) for d in (1, 2, 3))):
            return False
    if sum(by_type.values()) != sum(sec.count for sec in spec.sections):
        return False
    kps = Counter(it.kp for it in items)
    return all(r.min <= kps[r.kp] <= r.max for r in spec.kp_rules)


def brute_min_reuse(bank, spec: BlueprintSpec, exclude=frozenset()) -> int | None:
    """Least number of excluded ids over all valid papers (by enumerating subsets); None if none."""
    types = {sec.qtype for sec in spec.sections}
    usable = [it for it in bank if it.qtype in types]
    total = sum(sec.count for sec in spec.sections)
    best = None
    for combo in itertools.combinations(usable, total):
        if valid_selection(combo, spec):
            reuse = sum(it.id in exclude for it in combo)
            best = reuse if best is None else min(best, reuse)
    return best


def assert_valid_paper(paper: Paper, spec: BlueprintSpec, bank) -> None:
    """Every structural and blueprint rule holds for a drawn paper."""
    by_id = {it.id: it for it in bank}
    ids = [item.question_id for item in paper.items]
    assert len(ids) == len(set(ids)), "duplicate question"
    assert all(qid in by_id for qid in ids), "id outside the bank"
    assert [item.section for item in paper.items] == sorted(item.section for item in paper.items)
    for item in paper.items:
        sec = spec.sections[item.section]
        bank_item = by_id[item.question_id]
        assert item.qtype == sec.qtype == bank_item.qtype
        assert item.points == sec.points
        expected = () if sec.qtype == "judge" else tuple(range(bank_item.n_options))
        assert tuple(sorted(item.option_order)) == expected
    assert valid_selection([by_id[qid] for qid in ids], spec)


def assert_cut_message_consistent(err: AssemblyError) -> None:
    """A min-cut explanation states more demand than supply (Hoffman's condition)."""
    if err.constraint.startswith("cut:"):
        demand = int(re.search(r"合计至少需要 (\d+) 道", err.message).group(1))
        supply = int(re.search(r"最多只能提供 (\d+) 道", err.message).group(1))
        assert demand > supply


@st.composite
def banks(draw, types=QTYPES, max_items: int = 14) -> list[BankItem]:
    """Small random banks over three KPs, the given types and all difficulties."""
    items = []
    size = draw(st.one_of(st.integers(0, max_items), st.integers(max_items // 2, max_items)))
    for i in range(size):
        qtype = draw(st.sampled_from(types))
        n_options = {"judge": 0, "single": 4}.get(qtype) or draw(st.integers(4, 6))
        items.append(BankItem(i + 1, qtype, draw(st.sampled_from(KPS)), draw(st.integers(1, 3)), n_options))
    return items


@st.composite
def specs(draw, types=QTYPES, max_total: int = 6) -> BlueprintSpec:
    """Small random blueprints: up to three distinct sections, difficulty ranges and KP rules
    (sometimes contradictory, and sometimes naming a KP absent from the bank)."""
    chosen = draw(st.permutations(types))[: draw(st.integers(1, len(types)))]
    budget = draw(st.one_of(st.integers(0, max_total), st.integers(max_total // 2, max_total)))
    sections = []
    for i, qtype in enumerate(chosen):
        count = budget if i == len(chosen) - 1 else draw(st.integers(0, budget))
        budget -= count
        difficulty = {}
        for level in sorted(draw(st.sets(st.integers(1, 3), max_size=2))):
            lo = draw(st.integers(0, min(count, 2)))
            difficulty[level] = (lo, draw(st.integers(lo, count + 1)))
        sections.append(Section(qtype, count, draw(st.sampled_from([1.0, 2.0])), difficulty))
    rules = []
    for kp in sorted(draw(st.sets(st.sampled_from(KPS + ("D",))))):
        lo = draw(st.sampled_from((0, 0, 1, 2)))
        rules.append(KpRule(kp, lo, draw(st.integers(lo, 4))))
    return BlueprintSpec(tuple(sections), tuple(rules))


def realistic_bank(kps: int = 8, judge_per_cell: int = 6, single_per_cell: int = 4) -> list[BankItem]:
    """A balanced pool: every (KP, difficulty) cell holds the same number of questions per type."""
    items, qid = [], 1
    for k in range(kps):
        for level in (1, 2, 3):
            for qtype, n in (("judge", judge_per_cell), ("single", single_per_cell)):
                for _ in range(n):
                    items.append(BankItem(qid, qtype, f"知识点{k}", level, 0 if qtype == "judge" else 4))
                    qid += 1
    return items


REALISTIC_SPEC = BlueprintSpec(
    sections=(Section("judge", 70, 1.0, {1: (20, 30), 2: (25, 35), 3: (10, 20)}),
              Section("single", 30, 1.0, {1: (8, 12), 2: (10, 14), 3: (5, 10)})),
    kp_rules=tuple(KpRule(f"知识点{k}", 10, 15) for k in range(8)),
)


def raises(spec: BlueprintSpec, index: BankIndex, **kw) -> AssemblyError:
    """The AssemblyError that assemble() and check_feasible() raise (they must agree)."""
    with pytest.raises(AssemblyError) as info:
        assemble(spec, index, 1, **kw)
    if not kw:
        with pytest.raises(AssemblyError) as again:
            check_feasible(spec, index)
        assert (again.value.message, again.value.constraint) == (info.value.message, info.value.constraint)
    return info.value


# ---------------------------------------------------------------------------- properties

TWO_TYPES = ("judge", "single")


@SETTINGS
@given(bank=st.one_of(banks(), banks(TWO_TYPES)), spec=st.one_of(specs(), specs(TWO_TYPES)),
       seed=st.integers(0, 2**32))
def test_assembles_exactly_when_brute_force_finds_a_paper(bank, spec, seed):
    index = BankIndex(bank)
    best = brute_min_reuse(bank, spec)
    if best is None:
        err = raises(spec, index)
        assert err.message and err.constraint
        assert_cut_message_consistent(err)
    else:
        check_feasible(spec, index)
        paper = assemble(spec, index, seed)
        assert_valid_paper(paper, spec, bank)
        assert paper.reused == 0 and paper.seed == seed


@SETTINGS
@given(bank=st.one_of(banks(), banks(TWO_TYPES)), spec=st.one_of(specs(), specs(TWO_TYPES)),
       seed=st.integers(0, 2**32), data=st.data())
def test_excluded_questions_avoided_or_minimally_reused(bank, spec, seed, data):
    ids = [it.id for it in bank]
    exclude = frozenset(data.draw(st.sets(st.sampled_from(ids), max_size=6)) if ids else ())
    index = BankIndex(bank)
    best = brute_min_reuse(bank, spec, exclude)
    if best is None:
        assert_cut_message_consistent(raises(spec, index, exclude=exclude))
        return
    paper = assemble(spec, index, seed, exclude)
    assert_valid_paper(paper, spec, bank)
    used = sum(item.question_id in exclude for item in paper.items)
    assert paper.reused == used == best


@settings(max_examples=60, deadline=None)
@given(bank=banks(), spec=specs(), seed=st.integers(0, 2**32), data=st.data())
def test_same_seed_same_paper(bank, spec, seed, data):
    ids = [it.id for it in bank]
    exclude = frozenset(data.draw(st.sets(st.sampled_from(ids), max_size=6)) if ids else ())
    if brute_min_reuse(bank, spec, exclude) is None:
        return
    first = assemble(spec, BankIndex(bank), seed, exclude)
    assert assemble(spec, BankIndex(reversed(bank)), seed, exclude) == first


# ---------------------------------------------------------------------------- realistic case

@pytest.fixture(scope="module")
def realistic():
    """The balanced 8-KP pool and its index."""
    bank = realistic_bank()
    return bank, BankIndex(bank)


def test_realistic_blueprint_assembles(realistic):
    bank, index = realistic
    check_feasible(REALISTIC_SPEC, index)
    paper = assemble(REALISTIC_SPEC, index, 20260101)
    assert_valid_paper(paper, REALISTIC_SPEC, bank)
    assert [item.section for item in paper.items] == [0] * 70 + [1] * 30
    assert paper.reused == 0


def test_realistic_same_seed_identical_and_seeds_differ(realistic):
    _, index = realistic
    assert assemble(REALISTIC_SPEC, index, 7) == assemble(REALISTIC_SPEC, index, 7)
    papers = {assemble(REALISTIC_SPEC, index, seed).items for seed in range(30)}
    assert len(papers) == 30
    id_sets = {frozenset(item.question_id for item in items) for items in papers}
    assert len(id_sets) == 30


def test_realistic_draw_is_spread(realistic):
    bank, index = realistic
    seen = Counter()
    for seed in range(200):
        paper = assemble(REALISTIC_SPEC, index, seed)
        assert_valid_paper(paper, REALISTIC_SPEC, bank)
        seen.update(item.question_id for item in paper.items)
    assert set(seen) == {it.id for it in bank}


def test_realistic_make_up_avoids_previous_attempt(realistic):
    bank, index = realistic
    first = assemble(REALISTIC_SPEC, index, 1)
    previous = frozenset(item.question_id for item in first.items[::3])     # 34 questions
    again = assemble(REALISTIC_SPEC, index, 2, previous)
    assert_valid_paper(again, REALISTIC_SPEC, bank)
    assert again.reused == 0
    assert previous.isdisjoint(item.question_id for item in again.items)


def test_realistic_reuse_when_everything_excluded(realistic):
    bank, index = realistic
    paper = assemble(REALISTIC_SPEC, index, 3, frozenset(it.id for it in bank))
    assert_valid_paper(paper, REALISTIC_SPEC, bank)
    assert paper.reused == 100


def test_reuse_is_minimal_when_pool_is_tight():
    bank = [BankItem(i, "single", "A", 2, 4) for i in range(1, 11)]
    bank += [BankItem(i, "judge", "B", 1, 0) for i in range(11, 31)]
    spec = BlueprintSpec((Section("judge", 5, 1.0, {}), Section("single", 8, 2.0, {})))
    exclude = frozenset(range(1, 6)) | frozenset(range(11, 16))     # 5 single, 5 judge
    paper = assemble(spec, BankIndex(bank), 9, exclude)
    assert_valid_paper(paper, spec, bank)
    assert paper.reused == 3                                        # only 5 fresh single for 8
    assert not {item.question_id for item in paper.items if item.qtype == "judge"} & exclude


def test_small_case_draws_every_valid_paper_about_equally():
    bank = [BankItem(1, "single", "A", 1, 4), BankItem(2, "single", "A", 1, 4),
            BankItem(3, "single", "A", 2, 4), BankItem(4, "single", "B", 1, 4),
            BankItem(5, "single", "B", 2, 4), BankItem(6, "single", "B", 3, 4),
            BankItem(7, "single", "C", 3, 4)]
    spec = BlueprintSpec((Section("single", 3, 1.0, {1: (1, 2)}),), (KpRule("A", 1, 2), KpRule("C", 0, 1)))
    valid = [frozenset(it.id for it in combo) for combo in itertools.combinations(bank, 3)
             if valid_selection(combo, spec)]
    index = BankIndex(bank)
    counts = Counter(frozenset(i.question_id for i in assemble(spec, index, seed).items) for seed in range(3000))
    assert set(counts) == set(valid)
    expected = 3000 / len(valid)
    assert all(0.6 * expected < n < 1.4 * expected for n in counts.values()), counts


def test_option_orders_are_shuffled(realistic):
    _, index = realistic
    paper = assemble(REALISTIC_SPEC, index, 5)
    orders = {item.option_order for item in paper.items if item.qtype == "single"}
    assert len(orders) > 5
    assert all(item.option_order == () for item in paper.items if item.qtype == "judge")


def test_multiple_choice_option_orders_cover_their_option_count():
    bank = [BankItem(i, "multiple", "A", 2, 4 + i % 3) for i in range(1, 10)]
    spec = BlueprintSpec((Section("multiple", 9, 2.0, {}),))
    paper = assemble(spec, BankIndex(bank), 11)
    assert_valid_paper(paper, spec, bank)
    assert sorted(i.question_id for i in paper.items) == list(range(1, 10))


def test_empty_paper():
    paper = assemble(BlueprintSpec((Section("judge", 0, 1.0, {}),)), BankIndex([]), 0)
    assert paper == Paper(items=(), seed=0, reused=0)


# ---------------------------------------------------------------------------- error messages

def simple_bank(spec: list[tuple[str, str, int, int]]) -> BankIndex:
    """A bank from (qtype, kp, difficulty, how many) groups."""
    items, qid = [], 1
    for qtype, kp, level, n in spec:
        for _ in range(n):
            items.append(BankItem(qid, qtype, kp, level, 0 if qtype == "judge" else 4))
            qid += 1
    return BankIndex(items)


def test_error_section_shortfall():
    index = simple_bank([("single", "触电事故与急救", 2, 12), ("judge", "触电事故与急救", 1, 50)])
    err = raises(BlueprintSpec((Section("judge", 10, 1.0, {}), Section("single", 30, 1.0, {}))), index)
    assert (err.message, err.constraint) == ("需要 30 道单选题，题库中只有 12 道", "section:single")


def test_error_kp_shortfall():
    index = simple_bank([("single", "触电事故与急救", 2, 3), ("single", "电气防火", 2, 30)])
    spec = BlueprintSpec((Section("single", 10, 1.0, {}),), (KpRule("触电事故与急救", 5, 8),))
    err = raises(spec, index)
    assert err.message == "知识点“触电事故与急救”至少需要 5 道题，题库中只有 3 道"
    assert err.constraint == "kp:触电事故与急救"


def test_error_kp_absent_from_bank():
    index = simple_bank([("single", "电气防火", 2, 30)])
    err = raises(BlueprintSpec((Section("single", 10, 1.0, {}),), (KpRule("高处作业", 1, 3),)), index)
    assert (err.message, err.constraint) == ("知识点“高处作业”至少需要 1 道题，题库中只有 0 道", "kp:高处作业")


def test_error_difficulty_shortfall():
    index = simple_bank([("single", "电气防火", 3, 2), ("single", "电气防火", 1, 40)])
    err = raises(BlueprintSpec((Section("single", 30, 1.0, {3: (6, 10)}),)), index)
    assert (err.message, err.constraint) == ("单选题中难度 3 至少需要 6 道，题库中只有 2 道", "difficulty:single:3")


def test_error_difficulty_maxima_shortfall():
    index = simple_bank([("judge", "电气防火", 1, 40), ("judge", "电气防火", 2, 3)])
    err = raises(BlueprintSpec((Section("judge", 20, 1.0, {1: (0, 10)}),)), index)
    assert err.constraint == "difficulty:judge"
    assert err.message == "需要 20 道判断题，按各难度上限题库最多只能提供 13 道"


def test_error_kp_maxima_shortfall():
    index = simple_bank([("judge", "A", 1, 40), ("judge", "B", 1, 3)])
    err = raises(BlueprintSpec((Section("judge", 20, 1.0, {}),), (KpRule("A", 0, 10),)), index)
    assert (err.message, err.constraint) == ("试卷需要 20 道题，按各知识点上限题库最多只能提供 13 道", "kp")


def test_error_min_cut_names_the_clash():
    # KP A exists only as difficulty-3 single questions, but the single section allows one of those.
    index = simple_bank([("single", "A", 3, 5), ("single", "B", 1, 10), ("single", "B", 2, 10)])
    err = raises(BlueprintSpec((Section("single", 6, 2.0, {3: (0, 1)}),), (KpRule("A", 3, 6),)), index)
    assert err.constraint == "cut:kp:A"
    assert err.message == ("无法同时满足：知识点“A”至少 3 道，合计至少需要 3 道；"
                           "但受限于单选题中难度 3 至多 1 道，最多只能提供 1 道")


def test_error_min_cut_across_sections():
    # A needs 4 questions but only has judge ones, and the judge section holds just 2.
    index = simple_bank([("judge", "A", 1, 10), ("single", "B", 1, 10)])
    spec = BlueprintSpec((Section("judge", 2, 1.0, {}), Section("single", 3, 1.0, {})), (KpRule("A", 4, 5),))
    err = raises(spec, index)
    assert err.constraint == "cut:kp:A"
    assert "判断题共 2 道" in err.message
    assert_cut_message_consistent(err)


def test_error_with_exclusions_only_when_bank_is_short():
    index = simple_bank([("judge", "A", 1, 5)])
    spec = BlueprintSpec((Section("judge", 6, 1.0, {}),))
    err = raises(spec, index, exclude=frozenset({1, 2}))
    assert err.constraint == "section:judge"


@pytest.mark.parametrize("spec, constraint", [
    (BlueprintSpec((Section("essay", 3, 1.0, {}),)), "spec:qtype:essay"),
    (BlueprintSpec((Section("judge", 3, 1.0, {}), Section("judge", 2, 1.0, {}))), "spec:section:judge"),
    (BlueprintSpec((Section("single", -1, 1.0, {}),)), "spec:section:single"),
    (BlueprintSpec((Section("single", 3, -1.0, {}),)), "spec:points:single"),
    (BlueprintSpec((Section("single", 5, 1.0, {2: (3, 1)}),)), "spec:difficulty:single:2"),
    (BlueprintSpec((Section("single", 5, 1.0, {4: (0, 1)}),)), "spec:difficulty:single:4"),
    (BlueprintSpec((Section("single", 5, 1.0, {1: (3, 5), 2: (3, 5)}),)), "spec:difficulty:single"),
    (BlueprintSpec((Section("single", 5, 1.0, {1: (0, 1), 2: (0, 1), 3: (0, 1)}),)), "spec:difficulty:single"),
    (BlueprintSpec((Section("single", 5, 1.0, {}),), (KpRule("A", 3, 2),)), "spec:kp:A"),
    (BlueprintSpec((Section("single", 5, 1.0, {}),), (KpRule("A", 1, 2), KpRule("A", 0, 2))), "spec:kp:A"),
    (BlueprintSpec((Section("single", 5, 1.0, {}),), (KpRule("A", 3, 5), KpRule("B", 3, 5))), "spec:kp"),
])
def test_spec_validation(spec, constraint):
    index = simple_bank([("single", "A", 1, 20), ("single", "B", 2, 20), ("judge", "A", 1, 20)])
    err = raises(spec, index)
    assert err.constraint == constraint
    assert err.message


def test_bank_index_rejects_duplicates_and_counts_items():
    with pytest.raises(ValueError):
        BankIndex([BankItem(1, "judge", "A", 1, 0), BankItem(1, "single", "A", 1, 4)])
    with pytest.raises(ValueError):
        BankIndex([BankItem(1, "essay", "A", 1, 0)])
    assert len(BankIndex(realistic_bank())) == 8 * 3 * (6 + 4)


def test_points_come_from_the_spec_even_when_the_plan_is_cached(realistic):
    _, index = realistic
    double = BlueprintSpec(tuple(Section(s.qtype, s.count, s.points * 2, s.difficulty)
                                 for s in REALISTIC_SPEC.sections), REALISTIC_SPEC.kp_rules)
    one, two = assemble(REALISTIC_SPEC, index, 4), assemble(double, index, 4)
    assert [i.points * 2 for i in one.items] == [i.points for i in two.items]
    assert [i.question_id for i in one.items] == [i.question_id for i in two.items]
