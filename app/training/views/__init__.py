"""Training pages, one module per area."""
from app.training.views import classes, courses, learn, practice  # noqa: F401
