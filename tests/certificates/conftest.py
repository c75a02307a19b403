"""Certificate test helpers: keys in a temporary directory, the practical domain's outcomes
stubbed (monkeypatched at the certificates services' seam), and issuing made short."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from app.catalog.services import item_by_name
from app.certificates import services
from app.certificates.models import Certificate
from app.extensions import db
from tests import factories


@dataclass(frozen=True)
class PartOutcome:          # the shape of app.practical.results.PartOutcome
    passed: bool
    score: float | None
    exam_date: dt.date
    session_id: int | None


@dataclass(frozen=True)
class OverallOutcome:       # the shape of practical.services.overall_outcome()'s answer
    passed: bool
    theory: PartOutcome | None
    practical: PartOutcome | None
    needs: list[str] = field(default_factory=list)
    passed_on: dt.date | None = None


class Outcomes:
    """What the practical domain would answer, per (person_id, item_id)."""

    def __init__(self):
        self.overall: dict = {}
        self.theory: dict = {}
        self.practical: dict = {}

    def passed(self, person_id: int, item_id: int, on: dt.date, session_id: int | None = None) -> None:
        part = PartOutcome(True, 90.0, on, session_id)
        self.overall[(person_id, item_id)] = OverallOutcome(True, part, part, [], on)

    def failed(self, person_id: int, item_id: int, need: str = "实操考试未合格，需补考") -> None:
        self.overall[(person_id, item_id)] = OverallOutcome(False, None, None, [need], None)

    def theory_passed(self, person_id: int, item_id: int, on: dt.date) -> None:
        self.theory[(person_id, item_id)] = PartOutcome(True, 88.0, on, None)

    def practical_passed(self, person_id: int, item_id: int, on: dt.date) -> None:
        self.practical[(person_id, item_id)] = PartOutcome(True, 85.0, on, None)


@pytest.fixture(autouse=True)
def keys_dir(app, tmp_path, monkeypatch):
    """Each test signs with keys of its own (never the instance's real keys)."""
    monkeypatch.setitem(app.config, "CERT_KEYS_DIR", str(tmp_path / "keys"))
    return tmp_path / "keys"


@pytest.fixture
def outcomes(monkeypatch):
    o = Outcomes()
    monkeypatch.setattr(services, "_overall_outcome",
                        lambda p, i, today: o.overall.get((p, i), OverallOutcome(False, None, None, ["理论考试未参加"])))
    monkeypatch.setattr(services, "_theory_outcome", lambda p, i: o.theory.get((p, i)))
    monkeypatch.setattr(services, "_practical_outcome", lambda p, i: o.practical.get((p, i)))
    return o


def issue(outcomes: Outcomes, *, name: str = "张晓明", item: str = "低压电工作业", today: dt.date | None = None,
          person=None) -> Certificate:
    """A person (new unless given) who passed ``item``, proposed and issued on ``today``."""
    today = today or dt.date(2026, 3, 2)
    if person is None:
        person = factories.person(name=name)
        db.session.flush()
    it = item_by_name(item)
    outcomes.passed(person.id, it.id, today - dt.timedelta(days=5))
    proposal = services.propose(person, it, today)
    assert proposal is not None
    return services.issue_certificate(proposal, today=today)
