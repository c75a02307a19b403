"""The practical pages over HTTP: queue, sheet, the JSON entry endpoint, sign-off forms, the chief
examiner's forms, the archive and the results page."""
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.accounts.models import Role, User
from app.db import utcnow
from app.extensions import db
from app.practical import services
from app.practical.models import ScoreSheet, SheetStatus
from tests.practical.helpers import build_station, draw_fixed


def login_as(client, user_id: int):
    with client.application.app_context():
        ident = db.session.get(User, user_id).get_id()
    with client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"], sess["last_seen"] = ident, True, utcnow().timestamp()
    return client


@pytest.fixture
def station(app, world):
    """A committed station (inside the test's rolled-back transaction); ids only."""
    with app.app_context():
        st = build_station(2, names=("周明", "吴刚"))
        pa = db.session.get(__import__("app.people.models", fromlist=["Person"]).Person, world.person_a)
        st.regs[0].person_id = pa.id  # the baseline person has a photo
        db.session.commit()
        return {"session": st.session.id, "chief": st.chief.id, "first": st.first.id, "second": st.second.id,
                "regs": [r.id for r in st.regs]}


def _open_and_draw(app, client, station, reg_index=0):
    login_as(client, station["first"])
    resp = client.post(f"/practical/registrations/{station['regs'][reg_index]}/sheet")
    assert resp.status_code == 302
    sheet_id = int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    with app.app_context():
        sheet = db.session.get(ScoreSheet, sheet_id)
        draw_fixed(sheet, db.session.get(User, station["first"]))
        db.session.commit()
    return sheet_id


def test_the_queue_shows_checked_in_candidates_with_photos(app, client, station, world):
    login_as(client, station["first"])
    page = client.get(f"/practical/stations/{station['session']}").get_data(as_text=True)
    assert "王建国" in page and "吴刚" in page
    assert f"/people/{world.person_a}/photo" in page
    assert "核对身份，开始评分" in page
    assert client.get("/practical").status_code == 200
    assert "实操考评" in client.get("/").get_data(as_text=True)


def test_an_examiner_not_on_the_session_is_refused(app, client, station, login):
    login(Role.EXAMINER)
    assert client.get(f"/practical/stations/{station['session']}").status_code == 403
    assert client.post(f"/practical/registrations/{station['regs'][0]}/sheet").status_code == 403


def test_entries_over_json(app, client, station):
    sheet_id = _open_and_draw(app, client, station)
    url = f"/practical/sheets/{sheet_id}/entries"
    ok = client.post(url, json={"seq": 1, "kind": "deduction", "task": "K21", "point": "K21-2", "value": "１０"})
    assert ok.status_code == 200 and ok.get_json()["total"] == 96
    stale = client.post(url, json={"seq": 1, "kind": "deduction", "task": "K21", "point": "K21-2", "value": "20"})
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "stale_seq"
    bad = client.post(url, json={"seq": 2, "kind": "deduction", "task": "K21", "point": "K21-2", "value": "-1"})
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "value"
    assert client.post(url, data="not json", content_type="application/json").status_code == 400
    page = client.get(f"/practical/sheets/{sheet_id}").get_data(as_text=True)
    assert 'id="d-K21-2"' in page and 'value="10"' in page and "K21 电动机单向连续运转接线" in page


def test_sign_off_forms_and_one_signature_per_examiner(app, client, station):
    sheet_id = _open_and_draw(app, client, station)
    client.post(f"/practical/sheets/{sheet_id}/entries",
                json={"seq": 1, "kind": "deduction", "task": "K31", "point": "K31-1", "value": "20"})
    assert client.post(f"/practical/sheets/{sheet_id}/sign").status_code == 302
    again = client.post(f"/practical/sheets/{sheet_id}/sign", follow_redirects=True).get_data(as_text=True)
    assert "不能签字两次" in again
    login_as(client, station["second"])
    page = client.get(f"/practical/sheets/{sheet_id}").get_data(as_text=True)
    assert "确认第一考评员的评分" in page and "K31：80" in page
    client.post(f"/practical/sheets/{sheet_id}/confirm")
    with app.app_context():
        sheet = db.session.get(ScoreSheet, sheet_id)
        assert sheet.status == SheetStatus.LOCKED and sheet.total == 96


def test_chief_resolves_and_amends_through_the_forms(app, client, station):
    sheet_id = _open_and_draw(app, client, station)
    url = f"/practical/sheets/{sheet_id}/entries"
    client.post(url, json={"seq": 1, "kind": "deduction", "task": "K21", "point": "K21-2", "value": "10"})
    client.post(f"/practical/sheets/{sheet_id}/sign")
    login_as(client, station["second"])
    client.post(url, json={"seq": 1, "kind": "deduction", "task": "K21", "point": "K21-2", "value": "30"})
    client.post(f"/practical/sheets/{sheet_id}/sign")
    login_as(client, station["chief"])
    page = client.get(f"/practical/sheets/{sheet_id}").get_data(as_text=True)
    assert "需裁定" in page and 'name="score_K21"' in page
    refused = client.post(f"/practical/sheets/{sheet_id}/resolve", data={"score_K21": "80", "note_K21": ""},
                          follow_redirects=True).get_data(as_text=True)
    assert "请填写 K21 的裁定理由" in refused
    client.post(f"/practical/sheets/{sheet_id}/resolve", data={"score_K21": "80", "note_K21": "复核录像"})
    client.post(f"/practical/sheets/{sheet_id}/amend", data={"task": "K11", "score": "90", "reason": "漏记扣分"})
    page = client.get(f"/practical/sheets/{sheet_id}").get_data(as_text=True)
    assert "修改成绩" in page and "漏记扣分" in page and "主考评员裁定" in page
    with app.app_context():
        sheet = db.session.get(ScoreSheet, sheet_id)
        assert sheet.finals["K11"]["score"] == 90 and sheet.total == 90


def test_archive_exports_and_published_results(app, client, station, login, world):
    sheet_id = _open_and_draw(app, client, station)
    with app.app_context():
        sheet = db.session.get(ScoreSheet, sheet_id)
        for uid in (station["first"], station["second"]):
            services.sign(sheet, db.session.get(User, uid))
        db.session.commit()
    login_as(client, station["chief"])
    pdf = client.get(f"/practical/stations/{station['session']}/sheets.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    wb = load_workbook(io.BytesIO(client.get(f"/practical/stations/{station['session']}/sheets.xlsx").data))
    rows = list(wb.active.iter_rows(values_only=True))
    header, row = rows[0], next(r for r in rows[1:] if r[1] == "王建国")
    record = dict(zip(header, row, strict=True))
    assert record["总分"] == 100 and record["结果"] == "合格" and record["考评员一"] == "考评 孙丽"
    assert record["签字时间一"] and record["考评员二"] == "考评 李强" and record["K2 题目"].startswith("K21")
    login(Role.CANDIDATE)  # the baseline candidate is 王建国 (world.person_a)
    assert "暂无已公布的实操成绩" in client.get("/practical/results").get_data(as_text=True)
    login_as(client, station["chief"])
    client.post(f"/practical/stations/{station['session']}/publish")
    login(Role.CANDIDATE)
    page = client.get("/practical/results").get_data(as_text=True)
    assert "低压电工作业" in page and "合格" in page
    login(Role.EMPLOYER)
    assert "王建国" in client.get("/practical/results").get_data(as_text=True)


def test_publishing_needs_the_chief_or_the_office(app, client, station):
    login_as(client, station["first"])
    assert client.post(f"/practical/stations/{station['session']}/publish").status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ScoreSheet)) == 0


def test_the_office_reads_a_sheet_without_entering(app, client, station, login):
    sheet_id = _open_and_draw(app, client, station)
    login(Role.SCHEDULER)
    page = client.get(f"/practical/sheets/{sheet_id}").get_data(as_text=True)
    assert "K21 电动机单向连续运转接线" in page
    assert 'id="d-K21-2"' in page and "disabled" in page.split('id="d-K21-2"', 1)[1].split(">", 1)[0]
    assert "sign-button" not in page and "不是考评员" not in page and "本题得分" not in page
    assert client.post(f"/practical/sheets/{sheet_id}/entries", json={"seq": 1}).status_code == 403
