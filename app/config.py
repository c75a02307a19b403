"""Configuration in layers: these defaults, then instance/config.py, then the environment,
then the test_config handed to create_app(). Every setting is listed in README.md."""
from __future__ import annotations

import os


class Config:
    SITE_NAME = "安全教育考核培训基地"
    SECRET_KEY: str | None = None
    # Set in create_app(): sqlite file in instance/ unless DATABASE_URL is given.
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SQLITE_BUSY_TIMEOUT_MS = 5000
    # The terminal's autosave and heartbeat answered in front of Flask (app/exams/fastlane.py).
    EXAM_FAST_LANE = True
    EXAM_GRACE_SECONDS = 30  # writes accepted this long after the deadline (a save in flight)

    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh_CN": "中文", "en": "English"}

    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session; exam-day pages stay open for hours

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    STAFF_IDLE_TIMEOUT_MINUTES = 30
    TRUSTED_PROXIES = 0  # how many reverse proxies in front set X-Forwarded-For

    # Flask-Limiter: memory by default; REDIS_URL switches to Redis so all workers share counts.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = False
    LOGIN_FAIL_LIMIT = "5 per 15 minutes"

    BOOTSTRAP_SERVE_LOCAL = True
    BOOTSTRAP_BOOTSWATCH_THEME = None

    PHOTO_MAX_BYTES = 5 * 1024 * 1024
    PHOTO_MIN_SIDE = 120
    PHOTO_MAX_SIDE = 8000
    PHOTO_STORE_SIDE = 600  # stored photos are scaled down to fit this box
    IMPORT_MAX_ROWS = 5000
    PAGE_SIZE = 50


ENV_SETTINGS = {
    # environment variable: (config key, parser)
    "SECRET_KEY": ("SECRET_KEY", str),
    "DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "REDIS_URL": ("REDIS_URL", str),
    "SITE_NAME": ("SITE_NAME", str),
    "SESSION_COOKIE_SECURE": ("SESSION_COOKIE_SECURE", lambda v: v.lower() in {"1", "true", "yes"}),
    "STAFF_IDLE_TIMEOUT_MINUTES": ("STAFF_IDLE_TIMEOUT_MINUTES", int),
    "TRUSTED_PROXIES": ("TRUSTED_PROXIES", int),
    "MAX_CONTENT_LENGTH": ("MAX_CONTENT_LENGTH", int),
}


def from_environment() -> dict:
    """Settings read from the environment, parsed; unknown variables are ignored."""
    out = {}
    for var, (key, parse) in ENV_SETTINGS.items():
        raw = os.environ.get(var)
        if raw not in (None, ""):
            out[key] = parse(raw)
    return out


def normalise_database_url(url: str) -> str:
    """Let people write postgresql:// or postgres:// and still get the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
