"""Training: courses and their versions, classes, attendance and hours, online lessons, practice."""
from flask import Blueprint

bp = Blueprint("training", __name__, template_folder="templates", static_folder="static",
               static_url_path="/training/static")

from app.training import views  # noqa: E402,F401  (the view modules register their routes)
