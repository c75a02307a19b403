"""Exam day end to end: an employer registers two staff (one refused for age, the rule shown), a scheduler
approves and allocates, the employer downloads the tickets, a proctor checks a candidate in by typing the
ticket number and sees the name and photo."""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import expect

from app.accounts import services as account_services
from app.accounts.models import Role
from app.catalog.services import item_by_name
from app.core.timeutil import local_today, to_local
from app.db import utcnow
from app.extensions import db
from app.people.models import Employer
from app.people.photos import store_photo
from app.scheduling import registration, setup
from app.scheduling.eligibility import add_years
from app.scheduling.models import ExamSession, Registration, Room, SessionStaff, SessionState
from tests import factories
from tests.browser.conftest import log_in, open_menu
from tests.conftest import PASSWORD

ITEM = "低压电工作业"
EMPLOYER_USER, PROCTORS = "e2e_sched_employer", ("e2e_sched_proctor1", "e2e_sched_proctor2")
ADULT, MINOR = "欧阳成", "钱小明"


@dataclass
class ExamDay:
    """What the exam_day fixture made."""
    session_id: int
    exam_day: dt.date


def _staff_member(employer: Employer, name: str, birth: dt.date, upload_root: str, photo: bool) -> None:
    """One of the employer's staff with a health commitment and the item's full training recorded."""
    person = factories.person(employer=employer, name=name, number=factories.id_number(birth=birth))
    db.session.flush()
    if photo:
        buf = io.BytesIO()
        Image.new("RGB", (300, 400), (120, 160, 200)).save(buf, "JPEG")
        person.photo_file = store_photo(upload_root, buf.getvalue())
    item = item_by_name(ITEM)
    registration.record_health_commitment(person, local_today() - dt.timedelta(days=30))
    end = local_today() - dt.timedelta(days=5)
    registration.record_training(person, item, end - dt.timedelta(days=40), end, float(item.training_hours_initial))


def _published_session(proctor_ids: list[int]) -> ExamSession:
    """A published theory session starting in 20 minutes (inserted directly: today may be a holiday)."""
    setup.load_site()
    room = db.session.scalar(sa.select(Room).where(Room.name == "理论考场一"))
    starts = utcnow().replace(microsecond=0) + dt.timedelta(minutes=20)
    session = ExamSession(kind="theory", room_id=room.id, day=to_local(starts).date(), starts_at=starts,
                          ends_at=starts + dt.timedelta(hours=2), capacity=40, state=SessionState.PUBLISHED,
                          note="浏览器测试")
    session.items = [item_by_name(ITEM)]
    session.staff = [SessionStaff(user_id=uid, duty="proctor") for uid in proctor_ids]
    db.session.add(session)
    db.session.flush()
    return session


@pytest.fixture
def exam_day(live_app) -> ExamDay:
    """An employer with an adult and a 17-year-old on its staff, its user, two proctors and a session."""
    with live_app.app_context():
        employer = Employer(name="阜新排考浏览器测试有限公司", credit_code=factories.credit_code(), industry="一般行业")
        db.session.add(employer)
        db.session.flush()
        account_services.create_user(EMPLOYER_USER, "排考测试企业", PASSWORD, {Role.EMPLOYER}, employer_id=employer.id)
        proctors = [account_services.create_user(u, f"监考员{i}", PASSWORD, {Role.PROCTOR}).id
                    for i, u in enumerate(PROCTORS, start=1)]
        session = _published_session(proctors)
        root = live_app.config["UPLOAD_ROOT"]
        _staff_member(employer, ADULT, dt.date(1988, 6, 1), root, photo=True)
        # 17 on the exam day: turns 18 a month later
        _staff_member(employer, MINOR, add_years(session.day, -18) + dt.timedelta(days=30), root, photo=False)
        db.session.commit()
        return ExamDay(session.id, session.day)


@pytest.fixture
def as_user(browser, live_server):
    """as_user(username) → a logged-in page in a browser context of its own."""
    contexts = []

    def _open(username: str):
        """Log ``username`` in on a new page."""
        context = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 1280, "height": 900},
                                      accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30000)
        log_in(page, username)
        return page

    yield _open
    for context in contexts:
        context.close()


def _menu(page, label: str, group: str = "考务") -> None:
    """Open ``label`` from the 考务 menu (or another group's)."""
    open_menu(page, label, group)


def _employer_registers(page, day: dt.date) -> None:
    """Two staff ticked; the adult registered, the 17-year-old refused with the age rule."""
    _menu(page, "考试报名")
    page.get_by_label(ADULT).check()
    page.get_by_label(MINOR).check()
    page.get_by_label("考核项目").select_option(label=ITEM)
    page.get_by_label("考试科目").select_option(label="理论考试")
    page.get_by_label("希望考试日期").fill(day.isoformat())
    page.get_by_role("button", name="提交报名").click()
    summary = page.locator("#register-summary")
    summary.wait_for()
    assert "成功报名 1 人，未通过 1 人" in summary.inner_text()
    refused = page.locator("table.register-result tr", has_text=MINOR)
    assert "年满18周岁" in refused.inner_text() and "17周岁" in refused.inner_text()
    assert "已报名" in page.locator("table.register-result tr", has_text=ADULT).inner_text()


def _scheduler_approves_and_allocates(page) -> None:
    """Approve the adult's registration, preview and confirm the allocation."""
    _menu(page, "报名记录")
    page.get_by_label(f"选择 {ADULT}").check()
    page.get_by_label("操作").select_option(label="审核通过")
    page.get_by_role("button", name="执行").click()
    assert "完成 1 条" in page.locator("#review-summary").inner_text()
    _menu(page, "排考")
    assert "可安排 1 人" in page.locator("#allocation-summary").inner_text()
    assert ADULT in page.locator(".allocation-group").inner_text()
    page.get_by_role("button", name="确认安排").click()
    page.get_by_text("已安排 1 人").wait_for()


def _employer_downloads_tickets(page) -> None:
    """The employer's batch of tickets downloads as a PDF."""
    _menu(page, "报名记录")
    with page.expect_download() as info:
        page.get_by_role("link", name="下载本单位准考证").click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"


def _proctor_checks_in(page, ticket_no: str) -> None:
    """Type the ticket number; the name, photo and roster update without a reload."""
    _menu(page, "今日场次")
    page.locator("#my-sessions").get_by_role("link", name="签到").click()
    page.wait_for_load_state("load")
    code = page.get_by_label("扫描准考证二维码或输入准考证号")
    expect(code).to_be_focused()  # autofocus for the USB scanner
    code.fill(ticket_no)
    code.press("Enter")
    name = page.locator("#checkin-result .checkin-name")
    name.wait_for()
    assert name.inner_text() == ADULT
    photo = page.get_by_role("img", name=f"{ADULT} 的照片")
    photo.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
    page.locator("#checkin-count", has_text="已签到 1 / 1 人").wait_for()
    assert code.input_value() == ""


def test_exam_day_from_registration_to_check_in(as_user, live_app, exam_day):
    """Registration → review → allocation → tickets → check-in, as four users."""
    employer = as_user(EMPLOYER_USER)
    _employer_registers(employer, exam_day.exam_day)
    _scheduler_approves_and_allocates(as_user("e2e_scheduler"))
    _employer_downloads_tickets(employer)
    with live_app.app_context():
        reg = db.session.scalar(sa.select(Registration).where(Registration.session_id == exam_day.session_id))
        ticket_no = reg.ticket_no
    _proctor_checks_in(as_user(PROCTORS[0]), ticket_no)
    with live_app.app_context():
        reg = db.session.scalar(sa.select(Registration).where(Registration.ticket_no == ticket_no))
        assert reg.state == "checked_in" and reg.checked_in_at is not None and reg.person.name == ADULT
