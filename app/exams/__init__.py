"""Theory exam attempts, grading and item statistics. (Terminal delivery arrives with exam delivery.)"""
from flask import Blueprint

bp = Blueprint("exams", __name__, template_folder="templates")

from app.exams import views, views_console  # noqa: E402,F401
from app.exams.delivery import on_check_in  # noqa: E402
from app.scheduling.signals import checked_in  # noqa: E402

checked_in.connect(on_check_in)
