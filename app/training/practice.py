"""Practice (模拟练习) from the practice pool only — never the exam pool (考教分离): by knowledge point,
the wrong-answer book (asked again until answered right twice in a row), mock exams with the item's
blueprint composition, and progress per knowledge point.

Every question read here goes through ``_practice`` (Question.pool == practice), so no page of the
training domain can ever show an exam-pool question.
"""
from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from app.catalog.models import CatalogItem
from app.core.errors import DomainError
from app.db import utcnow
from app.exams.grading import GradeItem, grade
from app.extensions import db
from app.papers import blueprints as bp_files
from app.papers.assembly import AssemblyError, BankIndex, BankItem, assemble
from app.papers.services import active_blueprint
from app.questions.models import KnowledgePoint, Pool, Question, QuestionStatus, QuestionVersion, question_items
from app.questions.types import KeyError_, kind
from app.training.mockspec import scale_to_pool
from app.training.models import MockExam, PracticeAnswer, WrongBookEntry

RIGHT_TO_CLEAR = 2
MIN_MOCK_MINUTES = 10
LATE_GRACE = dt.timedelta(minutes=2)


def _practice(item_id: int):
    """Active practice-pool questions of the item, with their current version and knowledge point."""
    return (sa.select(Question, QuestionVersion, KnowledgePoint.path)
            .join(question_items, question_items.c.question_id == Question.id)
            .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
            .join(KnowledgePoint, KnowledgePoint.id == QuestionVersion.knowledge_point_id)
            .where(question_items.c.item_id == item_id, Question.status == QuestionStatus.ACTIVE,
                   Question.pool == Pool.PRACTICE))


def practice_items() -> list[tuple[CatalogItem, int]]:
    """Items with a practice pool, and how many practice questions each has."""
    rows = db.session.execute(
        sa.select(CatalogItem, sa.func.count(Question.id))
        .join(question_items, question_items.c.item_id == CatalogItem.id)
        .join(Question, Question.id == question_items.c.question_id)
        .where(Question.pool == Pool.PRACTICE, Question.status == QuestionStatus.ACTIVE, CatalogItem.is_active)
        .group_by(CatalogItem.id).order_by(CatalogItem.sort_order, CatalogItem.id)).all()
    return [(item, n) for item, n in rows]


def practice_question(item_id: int, question_id: int) -> tuple[Question, QuestionVersion, str] | None:
    """One practice-pool question of the item (None for any other question, exam pool included)."""
    row = db.session.execute(_practice(item_id).where(Question.id == question_id)).first()
    return tuple(row) if row else None


@dataclass(frozen=True)
class KpProgress:
    path: str
    total: int
    answered: int
    correct: int   # questions whose latest answer was right

    @property
    def percent(self) -> int:
        return round(100 * self.correct / self.total) if self.total else 0


def _latest_answers(person_id: int, item_id: int) -> dict[int, bool]:
    """question id → whether the person's latest answer to it was right."""
    rows = db.session.execute(sa.select(PracticeAnswer.question_id, PracticeAnswer.is_correct)
                              .where(PracticeAnswer.person_id == person_id, PracticeAnswer.item_id == item_id)
                              .order_by(PracticeAnswer.id)).all()
    return {qid: ok for qid, ok in rows}


def kp_progress(person_id: int, item_id: int) -> list[KpProgress]:
    """Per first-level knowledge point: questions in the pool, answered, latest answer right."""
    latest = _latest_answers(person_id, item_id)
    per: dict[str, list[int]] = {}
    for q, _v, path in db.session.execute(_practice(item_id)):
        per.setdefault(path.split("/", 1)[0], []).append(q.id)
    order = {kp.path: kp.sort_order for kp in db.session.scalars(
        sa.select(KnowledgePoint).where(KnowledgePoint.item_id == item_id, KnowledgePoint.parent_id.is_(None)))}
    return [KpProgress(path, len(ids), sum(1 for i in ids if i in latest), sum(1 for i in ids if latest.get(i)))
            for path, ids in sorted(per.items(), key=lambda kv: (order.get(kv[0], 0), kv[0]))]


def next_question(person_id: int, item_id: int, kp: str = "", *, rng: random.Random | None = None):
    """A practice question of the knowledge point (all when empty): first ones never answered, then ones
    last answered wrong, then any. Returns (question, version, path) or None when the pool is empty."""
    rng = rng or random.Random()
    stmt = _practice(item_id)
    if kp:
        stmt = stmt.where(sa.or_(KnowledgePoint.path == kp, KnowledgePoint.path.like(f"{kp}/%")))
    rows = db.session.execute(stmt).all()
    if not rows:
        return None
    latest = _latest_answers(person_id, item_id)
    for group in ([r for r in rows if r[0].id not in latest], [r for r in rows if latest.get(r[0].id) is False], rows):
        if group:
            return tuple(rng.choice(group))
    return None


def normalise(version: QuestionVersion, raw) -> str | None:
    """The canonical response from what the page sent (None for no answer). Raises DomainError."""
    if isinstance(raw, (list, tuple)):
        raw = "".join(str(r) for r in raw)
    try:
        return kind(version.qtype).normalise_response(raw, len(version.options or []))
    except KeyError_ as exc:
        raise DomainError(str(exc)) from None


def _book(person_id: int, item_id: int, question_id: int, correct: bool) -> WrongBookEntry | None:
    entry = db.session.scalar(sa.select(WrongBookEntry).where(WrongBookEntry.person_id == person_id,
                                                              WrongBookEntry.question_id == question_id))
    if not correct:
        if entry is None:
            entry = WrongBookEntry(person_id=person_id, item_id=item_id, question_id=question_id, right_streak=0,
                                   times_wrong=1, is_cleared=False, last_wrong_at=utcnow())
            db.session.add(entry)
        else:
            entry.right_streak, entry.is_cleared, entry.last_wrong_at = 0, False, utcnow()
            entry.times_wrong += 1
    elif entry is not None and not entry.is_cleared:
        entry.right_streak += 1
        entry.is_cleared = entry.right_streak >= RIGHT_TO_CLEAR
    return entry


def answer(person_id: int, item_id: int, question: Question, version: QuestionVersion, path: str, raw, *,
           mode: str = "kp") -> PracticeAnswer:
    """Grade one practice answer, keep it, and update the wrong-answer book. Raises DomainError for an
    empty or impossible answer, or a question outside the practice pool."""
    if question.pool != Pool.PRACTICE:
        raise DomainError("只能练习练习题库中的题目")
    response = normalise(version, raw)
    if response is None:
        raise DomainError("请先作答再提交")
    ok = kind(version.qtype).grade(version.effective_answer, response)
    row = PracticeAnswer(person_id=person_id, item_id=item_id, question_id=question.id, version_id=version.id,
                         kp_path=path, mode=mode, response=response, is_correct=ok)
    db.session.add(row)
    _book(person_id, item_id, question.id, ok)
    db.session.flush()
    return row


def wrong_book(person_id: int, item_id: int | None = None, *, cleared: bool = False) -> list[WrongBookEntry]:
    stmt = sa.select(WrongBookEntry).where(WrongBookEntry.person_id == person_id,
                                           WrongBookEntry.is_cleared.is_(cleared))
    if item_id:
        stmt = stmt.where(WrongBookEntry.item_id == item_id)
    return db.session.scalars(stmt.order_by(WrongBookEntry.last_wrong_at.desc())).all()


def next_wrong(person_id: int, item_id: int):
    """The open wrong-book question asked longest ago, as (question, version, path), or None."""
    for entry in sorted(wrong_book(person_id, item_id), key=lambda e: (e.right_streak, e.last_wrong_at)):
        found = practice_question(item_id, entry.question_id)
        if found is not None:
            return found
    return None


# ---- mock exams -----------------------------------------------------------------------------

def _pool(item_id: int) -> tuple[list[BankItem], dict[int, int]]:
    rows = db.session.execute(_practice(item_id)).all()
    items = [BankItem(id=v.id, qtype=v.qtype, kp=path.split("/", 1)[0], difficulty=v.difficulty,
                      n_options=len(v.options or [])) for _q, v, path in rows]
    return items, {v.id: q.id for q, v, _p in rows}


def start_mock(person_id: int, item: CatalogItem, *, seed: int | None = None) -> MockExam:
    """A timed mock paper drawn from the practice pool by the item's active blueprint, scaled to the pool
    (the note says how). Raises DomainError when the item has no blueprint or too small a pool."""
    blueprint = active_blueprint(item.id)
    if blueprint is None:
        raise DomainError(f"{item.name} 还没有启用的组卷方案，暂不能模拟考试")
    items, question_of = _pool(item.id)
    spec = bp_files.to_assembly_spec(blueprint.spec)
    seed = seed if seed is not None else secrets.randbits(62)
    try:
        scaled = scale_to_pool(spec, items)
        paper = assemble(scaled.spec, BankIndex(items), seed)
    except AssemblyError as exc:
        raise DomainError(f"无法组成模拟试卷：{exc.message}") from None
    full = sum(s.count for s in spec.sections)
    minutes = max(MIN_MOCK_MINUTES, round(blueprint.duration_minutes * scaled.questions / full))
    note = scaled.note + (f"考试时间按题量同比缩短为 {minutes} 分钟。" if scaled.note else "")
    now = utcnow()
    mock = MockExam(person_id=person_id, item_id=item.id, blueprint_id=blueprint.id, note=note,
                    questions=[{"v": it.question_id, "q": question_of[it.question_id], "p": round(it.points, 4)}
                               for it in paper.items],
                    answers={}, pass_mark=blueprint.pass_mark, started_at=now,
                    deadline_at=now + dt.timedelta(minutes=minutes))
    db.session.add(mock)
    db.session.flush()
    return mock


def mock_versions(mock: MockExam) -> list[tuple[dict, QuestionVersion, str]]:
    """The mock paper's questions in order, each (entry, version, knowledge-point path); practice pool only."""
    ids = [e["v"] for e in mock.questions]
    rows = db.session.execute(sa.select(QuestionVersion, KnowledgePoint.path, Question.pool)
                              .join(Question, Question.id == QuestionVersion.question_id)
                              .join(KnowledgePoint, KnowledgePoint.id == QuestionVersion.knowledge_point_id)
                              .where(QuestionVersion.id.in_(ids))).all()
    by_id = {v.id: (v, path) for v, path, pool in rows if pool == Pool.PRACTICE}
    return [(e, *by_id[e["v"]]) for e in mock.questions if e["v"] in by_id]


def submit_mock(mock: MockExam, raw_answers: dict[int, object], *, now: dt.datetime | None = None) -> MockExam:
    """Grade the mock paper (all-or-nothing per question), keep every answer, put the missed ones in the
    wrong-answer book. Raises DomainError when it was submitted already."""
    if not mock.is_open:
        raise DomainError("这份模拟试卷已经交卷")
    now = now or utcnow()
    rows = mock_versions(mock)
    answers, grade_items, responses = {}, [], {}
    for pos, (entry, version, path) in enumerate(rows, start=1):
        try:
            response = normalise(version, raw_answers.get(version.id))
        except DomainError:
            response = None
        responses[version.id] = response
        answers[str(version.id)] = response or ""
        grade_items.append(GradeItem(position=pos, qtype=version.qtype, key=version.effective_answer,
                                     points=float(entry["p"]), kp=path.split("/", 1)[0]))
    result = grade(grade_items, {i: responses[v.id] for i, (_e, v, _p) in enumerate(rows, start=1)}, mock.pass_mark)
    for pos, (entry, version, path) in enumerate(rows, start=1):
        ok = result.correct[pos]
        if responses[version.id] is not None:
            db.session.add(PracticeAnswer(person_id=mock.person_id, item_id=mock.item_id, question_id=entry["q"],
                                          version_id=version.id, kp_path=path, mode="mock",
                                          response=responses[version.id], is_correct=ok))
        _book(mock.person_id, mock.item_id, entry["q"], ok)
    mock.answers, mock.score, mock.submitted_at = answers, result.score, now
    if now > mock.deadline_at + LATE_GRACE:
        mock.note = (mock.note + " 超过规定时间交卷。").strip()
    db.session.flush()
    return mock
