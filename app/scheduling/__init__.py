"""Resources, exam sessions, registration, allocation, admission tickets and check-in."""
from flask import Blueprint

bp = Blueprint("scheduling", __name__, template_folder="templates")

from app.scheduling import views  # noqa: E402,F401  (the view modules register their routes)
