"""flask content check | load | reading-times"""
from __future__ import annotations

import sqlalchemy as sa

from app.content.models import ContentItem
from app.extensions import db
from tests.content.conftest import ITEMS, write_culture


def test_check_reports_counts_and_problems(app, culture, tmp_path):
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["content", "check", "--dir", str(culture)])
    assert ok.exit_code == 0, ok.output
    assert "活动 2 个，内容 3 篇，公众题 4 道；错误 0 处" in ok.output
    assert "提示：灾种 消防：没有应急手册" in ok.output and "公众题库只有 4 题" in ok.output
    broken = write_culture(tmp_path / "broken", items={"dizhen-bixian": ITEMS["dizhen-bixian"].replace("type: article",
                                                                                                         "type: 小说")})
    bad = runner.invoke(args=["content", "check", "--dir", str(broken)])
    assert bad.exit_code == 1 and "未知的 type “小说”" in bad.output


def test_load_twice_and_recompute_reading_times(app, culture):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["content", "load", "--dir", str(culture)])
    assert first.exit_code == 0, first.output
    assert "新增：活动 2，内容 3，公众题 4" in first.output
    second = runner.invoke(args=["content", "load", "--dir", str(culture)])
    assert "新增：活动 0，内容 0，公众题 0；更新：活动 0，内容 0，公众题 0；未变 9" in second.output
    app.config["CONTENT_READING_CHARS_PER_MINUTE"] = 120
    try:
        slow = runner.invoke(args=["content", "reading-times"])
    finally:
        app.config.pop("CONTENT_READING_CHARS_PER_MINUTE")
    assert "1 篇广播稿有变化" in slow.output
    with app.app_context():
        script = db.session.scalar(sa.select(ContentItem).where(ContentItem.key == "xiaofang-guangbo"))
        assert script.reading_seconds == 10  # 19 characters at 2 a second
