import io

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from app.core.errors import DomainError
from app.core.xlsx import neutralise, read_table
from app.extensions import db
from app.people.importing import COLUMNS, import_people
from app.people.models import Employer, Person
from tests import factories

HEADER = COLUMNS


def _xlsx(rows, header=HEADER):
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _csv(rows, encoding="utf-8"):
    lines = [",".join(HEADER)] + [",".join("" if v is None else str(v) for v in r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def _count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Person))


def _employer(world):
    return db.session.get(Employer, world.employer_a)


def test_good_xlsx_imports_every_row(app, world):
    with app.app_context():
        before = _count()
        rows = [["赵一", factories.id_number(), "13912345678", "初中", None],
                ["钱二", factories.id_number(sex="女"), None, "大专", None]]
        check, created = import_people("staff.xlsx", _xlsx(rows), _employer(world), max_rows=100)
        assert not check.errors
        assert len(created) == 2 and _count() == before + 2
        assert {p.employer_id for p in created} == {world.employer_a}
        assert created[1].sex == "女"


def test_one_bad_row_means_nothing_is_imported_and_errors_name_row_and_column(app, world):
    with app.app_context():
        before = _count()
        good = factories.id_number()
        rows = [["孙三", good, "", "高中", None],
                ["李四", "110105194912310021", "", "高中", None],      # wrong check digit
                ["周五", factories.id_number(), "123", "博士后", None],  # bad phone, bad education
                ["吴六", good, "", "初中", None]]                       # duplicate of row 2
        check, created = import_people("bad.xlsx", _xlsx(rows), _employer(world), max_rows=100)
        assert created == [] and _count() == before
        found = {(e.row, e.column) for e in check.errors}
        assert (3, "身份证号码") in found
        assert (4, "手机号码") in found and (4, "文化程度") in found
        assert (5, "身份证号码") in found
        dup = next(e for e in check.errors if e.row == 5)
        assert "第 2 行" in dup.message


def test_numbers_mangled_by_excel_are_explained(app, world):
    with app.app_context():
        rows = [["郑七", 4.2e17, "", "高中", None], ["王八", 421381199001011234, "", "高中", None]]
        check, created = import_people("n.xlsx", _xlsx(rows), _employer(world), max_rows=100)
        assert not created
        messages = [e.message for e in check.errors]
        assert all("存成了数字" in m for m in messages) and len(messages) == 2
        check, _ = import_people("s.csv", _csv([["郑七", "4.2E+17", "", "高中", ""]]), _employer(world), max_rows=100)
        assert "科学计数法" in check.errors[0].message


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_every_chinese_encoding(app, world, encoding):
    with app.app_context():
        rows = [["欧阳娜娜", factories.id_number(sex="女"), "13800001111", "本科", ""]]
        check, created = import_people("x.csv", _csv(rows, encoding), _employer(world), max_rows=100)
        assert not check.errors, check.errors
        assert created[0].name == "欧阳娜娜"


def test_rare_name_characters_survive_gb18030(app, world):
    with app.app_context():
        rows = [["李堃", factories.id_number(), "", "本科", ""]]
        check, created = import_people("x.csv", _csv(rows, "gb18030"), _employer(world), max_rows=100)
        assert created[0].name == "李堃"


def test_formula_cells_are_text_not_evaluated(app, world):
    with app.app_context():
        rows = [['=HYPERLINK("http://evil","x")', factories.id_number(), "", "高中", None]]
        check, created = import_people("f.xlsx", _xlsx(rows), _employer(world), max_rows=100)
        assert not created
        assert check.errors[0].column == "姓名"


def test_existing_person_is_reported_as_duplicate(app, world):
    with app.app_context():
        existing = db.session.get(Person, world.person_b)
        rows = [[existing.name, existing.id_number, "", "高中", None]]
        check, created = import_people("d.xlsx", _xlsx(rows), None, max_rows=100)
        assert not created and "已登记" in check.errors[0].message


def test_employer_cannot_import_into_another_employer(app, world):
    with app.app_context():
        other = db.session.get(Employer, world.employer_b)
        rows = [["冯九", factories.id_number(), "", "高中", other.credit_code]]
        check, created = import_people("e.xlsx", _xlsx(rows), _employer(world), max_rows=100)
        assert not created and "本单位" in check.errors[0].message


def test_admin_import_names_the_employer_by_credit_code(app, world):
    with app.app_context():
        emp = db.session.get(Employer, world.employer_b)
        rows = [["陈十", factories.id_number(), "", "高中", emp.credit_code.lower()],
                ["褚十一", factories.id_number(), "", "高中", factories.credit_code()]]
        check, created = import_people("a.xlsx", _xlsx(rows), None, max_rows=100)
        assert not created
        assert [(e.row, "尚未登记" in e.message) for e in check.errors] == [(3, True)]


@pytest.mark.parametrize("name, data, fragment", [
    ("x.xls", b"whatever", "只接受"),
    ("x.xlsx", b"not a zip at all", "无法读取"),
    ("x.xlsx", b"PK\x03\x04" + b"\x00" * 50, "无法读取"),
    ("x.csv", b"\xff\xfe\x00\xd8\x00\xdc\x81", "编码"),
])
def test_broken_files_get_a_clear_message(name, data, fragment):
    with pytest.raises(DomainError, match=fragment):
        read_table(name, data, max_rows=10)


def test_missing_columns_and_empty_files(app, world):
    with app.app_context():
        check, _ = import_people("h.xlsx", _xlsx([["x"]], header=["姓名"]), None, max_rows=10)
        assert {e.column for e in check.errors} == {"身份证号码", "文化程度"}
        check, _ = import_people("h.xlsx", _xlsx([]), None, max_rows=10)
        assert "没有人员数据" in check.errors[0].message


def test_too_many_rows(app):
    with app.app_context():
        rows = [["张三", factories.id_number(), "", "高中", None] for _ in range(12)]
        with pytest.raises(DomainError, match="最多导入 10 行"):
            import_people("big.xlsx", _xlsx(rows), None, max_rows=10)


def test_export_neutralises_formula_triggers():
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("+86") == "'+86" and neutralise("-x") == "'-x" and neutralise("@SUM") == "'@SUM"
    assert neutralise("张三") == "张三" and neutralise(5) == 5


def test_template_downloads_with_the_columns(client, login):
    login("scheduler")
    r = client.get("/people/import/template.xlsx")
    wb = load_workbook(io.BytesIO(r.data))
    assert [c.value for c in wb.active[1]] == HEADER
