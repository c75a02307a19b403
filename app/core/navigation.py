"""The navigation bar, by role. Domains add their entries; the layout shows what the user may open."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.accounts.models import Role


@dataclass(frozen=True)
class NavItem:
    label: object
    endpoint: str
    roles: frozenset


NAV: list[NavItem] = [
    NavItem(_l("人员"), "people.people", frozenset({Role.ADMIN, Role.SCHEDULER, Role.EMPLOYER})),
    NavItem(_l("单位"), "people.employers", frozenset({Role.ADMIN, Role.SCHEDULER})),
    NavItem(_l("本单位"), "people.my_employer", frozenset({Role.EMPLOYER})),
    NavItem(_l("批量导入"), "people.import_people", frozenset({Role.ADMIN, Role.SCHEDULER, Role.EMPLOYER})),
    NavItem(_l("考核项目"), "catalog.items", frozenset({Role.ADMIN, Role.SCHEDULER})),
    NavItem(_l("题库"), "questions.index", frozenset({Role.ADMIN})),
    NavItem(_l("组卷方案"), "papers.blueprints", frozenset({Role.ADMIN})),
    NavItem(_l("用户"), "accounts.users", frozenset({Role.ADMIN})),
    NavItem(_l("审计日志"), "core.audit_log", frozenset({Role.ADMIN})),
    NavItem(_l("成绩查询"), "exams.my_results", frozenset({Role.EMPLOYER, Role.CANDIDATE})),
]


GROUPS = [  # (label, blueprints) in menu order
    (_l("人员与单位"), ("people",)),
    (_l("考务"), ("scheduling", "practical")),
    (_l("培训"), ("training",)),
    (_l("题库"), ("questions", "papers", "exams")),
    (_l("证书"), ("certificates",)),
    (_l("应急文化"), ("content",)),
    (_l("系统"), ("catalog", "accounts", "core")),
]


@dataclass(frozen=True)
class NavGroup:
    label: object
    items: list


def nav_groups(user) -> list[NavGroup]:
    """The user's menu, grouped by area; an area with one entry shows as a plain link."""
    items = nav_for(user)
    groups = []
    for label, blueprints in GROUPS:
        mine = [i for i in items if i.endpoint.split(".", 1)[0] in blueprints]
        if mine:
            groups.append(NavGroup(label, mine))
    return groups


def nav_for(user) -> list[NavItem]:
    if not user.is_authenticated:
        return []
    from app.certificates.nav import CERTIFICATES_NAV
    from app.content.nav import CONTENT_NAV
    from app.practical.nav import PRACTICAL_NAV
    from app.scheduling.nav import SCHEDULING_NAV
    from app.training.nav import TRAINING_NAV
    views = current_app.view_functions
    every = NAV + SCHEDULING_NAV + PRACTICAL_NAV + TRAINING_NAV + CERTIFICATES_NAV + CONTENT_NAV
    return [item for item in every if item.endpoint in views and user.has_role(*item.roles)]
