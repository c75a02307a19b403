"""Home, health check, language switch and the audit log browser."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user

from app.accounts.models import Role
from app.accounts.permissions import role_required
from app.core import bp
from app.core.audit import AuditEntry
from app.core.navigation import nav_for  # noqa: F401
from app.core.pagination import paginate
from app.core.timeutil import LOCAL_TZ
from app.extensions import db


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return render_template("core/welcome.html")
    return render_template("core/index.html", nav=nav_for(current_user))


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
        db.session.rollback()
    except Exception:  # noqa: BLE001 - any failure means the database is not reachable
        current_app.logger.exception("health check: database unreachable")
        db.session.rollback()
        return jsonify(status="error", database="error"), 503
    return jsonify(status="ok", database="ok")


@bp.route("/lang", methods=["POST"])
def set_language():
    code = request.form.get("lang", "")
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    target = request.form.get("next") or ""
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("core.index")
    return redirect(target)


def _parse_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.route("/admin/audit")
@role_required(Role.ADMIN)
def audit_log():
    f = {k: (request.args.get(k) or "").strip() for k in ("action", "object_type", "object_id", "actor")}
    start, end = _parse_date(request.args.get("start")), _parse_date(request.args.get("end"))
    stmt = sa.select(AuditEntry).order_by(AuditEntry.seq.desc())
    if f["action"]:
        stmt = stmt.where(AuditEntry.action.like(f["action"] + "%"))
    if f["object_type"]:
        stmt = stmt.where(AuditEntry.object_type == f["object_type"])
    if f["object_id"]:
        stmt = stmt.where(AuditEntry.object_id == f["object_id"])
    if f["actor"]:
        stmt = stmt.where(AuditEntry.actor_name.like(f"%{f['actor']}%"))
    if start:
        stmt = stmt.where(AuditEntry.created_at >= dt.datetime.combine(start, dt.time(), LOCAL_TZ))
    if end:
        stmt = stmt.where(AuditEntry.created_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), LOCAL_TZ))
    types = db.session.scalars(sa.select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)).all()
    return render_template("core/audit_log.html", page=paginate(stmt), f=f, types=types,
                           start=request.args.get("start", ""), end=request.args.get("end", ""))
