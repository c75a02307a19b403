"""What every domain needs: errors, time, ids, audit, pagination, the layout's views."""
from flask import Blueprint

bp = Blueprint("core", __name__, template_folder="templates")

from app.core import views  # noqa: E402,F401
