"""Blueprint pages (组卷方案): versions per item, a version's detail with the bank check, activation
and a trial paper that is never kept, and the form for a new version. Admins only (考教分离)."""
from __future__ import annotations

from collections import Counter, defaultdict

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role
from app.accounts.permissions import role_required
from app.catalog.models import CatalogItem
from app.core.errors import DomainError
from app.core.forms import apply_domain_error
from app.extensions import db
from app.papers import bp, services
from app.papers.assembly import LEVELS, QTYPES
from app.papers.forms import ActionForm, ActivateForm, BlueprintForm
from app.papers.models import Blueprint, BlueprintStatus, Paper
from app.questions.models import KnowledgePoint, Question


def _top_points(item_id: int) -> list[str]:
    """The item's first-level knowledge points, in order (what blueprints' rules name)."""
    return list(db.session.scalars(sa.select(KnowledgePoint.name).where(
        KnowledgePoint.item_id == item_id, KnowledgePoint.parent_id.is_(None))
        .order_by(KnowledgePoint.sort_order, KnowledgePoint.id)))


@bp.route("/blueprints")
@role_required(Role.ADMIN)
def blueprints():
    items = db.session.scalars(sa.select(CatalogItem).order_by(CatalogItem.sort_order, CatalogItem.id)).all()
    by_item = defaultdict(list)
    for blueprint in db.session.scalars(sa.select(Blueprint).order_by(Blueprint.version.desc())):
        by_item[blueprint.item_id].append(blueprint)
    return render_template("papers/blueprints.html", items=items, by_item=by_item)


def _detail(blueprint: Blueprint, check: tuple[bool, str] | None = None):
    return render_template("papers/blueprint_detail.html", blueprint=blueprint, check=check,
                           activate_form=ActivateForm(), action_form=ActionForm())


@bp.route("/blueprints/<int:blueprint_id>")
@role_required(Role.ADMIN)
def blueprint_detail(blueprint_id: int):
    return _detail(db.get_or_404(Blueprint, blueprint_id))


@bp.route("/blueprints/<int:blueprint_id>/check")
@role_required(Role.ADMIN)
def blueprint_check(blueprint_id: int):
    """Read-only: can today's active exam bank fill this blueprint?"""
    blueprint = db.get_or_404(Blueprint, blueprint_id)
    try:
        services.check_blueprint(blueprint)
    except DomainError as exc:
        return _detail(blueprint, check=(False, exc.message))
    return _detail(blueprint, check=(True, _("题库满足此方案，可以组卷。")))


@bp.route("/blueprints/<int:blueprint_id>/activate", methods=["POST"])
@role_required(Role.ADMIN)
def blueprint_activate(blueprint_id: int):
    blueprint = db.get_or_404(Blueprint, blueprint_id)
    form = ActivateForm()
    if not form.validate_on_submit():
        flash(_("请填写启用原因。"), "danger")
    elif blueprint.status == BlueprintStatus.ACTIVE:
        flash(_("此版本已经是启用状态。"), "info")
    else:
        try:
            services.activate_blueprint(blueprint, actor=current_user, reason=form.reason.data)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("已启用第 %(n)d 版，此项目的其他版本已停用。", n=blueprint.version), "success")
    return redirect(url_for("papers.blueprint_detail", blueprint_id=blueprint.id))


def _trial_summary(blueprint: Blueprint, paper: Paper) -> dict:
    """Plain values describing a drawn paper, read before the paper is rolled back."""
    versions = [pq.version for pq in paper.questions]
    keys = dict(db.session.execute(sa.select(Question.id, Question.external_key).where(
        Question.id.in_({v.question_id for v in versions}))).all())
    questions = [{"position": pq.position, "points": pq.points, "order": list(pq.option_order),
                  "qtype": v.qtype, "stem": v.stem, "options": list(v.options), "answer": v.answer,
                  "kp": v.knowledge_point.path, "difficulty": v.difficulty, "key": keys.get(v.question_id, "")}
                 for pq, v in zip(paper.questions, versions)]
    types = Counter(v.qtype for v in versions)
    kps = Counter(v.knowledge_point.top for v in versions)
    rules = {r["kp"]: r for r in blueprint.spec.get("kp_rules", [])}
    tops = _top_points(blueprint.item_id)
    return {"seed": paper.seed, "total": sum(pq.points for pq in paper.questions), "questions": questions,
            "types": [(t, types[t]) for t in QTYPES if types[t]],
            "difficulty": [(d, Counter(v.difficulty for v in versions)[d]) for d in LEVELS],
            "kps": [(name, kps[name], rules.get(name)) for name in tops + sorted(set(kps) - set(tops))]}


@bp.route("/blueprints/<int:blueprint_id>/trial", methods=["POST"])
@role_required(Role.ADMIN)
def blueprint_trial(blueprint_id: int):
    """Assemble one paper to look at; it is rolled back, so nothing is kept."""
    blueprint = db.get_or_404(Blueprint, blueprint_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        summary = _trial_summary(blueprint, services.assemble_paper(blueprint))
    except DomainError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("papers.blueprint_detail", blueprint_id=blueprint.id))
    finally:
        db.session.rollback()
    return render_template("papers/trial.html", blueprint=blueprint, trial=summary)


# ---- new version ----------------------------------------------------------------------------

def _prefill(item: CatalogItem, base: Blueprint | None) -> dict:
    """Form data from ``base`` (or the item's defaults), with a row per first-level knowledge point."""
    spec = base.spec if base else {"sections": [], "kp_rules": []}
    by_type = {s["type"]: s for s in spec["sections"]}
    sections = []
    for qtype in QTYPES:
        section = by_type.get(qtype, {})
        points = section.get("points")
        if points and float(points).is_integer():
            points = int(points)  # "1", not "1.0", in the form
        row = {"count": section.get("count"), "points": points}
        for level in LEVELS:
            row[f"d{level}_min"], row[f"d{level}_max"] = section.get("difficulty", {}).get(str(level), (None, None))
        sections.append(row)
    rules = {r["kp"]: r for r in spec["kp_rules"]}
    tops = _top_points(item.id)
    names = tops + [name for name in rules if name not in tops]
    return {"name": base.name if base else _("%(item)s理论考试", item=item.name), "sections": sections,
            "kp_rules": [{"name": n, "min": rules.get(n, {}).get("min"), "max": rules.get(n, {}).get("max")}
                         for n in names],
            "duration_minutes": base.duration_minutes if base else item.theory_minutes,
            "pass_mark": base.pass_mark if base else item.pass_mark,
            "show_result_immediately": base.show_result_immediately if base else True,
            "note": base.note if base else ""}


def _base_version(item: CatalogItem) -> Blueprint | None:
    """The version to start from: ?from=<id> of this item, else the active one, else the newest."""
    chosen = db.session.get(Blueprint, request.args.get("from", 0, type=int))
    if chosen is not None and chosen.item_id == item.id:
        return chosen
    return services.active_blueprint(item.id) or db.session.scalar(
        sa.select(Blueprint).where(Blueprint.item_id == item.id).order_by(Blueprint.version.desc()).limit(1))


@bp.route("/blueprints/items/<int:item_id>/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def blueprint_new(item_id: int):
    item = db.get_or_404(CatalogItem, item_id)
    base = _base_version(item)
    form = BlueprintForm(data=None if request.method == "POST" else _prefill(item, base))
    if form.validate_on_submit():
        try:
            blueprint, created = services.save_blueprint(item, form.document(), actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            if created:
                flash(_("已保存为第 %(n)d 版（草稿）。检查题库后即可启用。", n=blueprint.version), "success")
            else:
                flash(_("与最新的第 %(n)d 版完全相同，没有新建版本。", n=blueprint.version), "info")
            return redirect(url_for("papers.blueprint_detail", blueprint_id=blueprint.id))
    return render_template("papers/blueprint_form.html", form=form, item=item, base=base, qtypes=QTYPES)
