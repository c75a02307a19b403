"""Resource and session pages: rooms and seats, staff, closed days, sessions (create, refuse, edit, staff,
states), the calendar, the capacity page and the iCalendar feeds, driven through the pages."""
from __future__ import annotations

import datetime as dt
import re

import icalendar
import pytest
import sqlalchemy as sa

from app.accounts import services as account_services
from app.accounts.models import Role, User
from app.catalog.services import item_by_name
from app.core.audit import AuditEntry
from app.core.timeutil import local_today
from app.extensions import db
from app.scheduling import ical
from app.scheduling import sessions as svc
from app.scheduling.calendar import is_working_day
from app.scheduling.models import (
    CalendarDay,
    ExaminerQualification,
    ExamSession,
    Registration,
    RegistrationState,
    Room,
    RoomKind,
    Seat,
    SessionStaff,
    Site,
    StaffUnavailability,
)
from tests.conftest import PASSWORD

LOW = "低压电工作业"
WELD = "熔化焊接与热切割作业"


# ---- helpers ---------------------------------------------------------------------------------

def _working_day(start: dt.date, want: bool = True) -> dt.date:
    """The first day on or after ``start`` that is (or, with want=False, is not) open for exams."""
    day = start
    while is_working_day(day) != want:
        day += dt.timedelta(days=1)
    return day


@pytest.fixture
def base(app):
    """A site with a 4-seat theory room and an electrical practical station (3 places), a working day
    two weeks ahead, a second proctor, and the ids of the items used."""
    with app.app_context():
        site = Site(name="测试考点")
        theory = Room(site=site, name="测试理论考场", kind=RoomKind.THEORY, capacity=4,
                      seats=[Seat(number=n, terminal=f"T-{n:02d}") for n in range(1, 5)])
        practical = Room(site=site, name="测试电工实操室", kind=RoomKind.PRACTICAL, capacity=3)
        practical.items = [item_by_name(LOW)]
        db.session.add_all([theory, practical])
        proctor2 = account_services.create_user("t_proctor2", "第二监考员", PASSWORD, {Role.PROCTOR})
        db.session.commit()
        return {"theory": theory.id, "practical": practical.id, "site": site.id, "proctor2": proctor2.id,
                "day": _working_day(local_today() + dt.timedelta(days=14)),
                "low": item_by_name(LOW).id, "weld": item_by_name(WELD).id}


def _form(base, **over) -> dict:
    """The session form as posted: a theory session 09:00–11:00 on the base day for 低压电工作业."""
    data = {"kind": "theory", "room_id": str(base["theory"]), "day": base["day"].isoformat(), "start": "09:00",
            "end": "11:00", "capacity": "4", "items": [str(base["low"])], "note": ""}
    data.update(over)
    return data


def _create(client, base, **over) -> int:
    """Create a session through the page and return its id."""
    r = client.post("/schedule/sessions/new", data=_form(base, **over))
    assert r.status_code == 302, r.get_data(as_text=True)
    return int(r.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def _text(r) -> str:
    """The response body as text."""
    return r.get_data(as_text=True)


def _session(app, session_id: int) -> ExamSession:
    """The session as stored now (detached, for reading its columns)."""
    with app.app_context():
        s = db.session.get(ExamSession, session_id)
        db.session.expunge(s)
        return s


def _place(app, session_id: int, person_id: int, seat: int, state=RegistrationState.SCHEDULED) -> int:
    """A registration placed in the session directly (the registration pages are tested elsewhere)."""
    with app.app_context():
        s = db.session.get(ExamSession, session_id)
        reg = Registration(person_id=person_id, item_id=s.items[0].id, part=s.kind, requested_date=s.day,
                           state=state, session_id=s.id, seat=seat, ticket_no=f"26{person_id:05d}{seat:05d}")
        db.session.add(reg)
        db.session.commit()
        return reg.id


# ---- sessions: create and refuse ---------------------------------------------------------------

def test_create_session_through_the_page(client, login, app, base):
    """A scheduler creates a session: stored in UTC with its items, audited, shown on its page."""
    login(Role.SCHEDULER)
    sid = _create(client, base, note="春季考试")
    with app.app_context():
        s = db.session.get(ExamSession, sid)
        assert (s.kind, s.room_id, s.day, s.capacity, s.state) == ("theory", base["theory"], base["day"], 4, "planned")
        assert [i.name for i in s.items] == [LOW] and s.note == "春季考试"
        # 09:00 in Shanghai is 01:00 UTC
        assert s.starts_at.hour == 1 and s.starts_at.tzinfo is not None
        assert db.session.scalar(sa.select(AuditEntry.action).where(
            AuditEntry.object_type == "exam_session", AuditEntry.object_id == str(sid))) == "session.create"
    page = _text(client.get(f"/schedule/sessions/{sid}"))
    assert "理论考试 低压电工作业" in page and "09:00–11:00" in page


@pytest.mark.parametrize("case, over, message", [
    ("capacity above seats", {"capacity": "5"}, "容量应在 1–4 之间"),
    ("practical room cannot examine the item",
     {"kind": "practical", "room_id": "practical", "capacity": "3", "items": ["weld"]}, f"不能考 {WELD}"),
    ("theory session in a practical station", {"room_id": "practical", "capacity": "3"}, "不能安排理论考试"),
    ("end before start", {"start": "11:00", "end": "09:00"}, "结束时间必须晚于开始时间"),
    ("no items", {"items": []}, "请选择本场次允许的考核项目"),
])
def test_session_refusals_shown_next_to_the_field(client, login, app, base, case, over, message):
    """Each refusal of create_session is shown next to its field and nothing is stored."""
    login(Role.ADMIN)
    over = {k: (str(base[v]) if k == "room_id" and v in base else v) for k, v in over.items()}
    if "items" in over:
        over["items"] = [str(base[v]) for v in over["items"]]
    r = client.post("/schedule/sessions/new", data=_form(base, **over))
    assert r.status_code == 200 and message in _text(r), case
    assert "invalid-feedback" in _text(r)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ExamSession)) == 0


def test_room_double_booked_is_refused_naming_the_session(client, login, app, base):
    """An overlapping session in the same room is refused, naming the session it clashes with."""
    login(Role.SCHEDULER)
    first = _create(client, base)
    r = client.post("/schedule/sessions/new", data=_form(base, start="10:00", end="12:00"))
    assert r.status_code == 200
    assert "测试理论考场 在这个时间已有场次" in _text(r) and f"场次 {first}" in _text(r)
    # back to back is fine
    _create(client, base, start="11:00", end="13:00")


def test_non_working_day_is_refused(client, login, app, base):
    """A weekend or holiday is refused as not a working day."""
    login(Role.SCHEDULER)
    with app.app_context():
        rest = _working_day(base["day"], want=False)
    r = client.post("/schedule/sessions/new", data=_form(base, day=rest.isoformat()))
    assert r.status_code == 200 and f"{rest:%Y-%m-%d} 不是工作日" in _text(r)


def test_practical_session_in_a_station_that_examines_the_item(client, login, app, base):
    """A practical station takes a session of an item it examines."""
    login(Role.SCHEDULER)
    sid = _create(client, base, kind="practical", room_id=str(base["practical"]), capacity="3")
    assert _session(app, sid).kind == "practical"


# ---- closed days -------------------------------------------------------------------------------

def test_calendar_day_added_makes_create_session_refuse(client, login, app, base):
    """A closure added on 休息日设置 makes create_session refuse that day; removing it lifts the refusal."""
    login(Role.SCHEDULER)
    day = base["day"].isoformat()
    r = client.post("/schedule/calendar-days", data={"day": day, "is_open": "0", "reason": "设备检修"})
    assert r.status_code == 302
    with app.app_context():
        row = db.session.get(CalendarDay, base["day"])
        assert row is not None and not row.is_open and row.reason == "设备检修"
    r = client.post("/schedule/sessions/new", data=_form(base))
    assert r.status_code == 200 and f"{day} 不是工作日" in _text(r)
    page = _text(client.get(f"/schedule/calendar-days?year={base['day'].year}"))
    assert "设备检修" in page
    assert client.post("/schedule/calendar-days/remove", data={"day": day}).status_code == 302
    _create(client, base)


def test_closing_a_day_with_sessions_is_refused(client, login, app, base):
    """A day with sessions cannot be closed; the refusal names a session."""
    login(Role.SCHEDULER)
    sid = _create(client, base)
    r = client.post("/schedule/calendar-days", data={"day": base["day"].isoformat(), "is_open": "0", "reason": "停电"})
    assert r.status_code == 200 and f"场次 {sid}" in _text(r)


def test_swapped_working_day_opens_a_weekend(client, login, app, base):
    """A swapped working day (调休上班) opens a weekend day for sessions."""
    login(Role.SCHEDULER)
    with app.app_context():
        rest = _working_day(base["day"], want=False)
    client.post("/schedule/calendar-days", data={"day": rest.isoformat(), "is_open": "1", "reason": "调休上班"})
    _create(client, base, day=rest.isoformat())


def test_calendar_days_page_lists_holidays_and_warns_without_data(client, login, app):
    """National holidays and swapped days are listed; a year without data shows the warning."""
    login(Role.ADMIN)
    page = _text(client.get("/schedule/calendar-days?year=2026"))
    assert "春节" in page and "国庆节" in page and "调休上班" in page
    assert "节假日数据尚未包含" not in page
    page = _text(client.get("/schedule/calendar-days?year=2099"))
    assert "节假日数据尚未包含 2099 年，请手工录入" in page
    assert client.get("/schedule/calendar-days?year=1800").status_code == 404


# ---- staff on sessions, states -------------------------------------------------------------------

def test_assign_proctors_publish_needs_two(client, login, app, base, world):
    """Publishing needs two proctors; a published session must go back to planned before editing."""
    login(Role.SCHEDULER)
    sid = _create(client, base)
    client.post(f"/schedule/sessions/{sid}/staff", data={"user_id": world.users[Role.PROCTOR], "duty": "proctor"})
    r = client.post(f"/schedule/sessions/{sid}/state", data={"state": "published"}, follow_redirects=True)
    assert "发布前至少需要安排 2 名监考员（现有 1 名）" in _text(r)
    assert _session(app, sid).state == "planned"
    client.post(f"/schedule/sessions/{sid}/staff", data={"user_id": base["proctor2"], "duty": "proctor"})
    r = client.post(f"/schedule/sessions/{sid}/state", data={"state": "published", "reason": "计划确认"},
                    follow_redirects=True)
    assert "场次状态已改为“已发布”" in _text(r) and _session(app, sid).state == "published"
    # edits need the session back in planned
    r = client.post(f"/schedule/sessions/{sid}/edit", data=_form(base, capacity="3"), follow_redirects=True)
    assert "只有“计划中”的场次可以修改" in _text(r)
    client.post(f"/schedule/sessions/{sid}/state", data={"state": "planned"})
    assert client.post(f"/schedule/sessions/{sid}/edit", data=_form(base, capacity="3")).status_code == 302
    assert _session(app, sid).capacity == 3


def test_illegal_state_move_is_refused(client, login, app, base):
    """A move the lifecycle does not allow is refused with its message."""
    login(Role.SCHEDULER)
    sid = _create(client, base)
    r = client.post(f"/schedule/sessions/{sid}/state", data={"state": "closed"}, follow_redirects=True)
    assert "场次状态不能从“计划中”改为“已结束”" in _text(r)


def test_staff_clash_is_refused(client, login, app, base, world):
    """A proctor cannot work two overlapping sessions; the refusal names the other."""
    login(Role.SCHEDULER)
    proctor = world.users[Role.PROCTOR]
    first = _create(client, base)
    with app.app_context():
        other = Room(site_id=base["site"], name="测试理论考场二", kind=RoomKind.THEORY, capacity=2,
                     seats=[Seat(number=1), Seat(number=2)])
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    second = _create(client, base, room_id=str(other_id), capacity="2", start="10:00", end="12:00")
    client.post(f"/schedule/sessions/{first}/staff", data={"user_id": proctor, "duty": "proctor"})
    r = client.post(f"/schedule/sessions/{second}/staff", data={"user_id": proctor, "duty": "proctor"},
                    follow_redirects=True)
    assert "测试监考员 在同一时间已安排在" in _text(r) and f"场次 {first}" in _text(r)


def test_examiner_needs_the_qualification(client, login, app, base, world):
    """An examiner needs the item's qualification, which cannot be withdrawn while assigned."""
    login(Role.SCHEDULER)
    examiner = world.users[Role.EXAMINER]
    sid = _create(client, base, kind="practical", room_id=str(base["practical"]), capacity="3")
    r = client.post(f"/schedule/sessions/{sid}/staff", data={"user_id": examiner, "duty": "examiner"},
                    follow_redirects=True)
    assert f"测试考评员 没有 {LOW} 的考评资格" in _text(r)
    # a proctor cannot be chosen for a practical session (not among the choices)
    r = client.post(f"/schedule/sessions/{sid}/staff", data={"user_id": world.users[Role.PROCTOR], "duty": "examiner"},
                    follow_redirects=True)
    assert "不是有效的选择" in _text(r) or "Not a valid choice" in _text(r)
    client.post(f"/schedule/staff/{examiner}/qualifications", data={"items": [str(base["low"])]})
    with app.app_context():
        assert db.session.scalars(sa.select(ExaminerQualification.item_id)
                                  .where(ExaminerQualification.user_id == examiner)).all() == [base["low"]]
    r = client.post(f"/schedule/sessions/{sid}/staff", data={"user_id": examiner, "duty": "examiner"},
                    follow_redirects=True)
    assert "已安排 测试考评员" in _text(r)
    # the qualification cannot be withdrawn while the examiner is on a coming session
    r = client.post(f"/schedule/staff/{examiner}/qualifications", data={}, follow_redirects=True)
    assert "不能取消该项目的考评资格" in _text(r)
    # and removing the examiner from the session works
    client.post(f"/schedule/sessions/{sid}/staff/remove", data={"user_id": examiner})
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SessionStaff)
                                 .where(SessionStaff.session_id == sid)) == 0


def test_close_marks_no_shows_absent(client, login, app, base, world):
    """Closing a session marks those not checked in absent and freezes its staff record."""
    login(Role.SCHEDULER)
    sid = _create(client, base)
    for uid in (world.users[Role.PROCTOR], base["proctor2"]):
        client.post(f"/schedule/sessions/{sid}/staff", data={"user_id": uid, "duty": "proctor"})
    came = _place(app, sid, world.person_a, 1, RegistrationState.CHECKED_IN)
    away = _place(app, sid, world.person_b, 2)
    page = _text(client.get(f"/schedule/sessions/{sid}"))
    assert "王建国" in page and "李秀英" in page and "已签到" in page and "已排考" in page
    for state in ("published", "open", "closed"):
        r = client.post(f"/schedule/sessions/{sid}/state", data={"state": state}, follow_redirects=True)
    assert "未签到的考生已记为缺考" in _text(r)
    with app.app_context():
        assert db.session.get(Registration, came).state == "checked_in"
        assert db.session.get(Registration, away).state == "absent"
        assert db.session.get(ExamSession, sid).state == "closed"
    # a closed session keeps its staff record
    r = client.post(f"/schedule/sessions/{sid}/staff/remove", data={"user_id": base["proctor2"]}, follow_redirects=True)
    assert "场次已结束，考务人员记录不能再修改" in _text(r)


def test_edit_keeps_placed_candidates(client, login, app, base, world):
    """An edit may not move placed candidates in time or place, nor cut capacity below them."""
    login(Role.SCHEDULER)
    sid = _create(client, base)
    _place(app, sid, world.person_a, 1)
    _place(app, sid, world.person_b, 2)
    r = client.post(f"/schedule/sessions/{sid}/edit", data=_form(base, start="13:00", end="15:00"))
    assert "本场次已安排 2 名考生，不能改变考试类型、考场、日期或时间" in _text(r)
    r = client.post(f"/schedule/sessions/{sid}/edit", data=_form(base, capacity="1"))
    assert "容量不能小于此数" in _text(r)
    assert client.post(f"/schedule/sessions/{sid}/edit", data=_form(base, capacity="2", note="改")).status_code == 302
    page = _text(client.get(f"/schedule/sessions/{sid}/edit"))
    assert 'value="09:00"' in page and 'value="2"' in page


# ---- rooms, seats, staff availability ----------------------------------------------------------

def test_room_list_edit_and_seat_toggle(client, login, app, base):
    """Rooms are listed; a broken seat leaves use (and lowers the session maximum); capacity adds seats."""
    login(Role.ADMIN)
    page = _text(client.get("/schedule/rooms"))
    assert "测试理论考场" in page and "4 / 4" in page and LOW in page
    r = client.post(f"/schedule/rooms/{base['theory']}/seats", data={"number": "3", "usable": "0"},
                    follow_redirects=True)
    assert "3 号座位已停用" in _text(r)
    with app.app_context():
        assert db.session.get(Room, base["theory"]).usable_seats() == [1, 2, 4]
    r = client.post("/schedule/sessions/new", data=_form(base))
    assert "容量应在 1–3 之间（测试理论考场 可用座位/考位 3 个）" in _text(r)
    client.post(f"/schedule/rooms/{base['theory']}/seats", data={"number": "3", "usable": "1"})
    r = client.post(f"/schedule/rooms/{base['theory']}/edit", data={"capacity": "6", "is_active": "y"})
    assert r.status_code == 302
    with app.app_context():
        room = db.session.get(Room, base["theory"])
        assert room.capacity == 6 and room.usable_seats() == [1, 2, 3, 4, 5, 6]


def test_room_capacity_cannot_drop_below_a_coming_session(client, login, app, base):
    """A room's capacity cannot fall below a coming session's, nor can it be switched off."""
    login(Role.ADMIN)
    sid = _create(client, base)
    r = client.post(f"/schedule/rooms/{base['theory']}/edit", data={"capacity": "2", "is_active": "y"})
    assert r.status_code == 200 and "容量不能小于已有场次的容量" in _text(r) and f"场次 {sid}" in _text(r)
    r = client.post(f"/schedule/rooms/{base['theory']}/edit", data={"capacity": "4"})
    assert "未结束的场次" in _text(r)  # cannot be switched off either


def test_broken_seat_lists_the_candidate_seated_there(client, login, app, base, world):
    """Taking a seat out of use names the candidate already seated there."""
    login(Role.ADMIN)
    sid = _create(client, base)
    _place(app, sid, world.person_a, 2)
    r = client.post(f"/schedule/rooms/{base['theory']}/seats", data={"number": "2", "usable": "0"},
                    follow_redirects=True)
    assert "该座位已安排考生" in _text(r) and "王建国" in _text(r)


def test_practical_room_items_and_new_room(client, login, app, base):
    """A practical station needs items; a new room is added, and a duplicate name refused."""
    login(Role.ADMIN)
    r = client.post(f"/schedule/rooms/{base['practical']}/edit", data={"capacity": "3", "is_active": "y"})
    assert "请选择本实操考位可以考核的项目" in _text(r)
    r = client.post("/schedule/rooms/new", data={"site_id": base["site"], "name": "测试焊接车间", "kind": "practical",
                                                 "capacity": "2", "items": [str(base["weld"])], "is_active": "y"})
    assert r.status_code == 302
    with app.app_context():
        room = db.session.scalar(sa.select(Room).where(Room.name == "测试焊接车间"))
        assert [i.name for i in room.items] == [WELD] and room.seats == []
    r = client.post("/schedule/rooms/new", data={"site_id": base["site"], "name": "测试焊接车间", "kind": "theory",
                                                 "capacity": "2", "is_active": "y"})
    assert "已有名为“测试焊接车间”的考场" in _text(r)


def test_unavailability_add_remove_and_clash(client, login, app, base, world):
    """Unavailability blocks assignment; it cannot cover an assigned session; reversed periods are refused."""
    login(Role.SCHEDULER)
    proctor = world.users[Role.PROCTOR]
    day = base["day"].isoformat()
    r = client.post(f"/schedule/staff/{proctor}/unavailability",
                    data={"start_date": day, "end_date": day, "reason": "外出培训"}, follow_redirects=True)
    assert "已登记不可用时段" in _text(r) and "外出培训" in _text(r)
    sid = _create(client, base)
    r = client.post(f"/schedule/sessions/{sid}/staff", data={"user_id": proctor, "duty": "proctor"},
                    follow_redirects=True)
    assert f"测试监考员 在 {day} 不可用（外出培训）" in _text(r)
    with app.app_context():
        period = db.session.scalar(sa.select(StaffUnavailability.id).where(StaffUnavailability.user_id == proctor))
    client.post(f"/schedule/staff/{proctor}/unavailability/{period}/remove")
    client.post(f"/schedule/sessions/{sid}/staff", data={"user_id": proctor, "duty": "proctor"})
    r = client.post(f"/schedule/staff/{proctor}/unavailability",
                    data={"start_date": day, "end_date": day, "reason": "病假"}, follow_redirects=True)
    assert "在此期间已安排在" in _text(r)
    r = client.post(f"/schedule/staff/{proctor}/unavailability",
                    data={"start_date": "2026-12-31", "end_date": "2026-12-01"}, follow_redirects=True)
    assert "结束日期不能早于开始日期" in _text(r)
    staff_page = _text(client.get("/schedule/staff"))
    assert "测试监考员" in staff_page and "测试考评员" in staff_page


def test_staff_pages_only_for_proctors_and_examiners(client, login, world):
    """Staff pages exist for proctors and examiners only; removal is POST only."""
    login(Role.ADMIN)
    assert client.get(f"/schedule/staff/{world.users[Role.EXAMINER]}").status_code == 200
    assert client.get(f"/schedule/staff/{world.users[Role.TRAINER]}").status_code == 404
    assert client.get(f"/schedule/staff/{world.users[Role.PROCTOR]}/unavailability/999999/remove").status_code == 405


def test_period_of_another_person_is_not_removed(client, login, app, world):
    """A period is removed only through its own person's URL."""
    login(Role.ADMIN)
    with app.app_context():
        row = StaffUnavailability(user_id=world.users[Role.EXAMINER], start_date=dt.date(2030, 1, 1),
                                  end_date=dt.date(2030, 1, 2))
        db.session.add(row)
        db.session.commit()
        period = row.id
    r = client.post(f"/schedule/staff/{world.users[Role.PROCTOR]}/unavailability/{period}/remove")
    assert r.status_code == 404
    with app.app_context():
        assert db.session.get(StaffUnavailability, period) is not None


# ---- list, calendar, capacity ------------------------------------------------------------------

def test_session_list_filters(client, login, app, base):
    """The session list filters by kind, room, date and state/item."""
    login(Role.SCHEDULER)
    theory = _create(client, base)
    practical = _create(client, base, kind="practical", room_id=str(base["practical"]), capacity="3")
    page = _text(client.get("/schedule/sessions"))
    assert f"/schedule/sessions/{theory}\"" in page and f"/schedule/sessions/{practical}\"" in page
    page = _text(client.get("/schedule/sessions?kind=practical"))
    assert f"/schedule/sessions/{theory}\"" not in page and f"/schedule/sessions/{practical}\"" in page
    page = _text(client.get(f"/schedule/sessions?room={base['theory']}"))
    assert f"/schedule/sessions/{theory}\"" in page and f"/schedule/sessions/{practical}\"" not in page
    later = (base["day"] + dt.timedelta(days=1)).isoformat()
    assert f"/schedule/sessions/{theory}\"" not in _text(client.get(f"/schedule/sessions?from={later}"))
    page = _text(client.get("/schedule/sessions?state=published&item=" + str(base["weld"])))
    assert "没有符合条件的场次" in page


def test_month_and_week_calendar(client, login, app, base):
    """Month and week views show the sessions, holidays and previous/next links."""
    login(Role.SCHEDULER)
    sid = _create(client, base)
    day = base["day"]
    page = _text(client.get(f"/schedule/sessions/calendar?date={day.isoformat()}"))
    assert f"{day.year} 年 {day.month} 月场次" in page and f"/schedule/sessions/{sid}\"" in page
    assert "0/4" in page
    prev_month = (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1).isoformat()
    assert f"date={prev_month}" in page
    page = _text(client.get(f"/schedule/sessions/calendar?view=week&date={day.isoformat()}"))
    monday = day - dt.timedelta(days=day.weekday())
    assert f"{monday.isoformat()} 至 {(monday + dt.timedelta(days=6)).isoformat()}" in page
    assert f"/schedule/sessions/{sid}\"" in page and LOW in page
    assert f"date={(monday - dt.timedelta(days=7)).isoformat()}" in page
    page = _text(client.get("/schedule/sessions/calendar?date=2026-10-01"))
    assert "国庆节" in page


def _cell(page: str, month: int, col: str) -> int:
    """The number in a capacity-table cell (month row, data-col column)."""
    row = re.search(rf'<tr data-month="{month}">(.*?)</tr>', page, re.S).group(1)
    return int(re.search(rf'data-col="{col}">(\d+)<', row).group(1))


def test_capacity_page_numbers(client, login, app, base, world):
    """The capacity table shows seats, places and registrations per month, with CSS bars and no inline style."""
    year = local_today().year + 1
    with app.app_context():
        item = item_by_name(LOW)
        for day, kind, room, cap in ((dt.date(year, 3, 2), "theory", base["theory"], 4),
                                     (dt.date(year, 3, 3), "theory", base["theory"], 3),
                                     (dt.date(year, 3, 4), "practical", base["practical"], 2),
                                     (dt.date(year, 5, 6), "theory", base["theory"], 4)):
            starts, ends = svc.local_window(day, dt.time(9), dt.time(11))
            s = ExamSession(kind=kind, room_id=room, day=day, starts_at=starts, ends_at=ends, capacity=cap)
            s.items = [item]
            db.session.add(s)
        db.session.flush()
        placed = db.session.scalar(sa.select(ExamSession.id).where(ExamSession.day == dt.date(year, 3, 2)))
        db.session.add_all([
            Registration(person_id=world.person_a, item_id=item.id, part="theory", requested_date=dt.date(year, 1, 5),
                         state="scheduled", session_id=placed, seat=1),       # counted in March (its session)
            Registration(person_id=world.person_b, item_id=item.id, part="theory", requested_date=dt.date(year, 5, 9),
                         state="approved"),                                    # counted in May (requested)
            Registration(person_id=world.person_b, item_id=item.id, part="practical",
                         requested_date=dt.date(year, 5, 9), state="rejected"),  # not counted
        ])
        db.session.commit()
    login(Role.SCHEDULER)
    page = _text(client.get(f"/schedule/capacity?year={year}"))
    assert (_cell(page, 3, "theory"), _cell(page, 3, "practical"), _cell(page, 3, "registered")) == (7, 2, 1)
    assert (_cell(page, 5, "theory"), _cell(page, 5, "registered"), _cell(page, 1, "registered")) == (4, 1, 0)
    assert _cell(page, 3, "target") == round(8000 / 12)
    assert "bar-w-" in page and 'style="' not in page


# ---- my sessions and iCalendar -------------------------------------------------------------------

def test_my_sessions_shows_own_sessions_and_feed(client, login, app, base, world):
    """A proctor sees only the sessions they work and their own feed URL, not the office pages."""
    login(Role.SCHEDULER)
    mine = _create(client, base)
    other = _create(client, base, start="13:00", end="15:00")
    client.post(f"/schedule/sessions/{mine}/staff", data={"user_id": world.users[Role.PROCTOR], "duty": "proctor"})
    client.post(f"/schedule/sessions/{mine}/staff", data={"user_id": base["proctor2"], "duty": "proctor"})
    login(Role.PROCTOR)
    page = _text(client.get("/schedule/my-sessions"))
    assert "09:00–11:00" in page and "13:00–15:00" not in page and "同场：第二监考员" in page
    with app.test_request_context():
        token = ical.ical_token("staff", world.users[Role.PROCTOR])
    assert f"/schedule/ical/staff/{world.users[Role.PROCTOR]}/{token}.ics" in page
    assert client.get(f"/schedule/sessions/{mine}").status_code == 403
    assert other


def _feed(client, url: str) -> icalendar.Calendar:
    """Fetch a feed (200, text/calendar) and parse it with icalendar."""
    r = client.get(url)
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    return icalendar.Calendar.from_ical(r.data)


def test_ical_feeds_parse_and_carry_the_sessions(client, login, app, base, world):
    """Room and staff feeds parse with icalendar: stable UID, UTC times, summary and location."""
    login(Role.SCHEDULER)
    theory = _create(client, base)
    practical = _create(client, base, kind="practical", room_id=str(base["practical"]), capacity="3")
    client.post(f"/schedule/sessions/{theory}/staff", data={"user_id": world.users[Role.PROCTOR], "duty": "proctor"})
    client.get("/")  # the feeds need no login: drop it
    with client.session_transaction() as sess:
        sess.clear()
    with app.test_request_context():
        room_token = ical.ical_token("room", base["theory"])
        staff_token = ical.ical_token("staff", world.users[Role.PROCTOR])
    cal = _feed(client, f"/schedule/ical/room/{base['theory']}/{room_token}.ics")
    events = cal.walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    s = _session(app, theory)
    assert str(event["uid"]).startswith(f"exam-session-{theory}@")
    assert str(event["summary"]) == f"理论考试 {LOW}"
    assert event.decoded("dtstart") == s.starts_at and event.decoded("dtend") == s.ends_at
    assert event["dtstart"].to_ical().decode().endswith("Z")
    assert str(event["location"]) == "测试理论考场，测试考点"
    again = _feed(client, f"/schedule/ical/room/{base['theory']}/{room_token}.ics").walk("VEVENT")[0]
    assert again["uid"] == event["uid"]  # stable per session
    mine = _feed(client, f"/schedule/ical/staff/{world.users[Role.PROCTOR]}/{staff_token}.ics").walk("VEVENT")
    assert [str(e["uid"]).split("@")[0] for e in mine] == [f"exam-session-{theory}"]
    assert practical


def test_forged_or_borrowed_tokens_get_404(client, app, base, world):
    """Forged, altered, other-feed or other-kind tokens get 404, as does the feed of a deactivated user."""
    proctor, examiner = world.users[Role.PROCTOR], world.users[Role.EXAMINER]
    with app.test_request_context():
        room_token = ical.ical_token("room", base["theory"])
        staff_token = ical.ical_token("staff", proctor)
    from itsdangerous import URLSafeSerializer
    forged = URLSafeSerializer("not-the-secret", salt="ical-v1").dumps(["room", base["theory"]])
    other_salt = URLSafeSerializer(app.config["SECRET_KEY"], salt="checkin-v1").dumps(["room", base["theory"]])
    for url in (f"/schedule/ical/room/{base['theory']}/{forged}.ics",
                f"/schedule/ical/room/{base['theory']}/{other_salt}.ics",
                f"/schedule/ical/room/{base['theory']}/{room_token[:-2]}xx.ics",
                f"/schedule/ical/room/{base['practical']}/{room_token}.ics",    # another room's token
                f"/schedule/ical/room/{proctor}/{staff_token}.ics",             # a staff token on the room feed
                f"/schedule/ical/staff/{examiner}/{staff_token}.ics",           # someone else's feed
                f"/schedule/ical/staff/{proctor}/garbage.ics"):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/schedule/ical/staff/{proctor}/{staff_token}.ics").status_code == 200
    with app.app_context():
        db.session.get(User, proctor).is_active = False
        db.session.commit()
    assert client.get(f"/schedule/ical/staff/{proctor}/{staff_token}.ics").status_code == 404


def test_room_page_shows_its_feed(client, login, app, base):
    """The room page shows its feed URL and the seat toggles."""
    login(Role.ADMIN)
    page = _text(client.get(f"/schedule/rooms/{base['theory']}"))
    with app.test_request_context():
        token = ical.ical_token("room", base["theory"])
    assert f"/schedule/ical/room/{base['theory']}/{token}.ics" in page
    assert 'name="usable" value="0"' in page and "T-01" in page
