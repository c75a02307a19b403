"""Catalogue pages: browse items and rules; admins edit them (audited)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts.models import Role
from app.accounts.permissions import role_required
from app.catalog import bp, services
from app.catalog.forms import ItemForm, RuleForm
from app.catalog.models import CatalogItem, CatalogRule, Industry
from app.core.errors import DomainError
from app.core.forms import apply_domain_error
from app.extensions import db


@bp.route("/catalog")
@role_required(Role.ADMIN, Role.SCHEDULER)
def items():
    rows = db.session.scalars(sa.select(CatalogItem).order_by(CatalogItem.sort_order, CatalogItem.id)).all()
    rules = db.session.scalars(sa.select(CatalogRule).order_by(CatalogRule.id)).all()
    industries = db.session.scalars(sa.select(Industry).order_by(Industry.sort_order)).all()
    return render_template("catalog/items.html", items=rows, rules=rules, industries=industries)


@bp.route("/catalog/items/<int:item_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def item_edit(item_id: int):
    item = db.get_or_404(CatalogItem, item_id)
    form = ItemForm(obj=item)
    if request.method == "GET":
        form.practical_weights.data = "/".join(str(w) for w in item.practical_weights or [])
        form.reason.data = ""
    if form.validate_on_submit():
        try:
            changed = services.update_item(item, form.values(), reason=form.reason.data)
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("已保存 %(name)s 的规则。", name=item.name) if changed else _("没有改动。"), "success")
            return redirect(url_for("catalog.items"))
    return render_template("catalog/item_edit.html", item=item, form=form)


@bp.route("/catalog/rules/<int:rule_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def rule_edit(rule_id: int):
    rule = db.get_or_404(CatalogRule, rule_id)
    form = RuleForm(obj=rule)
    if request.method == "GET":
        form.reason.data = ""
    if form.validate_on_submit():
        try:
            services.update_rule(rule, form.value.data, reason=form.reason.data)
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for("catalog.items"))
    return render_template("catalog/rule_edit.html", rule=rule, form=form)
