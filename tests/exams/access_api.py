"""Access decisions for the terminal page and API, merged into tests/test_access.py."""
ACCESS = {
    "exams.terminal": "public",
    "api.terminal_login": "public",  # an empty body gets 400; the credentials are the ticket and ID numbers
    "api.openapi": "public",
    "api.attempt": "token",
    "api.save_answer": "token",
    "api.heartbeat": "token",
    "api.submit": "token",
}

SAMPLE_ARGS = {"position": lambda world: 1}
