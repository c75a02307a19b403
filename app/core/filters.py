"""Jinja filters and globals shared by every template."""
from __future__ import annotations

from flask import current_app, session
from flask_login import current_user

from app.core.ids import mask_id_number, mask_name
from app.core.timeutil import format_date, format_datetime


def register(app) -> None:
    app.jinja_env.filters["dt"] = format_datetime
    app.jinja_env.filters["d"] = format_date
    app.jinja_env.filters["mask_id"] = mask_id_number
    app.jinja_env.filters["mask_name"] = mask_name

    @app.context_processor
    def layout_context():
        from app.core.navigation import nav_groups
        return {"site_name": current_app.config["SITE_NAME"], "nav_groups": nav_groups(current_user),
                "languages": current_app.config["LANGUAGES"], "current_lang": current_language()}


def current_language() -> str:
    """The chosen language code ("zh_CN" or "en"), as the locale selector decides it."""
    lang = session.get("lang")
    return lang if lang in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]
