"""`flask db upgrade` on an empty database leaves nothing for autogenerate to find."""
import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from tests.factories import pg_database

ROOT = Path(__file__).resolve().parents[2]


def _empty_databases(tmp_path):
    yield "sqlite", f"sqlite:///{tmp_path / 'mig.db'}"
    if os.environ.get("TEST_DATABASE_URL"):
        worker = os.environ.get("PYTEST_XDIST_WORKER", "")
        yield "postgresql", pg_database(os.environ["TEST_DATABASE_URL"], f"migrations_{worker}" if worker else "migrations")


@pytest.mark.no_db_transaction
def test_upgrade_head_matches_the_models(tmp_path):
    checked = []
    for name, url in _empty_databases(tmp_path):
        app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            with db.engine.connect() as conn:
                ctx = MigrationContext.configure(conn, opts={"compare_type": True})
                diff = compare_metadata(ctx, db.metadata)
            db.engine.dispose()
        assert diff == [], f"{name}: models and migrations differ: {diff}"
        checked.append(name)
    if os.environ.get("TEST_DATABASE_URL"):
        assert checked == ["sqlite", "postgresql"]
