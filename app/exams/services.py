"""Starting, grading and reading attempts. (Terminal delivery rules arrive with exam delivery.)"""
from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from app.db import utcnow
from app.exams.grading import GradeItem, grade
from app.exams.models import Attempt, AttemptAnswer, AttemptStatus
from app.extensions import db
from app.papers.models import Blueprint, Paper, PaperQuestion
from app.papers.services import assemble_paper
from app.questions.models import KnowledgePoint, Question, QuestionVersion
from app.questions.stats import ItemStats, Response, item_statistics


def draw_for(blueprint: Blueprint, *, previous: Attempt | None = None, seed: int | None = None) -> Paper:
    """Draw and store a paper. A make-up (``previous`` given) avoids the previous attempt's questions
    where the bank allows. Raises DomainError when the bank cannot fill the blueprint."""
    avoid = frozenset()
    if previous is not None:
        avoid = frozenset(db.session.scalars(
            sa.select(QuestionVersion.question_id).join(PaperQuestion, PaperQuestion.question_version_id == QuestionVersion.id)
            .where(PaperQuestion.paper_id == previous.paper_id)))
    return assemble_paper(blueprint, seed=seed, avoid_question_ids=avoid)


def start_attempt(person_id: int, blueprint: Blueprint, *, previous: Attempt | None = None,
                  seed: int | None = None, paper_id: int | None = None) -> Attempt:
    """Open an attempt on the paper ``paper_id`` (drawn ahead) or on a paper drawn now. Returns the
    flushed attempt."""
    if paper_id is None:
        paper_id = draw_for(blueprint, previous=previous, seed=seed).id
    attempt = Attempt(paper_id=paper_id, person_id=person_id, item_id=blueprint.item_id, is_makeup=previous is not None)
    db.session.add(attempt)
    db.session.flush()
    return attempt


def _grade(attempt: Attempt):
    """Grade from the paper snapshot (the versions the candidate saw; a corrected key wins)."""
    paper = db.session.get(Paper, attempt.paper_id)
    rows = db.session.execute(
        sa.select(PaperQuestion.position, QuestionVersion.qtype,
                  sa.func.coalesce(QuestionVersion.corrected_answer, QuestionVersion.answer), PaperQuestion.points,
                  KnowledgePoint.path)
        .join(QuestionVersion, QuestionVersion.id == PaperQuestion.question_version_id)
        .join(KnowledgePoint, KnowledgePoint.id == QuestionVersion.knowledge_point_id)
        .where(PaperQuestion.paper_id == paper.id)).all()
    items = [GradeItem(pos, qtype, key, points, path.split("/", 1)[0]) for pos, qtype, key, points, path in rows]
    answers = {a.position: a.answer for a in attempt.answers}
    return grade(items, answers, paper.blueprint.pass_mark)


def grade_attempt(attempt: Attempt) -> None:
    """Grade and store the result (score, pass/fail, per-answer correctness)."""
    result = _grade(attempt)
    existing = {a.position: a for a in attempt.answers}
    for position, ok in result.correct.items():
        row = existing.get(position)
        if row is not None:
            row.is_correct = ok
    attempt.score, attempt.passed = result.score, result.passed
    if attempt.status != AttemptStatus.TERMINATED:
        attempt.status = AttemptStatus.SUBMITTED
    attempt.submitted_at = attempt.submitted_at or utcnow()
    attempt.graded_at = utcnow()
    db.session.flush()


def breakdown(attempt: Attempt) -> list[dict]:
    """Points earned and possible per first-level knowledge point."""
    return [{"kp": kp, "earned": earned, "possible": possible} for kp, (earned, possible) in _grade(attempt).by_kp.items()]


def record_answers(attempt: Attempt, answers: dict[int, str | None]) -> None:
    """Store answers by position (original option letters)."""
    existing = {a.position: a for a in attempt.answers}
    for position, answer in answers.items():
        row = existing.get(position)
        if row is None:
            attempt.answers.append(AttemptAnswer(position=position, answer=answer, seq=1))
        else:
            row.answer, row.seq = answer, row.seq + 1
    db.session.flush()


# ---- item statistics ------------------------------------------------------------------------

def collect_responses(item_id: int) -> list[Response]:
    """Every response on every graded attempt of the item (unanswered counts as a wrong response)."""
    rows = db.session.execute(
        sa.select(Attempt.score, PaperQuestion.points, QuestionVersion.qtype, QuestionVersion.options,
                  Question.external_key, AttemptAnswer.answer, AttemptAnswer.is_correct)
        .join(PaperQuestion, PaperQuestion.paper_id == Attempt.paper_id)
        .join(QuestionVersion, QuestionVersion.id == PaperQuestion.question_version_id)
        .join(Question, Question.id == QuestionVersion.question_id)
        .outerjoin(AttemptAnswer, sa.and_(AttemptAnswer.attempt_id == Attempt.id,
                                          AttemptAnswer.position == PaperQuestion.position))
        .where(Attempt.item_id == item_id, Attempt.graded_at.is_not(None))).all()
    return [Response(question_key=key, qtype=qtype, n_options=len(options or []), answer=answer,
                     correct=bool(correct), points=points, total=score or 0.0)
            for score, points, qtype, options, key, answer, correct in rows]


def exposures(item_id: int) -> Counter:
    """How many papers of the item carried each question (by 编号)."""
    rows = db.session.execute(
        sa.select(Question.external_key, sa.func.count(PaperQuestion.id))
        .join(QuestionVersion, QuestionVersion.question_id == Question.id)
        .join(PaperQuestion, PaperQuestion.question_version_id == QuestionVersion.id)
        .join(Paper, Paper.id == PaperQuestion.paper_id)
        .where(Paper.item_id == item_id).group_by(Question.external_key)).all()
    return Counter(dict(rows))


def item_report(item_id: int) -> list[tuple[ItemStats, int]]:
    """(statistics, exposures) per question that has responses or exposures, flagged first."""
    stats = item_statistics(collect_responses(item_id))
    seen = exposures(item_id)
    for key in seen:
        stats.setdefault(key, ItemStats(key))
    rows = [(st, seen.get(key, 0)) for key, st in stats.items()]
    rows.sort(key=lambda r: (not r[0].flags, r[0].question_key))
    return rows
