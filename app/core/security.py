"""Security headers and the session rules applied to every request."""
from __future__ import annotations

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from app.db import utcnow

CSP = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
OPEN_ENDPOINTS = {"accounts.logout", "accounts.change_password", "static", "core.set_language",
                  "core.healthz", "bootstrap.static"}


def add_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("Permissions-Policy", "geolocation=(), microphone=()")
    if current_user and getattr(current_user, "is_authenticated", False):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def enforce_session_rules():
    """Idle timeout for staff, and a forced password change when an admin reset it."""
    if not current_user.is_authenticated or request.endpoint in OPEN_ENDPOINTS:
        return None
    now = utcnow().timestamp()
    if current_user.is_staff:
        limit = current_app.config["STAFF_IDLE_TIMEOUT_MINUTES"] * 60
        last = session.get("last_seen")
        if last is not None and now - float(last) > limit:
            logout_user()
            session.clear()
            flash(_("长时间未操作，已自动退出，请重新登录。"), "warning")
            return redirect(url_for("accounts.login", next=request.path if request.method == "GET" else None))
    session["last_seen"] = now
    if current_user.must_change_password:
        flash(_("管理员重置了您的密码，请先设置新密码。"), "warning")
        return redirect(url_for("accounts.change_password"))
    return None
