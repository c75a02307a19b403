"""The portal's pages through HTTP: public pages without cookies, caching headers and 304, scheduled
publication, quizzes with explanations, the editors' workflow, uploads, feeds and play lists."""
from __future__ import annotations

import datetime as dt
import io
import time
import xml.etree.ElementTree as ET

import icalendar
import sqlalchemy as sa
from PIL import Image

from app.accounts.models import Role
from app.content.models import ContentItem, ItemDailyViews, ItemStatus, QuizDailyStat
from app.core.audit import AuditEntry
from app.core.timeutil import LOCAL_TZ
from app.extensions import db


def _item(app, key):
    with app.app_context():
        return db.session.scalar(sa.select(ContentItem).where(ContentItem.key == key))


def test_home_is_public_cookie_free_and_answers_304(client, loaded):
    r = client.get("/culture/")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "全年安全宣传" in page and "地震来了怎么办" in page and "全国科普日" in page
    assert "Set-Cookie" not in r.headers
    assert r.headers["ETag"] and r.headers["Last-Modified"]
    assert "no-cache" in r.headers["Cache-Control"] and "public" in r.headers["Cache-Control"]
    again = client.get("/culture/", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    since = client.get("/culture/", headers={"If-Modified-Since": r.headers["Last-Modified"]})
    assert since.status_code == 304
    assert '<main id="main"' in page and "<h1" in page and "http://" not in page.replace("http://localhost", "")


def test_item_page_counts_views_without_personal_data(app, client, loaded):
    r = client.get("/culture/item/dizhen-bixian")
    assert r.status_code == 200 and "伏地、遮挡、手抓牢" in r.get_data(as_text=True)
    assert client.get("/culture/item/dizhen-bixian", headers={"If-None-Match": r.headers["ETag"]}).status_code == 304
    item = _item(app, "dizhen-bixian")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.sum(ItemDailyViews.views))
                                 .where(ItemDailyViews.item_id == item.id)) == 2
    assert client.get("/culture/item/nope").status_code == 404
    printable = client.get("/culture/item/shouce-dizhen/print").get_data(as_text=True)
    assert "<table>" in printable and "culture-print.css" in printable
    text = client.get("/culture/item/xiaofang-guangbo/script.txt")
    assert text.mimetype == "text/plain" and "说清地址和着火物。" in text.get_data(as_text=True)
    assert "约 5 秒" in client.get("/culture/item/xiaofang-guangbo").get_data(as_text=True)


def test_list_filters_search_and_pagination(client, loaded):
    quake = client.get("/culture/list?hazard=dizhen").get_data(as_text=True)
    assert "地震来了怎么办" in quake and "消防广播" not in quake
    assert "消防广播" in client.get("/culture/list?type=broadcast").get_data(as_text=True)
    found = client.get("/culture/list?q=电梯").get_data(as_text=True)
    assert "地震来了怎么办" in found and "地震应急手册" not in found
    assert client.get("/culture/list?type=nope").status_code == 404
    assert client.get("/culture/list?hazard=taifeng").status_code == 404


def test_scheduled_item_appears_at_its_time(app, client, login, world, loaded):
    from app.accounts.models import User
    from app.content import services
    with app.app_context():
        editor, admin = db.session.get(User, world.users[Role.EDITOR]), db.session.get(User, world.users[Role.ADMIN])
        item = services.save_item(None, key="ranqi-xielou", type_="article", title="闻到燃气味怎么办", summary="",
                                  body="<p>开窗通风，不要开关电器。</p>", hazards=["燃气"], event_keys=[], speed=240,
                                  author=editor)
        services.submit_item(item, actor=editor)
        services.approve_item(item, admin, services.utcnow() + dt.timedelta(seconds=2))
        db.session.commit()
    first = client.get("/culture/")
    assert "闻到燃气味怎么办" not in first.get_data(as_text=True)
    assert client.get("/culture/item/ranqi-xielou").status_code == 404
    time.sleep(2.2)
    later = client.get("/culture/", headers={"If-None-Match": first.headers["ETag"]})
    assert later.status_code == 200 and "闻到燃气味怎么办" in later.get_data(as_text=True)
    assert client.get("/culture/item/ranqi-xielou").status_code == 200


def test_feeds(client, loaded):
    atom = client.get("/culture/feed.atom")
    assert atom.mimetype == "application/atom+xml"
    root = ET.fromstring(atom.data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = {e.find("a:title", ns).text for e in root.findall("a:entry", ns)}
    assert titles == {"地震来了怎么办", "消防广播：拨打119", "地震应急手册"}
    ics = client.get("/culture/calendar.ics")
    assert ics.mimetype == "text/calendar"
    events = icalendar.Calendar.from_ical(ics.data).walk("VEVENT")
    kepu = [e for e in events if str(e["summary"]).startswith("全国科普日")]
    assert len(kepu) == 2 and all(e.decoded("dtstart").weekday() == 0 for e in kepu)
    assert all((e.decoded("dtend") - e.decoded("dtstart")).days == 7 for e in kepu)
    assert "全国科普日" in client.get("/culture/calendar?year=2026").get_data(as_text=True)
    assert "2026-09-21" in client.get("/culture/calendar?year=2026").get_data(as_text=True)
    assert client.get("/culture/event/quanyear").status_code == 200


def test_quiz_gives_instant_feedback_and_a_result_card(app, client, loaded):
    page = client.get("/culture/quiz/dizhen")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in page.headers
    with app.app_context():
        from app.content.models import QuizQuestion
        qs = {q.code: q.id for q in db.session.scalars(sa.select(QuizQuestion))}
    data = {"qid": [qs["YJ-0001"], qs["YJ-0002"], qs["YJ-0003"]], f"q{qs['YJ-0001']}": "F",
            f"q{qs['YJ-0002']}": "A", f"q{qs['YJ-0003']}": ["A", "B", "C"]}
    r = client.post("/culture/quiz/dizhen", data=data)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "答对 2 / 3 题" in html
    assert "震时跑动容易摔伤或被砸" in html and "就近躲到结实的桌子下" in html and "Set-Cookie" not in r.headers
    with app.app_context():
        stat = db.session.scalars(sa.select(QuizDailyStat).where(QuizDailyStat.quiz == "hazard:地震")).one()
        assert (stat.participants, stat.answered, stat.correct) == (1, 3, 2)
    import re
    token = re.search(r"/culture/quiz/result/([^\"]+)\"", html).group(1)
    card = client.get(f"/culture/quiz/result/{token}")
    assert card.status_code == 200 and "答对 2 / 3 题" in card.get_data(as_text=True)
    png = client.get(f"/culture/quiz/result/{token}.png")
    assert png.mimetype == "image/png" and Image.open(io.BytesIO(png.data)).size == (720, 400)
    assert client.get(f"/culture/quiz/result/{token[:-3]}abc").status_code == 404
    # exam questions never reach a public quiz: a foreign id is ignored
    assert client.post("/culture/quiz/dizhen", data={"qid": ["999999"]}).status_code == 400
    assert client.get("/culture/quiz/taifeng").status_code == 404
    assert "地震（3）" in client.get("/culture/quiz").get_data(as_text=True)


def test_quiz_submissions_are_rate_limited(app, client, loaded):
    app.config["CONTENT_QUIZ_LIMIT"] = "2 per hour"
    try:
        with app.app_context():
            from app.content.models import QuizQuestion
            qid = db.session.scalar(sa.select(QuizQuestion.id).where(QuizQuestion.code == "YJ-0101"))
        codes = [client.post("/culture/quiz/xiaofang", data={"qid": qid, f"q{qid}": "T"}).status_code for _ in range(3)]
    finally:
        app.config.pop("CONTENT_QUIZ_LIMIT")
    assert codes == [200, 200, 429]


def test_editor_drafts_admin_approves_for_a_time(app, client, login, world, loaded):
    login(Role.EDITOR)
    r = client.post("/culture/admin/items/new", data={
        "key": "yongdian-anquan", "type": "article", "title": "家庭安全用电", "summary": "插座不要超负荷",
        "body": '<p>用电安全<script>alert(1)</script></p><p onmouseover="x()">第二段</p>', "hazards": ["用电"],
        "events": ["quanyear"], "note": "初稿"})
    assert r.status_code == 302
    item = _item(app, "yongdian-anquan")
    assert item.status == ItemStatus.DRAFT and item.body == "<p>用电安全</p><p>第二段</p>"
    bad = client.post("/culture/admin/items/new", data={"key": "Bad Key", "type": "article", "title": "t"})
    assert "编号只能用小写字母" in bad.get_data(as_text=True)
    client.post(f"/culture/admin/items/{item.id}/edit", data={"type": "article", "title": "家庭安全用电十条",
                                                             "body": "<p>新</p>", "hazards": ["用电"], "note": "改标题"})
    assert client.post(f"/culture/admin/items/{item.id}/do/submit").status_code == 302
    assert client.post(f"/culture/admin/items/{item.id}/approve", data={}).status_code == 403
    login(Role.ADMIN)
    when = (dt.datetime.now(LOCAL_TZ) + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    client.post(f"/culture/admin/items/{item.id}/approve", data={"publish_at": when})
    item = _item(app, "yongdian-anquan")
    assert item.status == ItemStatus.APPROVED and item.version == 2 and not item.is_public()
    assert item.published_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M") == when
    assert client.get("/culture/item/yongdian-anquan").status_code == 404
    detail = client.get(f"/culture/admin/items/{item.id}?version=1").get_data(as_text=True)
    assert "第 1 版" in detail and "用电安全" in detail and "定时发布" in detail
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.object_id == str(item.id),
                                                                       AuditEntry.object_type == "content_item")).all()
    assert actions == ["content.item.create", "content.item.update", "content.item.submit", "content.item.approve"]
    assert client.get("/culture/admin/").status_code == 200


def _png_with_metadata() -> bytes:
    from PIL import PngImagePlugin
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    buf = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 30, 30)).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def test_uploads_are_reencoded_or_checked(app, client, login, loaded):
    login(Role.EDITOR)
    item = _item(app, "xiaofang-guangbo")
    r = client.post(f"/culture/admin/items/{item.id}/upload/image",
                    data={"file": (io.BytesIO(_png_with_metadata()), "a.png")}, content_type="multipart/form-data")
    assert r.status_code == 302
    item = _item(app, "xiaofang-guangbo")
    from app.content.media import path_of
    data = path_of(app.config["UPLOAD_ROOT"], item.image_file).read_bytes()
    assert data[:3] == b"\xff\xd8\xff" and b"script" not in data
    assert client.get(f"/culture/media/{item.image_file}").status_code == 200
    html = client.post(f"/culture/admin/items/{item.id}/upload/media",
                       data={"file": (io.BytesIO(b"<html>not audio</html>"), "a.mp3")},
                       content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "只接受MP3 或 M4A 音频" in html
    mp3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 200
    client.post(f"/culture/admin/items/{item.id}/upload/media", data={"file": (io.BytesIO(mp3), "a.mp3")},
                content_type="multipart/form-data")
    audio = client.get("/culture/item/xiaofang-guangbo/file")
    assert audio.status_code == 200 and audio.mimetype == "audio/mpeg" and audio.data == mp3
    assert "<audio" in client.get("/culture/item/xiaofang-guangbo").get_data(as_text=True)


def test_broadcast_schedule_and_playlist_export(app, client, login, loaded):
    login(Role.EDITOR)
    with app.app_context():
        from app.content.models import BroadcastChannel
        city = db.session.scalar(sa.select(BroadcastChannel).where(BroadcastChannel.level == "city"))
        city_id, city_name = city.id, city.name
    item = _item(app, "xiaofang-guangbo")
    bad = client.post("/culture/admin/broadcast/slots/new", data={
        "channel_id": city_id, "item_id": item.id, "start_date": "2026-05-11", "end_date": "2026-05-17",
        "repeat": "daily", "times": "7点半"}).get_data(as_text=True)
    assert "HH:MM" in bad
    r = client.post("/culture/admin/broadcast/slots/new", data={
        "channel_id": city_id, "item_id": item.id, "start_date": "2026-05-11", "end_date": "2026-05-17",
        "repeat": "weekly", "weekdays": ["0", "2"], "times": "07:30, 17:30", "note": "防灾减灾周早晚高峰"})
    assert r.status_code == 302
    csv_r = client.get("/culture/admin/broadcast/playlist.csv?since=2026-05-11&until=2026-05-17")
    lines = csv_r.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("日期,时间,频道") and len(lines) == 1 + 4
    assert lines[1].startswith(f"2026-05-11,07:30,{city_name},消防广播：拨打119,5,http://localhost/culture/item/xiaofang-guangbo/script.txt")
    m3u = client.get("/culture/admin/broadcast/playlist.m3u?since=2026-05-11&until=2026-05-17").get_data(as_text=True)
    assert m3u.startswith("#EXTM3U\n#EXTINF:5,") and m3u.count("#EXTINF") == 4
    assert client.get("/culture/admin/broadcast/playlist.pdf").status_code == 404
    assert client.get("/culture/admin/broadcast/playlist.csv?since=2026-01-01&until=2026-12-31").status_code == 400
    week = client.get("/culture/admin/broadcast?since=2026-05-11").get_data(as_text=True)
    assert "消防广播：拨打119" in week and "播出单（4 次）" in week


def test_editor_sets_the_yearly_theme(app, client, login, loaded):
    login(Role.EDITOR)
    with app.app_context():
        from app.content.models import CampaignEvent
        event_id = db.session.scalar(sa.select(CampaignEvent.id).where(CampaignEvent.key == "quanyear"))
    bad = client.post(f"/culture/admin/events/{event_id}", data={"name": "全年安全宣传", "start_md": "01-01",
                                                                 "end_md": "12-31", "themes": "今年的主题"})
    assert "年度主题每行应为" in bad.get_data(as_text=True)
    year = dt.date.today().year
    client.post(f"/culture/admin/events/{event_id}", data={"name": "全年安全宣传", "start_md": "01-01", "end_md": "12-31",
                                                           "hazards": ["地震"], "themes": f"{year}: 人人讲安全"})
    assert "人人讲安全" in client.get("/culture/").get_data(as_text=True)


def test_dashboard_shows_views_and_quiz_participation(app, client, login, loaded):
    with app.app_context():
        from app.content.models import QuizQuestion
        qid = db.session.scalar(sa.select(QuizQuestion.id).where(QuizQuestion.code == "YJ-0101"))
    client.get("/culture/item/dizhen-bixian")
    client.post("/culture/quiz/event-quanyear", data={"qid": qid, f"q{qid}": "T"})
    login(Role.EDITOR)
    page = client.get("/culture/admin/").get_data(as_text=True)
    assert "地震来了怎么办" in page and "全年安全宣传" in page and "event:" not in page
    assert "100%" in page  # one participation, one correct answer


def test_a_new_slot_can_start_from_a_campaign(client, login, loaded):
    login(Role.EDITOR)
    page = client.get("/culture/admin/broadcast/slots/new?event=kepu-ri").get_data(as_text=True)
    assert 'value="07:30, 17:30"' in page and 'value="全国科普日"' in page
    assert "-09-" in page  # the period of the third week of September
