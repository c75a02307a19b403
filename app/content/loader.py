"""`flask content check` / `flask content load`: the shipped public content under culture/.

The files (format agreed with the content authors): culture/calendar.yaml, culture/items/<key>.yaml,
culture/quiz/<hazard-slug>.yaml. Loading is idempotent and keyed by ``key`` / ``id``: a row changed in
the system (``is_edited``) is never overwritten by a later load; an unchanged file changes nothing.
New items from the files are published at once (they went through the authors' review).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
import yaml

from app.content import broadcasting, services
from app.content.calendar import CalendarError, parse_month_day, parse_rule
from app.content.models import CampaignEvent, ContentItem, ItemStatus, QuizQuestion
from app.content.rules import ALLOWED_TAGS, HAZARDS, ContentType, is_slug
from app.core import audit
from app.db import utcnow
from app.extensions import db
from app.questions.types import KeyError_, kind

CULTURE_DIR = Path(__file__).resolve().parents[2] / "culture"
FILE_TAGS = ALLOWED_TAGS - {"a", "img"}  # the files use the limited set only
QUIZ_ID = re.compile(r"^YJ-\d{4}$")
OPTION_COUNTS = {"判断": {0}, "单选": {4}, "多选": {4, 5}}
LETTER_REFERENCE = re.compile(r"(选项|答案|选)\s*[A-E](?![A-Za-z])|(?<![A-Za-z])[A-E]\s*(项|选项)")


@dataclass
class Culture:
    events: list[dict] = field(default_factory=list)
    items: list[dict] = field(default_factory=list)
    questions: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)   # errors: nothing is loaded while there are any
    warnings: list[str] = field(default_factory=list)   # coverage short of what the portal promises


@dataclass
class LoadSummary:
    created: dict = field(default_factory=lambda: {"events": 0, "items": 0, "questions": 0})
    updated: dict = field(default_factory=lambda: {"events": 0, "items": 0, "questions": 0})
    kept: list[str] = field(default_factory=list)  # rows an editor changed: left alone
    unchanged: int = 0


def _digest(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _read_yaml(path: Path, problems: list[str]):
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.append(f"{path.name}：无法读取（{exc.__class__.__name__}：{str(exc)[:120]}）")
        return None


def _check_event(raw: dict, where: str, problems: list[str]) -> None:
    if not is_slug(str(raw.get("key", ""))):
        problems.append(f"{where}：key 应为小写字母、数字和连字符")
    if not str(raw.get("name") or "").strip():
        problems.append(f"{where}：缺少 name")
    try:
        if raw.get("rule"):
            parse_rule(raw["rule"])
        parse_month_day(str(raw.get("start", "")))
        parse_month_day(str(raw.get("end", raw.get("start", ""))))
    except CalendarError as exc:
        problems.append(f"{where}：{exc}")
    bad = [h for h in raw.get("hazards") or [] if h not in HAZARDS]
    if bad:
        problems.append(f"{where}：未知的灾种 {'、'.join(map(str, bad))}")
    if not isinstance(raw.get("themes") or {}, dict):
        problems.append(f"{where}：themes 应为 {{年份: 主题}}")


def _check_item(raw: dict, path: Path, event_keys: set[str], problems: list[str]) -> None:
    where = f"items/{path.name}"
    if raw.get("key") != path.stem:
        problems.append(f"{where}：key 应与文件名相同（{path.stem}）")
    if not is_slug(str(raw.get("key", ""))):
        problems.append(f"{where}：key 应为小写字母、数字和连字符")
    if raw.get("type") not in set(ContentType):
        problems.append(f"{where}：未知的 type “{raw.get('type')}”")
    for name in ("title", "summary", "body"):
        if not str(raw.get(name) or "").strip():
            problems.append(f"{where}：缺少 {name}")
    bad = [h for h in raw.get("hazards") or [] if h not in HAZARDS]
    if bad or not raw.get("hazards"):
        problems.append(f"{where}：灾种标签有误或缺失 {'、'.join(map(str, bad))}")
    missing = [e for e in raw.get("events") or [] if e not in event_keys]
    if missing:
        problems.append(f"{where}：日历中没有活动 {'、'.join(map(str, missing))}")
    tags = {t.lower() for t in re.findall(r"<\s*([a-zA-Z][a-zA-Z0-9]*)", str(raw.get("body") or ""))}
    if tags - FILE_TAGS:
        problems.append(f"{where}：正文使用了不允许的标签 {'、'.join(sorted(tags - FILE_TAGS))}")


def _check_question(raw: dict, where: str, hazard, seen: set[str], problems: list[str]) -> dict | None:
    qid = str(raw.get("id", ""))
    where = f"{where} {qid or '（无 id）'}"
    if not QUIZ_ID.match(qid):
        problems.append(f"{where}：id 应为 YJ- 加 4 位数字")
    elif qid in seen:
        problems.append(f"{where}：id 重复")
    seen.add(qid)
    label = raw.get("type")
    if label not in OPTION_COUNTS:
        problems.append(f"{where}：题型应为 判断、单选 或 多选")
        return None
    options = [str(o).strip() for o in raw.get("options") or []]
    if len(options) not in OPTION_COUNTS[label]:
        problems.append(f"{where}：{label}题选项数应为 {'或'.join(map(str, sorted(OPTION_COUNTS[label])))}，现有 {len(options)}")
    qkind = kind(label)
    problems.extend(f"{where}：{p}" for p in (qkind.check_options(options) if options else []))
    try:
        answer = qkind.parse_key(raw.get("answer"), len(options))
    except KeyError_ as exc:
        problems.append(f"{where}：{exc}")
        return None
    explanation = str(raw.get("explanation") or "").strip()
    if not str(raw.get("stem") or "").strip() or not explanation:
        problems.append(f"{where}：缺少题干或解析")
    elif LETTER_REFERENCE.search(explanation):
        problems.append(f"{where}：解析不要引用选项字母（选项显示顺序可能不同），请直接写出内容")
    return {"code": qid, "hazard": hazard, "type": qkind.code, "stem": str(raw.get("stem") or "").strip(),
            "options": options, "answer": answer, "explanation": explanation}


def read_culture(root: Path | str = CULTURE_DIR) -> Culture:
    """Read and check every file under ``root``; problems name the file and the field."""
    root, out = Path(root), Culture()
    doc = _read_yaml(root / "calendar.yaml", out.problems) if (root / "calendar.yaml").exists() else None
    if doc is None and not (root / "calendar.yaml").exists():
        out.problems.append("缺少 calendar.yaml")
    for i, raw in enumerate((doc or {}).get("events") or [], start=1):
        _check_event(raw, f"calendar.yaml 第 {i} 个活动（{raw.get('key', '?')}）", out.problems)
        out.events.append(raw)
    keys = [e.get("key") for e in out.events]
    if len(keys) != len(set(keys)):
        out.problems.append("calendar.yaml：活动 key 有重复")
    for path in sorted((root / "items").glob("*.yaml")):
        raw = _read_yaml(path, out.problems)
        if isinstance(raw, dict):
            _check_item(raw, path, set(keys), out.problems)
            out.items.append(raw)
        elif raw is not None:
            out.problems.append(f"items/{path.name}：内容应为一个条目")
    seen: set[str] = set()
    for path in sorted((root / "quiz").glob("*.yaml")):
        raw = _read_yaml(path, out.problems) or {}
        hazard = raw.get("hazard")
        if hazard not in HAZARDS:
            out.problems.append(f"quiz/{path.name}：hazard “{hazard}” 不在灾种列表中")
        for q in raw.get("questions") or []:
            checked = _check_question(q, f"quiz/{path.name}", hazard, seen, out.problems)
            if checked:
                out.questions.append(checked)
    _coverage(out)
    return out


def _coverage(out: Culture) -> None:
    """What the portal promises: two items per event, a handbook per hazard, ≥ 100 quiz questions."""
    for event in out.events:
        n = sum(1 for it in out.items if event.get("key") in (it.get("events") or [])
                and it.get("type") in ("article", "broadcast"))
        if n < 2:
            out.warnings.append(f"活动 {event.get('name')}：只有 {n} 篇文章或广播稿（应至少 2 篇）")
    handbooks = {h for it in out.items if it.get("type") == "handbook" for h in it.get("hazards") or []}
    for hazard in HAZARDS:
        if hazard not in handbooks:
            out.warnings.append(f"灾种 {hazard}：没有应急手册")
    if len(out.questions) < 100:
        out.warnings.append(f"公众题库只有 {len(out.questions)} 题（应至少 100 题）")


def load_culture(root: Path | str = CULTURE_DIR, *, speed: int = services.DEFAULT_CHARS_PER_MINUTE) -> LoadSummary:
    """Load the checked files (see the module docstring). Raises ValueError with the problems when
    the files do not pass the check, so nothing half-loaded is left behind."""
    culture = read_culture(root)
    if culture.problems:
        raise ValueError(culture.problems)
    summary = LoadSummary()
    for raw in culture.events:
        _load_event(raw, summary)
    db.session.flush()
    for raw in culture.items:
        _load_item(raw, summary, speed)
    for data in culture.questions:
        _load_question(data, summary)
    if summary.created["questions"]:
        audit.record("content.quiz.load", "quiz_pool", "public", after={"created": summary.created["questions"]},
                     reason="culture/quiz")
    broadcasting.ensure_channels()
    if summary.created != LoadSummary().created or summary.updated != LoadSummary().updated:
        services.bump_generation()
    db.session.flush()
    return summary


def _load_event(raw: dict, summary: LoadSummary) -> None:
    data = {"name": str(raw["name"]).strip(), "start_md": str(raw["start"]), "end_md": str(raw.get("end") or raw["start"]),
            "rule": raw.get("rule") or None, "hazards": list(raw.get("hazards") or []),
            "description": str(raw.get("description") or "").strip(),
            "themes": {str(y): str(t) for y, t in (raw.get("themes") or {}).items()}}
    digest = _digest(data)
    event = db.session.scalar(sa.select(CampaignEvent).where(CampaignEvent.key == raw["key"]))
    if event is not None and (event.is_edited or event.source_hash == digest):
        summary.kept.append(f"活动 {event.key}") if event.is_edited and event.source_hash != digest else None
        summary.unchanged += 1
        return
    before = event.snapshot() if event else None
    if event is None:
        event = CampaignEvent(key=raw["key"])
        db.session.add(event)
    for name, value in data.items():
        setattr(event, name, value)
    event.source_hash = digest
    db.session.flush()
    (summary.created if before is None else summary.updated)["events"] += 1
    audit.record("content.event.load", "campaign_event", event.key, before=before, after=event.snapshot(),
                 reason="culture/calendar.yaml")


def _load_item(raw: dict, summary: LoadSummary, speed: int) -> None:
    digest = _digest(raw)
    item = db.session.scalar(sa.select(ContentItem).where(ContentItem.key == raw["key"]))
    if item is not None and (item.is_edited or item.source_hash == digest):
        if item.is_edited and item.source_hash != digest:
            summary.kept.append(f"内容 {item.key}")
        summary.unchanged += 1
        return
    creating = item is None
    item = services.save_item(item, key=raw["key"], type_=raw["type"], title=str(raw["title"]),
                              summary=str(raw.get("summary") or ""), body=str(raw["body"]),
                              hazards=list(raw.get("hazards") or []), event_keys=list(raw.get("events") or []),
                              speed=speed, note=f"culture/items/{raw['key']}.yaml", from_file=True)
    item.source_hash = digest
    if creating:
        item.status, item.published_at = ItemStatus.APPROVED, utcnow()
        audit.record("content.item.publish", "content_item", item.id, after=item.snapshot(), reason="随内容文件发布")
    (summary.created if creating else summary.updated)["items"] += 1
    db.session.flush()


def _load_question(data: dict, summary: LoadSummary) -> None:
    digest = _digest(data)
    q = db.session.scalar(sa.select(QuizQuestion).where(QuizQuestion.code == data["code"]))
    if q is not None and (q.is_edited or q.source_hash == digest):
        summary.unchanged += 1
        return
    creating = q is None
    if creating:
        q = QuizQuestion(code=data["code"])
        db.session.add(q)
    for name, value in data.items():
        setattr(q, name, value)
    q.source_hash = digest
    db.session.flush()
    (summary.created if creating else summary.updated)["questions"] += 1
    if not creating:
        audit.record("content.quiz.update", "quiz_question", q.code, after={"answer": q.answer},
                     reason="culture/quiz")
