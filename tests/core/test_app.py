import os
import stat

import pytest
import sqlalchemy as sa

from app import create_app


def test_healthz_ok(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database(tmp_path):
    broken = create_app({"TESTING": True, "SECRET_KEY": "x",
                         "SQLALCHEMY_DATABASE_URI": "postgresql://nobody@127.0.0.1:1/none",
                         "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}}})
    r = broken.test_client().get("/healthz")
    assert r.status_code == 503
    assert r.get_json() == {"status": "error", "database": "error"}


def test_security_headers(client):
    r = client.get("/")
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"]


def test_error_pages_are_chinese_and_api_errors_json(client):
    r = client.get("/no-such-page")
    assert r.status_code == 404
    assert "页面不存在" in r.get_data(as_text=True)
    r = client.get("/api/v1/nothing")
    assert r.status_code == 404
    assert r.get_json()["error"]["code"] == "http_404"
    assert "不存在" in r.get_json()["error"]["message"]


def test_request_too_large_gets_413(app, client):
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    r = client.post("/login", data=big, content_type="application/octet-stream")
    assert r.status_code == 413
    assert "太大" in r.get_data(as_text=True)


def test_first_run_writes_a_private_secret_key(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app1 = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    cfg = tmp_path / "inst" / "config.py"
    assert cfg.exists()
    assert stat.S_IMODE(os.stat(cfg).st_mode) == 0o600
    app2 = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app1.config["SECRET_KEY"] == app2.config["SECRET_KEY"] and len(app1.config["SECRET_KEY"]) > 40


def test_sqlite_pragmas(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    app = create_app({"SECRET_KEY": "x"})
    from app.extensions import db
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    assert str(tmp_path / "app.db") in app.config["SQLALCHEMY_DATABASE_URI"]


def test_language_switch_to_english(client):
    r = client.post("/lang", data={"lang": "en", "next": "/login"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    page = client.get("/login").get_data(as_text=True)
    assert "Log in" in page
    client.post("/lang", data={"lang": "zh_CN"})
    assert "登录" in client.get("/login").get_data(as_text=True)


@pytest.mark.no_db_transaction
def test_database_backup_sqlite(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    app = create_app({"SECRET_KEY": "x"})
    from app.extensions import db
    with app.app_context():
        with db.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x int)")
            conn.exec_driver_sql("INSERT INTO t VALUES (42)")
    result = app.test_cli_runner().invoke(args=["db", "backup", str(tmp_path / "b.db")])
    assert result.exit_code == 0, result.output
    copy = sa.create_engine(f"sqlite:///{tmp_path / 'b.db'}")
    with copy.connect() as conn:
        assert conn.exec_driver_sql("SELECT x FROM t").scalar() == 42


@pytest.mark.parametrize("query", ["page=99999999999999999999", "employer=99999999999999999999"])
def test_a_number_too_large_for_the_database_is_a_400_not_a_500(client, login, query):
    from app.accounts.models import Role
    login(Role.SCHEDULER)
    r = client.get(f"/schedule/registrations?{query}")
    assert r.status_code == 400
    assert "超出允许范围" in r.get_data(as_text=True)
