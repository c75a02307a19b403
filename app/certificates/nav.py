"""Navigation entries of the certificate pages (merged into app.core.navigation.NAV)."""
from flask_babel import lazy_gettext as _l

from app.accounts.models import Role
from app.core.navigation import NavItem

CERTIFICATES_NAV = [
    NavItem(_l("证书"), "certificates.register", frozenset({Role.ADMIN})),
    NavItem(_l("待发证"), "certificates.proposals", frozenset({Role.ADMIN})),
    NavItem(_l("证书批量打印"), "certificates.print_jobs", frozenset({Role.ADMIN})),
    NavItem(_l("证书设置"), "certificates.settings", frozenset({Role.ADMIN})),
    NavItem(_l("员工证书"), "certificates.employer", frozenset({Role.EMPLOYER})),
    NavItem(_l("我的证书"), "certificates.mine", frozenset({Role.CANDIDATE})),
    NavItem(_l("证书核验"), "certificates.lookup", frozenset({Role.ADMIN, Role.EMPLOYER})),
]
