"""Blueprint versions and activation, the cached index of each subject's active bank, and
paper assembly with its snapshot."""
from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
import yaml
from flask import current_app

from app.catalog.services import item_by_name
from app.core import audit
from app.core.errors import DomainError
from app.db import utcnow
from app.extensions import db
from app.papers import blueprints as bp_files
from app.papers.assembly import AssemblyError, BankIndex, BankItem, assemble, check_feasible
from app.papers.models import Blueprint, BlueprintStatus, Paper, PaperQuestion
from app.questions.models import (
    BankGeneration,
    KnowledgePoint,
    Pool,
    Question,
    QuestionStatus,
    QuestionVersion,
    question_items,
)

# ---- the active bank, indexed once per change ------------------------------------------------

@dataclass
class CachedIndex:
    generation: str
    index: BankIndex
    current_by_question: dict[int, int]  # question id -> current version id


_cache: dict[tuple[str, int, str], CachedIndex] = {}
_cache_lock = threading.Lock()


def _generation(item_id: int) -> str:
    return db.session.scalar(sa.select(BankGeneration.generation).where(BankGeneration.item_id == item_id)) or ""


def bank_index(item_id: int, pool: str = Pool.EXAM) -> CachedIndex:
    """The index of the active questions of ``pool`` that apply to the item, rebuilt only when the
    bank's generation changed (one indexed lookup per call otherwise)."""
    key = (current_app.config["SQLALCHEMY_DATABASE_URI"], item_id, str(pool))
    generation = _generation(item_id)
    cached = _cache.get(key)
    if cached is not None and cached.generation == generation:
        return cached
    rows = db.session.execute(
        sa.select(Question.id, QuestionVersion.id, QuestionVersion.qtype, KnowledgePoint.path,
                  QuestionVersion.difficulty, QuestionVersion.options)
        .join(question_items, question_items.c.question_id == Question.id)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .join(KnowledgePoint, KnowledgePoint.id == QuestionVersion.knowledge_point_id)
        .where(question_items.c.item_id == item_id, Question.status == QuestionStatus.ACTIVE,
               Question.pool == str(pool))
    ).all()
    items = [BankItem(id=vid, qtype=qtype, kp=path.split("/", 1)[0], difficulty=diff,
                      n_options=len(options or [])) for _qid, vid, qtype, path, diff, options in rows]
    fresh = CachedIndex(generation, BankIndex(items), {qid: vid for qid, vid, *_ in rows})
    with _cache_lock:
        _cache[key] = fresh
    return fresh


# ---- blueprints -----------------------------------------------------------------------------

def _doc_fields(doc: dict) -> dict:
    return {"name": str(doc.get("name") or "理论考试"), "duration_minutes": int(doc.get("duration_minutes", 120)),
            "pass_mark": int(doc.get("pass_mark", 80)),
            "show_result_immediately": bool(doc.get("show_result_immediately", True)), "note": str(doc.get("note", ""))}


def save_blueprint(item, doc: dict, *, actor=None) -> tuple[Blueprint, bool]:
    """Store the document as the item's newest blueprint version unless the latest version is the
    same. Returns (blueprint, created). Raises DomainError on a malformed document."""
    spec = bp_files.resolve_spec(doc)
    fields = _doc_fields(doc)
    if not 10 <= fields["duration_minutes"] <= 300:
        raise DomainError("考试时长应在 10–300 分钟之间")
    if not 1 <= fields["pass_mark"] <= bp_files.PAPER_TOTAL:
        raise DomainError("合格分数线应在 1–100 之间")
    digest = bp_files.spec_hash(spec, fields)
    latest = db.session.scalar(sa.select(Blueprint).where(Blueprint.item_id == item.id)
                               .order_by(Blueprint.version.desc()).limit(1))
    if latest is not None and latest.spec_hash == digest:
        return latest, False
    blueprint = Blueprint(item_id=item.id, version=(latest.version + 1) if latest else 1, spec=spec,
                          spec_hash=digest, total_points=bp_files.PAPER_TOTAL,
                          created_by_id=getattr(actor, "id", None), **fields)
    db.session.add(blueprint)
    db.session.flush()
    audit.record("blueprint.create", "blueprint", blueprint.id, actor=actor,
                 after={"item": item.name, "version": blueprint.version, **fields, "spec": spec})
    return blueprint, True


def check_blueprint(blueprint: Blueprint) -> None:
    """Raise DomainError naming the shortfall when the active exam bank cannot fill this blueprint."""
    index = bank_index(blueprint.item_id).index
    try:
        check_feasible(bp_files.to_assembly_spec(blueprint.spec), index)
    except AssemblyError as exc:
        raise DomainError(f"题库不足以满足组卷方案：{exc.message}", code="blueprint_infeasible") from None


def activate_blueprint(blueprint: Blueprint, *, actor=None, reason: str = "") -> None:
    """Check the blueprint against the active bank, then make it the item's only active version."""
    if blueprint.status == BlueprintStatus.ACTIVE:
        return
    check_blueprint(blueprint)
    for other in db.session.scalars(sa.select(Blueprint).where(
            Blueprint.item_id == blueprint.item_id, Blueprint.status == BlueprintStatus.ACTIVE)):
        other.status = BlueprintStatus.RETIRED
    blueprint.status = BlueprintStatus.ACTIVE
    blueprint.activated_at = utcnow()
    db.session.flush()
    audit.record("blueprint.activate", "blueprint", blueprint.id, actor=actor, reason=reason,
                 after={"item_id": blueprint.item_id, "version": blueprint.version})


def active_blueprint(item_id: int) -> Blueprint | None:
    return db.session.scalar(sa.select(Blueprint).where(
        Blueprint.item_id == item_id, Blueprint.status == BlueprintStatus.ACTIVE))


def load_blueprint_files(folder: Path = bp_files.BLUEPRINT_DIR, *, activate: bool = True, actor=None) -> list[str]:
    """Load every blueprint file; activate new versions (checked against the bank). Returns a line per file."""
    lines = []
    for path in sorted(Path(folder).glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        item = item_by_name(str(doc.get("subject", "")))
        if item is None:
            raise DomainError(f"{path.name}：考核项目“{doc.get('subject')}”不在目录中")
        try:
            blueprint, created = save_blueprint(item, doc, actor=actor)
        except DomainError as exc:
            raise DomainError(f"{path.name}：{exc.message}") from None
        state = "新版本" if created else "未变"
        if activate and blueprint.status != BlueprintStatus.ACTIVE:
            activate_blueprint(blueprint, actor=actor, reason=f"载入 {path.name}")
            state += "，已启用"
        lines.append(f"{item.name}：第 {blueprint.version} 版（{state}）")
    return lines


# ---- papers ---------------------------------------------------------------------------------

_spec_cache: dict[str, object] = {}


def draw_paper(blueprint: Blueprint, *, seed: int | None = None,
               avoid_question_ids: frozenset[int] = frozenset()):
    """Draw (not store) one paper: the pure assembly over the cached index of the active bank.
    ``avoid_question_ids``: questions of the candidate's previous attempt (a make-up), avoided
    where the bank allows. Raises DomainError when the bank cannot fill the blueprint."""
    cached = bank_index(blueprint.item_id)
    seed = seed if seed is not None else secrets.randbits(62)
    exclude = frozenset(cached.current_by_question[q] for q in avoid_question_ids if q in cached.current_by_question)
    spec = _spec_cache.get(blueprint.spec_hash)
    if spec is None:
        spec = _spec_cache[blueprint.spec_hash] = bp_files.to_assembly_spec(blueprint.spec)
    try:
        return assemble(spec, cached.index, seed, exclude)
    except AssemblyError as exc:
        raise DomainError(f"无法组卷：{exc.message}", code="paper_infeasible") from None


def assemble_paper(blueprint: Blueprint, *, seed: int | None = None,
                   avoid_question_ids: frozenset[int] = frozenset()) -> Paper:
    """Draw one paper and store its snapshot (versions, order, option permutations, seed,
    blueprint version). Raises DomainError when the bank cannot fill the blueprint."""
    drawn = draw_paper(blueprint, seed=seed, avoid_question_ids=avoid_question_ids)
    seed = drawn.seed
    paper = Paper(blueprint_id=blueprint.id, item_id=blueprint.item_id, seed=seed, reused=drawn.reused,
                  total_points=blueprint.total_points)
    paper.questions = [PaperQuestion(position=i, section=it.section, question_version_id=it.question_id,
                                     option_order=list(it.option_order), points=it.points)
                       for i, it in enumerate(drawn.items, start=1)]
    db.session.add(paper)
    db.session.flush()
    return paper
