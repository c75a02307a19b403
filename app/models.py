"""Every model module, imported once so the metadata is complete."""
from app.accounts import models as accounts_models  # noqa: F401
from app.catalog import models as catalog_models  # noqa: F401
from app.certificates import models as certificates_models  # noqa: F401,E402
from app.content import models as content_models  # noqa: F401
from app.core import audit  # noqa: F401
from app.exams import models as exams_models  # noqa: F401,E402
from app.papers import models as papers_models  # noqa: F401,E402
from app.people import models as people_models  # noqa: F401
from app.practical import models as practical_models  # noqa: F401,E402
from app.questions import models as questions_models  # noqa: F401,E402
from app.scheduling import models as scheduling_models  # noqa: F401,E402
from app.training import models as training_models  # noqa: F401,E402
