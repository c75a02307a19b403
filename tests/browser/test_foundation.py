"""An admin registers an employer and a candidate; an employer imports a spreadsheet."""
from __future__ import annotations

import io

import sqlalchemy as sa
from openpyxl import Workbook
from PIL import Image

from app.accounts import services as account_services
from app.accounts.models import Role
from app.extensions import db
from app.people.models import Employer, Person
from tests import factories
from tests.browser.conftest import log_in, open_menu
from tests.conftest import PASSWORD


def test_admin_registers_employer_and_candidate_with_photo(page, live_app, tmp_path):
    log_in(page, "e2e_admin")
    open_menu(page, "单位", "人员与单位")
    page.get_by_role("link", name="登记单位").click()
    code = factories.credit_code()
    page.get_by_label("单位全称").fill("阜新浏览器测试电气有限公司")
    page.get_by_label("统一社会信用代码").fill(code)
    page.get_by_label("所属行业").select_option("一般行业")
    page.get_by_role("button", name="保存").click()
    page.get_by_text("已登记单位 阜新浏览器测试电气有限公司").wait_for()

    open_menu(page, "人员", "人员与单位")
    page.get_by_role("link", name="登记人员").click()
    page.get_by_label("姓名").fill("冯彧")
    page.get_by_label("身份证号码").fill("110105194912310021")
    page.get_by_label("文化程度").select_option("高中")
    page.get_by_label("所属单位").select_option(label="阜新浏览器测试电气有限公司")
    page.get_by_role("button", name="保存").click()
    error = page.locator(".invalid-feedback", has_text="校验位不正确")
    error.wait_for()
    assert error.is_visible()

    good = factories.id_number(sex="女")
    page.get_by_label("身份证号码").fill(good.lower())
    page.get_by_role("button", name="保存").click()
    page.get_by_text("已登记 冯彧").wait_for()

    photo = tmp_path / "photo.png"
    Image.new("RGB", (360, 480), (90, 140, 200)).save(photo)
    page.get_by_label("照片（JPG 或 PNG）").set_input_files(str(photo))
    page.get_by_role("button", name="上传照片").click()
    page.get_by_text("照片已更新").wait_for()
    img = page.get_by_role("img", name="冯彧 的照片")
    # wait until the browser has decoded it: a page under load may still be fetching the image
    assert img.evaluate("el => el.decode().then(() => el.naturalWidth)") > 0

    with live_app.app_context():
        person = db.session.scalar(sa.select(Person).where(Person.id_number == good))
        assert person.name == "冯彧" and person.photo_file and person.employer.credit_code == code


def test_employer_import_with_a_bad_row_imports_nothing(page, live_app, tmp_path):
    with live_app.app_context():
        employer = Employer(name="阜新导入测试有限公司", credit_code=factories.credit_code(), industry="一般行业")
        db.session.add(employer)
        db.session.flush()
        account_services.create_user("e2e_employer", "导入测试企业", PASSWORD, {Role.EMPLOYER},
                                     employer_id=employer.id)
        db.session.commit()
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Person))

    wb = Workbook()
    wb.active.append(["姓名", "身份证号码", "手机号码", "文化程度", "单位统一社会信用代码"])
    wb.active.append(["蒋一", factories.id_number(), "13911112222", "初中", None])
    wb.active.append(["沈二", "4.2E+17", "", "高中", None])
    wb.active.append(["韩三", factories.id_number(), "", "大专", None])
    path = tmp_path / "staff.xlsx"
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(buf.getvalue())

    log_in(page, "e2e_employer")
    open_menu(page, "批量导入", "人员与单位")
    page.get_by_label("人员名单文件（.xlsx 或 .csv）").set_input_files(str(path))
    page.get_by_role("button", name="检查并导入").click()
    result = page.locator("#import-result")
    result.wait_for()
    assert "没有导入任何人员" in result.inner_text()
    row = page.locator("table.import-errors tbody tr", has_text="第 3 行")
    assert "身份证号码" in row.inner_text() and "科学计数法" in row.inner_text()

    open_menu(page, "人员", "人员与单位")
    assert page.get_by_text("蒋一").count() == 0
    with live_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == before
