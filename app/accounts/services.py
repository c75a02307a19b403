"""Account rules: creating users, roles, passwords, deactivation, authentication."""
from __future__ import annotations

import re

import sqlalchemy as sa

from app.accounts.models import OTHER_MIN_PASSWORD, STAFF_MIN_PASSWORD, Role, User, UserRole
from app.core import audit
from app.core.errors import DomainError
from app.db import utcnow
from app.extensions import db

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{3,50}$")


def check_password_rules(password: str, roles: set[Role], username: str = "") -> None:
    """Raise DomainError when the password is too weak for the roles it would guard."""
    staff = any(r.is_staff for r in roles) or Role.EMPLOYER in roles
    minimum = STAFF_MIN_PASSWORD if staff else OTHER_MIN_PASSWORD
    if len(password) < minimum:
        raise DomainError(f"密码至少需要 {minimum} 个字符", field="password")
    if len(set(password)) < 4:
        raise DomainError("密码过于简单：请混合使用不同的字母、数字和符号", field="password")
    if username and username.lower() in password.lower():
        raise DomainError("密码不能包含用户名", field="password")


def _role_snapshot(user: User) -> dict:
    return {"roles": sorted(user.roles), "is_active": user.is_active,
            "employer_id": user.employer_id, "person_id": user.person_id}


def _check_links(roles: set[Role], employer_id: int | None, person_id: int | None) -> None:
    if Role.EMPLOYER in roles and not employer_id:
        raise DomainError("企业用户必须关联一个生产经营单位", field="employer_id")
    if Role.CANDIDATE in roles and not person_id:
        raise DomainError("考生账号必须关联一名人员（按身份证号码）", field="person_id")


def create_user(username: str, display_name: str, password: str, roles: set[Role], *,
                employer_id: int | None = None, person_id: int | None = None,
                must_change_password: bool = False, actor=None) -> User:
    """Create an active user with ``roles``. Raises DomainError on a taken username, bad
    username, weak password or a missing employer/person link. Returns the user (flushed)."""
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise DomainError("用户名只能由 3–50 个字母、数字、下划线、点或连字符组成", field="username")
    if not roles:
        raise DomainError("请至少选择一个角色", field="roles")
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        raise DomainError(f"用户名 {username} 已被使用", field="username")
    if person_id and db.session.scalar(sa.select(User.id).where(User.person_id == person_id)):
        raise DomainError("这名人员已经有账号了", field="person_id")
    _check_links(roles, employer_id, person_id)
    check_password_rules(password, roles, username)
    user = User(username=username, display_name=display_name.strip() or username,
                employer_id=employer_id if Role.EMPLOYER in roles else None,
                person_id=person_id if Role.CANDIDATE in roles else None,
                must_change_password=must_change_password)
    user.set_password(password)
    user.role_rows = [UserRole(role=str(r)) for r in sorted(roles)]
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", "user", user.id, after={"username": username, **_role_snapshot(user)},
                 actor=actor)
    return user


def set_roles(user: User, roles: set[Role], *, employer_id: int | None, person_id: int | None,
              actor: User, reason: str = "") -> None:
    """Replace the user's roles and links. An admin cannot take the admin role from themselves."""
    if not roles:
        raise DomainError("请至少选择一个角色", field="roles")
    if actor.id == user.id and Role.ADMIN in user.roles and Role.ADMIN not in roles:
        raise DomainError("不能取消自己的系统管理员角色（请由另一位管理员操作）", field="roles")
    _check_links(roles, employer_id, person_id)
    if person_id and db.session.scalar(
        sa.select(User.id).where(User.person_id == person_id, User.id != user.id)
    ):
        raise DomainError("这名人员已经有账号了", field="person_id")
    before = _role_snapshot(user)
    user.role_rows = [UserRole(role=str(r)) for r in sorted(roles)]
    user.employer_id = employer_id if Role.EMPLOYER in roles else None
    user.person_id = person_id if Role.CANDIDATE in roles else None
    db.session.flush()
    after = _role_snapshot(user)
    if before != after:
        audit.record("user.roles", "user", user.id, before=before, after=after, reason=reason, actor=actor)


def reset_password(user: User, new_password: str, *, actor: User) -> None:
    """Set a new password chosen by an admin; the user must change it at next login."""
    check_password_rules(new_password, user.roles, user.username)
    user.set_password(new_password)
    user.must_change_password = actor.id != user.id
    user.password_changed_at = utcnow()
    db.session.flush()
    audit.record("user.reset_password", "user", user.id, actor=actor)


def change_own_password(user: User, current: str, new_password: str) -> None:
    if not user.check_password(current):
        raise DomainError("当前密码不正确", field="current_password")
    if current == new_password:
        raise DomainError("新密码不能与当前密码相同", field="password")
    check_password_rules(new_password, user.roles, user.username)
    user.set_password(new_password)
    user.must_change_password = False
    user.password_changed_at = utcnow()
    db.session.flush()
    audit.record("user.change_password", "user", user.id, actor=user)


def set_active(user: User, active: bool, *, actor: User, reason: str = "") -> None:
    """Deactivate or reactivate a user (users are never deleted). Not oneself."""
    if user.id == actor.id and not active:
        raise DomainError("不能停用自己的账号")
    if user.is_active == active:
        return
    user.is_active = active
    db.session.flush()
    audit.record("user.activate" if active else "user.deactivate", "user", user.id,
                 before={"is_active": not active}, after={"is_active": active}, reason=reason, actor=actor)


def authenticate(username: str, password: str) -> User | None:
    """The active user with this username and password, or None. Same work either way,
    so timing does not tell whether a username exists."""
    user = db.session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    if user is None:
        User(password_hash=_DUMMY_HASH).check_password(password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    user.last_login_at = utcnow()
    return user


def _dummy_hash() -> str:
    from werkzeug.security import generate_password_hash
    return generate_password_hash("not-a-real-password")


_DUMMY_HASH = _dummy_hash()
