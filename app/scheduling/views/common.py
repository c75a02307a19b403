"""Helpers shared by the scheduling resource and session pages."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import abort, request, url_for
from flask_babel import gettext as _

from app.accounts.models import Role, User
from app.catalog.models import CatalogItem
from app.core.timeutil import local_today
from app.extensions import db
from app.scheduling import ical
from app.scheduling.models import (
    ExamSession,
)

OFFICE = (Role.ADMIN, Role.SCHEDULER)
STAFF_ROLES = (Role.PROCTOR, Role.EXAMINER)
SESSION_FILTERS = ("from", "to", "kind", "room", "state", "item")



# ---- helpers ---------------------------------------------------------------------------------

def _items(practical_only: bool = False) -> list[CatalogItem]:
    """Active catalogue items in catalogue order (only those with a practical exam if asked)."""
    stmt = sa.select(CatalogItem).where(CatalogItem.is_active).order_by(CatalogItem.sort_order, CatalogItem.id)
    if practical_only:
        stmt = stmt.where(CatalogItem.practical_required)
    return db.session.scalars(stmt).all()


def _items_by_id(ids) -> list[CatalogItem]:
    """The catalogue items with these ids, in catalogue order."""
    if not ids:
        return []
    return db.session.scalars(sa.select(CatalogItem).where(CatalogItem.id.in_(list(ids)))
                              .order_by(CatalogItem.sort_order, CatalogItem.id)).all()


def _form_errors(form) -> str:
    """Every field error of a form, in one line for a flash message."""
    return "；".join(str(e) for errors in form.errors.values() for e in errors) or _("提交的内容不完整。")


def _parse_day(text: str | None) -> dt.date | None:
    """A YYYY-MM-DD query argument, or None when missing or malformed."""
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def _year_arg() -> int:
    """The ?year= argument (this year by default); 404 outside 2000–2100."""
    year = request.args.get("year", type=int) or local_today().year
    if not 2000 <= year <= 2100:
        abort(404)
    return year


def feed_url(kind: str, obj_id: int) -> str:
    """The full URL of a room's or a staff member's iCalendar feed, with its signed token."""
    key = "room_id" if kind == "room" else "user_id"
    return url_for(f"scheduling.ical_{kind}", **{key: obj_id, f"{kind}_token": ical.ical_token(kind, obj_id)},
                   _external=True)


def _staff_user_or_404(user_id: int) -> User:
    """A proctor or examiner; anyone else is not on the staff pages."""
    user = db.get_or_404(User, user_id)
    if not user.has_role(*STAFF_ROLES):
        abort(404)
    return user


def _session_or_404(session_id: int) -> ExamSession:
    """The exam session, or 404."""
    return db.get_or_404(ExamSession, session_id)
