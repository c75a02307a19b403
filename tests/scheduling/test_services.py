"""Scheduling services end to end: sessions, registration with eligibility, allocation, tickets, check-in."""
import datetime as dt

import pytest
import sqlalchemy as sa

from app.accounts.models import Role, User
from app.catalog.services import item_by_name
from app.core.errors import DomainError
from app.core.timeutil import local_today
from app.db import utcnow
from app.extensions import db
from app.people.models import Person
from app.scheduling import checkin, placement, registration, sessions, setup
from app.scheduling.models import CalendarDay, ExamSession, Notice, Registration, RegistrationState, Room, SessionState
from tests import factories


def _next_workday(after: dt.date | None = None) -> dt.date:
    from app.scheduling.calendar import is_working_day
    day = (after or local_today()) + dt.timedelta(days=1)
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def _setup():
    setup.load_site()
    return db.session.scalar(sa.select(Room).where(Room.name == "理论考场一"))


def _ready_person(name="郑明", birth=dt.date(1990, 3, 1), item="低压电工作业", hours=None):
    person = factories.person(name=name, number=factories.id_number(birth=birth), education="高中")
    db.session.flush()
    it = item_by_name(item)
    registration.record_health_commitment(person, local_today() - dt.timedelta(days=10))
    end = local_today() - dt.timedelta(days=5)
    registration.record_training(person, it, end - dt.timedelta(days=30), end, hours or it.training_hours_initial)
    return person, it


def _session(room, day=None, start=dt.time(9), end=dt.time(11), item="低压电工作业"):
    return sessions.create_session("theory", room, day or _next_workday(), start, end, 40, [item_by_name(item)])


def _staff(session, n=2):
    from app.accounts import services as account_services
    proctors = db.session.scalars(sa.select(User).where(User.role_rows.any(role="proctor"))).all()
    while len(proctors) < n:
        proctors.append(account_services.create_user(f"p{len(proctors)}x", "监考员", "Proctor-pass-1", {Role.PROCTOR}))
    for p in proctors[:n]:
        sessions.assign_staff(session, p, "proctor")


def test_room_double_booking_and_non_working_day_are_refused(app):
    with app.app_context():
        room = _setup()
        first = _session(room)
        with pytest.raises(DomainError, match="已有场次"):
            _session(room, day=first.day, start=dt.time(10), end=dt.time(12))
        closed = _next_workday(first.day)
        db.session.add(CalendarDay(day=closed, is_open=False, reason="设备检修"))
        db.session.flush()
        with pytest.raises(DomainError, match="不是工作日"):
            _session(room, day=closed)
        with pytest.raises(DomainError, match="容量"):
            sessions.create_session("theory", room, first.day, dt.time(14), dt.time(16), 41, [item_by_name("低压电工作业")])


def test_staff_clash_and_publish_needs_two(app, world):
    with app.app_context():
        room = _setup()
        s1 = _session(room)
        other = db.session.scalar(sa.select(Room).where(Room.name == "理论考场二"))
        s2 = _session(other, day=s1.day, start=dt.time(10), end=dt.time(12))
        proctor = db.session.get(User, world.users[Role.PROCTOR])
        with pytest.raises(DomainError, match="发布前至少需要安排 2 名监考员"):
            sessions.set_state(s1, SessionState.PUBLISHED)
        sessions.assign_staff(s1, proctor, "proctor")
        with pytest.raises(DomainError, match="同一时间已安排"):
            sessions.assign_staff(s2, proctor, "proctor")
        with pytest.raises(DomainError, match="不是考评员"):
            sessions.assign_staff(s1, proctor, "examiner")


def test_register_refuses_with_every_rule_named(app):
    with app.app_context():
        _setup()
        young = factories.person(name="少年", number=factories.id_number(birth=local_today() - dt.timedelta(days=17 * 365)),
                                 education="小学")
        db.session.flush()
        with pytest.raises(registration.RegistrationRefused) as err:
            registration.register(young, item_by_name("低压电工作业"), "theory", _next_workday())
        rules = {r.rule for r in err.value.refusals}
        assert {"age_min", "education", "health", "training_hours"} <= rules
        assert "18周岁" in err.value.message


def test_register_approve_allocate_ticket_and_check_in(app, world):
    with app.app_context():
        room = _setup()
        session = _session(room)
        _staff(session)
        sessions.set_state(session, SessionState.PUBLISHED)
        people = [_ready_person(name=n)[0] for n in ("甲一", "乙二", "丙三")]
        item = item_by_name("低压电工作业")
        regs = [registration.register(p, item, "theory", session.day) for p in people]
        with pytest.raises(DomainError, match="不能重复报名"):
            registration.register(people[0], item, "theory", session.day)
        for r in regs:
            registration.approve(r)
        preview = placement.preview_allocation()
        again = placement.preview_allocation()
        assert preview.allocation == again.allocation  # same input, same result
        assert placement.apply_allocation(preview) == 3
        assert {r.state for r in regs} == {RegistrationState.SCHEDULED}
        assert sorted(r.seat for r in regs) == [1, 2, 3]
        assert len({r.ticket_no for r in regs}) == 3 and all(len(r.ticket_no) == 12 for r in regs)
        scheduled = sa.select(sa.func.count()).select_from(Notice).where(Notice.kind == "registration.scheduled")
        assert db.session.scalar(scheduled) >= 3
        # check-in: typed number, scanned token, forged token, too early/late, wrong session
        at = session.starts_at - dt.timedelta(minutes=10)
        with pytest.raises(DomainError, match="无效"):
            checkin.check_in(session, checkin.checkin_token(regs[0])[:-2] + "xx", now=at)
        with pytest.raises(DomainError, match="尚未开始"):
            checkin.check_in(session, regs[0].ticket_no, now=session.starts_at - dt.timedelta(hours=2))
        assert checkin.check_in(session, regs[0].ticket_no, now=at).state == RegistrationState.CHECKED_IN
        assert checkin.check_in(session, checkin.checkin_token(regs[1]), now=at).id == regs[1].id
        with pytest.raises(DomainError, match="已于"):
            checkin.check_in(session, regs[0].ticket_no, now=at)
        with pytest.raises(DomainError, match="截止"):
            checkin.check_in(session, regs[2].ticket_no, now=session.starts_at + dt.timedelta(minutes=16))
        other = _session(db.session.scalar(sa.select(Room).where(Room.name == "理论考场二")), day=session.day,
                         start=dt.time(14), end=dt.time(16))
        _staff(other)
        sessions.set_state(other, SessionState.PUBLISHED)
        with pytest.raises(DomainError, match="不属于本场次"):
            checkin.check_in(other, regs[2].ticket_no, now=other.starts_at)
        sessions.set_state(session, SessionState.OPEN)
        sessions.set_state(session, SessionState.CLOSED)
        assert regs[2].state == RegistrationState.ABSENT and regs[0].state == RegistrationState.CHECKED_IN


def test_manual_move_checks_like_the_automatic_one(app):
    with app.app_context():
        room = _setup()
        s1 = _session(room)
        person, item = _ready_person()
        reg = registration.register(person, item, "theory", s1.day)
        registration.approve(reg)
        placement.move_registration(reg, s1, reason="按单位要求")
        assert reg.session_id == s1.id and reg.seat == 1
        welding = _session(db.session.scalar(sa.select(Room).where(Room.name == "理论考场二")), day=s1.day,
                           start=dt.time(14), end=dt.time(16), item="熔化焊接与热切割作业")
        with pytest.raises(DomainError):
            placement.move_registration(reg, welding, reason="误操作")


def test_tickets_render_as_pdf_with_chinese(app, world):
    with app.app_context(), app.test_request_context():
        from app.scheduling.tickets import render_tickets
        room = _setup()
        session = _session(room)
        person, item = _ready_person(name="欧阳堃")
        reg = registration.register(person, item, "theory", session.day)
        registration.approve(reg)
        placement.move_registration(reg, session)
        pdf = render_tickets([reg])
        assert pdf[:4] == b"%PDF" and len(pdf) < 400_000


def test_year_plan_skips_holidays_and_refuses_unknown_years(app):
    with app.app_context():
        _setup()
        templates = setup.load_templates()
        with pytest.raises(DomainError, match="节假日数据尚未包含 2099 年"):
            sessions.plan_year(2099, templates)
        year = local_today().year
        created, skipped = sessions.plan_year(year, templates)
        again = sessions.plan_year(year, templates)
        assert again == (0, created + skipped)
        days = set(db.session.scalars(sa.select(ExamSession.day)))
        from app.scheduling.calendar import is_working_day
        assert all(is_working_day(d) for d in days)
        assert all(d >= local_today() for d in days)


def test_exam_day_fixture(app, world):
    with app.app_context():
        from app.scheduling.fixtures import exam_day
        _setup()
        sessions_, rows = exam_day(45)
        assert len(sessions_) == 2 and len(rows) == 45
        regs = db.session.scalars(sa.select(Registration).where(Registration.ticket_no.in_([t for t, _ in rows]))).all()
        assert {r.state for r in regs} == {RegistrationState.CHECKED_IN}
        assert all(s.state == SessionState.OPEN and s.starts_at <= utcnow() <= s.ends_at for s in sessions_)
        ids = {p.id_number for p in db.session.scalars(sa.select(Person).where(Person.id.in_([r.person_id for r in regs])))}
        assert ids == {i for _, i in rows}


def test_examiner_on_duty_checks_in_at_a_practical_station(app, client, login, world):
    from app.scheduling.models import ExaminerQualification
    with app.app_context():
        _setup()
        station = db.session.scalar(sa.select(Room).where(Room.name == "电工实操室"))
        item = item_by_name("低压电工作业")
        day = _next_workday()
        session = sessions.create_session("practical", station, day, dt.time(9), dt.time(12), 8, [item])
        from app.accounts import services as account_services
        examiner = db.session.get(User, world.users[Role.EXAMINER])
        second = account_services.create_user("kp2x", "考评员二", "Examiner-pass-2", {Role.EXAMINER})
        for user in (examiner, second):
            db.session.add(ExaminerQualification(user_id=user.id, item_id=item.id))
        db.session.flush()
        sessions.assign_staff(session, examiner, "examiner")
        sessions.assign_staff(session, second, "examiner")
        sessions.set_state(session, SessionState.PUBLISHED)
        session_id = session.id
        db.session.commit()
    login(Role.EXAMINER)
    assert client.get(f"/schedule/sessions/{session_id}/checkin").status_code == 200
    login(Role.PROCTOR)
    assert client.get(f"/schedule/sessions/{session_id}/checkin").status_code == 403
