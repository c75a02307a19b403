"""The certificate pages: public verification, the certifying officer's pages, the portals."""
from app.certificates.views import admin, portal, public  # noqa: F401
