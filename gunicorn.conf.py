"""gunicorn reads this file from the working directory (`gunicorn wsgi:app`); the command line overrides it.

The application is imported once, in the master, and the workers are forked from it: they start at
once instead of each importing the whole application (about 2.5 s of CPU each), which matters most
when the server comes back after a crash while every terminal of a room is waiting to resend.
"""
preload_app = True


def post_fork(server, worker):
    """No database connection may cross a fork: drop whatever the master's pools hold (normally none)."""
    from app.extensions import db
    from wsgi import app
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
