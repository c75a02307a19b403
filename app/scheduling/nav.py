"""Navigation entries of the scheduling pages (merged into app.core.navigation.NAV)."""
from app.core.navigation import NavItem  # noqa: F401

SCHEDULING_NAV: list = []

# ---- resources, sessions, calendar, capacity, iCalendar (views/resources.py) -------------------
# The month/week calendar and the capacity page are reached from the sessions page.
from flask_babel import lazy_gettext as _l  # noqa: E402

from app.accounts.models import Role  # noqa: E402

_OFFICE = frozenset({Role.ADMIN, Role.SCHEDULER})
SCHEDULING_NAV += [
    NavItem(_l("考试场次"), "scheduling.sessions", _OFFICE),
    NavItem(_l("考场"), "scheduling.rooms", _OFFICE),
    NavItem(_l("考务人员"), "scheduling.staff", _OFFICE),
    NavItem(_l("休息日设置"), "scheduling.calendar_days", _OFFICE),
    NavItem(_l("我的场次"), "scheduling.my_sessions", frozenset({Role.PROCTOR, Role.EXAMINER})),
]

# ---- registration, review, allocation, tickets, check-in, notices (views/registration.py, views/checkin.py) ----
SCHEDULING_NAV += [
    NavItem(_l("考试报名"), "scheduling.register", frozenset({Role.ADMIN, Role.SCHEDULER, Role.EMPLOYER})),
    NavItem(_l("报名记录"), "scheduling.registrations",
            frozenset({Role.ADMIN, Role.SCHEDULER, Role.EMPLOYER, Role.CANDIDATE})),
    NavItem(_l("排考"), "scheduling.allocation", _OFFICE),
    NavItem(_l("今日场次"), "scheduling.duty_today", frozenset({Role.ADMIN, Role.SCHEDULER, Role.PROCTOR, Role.EXAMINER})),
    NavItem(_l("通知"), "scheduling.notices", frozenset({Role.EMPLOYER, Role.CANDIDATE})),
]
