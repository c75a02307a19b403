"""Blueprints (组卷方案), paper assembly and paper snapshots."""
from flask import Blueprint

bp = Blueprint("papers", __name__, template_folder="templates")

from app.papers import views  # noqa: E402,F401
