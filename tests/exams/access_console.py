"""Access decisions for the proctor console, publishing, key correction and the results page, merged
into tests/test_access.py. The console's object rule (proctors and examiners only when on duty) is
tested in test_console.py; the sample session (access_resources.py) has the baseline proctor on duty,
not the examiner. version_id comes from test_access.py's own samples."""
from app.accounts.models import Role

A, S, P, EM, C = Role.ADMIN, Role.SCHEDULER, Role.PROCTOR, Role.EMPLOYER, Role.CANDIDATE

ACCESS = {
    "exams.console": {A, S, P},
    "exams.console_data": {A, S, P},
    "exams.console_action": {A, S, P},
    "exams.publish_results": {A, S},
    "exams.correct_key": {A},
    "exams.my_results": {EM, C},
}
