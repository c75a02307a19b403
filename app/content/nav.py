"""Navigation entries of the editors' pages (merged into app.core.navigation)."""
from flask_babel import lazy_gettext as _l

from app.accounts.models import Role
from app.core.navigation import NavItem

_EDITORS = frozenset({Role.EDITOR, Role.ADMIN})
CONTENT_NAV = [
    NavItem(_l("内容统计"), "content.dashboard", _EDITORS),
    NavItem(_l("内容管理"), "content.admin_items", _EDITORS),
    NavItem(_l("宣传日历"), "content.admin_events", _EDITORS),
    NavItem(_l("应急广播"), "content.broadcast", _EDITORS),
    NavItem(_l("公众门户"), "content.home", _EDITORS),
]
