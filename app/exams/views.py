"""Item statistics pages (the bank's editors)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Response, render_template, request

from app.accounts.models import Role
from app.accounts.permissions import role_required
from app.catalog.models import CatalogItem
from app.core.xlsx import XLSX_MIME, workbook_bytes
from app.exams import bp
from app.exams.cli import STATS_COLUMNS, stats_rows
from app.exams.services import item_report
from app.extensions import db
from app.questions.models import Question


def _items_with_questions():
    return db.session.scalars(sa.select(CatalogItem).where(
        sa.exists().where(Question.item_id == CatalogItem.id)).order_by(CatalogItem.sort_order)).all()


@bp.route("/exams/item-stats")
@role_required(Role.ADMIN)
def item_stats():
    items = _items_with_questions()
    item_id = request.args.get("item", type=int) or (items[0].id if items else None)
    rows = item_report(item_id) if item_id else []
    return render_template("exams/item_stats.html", items=items, item_id=item_id, rows=rows)


@bp.route("/exams/item-stats.xlsx")
@role_required(Role.ADMIN)
def item_stats_export():
    item_id = request.args.get("item", type=int)
    rows = item_report(item_id) if item_id else []
    data = workbook_bytes("题目统计", STATS_COLUMNS, stats_rows(rows))
    return Response(data, mimetype=XLSX_MIME, headers={"Content-Disposition": "attachment; filename*=UTF-8''item-stats.xlsx"})


@bp.route("/terminal")
def terminal():
    """The candidates' exam terminal (kiosk). Public: the candidate logs in on the page itself."""
    return render_template("exams/terminal.html")
