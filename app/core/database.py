"""Engine set-up: SQLite pragmas and write transactions that take the lock up front."""
from __future__ import annotations

import contextvars

from flask import has_request_context, request
from sqlalchemy import event

# Outside a request (CLI, jobs) assume a write; in a request, only unsafe methods write.
_force_deferred = contextvars.ContextVar("force_deferred", default=False)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


_force_immediate = contextvars.ContextVar("force_immediate", default=False)


def write_intent() -> None:
    """Mark this request as writing, for the transactions it begins from now on (a GET that may
    finish an expired attempt): on SQLite they take the lock up front instead of upgrading later."""
    _force_immediate.set(True)


def _wants_write_lock() -> bool:
    if _force_immediate.get():
        return True
    if _force_deferred.get():
        return False
    if has_request_context():
        return request.method not in READ_METHODS
    return True


def configure_engine(engine, busy_timeout_ms: int) -> None:
    """On SQLite: foreign keys, WAL, synchronous=FULL and a busy timeout on every
    connection, and ``BEGIN IMMEDIATE`` for write transactions, so that concurrent
    writers queue for the lock instead of failing with "database is locked"."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write_lock() else "BEGIN")
