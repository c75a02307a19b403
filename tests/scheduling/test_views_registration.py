"""Registration, review, allocation, ticket, check-in and notice pages: flows and object-level rules
(the role matrix is in tests/scheduling/access_registration.py, merged into tests/test_access.py)."""
from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.accounts.models import Role, User
from app.catalog.services import item_by_name
from app.core.timeutil import local_today
from app.db import utcnow
from app.extensions import db
from app.people.models import Employer, Person
from app.scheduling import placement, registration, setup
from app.scheduling.eligibility import add_years
from app.scheduling.models import (
    ExamSession,
    HealthCommitment,
    Notice,
    Registration,
    RegistrationState,
    Room,
    SessionStaff,
    SessionState,
    TrainingRecord,
)
from tests import factories

ITEM = "低压电工作业"


# ---- helpers (each commits: the request runs in its own app context) ----------------------------

def _ready(person: Person) -> None:
    """Health commitment and the item's full training hours, so that eligibility passes."""
    item = item_by_name(ITEM)
    registration.record_health_commitment(person, local_today() - dt.timedelta(days=10))
    end = local_today() - dt.timedelta(days=5)
    registration.record_training(person, item, end - dt.timedelta(days=40), end, float(item.training_hours_initial))


def _person(employer_id: int | None, name: str, birth: dt.date = dt.date(1990, 3, 1), ready: bool = True) -> int:
    """A person of the employer (or none), with eligibility records unless ``ready`` is False; returns the id."""
    employer = db.session.get(Employer, employer_id) if employer_id else None
    person = factories.person(employer=employer, name=name, number=factories.id_number(birth=birth))
    db.session.flush()
    if ready:
        _ready(person)
    db.session.commit()
    return person.id


def _session(app, world, room: str = "理论考场一", minutes: int = 30, proctor: bool = True,
             state: SessionState = SessionState.PUBLISHED) -> int:
    """A theory session of ITEM starting ``minutes`` from now (inserted directly: no working-day check)."""
    with app.app_context():
        setup.load_site()
        room_id = db.session.scalar(sa.select(Room.id).where(Room.name == room))
        starts = utcnow().replace(microsecond=0) + dt.timedelta(minutes=minutes)
        # the session is on today's list even when "now + minutes" passes local midnight
        session = ExamSession(kind="theory", room_id=room_id, day=local_today(), starts_at=starts,
                              ends_at=starts + dt.timedelta(hours=2), capacity=40, state=state)
        session.items = [item_by_name(ITEM)]
        if proctor:
            session.staff = [SessionStaff(user_id=world.users[Role.PROCTOR], duty="proctor")]
        db.session.add(session)
        db.session.commit()
        return session.id


def _registration(app, person_id: int, state: str = "submitted", session_id: int | None = None) -> int:
    """A registration through the services: submitted, approved, or placed in ``session_id``."""
    with app.app_context():
        person = db.session.get(Person, person_id)
        if not db.session.get(HealthCommitment, person_id):
            _ready(person)
        reg = registration.register(person, item_by_name(ITEM), "theory", local_today())
        if state in ("approved", "scheduled"):
            registration.approve(reg)
        if state == "scheduled":
            placement.move_registration(reg, db.session.get(ExamSession, session_id))
        db.session.commit()
        return reg.id


def _reg(app, reg_id: int) -> Registration:
    """The registration as stored now, detached for reading its columns."""
    with app.app_context():
        reg = db.session.get(Registration, reg_id)
        db.session.expunge(reg)
        return reg


# ---- registering ----------------------------------------------------------------------------------

def test_employer_registers_staff_each_on_their_own_with_every_refusal(app, client, login, world):
    """One adult registered, a 17-year-old refused with every rule's message, nothing half written."""
    with app.app_context():
        adult = _person(world.employer_a, "赵成年")
        young = _person(world.employer_a, "钱少年", birth=add_years(local_today(), -17), ready=False)
        item_id = item_by_name(ITEM).id
    login(Role.EMPLOYER)
    page = client.get("/schedule/register").get_data(as_text=True)
    assert "赵成年" in page and "钱少年" in page and "李秀英" not in page  # own staff only
    response = client.post("/schedule/register", data={
        "person_ids": [adult, young], "item_id": item_id, "part": "theory",
        "requested_date": local_today().isoformat()})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "成功报名 1 人，未通过 1 人" in html
    assert "年满18周岁" in html and "个人健康书面承诺" in html and "初训须完成148学时" in html
    with app.app_context():
        regs = db.session.scalars(sa.select(Registration)).all()
        assert [(r.person_id, r.state) for r in regs] == [(adult, RegistrationState.SUBMITTED)]


def test_employer_cannot_register_or_record_for_another_employers_staff(app, client, login, world):
    """An employer acts only for its own staff."""
    with app.app_context():
        item_id = item_by_name(ITEM).id
    login(Role.EMPLOYER)
    response = client.post("/schedule/register", data={
        "person_ids": [world.person_b], "item_id": item_id, "part": "theory",
        "requested_date": local_today().isoformat()})
    assert response.status_code == 403
    assert client.get(f"/schedule/people/{world.person_b}/records").status_code == 403


def test_register_form_shape_errors_are_shown(app, client, login, world):
    """Missing people and item are shown next to the form."""
    login(Role.SCHEDULER)
    html = client.post("/schedule/register", data={"part": "theory"}).get_data(as_text=True)
    assert "请至少勾选一名人员" in html and "请选择考核项目" in html


def test_records_page_records_health_commitment_and_training(app, client, login, world):
    """Health commitment and training records are kept; bad dates are refused with a message."""
    with app.app_context():
        person_id = _person(world.employer_a, "孙记录", ready=False)
        item_id = item_by_name(ITEM).id
    login(Role.EMPLOYER)
    url = f"/schedule/people/{person_id}/records"
    assert "尚未登记" in client.get(url).get_data(as_text=True)
    future = (local_today() + dt.timedelta(days=3)).isoformat()
    assert "签署日期不能晚于今天" in client.post(url, data={"health-signed_on": future,
                                                        "health-submit": "1"}).get_data(as_text=True)
    response = client.post(url, data={"health-signed_on": local_today().isoformat(), "health-submit": "1"})
    assert response.status_code == 302
    start, end = local_today() - dt.timedelta(days=30), local_today() - dt.timedelta(days=1)
    bad = client.post(url, data={"training-item_id": item_id, "training-start_date": end.isoformat(),
                                 "training-end_date": start.isoformat(), "training-hours": "148",
                                 "training-submit": "1"}).get_data(as_text=True)
    assert "培训结束日期不能早于开始日期" in bad
    response = client.post(url, data={"training-item_id": item_id, "training-start_date": start.isoformat(),
                                      "training-end_date": end.isoformat(), "training-hours": "148",
                                      "training-provider": "阜新培训中心", "training-submit": "1"})
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "已签署" in page and "阜新培训中心" in page and "148" in page
    with app.app_context():
        assert db.session.get(HealthCommitment, person_id).signed_on == local_today()
        assert db.session.scalar(sa.select(TrainingRecord.hours).where(TrainingRecord.person_id == person_id)) == 148


# ---- the list, review, withdrawal, moves --------------------------------------------------------------

def test_list_is_scoped_to_the_employer_and_the_candidate(app, client, login, world):
    """The base sees all (and filters), an employer its staff, a candidate their own."""
    with app.app_context():
        other = _person(world.employer_b, "周他单位")
    _registration(app, world.person_a)
    _registration(app, other)
    login(Role.SCHEDULER)
    page = client.get("/schedule/registrations").get_data(as_text=True)
    assert "王建国" in page and "周他单位" in page
    only_b = client.get(f"/schedule/registrations?employer={world.employer_b}").get_data(as_text=True)
    assert "周他单位" in only_b and "王建国" not in only_b
    for role in (Role.EMPLOYER, Role.CANDIDATE):
        login(role)
        page = client.get("/schedule/registrations").get_data(as_text=True)
        assert "王建国" in page and "周他单位" not in page


@pytest.mark.parametrize("role", [Role.EMPLOYER, Role.CANDIDATE])
def test_employer_and_candidate_cannot_open_someone_elses_registration(app, client, login, world, role):
    """Object-level rule on the detail page and the ticket."""
    with app.app_context():
        other = _person(world.employer_b, "吴他人")
    reg_id = _registration(app, other)
    login(role)
    assert client.get(f"/schedule/registrations/{reg_id}").status_code == 403
    assert client.get(f"/schedule/registrations/{reg_id}/ticket.pdf").status_code == 403


def test_bulk_review_handles_each_registration_and_needs_a_reason_to_reject(app, client, login, world):
    """Each ticked registration is reviewed on its own; rejecting needs a reason."""
    with app.app_context():
        p1, p2 = _person(world.employer_a, "郑一"), _person(world.employer_a, "冯二")
    r1, r2 = _registration(app, p1), _registration(app, p2)
    with app.app_context():  # the second one's health commitment is withdrawn: approval must refuse it alone
        db.session.delete(db.session.get(HealthCommitment, p2))
        db.session.commit()
    login(Role.SCHEDULER)
    response = client.post("/schedule/registrations/review", data={"ids": [r1, r2], "action": "reject"})
    assert response.status_code == 302
    assert _reg(app, r1).state == RegistrationState.SUBMITTED
    html = client.post("/schedule/registrations/review",
                       data={"ids": [r1, r2], "action": "approve"}).get_data(as_text=True)
    assert "完成 1 条，未能处理 1 条" in html and "个人健康书面承诺" in html
    assert _reg(app, r1).state == RegistrationState.APPROVED and _reg(app, r2).state == RegistrationState.SUBMITTED
    client.post("/schedule/registrations/review", data={"ids": [r2], "action": "reject", "reason": "资料不全"})
    assert _reg(app, r2).state == RegistrationState.REJECTED and _reg(app, r2).reason == "资料不全"
    with app.app_context():
        kinds = set(db.session.scalars(sa.select(Notice.kind).where(Notice.person_id.in_([p1, p2]))))
        assert {"registration.approved", "registration.rejected"} <= kinds


def test_employer_withdraws_only_a_submitted_registration(app, client, login, world):
    """Employers withdraw before review only; candidates cannot cancel."""
    with app.app_context():
        p1, p2 = _person(world.employer_a, "陈撤回"), _person(world.employer_a, "褚已审")
    submitted, approved = _registration(app, p1), _registration(app, p2, "approved")
    login(Role.EMPLOYER)
    assert "取消报名" in client.get(f"/schedule/registrations/{submitted}").get_data(as_text=True)
    client.post(f"/schedule/registrations/{submitted}/cancel", data={"reason": "本人放弃"})
    assert _reg(app, submitted).state == RegistrationState.CANCELLED
    response = client.post(f"/schedule/registrations/{approved}/cancel", data={"reason": "本人放弃"},
                           follow_redirects=True)
    assert "只能撤回尚未审核的报名" in response.get_data(as_text=True)
    assert _reg(app, approved).state == RegistrationState.APPROVED
    login(Role.CANDIDATE)
    assert client.post(f"/schedule/registrations/{approved}/cancel", data={"reason": "x"}).status_code == 403


def test_manual_move_places_or_shows_the_refusal(app, client, login, world):
    """A manual move seats the candidate or shows the service's refusal."""
    first, second = _session(app, world, minutes=24 * 60), _session(app, world, room="理论考场二", minutes=24 * 60 + 5)
    reg_id = _registration(app, world.person_a, "approved")
    login(Role.SCHEDULER)
    page = client.get(f"/schedule/registrations/{reg_id}").get_data(as_text=True)
    assert f"场次 {first}" in page and f"场次 {second}" in page
    client.post(f"/schedule/registrations/{reg_id}/move", data={"session_id": first, "reason": "单位要求"})
    reg = _reg(app, reg_id)
    assert reg.state == RegistrationState.SCHEDULED and reg.session_id == first and reg.seat == 1 and reg.ticket_no
    with app.app_context():  # the other session is full: the service's refusal is shown
        db.session.get(ExamSession, second).capacity = 0
        db.session.commit()
    html = client.post(f"/schedule/registrations/{reg_id}/move", data={"session_id": second},
                       follow_redirects=True).get_data(as_text=True)
    assert "不能安排到该场次" in html and "没有空余座位" in html
    assert _reg(app, reg_id).session_id == first


# ---- allocation -----------------------------------------------------------------------------------

def test_allocation_previews_then_applies_the_same_result(app, client, login, world):
    """Nothing is written by the preview; a stale preview is not applied."""
    session_id = _session(app, world, minutes=24 * 60)
    with app.app_context():
        other = _person(world.employer_a, "卫排考")
    regs = [_registration(app, world.person_a, "approved"), _registration(app, other, "approved")]
    login(Role.SCHEDULER)
    page = client.get("/schedule/allocation").get_data(as_text=True)
    assert "可安排 2 人" in page and f"场次 {session_id}" in page and "王建国" in page
    with app.app_context():
        digest = placement.preview_digest(placement.preview_allocation())
    response = client.post("/schedule/allocation", data={"digest": "stale"}, follow_redirects=True)
    assert "排考结果已不同" in response.get_data(as_text=True)
    assert all(_reg(app, r).state == RegistrationState.APPROVED for r in regs)
    response = client.post("/schedule/allocation", data={"digest": digest}, follow_redirects=True)
    assert "已安排 2 人" in response.get_data(as_text=True)
    placed = [_reg(app, r) for r in regs]
    assert {r.session_id for r in placed} == {session_id} and sorted(r.seat for r in placed) == [1, 2]


# ---- admission tickets ----------------------------------------------------------------------------

def test_tickets_print_only_when_scheduled_with_a_safe_filename(app, client, login, world):
    """Tickets for the candidate, the employer (own only) and a session; a clear message otherwise."""
    session_id = _session(app, world, minutes=24 * 60)
    reg_id = _registration(app, world.person_a, "scheduled", session_id)
    with app.app_context():
        waiting = _person(world.employer_a, "蒋未排")
    pending = _registration(app, waiting)
    login(Role.CANDIDATE)
    response = client.get(f"/schedule/registrations/{reg_id}/ticket.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    disposition = response.headers["Content-Disposition"]
    assert disposition.isascii() and "filename*=UTF-8''" in disposition
    assert f"ticket-{_reg(app, reg_id).ticket_no}.pdf" in disposition
    login(Role.EMPLOYER)
    response = client.get(f"/schedule/registrations/{pending}/ticket.pdf")
    assert response.status_code == 409 and "尚未安排考试场次" in response.get_data(as_text=True)
    batch = client.get(f"/schedule/employers/{world.employer_a}/tickets.pdf")
    assert batch.status_code == 200 and batch.data.startswith(b"%PDF")
    assert client.get(f"/schedule/employers/{world.employer_b}/tickets.pdf").status_code == 403
    login(Role.SCHEDULER)
    empty = client.get(f"/schedule/employers/{world.employer_b}/tickets.pdf")
    assert empty.status_code == 409 and "没有可打印的准考证" in empty.get_data(as_text=True)
    assert client.get(f"/schedule/sessions/{session_id}/tickets.pdf").data.startswith(b"%PDF")


# ---- check-in -------------------------------------------------------------------------------------

def test_proctor_checks_in_by_ticket_number_and_sees_photo_name_seat(app, client, login, world):
    """The identity-check card, a second scan refused, the roster updated."""
    session_id = _session(app, world)
    reg_id = _registration(app, world.person_a, "scheduled", session_id)
    ticket = _reg(app, reg_id).ticket_no
    login(Role.PROCTOR)
    assert f"/schedule/sessions/{session_id}/checkin" in client.get("/schedule/checkin").get_data(as_text=True)
    page = client.get(f"/schedule/sessions/{session_id}/checkin").get_data(as_text=True)
    assert "autofocus" in page and "开始摄像头扫码" in page and "vendor/jsqr/jsQR.js" in page
    response = client.post(f"/schedule/sessions/{session_id}/checkin", data={"code": ticket},
                           headers={"Accept": "application/json"})
    body = response.get_json()
    assert response.status_code == 200 and body["ok"]
    assert "王建国" in body["html"] and f"/people/{world.person_a}/photo" in body["html"]
    assert "2109" in body["html"] and "19900517" not in body["html"]  # masked ID: never the birth date
    assert _reg(app, reg_id).state == RegistrationState.CHECKED_IN
    again = client.post(f"/schedule/sessions/{session_id}/checkin", data={"code": ticket},
                        headers={"Accept": "application/json"})
    assert again.status_code == 409 and "已于" in again.get_json()["message"]
    assert "已签到 1 / 1 人" in client.get(f"/schedule/sessions/{session_id}/checkin/roster").get_data(as_text=True)


def test_checkin_refusals_are_shown_in_red_without_javascript(app, client, login, world):
    """The plain form post shows the refusal in red."""
    session_id = _session(app, world)
    later = _session(app, world, room="理论考场二", minutes=24 * 60)
    reg_id = _registration(app, world.person_a, "scheduled", later)
    login(Role.PROCTOR)
    response = client.post(f"/schedule/sessions/{session_id}/checkin", data={"code": _reg(app, reg_id).ticket_no})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "alert-danger" in html and "不属于本场次" in html
    unknown = client.post(f"/schedule/sessions/{session_id}/checkin", data={"code": "000000000000"})
    assert "准考证号或二维码无效" in unknown.get_data(as_text=True)


def test_proctor_only_checks_in_at_own_sessions(app, client, login, world):
    """A proctor works only at the sessions they are assigned to; the office anywhere."""
    elsewhere = _session(app, world, proctor=False)
    login(Role.PROCTOR)
    assert client.get(f"/schedule/sessions/{elsewhere}/checkin").status_code == 403
    assert client.post(f"/schedule/sessions/{elsewhere}/checkin", data={"code": "1"}).status_code == 403
    assert client.get(f"/schedule/sessions/{elsewhere}/sheet.xlsx").status_code == 403
    assert f"/schedule/sessions/{elsewhere}/checkin" not in client.get("/schedule/checkin").get_data(as_text=True)
    login(Role.SCHEDULER)
    assert client.get(f"/schedule/sessions/{elsewhere}/checkin").status_code == 200


def test_sign_in_sheet_exports_xlsx_and_pdf(app, client, login, world):
    """The 考场记录 lists seat, name, masked ID, state, a signature column and the proctors."""
    session_id = _session(app, world)
    _registration(app, world.person_a, "scheduled", session_id)
    with app.app_context():
        proctor = db.session.get(User, world.users[Role.PROCTOR]).display_name
    login(Role.PROCTOR)
    response = client.get(f"/schedule/sessions/{session_id}/sheet.xlsx")
    assert response.status_code == 200 and "filename*=UTF-8''" in response.headers["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("座位号", "姓名", "身份证号码") and rows[0][-1] == "考生签名"
    assert rows[1][0] == "1" and rows[1][1] == "王建国" and "*" in rows[1][2] and rows[1][6] == "已排考"
    assert any(proctor in str(cell) for row in rows for cell in row if cell)
    pdf = client.get(f"/schedule/sessions/{session_id}/sheet.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


# ---- notices -------------------------------------------------------------------------------------

def test_notices_for_the_employer_and_the_candidate(app, client, login, world):
    """Each sees their own notices only."""
    with app.app_context():
        other = _person(world.employer_b, "沈他人")
    _registration(app, world.person_a, "approved")
    _registration(app, other, "approved")
    for role in (Role.EMPLOYER, Role.CANDIDATE):
        login(role)
        page = client.get("/schedule/notices").get_data(as_text=True)
        assert "报名已审核通过" in page and "王建国" in page and "沈他人" not in page
