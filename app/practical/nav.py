"""Navigation entries of the practical pages (merged into app.core.navigation)."""
from flask_babel import lazy_gettext as _l

from app.accounts.models import Role
from app.core.navigation import NavItem

PRACTICAL_NAV: list = [
    NavItem(_l("实操考评"), "practical.stations", frozenset({Role.ADMIN, Role.SCHEDULER, Role.EXAMINER})),
    NavItem(_l("实操成绩"), "practical.my_results", frozenset({Role.EMPLOYER, Role.CANDIDATE})),
]
