"""Helpers shared by every form."""
from __future__ import annotations

from flask import flash

from app.core.errors import DomainError


def apply_domain_error(form, exc: DomainError) -> None:
    """Show a service's refusal next to the field it names, or as a flash message."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = list(field.errors) + [exc.message]
    else:
        flash(exc.message, "danger")
