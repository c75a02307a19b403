"""Every model module, imported once so the metadata is complete."""
from app.accounts import models as accounts_models  # noqa: F401
from app.catalog import models as catalog_models  # noqa: F401
from app.core import audit  # noqa: F401
from app.people import models as people_models  # noqa: F401
