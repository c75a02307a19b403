"""Scheduling pages, one module per area."""
from app.scheduling.views import checkin, registration, resources, sessions  # noqa: F401
