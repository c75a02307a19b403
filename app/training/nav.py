"""Navigation entries of the training pages (merged into app.core.navigation)."""
from flask_babel import lazy_gettext as _l

from app.accounts.models import Role
from app.core.navigation import NavItem

TRAINING_NAV: list = [
    NavItem(_l("课程"), "training.courses", frozenset({Role.ADMIN, Role.SCHEDULER, Role.TRAINER})),
    NavItem(_l("培训班"), "training.classes", frozenset({Role.ADMIN, Role.SCHEDULER, Role.TRAINER, Role.EMPLOYER})),
    NavItem(_l("我的培训"), "training.my_training", frozenset({Role.CANDIDATE})),
    NavItem(_l("模拟练习"), "training.practice_home", frozenset({Role.CANDIDATE})),
]
