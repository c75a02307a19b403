import pytest
import sqlalchemy as sa

from app.accounts import services
from app.accounts.models import Role, User
from app.core.audit import AuditEntry
from app.core.errors import DomainError
from app.extensions import db
from tests.conftest import PASSWORD


def _user(world, role):
    return db.session.get(User, world.users[role])


def test_staff_password_needs_ten_characters(app):
    with app.app_context():
        with pytest.raises(DomainError, match="10"):
            services.create_user("newstaff", "新员工", "Short-1a", {Role.PROCTOR})
        user = services.create_user("newstaff", "新员工", "Long-enough1", {Role.PROCTOR})
        assert user.check_password("Long-enough1") and user.is_staff


def test_candidate_password_may_be_eight_but_needs_a_person(app, world):
    with app.app_context():
        with pytest.raises(DomainError, match="关联一名人员"):
            services.create_user("cand2", "考生", "Kaos-123", {Role.CANDIDATE})
        from app.people.models import Person
        from tests import factories
        p = factories.person(name="赵六")
        db.session.flush()
        user = services.create_user("cand2", "考生", "Kaos-123", {Role.CANDIDATE}, person_id=p.id)
        assert user.person_id == p.id and user.check_password("Kaos-123")
        assert db.session.get(Person, p.id)


def test_employer_user_needs_an_employer_and_username_is_unique(app, world):
    with app.app_context():
        with pytest.raises(DomainError, match="生产经营单位"):
            services.create_user("emp2", "企业", PASSWORD, {Role.EMPLOYER})
        with pytest.raises(DomainError, match="已被使用"):
            services.create_user("T_ADMIN", "重复", PASSWORD, {Role.ADMIN})


def test_passwords_are_hashed_and_role_changes_audited(app, world):
    with app.app_context():
        admin = _user(world, Role.ADMIN)
        user = services.create_user("multi", "多角色", PASSWORD, {Role.PROCTOR, Role.EXAMINER}, actor=admin)
        assert PASSWORD not in user.password_hash
        services.set_roles(user, {Role.EXAMINER}, employer_id=None, person_id=None, actor=admin, reason="调岗")
        entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        assert entry.action == "user.roles"
        assert entry.before["roles"] == ["examiner", "proctor"] and entry.after["roles"] == ["examiner"]
        assert entry.reason == "调岗" and entry.actor_id == admin.id


def test_admin_cannot_drop_own_admin_role_or_deactivate_self(app, world):
    with app.app_context():
        admin = _user(world, Role.ADMIN)
        with pytest.raises(DomainError, match="自己的系统管理员"):
            services.set_roles(admin, {Role.PROCTOR}, employer_id=None, person_id=None, actor=admin)
        with pytest.raises(DomainError, match="自己"):
            services.set_active(admin, False, actor=admin)


def test_deactivated_user_cannot_authenticate(app, world):
    with app.app_context():
        admin = _user(world, Role.ADMIN)
        proctor = _user(world, Role.PROCTOR)
        assert services.authenticate("t_proctor", PASSWORD) is not None
        services.set_active(proctor, False, actor=admin, reason="离职")
        assert services.authenticate("t_proctor", PASSWORD) is None
        assert services.authenticate("t_proctor", "wrong") is None
        assert services.authenticate("nobody", PASSWORD) is None


def test_reset_password_forces_a_change(app, world):
    with app.app_context():
        admin = _user(world, Role.ADMIN)
        proctor = _user(world, Role.PROCTOR)
        services.reset_password(proctor, "Brand-new-pw-1", actor=admin)
        assert proctor.must_change_password and proctor.check_password("Brand-new-pw-1")
        with pytest.raises(DomainError, match="用户名"):
            services.reset_password(proctor, "xx-t_proctor-xx", actor=admin)
