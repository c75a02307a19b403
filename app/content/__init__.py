"""The public emergency-culture portal (应急文化): public pages, the editors' workflow, the campaign
calendar, the broadcast schedule and public quizzes."""
from flask import Blueprint

bp = Blueprint("content", __name__, template_folder="templates", url_prefix="/culture")

from app.content import views  # noqa: E402,F401  (the view modules register their routes)
