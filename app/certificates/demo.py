"""Demo certificates: a few issued certificates (one due for review, one revoked, one cancelled)
so that the register, the portals and the verification page have something to show."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app.catalog.models import CatalogItem
from app.certificates import services
from app.certificates.models import Certificate
from app.core.timeutil import local_today
from app.extensions import db
from app.people.models import Person


def load_demo_certificates(n: int = 12) -> int:
    """Issue ``n`` demo certificates to the first people (skipped when any certificate exists)."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)):
        return 0
    item = db.session.scalar(sa.select(CatalogItem).where(CatalogItem.name == "低压电工作业"))
    people = db.session.scalars(sa.select(Person).order_by(Person.id).limit(n)).all()
    if item is None or not people:
        return 0
    settings = services.get_settings()
    today = local_today()
    made = []
    for i, person in enumerate(people):
        issued = today - dt.timedelta(days=30 + 97 * i)  # spread: the oldest are due for review
        made.append(services.create_certificate(person, item, passed_on=issued - dt.timedelta(days=10), session_id=None,
                                                today=issued, settings=settings))
    if len(made) > 2:
        services.revoke_certificate(made[1], "unfit", "演示：体检不合格，不适合继续从事电工作业")
        services.cancel_certificate(made[2], "requested", "演示：本人申请注销")
    return len(made)
