"""The application factory: config → extensions → blueprints → CLI."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, request

from app.config import Config, from_environment, normalise_database_url


def _ensure_secret_key(instance: Path) -> None:
    """Write a random SECRET_KEY to instance/config.py (mode 0600) on first run."""
    cfg = instance / "config.py"
    if cfg.exists() and "SECRET_KEY" in cfg.read_text(encoding="utf-8"):
        return
    fd = os.open(cfg, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write("# Written on first run. Keep it secret; changing it logs everybody out.\n")
        fh.write(f"SECRET_KEY = {secrets.token_urlsafe(48)!r}\n")
    os.chmod(cfg, 0o600)


def create_app(test_config: dict | None = None) -> Flask:
    # INSTANCE_PATH moves instance/ (config.py, app.db, keys, uploads) elsewhere, e.g. a data volume.
    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH") or None, instance_relative_config=True)
    app.config.from_object(Config)
    app.json.ensure_ascii = False
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    env = from_environment()
    if not (test_config and test_config.get("SECRET_KEY")) and "SECRET_KEY" not in env:
        _ensure_secret_key(instance)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(env)
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'app.db'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A file cannot drop the connection: no liveness check (one more statement) at each checkout.
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options.pop("pool_pre_ping", None)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if app.config.get("REDIS_URL") and app.config["RATELIMIT_STORAGE_URI"] == "memory://":
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    app.config.setdefault("UPLOAD_ROOT", str(instance / "uploads"))

    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix
        n = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    _init_extensions(app)
    _register_blueprints(app)
    _register_hooks(app)
    _register_cli(app)
    if app.config["EXAM_FAST_LANE"]:
        _install_fast_lane(app)
    return app


def _install_fast_lane(app: Flask) -> None:
    """The terminal's autosave and heartbeat answered in front of Flask (see app.exams.fastlane)."""
    from app.exams.api import sweep_due
    from app.exams.fastlane import TerminalFastLane
    from app.extensions import db
    with app.app_context():
        engines = db.engines  # this app's dict (tests swap its entry for a connection)
    app.wsgi_app = TerminalFastLane(app.wsgi_app, engines, app.config, sweep_due)


def _select_locale():
    from app.core.filters import current_language
    return current_language() if request else None


def _init_extensions(app: Flask) -> None:
    from app.core.database import configure_engine
    from app.extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale,
                   default_translation_directories=str(Path(app.root_path).parent / "translations"))
    bootstrap.init_app(app)
    limiter.init_app(app)

    from app.accounts.views import load_user
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"

    # Import every model so metadata (and Alembic autogenerate) sees all tables.
    import app.models  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from app.accounts import bp as accounts_bp
    from app.catalog import bp as catalog_bp
    from app.certificates import api_bp as certificates_api_bp
    from app.certificates import bp as certificates_bp
    from app.content import bp as content_bp
    from app.core import bp as core_bp
    from app.exams import bp as exams_bp
    from app.exams.api import api as api_bp
    from app.papers import bp as papers_bp
    from app.people import bp as people_bp
    from app.practical import bp as practical_bp
    from app.questions import bp as questions_bp
    from app.scheduling import bp as scheduling_bp
    from app.training import bp as training_bp

    for bp in (core_bp, accounts_bp, people_bp, catalog_bp, questions_bp, papers_bp, exams_bp, scheduling_bp, api_bp,
               practical_bp, training_bp, certificates_bp, certificates_api_bp, content_bp):
        app.register_blueprint(bp)


def _register_hooks(app: Flask) -> None:
    from app.core import filters
    from app.core.errors import register_error_handlers
    from app.core.security import add_security_headers, enforce_session_rules

    register_error_handlers(app)
    app.before_request(enforce_session_rules)
    app.after_request(add_security_headers)
    filters.register(app)


def _register_cli(app: Flask) -> None:
    from app.accounts.cli import accounts_cli
    from app.catalog.cli import catalog_cli
    from app.certificates.cli import certificates_cli
    from app.content.cli import content_cli
    from app.core.cli import audit_cli, register_db_commands
    from app.demo import demo_cli
    from app.exams.cli import exams_cli  # also adds `flask questions stats`
    from app.papers.cli import papers_cli
    from app.practical.cli import rubrics_cli
    from app.questions.cli import questions_cli
    from app.scheduling.cli import schedule_cli
    from app.training.cli import training_cli

    for group in (accounts_cli, catalog_cli, audit_cli, demo_cli, questions_cli, papers_cli, schedule_cli, exams_cli,
                  rubrics_cli, training_cli, certificates_cli, content_cli):
        app.cli.add_command(group)
    register_db_commands()
