"""The shipped culture/ content: it passes the check with the coverage the portal promises, and the
demo loads it once (a second load changes nothing)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.content import loader
from app.content.demo import load_content_demo
from app.content.models import BroadcastSlot, ContentItem, QuizQuestion
from app.content.rules import HAZARDS
from app.extensions import db

pytestmark = pytest.mark.skipif(not (loader.CULTURE_DIR / "calendar.yaml").exists(), reason="culture/ not present")


def test_shipped_content_passes_the_check_with_full_coverage():
    culture = loader.read_culture()
    assert culture.problems == []
    assert culture.warnings == []  # ≥ 2 items per event, a handbook per hazard, ≥ 100 quiz questions
    assert {q["hazard"] for q in culture.questions} <= set(HAZARDS)


def test_demo_loads_the_shipped_content_idempotently(app):
    with app.app_context():
        assert load_content_demo() == len(loader.read_culture().items)
        assert load_content_demo() == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(QuizQuestion)) >= 100
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BroadcastSlot)) == 2
        assert all(i.is_public() for i in db.session.scalars(sa.select(ContentItem)))
        db.session.rollback()
