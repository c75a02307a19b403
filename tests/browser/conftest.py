"""Browser tests: a live server in a thread on its own database, and Debian's Chromium
driven by Playwright. Locally they skip when Chromium is missing; with REQUIRE_BROWSER=1
(CI) a missing browser is a failure."""
from __future__ import annotations

import os
import shutil
import threading
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from app.accounts import services as account_services
from app.accounts.models import Role
from app.catalog.services import load_catalog
from app.extensions import db
from tests.conftest import PASSWORD, database_url, make_app

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def chromium_path() -> str | None:
    for name in (os.environ.get("CHROMIUM_PATH"), "chromium", "chromium-browser"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required (REQUIRE_BROWSER=1) but not installed: apt-get install chromium")
        pytest.skip("Chromium not installed: browser tests skipped (apt-get install chromium to run them)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    app = make_app(database_url(tmp_path_factory, "e2e"), str(tmp_path_factory.mktemp("e2e-uploads")))
    with app.app_context():
        db.drop_all()
        db.create_all()
        load_catalog()
        for role in (Role.ADMIN, Role.SCHEDULER):
            account_services.create_user(f"e2e_{role}", f"浏览器{role.label}", PASSWORD, {role})
        db.session.commit()
    return app


@pytest.fixture(scope="session")
def live_server(live_app):
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    with live_app.app_context():
        db.engine.dispose()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 1280, "height": 900})
    p = context.new_page()
    p.set_default_timeout(30000)  # CI runs these beside another worker: allow for a busy machine
    yield p
    context.close()


def log_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/")


def open_menu(page, label: str, group: str) -> None:
    """Click ``label`` in the navigation bar, opening its group's dropdown first when it has one."""
    nav = page.locator("#mainnav")
    toggle = nav.get_by_role("button", name=group, exact=True)
    if toggle.count():
        toggle.click()
    link = nav.get_by_role("link", name=label, exact=True)
    target = urlsplit(link.get_attribute("href") or "").path
    link.click()
    # Act on the new page only once it has loaded: a box ticked while it was still loading could be
    # lost (seen under load in CI).
    page.wait_for_url(lambda url: urlsplit(url).path == target)
    page.wait_for_load_state("load")
