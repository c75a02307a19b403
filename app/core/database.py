"""Engine set-up: SQLite pragmas and write transactions that take the lock up front."""
from __future__ import annotations

import contextlib
import contextvars
import fcntl
import os
import time

from flask import g, has_request_context, request
from sqlalchemy import event

# Outside a request (CLI, jobs) assume a write; in a request, only unsafe methods write.
_force_deferred = contextvars.ContextVar("force_deferred", default=False)
_force_immediate = contextvars.ContextVar("force_immediate", default=False)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def write_intent() -> None:
    """Mark this request as writing, for the transactions it begins from now on (a GET that may
    finish an expired attempt): on SQLite they take the lock up front instead of upgrading later.
    Kept on the request (``g``), not on the thread: a worker serves its next request in the same
    thread, and that request must not inherit the mark."""
    if has_request_context():
        g._write_intent = True
    else:
        _force_immediate.set(True)


@contextlib.contextmanager
def deferred():
    """Transactions begun in the block take no write lock up front on SQLite (outside a request too)."""
    token = _force_deferred.set(True)
    try:
        yield
    finally:
        _force_deferred.reset(token)


@contextlib.contextmanager
def read_only():
    """Run the block in a read transaction — on SQLite it takes no write lock, even in a POST — and
    end it afterwards, so that the request's next statement begins a (short) write transaction."""
    from app.extensions import db
    try:
        with deferred():
            yield
    finally:
        db.session.rollback()


def _wants_write_lock() -> bool:
    if has_request_context():
        if g.get("_write_intent"):
            return True
        if _force_deferred.get():
            return False
        return request.method not in READ_METHODS
    if _force_immediate.get():
        return True
    return not _force_deferred.get()


class WriterLock:
    """One SQLite writer at a time across threads and processes, handed over without a pause.

    SQLite lets a writer that finds the database locked sleep in growing steps (1, 2, 5 … 100 ms) and
    retry, so under many concurrent writers the lock sits free while every waiter sleeps. Writers
    therefore queue on an advisory lock file first (``<database>-writer``), polled every fraction of a
    millisecond, and release it right after COMMIT; SQLite's own lock then never has to wait.
    One instance per connection (an open file description each, so threads exclude each other too).
    A waiter gives up after the busy timeout and lets SQLite decide, as before."""

    def __init__(self, path: str):
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self.held = False

    def acquire(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        delay = 0.0001
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.held = True
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return  # SQLite's busy timeout applies from here
                time.sleep(delay)
                delay = min(delay * 1.5, 0.001)

    def release(self) -> None:
        if self.held:
            self.held = False
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def close(self) -> None:
        self.release()
        os.close(self.fd)


def configure_engine(engine, busy_timeout_ms: int) -> None:
    """On SQLite: foreign keys, WAL, synchronous=FULL and a busy timeout on every
    connection, and ``BEGIN IMMEDIATE`` for write transactions, so that concurrent
    writers queue for the lock instead of failing with "database is locked"; for a database
    file, writers queue on a ``WriterLock`` first and release it as soon as they commit."""
    if engine.dialect.name != "sqlite":
        return
    path = engine.url.database
    lock_path = f"{path}-writer" if path and path != ":memory:" and not path.startswith("file:") else None

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn, record):
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()
        if lock_path:
            record.info["writer_lock"] = WriterLock(lock_path)

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        if not _wants_write_lock():
            conn.exec_driver_sql("BEGIN")
            return
        lock = conn.info.get("writer_lock")
        if lock is not None:
            lock.acquire(busy_timeout_ms / 1000)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except Exception:
            if lock is not None:
                lock.release()
            raise

    def _end(conn, statement: str) -> None:
        # End the transaction here, then let the next writer in at once; the driver's own
        # commit()/rollback() that follows finds no transaction open and does nothing.
        lock = conn.info.get("writer_lock")
        if lock is None or not lock.held:
            return
        try:
            dbapi_conn = conn.connection.dbapi_connection
            if dbapi_conn.in_transaction:
                dbapi_conn.execute(statement)
        finally:
            lock.release()

    event.listen(engine, "commit", lambda conn: _end(conn, "COMMIT"))
    event.listen(engine, "rollback", lambda conn: _end(conn, "ROLLBACK"))

    @event.listens_for(engine.pool, "checkin")
    def on_checkin(dbapi_conn, record):
        lock = record.info.get("writer_lock") if record is not None else None
        if lock is not None:
            lock.release()  # a transaction left without commit or rollback must not keep the queue

    @event.listens_for(engine.pool, "close")
    def on_close(dbapi_conn, record):
        lock = record.info.pop("writer_lock", None) if record is not None else None
        if lock is not None:
            lock.close()
