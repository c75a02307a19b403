"""Theory exam attempts, grading and item statistics. (Terminal delivery arrives with exam delivery.)"""
from flask import Blueprint

bp = Blueprint("exams", __name__, template_folder="templates")

from app.exams import views, views_console  # noqa: E402,F401
