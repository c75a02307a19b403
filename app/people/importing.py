"""Bulk import of people from .xlsx / .csv: check every row first, then all or nothing."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import sqlalchemy as sa

from app.core import audit
from app.core.errors import DomainError
from app.core.ids import CreditCodeError, IdNumberError, normalise_credit_code, parse_id_number
from app.core.xlsx import read_table, workbook_bytes
from app.extensions import db
from app.people.models import EDUCATION_LEVELS, Employer, Person
from app.people.services import clean_education, clean_name, clean_phone

COLUMNS = ["姓名", "身份证号码", "手机号码", "文化程度", "单位统一社会信用代码"]
REQUIRED = {"姓名", "身份证号码", "文化程度"}


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportCheck:
    records: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.records)


def template_bytes() -> bytes:
    """The downloadable template: the header row and one example row to overwrite."""
    example = ["张三", "（18位身份证号码，请先把本列设为文本格式）", "13800000000", "高中", "（本单位可不填）"]
    return workbook_bytes("人员导入", COLUMNS, [example])


def _header_map(header: list) -> tuple[dict[str, int], list[RowError]]:
    names = [unicodedata.normalize("NFKC", str(h or "")).strip() for h in header]
    index = {n: i for i, n in enumerate(names) if n}
    missing = [c for c in COLUMNS if c in REQUIRED and c not in index]
    errors = [RowError(1, c, f"缺少“{c}”列，请使用导入模板") for c in missing]
    return index, errors


def _cell(row: list, index: dict[str, int], column: str):
    i = index.get(column)
    return row[i] if i is not None and i < len(row) else None


def _id_from_cell(value) -> str:
    if isinstance(value, bool):
        raise IdNumberError("身份证号码格式不正确")
    if isinstance(value, int):
        raise IdNumberError("身份证号码被 Excel 存成了数字（会变成 4.2E+17 并丢失末尾几位），请把该列设为“文本”格式后重新填写")
    return parse_id_number(value).number


def check_rows(rows: list[list], scope: Employer | None) -> ImportCheck:
    """Validate every row. ``scope`` is the employer of an employer user (their staff only),
    or None for admins and schedulers (the credit-code column then names the employer)."""
    result = ImportCheck()
    if not rows:
        result.errors.append(RowError(1, "", "文件是空的"))
        return result
    index, result.errors = _header_map(rows[0])
    if result.errors:
        return result
    if len(rows) == 1:
        result.errors.append(RowError(2, "", "文件里没有人员数据"))
        return result
    employers = {e.credit_code: e.id for e in db.session.scalars(sa.select(Employer))} if scope is None else {}
    seen: dict[str, int] = {}
    for n, row in enumerate(rows[1:], start=2):
        rec, errs = _check_row(n, row, index, scope, employers)
        if rec and rec["id_number"] in seen:
            errs.append(RowError(n, "身份证号码", f"与第 {seen[rec['id_number']]} 行的身份证号码重复"))
        elif rec:
            seen[rec["id_number"]] = n
        result.errors.extend(errs)
        if rec and not errs:
            result.records.append(rec)
    _check_existing(result, seen)
    result.errors.sort(key=lambda e: (e.row, COLUMNS.index(e.column) if e.column in COLUMNS else -1))
    return result


def _check_row(n, row, index, scope, employers):
    errs: list[RowError] = []
    rec: dict = {}
    checks = (("姓名", "name", clean_name), ("身份证号码", "id_number", _id_from_cell),
              ("手机号码", "phone", lambda v: clean_phone(str(v) if isinstance(v, int) else v)),
              ("文化程度", "education", clean_education))
    for column, key, check in checks:
        try:
            rec[key] = check(_cell(row, index, column))
        except (DomainError, IdNumberError) as exc:
            errs.append(RowError(n, column, getattr(exc, "message", None) or str(exc)))
    raw_code = _cell(row, index, "单位统一社会信用代码")
    code_text = str(raw_code or "").strip()
    code_text = "" if code_text.startswith("（") else code_text
    try:
        rec["employer_id"] = _employer_for(code_text, scope, employers)
    except (DomainError, CreditCodeError) as exc:
        errs.append(RowError(n, "单位统一社会信用代码", getattr(exc, "message", None) or str(exc)))
    return (rec if "id_number" in rec else None), errs


def _employer_for(code_text: str, scope: Employer | None, employers: dict[str, int]) -> int | None:
    if scope is not None:
        if code_text and normalise_credit_code(code_text) != scope.credit_code:
            raise DomainError("只能导入本单位的人员：这一行的统一社会信用代码不是本单位的")
        return scope.id
    if not code_text:
        return None
    code = normalise_credit_code(code_text)
    if code not in employers:
        raise DomainError("该统一社会信用代码的单位尚未登记，请先登记单位")
    return employers[code]


def _check_existing(result: ImportCheck, seen: dict[str, int]) -> None:
    ids = list(seen)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for number, name in db.session.execute(
            sa.select(Person.id_number, Person.name).where(Person.id_number.in_(chunk))
        ):
            result.errors.append(RowError(seen[number], "身份证号码", f"该身份证号码已登记（{name}），不能重复导入"))
    bad_rows = {e.row for e in result.errors}
    result.records = [r for r in result.records if seen.get(r["id_number"]) not in bad_rows]


def import_people(filename: str, data: bytes, scope: Employer | None, *, max_rows: int) -> tuple[ImportCheck, list[Person]]:
    """Check the file; when every row is good, create all people (flushed, one audit entry).

    Returns (check, created). Nothing is created when check.errors is non-empty.
    """
    rows = read_table(filename, data, max_rows=max_rows)
    check = check_rows(rows, scope)
    if check.errors or not check.records:
        return check, []
    created = []
    for rec in check.records:
        info = parse_id_number(rec["id_number"])
        person = Person(id_number=info.number, birth_date=info.birth_date, sex=info.sex, name=rec["name"],
                        phone=rec["phone"], education=rec["education"], employer_id=rec["employer_id"])
        db.session.add(person)
        created.append(person)
    db.session.flush()
    audit.record("person.import", "person", "batch",
                 after={"file": filename, "count": len(created), "person_ids": [p.id for p in created]},
                 reason=f"批量导入 {len(created)} 人")
    return check, created


EDUCATION_HINT = "、".join(EDUCATION_LEVELS)
