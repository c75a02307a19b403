"""The portal's pages: public (no login) and the editors' (editor and admin)."""
from app.content.views import broadcast, editor, public  # noqa: F401
