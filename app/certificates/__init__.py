"""Certificates: issue, lifecycle, signed QR, PDF and public verification."""
from flask import Blueprint

bp = Blueprint("certificates", __name__, template_folder="templates")
api_bp = Blueprint("certificates_api", __name__, url_prefix="/api/v1/certificates")

from app.certificates import views  # noqa: E402,F401  (the view modules register their routes)
