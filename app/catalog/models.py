"""The catalogue: what a person can be examined and certified in, with its rules (data, not code)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, intpk, str20, str50, str100, updated_at

KIND_SPECIAL = "特种作业"
KIND_SAFETY_ROLE = "三项岗位"

# Editable fields of an item, with their labels, in display order. The edit form, the
# loader and the audit snapshot all use this one list.
ITEM_RULE_FIELDS: list[tuple[str, str]] = [
    ("code", "编码"),
    ("theory_blueprint", "理论考试组卷方案"),
    ("theory_minutes", "理论考试时长（分钟）"),
    ("pass_mark", "合格分数线"),
    ("practical_required", "需要实际操作考试"),
    ("rubric", "实际操作评分表"),
    ("practical_minutes", "实际操作考试时长（分钟）"),
    ("practical_weights", "实际操作科目权重 K1/K2/K3/K4"),
    ("training_hours_initial", "初训学时"),
    ("training_hours_theory", "初训理论学时"),
    ("training_hours_practical", "初训实操学时"),
    ("refresher_hours", "复审/再培训学时"),
    ("min_education", "最低文化程度"),
    ("certificate_kind", "证书种类"),
    ("validity_years", "证书有效期（年）"),
    ("review_interval_years", "复审周期（年）"),
    ("is_active", "启用"),
]


class Industry(Base):
    __tablename__ = "industries"

    id: Mapped[intpk]
    name: Mapped[str50] = mapped_column(unique=True)
    is_high_risk: Mapped[bool] = mapped_column(default=False)
    sort_order: Mapped[int] = mapped_column(default=0)


class CatalogItem(Base):
    """An operation item (特种作业操作项目) or a 三项岗位 role in an industry."""

    __tablename__ = "catalog_items"

    id: Mapped[intpk]
    name: Mapped[str100] = mapped_column(unique=True)
    code: Mapped[str20] = mapped_column(default="")
    kind: Mapped[str20]
    category: Mapped[str50]  # 作业类别, or the industry for 三项岗位
    role: Mapped[str50] = mapped_column(default="")  # 主要负责人 / 安全生产管理人员
    industry: Mapped[str50] = mapped_column(default="")
    sort_order: Mapped[int] = mapped_column(default=0)
    theory_blueprint: Mapped[str50] = mapped_column(default="")
    theory_minutes: Mapped[int] = mapped_column(default=120)
    pass_mark: Mapped[int] = mapped_column(default=80)
    practical_required: Mapped[bool] = mapped_column(default=False)
    rubric: Mapped[str50] = mapped_column(default="")
    practical_minutes: Mapped[int | None]
    practical_weights: Mapped[list | None] = mapped_column(sa.JSON)
    training_hours_initial: Mapped[int | None]
    training_hours_theory: Mapped[int | None]
    training_hours_practical: Mapped[int | None]
    refresher_hours: Mapped[int | None]
    min_education: Mapped[str20] = mapped_column(default="")
    certificate_kind: Mapped[str50]
    validity_years: Mapped[int]
    review_interval_years: Mapped[int | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    data_version: Mapped[str20] = mapped_column(default="")
    updated_at: Mapped[updated_at]

    @property
    def is_special(self) -> bool:
        return self.kind == KIND_SPECIAL

    def rules_snapshot(self) -> dict:
        return {key: getattr(self, key) for key, _label in ITEM_RULE_FIELDS}


class CatalogRule(Base):
    """A base-wide configurable rule (retirement age, review window, …)."""

    __tablename__ = "catalog_rules"

    id: Mapped[intpk]
    key: Mapped[str50] = mapped_column(unique=True)
    label: Mapped[str100]
    value: Mapped[int]
    unit: Mapped[str20] = mapped_column(default="")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[updated_at]
