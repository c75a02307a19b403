"""Blueprint pages: list, new version, bank check, activation and the trial paper."""
import pytest
import sqlalchemy as sa

from app.accounts.models import Role
from app.catalog.services import item_by_name
from app.extensions import db
from app.papers import services
from app.papers.models import Blueprint, BlueprintStatus, Paper, PaperQuestion
from tests.questions.test_views import ITEM, LEAVES, _raw, make_questions

# Ten judge questions of 10 points: the smallest paper of 100 points.
DOC = {"name": "小试卷", "sections": [{"type": "判断", "count": 10, "points": 10}], "duration_minutes": 60,
       "pass_mark": 60, "note": "测试用"}


@pytest.fixture(autouse=True)
def _fresh_bank_index():
    # Each test's bank is rolled back, so the generation counter repeats across tests: drop the
    # process-wide index cache so one test never sees another's questions.
    services._cache.clear()
    yield
    services._cache.clear()


def _judges(app, start, n):
    kps = [LEAVES[0], LEAVES[2]]
    return make_questions(app, [_raw(f"J-{i:03d}", difficulty=1 + i % 3, kp=kps[i % 2],
                                     answer="对" if i % 2 else "错") for i in range(start, start + n)])


def _blueprint(app, doc=DOC) -> int:
    with app.app_context():
        blueprint, _created = services.save_blueprint(item_by_name(ITEM), doc)
        db.session.commit()
        return blueprint.id


def test_activation_refused_with_the_shortfall_then_accepted(client, login, app):
    _judges(app, 0, 5)
    bid = _blueprint(app)
    login(Role.ADMIN)
    r = client.post(f"/blueprints/{bid}/activate", data={"reason": ""}, follow_redirects=True)
    assert "请填写启用原因" in r.get_data(as_text=True)
    r = client.get(f"/blueprints/{bid}/check")
    assert 'id="check-result"' in r.get_data(as_text=True) and "题库不足以满足组卷方案" in r.get_data(as_text=True)
    r = client.post(f"/blueprints/{bid}/activate", data={"reason": "新方案"}, follow_redirects=True)
    text = r.get_data(as_text=True)
    assert "题库不足以满足组卷方案" in text and "判断" in text
    with app.app_context():
        assert db.session.get(Blueprint, bid).status == BlueprintStatus.DRAFT
    _judges(app, 5, 5)
    assert "题库满足此方案" in client.get(f"/blueprints/{bid}/check").get_data(as_text=True)
    r = client.post(f"/blueprints/{bid}/activate", data={"reason": "新方案"}, follow_redirects=True)
    with app.app_context():
        blueprint = db.session.get(Blueprint, bid)
        assert f"已启用第 {blueprint.version} 版" in r.get_data(as_text=True)
        assert blueprint.status == BlueprintStatus.ACTIVE and blueprint.activated_at is not None
    listing = client.get("/blueprints").get_data(as_text=True)
    assert "blueprint-active" in listing and "小试卷" in listing


def test_trial_paper_shows_the_composition_and_keeps_nothing(client, login, app):
    _judges(app, 0, 12)
    bid = _blueprint(app)
    login(Role.ADMIN)
    r = client.post(f"/blueprints/{bid}/trial")
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="trial-note"' in text
    assert text.count('paper-question"') == 10 and "电工基础" in text and "触电事故、防护与急救" in text
    assert text.count('class="answer-key"') == 10  # admins see the key
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Paper)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PaperQuestion)) == 0


def test_trial_on_a_too_small_bank_says_why(client, login, app):
    _judges(app, 0, 3)
    bid = _blueprint(app)
    login(Role.ADMIN)
    r = client.post(f"/blueprints/{bid}/trial", follow_redirects=True)
    assert "无法组卷" in r.get_data(as_text=True)


def test_new_version_form_prefills_and_saves_a_draft(client, login, app):
    _judges(app, 0, 10)
    bid = _blueprint(app)
    item_id = _item_id(app)
    login(Role.ADMIN)
    page = client.get(f"/blueprints/items/{item_id}/new").get_data(as_text=True)
    assert 'value="小试卷"' in page and 'name="sections-0-count"' in page and 'value="10"' in page
    assert "电工基础" in page and "触电事故、防护与急救" in page  # a row per first-level knowledge point
    form = {"name": "小试卷二", "duration_minutes": "90", "pass_mark": "60", "show_result_immediately": "y",
            "note": "", "sections-0-count": "10", "sections-0-points": "5",
            "kp_rules-0-name": "电工基础", "kp_rules-0-min": "2", "kp_rules-0-max": "",
            "kp_rules-1-name": "触电事故、防护与急救", "kp_rules-1-min": "", "kp_rules-1-max": ""}
    r = client.post(f"/blueprints/items/{item_id}/new", data=form)
    assert r.status_code == 200 and "应为 100 分" in r.get_data(as_text=True)
    form.update({"sections-0-points": "10", "sections-0-d1_min": "", "sections-0-d3_max": "4"})
    r = client.post(f"/blueprints/items/{item_id}/new", data=form)
    assert r.status_code == 302
    with app.app_context():
        newest = db.session.scalar(sa.select(Blueprint).where(Blueprint.item_id == item_id)
                                   .order_by(Blueprint.version.desc()).limit(1))
        previous = db.session.get(Blueprint, bid)
        assert newest.id != bid and newest.version == previous.version + 1 and newest.status == BlueprintStatus.DRAFT
        assert newest.spec["sections"] == [{"type": "judge", "count": 10, "points": 10.0, "difficulty": {"3": [0, 4]}}]
        assert newest.spec["kp_rules"] == [{"kp": "电工基础", "min": 2, "max": 10}]
        assert (newest.duration_minutes, newest.name) == (90, "小试卷二")
        newest_id = newest.id
    detail = client.get(f"/blueprints/{newest_id}").get_data(as_text=True)
    assert "0–4" in detail and "电工基础" in detail
    r = client.post(f"/blueprints/items/{item_id}/new", data=form, follow_redirects=True)
    assert "没有新建版本" in r.get_data(as_text=True)


def _item_id(app):
    with app.app_context():
        return item_by_name(ITEM).id


def test_missing_blueprint_is_404(client, login):
    login(Role.ADMIN)
    assert client.get("/blueprints/999999").status_code == 404
    assert client.get("/blueprints/items/999999/new").status_code == 404
