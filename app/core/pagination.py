"""One way to paginate a select() everywhere."""
from __future__ import annotations

from flask import current_app, request

from app.extensions import db


def paginate(stmt, per_page: int | None = None):
    """Paginate a SQLAlchemy select for the current request's ``page`` argument (404 past the end)."""
    return db.paginate(
        stmt,
        page=request.args.get("page", 1, type=int),
        per_page=per_page or current_app.config["PAGE_SIZE"],
        max_per_page=200,
        error_out=True,
    )
