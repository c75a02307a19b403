"""The question bank: types, versions, import/export, checker, authoring, item statistics."""
from flask import Blueprint

bp = Blueprint("questions", __name__, template_folder="templates")

from app.questions import views  # noqa: E402,F401
