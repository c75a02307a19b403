"""Course-outline files (question_bank/courses/<key>.yaml): reading and checking. Pure module.

The format is agreed with the content authors (see question_bank/courses/). ``check_outline`` returns every
problem it finds, each a Chinese sentence naming the field, so one run of ``flask training check-courses``
shows all of them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

KINDS = ("初训", "复审培训", "年度再培训")
MODES = ("理论", "实操")
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,98}$")
MIN_REVIEW_HOURS = 8


@dataclass(frozen=True)
class ItemHours:
    """What the catalogue says about an item's hours (None where it sets none)."""
    name: str
    is_special: bool
    initial: int | None
    theory: int | None
    practical: int | None
    refresher: int | None


@dataclass
class LessonOutline:
    title: str
    hours: float
    mode: str
    online: bool
    goals: list[str] = field(default_factory=list)
    outline: list[str] = field(default_factory=list)
    knowledge_points: list[str] = field(default_factory=list)


@dataclass
class CourseOutline:
    key: str
    item: str
    kind: str
    title: str
    hours: float
    theory_hours: float
    practical_hours: float
    goals: list[str]
    audience: str
    assessment: str
    lessons: list[LessonOutline]


def _strings(value, label: str, problems: list[str]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        problems.append(f"{label} 应为文字列表")
        return []
    return [str(v).strip() for v in value if str(v).strip()]


def _hours(value, label: str, problems: list[str]) -> float:
    try:
        hours = float(value)
    except (TypeError, ValueError):
        problems.append(f"{label} 应为数字，现为“{value}”")
        return 0.0
    if hours <= 0 or hours * 2 != int(hours * 2):
        problems.append(f"{label} 应为正的整数或 .5，现为 {value}")
    return hours


def required_hours(kind: str, item: ItemHours) -> int | None:
    """The catalogue's hours for a course of ``kind`` (None when the catalogue sets none)."""
    if kind == "初训":
        return item.initial
    return item.refresher


def _lesson(raw, i: int, problems: list[str], leaves: set[str] | None) -> LessonOutline | None:
    where = f"第 {i} 课"
    if not isinstance(raw, dict):
        problems.append(f"{where} 格式不正确")
        return None
    title = str(raw.get("title") or "").strip()
    if not title:
        problems.append(f"{where} 缺少标题 title")
    where = f"第 {i} 课“{title}”" if title else where
    hours = _hours(raw.get("hours"), f"{where} 的学时 hours", problems)
    mode = str(raw.get("mode") or "")
    if mode not in MODES:
        problems.append(f"{where} 的形式 mode 应为 理论 或 实操，现为“{mode}”")
    online = raw.get("online", False)
    if not isinstance(online, bool):
        problems.append(f"{where} 的 online 应为 true 或 false")
        online = False
    if online and mode == "实操":
        problems.append(f"{where} 是实操课，不能在线学习（online 应为 false）")
    outline = _strings(raw.get("outline"), f"{where} 的 outline", problems)
    if not 3 <= len(outline) <= 8:
        problems.append(f"{where} 的内容要点 outline 应有 3–8 条，现有 {len(outline)} 条")
    kps = _strings(raw.get("knowledge_points"), f"{where} 的 knowledge_points", problems)
    if leaves is not None:
        unknown = [k for k in kps if k not in leaves]
        if unknown:
            problems.append(f"{where} 的知识点不在该项目的知识点文件中：{'、'.join(unknown)}")
    return LessonOutline(title=title, hours=hours, mode=mode, online=bool(online),
                         goals=_strings(raw.get("goals"), f"{where} 的 goals", problems), outline=outline,
                         knowledge_points=kps)


def check_outline(doc, *, file_key: str, items: dict[str, ItemHours],
                  kp_leaves: dict[str, set[str]] | None = None) -> tuple[CourseOutline | None, list[str]]:
    """Read one outline document. ``items``: catalogue items by name; ``kp_leaves``: knowledge-point paths by
    item name (an item without a knowledge-point file is not checked). Returns (outline or None, problems)."""
    problems: list[str] = []
    if not isinstance(doc, dict):
        return None, ["文件内容应为一个 YAML 映射（key: 值）"]
    key = str(doc.get("key") or "")
    if not KEY_RE.match(key):
        problems.append(f"key 应为小写字母、数字和连字符，现为“{key}”")
    elif key != file_key:
        problems.append(f"key “{key}”应与文件名“{file_key}”相同")
    item = items.get(str(doc.get("item") or ""))
    if item is None:
        problems.append(f"考核项目 item “{doc.get('item')}”不在目录中（名称须与 catalog.yaml 完全一致）")
    kind = str(doc.get("kind") or "")
    if kind not in KINDS:
        problems.append(f"培训类别 kind 应为 初训、复审培训 或 年度再培训，现为“{kind}”")
    elif item is not None and kind == "复审培训" and not item.is_special:
        problems.append("复审培训只适用于特种作业；三项岗位请用 年度再培训")
    elif item is not None and kind == "年度再培训" and item.is_special:
        problems.append("年度再培训只适用于三项岗位；特种作业请用 复审培训")
    title = str(doc.get("title") or "").strip()
    if not title:
        problems.append("缺少课程名称 title")
    raw_lessons = doc.get("lessons")
    if not isinstance(raw_lessons, list) or not raw_lessons:
        problems.append("至少需要一课 lessons")
        raw_lessons = []
    leaves = (kp_leaves or {}).get(item.name) if item is not None else None
    lessons = [le for i, raw in enumerate(raw_lessons, start=1) if (le := _lesson(raw, i, problems, leaves))]
    total = sum(le.hours for le in lessons)
    theory = sum(le.hours for le in lessons if le.mode == "理论")
    practical = sum(le.hours for le in lessons if le.mode == "实操")
    declared = {"hours": total, "theory_hours": theory, "practical_hours": practical}
    labels = {"hours": "总学时", "theory_hours": "理论学时", "practical_hours": "实操学时"}
    for name, actual in declared.items():
        value = doc.get(name)
        if value is None:
            problems.append(f"缺少{labels[name]} {name}")
        elif _hours(value, f"{labels[name]} {name}", []) != actual and float(value or 0) != actual:
            problems.append(f"{labels[name]} {name} 写为 {value}，各课合计为 {actual:g}")
    if item is not None and kind in KINDS:
        want = required_hours(kind, item)
        if want is not None and abs(total - want) > 1e-9:
            problems.append(f"{item.name}{kind}在目录中为 {want} 学时，课程各课合计 {total:g} 学时")
        if kind == "初训" and item.theory is not None and abs(theory - item.theory) > 1e-9:
            problems.append(f"{item.name}初训理论学时在目录中为 {item.theory}，课程合计 {theory:g}")
        if kind == "初训" and item.practical is not None and abs(practical - item.practical) > 1e-9:
            problems.append(f"{item.name}初训实操学时在目录中为 {item.practical}，课程合计 {practical:g}")
        if kind == "复审培训" and total < MIN_REVIEW_HOURS:
            problems.append(f"复审培训不少于 {MIN_REVIEW_HOURS} 学时，现为 {total:g}")
    goals = _strings(doc.get("goals"), "goals", problems)
    if not goals:
        problems.append("缺少学习目标 goals")
    if problems:
        return None, problems
    return CourseOutline(key=key, item=item.name, kind=kind, title=title, hours=total, theory_hours=theory,
                         practical_hours=practical, goals=goals, audience=str(doc.get("audience") or "").strip(),
                         assessment=str(doc.get("assessment") or "").strip(), lessons=lessons), []
