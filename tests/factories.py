"""Small factories for test data: valid ID numbers and credit codes, people, employers."""
from __future__ import annotations

import datetime as dt
import itertools
import random

import sqlalchemy as sa

from app.core.ids import credit_check_char, id_check_char, parse_id_number
from app.extensions import db
from app.people.models import Employer, Person

_counter = itertools.count(1)
_rng = random.Random(7)


def id_number(birth: dt.date = dt.date(1990, 5, 17), sex: str = "男", region: str = "210902") -> str:
    """A checksum-valid ID number; distinct on every call."""
    n = next(_counter)
    seq = (n * 2 + (1 if sex == "男" else 0)) % 1000
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)


def credit_code() -> str:
    n = next(_counter)
    first17 = f"912109{n:011d}"
    return first17 + credit_check_char(first17)


def employer(name: str | None = None, industry: str = "一般行业") -> Employer:
    e = Employer(name=name or f"测试单位{next(_counter)}有限公司", credit_code=credit_code(), industry=industry)
    db.session.add(e)
    return e


def person(employer: Employer | None = None, name: str = "张三", number: str | None = None,
           education: str = "高中") -> Person:
    info = parse_id_number(number or id_number())
    p = Person(id_number=info.number, birth_date=info.birth_date, sex=info.sex, name=name, education=education,
               employer=employer)
    db.session.add(p)
    return p


def pg_database(url: str, name: str) -> str:
    """Create (or recreate) a sibling PostgreSQL database for tests that need their own."""
    base = sa.make_url(url.replace("postgresql://", "postgresql+psycopg://", 1)
                       if url.startswith("postgresql://") else url)
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    target = f"{base.database}_{name}"
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{target}"'))
    engine.dispose()
    return base.set(database=target).render_as_string(hide_password=False)
