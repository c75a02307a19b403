"""SQLite writers queue on the advisory lock file: many concurrent writers, none refused with
"database is locked", the lock handed over at COMMIT/ROLLBACK, and readers never queue."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from app.core.database import WriterLock, configure_engine


@pytest.fixture
def engine(tmp_path):
    eng = sa.create_engine(f"sqlite:///{tmp_path / 'w.db'}", pool_size=10)
    configure_engine(eng, busy_timeout_ms=20_000)
    with eng.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
        conn.exec_driver_sql("INSERT INTO counter VALUES (1, 0)")
    yield eng
    eng.dispose()


def test_concurrent_read_modify_write_loses_nothing(engine):
    """Read-then-write in one transaction from 8 threads: with the lock taken up front no update is lost."""
    errors = []

    def work():
        try:
            for _ in range(50):
                with engine.begin() as conn:
                    n = conn.exec_driver_sql("SELECT n FROM counter WHERE id = 1").scalar()
                    conn.exec_driver_sql("UPDATE counter SET n = ? WHERE id = 1", (n + 1,))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT n FROM counter").scalar() == 400


def test_the_lock_is_released_at_commit_and_at_rollback(engine, tmp_path):
    probe = WriterLock(str(tmp_path / "w.db") + "-writer")
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE counter SET n = n + 1")
            probe.acquire(0.05)
            assert not probe.held  # the writer holds it
        probe.acquire(0.05)
        assert probe.held
        probe.release()
        conn = engine.connect()
        trans = conn.begin()
        conn.exec_driver_sql("UPDATE counter SET n = n + 1")
        trans.rollback()
        probe.acquire(0.05)
        assert probe.held
        probe.release()
        conn.close()
    finally:
        probe.close()


def test_a_connection_returned_mid_transaction_frees_the_queue(engine, tmp_path):
    conn = engine.connect()
    conn.begin()
    conn.exec_driver_sql("UPDATE counter SET n = n + 1")
    conn.close()  # closed without commit: rolled back, lock freed
    probe = WriterLock(str(tmp_path / "w.db") + "-writer")
    try:
        probe.acquire(0.05)
        assert probe.held
    finally:
        probe.close()
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT n FROM counter").scalar() == 0


def test_readers_do_not_queue_behind_a_writer(engine):
    from app.core import database
    writer = engine.connect()
    writer.begin()
    writer.exec_driver_sql("UPDATE counter SET n = 5")
    token = database._force_deferred.set(True)
    try:
        with engine.connect() as reader:
            assert reader.exec_driver_sql("SELECT n FROM counter").scalar() == 0  # WAL: the committed value
    finally:
        database._force_deferred.reset(token)
        writer.rollback()
        writer.close()


def test_write_intent_lasts_one_request_only(app):
    """A GET that may write marks itself; the worker's next GET (same thread) reads without the lock."""
    from app.core import database
    with app.test_request_context("/a", method="GET"):
        assert not database._wants_write_lock()
        database.write_intent()
        assert database._wants_write_lock()
    with app.test_request_context("/b", method="GET"):
        assert not database._wants_write_lock()
    with app.test_request_context("/c", method="POST"):
        assert database._wants_write_lock()
