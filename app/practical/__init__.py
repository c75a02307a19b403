"""Practical (hands-on) exams: rubrics, the task draw, examiners' score sheets, sign-off and results."""
from flask import Blueprint

bp = Blueprint("practical", __name__, template_folder="templates")

from app.practical import views  # noqa: E402,F401  (registers the routes)
