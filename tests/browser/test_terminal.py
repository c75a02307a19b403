"""The exam terminal end to end, as a candidate at a 1280×800 kiosk: log in with the ticket and ID
number, confirm the instructions, answer by mouse and keyboard, reload in the middle (the answers are
still there), lose the network and answer three more (the page says they are not saved yet), come
back online (everything is sent), submit through the confirmation dialog — and every answer given is
in the database, in the original option letters, and the attempt is graded."""
from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.db import utcnow
from app.demo import load_shipped_bank
from app.exams.models import Attempt, AttemptAnswer
from app.extensions import db
from app.papers.models import PaperQuestion
from app.scheduling.fixtures import exam_day
from app.scheduling.models import Registration
from app.scheduling.setup import load_site

LETTERS = "ABCDEFGH"
SAVED = "已全部保存"


@pytest.fixture
def candidates(live_app) -> list[tuple[str, str]]:
    """(ticket number, ID number) of two checked-in candidates in a session open now."""
    with live_app.app_context():
        load_shipped_bank()
        load_site()
        _sessions, rows = exam_day(2)
        db.session.commit()
        return rows


@pytest.fixture
def kiosk(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 1280, "height": 800})
    p = context.new_page()
    p.set_default_timeout(30000)
    p.csp_errors = []
    p.on("console", lambda m: p.csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    yield p
    context.close()


# ---- helpers ---------------------------------------------------------------------------------

def position(page) -> int:
    return int(page.locator("#q-options").get_attribute("data-position"))


def qtype(page) -> str:
    return page.locator("#q-options").get_attribute("data-type")


def letters(page) -> list[str]:
    return page.locator("#q-options .opt").evaluate_all("els => els.map(e => e.dataset.letter)")


def chosen(page) -> str:
    return "".join(page.locator("#q-options .opt[aria-pressed='true']").evaluate_all(
        "els => els.map(e => e.dataset.letter)"))


def answer(page, i: int, by_key: bool) -> str:
    """Answer the current question (the i-th we answer) and return the displayed answer expected."""
    kind, options = qtype(page), letters(page)
    if kind == "judge":
        want = "TF"[i % 2]
        if by_key:
            page.keyboard.press(["t", "f", "y", "n"][i % 4])
        else:
            page.get_by_role("button", name="对" if want == "T" else "错", exact=True).click()
    elif kind == "single":
        want = options[i % len(options)]
        if by_key:
            page.keyboard.press(want.lower() if i % 2 else str(options.index(want) + 1))
        else:
            page.locator(f"#q-options .opt[data-letter='{want}']").click()
    else:  # multiple: choose three, then take the last back (a toggle)
        picks = [options[0], options[-1], options[1]]
        for letter in picks:
            if by_key:
                page.keyboard.press(str(options.index(letter) + 1))
            else:
                page.locator(f"#q-options .opt[data-letter='{letter}']").click()
        page.locator(f"#q-options .opt[data-letter='{picks[-1]}']").click()
        want = "".join(sorted(picks[:2]))
    expect(page.locator("#q-options .opt[aria-pressed='true']")).to_have_count(len(want))
    assert chosen(page) == want
    return want


def go_to(page, pos: int) -> None:
    page.locator(f"#navigator-grid .nav-cell[data-position='{pos}']").click()
    expect(page.locator("#q-options")).to_have_attribute("data-position", str(pos))


def answer_positions(page, positions, given: dict, counter) -> None:
    for pos in positions:
        if position(page) != pos:
            go_to(page, pos)
        i = next(counter)
        given[pos] = answer(page, i, by_key=i % 2 == 1)
        cell = page.locator(f"#navigator-grid .nav-cell[data-position='{pos}']")
        expect(cell).to_have_class(re.compile(r"\banswered\b"))
        expect(cell).to_have_attribute("aria-current", "step")


def to_original(shown: str, order: list[int]) -> str:
    """Displayed letters → the bank's letters (displayed position i shows option order[i])."""
    if not order:
        return shown
    return "".join(sorted(LETTERS[order[LETTERS.index(c)]] for c in shown))


# ---- the exam ----------------------------------------------------------------------------------

def test_candidate_takes_the_whole_exam(kiosk, candidates, live_app):
    page, (ticket, id_number) = kiosk, candidates[0]
    page.goto("/terminal")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("nav.navbar")).to_have_count(0)  # not the staff layout

    # A wrong ID number: the API's message, and still the login screen.
    page.get_by_label("准考证号").fill(ticket)
    page.get_by_label("身份证号码").fill("110101199001011237")
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#login-error")).to_contain_text("不正确")

    page.get_by_label("准考证号").fill(ticket)
    page.get_by_label("身份证号码").fill(id_number)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="考试须知")).to_be_focused()
    expect(page.locator("#instructions-list li").first).to_be_visible()
    expect(page.locator("#info-pass")).to_have_text("80 分")
    terminal_id = page.evaluate("localStorage.getItem('terminal_id')")
    assert terminal_id and len(terminal_id) == 36
    page.get_by_role("button", name="我已阅读，开始答题").click()
    expect(page.locator("#q-heading")).to_have_text("第 1 题 / 共 100 题")
    expect(page.locator("#timer-value")).to_have_text(re.compile(r"^(1:59:\d\d|2:00:00)$"))

    given: dict[int, str] = {}
    counter = itertools.count()
    flagged = set()

    # First questions in order: buttons and keys, next by button and by →.
    for step in range(4):
        pos = position(page)
        i = next(counter)
        given[pos] = answer(page, i, by_key=step % 2 == 1)
        if step == 1:
            page.keyboard.press("m")
            flagged.add(pos)
            expect(page.locator("#flag-btn")).to_have_attribute("aria-pressed", "true")
            expect(page.locator(f".nav-cell[data-position='{pos}'] .nav-sym")).to_have_text("✓★")
        if step % 2:
            page.keyboard.press("ArrowRight")
        else:
            page.get_by_role("button", name="下一题").click()
        expect(page.locator("#q-options")).to_have_attribute("data-position", str(pos + 1))
    page.keyboard.press("ArrowLeft")
    assert position(page) == 4 and chosen(page) == given[4]
    # The last questions of the paper (the single-choice section of this blueprint), via the navigator.
    answer_positions(page, [97, 98], given, counter)
    expect(page.locator("#save-text")).to_have_text(SAVED)

    # Reload in the middle: the same attempt, the same answers, straight back to the questions.
    page.reload()
    expect(page.locator("#screen-exam")).to_be_visible()
    for pos, want in given.items():
        go_to(page, pos)
        assert chosen(page) == want, pos
    (flagged_pos,) = flagged
    expect(page.locator(f".nav-cell[data-position='{flagged_pos}']")).to_have_class(re.compile(r"\bflagged\b"))
    expect(page.locator(f".nav-cell[data-position='{flagged_pos}']")).to_have_attribute(
        "aria-label", f"第 {flagged_pos} 题，已答，已标记")
    answer_positions(page, [20, 21, 99, 100], given, counter)  # ten answered now
    expect(page.locator("#save-text")).to_have_text(SAVED)

    # The network goes: three more answers wait in the browser, and the page says so.
    page.context.set_offline(True)
    answer_positions(page, [30, 31, 96], given, counter)
    expect(page.locator("#save-text")).to_have_text("3 项未保存（网络断开，恢复后自动发送）")
    expect(page.locator("#save-status")).to_have_attribute("data-state", "unsaved")
    queued = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('exam_queue_'))"
                           ".map(k => JSON.parse(localStorage.getItem(k)).length)")
    assert queued == [3]
    page.context.set_offline(False)
    expect(page.locator("#save-text")).to_have_text(SAVED, timeout=20000)

    # Submit: the dialog lists the unanswered questions and the flagged one.
    page.get_by_role("button", name="交卷", exact=True).click()
    dialog = page.get_by_role("dialog", name="确认交卷")
    expect(dialog).to_be_visible()
    unanswered = 100 - len(given)
    expect(dialog).to_contain_text(f"以下 {unanswered} 道题尚未作答")
    expect(page.locator("#submit-unanswered .submit-pos")).to_have_count(unanswered)
    expect(page.locator("#submit-flagged .submit-pos")).to_have_text([str(p) for p in sorted(flagged)])
    # Jump back from the list, then open it again and confirm.
    page.locator("#submit-unanswered .submit-pos").first.click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#q-options")).to_have_attribute("data-position", "5")
    page.get_by_role("button", name="交卷", exact=True).click()
    dialog.get_by_role("button", name="确认交卷").click()
    expect(page.get_by_role("heading", name="已交卷")).to_be_focused()
    expect(page.locator(".result-verdict")).to_have_text(re.compile("合格"))
    expect(page.locator(".result-kp tbody tr").first).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('exam_token')") is None
    assert page.csp_errors == []

    # Every answer given is stored, in the bank's letters, and the attempt is graded.
    with live_app.app_context():
        reg = db.session.scalar(sa.select(Registration).where(Registration.ticket_no == ticket))
        attempt = db.session.scalar(sa.select(Attempt).where(Attempt.registration_id == reg.id))
        assert attempt.status == "submitted" and attempt.graded_at is not None and attempt.score is not None
        assert attempt.terminal_id == terminal_id
        orders = dict(db.session.execute(sa.select(PaperQuestion.position, PaperQuestion.option_order)
                                         .where(PaperQuestion.paper_id == attempt.paper_id)).all())
        stored = {a.position: a for a in db.session.scalars(
            sa.select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id))}
        assert set(stored) == set(given)
        for pos, shown in given.items():
            assert stored[pos].answer == to_original(shown, orders[pos] or []), pos
            assert stored[pos].is_correct is not None
        assert {p for p, a in stored.items() if a.flagged} == flagged
        assert sum(1 for a in stored.values() if a.is_correct) == attempt.score  # 1 point each


def log_in(page, ticket: str, id_number: str) -> None:
    page.get_by_label("准考证号").fill(ticket)
    page.get_by_label("身份证号码").fill(id_number)
    page.get_by_role("button", name="登录").click()


def test_pause_warnings_lost_session_and_time_up(kiosk, candidates, live_app):
    """The proctor pauses (overlay, no input) and resumes; the server's deadline drives the warnings;
    a rotated token sends the candidate back to login with the unsent answers kept and sent after the
    new login; when the time is up the page submits by itself."""
    page, (ticket, id_number) = kiosk, candidates[1]

    def change(fn):
        with live_app.app_context():
            reg = db.session.scalar(sa.select(Registration).where(Registration.ticket_no == ticket))
            attempt = db.session.scalar(sa.select(Attempt).where(Attempt.registration_id == reg.id))
            fn(attempt)
            db.session.commit()

    page.goto("/terminal")
    log_in(page, ticket, id_number)
    page.get_by_role("button", name="我已阅读，开始答题").click()

    # The deadline moves on the server (as extra time would): the next response re-synchronises.
    change(lambda a: setattr(a, "deadline_at", utcnow() + dt.timedelta(minutes=9, seconds=50)))
    page.keyboard.press("t")
    expect(page.locator("#time-warning")).to_contain_text("还有 10 分钟")
    expect(page.locator("#timer-value")).to_have_text(re.compile(r"^09:[45]\d$"))

    def pause(a):
        a.status, a.paused_at = "paused", utcnow()
    change(pause)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("f")  # refused with 409: the heartbeat then reports the pause
    overlay = page.get_by_role("alertdialog", name="考试已暂停，请等待监考员")
    expect(overlay).to_be_visible()
    expect(overlay).to_be_focused()
    expect(page.locator("#save-text")).to_have_text("1 项待考试恢复后发送")
    page.wait_for_timeout(300)
    frozen = page.locator("#timer-value").text_content()
    page.wait_for_timeout(1500)
    expect(page.locator("#timer-value")).to_have_text(frozen)  # the clock stands still

    def resume(a):
        a.deadline_at += utcnow() - a.paused_at
        a.status, a.paused_at = "answering", None
    change(resume)
    expect(overlay).to_be_hidden(timeout=10000)
    expect(page.locator("#save-text")).to_have_text(SAVED)

    # Offline, two answers; the token is rotated meanwhile; back online → login, answers kept.
    page.context.set_offline(True)
    for key in ("ArrowRight", "t", "ArrowRight", "f"):
        page.keyboard.press(key)
    expect(page.locator("#save-text")).to_have_text("2 项未保存（网络断开，恢复后自动发送）")
    change(lambda a: setattr(a, "token_hash", "0" * 64))
    page.context.set_offline(False)
    expect(page.locator("#login-error")).to_contain_text("登录已失效", timeout=20000)
    log_in(page, ticket, id_number)
    expect(page.locator("#screen-exam")).to_be_visible()
    expect(page.locator("#save-text")).to_have_text(SAVED)

    # Eight seconds left: the 5-minute warning, then the page submits on its own.
    change(lambda a: setattr(a, "deadline_at", utcnow() + dt.timedelta(seconds=8)))
    page.keyboard.press("ArrowRight")
    page.keyboard.press("t")
    expect(page.locator("#time-warning")).to_contain_text("还有 5 分钟")
    expect(page.get_by_role("heading", name="已交卷")).to_be_visible(timeout=25000)

    with live_app.app_context():
        reg = db.session.scalar(sa.select(Registration).where(Registration.ticket_no == ticket))
        attempt = db.session.scalar(sa.select(Attempt).where(Attempt.registration_id == reg.id))
        assert attempt.status == "submitted" and attempt.score is not None
        assert {a.position: a.answer for a in attempt.answers} == {1: "T", 2: "F", 3: "T", 4: "F", 6: "T"}
