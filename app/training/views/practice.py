"""Practice pages (phone-friendly): by knowledge point, the wrong-answer book and mock exams.
Practice-pool questions only (see app.training.practice)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts.permissions import role_required
from app.catalog.models import CatalogItem
from app.core.errors import DomainError
from app.db import utcnow
from app.extensions import db
from app.questions.types import kind
from app.training import bp
from app.training import practice as svc
from app.training.forms import ReviewForm
from app.training.models import MockExam
from app.training.views.common import C, my_person


def _item_or_404(item_id: int) -> CatalogItem:
    item = db.get_or_404(CatalogItem, item_id)
    if not item.is_active:
        abort(404)
    return item


@bp.route("/training/practice")
@role_required(C)
def practice_home():
    """模拟练习: the items with a practice pool, and the open wrong-answer book."""
    person = my_person()
    return render_template("training/practice_home.html", items=svc.practice_items(),
                           wrong=len(svc.wrong_book(person.id)))


@bp.route("/training/practice/<int:item_id>")
@role_required(C)
def practice_item(item_id: int):
    """Progress per knowledge point, and the ways to practise this item."""
    item = _item_or_404(item_id)
    person = my_person()
    mocks = db.session.query(MockExam).filter(MockExam.person_id == person.id, MockExam.item_id == item.id) \
        .order_by(MockExam.id.desc()).limit(10).all()
    return render_template("training/practice_item.html", item=item, progress=svc.kp_progress(person.id, item.id),
                           wrong=len(svc.wrong_book(person.id, item.id)), mocks=mocks, form=ReviewForm())


def _question_context(item, found, mode: str, kp: str) -> dict:
    question, version, path = found
    return {"item": item, "question": question, "version": version, "path": path, "mode": mode, "kp": kp,
            "type_label": kind(version.qtype).label, "form": ReviewForm()}


@bp.route("/training/practice/<int:item_id>/question", methods=["GET", "POST"])
@role_required(C)
def practice_question(item_id: int):
    """One question at a time: by knowledge point (mode=kp, ?kp=) or from the wrong-answer book (mode=wrong).
    POST grades the answer and shows the key and explanation."""
    item = _item_or_404(item_id)
    person = my_person()
    mode = request.values.get("mode", "kp")
    kp = (request.values.get("kp") or "")[:200]
    if mode not in ("kp", "wrong"):
        abort(404)
    if request.method == "POST":
        form = ReviewForm()
        found = svc.practice_question(item.id, request.form.get("question_id", type=int) or 0)
        if found is None or not form.validate_on_submit():
            abort(404)
        raw = request.form.getlist("answer")
        try:
            row = svc.answer(person.id, item.id, *found, raw, mode=mode)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "warning")
            return render_template("training/practice_question.html", **_question_context(item, found, mode, kp))
        db.session.commit()
        return render_template("training/practice_question.html", answered=row,
                               key_label=kind(found[1].qtype).key_label(found[1].effective_answer),
                               **_question_context(item, found, mode, kp))
    found = svc.next_wrong(person.id, item.id) if mode == "wrong" else svc.next_question(person.id, item.id, kp)
    if found is None:
        flash(_("错题本已清空，做得好！") if mode == "wrong" else _("这个知识点还没有练习题。"), "info")
        return redirect(url_for("training.practice_item", item_id=item.id))
    return render_template("training/practice_question.html", **_question_context(item, found, mode, kp))


@bp.route("/training/practice/wrong")
@role_required(C)
def wrong_book():
    """错题本: questions missed and not yet answered right twice in a row."""
    person = my_person()
    entries = svc.wrong_book(person.id)
    rows = [(e, svc.practice_question(e.item_id, e.question_id)) for e in entries]
    items = {i.id: i for i, _n in svc.practice_items()}
    return render_template("training/wrong_book.html", rows=[(e, f) for e, f in rows if f], items=items,
                           need=svc.RIGHT_TO_CLEAR)


@bp.route("/training/practice/<int:item_id>/mock", methods=["POST"])
@role_required(C)
def mock_start(item_id: int):
    item = _item_or_404(item_id)
    person = my_person()
    if not ReviewForm().validate_on_submit():
        abort(400)
    try:
        mock = svc.start_mock(person.id, item)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("training.practice_item", item_id=item.id))
    db.session.commit()
    return redirect(url_for("training.mock_paper", mock_id=mock.id))


def _my_mock_or_404(mock_id: int) -> MockExam:
    mock = db.get_or_404(MockExam, mock_id)
    if mock.person_id != my_person().id:
        abort(404)
    return mock


@bp.route("/training/mock/<int:mock_id>", methods=["GET", "POST"])
@role_required(C)
def mock_paper(mock_id: int):
    """The timed mock paper; submitting (or the timer running out) grades it and shows the result."""
    mock = _my_mock_or_404(mock_id)
    rows = svc.mock_versions(mock)
    if request.method == "POST" and mock.is_open:
        if not ReviewForm().validate_on_submit():
            abort(400)
        raw = {v.id: request.form.getlist(f"q{v.id}") for _e, v, _p in rows}
        svc.submit_mock(mock, raw)
        db.session.commit()
        return redirect(url_for("training.mock_paper", mock_id=mock.id))
    remaining = max(0, int((mock.deadline_at - utcnow()).total_seconds()))
    return render_template("training/mock.html", mock=mock, rows=rows, remaining=remaining, form=ReviewForm(),
                           kinds={v.qtype: kind(v.qtype) for _e, v, _p in rows})
