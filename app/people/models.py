"""Candidates (people, keyed by citizen ID number) and employers (keyed by credit code)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, created_at, intpk, str20, str50, str100, str200, updated_at

# Ordered lowest to highest; eligibility compares ranks (初中 or above, 高中 for 危化).
EDUCATION_LEVELS = ["小学", "初中", "高中", "中专", "技校", "大专", "本科", "硕士研究生", "博士研究生"]
EDUCATION_RANK = {"小学": 0, "初中": 1, "高中": 2, "中专": 2, "技校": 2, "大专": 3, "本科": 4,
                  "硕士研究生": 5, "博士研究生": 6}


class Employer(Base):
    __tablename__ = "employers"

    id: Mapped[intpk]
    credit_code: Mapped[str] = mapped_column(sa.String(18), unique=True)
    name: Mapped[str200] = mapped_column(unique=True)
    industry: Mapped[str50]
    address: Mapped[str200] = mapped_column(default="")
    contact_name: Mapped[str50] = mapped_column(default="")
    contact_phone: Mapped[str20] = mapped_column(default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]


class Person(Base):
    __tablename__ = "people"

    id: Mapped[intpk]
    id_number: Mapped[str] = mapped_column(sa.String(18), unique=True)
    name: Mapped[str50] = mapped_column(index=True)
    sex: Mapped[str] = mapped_column(sa.String(2))
    birth_date: Mapped[dt.date]
    phone: Mapped[str20] = mapped_column(default="")
    education: Mapped[str20]
    employer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("employers.id"), index=True)
    photo_file: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    employer: Mapped[Employer | None] = relationship(lazy="joined")

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    def snapshot(self) -> dict:
        return {"id_number": self.id_number, "name": self.name, "phone": self.phone,
                "education": self.education, "employer_id": self.employer_id}


def employer_snapshot(e: Employer) -> dict:
    return {"credit_code": e.credit_code, "name": e.name, "industry": e.industry, "address": e.address,
            "contact_name": e.contact_name, "contact_phone": e.contact_phone, "is_active": e.is_active}


__all__ = ["Employer", "Person", "EDUCATION_LEVELS", "EDUCATION_RANK", "employer_snapshot", "str100"]
