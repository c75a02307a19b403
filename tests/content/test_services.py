"""Services and the loader: workflow, versions, audit, idempotent loading that keeps editors' changes,
counters, the quiz pool, broadcast slots."""
from __future__ import annotations

import datetime as dt
import random

import pytest
import sqlalchemy as sa

from app.accounts.models import Role, User
from app.content import broadcasting, loader, quiz, services
from app.content.models import (
    BroadcastChannel,
    CampaignEvent,
    ContentItem,
    ItemDailyViews,
    ItemStatus,
    QuizDailyStat,
    QuizQuestion,
)
from app.core.audit import AuditEntry, verify_chain
from app.core.errors import DomainError
from app.db import utcnow
from app.extensions import db
from tests.content.conftest import ITEMS, write_culture


@pytest.fixture
def actx(app):
    with app.app_context():
        yield
        db.session.rollback()


def _user(world, role):
    return db.session.get(User, world.users[role])


def _draft(world, key="yongdian-anquan", type_="article", body="<p>不要私拉乱接电线。</p>"):
    return services.save_item(None, key=key, type_=type_, title="安全用电", summary="家庭用电",
                              body=body, hazards=["用电"], event_keys=[], speed=240, author=_user(world, Role.EDITOR))


def test_loader_reads_and_loads_the_tree_idempotently(actx, culture):
    checked = loader.read_culture(culture)
    assert checked.problems == []
    summary = loader.load_culture(culture)
    assert summary.created == {"events": 2, "items": 3, "questions": 4}
    item = db.session.scalar(sa.select(ContentItem).where(ContentItem.key == "dizhen-bixian"))
    assert item.is_public() and item.hazards == ["地震"] and [e.key for e in item.events] == ["quanyear"]
    assert not item.is_edited and item.version == 1
    script = db.session.scalar(sa.select(ContentItem).where(ContentItem.key == "xiaofang-guangbo"))
    assert script.reading_seconds == 5  # 19 spoken characters at 240 a minute
    assert db.session.scalar(sa.select(QuizQuestion).where(QuizQuestion.code == "YJ-0003")).answer == "ABC"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BroadcastChannel)) == 3
    again = loader.load_culture(culture)
    assert again.created == again.updated == {"events": 0, "items": 0, "questions": 0}
    assert again.unchanged == 2 + 3 + 4


def test_a_later_load_updates_files_but_keeps_editors_changes(actx, culture, world):
    loader.load_culture(culture)
    item = db.session.scalar(sa.select(ContentItem).where(ContentItem.key == "dizhen-bixian"))
    services.withdraw_item(item, actor=_user(world, Role.EDITOR))
    services.save_item(item, key=item.key, type_="article", title="地震来了怎么办（编辑修订）", summary="s",
                       body="<p>编辑的版本</p>", hazards=["地震"], event_keys=[], speed=240,
                       author=_user(world, Role.EDITOR))
    event = db.session.scalar(sa.select(CampaignEvent).where(CampaignEvent.key == "kepu-ri"))
    services.update_event(event, name=event.name, start="09-15", end="09-21", rule="third-week-of-september",
                          description="", hazards=["急救"], themes={"2026": "编辑填写的主题"})
    changed = {k: v.replace("一页纸。", "一页纸（新版）。").replace("说清地址", "说清楚地址").replace(
        "测试用的", "x") for k, v in ITEMS.items()}
    changed["dizhen-bixian"] = changed["dizhen-bixian"].replace("伏地、遮挡、手抓牢。", "文件的新摘要。")
    write_culture(culture, items=changed, calendar=(culture / "calendar.yaml").read_text().replace("九月第三周", "改"))
    summary = loader.load_culture(culture)
    assert summary.updated["items"] == 2  # the handbook and the script, not the edited article
    assert "内容 dizhen-bixian" in summary.kept and "活动 kepu-ri" in summary.kept
    db.session.refresh(item)
    assert item.title == "地震来了怎么办（编辑修订）" and item.status == ItemStatus.DRAFT
    assert event.theme(2026) == "编辑填写的主题"
    handbook = db.session.scalar(sa.select(ContentItem).where(ContentItem.key == "shouce-dizhen"))
    assert handbook.summary == "一页纸（新版）。" and handbook.version == 2 and len(handbook.versions) == 2


def test_loader_reports_problems_and_loads_nothing(actx, tmp_path):
    bad_items = dict(ITEMS)
    bad_items["dizhen-bixian"] = ITEMS["dizhen-bixian"].replace("hazards: [地震]", "hazards: [地震, 台风]").replace(
        "<p>室内", "<script>x</script><p>室内")
    bad_quiz = {"q": """\
        hazard: 地震
        questions:
          - id: YJ-1
            type: 单选
            stem: 题
            options: [一, 二, 三]
            answer: E
            explanation: 选 B 项是对的
          - id: YJ-0002
            type: 判断
            stem: 题
            answer: 对
            explanation: 因为 B 项不对
        """}
    root = write_culture(tmp_path / "c", items=bad_items, quiz=bad_quiz)
    (root / "items" / "misnamed.yaml").write_text("key: other\ntype: article\ntitle: t\nsummary: s\nhazards: [地震]\n"
                                                  "events: [nope]\nbody: <p>x</p>\n", encoding="utf-8")
    problems = "\n".join(loader.read_culture(root).problems)
    for expected in ("台风", "script", "key 应与文件名相同", "nope", "YJ-1：id 应为", "选项数应为 4", "答案只能由选项字母",
                     "解析不要引用选项字母"):
        assert expected in problems
    with pytest.raises(ValueError):
        loader.load_culture(root)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ContentItem)) == 0


def test_workflow_draft_review_scheduled_publication_archive(actx, world):
    editor, admin = _user(world, Role.EDITOR), _user(world, Role.ADMIN)
    item = _draft(world)
    assert item.status == ItemStatus.DRAFT and not item.is_public()
    with pytest.raises(DomainError):
        services.approve_item(item, admin)  # not submitted yet
    services.submit_item(item, actor=editor)
    with pytest.raises(DomainError):
        services.save_item(item, key=item.key, type_="article", title="x", summary="", body="", hazards=[],
                           event_keys=[], speed=240, author=editor)  # only drafts change
    with pytest.raises(DomainError):
        services.reject_item(item, "  ", actor=admin)
    services.reject_item(item, "请补充插座的内容", actor=admin)
    assert item.status == ItemStatus.DRAFT and item.review_note == "请补充插座的内容"
    services.save_item(item, key=item.key, type_="article", title="安全用电十条", summary="", hazards=["用电"],
                       body="<p>插座不要超负荷。</p>", event_keys=[], speed=240, author=editor, note="补充插座")
    services.submit_item(item, actor=editor)
    later = utcnow() + dt.timedelta(hours=2)
    services.approve_item(item, admin, later)
    assert item.status == ItemStatus.APPROVED and item.published_at == later
    assert not item.is_public() and item.is_public(later + dt.timedelta(seconds=1))
    assert services.next_publication(utcnow()) == later
    services.archive_item(item, actor=admin)
    assert not item.is_public(later + dt.timedelta(days=1))
    services.restore_item(item, actor=editor)
    assert item.status == ItemStatus.DRAFT
    assert [v.number for v in item.versions] == [2, 1] and item.versions[1].body == "<p>不要私拉乱接电线。</p>"
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.object_type == "content_item",
                                                                   AuditEntry.object_id == str(item.id))
                                 .order_by(AuditEntry.seq)).all()
    assert actions == ["content.item.create", "content.item.submit", "content.item.reject", "content.item.update",
                       "content.item.submit", "content.item.approve", "content.item.archive", "content.item.restore"]
    assert verify_chain()[1] is None


def test_saved_body_is_sanitised_and_generation_bumped(actx, world):
    before = services.current_generation()[0]
    item = _draft(world, body='<p onclick="x()">文</p><script>alert(1)</script><img src="http://evil/x.png">')
    assert item.body == "<p>文</p>" and "alert" not in item.versions[0].body
    assert services.current_generation()[0] == before + 1


def test_save_refuses_bad_fields(actx, world):
    with pytest.raises(DomainError, match="编号"):
        _draft(world, key="Bad Key")
    _draft(world, key="same-key")
    with pytest.raises(DomainError, match="已被使用"):
        _draft(world, key="same-key")
    with pytest.raises(DomainError, match="灾种"):
        services.save_item(None, key="k2", type_="article", title="t", summary="", body="", hazards=["台风"],
                           event_keys=[], speed=240)
    with pytest.raises(DomainError, match="活动"):
        services.save_item(None, key="k3", type_="article", title="t", summary="", body="", hazards=[],
                           event_keys=["nope"], speed=240)


def test_public_items_filter_and_search(actx, culture):
    loader.load_culture(culture)
    now = utcnow()
    keys = lambda stmt: sorted(i.key for i in db.session.scalars(stmt))  # noqa: E731
    assert keys(services.public_items(now, hazard="地震")) == ["dizhen-bixian", "shouce-dizhen"]
    assert keys(services.public_items(now, type_="broadcast")) == ["xiaofang-guangbo"]
    assert keys(services.public_items(now, query="电梯")) == ["dizhen-bixian"]
    assert keys(services.public_items(now, query="100%_")) == []
    event = db.session.scalar(sa.select(CampaignEvent).where(CampaignEvent.key == "quanyear"))
    assert keys(services.public_items(now, event=event)) == ["dizhen-bixian", "xiaofang-guangbo"]


def test_counters_store_numbers_only(actx, culture):
    loader.load_culture(culture)
    item = db.session.scalar(sa.select(ContentItem).where(ContentItem.key == "dizhen-bixian"))
    day = dt.date(2026, 5, 12)
    for _ in range(3):
        services.record_view(item.id, day)
    services.record_quiz("hazard:地震", day, 10, 7)
    services.record_quiz("hazard:地震", day, 8, 8)
    assert db.session.get(ItemDailyViews, (item.id, day)).views == 3
    stat = db.session.get(QuizDailyStat, ("hazard:地震", day))
    assert (stat.participants, stat.answered, stat.correct) == (2, 18, 15)
    assert services.item_view_totals() == {item.id: 3}
    row = next(r for r in services.campaign_totals() if r["event"].key == "quanyear")
    assert row["items"] == 2 and row["views"] == 3
    assert {c.name for c in ItemDailyViews.__table__.columns} == {"item_id", "day", "views"}


def test_quiz_draws_only_the_public_pool_and_grades(actx, culture):
    loader.load_culture(culture)
    found = quiz.quiz_for_slug("dizhen")
    drawn = quiz.draw(found, rng=random.Random(1))
    assert sorted(q.code for q in drawn) == ["YJ-0001", "YJ-0002", "YJ-0003"]
    assert quiz.quiz_for_slug("event-quanyear").hazards == ("地震", "消防")
    assert quiz.quiz_for_slug("event-nope") is None and quiz.quiz_for_slug("taifeng") is None
    by_code = {q.code: q for q in drawn}
    marked = quiz.grade(drawn, {by_code["YJ-0001"].id: "F", by_code["YJ-0002"].id: "C", by_code["YJ-0003"].id: "CAB"})
    result = {m.question.code: m.correct for m in marked}
    assert result == {"YJ-0001": True, "YJ-0002": False, "YJ-0003": True}
    wrong = next(m for m in marked if m.question.code == "YJ-0002")
    assert wrong.key_label == "就近躲到结实的桌子下" and wrong.response_label == "跑到阳台上"
    assert quiz.grade(drawn[:1], {drawn[0].id: "Z"})[0].response is None
    # a question of another quiz's hazard is never accepted in this quiz
    fire = db.session.scalar(sa.select(QuizQuestion).where(QuizQuestion.code == "YJ-0101"))
    assert quiz.questions_by_ids(found, [fire.id, drawn[0].id]) == [drawn[0]]


def test_result_token_is_signed():
    found = quiz.Quiz("hazard:地震", "dizhen", "地震知识", ("地震",))
    token = quiz.result_token("s3cret", found, 8, 10, "2026-05-12")
    assert quiz.read_result("s3cret", token) == ("dizhen", 8, 10, "2026-05-12")
    assert quiz.read_result("other", token) is None
    assert quiz.read_result("s3cret", token[:-2] + "xx") is None


def test_broadcast_slots(actx, culture, world):
    loader.load_culture(culture)
    script = db.session.scalar(sa.select(ContentItem).where(ContentItem.key == "xiaofang-guangbo"))
    article = db.session.scalar(sa.select(ContentItem).where(ContentItem.key == "dizhen-bixian"))
    city = db.session.scalar(sa.select(BroadcastChannel).where(BroadcastChannel.level == "city"))
    start = dt.date(2026, 5, 11)
    with pytest.raises(DomainError, match="广播稿"):
        broadcasting.save_slot(None, channel=city, item=article, start=start, end=start, repeat="daily", weekdays=[],
                           times="07:30")
    with pytest.raises(DomainError, match="HH:MM"):
        broadcasting.save_slot(None, channel=city, item=script, start=start, end=start, repeat="daily", weekdays=[],
                           times="7点")
    slot = broadcasting.save_slot(None, channel=city, item=script, start=start, end=start + dt.timedelta(days=6),
                              repeat="workdays", weekdays=[3], times="17:30, 07:30")
    assert slot.times == ["07:30", "17:30"] and slot.weekdays == []
    assert len(list(broadcasting.slot_rule(slot).days(start, start + dt.timedelta(days=6)))) == 5
    assert broadcasting.slots_for(city.id, start, start) == [slot]
    assert broadcasting.slots_for(city.id, start + dt.timedelta(days=7), start + dt.timedelta(days=8)) == []
    broadcasting.delete_slot(slot)
    assert db.session.scalar(sa.select(AuditEntry.action).order_by(AuditEntry.seq.desc()).limit(1)) == "content.slot.delete"
    with pytest.raises(DomainError):
        broadcasting.create_channel("阜新市应急广播（市级）", "city")
    assert broadcasting.create_channel("彰武县应急广播", "county").level_label == "县区"
