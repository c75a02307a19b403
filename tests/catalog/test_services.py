import pytest
import sqlalchemy as sa
import yaml

from app.catalog import services
from app.catalog.models import CatalogItem, CatalogRule, Industry
from app.core.audit import AuditEntry
from app.core.errors import DomainError
from app.extensions import db


def _item(name="低压电工作业"):
    return db.session.scalar(sa.select(CatalogItem).where(CatalogItem.name == name))


def _audit_count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))


def test_catalogue_holds_domain_rules(app):
    with app.app_context():
        dy = _item()
        assert (dy.kind, dy.category, dy.pass_mark, dy.theory_minutes) == ("特种作业", "电工作业", 80, 120)
        assert (dy.training_hours_initial, dy.training_hours_theory, dy.training_hours_practical) == (148, 88, 60)
        assert dy.practical_weights == [20, 40, 20, 20] and dy.validity_years == 6 and dy.review_interval_years == 3
        assert _item("高处安装、维护、拆除作业").practical_weights == [20, 60, 10, 10]
        general = _item("主要负责人（一般行业）")
        risky = _item("安全生产管理人员（危险化学品生产单位）")
        assert (general.training_hours_initial, general.refresher_hours, general.validity_years) == (32, 12, 3)
        assert (risky.training_hours_initial, risky.refresher_hours) == (48, 16)
        assert not general.practical_required
        names = {i.name for i in db.session.scalars(sa.select(CatalogItem))}
        assert {"高压电工作业", "防爆电气作业", "钎焊作业", "登高架设作业"} <= names
        assert len(names) == 11 + 16
        assert db.session.scalar(sa.select(Industry.is_high_risk).where(Industry.name == "金属冶炼"))
        assert services.item_by_name("主要负责人(一般行业)").id == general.id


def test_reload_is_idempotent_and_keeps_admin_edits(app):
    with app.app_context():
        before = _audit_count()
        summary = services.load_catalog()
        assert not summary.created and not summary.updated
        assert _audit_count() == before
        dy = _item()
        values = dy.rules_snapshot()
        values["theory_minutes"] = 90
        assert services.update_item(dy, values, reason="省里改为90分钟")
        services.load_catalog()
        assert _item().theory_minutes == 90


def test_new_file_version_updates_and_audits(app, tmp_path):
    with app.app_context():
        doc = services.read_catalog()
        doc["version"] = "2099.1"
        doc["special_operations"][0]["items"][0]["pass_mark"] = 85
        path = tmp_path / "catalog.yaml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        summary = services.load_catalog(path)
        assert "低压电工作业" in summary.updated
        assert _item().pass_mark == 85
        entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "catalog.item.update")
                                   .order_by(AuditEntry.seq.desc())).first()
        assert entry.before["pass_mark"] == 80 and entry.after["pass_mark"] == 85


@pytest.mark.parametrize("change, fragment", [
    ({"pass_mark": 0}, "合格分数线"),
    ({"practical_weights": [20, 40, 20]}, "权重"),
    ({"practical_weights": [20, 40, 20, 30]}, "合计 100"),
    ({"training_hours_initial": 150}, "之和"),
    ({"min_education": "幼儿园"}, "文化程度"),
])
def test_bad_edits_are_refused(app, change, fragment):
    with app.app_context():
        dy = _item()
        values = {**dy.rules_snapshot(), **change}
        with pytest.raises(DomainError, match=fragment):
            services.update_item(dy, values, reason="测试")


def test_edit_needs_a_reason_and_rules_are_editable(app):
    with app.app_context():
        dy = _item()
        with pytest.raises(DomainError, match="原因"):
            services.update_item(dy, dy.rules_snapshot(), reason=" ")
        rule = db.session.scalar(sa.select(CatalogRule).where(CatalogRule.key == "retirement_age_male"))
        assert services.rule_value("retirement_age_male") == 60
        services.update_rule(rule, 63, reason="渐进式延迟退休")
        assert services.rule_value("retirement_age_male") == 63


def test_admin_edits_item_in_the_ui(client, login, app):
    login("admin")
    with app.app_context():
        item_id = _item().id
    page = client.get(f"/catalog/items/{item_id}/edit").get_data(as_text=True)
    assert "20/40/20/20" in page
    form = {"code": "DG-01", "theory_minutes": "90", "pass_mark": "80", "practical_required": "y",
            "practical_weights": "20/40/20/20", "training_hours_initial": "148", "training_hours_theory": "88",
            "training_hours_practical": "60", "refresher_hours": "8", "min_education": "初中",
            "certificate_kind": "特种作业操作证", "validity_years": "6", "review_interval_years": "3",
            "is_active": "y", "reason": ""}
    r = client.post(f"/catalog/items/{item_id}/edit", data=form)
    assert "请填写修改原因" in r.get_data(as_text=True)
    form["reason"] = "按省厅通知"
    assert client.post(f"/catalog/items/{item_id}/edit", data=form).status_code == 302
    with app.app_context():
        assert _item().theory_minutes == 90


def test_cli_load(app):
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["catalog", "load"])
        assert result.exit_code == 0 and "未变" in result.output
