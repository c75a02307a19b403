"""Question bank rules: knowledge points, import (all or nothing, idempotent), versions,
status changes and export. Every change to the active bank bumps its generation."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa

from app.catalog.models import CatalogItem
from app.catalog.services import item_by_name
from app.core import audit
from app.core.errors import DomainError
from app.extensions import db
from app.questions.bankfiles import duplicate_errors, read_bank
from app.questions.models import BankGeneration, KnowledgePoint, Question, QuestionStatus, QuestionVersion
from app.questions.records import QuestionRecord, RowError, normalise_stem

# ---- knowledge points ------------------------------------------------------------------------

def load_knowledge_points(subject: str, leaves: list[str]) -> int:
    """Create the subject's knowledge points (both levels) that do not exist yet. Returns how many."""
    item = _item_or_error(subject)
    existing = {kp.path: kp for kp in db.session.scalars(sa.select(KnowledgePoint).where(KnowledgePoint.item_id == item.id))}
    created = 0
    for order, path in enumerate(leaves):
        top = path.split("/", 1)[0]
        if top not in existing:
            existing[top] = KnowledgePoint(item_id=item.id, name=top, path=top, sort_order=order * 10)
            db.session.add(existing[top])
            created += 1
        if path not in existing:
            db.session.flush()
            existing[path] = KnowledgePoint(item_id=item.id, parent_id=existing[top].id, name=path.split("/")[-1],
                                            path=path, sort_order=order * 10 + 1)
            db.session.add(existing[path])
            created += 1
    db.session.flush()
    return created


def _item_or_error(name: str) -> CatalogItem:
    item = item_by_name(name)
    if item is None:
        raise DomainError(f"考核项目“{name}”不在目录中，请先执行 flask catalog load 或在目录中添加")
    return item


def bump_generation(item_ids) -> None:
    """Give each item's bank a new random generation token (cached indexes then rebuild)."""
    for item_id in set(item_ids):
        row = db.session.get(BankGeneration, item_id)
        if row is None:
            db.session.add(BankGeneration(item_id=item_id, generation=secrets.token_hex(16)))
        else:
            row.generation = secrets.token_hex(16)
    db.session.flush()


# ---- import ---------------------------------------------------------------------------------

@dataclass
class ImportResult:
    created: int = 0
    new_versions: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.created + self.new_versions


def _resolve(records: list[QuestionRecord]) -> tuple[dict, dict, list[RowError]]:
    """Map item names and (item, knowledge point path) to rows; errors for unknown ones."""
    errors, items, kps = [], {}, {}
    for rec in records:
        for name in rec.items:
            if name not in items:
                items[name] = item_by_name(name)
            if items[name] is None:
                errors.append(RowError(rec.row, "适用项目", f"考核项目“{name}”不在目录中"))
        owner = items.get(rec.items[0])
        if owner is None:
            continue
        key = (owner.id, rec.knowledge_point)
        if key not in kps:
            kps[key] = db.session.scalar(sa.select(KnowledgePoint).where(
                KnowledgePoint.item_id == owner.id, KnowledgePoint.path == rec.knowledge_point))
        if kps[key] is None:
            errors.append(RowError(rec.row, "知识点", f"“{rec.knowledge_point}”不是“{owner.name}”的知识点"))
    return items, kps, errors


def _stem_clashes(records: list[QuestionRecord], items: dict) -> list[RowError]:
    """A question whose stem equals another live question's of the same subject is refused."""
    keys = {r.external_key for r in records}
    existing = {}
    owners = {items[r.items[0]].id for r in records if items.get(r.items[0])}
    for key, item_id, stem in db.session.execute(
        sa.select(Question.external_key, Question.item_id, QuestionVersion.stem)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.status != QuestionStatus.RETIRED, Question.item_id.in_(owners))
    ):
        existing[(item_id, normalise_stem(stem))] = key
    errors = []
    for rec in records:
        owner = items.get(rec.items[0])
        other = existing.get((owner.id if owner else None, normalise_stem(rec.stem)))
        if other is not None and other != rec.external_key and other not in keys:
            errors.append(RowError(rec.row, "题干", f"与题库中已有的题目 {other} 题干相同"))
    return errors


def import_records(records: list[QuestionRecord], *, activate: bool, source_name: str, actor=None) -> ImportResult:
    """Import validated records: all or nothing (nothing is written when any record is refused).

    A record whose 编号 exists and whose content is unchanged changes nothing; changed content
    makes a new version (a draft's only version is edited in place). Returns counts and errors.
    """
    result = ImportResult()
    result.errors = duplicate_errors(records)
    items, kps, errors = _resolve(records)
    result.errors += errors + _stem_clashes(records, items)
    if result.errors:
        return result
    touched = set()
    by_key = {q.external_key: q for q in db.session.scalars(
        sa.select(Question).where(Question.external_key.in_([r.external_key for r in records])))}
    for rec in records:
        owner = items[rec.items[0]]
        kp = kps[(owner.id, rec.knowledge_point)]
        question = by_key.get(rec.external_key)
        if question is None:
            _create(rec, owner, [items[n] for n in rec.items], kp, activate, actor)
            result.created += 1
            touched.update(i.id for i in (items[n] for n in rec.items))
        elif _update(question, rec, [items[n] for n in rec.items], kp, actor, activate):
            result.new_versions += 1
            touched.update(i.id for i in (items[n] for n in rec.items))
        else:
            result.unchanged += 1
    db.session.flush()
    if touched:
        bump_generation(touched)
    if result.changed:
        audit.record("question.import", "question_bank", source_name, actor=actor,
                     after={"created": result.created, "new_versions": result.new_versions,
                            "unchanged": result.unchanged})
    return result


def import_bank(path, *, activate: bool = True, actor=None) -> ImportResult:
    """Import a bank folder (knowledge points, then questions) or one upload file: all or nothing.
    Raises DomainError for an unreadable file; row problems come back in result.errors."""
    kp_lists, parsed = read_bank(path)
    if parsed.errors:
        return ImportResult(errors=parsed.errors)
    for subject, leaves in kp_lists:
        load_knowledge_points(subject, leaves)
    return import_records(parsed.records, activate=activate, source_name=getattr(path, "name", str(path)), actor=actor)


def _version_from(rec: QuestionRecord, kp: KnowledgePoint, version_no: int, actor) -> QuestionVersion:
    return QuestionVersion(version_no=version_no, qtype=rec.qtype, stem=rec.stem, options=list(rec.options),
                           answer=rec.answer, explanation=rec.explanation, knowledge_point_id=kp.id,
                           difficulty=rec.difficulty, source=rec.source, content_hash=rec.content_hash(),
                           created_by_id=getattr(actor, "id", None))


def _create(rec, owner, items, kp, activate, actor) -> Question:
    question = Question(external_key=rec.external_key, item_id=owner.id, pool=rec.pool,
                        status=QuestionStatus.ACTIVE if activate else QuestionStatus.DRAFT)
    question.items = items
    db.session.add(question)
    db.session.flush()
    version = _version_from(rec, kp, 1, actor)
    question.versions.append(version)
    db.session.flush()
    question.current_version_id = version.id
    return question


def _update(question: Question, rec: QuestionRecord, items, kp, actor, activate: bool) -> bool:
    current = db.session.get(QuestionVersion, question.current_version_id)
    same_meta = question.pool == rec.pool and [i.id for i in question.items] == [i.id for i in items]
    if current is not None and current.content_hash == rec.content_hash() and same_meta:
        return False
    question.pool = rec.pool
    question.items = items
    question.item_id = items[0].id
    if current is None or current.content_hash != rec.content_hash():
        save_version(question, rec, kp, actor, note="导入更新")
    if activate and question.status == QuestionStatus.DRAFT:
        question.status = QuestionStatus.ACTIVE
    return True


def save_version(question: Question, rec: QuestionRecord, kp: KnowledgePoint, actor, note: str = "") -> QuestionVersion:
    """Record new content for a question. A draft's content is edited in place (no paper can
    point at it); otherwise a new version is made and becomes current. A changed key is audited."""
    current = db.session.get(QuestionVersion, question.current_version_id) if question.current_version_id else None
    if current is not None and question.status == QuestionStatus.DRAFT and current.version_no == 1:
        version = current
        before_key = current.answer
        for key, value in _version_from(rec, kp, 1, actor).__dict__.items():
            if not key.startswith("_") and key not in ("version_no",):
                setattr(version, key, value)
        version.change_note = note
    else:
        before_key = current.answer if current else None
        version = _version_from(rec, kp, (current.version_no + 1) if current else 1, actor)
        version.change_note = note
        question.versions.append(version)
        db.session.flush()
        question.current_version_id = version.id
    db.session.flush()
    if current is not None and before_key != rec.answer:
        audit.record("question.key_change", "question", question.external_key, actor=actor, reason=note,
                     before={"answer": before_key, "version": current.version_no},
                     after={"answer": rec.answer, "version": version.version_no})
    return version


# ---- status ---------------------------------------------------------------------------------

def set_status(questions: list[Question], status: QuestionStatus, *, actor=None, reason: str = "") -> int:
    """Activate, retire or return questions to draft. Questions are never deleted. Returns how many changed."""
    changed = [q for q in questions if q.status != status]
    if status == QuestionStatus.DRAFT and any(q.status != QuestionStatus.DRAFT and len(q.versions) > 1 for q in changed):
        raise DomainError("已启用过的题目不能退回草稿，请停用后再修改")
    for q in changed:
        before = q.status
        q.status = status
        audit.record(f"question.{status}", "question", q.external_key, actor=actor, reason=reason,
                     before={"status": before}, after={"status": str(status)})
    db.session.flush()
    bump_generation({i.id for q in changed for i in q.items})
    return len(changed)


# ---- export ---------------------------------------------------------------------------------

def record_of(question: Question, version: QuestionVersion | None = None) -> QuestionRecord:
    """The question (its current version unless given) as a record, for export and editing."""
    v = version or db.session.get(QuestionVersion, question.current_version_id)
    return QuestionRecord(external_key=question.external_key, qtype=v.qtype, stem=v.stem, options=list(v.options),
                          answer=v.answer, explanation=v.explanation, knowledge_point=v.knowledge_point.path,
                          difficulty=v.difficulty, items=[i.name for i in question.items], source=v.source,
                          pool=question.pool, row=question.external_key)


# ---- authoring ------------------------------------------------------------------------------

def leaf_paths(item_id: int) -> list[str]:
    """The paths of the item's knowledge points a question may name (those without children), in order."""
    kps = db.session.scalars(sa.select(KnowledgePoint).where(KnowledgePoint.item_id == item_id)
                             .order_by(KnowledgePoint.sort_order, KnowledgePoint.id)).all()
    parents = {kp.parent_id for kp in kps}
    return [kp.path for kp in kps if kp.id not in parents]


def create_question(rec: QuestionRecord, *, actor=None, note: str = "") -> tuple[Question | None, list[RowError]]:
    """Add one question typed in a form, as a draft. Returns (question, errors); nothing is written on errors."""
    if db.session.scalar(sa.select(Question.id).where(Question.external_key == rec.external_key)) is not None:
        return None, [RowError(rec.row, "编号",
                               f"编号 {rec.external_key} 已被另一道题使用（题干相同的题目自动编号也相同）")]
    result = import_records([rec], activate=False, source_name="网页录入", actor=actor)
    if result.errors:
        return None, result.errors
    question = db.session.scalar(sa.select(Question).where(Question.external_key == rec.external_key))
    db.session.get(QuestionVersion, question.current_version_id).change_note = note
    db.session.flush()
    return question, []


def edit_question(question: Question, rec: QuestionRecord, *, actor=None,
                  note: str = "") -> tuple[QuestionVersion | None, list[RowError]]:
    """Save a form's content for an existing question: pool, items and content (save_version makes the
    new version). Returns (current version, or None when nothing changed; errors)."""
    items, kps, errors = _resolve([rec])
    errors += _stem_clashes([rec], items)
    if errors:
        return None, errors
    new_items = [items[name] for name in rec.items]
    current = db.session.get(QuestionVersion, question.current_version_id)
    same_meta = question.pool == rec.pool and [i.id for i in question.items] == [i.id for i in new_items]
    if current.content_hash == rec.content_hash() and same_meta:
        return None, []
    touched = {i.id for i in question.items} | {i.id for i in new_items}
    question.pool, question.items, question.item_id = rec.pool, new_items, new_items[0].id
    if current.content_hash != rec.content_hash():
        current = save_version(question, rec, kps[(new_items[0].id, rec.knowledge_point)], actor, note=note)
    bump_generation(touched)
    return current, []
