"""Users and their roles."""
from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.db import Base, created_at, intpk, str50, str100


class Role(StrEnum):
    ADMIN = "admin"
    SCHEDULER = "scheduler"
    PROCTOR = "proctor"
    EXAMINER = "examiner"
    TRAINER = "trainer"
    EDITOR = "editor"
    EMPLOYER = "employer"
    CANDIDATE = "candidate"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])

    @property
    def is_staff(self) -> bool:
        return self not in (Role.EMPLOYER, Role.CANDIDATE)


ROLE_LABELS = {
    Role.ADMIN: _l("系统管理员"),
    Role.SCHEDULER: _l("考务管理员"),
    Role.PROCTOR: _l("监考员"),
    Role.EXAMINER: _l("考评员"),
    Role.TRAINER: _l("培训教师"),
    Role.EDITOR: _l("宣传编辑"),
    Role.EMPLOYER: _l("企业用户"),
    Role.CANDIDATE: _l("考生"),
}
STAFF_ROLES = frozenset(r for r in Role if r.is_staff)
STAFF_MIN_PASSWORD = 10
OTHER_MIN_PASSWORD = 8


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(20), primary_key=True)


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[intpk]
    username: Mapped[str50] = mapped_column(unique=True)
    display_name: Mapped[str100]
    password_hash: Mapped[str]
    is_active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    employer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("employers.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"), index=True, unique=True)
    created_at: Mapped[created_at]
    last_login_at: Mapped[dt.datetime | None]
    password_changed_at: Mapped[dt.datetime | None]

    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    employer = relationship("Employer", lazy="joined")
    person = relationship("Person", lazy="joined")

    @property
    def roles(self) -> set[Role]:
        return {Role(r.role) for r in self.role_rows}

    def has_role(self, *roles: Role) -> bool:
        mine = self.roles
        return any(r in mine for r in roles)

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        # Flask-Login keeps this in the session; the hash prefix makes a password
        # change end every other session of the user.
        return f"{self.id}:{self.password_hash[-12:]}"
