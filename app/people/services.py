"""Rules for people and employers: validation, uniqueness, scope, audit."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa

from app.core import audit
from app.core.errors import DomainError
from app.core.ids import CreditCodeError, IdNumberError, normalise_credit_code, parse_id_number
from app.extensions import db
from app.people.models import EDUCATION_LEVELS, Employer, Person, employer_snapshot

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")
NAME_RE = re.compile(r"^[\u3400-\u9fff\U00020000-\U0002ffff·•A-Za-z\s]{2,30}$")


def clean_name(raw: object) -> str:
    """A person's name: NFKC, no spaces around, middle dot unified. Raises DomainError."""
    name = unicodedata.normalize("NFKC", str(raw or "")).strip().replace("•", "·")
    name = re.sub(r"\s+", " ", name)
    if not name:
        raise DomainError("请填写姓名", field="name")
    if not NAME_RE.match(name):
        raise DomainError("姓名只能包含汉字（少数民族姓名可含“·”）或英文字母，2–30 个字", field="name")
    return name


def clean_phone(raw: object) -> str:
    phone = re.sub(r"[\s]", "", unicodedata.normalize("NFKC", str(raw or "")))
    if not phone:
        return ""
    if isinstance(raw, float) or not PHONE_RE.match(phone):
        raise DomainError("手机号码应为 11 位手机号或带区号的固定电话", field="phone")
    return phone


def clean_education(raw: object) -> str:
    value = unicodedata.normalize("NFKC", str(raw or "")).strip()
    aliases = {"研究生": "硕士研究生", "硕士": "硕士研究生", "博士": "博士研究生", "专科": "大专", "大学本科": "本科",
               "高中及以上": "高中", "职高": "中专"}
    value = aliases.get(value, value)
    if value not in EDUCATION_LEVELS:
        raise DomainError("文化程度应为：" + "、".join(EDUCATION_LEVELS) + " 之一", field="education")
    return value


@dataclass
class PersonData:
    id_number: str
    name: str
    phone: str
    education: str
    employer_id: int | None


def check_person_data(id_number: object, name: object, phone: object, education: object,
                      employer_id: int | None) -> PersonData:
    """Validate raw person fields; raise DomainError naming the field."""
    try:
        info = parse_id_number(id_number)
    except IdNumberError as exc:
        raise DomainError(str(exc), field="id_number") from None
    return PersonData(info.number, clean_name(name), clean_phone(phone), clean_education(education), employer_id)


def _apply_id(person: Person, number: str) -> None:
    info = parse_id_number(number)
    person.id_number, person.birth_date, person.sex = info.number, info.birth_date, info.sex


def create_person(data: PersonData) -> Person:
    """Register a person. Raises DomainError when the ID number is already registered."""
    existing = db.session.scalar(sa.select(Person).where(Person.id_number == data.id_number))
    if existing is not None:
        raise DomainError("该身份证号码已登记过，请在人员列表中查找；如需变更所属单位请联系考务管理员",
                          field="id_number")
    person = Person(name=data.name, phone=data.phone, education=data.education, employer_id=data.employer_id)
    _apply_id(person, data.id_number)
    db.session.add(person)
    db.session.flush()
    audit.record("person.create", "person", person.id, after=person.snapshot())
    return person


def update_person(person: Person, data: PersonData, reason: str = "") -> None:
    """Change a person's details; the ID number may be corrected if not taken by another."""
    if data.id_number != person.id_number and db.session.scalar(
        sa.select(Person.id).where(Person.id_number == data.id_number, Person.id != person.id)
    ):
        raise DomainError("该身份证号码已属于另一名人员", field="id_number")
    before = person.snapshot()
    _apply_id(person, data.id_number)
    person.name, person.phone, person.education = data.name, data.phone, data.education
    person.employer_id = data.employer_id
    db.session.flush()
    if before != person.snapshot():
        audit.record("person.update", "person", person.id, before=before, after=person.snapshot(), reason=reason)


def set_person_photo(person: Person, filename: str) -> str | None:
    """Point the person at a newly stored photo; returns the old file name to remove after commit."""
    old = person.photo_file
    person.photo_file = filename
    db.session.flush()
    audit.record("person.photo", "person", person.id, before={"photo": bool(old)}, after={"photo": True})
    return old


@dataclass
class EmployerData:
    credit_code: str
    name: str
    industry: str
    address: str
    contact_name: str
    contact_phone: str


def check_employer_data(credit_code: object, name: object, industry: str, address: str,
                        contact_name: str, contact_phone: object, industries: list[str]) -> EmployerData:
    try:
        code = normalise_credit_code(credit_code)
    except CreditCodeError as exc:
        raise DomainError(str(exc), field="credit_code") from None
    name = unicodedata.normalize("NFKC", str(name or "")).strip()
    if len(name) < 2:
        raise DomainError("请填写单位全称", field="name")
    if industry not in industries:
        raise DomainError("请选择单位所属行业", field="industry")
    return EmployerData(code, name, industry, (address or "").strip(), (contact_name or "").strip(),
                        clean_phone(contact_phone))


def _check_employer_unique(data: EmployerData, own_id: int | None) -> None:
    for column, label, field in ((Employer.credit_code, "统一社会信用代码", "credit_code"),
                                 (Employer.name, "单位名称", "name")):
        value = data.credit_code if field == "credit_code" else data.name
        stmt = sa.select(Employer.id).where(column == value)
        if own_id:
            stmt = stmt.where(Employer.id != own_id)
        if db.session.scalar(stmt):
            raise DomainError(f"该{label}已被另一家单位使用", field=field)


def create_employer(data: EmployerData) -> Employer:
    """Register an employer; credit code and name are unique."""
    _check_employer_unique(data, None)
    employer = Employer(**data.__dict__)
    db.session.add(employer)
    db.session.flush()
    audit.record("employer.create", "employer", employer.id, after=employer_snapshot(employer))
    return employer


def update_employer(employer: Employer, data: EmployerData, is_active: bool = True) -> None:
    _check_employer_unique(data, employer.id)
    before = employer_snapshot(employer)
    for key, value in data.__dict__.items():
        setattr(employer, key, value)
    employer.is_active = is_active
    db.session.flush()
    if before != employer_snapshot(employer):
        audit.record("employer.update", "employer", employer.id, before=before, after=employer_snapshot(employer))
