"""Permissions in one place: role_required() for views and object-level loaders."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from app.accounts.models import Role
from app.extensions import login_manager


def role_required(*roles: Role):
    """Let the view run only for a logged-in, active user holding one of ``roles``.

    Anonymous users are sent to the login page (JSON 401 on the API); others get 403.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = frozenset(roles)
        return wrapped

    return decorator


login_required = role_required()


def can_manage_person(user, person) -> bool:
    """Admins and schedulers manage everyone; an employer user only its own staff."""
    if user.has_role(Role.ADMIN, Role.SCHEDULER):
        return True
    if user.has_role(Role.EMPLOYER):
        return user.employer_id is not None and person.employer_id == user.employer_id
    return False


def can_view_person(user, person) -> bool:
    if can_manage_person(user, person):
        return True
    if user.has_role(Role.PROCTOR, Role.EXAMINER):
        return True  # identity checks at the door and at the station
    return user.person_id is not None and user.person_id == person.id
