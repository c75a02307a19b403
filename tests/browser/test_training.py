"""Training end to end: a trainer writes a course and an admin publishes it; the admin opens a class; an
employer enrols two staff; a candidate signs in to today's meeting by the class QR, watches the online
lesson (a skip ahead earns nothing, watching does), takes a mock exam and reviews the wrong-answer book;
with the hours complete, the employer registers the candidate for the exam."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.accounts import services as account_services
from app.accounts.models import Role, User
from app.catalog.services import item_by_name
from app.core.timeutil import local_today, to_local
from app.db import utcnow
from app.extensions import db
from app.people.models import Employer
from app.training import classes as class_svc
from app.training.models import Meeting, TrainingClass
from tests import factories
from tests.browser.conftest import log_in, open_menu
from tests.conftest import PASSWORD

ITEM = "主要负责人（一般行业）"
TRAINER, ADMIN, EMPLOYER_USER, CANDIDATE = "e2e_tr_trainer", "e2e_admin", "e2e_tr_employer", "e2e_tr_candidate"
STAFF = ("诸葛明远", "上官婉清")
VIDEO = Path(__file__).resolve().parents[1] / "training" / "data" / "lesson.mp4"


def _practice_bank() -> None:
    """Knowledge points, a practice pool (and a few exam-pool questions that must never show) and an active
    blueprint for the item (set active directly: the exam pool here is too small for a real paper)."""
    from app.papers.models import BlueprintStatus
    from app.papers.services import save_blueprint
    from app.questions import services as qservices
    from app.questions.records import build_record

    qservices.load_knowledge_points(ITEM, ["安全管理/责任制", "应急管理/预案"])
    raws = [{"type": "判断", "stem": f"浏览器练习题{i}：主要负责人对本单位安全生产工作全面负责。", "answer": "对", "pool": "练习",
             "knowledge_point": "安全管理/责任制" if i % 2 else "应急管理/预案", "difficulty": 1 + i % 3} for i in range(28)]
    raws += [{"type": "单选", "stem": f"浏览器单选题{i}：应急预案应当（  ）。", "options": ["不必演练", "定期演练", "只存档"],
              "answer": "B", "pool": "练习", "knowledge_point": "安全管理/责任制" if i % 2 else "应急管理/预案",
              "difficulty": 1 + i % 3} for i in range(12)]
    raws += [{"type": "判断", "stem": f"正式考试题{i}：不应出现在练习中。", "answer": "对", "pool": "考试",
              "knowledge_point": "安全管理/责任制", "difficulty": 2} for i in range(3)]
    records = []
    for i, raw in enumerate(raws, start=1):
        rec, errors = build_record({"explanation": "依据《安全生产法》。", "items": ITEM, "source": "市级",
                                    "id": f"E2E-TR-{i:04d}", **raw}, i)
        assert not errors, errors
        records.append(rec)
    assert not qservices.import_records(records, activate=True, source_name="e2e").errors
    bp, _ = save_blueprint(item_by_name(ITEM), {"sections": [{"type": "判断", "count": 70, "points": 1},
                                                             {"type": "单选", "count": 30, "points": 1}],
                                                "knowledge_points": {"安全管理": 0.5, "应急管理": 0.5}})
    bp.status = BlueprintStatus.ACTIVE


@pytest.fixture
def world_e2e(live_app):
    """Users (trainer, admin, employer, candidate linked to the first of two staff) and the practice bank."""
    with live_app.app_context():
        if db.session.scalar(sa.select(User.id).where(User.username == TRAINER)) is None:
            employer = Employer(name="阜新培训浏览器测试有限公司", credit_code=factories.credit_code(), industry="一般行业")
            db.session.add(employer)
            db.session.flush()
            people = [factories.person(employer=employer, name=name, number=factories.id_number(birth=dt.date(1985, 3, 9)))
                      for name in STAFF]
            db.session.flush()
            account_services.create_user(TRAINER, "培训教师 陈老师", PASSWORD, {Role.TRAINER})
            account_services.create_user(EMPLOYER_USER, "培训测试企业", PASSWORD, {Role.EMPLOYER}, employer_id=employer.id)
            account_services.create_user(CANDIDATE, STAFF[0], PASSWORD, {Role.CANDIDATE}, person_id=people[0].id)
            _practice_bank()
            db.session.commit()
    return live_app


@pytest.fixture
def as_user(browser, live_server):
    contexts = []

    def _open(username: str):
        context = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30000)
        log_in(page, username)
        return page

    yield _open
    for context in contexts:
        context.close()


def _trainer_writes_course(page) -> None:
    open_menu(page, "课程", "培训")
    page.get_by_role("link", name="新建课程").click()
    page.get_by_label("考核项目").select_option(label=ITEM)
    page.get_by_label("培训类别").select_option(label="初训")
    page.get_by_label("课程名称").fill("主要负责人安全培训（浏览器）")
    page.get_by_role("button", name="创建课程").click()
    for title, hours, online in (("安全生产法律法规与管理", "28", False), ("典型事故案例（视频）", "4", True)):
        page.get_by_role("link", name="添加一课").click()
        page.get_by_label("课名").fill(title)
        page.get_by_label("学时").fill(hours)
        if online:
            page.get_by_label("可在线学习").check()
        page.get_by_label("内容要点").fill("要点一\n要点二\n要点三")
        page.get_by_role("button", name="保存").click()
        assert "已保存" in page.locator(".alert-success").inner_text()
        if online:
            page.locator("#video-file").set_input_files(str(VIDEO))
            page.get_by_role("button", name="上传视频").click()
            assert "视频已上传" in page.locator(".alert-success").inner_text()
        page.get_by_role("link", name="取消").click()
    page.get_by_role("link", name="编辑课程信息").click()
    page.get_by_label("学习目标").fill("掌握安全生产法律法规\n具备组织应急救援的能力")
    page.get_by_role("button", name="保存").click()
    page.get_by_role("button", name="提交审核").click()
    assert page.locator("#version-status").inner_text() == "待审核"


def _admin_publishes_and_opens_class(page) -> None:
    open_menu(page, "课程", "培训")
    page.get_by_role("link", name=re.compile("主要负责人安全培训（浏览器）")).first.click()
    page.get_by_role("button", name="批准").click()
    page.get_by_role("button", name="发布").click()
    assert page.locator("#version-status").inner_text() == "已发布"
    open_menu(page, "培训班", "培训")
    page.get_by_role("link", name="新开培训班").click()
    page.get_by_label("课程（已发布）").select_option(index=0)
    page.get_by_label("班级名称").fill("主要负责人初训班（浏览器）")
    today = local_today()
    page.get_by_label("开班日期").fill((today - dt.timedelta(days=7)).isoformat())
    page.get_by_label("结业日期").fill((today + dt.timedelta(days=7)).isoformat())
    page.get_by_label("人数上限").fill("30")
    page.get_by_label("培训教师").select_option(label="培训教师 陈老师")
    page.get_by_role("button", name="开班").click()
    now = to_local(utcnow())
    start = max(now - dt.timedelta(minutes=10), now.replace(hour=0, minute=0))
    end = min(start + dt.timedelta(hours=3), now.replace(hour=23, minute=59))
    page.get_by_label("日期").fill(start.date().isoformat())
    page.get_by_label("开始时间").fill(start.strftime("%H:%M"))
    page.get_by_label("结束时间").fill(end.strftime("%H:%M"))
    page.get_by_label("本次学时").fill("2")
    page.get_by_label("内容").fill("法律法规")
    page.get_by_role("button", name="添加课次").click()
    assert "课次已添加" in page.locator(".alert-success").inner_text()


def _employer_enrols(page) -> None:
    open_menu(page, "培训班", "培训")
    page.get_by_role("link", name="主要负责人初训班（浏览器）").click()
    page.get_by_role("link", name="报名学员").click()
    for name in STAFF:
        page.get_by_label(name).check()
    page.get_by_role("button", name="报名").click()
    done = page.locator(".alert-success").inner_text()
    assert done.startswith("已报名：") and all(name in done for name in STAFF)


def _earlier_days_on_the_roster(live_app) -> None:
    """Earlier days of the class (26 h), marked on the trainer's roster (recorded directly here)."""
    with live_app.app_context():
        tc = db.session.scalar(sa.select(TrainingClass).where(TrainingClass.name == "主要负责人初训班（浏览器）"))
        enrolment = class_svc.enrolment_for(tc, db.session.scalar(sa.select(User).where(User.username == CANDIDATE)).person_id)
        for k, hours in enumerate((4, 4, 4, 4, 4, 4, 2), start=1):
            starts = utcnow() - dt.timedelta(days=k)
            meeting = Meeting(training_class=tc, starts_at=starts, ends_at=starts + dt.timedelta(hours=3), hours=hours)
            db.session.add(meeting)
            db.session.flush()
            class_svc.mark_present(meeting, enrolment, actor=None)
        db.session.commit()


def _qr_link(page) -> str:
    """The trainer opens today's meeting and shows the class QR; its link is what the phone opens."""
    open_menu(page, "培训班", "培训")
    page.get_by_role("link", name="主要负责人初训班（浏览器）").click()
    page.locator("#meetings").get_by_role("link", name="签到").last.click()  # today's, the latest
    assert page.get_by_alt_text("签到二维码").is_visible()
    return page.locator("#signin-link").get_attribute("href")


def _candidate_signs_in_and_watches(page, link: str) -> None:
    page.set_viewport_size({"width": 390, "height": 800})  # a phone
    page.goto(link)
    page.get_by_role("button", name="确认签到").click()
    assert "签到成功：2 学时已计入" in page.locator(".alert-success").inner_text()
    assert "28 / 32" in page.locator(".hours-line").inner_text()
    page.get_by_role("link", name="典型事故案例（视频）").click()
    video = page.locator("#lesson-video")
    skip = page.evaluate("""async () => {
        const v = document.getElementById('lesson-video');
        const post = (p) => fetch(v.dataset.beatUrl, {method: 'POST', credentials: 'same-origin',
            headers: {'Content-Type': 'application/json', 'X-CSRFToken': v.dataset.csrf},
            body: JSON.stringify({position: p})}).then(r => r.json());
        await post(0);
        return await post(11);   // eleven seconds of video a moment later: a skip ahead
    }""")
    assert skip["watched_seconds"] == 0 and skip["lesson_hours"] == 0
    video.evaluate("v => { v.muted = true; return v.play(); }")
    try:
        page.locator("#lesson-progress", has_text="学时已满").wait_for(timeout=60000)
    except Exception:
        pytest.fail("no full credit: " + page.locator("#lesson-progress").inner_text() + " | video at "
                    + str(video.evaluate("v => [v.currentTime, v.duration, v.paused, v.ended, v.error && v.error.code]")))
    page.get_by_role("link", name="返回我的培训").click()
    assert "32 / 32" in page.locator(".hours-line").inner_text() and "已结业" in page.locator(".hours-line").inner_text()


def _candidate_practises(page) -> None:
    page.locator("main").get_by_role("link", name="模拟练习").click()  # still on the phone
    page.get_by_role("link", name=re.compile(re.escape(ITEM))).click()
    page.get_by_role("button", name="模拟考试").click()
    assert "缩减为" in page.locator("#mock-note").inner_text()
    assert page.locator("#mock-timer").is_visible()
    assert "正式考试题" not in page.content()
    questions = page.locator("fieldset.mock-question")
    for i in range(questions.count()):
        first = questions.nth(i).locator("input").first
        first.check()  # the first choice of each: 对 for every 判断, a wrong A for every 单选
    page.get_by_role("button", name="交卷").click()
    score = page.locator("#mock-score").inner_text()
    assert "得分" in score and "100" not in score.split("分")[0]
    page.get_by_role("link", name="查看错题本").click()
    book = page.locator("#wrong-book").inner_text()
    assert "浏览器单选题" in book and "浏览器练习题" not in book


def _employer_registers_candidate(page) -> None:
    open_menu(page, "考试报名", "考务")
    page.get_by_label(STAFF[0]).check()
    page.get_by_label("考核项目").select_option(label=ITEM)
    page.get_by_label("考试科目").select_option(label="理论考试")
    page.get_by_label("希望考试日期").fill((local_today() + dt.timedelta(days=14)).isoformat())
    page.get_by_role("button", name="提交报名").click()
    summary = page.locator("#register-summary")
    summary.wait_for()
    assert "成功报名 1 人" in summary.inner_text()


def test_training_end_to_end(world_e2e, as_user):
    if not VIDEO.exists():
        pytest.fail(f"test video missing: {VIDEO}")
    _trainer_writes_course(as_user(TRAINER))
    _admin_publishes_and_opens_class(as_user(ADMIN))
    employer = as_user(EMPLOYER_USER)
    _employer_enrols(employer)
    _earlier_days_on_the_roster(world_e2e)
    link = _qr_link(as_user(TRAINER))
    candidate = as_user(CANDIDATE)
    _candidate_signs_in_and_watches(candidate, link)
    _candidate_practises(candidate)
    _employer_registers_candidate(employer)
