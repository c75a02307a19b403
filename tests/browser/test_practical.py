"""The practical exam on tablets (1024×768): two examiners score a candidate on flaky Wi-Fi (bad values
are refused at the field, an entry made offline waits and is sent when the network returns), they
disagree and the chief examiner decides; a veto item fails a second candidate despite a full total;
a change after the lock appears in the audit log with its reason."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.practical import services
from app.practical.models import ScoreSheet
from tests.browser.conftest import PASSWORD as ADMIN_PASSWORD
from tests.browser.conftest import log_in
from tests.practical.helpers import PASSWORD, build_station, draw_fixed

SAVED = "全部已保存"


@pytest.fixture
def station(live_app) -> dict:
    """A practical session open now: a chief examiner, two examiners, 王志刚 and 刘洋 checked in;
    刘洋's sheet is opened with K11/K21/K31/K41 drawn (all with veto items)."""
    with live_app.app_context():
        st = build_station(2, names=("王志刚", "刘洋"))
        sheet = services.open_sheet(st.regs[1], actor=st.first)
        draw_fixed(sheet, st.first)
        db.session.commit()
        return {"session": st.session.id, "chief": st.chief.username, "first": st.first.username,
                "second": st.second.username, "veto_sheet": sheet.id}


@pytest.fixture
def tablet(browser, live_server):
    contexts = []

    def open_tablet(username: str, password: str = PASSWORD):
        context = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 1024, "height": 768})
        page = context.new_page()
        page.set_default_timeout(30000)
        page.csp_errors = []
        page.on("console", lambda m: page.csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
        contexts.append(context)
        log_in(page, username, password)
        return page

    yield open_tablet
    for context in contexts:
        context.close()


def open_candidate(page, session_id: int, name: str) -> None:
    page.goto(f"/practical/stations/{session_id}")
    card = page.locator(".queue-card", has_text=name)
    button = card.get_by_role("button", name="核对身份，开始评分")
    if button.count():
        button.click()
    else:
        card.get_by_role("link", name="打开评分表").click()
    expect(page.locator("h1")).to_contain_text(name)
    expect(page.locator("body")).to_have_attribute("data-sheet-ready", "1")  # listeners attached


def deduct(page, point: str, value: str, note: str | None = None) -> None:
    page.locator(f"#d-{point}").fill(value)
    page.locator(f"#d-{point}").press("Tab")
    if note is not None:
        page.locator(f"#n-{point}").fill(note)
        page.locator(f"#n-{point}").press("Tab")


def test_two_examiners_chief_veto_and_a_change_after_the_lock(tablet, station, live_app):
    session = station["session"]
    first = tablet(station["first"])
    first.goto("/practical")
    first.get_by_role("link", name="进入考位").first.click()
    open_candidate(first, session, "王志刚")
    first.get_by_role("button", name="系统抽题（其余科目）").click()
    expect(first.locator(".alert-success")).to_contain_text("已抽题")
    k2 = first.locator("#subject-K2").get_attribute("data-task")
    point = f"{k2}-1"

    # Refused at the field, then a full-width value normalised and saved.
    deduct(first, point, "-3")
    expect(first.locator(f"#e-{point}")).to_have_text("扣分不能为负数")
    deduct(first, point, "abc")
    expect(first.locator(f"#e-{point}")).to_contain_text("应为数字")
    deduct(first, point, "999")
    expect(first.locator(f"#e-{point}")).to_contain_text("不能超过该要点的分值")
    deduct(first, point, "５", "工具摆放不规范")
    expect(first.locator(f"#d-{point}")).to_have_value("5")
    expect(first.locator("#save-state")).to_have_text(SAVED)
    expect(first.locator(f".task-score[data-task='{k2}']")).to_have_text("95")
    expect(first.locator("#my-total")).to_have_text("98")

    # The Wi-Fi drops: the entry waits in the browser and the page says so; it is sent when it returns.
    k3 = first.locator("#subject-K3").get_attribute("data-task")
    first.context.set_offline(True)
    deduct(first, f"{k3}-1", "0")
    expect(first.locator("#save-state")).to_contain_text("1 项未保存")
    first.context.set_offline(False)
    expect(first.locator("#save-state")).to_have_text(SAVED, timeout=30000)
    first.locator("#sign-button").click()
    expect(first.locator(".alert-success")).to_contain_text("已签字")

    # The second examiner scores independently and differs by 20 on the K2 task.
    second = tablet(station["second"])
    open_candidate(second, session, "王志刚")
    expect(second.locator("#confirm-title")).to_be_visible()
    deduct(second, point, "25", "接线工艺差，多处松动")
    expect(second.locator("#save-state")).to_have_text(SAVED)
    second.locator("#sign-button").click()
    expect(second.locator("#sheet-status")).to_have_text("待主考评员裁定")

    # A veto item fails 刘洋 whatever the total.
    open_candidate(first, session, "刘洋")
    first.locator("#v-K21-V1").check()
    expect(first.locator("#ve-K21-V1")).to_have_text("判定否决项不合格须填写说明")
    first.locator("#vn-K21-V1").fill("未经考评员允许擅自合闸通电")
    first.locator("#vn-K21-V1").press("Tab")
    expect(first.locator("#save-state")).to_have_text(SAVED)
    expect(first.locator("#my-total")).to_have_text("100")
    expect(first.locator("#my-verdict")).to_have_text("否决项不合格")
    first.locator("#sign-button").click()
    open_candidate(second, session, "刘洋")
    second.get_by_role("button", name="确认并签字").click()
    expect(second.locator("#final-total")).to_contain_text("100")
    expect(second.locator("#final-total")).to_contain_text("不合格")
    expect(second.locator("#final-total")).to_contain_text("否决项不合格")

    # The chief examiner decides the disagreement, then changes a score after the lock.
    chief = tablet(station["chief"])
    open_candidate(chief, session, "王志刚")
    expect(chief.locator("#comparison")).to_contain_text("需裁定")
    chief.locator(f"#score_{k2}").fill("85")
    chief.locator(f"#note_{k2}").fill("复看考位录像，取中间值")
    chief.get_by_role("button", name="裁定并锁定").click()
    expect(chief.locator(".alert-success")).to_contain_text("已裁定，评分表已锁定")
    expect(chief.locator("#final-total")).to_contain_text("94")
    k1 = chief.locator("#subject-K1").get_attribute("data-task")
    row = chief.locator(f"#finals tr[data-task='{k1}']")
    row.locator("summary").click()
    row.locator("input[name='score']").fill("60")
    row.locator("textarea[name='reason']").fill("复核录像：验电前未检查验电器")
    row.get_by_role("button", name="保存修改").click()
    expect(chief.locator(".alert-success")).to_contain_text("成绩已修改")
    expect(chief.locator("#final-total")).to_contain_text("86")
    expect(chief.locator("#amendments")).to_contain_text("复核录像：验电前未检查验电器")

    admin = tablet("e2e_admin", ADMIN_PASSWORD)
    admin.goto("/admin/audit?action=practical.amend")
    entry = admin.locator("tr", has_text="practical.amend")
    expect(entry).to_contain_text("复核录像：验电前未检查验电器")
    expect(entry).to_contain_text(re.compile(r'"score":\s*100'))
    expect(entry).to_contain_text(re.compile(r'"score":\s*60'))

    for page in (first, second, chief):
        assert page.csp_errors == []
    with live_app.app_context():
        sheets = db.session.query(ScoreSheet).filter_by(session_id=session).all()
        assert sorted((s.total, s.passed) for s in sheets) == [(86, True), (100, False)]
