"""The access matrix: every rule in app.url_map, for anonymous and for each role.

A route missing from MATRIX fails test_every_route_is_in_the_matrix, so a new view
cannot ship without a decision about who may open it.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.accounts.models import Role
from app.catalog.models import CatalogItem, CatalogRule
from app.extensions import db
from app.papers.models import Blueprint
from app.questions.models import Question, QuestionVersion

PUBLIC = "public"
TOKEN = "token"  # the terminal API: a bearer token per attempt, never a login cookie
LOGGED_IN = "logged-in"
A, S, P, E, T, ED, EM, C = (Role.ADMIN, Role.SCHEDULER, Role.PROCTOR, Role.EXAMINER, Role.TRAINER,
                            Role.EDITOR, Role.EMPLOYER, Role.CANDIDATE)

MATRIX: dict[str, object] = {
    "static": PUBLIC,
    "bootstrap.static": PUBLIC,
    "core.index": PUBLIC,
    "core.healthz": PUBLIC,
    "core.set_language": PUBLIC,
    "core.audit_log": {A},
    "accounts.login": PUBLIC,
    "accounts.logout": PUBLIC,
    "accounts.change_password": LOGGED_IN,
    "accounts.users": {A},
    "accounts.user_new": {A},
    "accounts.user_detail": {A},
    "accounts.user_reset_password": {A},
    "accounts.user_set_active": {A},
    "catalog.items": {A, S},
    "catalog.item_edit": {A},
    "catalog.rule_edit": {A},
    "people.people": {A, S, EM},
    "people.export_people": {A, S, EM},
    "people.person_new": {A, S, EM},
    "people.import_people": {A, S, EM},
    "people.import_template": {A, S, EM},
    "people.person_detail": {A, S, EM, P, E, C},
    "people.person_photo": {A, S, EM, P, E, C},
    "people.person_edit": {A, S, EM},
    "people.person_photo_upload": {A, S, EM},
    "people.employers": {A, S},
    "people.employer_new": {A, S},
    "people.employer_detail": {A, S},
    "people.employer_edit": {A, S},
    "people.my_employer": {EM},
    "questions.index": {A},
    "questions.export_xlsx": {A},
    "questions.export_yaml": {A},
    "questions.bulk_status": {A},
    "questions.detail": {A},
    "questions.version": {A},
    "questions.set_status": {A},
    "questions.new": {A},
    "questions.edit": {A},
    "questions.import_questions": {A},
    "questions.import_template": {A},
    "exams.item_stats": {A},
    "exams.item_stats_export": {A},
    "papers.blueprints": {A},
    "papers.blueprint_detail": {A},
    "papers.blueprint_check": {A},
    "papers.blueprint_activate": {A},
    "papers.blueprint_trial": {A},
    "papers.blueprint_new": {A},
}
def _domain_access() -> tuple[dict, dict]:
    """Matrix entries and sample URL arguments kept by domains in tests/**/access_*.py
    (ACCESS = {endpoint: roles}, SAMPLE_ARGS = {name: callable(world) -> value})."""
    import importlib
    import pkgutil
    from pathlib import Path

    access, samples = {}, {}
    root = Path(__file__).parent
    for info in pkgutil.walk_packages([str(root)], prefix="tests."):
        if info.name.rsplit(".", 1)[-1].startswith("access_"):
            module = importlib.import_module(info.name)
            access.update(getattr(module, "ACCESS", {}))
            for name, make in getattr(module, "SAMPLE_ARGS", {}).items():
                if samples.get(name, make) is not make:
                    raise AssertionError(f"two access_*.py modules define the sample {name!r}: keep one")
                samples[name] = make
    return access, samples


_EXTRA_ACCESS, _EXTRA_SAMPLES = _domain_access()
MATRIX.update(_EXTRA_ACCESS)
ACTORS = [None, *Role]


def _sample_args(world) -> dict:
    item_id = db.session.scalar(sa.select(CatalogItem.id).order_by(CatalogItem.id).limit(1))
    rule_id = db.session.scalar(sa.select(CatalogRule.id).order_by(CatalogRule.id).limit(1))
    # The baseline world may hold no questions or blueprints: then an id that does not exist (404 for
    # admins still proves they got past the role check).
    question_id = db.session.scalar(sa.select(Question.id).order_by(Question.id).limit(1)) or 0
    version_id = db.session.scalar(sa.select(QuestionVersion.id).where(QuestionVersion.question_id == question_id)
                                   .order_by(QuestionVersion.id).limit(1)) or 0
    blueprint_id = db.session.scalar(sa.select(Blueprint.id).order_by(Blueprint.id).limit(1)) or 0
    return {"user_id": world.users[P], "person_id": world.person_a, "employer_id": world.employer_a,
            "item_id": item_id, "rule_id": rule_id, "question_id": question_id, "version_id": version_id,
            "blueprint_id": blueprint_id}


def _args_for(rule: str, world) -> dict:
    """Sample values for the URL parameters of ``rule`` (domain samples are made only when needed;
    rows they create live in the test's rolled-back transaction)."""
    import re

    names = re.findall(r"<(?:[a-z]+:)?([a-z_]+)>", rule)
    base = _sample_args(world)
    out = {}
    for name in names:
        if name in _EXTRA_SAMPLES:
            out[name] = _EXTRA_SAMPLES[name](world)
        elif name in base:
            out[name] = base[name]
    if out:
        db.session.commit()  # the rows a sample made must be visible to the request
    return out


STATIC_FILES = {"static": "css/app.css", "bootstrap.static": "css/bootstrap.min.css"}


def _cases():
    from app import create_app
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        for method in sorted(rule.methods & {"GET", "POST", "PUT", "DELETE", "PATCH"}):
            for actor in ACTORS:
                yield pytest.param(rule.endpoint, rule.rule, method, actor,
                                   id=f"{rule.endpoint}-{method}-{actor or 'anonymous'}")


def test_every_route_is_in_the_matrix(app):
    endpoints = {r.endpoint for r in app.url_map.iter_rules()}
    missing = endpoints - set(MATRIX)
    stale = set(MATRIX) - endpoints
    assert not missing, f"routes without an access decision: {sorted(missing)}"
    assert not stale, f"matrix entries for routes that no longer exist: {sorted(stale)}"


def _allowed(expected, actor) -> bool:
    if expected == PUBLIC:
        return True
    if expected == LOGGED_IN:
        return actor is not None
    return actor in expected


@pytest.mark.parametrize("endpoint, rule, method, actor", list(_cases()))
def test_access(app, client, login, world, endpoint, rule, method, actor):
    expected = MATRIX[endpoint]
    with app.test_request_context():
        from flask import url_for
        args = _args_for(rule, world)
        if endpoint in STATIC_FILES:
            args["filename"] = STATIC_FILES[endpoint]
        url = url_for(endpoint, **args)
    if actor is not None:
        login(actor)
    response = client.open(url, method=method, data={})
    status = response.status_code
    to_login = status == 302 and "/login" in response.headers.get("Location", "")
    if expected == TOKEN:
        assert status == 401 and response.get_json()["error"]["code"] == "invalid_token", f"{method} {url}: {status}"
    elif expected == PUBLIC:
        assert status not in (401, 403) and status < 500, f"{method} {url} is public, got {status}"
    elif _allowed(expected, actor):
        assert status not in (401, 403) and not to_login, f"{actor} should reach {method} {url}, got {status}"
        assert status < 500
    elif actor is None:
        assert to_login, f"anonymous should be sent to login from {method} {url}, got {status}"
    else:
        assert status == 403, f"{actor} must be refused {method} {url}, got {status}"


# ---- object-level rules -----------------------------------------------------------------

@pytest.mark.parametrize("role", [EM, C])
def test_employer_and_candidate_cannot_open_someone_else(client, login, world, role):
    login(role)
    assert client.get(f"/people/{world.person_b}").status_code == 403
    assert client.get(f"/people/{world.person_b}/photo").status_code == 403


def test_employer_cannot_edit_another_employers_staff(client, login, world):
    login(EM)
    assert client.get(f"/people/{world.person_b}/edit").status_code == 403
    assert client.post(f"/people/{world.person_b}/photo", data={}).status_code == 403


def test_employer_lists_and_exports_only_own_staff(client, login, world):
    login(EM)
    page = client.get("/people").get_data(as_text=True)
    assert "王建国" in page and "李秀英" not in page
    from io import BytesIO

    from openpyxl import load_workbook
    wb = load_workbook(BytesIO(client.get("/people/export.xlsx").data))
    names = [row[0] for row in wb.active.iter_rows(min_row=2, values_only=True)]
    assert "王建国" in names and "李秀英" not in names
