"""Fixtures of the portal's tests: a small culture/ tree of our own, loaded inside the test's transaction."""
from __future__ import annotations

import textwrap

import pytest

from app.content import cache

CALENDAR = """\
events:
  - key: quanyear
    name: 全年安全宣传
    start: "01-01"
    end: "12-31"
    rule: null
    hazards: [地震, 消防]
    description: 测试用的全年活动。
    themes: {}
  - key: kepu-ri
    name: 全国科普日
    start: "09-15"
    end: "09-21"
    rule: third-week-of-september
    hazards: [急救]
    description: 九月第三周。
    themes: {}
"""

ITEMS = {
    "dizhen-bixian": """\
        key: dizhen-bixian
        type: article
        title: 地震来了怎么办
        summary: 伏地、遮挡、手抓牢。
        hazards: [地震]
        events: [quanyear]
        body: |
          <p>室内避险：就近躲在结实的桌子下，<strong>伏地、遮挡、手抓牢</strong>。</p>
          <h2>不要做的事</h2>
          <ul><li>不要乘电梯</li><li>不要跳楼</li></ul>
        """,
    "xiaofang-guangbo": """\
        key: xiaofang-guangbo
        type: broadcast
        title: 消防广播：拨打119
        summary: 火警电话。
        hazards: [消防]
        events: [quanyear]
        body: |
          <p>发现火情请拨打一一九。</p>
          <p>说清地址和着火物。</p>
        """,
    "shouce-dizhen": """\
        key: shouce-dizhen
        type: handbook
        title: 地震应急手册
        summary: 一页纸。
        hazards: [地震]
        events: []
        body: |
          <table><thead><tr><th>阶段</th><th>做法</th></tr></thead><tbody><tr><td>震时</td><td>躲避</td></tr></tbody></table>
        """,
}

QUIZ = {
    "dizhen": """\
        hazard: 地震
        questions:
          - id: YJ-0001
            type: 判断
            stem: 地震时应立即乘电梯下楼。
            answer: 错
            explanation: 地震时电梯可能停运或变形，人会被困在里面。
          - id: YJ-0002
            type: 单选
            stem: 在室内遇到地震，首先应当怎么做？
            options: [跳窗逃生, 就近躲到结实的桌子下, 跑到阳台上, 乘电梯下楼]
            answer: B
            explanation: 震时跑动容易摔伤或被砸，就近躲避更安全。
          - id: YJ-0003
            type: 多选
            stem: 家庭应急包里应当有哪些物品？
            options: [饮用水, 手电筒, 常用药品, 烟花爆竹]
            answer: ABC
            explanation: 水、照明和药品是震后等待救援时最需要的，烟花爆竹是危险品。
        """,
    "xiaofang": """\
        hazard: 消防
        questions:
          - id: YJ-0101
            type: 判断
            stem: 发现火情应拨打119。
            answer: 对
            explanation: 119 是火警电话。
        """,
}


def write_culture(root, *, calendar=CALENDAR, items=None, quiz=None):
    """A culture/ tree under ``root``; returns the path."""
    (root / "items").mkdir(parents=True, exist_ok=True)
    (root / "quiz").mkdir(exist_ok=True)
    (root / "calendar.yaml").write_text(calendar, encoding="utf-8")
    for key, text in (ITEMS if items is None else items).items():
        (root / "items" / f"{key}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    for name, text in (QUIZ if quiz is None else quiz).items():
        (root / "quiz" / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return root


@pytest.fixture
def culture(tmp_path):
    return write_culture(tmp_path / "culture")


@pytest.fixture
def loaded(app, culture):
    """The small culture/ tree loaded and committed inside the test's rolled-back transaction."""
    from app.content.loader import load_culture
    from app.extensions import db
    with app.app_context():
        summary = load_culture(culture)
        db.session.commit()
    return summary


@pytest.fixture(autouse=True)
def _fresh_page_cache():
    cache.clear()
    yield
    cache.clear()
