"""Question bank pages: list and filters, bulk status, detail with versions and diffs, the authoring
form, import and export. Admins only: trainers never see the exam pool (考教分离)."""
from __future__ import annotations

import difflib

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from app.accounts.models import Role
from app.accounts.permissions import role_required
from app.catalog.models import CatalogItem
from app.core.errors import DomainError
from app.core.forms import apply_domain_error
from app.core.pagination import paginate
from app.core.xlsx import XLSX_MIME
from app.extensions import db
from app.questions import bp, exporting, services
from app.questions.bankfiles import parse_upload
from app.questions.forms import (
    COLUMN_FIELDS,
    OPTION_LETTERS,
    BulkStatusForm,
    ImportForm,
    QuestionEditForm,
    QuestionForm,
    StatusForm,
)
from app.questions.models import KnowledgePoint, Question, QuestionStatus, QuestionVersion, question_items
from app.questions.records import TABLE_COLUMNS, build_record
from app.questions.types import kind

FILTERS = ("item", "kp", "qtype", "difficulty", "status", "pool", "q")
YAML_MIME = "application/yaml"


# ---- list, filters, export, bulk status ----------------------------------------------------

def _filters() -> dict:
    return {name: (request.args.get(name) or "").strip() for name in FILTERS}


def _question_query(f: dict):
    """The questions matching the list's filters, on their current version."""
    stmt = (sa.select(Question).join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
            .join(KnowledgePoint, KnowledgePoint.id == QuestionVersion.knowledge_point_id))
    if f["item"].isdigit():
        item_id = int(f["item"])
        stmt = stmt.where(Question.id.in_(sa.select(question_items.c.question_id)
                                          .where(question_items.c.item_id == item_id)))
        if f["kp"]:
            stmt = stmt.where(KnowledgePoint.item_id == item_id, sa.or_(
                KnowledgePoint.path == f["kp"], KnowledgePoint.path.startswith(f["kp"] + "/", autoescape=True)))
    if f["qtype"]:
        stmt = stmt.where(QuestionVersion.qtype == f["qtype"])
    if f["difficulty"].isdigit():
        stmt = stmt.where(QuestionVersion.difficulty == int(f["difficulty"]))
    if f["status"]:
        stmt = stmt.where(Question.status == f["status"])
    if f["pool"]:
        stmt = stmt.where(Question.pool == f["pool"])
    if f["q"]:
        stmt = stmt.where(sa.or_(QuestionVersion.stem.contains(f["q"], autoescape=True),
                                 Question.external_key.contains(f["q"].upper(), autoescape=True)))
    return stmt.order_by(Question.id)


def _current_versions(stmt) -> dict[int, QuestionVersion]:
    """The current versions of the questions ``stmt`` selects, in one query (no per-row loads)."""
    ids = stmt.with_only_columns(Question.current_version_id).order_by(None)
    return {v.id: v for v in db.session.scalars(sa.select(QuestionVersion).where(QuestionVersion.id.in_(ids)))}


def _items() -> list[CatalogItem]:
    return db.session.scalars(sa.select(CatalogItem).order_by(CatalogItem.sort_order, CatalogItem.id)).all()


def _kp_choices(item: str) -> list[KnowledgePoint]:
    if not item.isdigit():
        return []
    return db.session.scalars(sa.select(KnowledgePoint).where(KnowledgePoint.item_id == int(item))
                              .order_by(KnowledgePoint.sort_order, KnowledgePoint.id)).all()


@bp.route("/questions")
@role_required(Role.ADMIN)
def index():
    f = _filters()
    page = paginate(_question_query(f))
    page_ids = sa.select(Question).where(Question.id.in_([q.id for q in page.items]))
    return render_template("questions/index.html", page=page, f=f, versions=_current_versions(page_ids),
                           filter_args={k: v for k, v in f.items() if v},
                           items=_items(), kps=_kp_choices(f["item"]), bulk_form=BulkStatusForm())


def _export(filename: str, mimetype: str) -> Response:
    stmt = _question_query(_filters())
    _current_versions(stmt)  # loads them into the session, so record_of() finds them without a query each
    data = exporting.export_bytes(db.session.scalars(stmt.limit(50000)).all(), filename)
    return Response(data, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{filename}"})


@bp.route("/questions/export.xlsx")
@role_required(Role.ADMIN)
def export_xlsx():
    return _export("questions.xlsx", XLSX_MIME)


@bp.route("/questions/export.yaml")
@role_required(Role.ADMIN)
def export_yaml():
    return _export("questions.yaml", YAML_MIME)


def _form_errors(form) -> str:
    return "；".join(str(e) for errors in form.errors.values() for e in errors)


def _status_message(status: str, n: int) -> str:
    if status == QuestionStatus.ACTIVE:
        return _("已启用 %(n)d 道题。", n=n)
    return _("已停用 %(n)d 道题。", n=n)


@bp.route("/questions/bulk-status", methods=["POST"])
@role_required(Role.ADMIN)
def bulk_status():
    form = BulkStatusForm()
    back = url_for("questions.index", **{k: v for k, v in request.args.items() if k in FILTERS})
    if not form.validate_on_submit():
        flash(_form_errors(form), "danger")
        return redirect(back)
    questions = db.session.scalars(sa.select(Question).where(Question.id.in_(form.ids.data))).all()
    try:
        n = services.set_status(questions, QuestionStatus(form.status.data), actor=current_user,
                                reason=form.reason.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_status_message(form.status.data, n), "success")
    return redirect(back)


# ---- detail, versions, status ---------------------------------------------------------------

@bp.route("/questions/<int:question_id>")
@role_required(Role.ADMIN)
def detail(question_id: int):
    question = db.get_or_404(Question, question_id)
    status_form = StatusForm(status="retired" if question.status == QuestionStatus.ACTIVE else "active")
    return render_template("questions/detail.html", question=question, current=question.current,
                           status_form=status_form)


def _fields(v: QuestionVersion) -> list[tuple[str, str, bool]]:
    """(label, value, is long text) of everything a version carries, in display order."""
    qkind = kind(v.qtype)
    rows = [(_("题型"), qkind.label, False), (_("题干"), v.stem, True)]
    rows += [(_("选项 %(letter)s", letter=letter), v.options[i] if i < len(v.options) else "", True)
             for i, letter in enumerate(OPTION_LETTERS)]
    rows += [(_("答案"), qkind.key_label(v.answer), False), (_("解析"), v.explanation, True),
             (_("知识点"), v.knowledge_point.path, False), (_("难度"), str(v.difficulty), False),
             (_("来源"), v.source, False), (_("题图"), v.stem_image or "", False)]
    return rows


def text_diff(old: str, new: str) -> Markup:
    """Character diff of two texts as escaped HTML with <del>/<ins> (Chinese has no word breaks)."""
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape(old[i1:i2]))
        if op in ("delete", "replace"):
            out.append(Markup("<del>%s</del>") % old[i1:i2])
        if op in ("insert", "replace"):
            out.append(Markup("<ins>%s</ins>") % new[j1:j2])
    return Markup("").join(out)


def _diff_rows(previous: QuestionVersion, version: QuestionVersion) -> list[dict]:
    rows = []
    for (label, old, is_text), (_label, new, _t) in zip(_fields(previous), _fields(version)):
        if old != new:
            rows.append({"label": label, "old": old, "new": new, "diff": text_diff(old, new) if is_text else None})
    return rows


@bp.route("/questions/<int:question_id>/versions/<int:version_id>")
@role_required(Role.ADMIN)
def version(question_id: int, version_id: int):
    question = db.get_or_404(Question, question_id)
    shown = db.get_or_404(QuestionVersion, version_id)
    if shown.question_id != question.id:
        abort(404)
    previous = next((v for v in question.versions if v.version_no == shown.version_no - 1), None)
    return render_template("questions/version.html", question=question, version=shown, previous=previous,
                           changes=_diff_rows(previous, shown) if previous else None)


@bp.route("/questions/<int:question_id>/status", methods=["POST"])
@role_required(Role.ADMIN)
def set_status(question_id: int):
    question = db.get_or_404(Question, question_id)
    form = StatusForm()
    if not form.validate_on_submit():
        flash(_form_errors(form), "danger")
        return redirect(url_for("questions.detail", question_id=question.id))
    try:
        n = services.set_status([question], QuestionStatus(form.status.data), actor=current_user,
                                reason=form.reason.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_status_message(form.status.data, n) if n else _("状态没有变化。"), "success")
    return redirect(url_for("questions.detail", question_id=question.id))


# ---- authoring ------------------------------------------------------------------------------

def _prepare(form, owner: CatalogItem):
    form.knowledge_point.choices = [("", _("请选择"))] + [(p, p) for p in services.leaf_paths(owner.id)]
    form.items.choices = [(i.name, i.name) for i in _items() if i.id != owner.id]
    return form


def _form_data(question: Question) -> dict:
    rec = services.record_of(question)
    data = {"qtype": rec.qtype, "stem": rec.stem, "answer": kind(rec.qtype).key_label(rec.answer),
            "explanation": rec.explanation, "knowledge_point": rec.knowledge_point,
            "difficulty": str(rec.difficulty), "source": rec.source, "pool": rec.pool, "items": rec.items[1:]}
    data.update({f"option_{c.lower()}": o for c, o in zip(OPTION_LETTERS, rec.options)})
    return data


def _show_errors(form, errors) -> None:
    """build_record's and the services' RowErrors next to the fields they name."""
    for e in errors:
        apply_domain_error(form, DomainError(e.message, field=COLUMN_FIELDS.get(e.column)))


@bp.route("/questions/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new():
    owner = db.session.get(CatalogItem, request.args.get("item_id", 0, type=int))
    if owner is None:
        return render_template("questions/choose_item.html", items=_items())
    form = _prepare(QuestionForm(), owner)
    preview = None
    if form.validate_on_submit():
        rec, errors = build_record(form.raw(owner.name), _("表单"))
        if rec is not None and form.preview.data:
            preview = rec
        elif rec is not None:
            question, errors = services.create_question(rec, actor=current_user, note=form.change_note.data or "")
            if not errors:
                db.session.commit()
                flash(_("已保存草稿 %(key)s。启用后才会进入组卷。", key=question.external_key), "success")
                return redirect(url_for("questions.detail", question_id=question.id))
            db.session.rollback()
        _show_errors(form, errors)
    return render_template("questions/form.html", form=form, owner=owner, question=None, preview=preview)


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit(question_id: int):
    question = db.get_or_404(Question, question_id)
    owner = question.item
    form = _prepare(QuestionEditForm(data=None if request.method == "POST" else _form_data(question)), owner)
    preview = None
    if form.validate_on_submit():
        rec, errors = build_record(form.raw(owner.name, question.external_key), question.external_key)
        if rec is not None and form.preview.data:
            preview = rec
        elif rec is not None:
            saved, errors = services.edit_question(question, rec, actor=current_user, note=form.change_note.data)
            if not errors:
                db.session.commit()
                flash(_("已保存，当前为第 %(n)d 版。", n=saved.version_no) if saved else _("没有改动。"), "success")
                return redirect(url_for("questions.detail", question_id=question.id))
            db.session.rollback()
        _show_errors(form, errors)
    return render_template("questions/form.html", form=form, owner=owner, question=question, preview=preview)


# ---- import ---------------------------------------------------------------------------------

def _import(upload, activate: bool):
    """(result or None, errors): parse then import, all or nothing. Raises DomainError for an unreadable file."""
    parsed = parse_upload(upload.filename or "", upload.read())
    if parsed.errors or not parsed.records:
        return None, parsed.errors
    result = services.import_records(parsed.records, activate=activate, source_name=upload.filename or "",
                                     actor=current_user)
    return result, result.errors


@bp.route("/questions/import", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def import_questions():
    form = ImportForm()
    errors = None
    if form.validate_on_submit():
        try:
            result, errors = _import(form.file.data, activate=form.mode.data == "active")
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, DomainError(exc.message, field="file"))
        else:
            if result is not None and not errors:
                db.session.commit()
                flash(_("导入完成：新增 %(c)d 题，生成新版本 %(v)d 题，未变 %(u)d 题。", c=result.created,
                        v=result.new_versions, u=result.unchanged), "success")
                return redirect(url_for("questions.import_questions"))
            db.session.rollback()
    return render_template("questions/import.html", form=form, errors=errors, columns=TABLE_COLUMNS)


@bp.route("/questions/import/template.xlsx")
@role_required(Role.ADMIN)
def import_template():
    return Response(exporting.template_bytes(), mimetype=XLSX_MIME,
                    headers={"Content-Disposition": "attachment; filename*=UTF-8''questions-template.xlsx"})
