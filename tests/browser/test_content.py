"""The emergency-culture portal in Chromium: an editor drafts an article and submits it, an admin
schedules it, and it appears on the public home page at its time; an anonymous visitor on a phone-sized
viewport takes a quiz and reads the explanations."""
from __future__ import annotations

import datetime as dt
import time

import pytest

from app.accounts import services as account_services
from app.accounts.models import Role
from app.content.loader import load_culture
from app.core.timeutil import LOCAL_TZ
from app.extensions import db
from tests.browser.conftest import log_in
from tests.content.conftest import write_culture

EDITOR = "e2e_content_editor"
TITLE = "冬季取暖防范一氧化碳中毒"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def portal(live_app, tmp_path_factory):
    """The small culture/ tree of the content tests, loaded into the live server's database."""
    root = write_culture(tmp_path_factory.mktemp("culture") / "culture")
    with live_app.app_context():
        load_culture(root)
        account_services.create_user(EDITOR, "浏览器宣传编辑", "Test-pass-2026", {Role.EDITOR})
        db.session.commit()


def test_scheduled_article_appears_on_the_home_page_at_its_time(browser, live_server, page, portal):
    log_in(page, EDITOR)
    page.goto("/culture/admin/items/new")
    page.get_by_label("编号（网址中的名称）").fill("dongji-quunuan-yanghuatan")
    page.get_by_label("标题").fill(TITLE)
    page.get_by_label("正文").fill("<p>用煤炉取暖要装烟囱，睡前熄火，保持通风。</p><script>alert(1)</script>")
    page.get_by_label("燃气").check()
    page.get_by_role("button", name="保存草稿").click()
    page.get_by_role("button", name="提交审核").click()
    page.get_by_text("已提交审核").wait_for()
    item_url = page.url

    admin = browser.new_context(base_url=live_server, locale="zh-CN")
    ap = admin.new_page()
    ap.set_default_timeout(30000)
    log_in(ap, "e2e_admin")
    ap.goto(item_url)
    when = dt.datetime.now(LOCAL_TZ).replace(microsecond=0) + dt.timedelta(seconds=12)
    ap.get_by_label("发布时间（北京时间，留空为立即发布）").fill(when.strftime("%Y-%m-%dT%H:%M:%S"))
    ap.get_by_role("button", name="批准发布").click()
    ap.get_by_text("定时发布").first.wait_for()
    admin.close()

    visitor = browser.new_context(base_url=live_server, locale="zh-CN", viewport=PHONE)
    vp = visitor.new_page()
    vp.goto("/culture/")
    assert TITLE not in vp.content()
    remaining = (when - dt.datetime.now(LOCAL_TZ)).total_seconds()
    time.sleep(max(0.0, remaining) + 0.5)
    vp.reload()
    vp.get_by_role("link", name=TITLE).click()
    vp.get_by_role("heading", name=TITLE).wait_for()
    assert "睡前熄火" in vp.content() and "alert(1)" not in vp.content()
    assert visitor.cookies() == []  # reading needs no cookie
    visitor.close()


def test_anonymous_visitor_on_a_phone_takes_a_quiz(browser, live_server, portal):
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    p = context.new_page()
    p.set_default_timeout(30000)
    p.goto("/culture/")
    p.get_by_role("link", name="参加应急知识测验").click()
    p.get_by_role("link", name="地震（3）").click()
    questions = p.locator("fieldset.culture-question")
    assert questions.count() == 3
    for i in range(3):
        questions.nth(i).locator("input.form-check-input").first.check()
    # the page fits the phone: no horizontal scrolling
    assert p.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    p.get_by_role("button", name="交卷").click()
    p.get_by_role("status").wait_for()
    assert "测验结果" in p.content()
    explanations = p.locator(".culture-explanation")
    assert explanations.count() == 3
    assert "电梯可能停运或变形" in "\n".join(explanations.all_inner_texts())
    p.get_by_role("link", name="分享成绩卡").click()
    p.get_by_role("img", name="成绩卡").wait_for()
    assert context.cookies() == []
    context.close()
