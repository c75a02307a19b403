"""gunicorn wsgi:app"""
import gc

from app import create_app

app = create_app()
# Everything built at start-up (the app, its models, templates, SQLAlchemy's caches) lives as long as
# the process: keep it out of the garbage collector's full passes, which otherwise walk it all and
# pause the worker (~100 ms) in the middle of requests.
gc.freeze()
