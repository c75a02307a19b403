import io

import sqlalchemy as sa
from openpyxl import load_workbook
from PIL import Image

from app.accounts.models import Role
from app.core.audit import AuditEntry
from app.extensions import db
from app.people.models import Employer, Person
from tests import factories


def _jpeg():
    buf = io.BytesIO()
    Image.new("RGB", (300, 400), (1, 2, 3)).save(buf, "JPEG")
    return buf.getvalue()


def test_register_person_with_bad_then_good_id(client, login, app):
    login(Role.ADMIN)
    form = {"name": "黄十二", "id_number": "110105194912310021", "phone": "", "education": "高中", "employer_id": "0"}
    r = client.post("/people/new", data=form)
    assert r.status_code == 200 and "校验位不正确" in r.get_data(as_text=True)
    form["id_number"] = factories.id_number().lower()
    r = client.post("/people/new", data=form)
    assert r.status_code == 302
    with app.app_context():
        person = db.session.scalar(sa.select(Person).where(Person.name == "黄十二"))
        assert person is not None and person.id_number == form["id_number"].upper()
        entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        assert entry.action == "person.create" and entry.object_id == str(person.id)


def test_employer_user_registers_into_own_employer_whatever_is_posted(client, login, app, world):
    login(Role.EMPLOYER)
    form = {"name": "卫十三", "id_number": factories.id_number(), "education": "初中", "employer_id": str(world.employer_b)}
    r = client.post("/people/new", data=form)
    assert r.status_code == 200 and "不是有效的选择" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(Person).where(Person.name == "卫十三")) is None
    form["employer_id"] = str(world.employer_a)
    assert client.post("/people/new", data=form).status_code == 302
    with app.app_context():
        person = db.session.scalar(sa.select(Person).where(Person.name == "卫十三"))
        assert person.employer_id == world.employer_a


def test_photo_upload_and_restricted_serving(client, login, app, world):
    login(Role.EMPLOYER)
    r = client.post(f"/people/{world.person_a}/photo", data={"photo": (io.BytesIO(_jpeg()), "me.jpg")},
                    content_type="multipart/form-data")
    assert r.status_code == 302
    r = client.get(f"/people/{world.person_a}/photo")
    assert r.status_code == 200 and r.mimetype == "image/jpeg"
    assert "no-store" in r.headers["Cache-Control"]
    r = client.post(f"/people/{world.person_a}/photo", data={"photo": (io.BytesIO(b"<svg onload=x>"), "x.jpg")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "不是可识别的图片" in r.get_data(as_text=True)


def test_employer_register_and_duplicate_credit_code(client, login, app, world):
    login(Role.SCHEDULER)
    code = factories.credit_code()
    form = {"name": "阜新新登记有限公司", "credit_code": code, "industry": "一般行业", "is_active": "y"}
    assert client.post("/employers/new", data=form).status_code == 302
    form["name"] = "另一家公司"
    r = client.post("/employers/new", data=form)
    assert "已被另一家单位使用" in r.get_data(as_text=True)
    form["credit_code"] = code[:-1] + ("0" if code[-1] != "0" else "1")
    r = client.post("/employers/new", data=form)
    assert "校验位不正确" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(Employer).where(Employer.credit_code == code)).industry == "一般行业"


def test_import_page_shows_row_errors_and_imports_nothing(client, login, app, world):
    login(Role.EMPLOYER)
    from openpyxl import Workbook
    wb = Workbook()
    wb.active.append(["姓名", "身份证号码", "手机号码", "文化程度", "单位统一社会信用代码"])
    wb.active.append(["甲", factories.id_number(), "", "高中", None])
    wb.active.append(["乙乙", "123", "", "高中", None])
    buf = io.BytesIO()
    wb.save(buf)
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Person))
    r = client.post("/people/import", data={"file": (io.BytesIO(buf.getvalue()), "s.xlsx")},
                    content_type="multipart/form-data")
    page = r.get_data(as_text=True)
    assert "本次没有导入任何人员" in page and "第 2 行" in page and "第 3 行" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == before


def test_export_cells_are_neutralised(client, login, app, world):
    with app.app_context():
        p = db.session.get(Person, world.person_a)
        p.phone = "=cmd|' /C calc'!A0"
        db.session.commit()
    login(Role.ADMIN)
    wb = load_workbook(io.BytesIO(client.get("/people/export.xlsx").data))
    phones = [row[4] for row in wb.active.iter_rows(min_row=2, values_only=True)]
    assert "'=cmd|' /C calc'!A0" in phones
    assert not any(isinstance(v, str) and v.startswith("=") for v in phones)
