import sqlalchemy as sa

from app.accounts.models import Role, User
from app.core.ids import normalise_credit_code, parse_id_number
from app.demo import demo_logins, load_demo
from app.extensions import db
from app.people.models import Employer, Person


def test_demo_world_is_valid_and_idempotent(app):
    with app.app_context():
        first = load_demo(n_people=40)
        assert first["employers"] == 10 and first["people"] == 40
        again = load_demo(n_people=40)
        assert again == {"employers": 0, "people": 0, "users": 0, "sessions": 0}
        from app.papers.models import Blueprint
        from app.scheduling.models import ExamSession, SessionState
        assert first["sessions"] == db.session.scalar(sa.select(sa.func.count()).select_from(ExamSession)) > 0
        published = db.session.scalars(sa.select(ExamSession).where(ExamSession.state == SessionState.PUBLISHED)).all()
        assert published and all(len(s.staff) >= 2 for s in published)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Blueprint).where(Blueprint.status == "active")) == 6
        for e in db.session.scalars(sa.select(Employer)):
            assert normalise_credit_code(e.credit_code) == e.credit_code
        for p in db.session.scalars(sa.select(Person)):
            info = parse_id_number(p.id_number)
            assert info.birth_date == p.birth_date and info.sex == p.sex
        usernames = {u for u, _p, _r in demo_logins()}
        users = db.session.scalars(sa.select(User).where(User.username.in_(usernames))).all()
        assert len(users) == len(usernames)
        assert set().union(*(u.roles for u in users)) == set(Role)
        for username, password, _role in demo_logins():
            user = next(u for u in users if u.username == username)
            assert user.check_password(password)
