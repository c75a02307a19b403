"""Operation categories and items, 三项岗位 industries, and their rules."""
from flask import Blueprint

bp = Blueprint("catalog", __name__, template_folder="templates")

from app.catalog import views  # noqa: E402,F401
