"""Candidates and employers."""
from flask import Blueprint

bp = Blueprint("people", __name__, template_folder="templates")

from app.people import views  # noqa: E402,F401
