"""Test fixtures: one app per run, a committed baseline world, and each test in a
transaction that is rolled back. TEST_DATABASE_URL switches from SQLite to PostgreSQL."""
from __future__ import annotations

import io
import os

import pytest
from PIL import Image

from app import create_app
from app.accounts import services as account_services
from app.accounts.models import Role
from app.catalog.services import load_catalog
from app.extensions import db, limiter
from app.people.photos import store_photo
from tests import factories

PASSWORD = "Test-pass-2026"


def database_url(tmp_path_factory, name: str = "app") -> str:
    """SQLite file per run; on PostgreSQL a database per purpose and per xdist worker."""
    url = os.environ.get("TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if url:
        if name == "app" and not worker:
            return url
        return factories.pg_database(url, f"{name}_{worker}" if worker else name)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / (name + '.db')}"


def make_app(url: str, upload_root: str, **extra):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "UPLOAD_ROOT": upload_root,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
    }
    config.update(extra)
    return create_app(config)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = make_app(database_url(tmp_path_factory), str(tmp_path_factory.mktemp("uploads")))
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.session.configure(join_transaction_mode="create_savepoint")
        _build_world(app)
        db.session.commit()
        db.session.remove()
    return app


class World:
    """Ids of the baseline objects every test can use (never mutated by tests)."""


def _build_world(app) -> None:
    load_catalog()
    emp_a = factories.employer("阜新测试电力有限公司")
    emp_b = factories.employer("阜新另一家机械有限公司")
    db.session.flush()
    pa = factories.person(employer=emp_a, name="王建国")
    pb = factories.person(employer=emp_b, name="李秀英")
    db.session.flush()
    buf = io.BytesIO()
    Image.new("RGB", (300, 400), (200, 180, 160)).save(buf, "JPEG")
    pa.photo_file = store_photo(app.config["UPLOAD_ROOT"], buf.getvalue())
    users = {}
    for role in Role:
        links = {}
        if role is Role.EMPLOYER:
            links["employer_id"] = emp_a.id
        if role is Role.CANDIDATE:
            links["person_id"] = pa.id
        users[role] = account_services.create_user(f"t_{role}", f"测试{role.label}", PASSWORD, {role}, **links).id
    _baseline_bank()
    World.users = users
    World.employer_a, World.employer_b = emp_a.id, emp_b.id
    World.person_a, World.person_b = pa.id, pb.id


def _baseline_bank() -> None:
    """Two questions and a draft blueprint, so every question and blueprint page has a real object."""
    from app.catalog.services import item_by_name
    from app.papers.services import save_blueprint
    from app.questions import services as qservices
    from app.questions.records import build_record

    qservices.load_knowledge_points("低压电工作业", ["法规/证书", "急救/心肺复苏"])
    raws = [{"type": "判断", "stem": "特种作业人员必须经专门的安全技术培训并考核合格，取得操作证后方可上岗作业。",
             "answer": "对", "knowledge_point": "法规/证书"},
            {"type": "单选", "stem": "成人胸外按压的频率为每分钟（  ）次。",
             "options": ["60～80", "80～100", "100～120", "120～140"],
             "answer": "C", "knowledge_point": "急救/心肺复苏"}]
    records = []
    for i, raw in enumerate(raws, start=1):
        rec, errors = build_record({"explanation": "依据有关规定。", "difficulty": 1, "items": "低压电工作业",
                                    "source": "市级", "pool": "考试", "id": f"W-{i:04d}", **raw}, i)
        assert not errors, errors
        records.append(rec)
    assert not qservices.import_records(records, activate=True, source_name="world").errors
    save_blueprint(item_by_name("低压电工作业"), {"sections": [{"type": "判断", "count": 100, "points": 1}]})


@pytest.fixture(scope="session")
def world(app):
    return World


@pytest.fixture(autouse=True)
def _transaction(request, app):
    """Every test runs inside one outer transaction that is rolled back afterwards."""
    if "browser" in request.keywords or "no_db_transaction" in request.keywords:
        yield
        return
    # No app context is held during the test: each request gets its own, as in production.
    with app.app_context():
        engines = db.engines  # this app's dict; swapping its entry outlives the context
    engine = engines[None]
    conn = engine.connect()
    outer = conn.begin()
    engines[None] = conn
    try:
        yield
    finally:
        with app.app_context():
            db.session.remove()
        engines[None] = engine
        outer.rollback()
        conn.close()
    limiter.reset()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login(client, world):
    """login(role) → the client, logged in as the baseline user with that role."""
    from app.accounts.models import User
    from app.db import utcnow

    def _login(role: Role, c=None):
        c = c or client
        with app_ctx(c):
            user = db.session.get(User, world.users[role])
            ident = user.get_id()
        with c.session_transaction() as sess:
            sess["_user_id"] = ident
            sess["_fresh"] = True
            sess["last_seen"] = utcnow().timestamp()
        return c

    return _login


def app_ctx(c):
    return c.application.app_context()


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield
