"""Catalogue rules: loading the versioned data file, admin edits, and lookups."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
import yaml

from app.catalog.models import KIND_SAFETY_ROLE, KIND_SPECIAL, CatalogItem, CatalogRule, Industry
from app.core import audit
from app.core.errors import DomainError
from app.extensions import db
from app.people.models import EDUCATION_LEVELS

DEFAULT_CATALOG = Path(__file__).resolve().parents[2] / "question_bank" / "catalog.yaml"


@dataclass
class LoadSummary:
    version: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0


def _item_rows(doc: dict) -> list[dict]:
    """Flatten the file's categories into one dict per item, with kind/category/certificate."""
    rows, order = [], 0
    for cat in doc.get("special_operations", []):
        for it in cat["items"]:
            order += 10
            rows.append({**it, "kind": KIND_SPECIAL, "category": cat["name"],
                         "certificate_kind": cat["certificate_kind"], "sort_order": order})
    roles = doc.get("safety_roles") or {}
    for group in roles.get("by_industry", []):
        for it in group["items"]:
            order += 10
            rows.append({**it, "kind": KIND_SAFETY_ROLE, "category": group["industry"],
                         "industry": group["industry"], "certificate_kind": roles["certificate_kind"],
                         "sort_order": order})
    return rows


def read_catalog(path: Path | str = DEFAULT_CATALOG) -> dict:
    """Parse the catalogue file. Raises DomainError when it is missing or malformed."""
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DomainError(f"无法读取目录文件 {path}：{exc}") from None
    if not isinstance(doc, dict) or "version" not in doc:
        raise DomainError("目录文件缺少 version")
    return doc


def load_catalog(path: Path | str = DEFAULT_CATALOG, *, force: bool = False) -> LoadSummary:
    """Load the catalogue file into the database; safe to run again.

    New items, industries and rules are created. An existing item is updated only when
    the file's version differs from the version it was loaded from (so an admin's edits
    survive a re-run of the same file), or with ``force``. Every change is audited.
    """
    doc = read_catalog(path)
    version = str(doc["version"])
    summary = LoadSummary(version)
    for i, ind in enumerate(doc.get("industries", [])):
        row = db.session.scalar(sa.select(Industry).where(Industry.name == ind["name"]))
        if row is None:
            db.session.add(Industry(name=ind["name"], is_high_risk=bool(ind.get("is_high_risk")), sort_order=i))
            summary.created.append(ind["name"])
    for data in _item_rows(doc):
        _load_item(data, version, force, summary)
    for rule in doc.get("rules", []):
        _load_rule(rule, force, summary)
    db.session.flush()
    return summary


def _load_item(data: dict, version: str, force: bool, summary: LoadSummary) -> None:
    item = db.session.scalar(sa.select(CatalogItem).where(CatalogItem.name == data["name"]))
    if item is not None and item.data_version == version and not force:
        summary.unchanged += 1
        return
    creating = item is None
    if creating:
        item = CatalogItem(name=data["name"])
        db.session.add(item)
    before = None if creating else item.rules_snapshot()
    columns = set(CatalogItem.__table__.columns.keys()) - {"id", "updated_at", "data_version"}
    for key, value in data.items():
        if key in columns:
            setattr(item, key, value)
    item.data_version = version
    db.session.flush()
    after = item.rules_snapshot()
    if creating:
        summary.created.append(item.name)
        audit.record("catalog.item.create", "catalog_item", item.id, after=after, reason=f"目录文件 {version}")
    elif before != after:
        summary.updated.append(item.name)
        audit.record("catalog.item.update", "catalog_item", item.id, before=before, after=after,
                     reason=f"目录文件 {version}")
    else:
        summary.unchanged += 1


def _load_rule(data: dict, force: bool, summary: LoadSummary) -> None:
    rule = db.session.scalar(sa.select(CatalogRule).where(CatalogRule.key == data["key"]))
    if rule is not None and not force:
        summary.unchanged += 1
        return
    if rule is None:
        rule = CatalogRule(key=data["key"], label=data["label"], value=int(data["value"]),
                           unit=data.get("unit", ""), note=data.get("note", ""))
        db.session.add(rule)
        db.session.flush()
        summary.created.append(data["key"])
        audit.record("catalog.rule.create", "catalog_rule", rule.key, after={"value": rule.value})
        return
    if rule.value != int(data["value"]):
        before = {"value": rule.value}
        rule.value = int(data["value"])
        summary.updated.append(data["key"])
        audit.record("catalog.rule.update", "catalog_rule", rule.key, before=before, after={"value": rule.value},
                     reason="目录文件（强制）")
    rule.label, rule.unit, rule.note = data["label"], data.get("unit", ""), data.get("note", "")


def _check_item_values(values: dict) -> None:
    if not 1 <= values["pass_mark"] <= 100:
        raise DomainError("合格分数线应在 1–100 之间", field="pass_mark")
    if not 10 <= values["theory_minutes"] <= 300:
        raise DomainError("理论考试时长应在 10–300 分钟之间", field="theory_minutes")
    weights = values.get("practical_weights")
    if weights is not None and (len(weights) != 4 or sum(weights) != 100 or min(weights) < 0):
        raise DomainError("实操科目权重应为 4 个非负整数，合计 100（如 20/40/20/20）", field="practical_weights")
    if values.get("min_education") and values["min_education"] not in EDUCATION_LEVELS:
        raise DomainError("最低文化程度不在可选范围内", field="min_education")
    parts = (values.get("training_hours_theory"), values.get("training_hours_practical"))
    total = values.get("training_hours_initial")
    if total is not None and all(p is not None for p in parts) and sum(parts) != total:
        raise DomainError("初训理论学时与实操学时之和应等于初训总学时", field="training_hours_initial")
    if values["validity_years"] < 1:
        raise DomainError("证书有效期至少 1 年", field="validity_years")


def update_item(item: CatalogItem, values: dict, *, reason: str) -> bool:
    """Apply an admin's edit to an item's rules. Raises DomainError on a bad combination
    or a missing reason. Returns whether anything changed (then audited)."""
    if not reason.strip():
        raise DomainError("请填写修改原因（会写入审计日志）", field="reason")
    _check_item_values(values)
    before = item.rules_snapshot()
    for key, value in values.items():
        setattr(item, key, value)
    db.session.flush()
    after = item.rules_snapshot()
    if before == after:
        return False
    audit.record("catalog.item.update", "catalog_item", item.id, before=before, after=after, reason=reason)
    return True


def update_rule(rule: CatalogRule, value: int, *, reason: str) -> bool:
    if not reason.strip():
        raise DomainError("请填写修改原因（会写入审计日志）", field="reason")
    if value < 0 or value > 1000:
        raise DomainError("数值超出合理范围", field="value")
    if rule.value == value:
        return False
    before = {"value": rule.value}
    rule.value = value
    db.session.flush()
    audit.record("catalog.rule.update", "catalog_rule", rule.key, before=before, after={"value": value}, reason=reason)
    return True


def industry_names() -> list[str]:
    return list(db.session.scalars(sa.select(Industry.name).order_by(Industry.sort_order, Industry.id)))


def rule_value(key: str, default: int | None = None) -> int | None:
    value = db.session.scalar(sa.select(CatalogRule.value).where(CatalogRule.key == key))
    return default if value is None else value


def item_by_name(name: str) -> CatalogItem | None:
    """Find an item by its Chinese name, tolerating ASCII parentheses."""
    normal = name.strip().replace("(", "（").replace(")", "）")
    return db.session.scalar(sa.select(CatalogItem).where(CatalogItem.name == normal))
