"""The pure modules of training: heartbeat credit, outline checks, mock-exam scaling, MP4 reading."""
from __future__ import annotations

import io
import struct

import pytest

from app.papers.assembly import AssemblyError, BankIndex, BankItem, BlueprintSpec, KpRule, Section, assemble
from app.training import outline as ol
from app.training import progress
from app.training.learning import mp4_duration, sniff_mp4
from app.training.mockspec import scale_to_pool

# ---- heartbeats -------------------------------------------------------------------------------


def test_first_heartbeat_credits_nothing_and_real_time_play_is_credited():
    first = progress.heartbeat([], None, None, 0, 600)
    assert first.watched_seconds == 0 and first.added_seconds == 0
    second = progress.heartbeat(first.segments, 0, 15.2, 15, 600)
    assert second.accepted and second.watched_seconds == 15 and second.segments == [[0.0, 15.0]]


def test_skipping_ahead_credits_nothing():
    beat = progress.heartbeat([[0, 15]], 15, 15, 300, 600)  # 285 s of video in 15 s of wall-clock time
    assert not beat.accepted and beat.added_seconds == 0 and beat.watched_seconds == 15


def test_going_back_or_a_long_gap_credits_nothing():
    assert progress.heartbeat([[0, 60]], 60, 15, 30, 600).added_seconds == 0
    assert progress.heartbeat([[0, 60]], 60, 3600, 75, 600).added_seconds == 0


def test_watching_the_same_part_twice_counts_once_and_never_exceeds_the_duration():
    beat = progress.heartbeat([[0, 60]], 45, 15, 60, 600)
    assert beat.watched_seconds == 60 and beat.added_seconds == 0
    end = progress.heartbeat([[0, 590]], 590, 15, 605, 600)  # position clamped to the duration
    assert end.watched_seconds == 600


def test_reaching_the_end_within_a_frame_or_two_counts_as_the_end():
    assert progress.heartbeat([[0, 588]], 588, 12, 599.6, 600).watched_seconds == 600
    assert progress.heartbeat([], 0.04, 12, 12, 600).segments == [[0.0, 12.0]]


def test_tolerance_allows_timer_jitter_only():
    assert progress.heartbeat([], 0, 15, 17.5, 600).accepted
    assert not progress.heartbeat([], 0, 15, 19, 600).accepted


def test_credited_hours_are_a_capped_share_rounded_down():
    assert progress.credited_hours(300, 600, 2) == 1.0
    assert progress.credited_hours(599, 600, 2) == 1.99
    assert progress.credited_hours(900, 600, 2) == 2.0
    assert progress.credited_hours(10, 0, 2) == 0.0


def test_merge_joins_overlapping_segments():
    assert progress.merge([[10, 20], [0, 5], [4, 12], [30, 31]]) == [[0, 20], [30, 31]]
    assert progress.covered([[0, 20], [30, 31]]) == 21


# ---- outline files ----------------------------------------------------------------------------

ITEMS = {"低压电工作业": ol.ItemHours("低压电工作业", True, 10, 6, 4, 8),
         "主要负责人（一般行业）": ol.ItemHours("主要负责人（一般行业）", False, 32, None, None, 12)}


def _doc(**over):
    doc = {"key": "diya-chuxun", "item": "低压电工作业", "kind": "初训", "title": "低压电工初训", "hours": 10,
           "theory_hours": 6, "practical_hours": 4, "goals": ["会做"], "audience": "电工", "assessment": "考试",
           "lessons": [{"title": "法规", "hours": 6, "mode": "理论", "online": True, "outline": ["一", "二", "三"],
                        "knowledge_points": ["法规/证书"]},
                       {"title": "实操", "hours": 4, "mode": "实操", "online": False, "outline": ["一", "二", "三"]}]}
    doc.update(over)
    return doc


def test_a_good_outline_is_read():
    outline, problems = ol.check_outline(_doc(), file_key="diya-chuxun", items=ITEMS,
                                         kp_leaves={"低压电工作业": {"法规/证书"}})
    assert problems == []
    assert outline.hours == 10 and outline.lessons[0].online and outline.lessons[0].knowledge_points == ["法规/证书"]


def test_every_problem_of_an_outline_is_named():
    bad = _doc(key="other", hours=12, kind="年度再培训")
    bad["lessons"][1]["online"] = True
    bad["lessons"][0]["knowledge_points"] = ["没有/这个"]
    _o, problems = ol.check_outline(bad, file_key="diya-chuxun", items=ITEMS, kp_leaves={"低压电工作业": {"法规/证书"}})
    text = "\n".join(problems)
    assert "应与文件名" in text and "年度再培训只适用于三项岗位" in text
    assert "实操课，不能在线学习" in text and "没有/这个" in text and "总学时 hours 写为 12" in text


def test_outline_hours_must_match_the_catalogue():
    doc = _doc(hours=11, theory_hours=7)
    doc["lessons"][0]["hours"] = 7
    _o, problems = ol.check_outline(doc, file_key="diya-chuxun", items=ITEMS)
    assert any("在目录中为 10 学时" in p for p in problems)
    assert any("理论学时在目录中为 6" in p for p in problems)


def test_unknown_item_and_bad_hours_are_refused():
    doc = _doc(item="低压电工")
    doc["lessons"][0]["hours"] = 0.3
    _o, problems = ol.check_outline(doc, file_key="diya-chuxun", items=ITEMS)
    assert any("不在目录中" in p for p in problems) and any("整数或 .5" in p for p in problems)


# ---- mock-exam scaling ------------------------------------------------------------------------

def _pool(n_judge: int, n_single: int) -> list[BankItem]:
    items = [BankItem(id=i, qtype="judge", kp="法规" if i % 2 else "急救", difficulty=1 + i % 3, n_options=0)
             for i in range(n_judge)]
    items += [BankItem(id=1000 + i, qtype="single", kp="法规" if i % 2 else "急救", difficulty=1 + i % 3, n_options=4)
              for i in range(n_single)]
    return items


SPEC = BlueprintSpec(sections=(Section("judge", 70, 1, {1: (20, 30), 2: (25, 40), 3: (10, 18)}),
                               Section("single", 30, 1, {})),
                     kp_rules=(KpRule("法规", 45, 55), KpRule("急救", 45, 55)))


def test_a_pool_that_fits_keeps_the_blueprint():
    scaled = scale_to_pool(SPEC, _pool(200, 100))
    assert scaled.spec == SPEC and scaled.note == "" and scaled.questions == 100


def test_a_small_pool_scales_the_blueprint_and_keeps_its_make_up():
    pool = _pool(42, 18)
    scaled = scale_to_pool(SPEC, pool)
    counts = {s.qtype: s.count for s in scaled.spec.sections}
    assert scaled.questions < 60 and "缩减为" in scaled.note
    assert abs(counts["judge"] / scaled.questions - 0.7) < 0.1  # the 70/30 split survives
    assert abs(sum(s.count * s.points for s in scaled.spec.sections) - 100) < 1e-6
    paper = assemble(scaled.spec, BankIndex(pool), seed=3)
    assert len(paper.items) == scaled.questions
    kps = [("法规" if i.question_id % 2 else "急救") for i in paper.items]
    assert abs(kps.count("法规") - kps.count("急救")) <= 4


def test_too_small_a_pool_is_refused():
    with pytest.raises(AssemblyError):
        scale_to_pool(SPEC, _pool(2, 1))


# ---- MP4 ---------------------------------------------------------------------------------------

def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(body), kind) + body


def tiny_mp4(seconds: int, *, moov_last: bool = True) -> bytes:
    """An MP4 skeleton: ftyp, mdat and a moov with an mvhd (timescale 1000)."""
    mvhd = _box(b"mvhd", b"\x00\x00\x00\x00" + b"\x00" * 8 + struct.pack(">II", 1000, seconds * 1000) + b"\x00" * 80)
    parts = [_box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2avc1mp41"), _box(b"mdat", b"\x00" * 4096),
             _box(b"moov", mvhd)]
    if not moov_last:
        parts = [parts[0], parts[2], parts[1]]
    return b"".join(parts)


@pytest.mark.parametrize("moov_last", [True, False])
def test_mp4_duration_is_read_from_the_movie_header(moov_last):
    data = tiny_mp4(754, moov_last=moov_last)
    assert sniff_mp4(data[:64])
    assert mp4_duration(io.BytesIO(data)) == 754


def test_other_files_are_not_taken_for_mp4():
    assert not sniff_mp4(b"%PDF-1.7 ...............")
    assert not sniff_mp4(b"\x00\x00\x00\x18ftypqt  ")
    assert mp4_duration(io.BytesIO(b"\x00\x00\x00\x10ftypisom\x00\x00\x00\x00")) is None
