"""Practical services against the database: sheets, the draw, entries, sign-off, the chief examiner,
changes after the lock, publishing, and the outcomes the certificates domain reads."""
import datetime as dt

import pytest
import sqlalchemy as sa

from app.core.audit import AuditEntry, verify_chain
from app.core.errors import DomainError, NotAllowed
from app.core.timeutil import local_today
from app.extensions import db
from app.practical import services
from app.practical.models import DrawMode, ScoreSheet, SheetStatus
from app.practical.rubric_store import current_rubric, load_rubrics
from app.scheduling.models import RegistrationState, SessionStaff
from tests.practical.helpers import FIXTURES, build_station, draw_fixed, examiner


def _audit(action, sheet_id=None):
    stmt = sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
    if sheet_id is not None:
        stmt = stmt.where(AuditEntry.object_id == str(sheet_id))
    return db.session.scalars(stmt).all()


class Entries:
    """Sends entries for one examiner with increasing sequence numbers."""

    def __init__(self, sheet, user):
        self.sheet, self.user, self.seq = sheet, user, 0

    def __call__(self, **payload):
        self.seq += 1
        return services.apply_entry(self.sheet, self.user, {"seq": self.seq, **payload})

    def deduct(self, task, point, value):
        return self(kind="deduction", task=task, point=point, value=value)


def _opened(station, reg_index=0):
    sheet = services.open_sheet(station.regs[reg_index], actor=station.first)
    return draw_fixed(sheet, station.first)


def test_rubric_load_is_versioned_and_refuses_a_changed_file_with_the_same_version(app, tmp_path):
    with app.app_context():
        result = load_rubrics(FIXTURES)
        assert result.created == ["低压电工作业 v1"]
        assert load_rubrics(FIXTURES).unchanged == ["低压电工作业 v1"]
        text = (FIXTURES / "diya-test.yaml").read_text(encoding="utf-8")
        (tmp_path / "diya-diangong.yaml").write_text(text.replace("测量方法正确", "测量方法规范"), encoding="utf-8")
        with pytest.raises(DomainError, match="版本号仍为 1"):
            load_rubrics(tmp_path)
        (tmp_path / "diya-diangong.yaml").write_text(text.replace("version: 1", "version: 2"), encoding="utf-8")
        assert load_rubrics(tmp_path).created == ["低压电工作业 v2"]
        from app.catalog.services import item_by_name
        assert current_rubric(item_by_name("低压电工作业")).version == 2
        (tmp_path / "broken.yaml").write_text("item: 低压电工作业\n", encoding="utf-8")
        with pytest.raises(DomainError, match="未导入"):
            load_rubrics(tmp_path)


def test_only_assigned_qualified_examiners_open_and_score(app):
    with app.app_context():
        st = build_station()
        outsider = examiner("外场考评员", st.session.items[0])              # qualified, not on the session
        unqualified = examiner("无资格考评员", st.session.items[0], qualified=False)
        st.session.staff.append(SessionStaff(user_id=unqualified.id, duty="examiner"))
        db.session.flush()
        with pytest.raises(NotAllowed, match="不是本场次的考评员"):
            services.open_sheet(st.regs[0], actor=outsider)
        with pytest.raises(NotAllowed, match="没有该操作项目的考评资格"):
            services.open_sheet(st.regs[0], actor=unqualified)
        sheet = _opened(st)
        with pytest.raises(NotAllowed):
            services.apply_entry(sheet, outsider, {"seq": 1, "kind": "deduction", "task": "K11", "point": "K11-1",
                                                   "value": "5"})
        assert sheet.rubric.version == 1 and sheet.status == SheetStatus.SCORING


def test_a_sheet_needs_a_checked_in_practical_candidate(app):
    with app.app_context():
        st = build_station()
        st.regs[0].state = RegistrationState.SCHEDULED
        with pytest.raises(DomainError, match="尚未签到"):
            services.open_sheet(st.regs[0], actor=st.first)


def test_system_draw_records_the_seed_and_candidate_draw_is_per_subject(app):
    with app.app_context():
        st = build_station()
        sheet = services.open_sheet(st.regs[0], actor=st.first)
        tasks = services.draw(sheet, DrawMode.CANDIDATE, actor=st.first, subject="K2", seed=11)
        assert tasks[0].drawn_by == "candidate" and tasks[0].seed == 11
        services.draw(sheet, DrawMode.SYSTEM, actor=st.first)
        assert sorted(sheet.drawn) == ["K1", "K2", "K3", "K4"]
        assert all(t.seed is not None for t in sheet.tasks)
        with pytest.raises(DomainError, match="逐科"):
            services.draw(sheet, DrawMode.CANDIDATE, actor=st.first)
        entries = _audit("practical.draw", sheet.id)
        assert entries[0].after["K2"] == {"task": tasks[0].task_code, "mode": "candidate", "seed": 11}


def test_a_redraw_needs_a_reason_discards_marks_and_is_audited(app):
    with app.app_context():
        st = build_station()
        sheet = _opened(st)
        Entries(sheet, st.first).deduct("K11", "K11-1", "5")
        with pytest.raises(DomainError, match="须填写原因"):
            services.draw(sheet, DrawMode.SYSTEM, actor=st.first, subject="K1")
        services.draw(sheet, DrawMode.CANDIDATE, actor=st.first, subject="K1", reason="兆欧表损坏")
        assert sheet.drawn["K1"] == "K12"
        assert "K11" not in sheet.mark_of(st.first.id).marks
        [entry] = _audit("practical.redraw", sheet.id)
        assert entry.reason == "兆欧表损坏" and entry.before["task"] == "K11"
        assert entry.before["discarded_marks"]["考评 孙丽"]["d"] == {"K11-1": 5}


def test_entries_are_applied_in_order_and_stale_ones_refused(app):
    with app.app_context():
        st = build_station()
        sheet = _opened(st)
        ack = services.apply_entry(sheet, st.first, {"seq": 3, "kind": "deduction", "task": "K21", "point": "K21-2",
                                                     "value": "１０"})
        assert ack == {"seq": 3, "task": "K21", "task_score": 90, "total": 96}
        with pytest.raises(services.StaleEntry):
            services.apply_entry(sheet, st.first, {"seq": 3, "kind": "deduction", "task": "K21", "point": "K21-2",
                                                   "value": "20"})
        assert sheet.mark_of(st.first.id).marks["K21"]["d"] == {"K21-2": 10}


@pytest.mark.parametrize("payload, field, message", [
    ({"kind": "deduction", "task": "K21", "point": "K21-2", "value": "-3"}, "value", "不能为负数"),
    ({"kind": "deduction", "task": "K21", "point": "K21-2", "value": "51"}, "value", "不能超过"),
    ({"kind": "deduction", "task": "K21", "point": "K21-2", "value": ""}, "value", "请填写扣分"),
    ({"kind": "deduction", "task": "K21", "point": "K21-2", "value": "NaN"}, "value", "不是数字"),
    ({"kind": "deduction", "task": "K21", "point": "K11-1", "value": "1"}, "point", "不属于该题"),
    ({"kind": "deduction", "task": "K22", "point": "K22-1", "value": "1"}, "task", "不是本考生抽到的题"),
    ({"kind": "veto", "task": "K21", "code": "K21-V1", "failed": True, "note": " "}, "note", "须填写说明"),
    ({"kind": "bonus", "task": "K21"}, "kind", "未知的录入类型"),
])
def test_bad_entries_are_refused_at_the_field(app, payload, field, message):
    with app.app_context():
        st = build_station()
        sheet = _opened(st)
        with pytest.raises(services.InvalidEntry, match=message) as exc:
            services.apply_entry(sheet, st.first, {"seq": 1, **payload})
        assert exc.value.field == field


def _score_both(st, sheet, first_k21="10", second_k21="10", second_extra=None):
    a, b = Entries(sheet, st.first), Entries(sheet, st.second)
    a.deduct("K21", "K21-2", first_k21)
    b.deduct("K21", "K21-2", second_k21)
    if second_extra:
        b.deduct("K21", *second_extra)
    services.sign(sheet, st.first)
    services.sign(sheet, st.second)


def test_two_examiners_agreeing_lock_the_sheet_with_the_mean(app):
    with app.app_context():
        st = build_station()
        sheet = _opened(st)
        _score_both(st, sheet, "10", "10", ("K21-1", "5"))  # K21: 90 and 85 (5 apart) → 87.5
        assert sheet.status == SheetStatus.LOCKED and sheet.locked_at is not None
        assert sheet.finals["K21"] == {"score": 87.5, "vetoes": [], "source": "agreed"}
        assert sheet.total == 95 and sheet.passed is True
        reg = st.regs[0]
        assert reg.state == RegistrationState.COMPLETED and reg.passed is True
        assert [e.after["position"] for e in _audit("practical.sign", sheet.id)] == [1, 2]
        assert verify_chain()[1] is None


def test_one_examiner_cannot_sign_twice_and_a_third_cannot_score(app):
    with app.app_context():
        st = build_station()
        sheet = _opened(st)
        Entries(sheet, st.first).deduct("K21", "K21-2", "10")
        services.sign(sheet, st.first)
        with pytest.raises(DomainError, match="不能签字两次"):
            services.sign(sheet, st.first)
        with pytest.raises(DomainError, match="已签字"):
            Entries(sheet, st.first).deduct("K21", "K21-2", "0")
        Entries(sheet, st.second).deduct("K11", "K11-1", "5")
        with pytest.raises(NotAllowed, match="已由两名考评员"):
            Entries(sheet, st.chief).deduct("K11", "K11-1", "5")


def test_signing_needs_every_subject_drawn_and_notes_for_unlisted_deductions(app):
    with app.app_context():
        st = build_station()
        sheet = services.open_sheet(st.regs[0], actor=st.first)
        services.draw(sheet, DrawMode.SYSTEM, actor=st.first, subject="K1")
        with pytest.raises(DomainError, match="还有科目未抽题"):
            services.sign(sheet, st.first)
        services.draw(sheet, DrawMode.SYSTEM, actor=st.first)
        task = sheet.drawn["K3"]
        point = f"{task}-1"
        entries = Entries(sheet, st.first)
        entries.deduct(task, point, "7")
        with pytest.raises(DomainError, match="请填写说明"):
            services.sign(sheet, st.first)
        entries(kind="note", task=task, point=point, text="隐患描述不完整")
        services.sign(sheet, st.first)


def test_the_second_examiner_may_confirm_the_first(app):
    with app.app_context():
        st = build_station()
        sheet = _opened(st)
        Entries(sheet, st.first).deduct("K31", "K31-1", "20")
        with pytest.raises(DomainError, match="尚未签字"):
            services.confirm(sheet, st.second)
        services.sign(sheet, st.first)
        services.confirm(sheet, st.second)
        second = sheet.mark_of(st.second.id)
        assert second.confirmed and second.marks == sheet.mark_of(st.first.id).marks
        assert sheet.status == SheetStatus.LOCKED and sheet.total == 96


def test_a_veto_fails_the_candidate_despite_a_high_total(app):
    with app.app_context():
        st = build_station()
        sheet = _opened(st)
        for user in (st.first, st.second):
            Entries(sheet, user)(kind="veto", task="K41", code="K41-V1", failed=True, note="徒手拉触电者")
            services.sign(sheet, user)
        assert sheet.status == SheetStatus.LOCKED
        assert sheet.total == 100 and sheet.veto_failed and sheet.passed is False
        assert st.regs[0].passed is False


def test_a_disagreement_goes_to_the_chief_who_decides_with_a_reason(app):
    with app.app_context():
        st = build_station()
        sheet = _opened(st)
        _score_both(st, sheet, "10", "30")  # K21: 90 vs 70
        assert sheet.status == SheetStatus.DISPUTED and sheet.total is None
        assert _audit("practical.dispute", sheet.id)[0].after["tasks"][0]["task"] == "K21"
        with pytest.raises(NotAllowed):
            services.resolve(sheet, st.first, {"K21": {"score": "80", "note": "x"}})
        with pytest.raises(services.InvalidEntry, match="裁定理由"):
            services.resolve(sheet, st.chief, {"K21": {"score": "80", "note": ""}})
        with pytest.raises(services.InvalidEntry, match="得分不能超过 100 分"):
            services.resolve(sheet, st.chief, {"K21": {"score": "120", "note": "复核录像"}})
        services.resolve(sheet, st.chief, {"K21": {"score": "８０", "note": "复核录像后取 80 分"}})
        assert sheet.status == SheetStatus.LOCKED
        assert sheet.finals["K21"]["source"] == "chief" and sheet.finals["K21"]["score"] == 80
        assert sheet.total == 92 and sheet.passed
        [entry] = _audit("practical.resolve", sheet.id)
        assert entry.before["K21"]["a"] == 90 and entry.before["K21"]["b"] == 70 and "复核录像" in entry.reason


def test_the_dispute_threshold_is_configurable(app):
    with app.app_context():
        import sqlalchemy as sa

        from app.catalog.models import CatalogRule
        rule = db.session.scalar(sa.select(CatalogRule).where(CatalogRule.key == "practical_dispute_threshold"))
        if rule is None:
            rule = CatalogRule(key="practical_dispute_threshold", label="实操评分差异阈值", value=5, unit="分", note="")
            db.session.add(rule)
        assert rule.value == 5  # the shipped catalogue's default
        rule.value = 10
        db.session.flush()
        st = build_station()
        sheet = _opened(st)
        _score_both(st, sheet, "10", "20")  # 10 apart: not above 10
        assert sheet.status == SheetStatus.LOCKED


def test_after_the_lock_only_the_chief_or_an_admin_changes_a_score_with_a_reason(app, world):
    with app.app_context():
        from app.accounts.models import Role, User
        st = build_station()
        sheet = _opened(st)
        _score_both(st, sheet, "0", "0")
        with pytest.raises(DomainError, match="已签字锁定"):
            Entries(sheet, st.first).deduct("K21", "K21-2", "5")
        with pytest.raises(NotAllowed):
            services.amend(sheet, st.first, "K21", "50", [], "复核")
        with pytest.raises(services.InvalidEntry, match="须填写原因"):
            services.amend(sheet, st.chief, "K21", "50", [], " ")
        services.amend(sheet, st.chief, "K21", "50", [], "考评员漏记接线错误，复核录像")
        assert sheet.total == 80 and sheet.passed
        admin = db.session.get(User, world.users[Role.ADMIN])
        services.amend(sheet, admin, "K11", "100", ["K11-V1"], "复核录像：带电测量绝缘电阻")
        assert sheet.veto_failed and not sheet.passed and st.regs[0].passed is False
        first, second = _audit("practical.amend", sheet.id)
        assert (first.before["score"], first.after["score"], first.before["total"], first.after["total"]) == (100, 50, 100, 80)
        assert second.after["vetoes"] == ["K11-V1"] and second.actor_id == admin.id
        with pytest.raises(services.InvalidEntry, match="没有变化"):
            services.amend(sheet, admin, "K11", "100", ["K11-V1"], "再来一次")


def test_publishing_and_the_outcomes_for_certificates(app):
    with app.app_context():
        from app.exams.models import Attempt
        from app.papers.models import Blueprint, Paper
        st = build_station()
        sheet = _opened(st)
        reg = st.regs[0]
        _score_both(st, sheet, "0", "0")
        assert services.practical_outcome(reg.person_id, reg.item_id) is None   # locked, not published
        assert services.publish_session(st.session, actor=st.chief) == 1
        outcome = services.practical_outcome(reg.person_id, reg.item_id)
        assert outcome.passed and outcome.score == 100 and outcome.session_id == st.session.id
        today = local_today()
        overall = services.overall_outcome(reg.person_id, reg.item_id, today)
        assert not overall.passed and overall.needs == ["尚无理论考试合格成绩，需参加理论考试"]
        blueprint = db.session.scalar(sa.select(Blueprint).limit(1))
        paper = Paper(blueprint_id=blueprint.id, item_id=reg.item_id, seed=1, total_points=100)
        db.session.add(paper)
        db.session.flush()
        from app.db import utcnow
        db.session.add(Attempt(paper_id=paper.id, person_id=reg.person_id, item_id=reg.item_id, score=86, passed=True,
                               graded_at=utcnow(), submitted_at=utcnow() - dt.timedelta(days=20),
                               published_at=utcnow()))
        db.session.flush()
        theory = services.theory_outcome(reg.person_id, reg.item_id)
        assert theory.passed and theory.score == 86
        overall = services.overall_outcome(reg.person_id, reg.item_id, today)
        assert overall.passed and overall.passed_on == st.session.day and overall.practical == outcome


def test_a_failed_sitting_is_recorded_on_the_registration_for_the_makeup_rule(app):
    with app.app_context():
        from app.scheduling import registration
        st = build_station()
        sheet = _opened(st)
        for user in (st.first, st.second):
            entries = Entries(sheet, user)
            entries.deduct("K21", "K21-2", "50")   # 20 + 20 + 10: listed deductions, repeated
            entries.deduct("K31", "K31-1", "40")   # total 20 + 40×0.5 + 20×0.6 + 20 = 72
            services.sign(sheet, user)
        assert sheet.total == 72 and sheet.passed is False
        results = registration.part_results(st.regs[0].person_id, st.regs[0].item_id)
        assert [(r.part, r.passed) for r in results] == [("practical", False)]
        assert db.session.get(ScoreSheet, sheet.id).passed is False
