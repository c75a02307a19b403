"""Courses: trainers write and submit versions, an admin approves and publishes; outline files loaded
idempotently (``flask training load-courses``)."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import nh3
import sqlalchemy as sa

from app.accounts.models import Role
from app.catalog.models import CatalogItem
from app.core import audit
from app.core.errors import DomainError
from app.db import utcnow
from app.extensions import db
from app.questions.bankfiles import BANK_DIR, load_yaml, parse_knowledge_points
from app.training import outline as ol
from app.training.models import COURSE_KINDS, LESSON_MODES, Course, CourseVersion, Lesson, VersionStatus

COURSE_DIR = BANK_DIR / "courses"
KP_DIR = BANK_DIR / "knowledge_points"
ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "u", "ul", "ol", "li", "h3", "h4", "h5", "blockquote",
                "table", "thead", "tbody", "tr", "th", "td", "a", "span", "sub", "sup", "hr"}
SLUG_RE = re.compile(r"[^a-z0-9-]+")


def sanitise_html(html: str) -> str:
    """Rich text a trainer typed, with scripts, styles, event handlers and foreign tags removed."""
    return nh3.clean(html or "", tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}, "td": {"colspan", "rowspan"},
                                                                "th": {"colspan", "rowspan"}},
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")


def can_edit(user, course: Course) -> bool:
    """Admins edit every course; a trainer edits their own and the base's (a new version, theirs)."""
    if user.has_role(Role.ADMIN):
        return True
    return user.has_role(Role.TRAINER) and (course.owner_id in (None, user.id))


def _audit_version(action: str, version: CourseVersion, actor, reason: str = "", **after) -> None:
    audit.record(action, "course_version", version.id, actor=actor, reason=reason,
                 after={"course": version.course.key, "version": version.version_no, "status": version.status, **after})


# ---- writing --------------------------------------------------------------------------------

def create_course(item: CatalogItem, kind: str, title: str, *, actor) -> Course:
    """A new course owned by the trainer, with an empty draft version 1. Raises DomainError."""
    if kind not in COURSE_KINDS:
        raise DomainError("培训类别应为 初训、复审培训 或 年度再培训", field="kind")
    if kind == "复审培训" and not item.is_special or kind == "年度再培训" and item.is_special:
        raise DomainError("复审培训用于特种作业，年度再培训用于三项岗位", field="kind")
    title = title.strip()
    if not title:
        raise DomainError("请填写课程名称", field="title")
    base = SLUG_RE.sub("-", f"course-{item.code or item.id}-{COURSE_KINDS.index(kind)}".lower())
    n = db.session.scalar(sa.select(sa.func.count()).select_from(Course).where(Course.key.like(f"{base}%"))) or 0
    course = Course(key=f"{base}-{n + 1}", item_id=item.id, kind=kind, owner_id=actor.id)
    db.session.add(course)
    db.session.flush()
    version = CourseVersion(course=course, version_no=1, title=title, created_by_id=actor.id)
    db.session.add(version)
    db.session.flush()
    _audit_version("course.create", version, actor)
    return course


def draft_for_edit(course: Course, *, actor) -> CourseVersion:
    """The course's draft to edit: the open draft, or a copy of the latest version as a new draft.
    Refuses while a version is waiting for review or approved but not yet published."""
    latest = course.latest
    if latest is not None and latest.status == VersionStatus.DRAFT:
        return latest
    if latest is not None and latest.status in (VersionStatus.SUBMITTED, VersionStatus.APPROVED):
        raise DomainError(f"第 {latest.version_no} 版正在审核（{VersionStatus(latest.status).label}），审核完成后才能再修改")
    copy = CourseVersion(course=course, version_no=(latest.version_no + 1) if latest else 1,
                         title=latest.title if latest else "", goals=list(latest.goals) if latest else [],
                         audience=latest.audience if latest else "", assessment=latest.assessment if latest else "",
                         created_by_id=actor.id)
    if latest is not None:
        copy.lessons = [_copy_lesson(le) for le in latest.lessons]
    db.session.add(copy)
    db.session.flush()
    _audit_version("course.new_version", copy, actor, based_on=latest.version_no if latest else None)
    return copy


def _copy_lesson(le: Lesson) -> Lesson:
    return Lesson(position=le.position, title=le.title, hours=le.hours, mode=le.mode, is_online=le.is_online,
                  goals=list(le.goals), outline=list(le.outline), knowledge_points=list(le.knowledge_points),
                  body_html=le.body_html, attachment_file=le.attachment_file, attachment_name=le.attachment_name,
                  video_file=le.video_file, video_url=le.video_url, video_seconds=le.video_seconds)


def _require_draft(version: CourseVersion) -> None:
    if not version.is_editable:
        raise DomainError(f"第 {version.version_no} 版{VersionStatus(version.status).label}，不能修改；请先生成新版本")


def update_version(version: CourseVersion, *, title: str, goals: list[str], audience: str, assessment: str) -> None:
    """Change a draft's title, goals, audience and assessment."""
    _require_draft(version)
    if not title.strip():
        raise DomainError("请填写课程名称", field="title")
    version.title, version.goals = title.strip(), [g.strip() for g in goals if g.strip()]
    version.audience, version.assessment = audience.strip(), assessment.strip()
    db.session.flush()


def save_lesson(version: CourseVersion, lesson: Lesson | None, *, title: str, hours: float, mode: str,
                is_online: bool, body_html: str, outline: list[str], video_url: str = "",
                video_seconds: int | None = None, allowed_video_prefixes: tuple[str, ...] = ()) -> Lesson:
    """Add or change a lesson of a draft. Practical lessons are never online; a video link must point at
    the base's own media server (``allowed_video_prefixes``). Raises DomainError."""
    _require_draft(version)
    if not title.strip():
        raise DomainError("请填写课名", field="title")
    if not 0 < hours <= 200 or hours * 2 != int(hours * 2):
        raise DomainError("学时应为正的整数或 .5，且不超过 200", field="hours")
    if mode not in LESSON_MODES:
        raise DomainError("授课形式应为 理论 或 实操", field="mode")
    if is_online and mode == "实操":
        raise DomainError("实操课不能在线学习", field="is_online")
    video_url = video_url.strip()
    if video_url and not any(video_url.startswith(p) for p in allowed_video_prefixes):
        allowed = "、".join(allowed_video_prefixes) or "（未设置）"
        raise DomainError(f"视频链接只能指向本基地的媒体服务器：{allowed}", field="video_url")
    if lesson is None:
        lesson = Lesson(position=len(version.lessons) + 1, title="", hours=0)
        version.lessons.append(lesson)
    lesson.title, lesson.hours, lesson.mode, lesson.is_online = title.strip(), hours, mode, is_online
    lesson.body_html = sanitise_html(body_html)
    lesson.outline = [o.strip() for o in outline if o.strip()]
    lesson.video_url = video_url
    if video_seconds:
        lesson.video_seconds = int(video_seconds)
    if lesson.is_online and lesson.video_url and not lesson.video_seconds:
        raise DomainError("在线视频链接须填写视频时长", field="video_minutes")
    db.session.flush()
    return lesson


def remove_lesson(version: CourseVersion, lesson: Lesson) -> None:
    _require_draft(version)
    version.lessons.remove(lesson)
    for i, le in enumerate(version.lessons, start=1):
        le.position = i
    db.session.flush()


# ---- review ---------------------------------------------------------------------------------

def completeness_problems(version: CourseVersion) -> list[str]:
    """What stops a version from being submitted: no lessons, hours below the catalogue, an online lesson
    without a video or courseware."""
    item = version.course.item
    problems = []
    if not version.lessons:
        problems.append("课程还没有任何一课")
    want = ol.required_hours(version.course.kind, _item_hours(item))
    if want is not None and version.hours + 1e-9 < want:
        problems.append(f"{item.name}{version.course.kind}须 {want} 学时，本版各课合计 {version.hours:g} 学时")
    if version.course.kind == "复审培训" and version.hours < ol.MIN_REVIEW_HOURS:
        problems.append(f"复审培训不少于 {ol.MIN_REVIEW_HOURS} 学时")
    if not version.goals:
        problems.append("请填写学习目标")
    return problems


def submit_version(version: CourseVersion, *, actor) -> None:
    """The trainer submits a complete draft for review. Raises DomainError listing what is missing."""
    problems = completeness_problems(version)
    if problems:
        raise DomainError("不能提交审核：" + "；".join(problems))
    version.move_to(VersionStatus.SUBMITTED)
    version.submitted_at = utcnow()
    db.session.flush()
    _audit_version("course.submit", version, actor)


def approve_version(version: CourseVersion, *, actor, note: str = "") -> None:
    version.move_to(VersionStatus.APPROVED)
    version.reviewed_by_id, version.reviewed_at, version.review_note = actor.id, utcnow(), note.strip()[:200]
    db.session.flush()
    _audit_version("course.approve", version, actor, reason=note)


def return_version(version: CourseVersion, *, actor, note: str) -> None:
    """Send a submitted or approved version back to its author as a draft, with the reason."""
    if not note.strip():
        raise DomainError("请填写退回原因", field="note")
    version.move_to(VersionStatus.DRAFT)
    version.reviewed_by_id, version.reviewed_at, version.review_note = actor.id, utcnow(), note.strip()[:200]
    db.session.flush()
    _audit_version("course.return", version, actor, reason=note)


def publish_version(version: CourseVersion, *, actor) -> None:
    """Make an approved version the course's published one; the previous one is superseded (classes that
    use it keep it)."""
    course = version.course
    version.move_to(VersionStatus.PUBLISHED)
    old = course.published
    if old is not None and old.id != version.id:
        old.move_to(VersionStatus.SUPERSEDED)
    version.published_at = utcnow()
    course.published_version_id = version.id
    db.session.flush()
    _audit_version("course.publish", version, actor, replaced=old.version_no if old else None)


def published_versions(item_id: int | None = None) -> list[CourseVersion]:
    stmt = (sa.select(CourseVersion).join(Course, Course.published_version_id == CourseVersion.id)
            .order_by(Course.item_id, Course.kind, Course.id))
    if item_id:
        stmt = stmt.where(Course.item_id == item_id)
    return db.session.scalars(stmt).all()


# ---- outline files --------------------------------------------------------------------------

def _item_hours(item: CatalogItem) -> ol.ItemHours:
    return ol.ItemHours(name=item.name, is_special=item.is_special, initial=item.training_hours_initial,
                        theory=item.training_hours_theory, practical=item.training_hours_practical,
                        refresher=item.refresher_hours)


def _kp_leaves(kp_dir: Path) -> dict[str, set[str]]:
    out = {}
    for path in sorted(Path(kp_dir).glob("*.yaml")):
        subject, leaves = parse_knowledge_points(path.read_bytes(), path.name)
        out[subject] = set(leaves)
    return out


def check_course_files(folder: Path = COURSE_DIR, kp_dir: Path = KP_DIR) -> dict[str, tuple[ol.CourseOutline | None, list[str]]]:
    """Every outline file read and checked against the catalogue in the database. Returns
    {file name: (outline or None, problems)}."""
    items = {i.name: _item_hours(i) for i in db.session.scalars(sa.select(CatalogItem))}
    leaves = _kp_leaves(kp_dir)
    out = {}
    for path in sorted(Path(folder).glob("*.yaml")):
        try:
            doc = load_yaml(path.read_bytes(), path.name)
        except DomainError as exc:
            out[path.name] = (None, [exc.message])
            continue
        out[path.name] = ol.check_outline(doc, file_key=path.stem, items=items, kp_leaves=leaves)
    return out


def outline_hash(outline: ol.CourseOutline) -> str:
    return hashlib.sha256(json.dumps(outline, default=lambda o: o.__dict__, ensure_ascii=False,
                                     sort_keys=True).encode()).hexdigest()[:16]


def load_course_files(folder: Path = COURSE_DIR, kp_dir: Path = KP_DIR, *, actor=None, strict: bool = True) -> list[str]:
    """Load every outline file as a published version owned by the base. Idempotent: an unchanged file
    does nothing; a changed file adds a new published version, unless a trainer or admin has edited the
    course since (then the file is skipped and said so). Raises DomainError when any file has problems
    (nothing is loaded then). Returns one line per file."""
    checked = check_course_files(folder, kp_dir)
    bad = [f"{name}：{p}" for name, (_o, problems) in checked.items() for p in problems]
    if bad and strict:
        raise DomainError("课程大纲文件有错误：" + "；".join(bad[:10]) + (f" 等 {len(bad)} 处" if len(bad) > 10 else ""))
    lines = []
    for name, (outline, problems) in checked.items():
        lines.append(f"{name}：{_load_outline(outline, name, actor)}" if outline else f"{name}：有错误，未载入（{problems[0]}）")
    return lines


def _load_outline(outline: ol.CourseOutline, name: str, actor) -> str:
    digest = outline_hash(outline)
    source = f"{name}#{digest}"
    item = db.session.scalar(sa.select(CatalogItem).where(CatalogItem.name == outline.item))
    course = db.session.scalar(sa.select(Course).where(Course.key == outline.key))
    if course is None:
        course = Course(key=outline.key, item_id=item.id, kind=outline.kind, owner_id=None)
        db.session.add(course)
        db.session.flush()
    latest = course.latest
    if latest is not None and latest.source == source:
        return "未变"
    if any(v.created_by_id is not None for v in course.versions):
        return "课程已在系统中修改过，未覆盖"
    version = CourseVersion(course=course, version_no=(latest.version_no + 1) if latest else 1,
                            title=outline.title, goals=outline.goals, audience=outline.audience,
                            assessment=outline.assessment, source=source, status=VersionStatus.APPROVED)
    version.lessons = [Lesson(position=i, title=le.title, hours=le.hours, mode=le.mode, is_online=le.online,
                              goals=le.goals, outline=le.outline, knowledge_points=le.knowledge_points)
                       for i, le in enumerate(outline.lessons, start=1)]
    db.session.add(version)
    db.session.flush()
    publish_version(version, actor=actor)
    return f"第 {version.version_no} 版已发布（{outline.hours:g} 学时，{len(outline.lessons)} 课）"
