"""The certifying officer's pages, the holders' and employers' pages, and the background print."""
import datetime as dt
import io
import time

import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from app.accounts.models import Role
from app.catalog.services import item_by_name
from app.certificates import services
from app.certificates.models import CertificateProposal, PrintJob, ProposalState
from app.core.timeutil import local_today
from app.extensions import db
from app.people.models import Person
from tests import factories
from tests.certificates.conftest import issue


def _proposals(app, outcomes, names):
    with app.app_context():
        item = item_by_name("低压电工作业")
        ids = []
        for n in names:
            p = factories.person(name=n)
            db.session.flush()
            outcomes.passed(p.id, item.id, local_today() - dt.timedelta(days=2))
            ids.append(services.propose(p, item).id)
        db.session.commit()
        return ids


def test_officer_issues_a_batch_from_the_proposals_page(app, client, login, outcomes):
    ids = _proposals(app, outcomes, ["刘堃", "陈喆"])
    login(Role.ADMIN)
    page = client.get("/certificates/proposals").get_data(as_text=True)
    assert "刘堃" in page and "陈喆" in page
    r = client.post("/certificates/proposals", data={"proposal_id": [str(i) for i in ids]}, follow_redirects=True)
    assert "已发证 2 本" in r.get_data(as_text=True)
    with app.app_context():
        states = {p.state for p in db.session.scalars(sa.select(CertificateProposal)
                                                      .where(CertificateProposal.id.in_(ids)))}
        assert states == {ProposalState.ISSUED}
    register = client.get("/certificates").get_data(as_text=True)
    assert "刘堃" in register and "有效" in register


def test_dismiss_needs_a_reason(app, client, login, outcomes):
    [pid] = _proposals(app, outcomes, ["黄玥"])
    login(Role.ADMIN)
    r = client.post(f"/certificates/proposals/{pid}/dismiss", data={"reason": ""}, follow_redirects=True)
    assert "请填写原因" in r.get_data(as_text=True)
    client.post(f"/certificates/proposals/{pid}/dismiss", data={"reason": "身份证件与本人不符"})
    with app.app_context():
        assert db.session.get(CertificateProposal, pid).state == ProposalState.DISMISSED


def test_lifecycle_from_the_detail_page(app, client, login, outcomes):
    with app.app_context():
        cert = issue(outcomes, name="吴赟")
        db.session.commit()
        cid, token = cert.id, cert.current_card.token
    login(Role.ADMIN)
    page = client.get(f"/certificates/{cid}").get_data(as_text=True)
    assert "复审" in page and "撤销依据" in page
    r = client.post(f"/certificates/{cid}/replace", data={"reason": "原证损坏"}, follow_redirects=True)
    assert "已补发新证卡" in r.get_data(as_text=True)
    assert "已补发" in client.get(f"/v/{token}").get_data(as_text=True)
    r = client.post(f"/certificates/{cid}/revoke", data={"ground": "false_information", "reason": "学历造假"},
                    follow_redirects=True)
    assert "证书已撤销" in r.get_data(as_text=True)
    r = client.post(f"/certificates/{cid}/review", data={"reason": "复审"}, follow_redirects=True)
    assert "不能复审" in r.get_data(as_text=True)
    r = client.post(f"/certificates/{cid}/cancel", data={"ground": "revoked", "reason": "撤销后注销"},
                    follow_redirects=True)
    assert "证书已注销" in r.get_data(as_text=True)
    assert "吴*" in client.get("/verify/cancelled").get_data(as_text=True)


def test_settings_page(client, login, app):
    login(Role.ADMIN)
    form = {"authority": "辽宁省应急管理厅", "safety_role_number_format": "{id_number}", "public_base_url": "",
            "national_lookup_url": "https://cx.mem.gov.cn/", "enforce_refresher_hours": "y",
            "enforce_review_exam": "y", "reason": "省厅统一发证"}
    r = client.post("/certificates/settings", data=form, follow_redirects=True)
    assert "证书设置已保存" in r.get_data(as_text=True)
    bad = client.post("/certificates/settings", data=dict(form, safety_role_number_format="AQ{year}"))
    assert "必须包含" in bad.get_data(as_text=True)
    with app.app_context():
        assert services.get_settings().authority == "辽宁省应急管理厅"


def test_holder_sees_own_certificates_due_soon_and_downloads_the_copy(app, client, login, outcomes, world):
    with app.app_context():
        person = db.session.get(Person, world.person_a)
        cert = issue(outcomes, person=person, today=local_today() - dt.timedelta(days=3 * 365 - 20))
        other = issue(outcomes, name="别人")
        db.session.commit()
        cid, other_id = cert.id, other.id
    login(Role.CANDIDATE)
    page = client.get("/certificates/mine").get_data(as_text=True)
    assert "低压电工作业" in page and "须在" in page and "30 天内" in page
    r = client.get(f"/certificates/{cid}/pdf")
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    assert client.get(f"/certificates/{other_id}/pdf").status_code == 403


def test_employer_portal_filters_exports_and_bulk_checks(app, client, login, outcomes, world):
    with app.app_context():
        mine = issue(outcomes, person=db.session.get(Person, world.person_a),
                     today=local_today() - dt.timedelta(days=3 * 365 - 50))
        theirs = issue(outcomes, person=db.session.get(Person, world.person_b))
        db.session.commit()
        number, mine_id, theirs_id = mine.number, mine.id, theirs.id
    login(Role.EMPLOYER)
    page = client.get("/certificates/employer").get_data(as_text=True)
    assert "王建国" in page and "李秀英" not in page
    row = "<tr><td>王建国</td>"
    assert row in page
    assert row in client.get("/certificates/employer?due=60").get_data(as_text=True)
    assert row not in client.get("/certificates/employer?due=30").get_data(as_text=True)
    assert row not in client.get("/certificates/employer?status=revoked").get_data(as_text=True)
    assert row in client.get("/certificates/employer?status=review_due").get_data(as_text=True)
    wb = load_workbook(io.BytesIO(client.get("/certificates/employer/export.xlsx").data))
    rows = list(wb.active.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == ["王建国"] and rows[0][3] == "待复审"
    assert client.get(f"/certificates/{mine_id}/pdf").status_code == 200
    assert client.get(f"/certificates/{theirs_id}/pdf").status_code == 403
    upload = Workbook()
    upload.active.append(["证书编号", "姓名"])
    upload.active.append([number, "王建国"])
    upload.active.append([number, "冒名"])
    buf = io.BytesIO()
    upload.save(buf)
    r = client.post("/certificates/employer/bulk-check",
                    data={"file": (io.BytesIO(buf.getvalue()), "check.xlsx")}, content_type="multipart/form-data")
    assert r.status_code == 200
    result = list(load_workbook(io.BytesIO(r.data)).active.iter_rows(min_row=2, values_only=True))
    assert result[0][3] == "待复审" and result[1][3].startswith("未找到")


def test_background_print_job_offers_the_download(app, client, login, outcomes, world, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "CERT_PRINT_INLINE", True)
    monkeypatch.setitem(app.config, "CERT_PRINTS_DIR", str(tmp_path / "prints"))
    from app.scheduling.models import ExamSession
    with app.app_context():
        session = db.session.scalar(sa.select(ExamSession).limit(1))
        if session is None:
            from tests.scheduling.access_resources import sample_session
            session = db.session.get(ExamSession, sample_session(world))
        certs = [issue(outcomes, name=n) for n in ("甲堃", "乙喆")]
        for c in certs:
            c.session_id = session.id
        db.session.commit()
        sid = session.id
    login(Role.ADMIN)
    page = client.get("/certificates/print").get_data(as_text=True)
    assert "（2 本）" in page
    r = client.post("/certificates/print", data={"session_id": sid, "layout": "a4"})
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    with app.app_context():
        job_id = db.session.scalar(sa.select(PrintJob.id).order_by(PrintJob.id.desc()).limit(1))
    for _ in range(120):
        status = client.get(f"/certificates/print/{job_id}").get_json()
        if status["state"] in ("done", "failed"):
            break
        time.sleep(0.5)
    assert status["state"] == "done", status
    r = client.get(status["download"])
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    r.close()
    assert (tmp_path / "prints" / f"job-{job_id}.pdf").exists()
