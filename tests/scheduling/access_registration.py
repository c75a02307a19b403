"""Access decisions for the registration, review, allocation, ticket, check-in and notice pages,
merged into the matrix of tests/test_access.py. Object-level rules are in test_views_registration.py."""
from __future__ import annotations

from app.accounts.models import Role
from app.catalog.services import item_by_name
from app.core.timeutil import local_today
from app.extensions import db
from app.scheduling.models import Registration

A, S, P, E, EM, C = Role.ADMIN, Role.SCHEDULER, Role.PROCTOR, Role.EXAMINER, Role.EMPLOYER, Role.CANDIDATE

ACCESS = {
    "scheduling.register": {A, S, EM},
    "scheduling.person_records": {A, S, EM},
    "scheduling.registrations": {A, S, EM, C},
    "scheduling.registrations_review": {A, S},
    "scheduling.registration_detail": {A, S, EM, C},
    "scheduling.registration_cancel": {A, S, EM},
    "scheduling.registration_move": {A, S},
    "scheduling.allocation": {A, S},
    "scheduling.allocation_apply": {A, S},
    "scheduling.ticket_pdf": {A, S, EM, C},
    "scheduling.employer_tickets": {A, S, EM},
    "scheduling.session_tickets": {A, S},
    "scheduling.notices": {EM, C},
    "scheduling.duty_today": {A, S, P, E},
    "scheduling.checkin_desk": {A, S, P},
    "scheduling.checkin_roster": {A, S, P},
    "scheduling.sheet_xlsx": {A, S, P},
    "scheduling.sheet_pdf": {A, S, P},
}


def sample_registration(world) -> int:
    """A submitted registration of the baseline candidate (employer A's staff) (committed)."""
    reg = Registration(person_id=world.person_a, item_id=item_by_name("低压电工作业").id, part="theory",
                       employer_id=world.employer_a, requested_date=local_today())
    db.session.add(reg)
    db.session.commit()
    return reg.id


# session_id: the one sample session of access_resources.py (with the baseline proctor on duty)
SAMPLE_ARGS = {"reg_id": sample_registration}
