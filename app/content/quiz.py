"""Public knowledge quizzes: drawing questions from the public pool, grading with the question types
of app.questions.types, and the signed result token of the shareable result card."""
from __future__ import annotations

import random
from dataclasses import dataclass

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeSerializer

from app.content.models import CampaignEvent, QuizQuestion
from app.content.rules import HAZARD_BY_SLUG, HAZARDS
from app.extensions import db
from app.questions.types import KeyError_, kind

QUIZ_LENGTH = 10
RESULT_SALT = "content-quiz-result-v1"


@dataclass(frozen=True)
class Quiz:
    key: str       # "all", "hazard:地震", "event:<key>" (the statistics key)
    slug: str      # the URL part: "all", "dizhen", "event-<key>"
    title: str
    hazards: tuple[str, ...]


def quiz_for_slug(slug: str) -> Quiz | None:
    """The quiz a URL names: every hazard ("all"), one hazard (its slug) or a campaign event ("event-<key>")."""
    if slug == "all":
        return Quiz("all", "all", "综合应急知识", tuple(HAZARDS))
    if slug in HAZARD_BY_SLUG:
        hazard = HAZARD_BY_SLUG[slug]
        return Quiz(f"hazard:{hazard}", slug, f"{hazard}知识", (hazard,))
    if slug.startswith("event-"):
        event = db.session.scalar(sa.select(CampaignEvent).where(CampaignEvent.key == slug[6:]))
        if event is not None and event.hazards:
            return Quiz(f"event:{event.key}", slug, event.name, tuple(event.hazards))
    return None


def pool_counts() -> dict[str, int]:
    """Active public-pool questions per hazard."""
    rows = db.session.execute(sa.select(QuizQuestion.hazard, sa.func.count()).where(QuizQuestion.is_active)
                              .group_by(QuizQuestion.hazard))
    return {h: n for h, n in rows}


def draw(quiz: Quiz, n: int = QUIZ_LENGTH, rng: random.Random | None = None) -> list[QuizQuestion]:
    """``n`` distinct active questions of the quiz's hazards, at random (fewer when the pool is small)."""
    ids = db.session.scalars(sa.select(QuizQuestion.id).where(QuizQuestion.is_active,
                                                              QuizQuestion.hazard.in_(quiz.hazards))).all()
    chosen = (rng or random.SystemRandom()).sample(list(ids), min(n, len(ids)))
    rows = {q.id: q for q in db.session.scalars(sa.select(QuizQuestion).where(QuizQuestion.id.in_(chosen)))}
    return [rows[i] for i in chosen]


def questions_by_ids(quiz: Quiz, ids: list[int]) -> list[QuizQuestion]:
    """The quiz's active questions with these ids, in the given order (others are ignored)."""
    rows = {q.id: q for q in db.session.scalars(sa.select(QuizQuestion).where(
        QuizQuestion.id.in_(ids), QuizQuestion.is_active, QuizQuestion.hazard.in_(quiz.hazards)))}
    return [rows[i] for i in dict.fromkeys(ids) if i in rows]


@dataclass
class Marked:
    question: QuizQuestion
    response: str | None
    correct: bool

    @property
    def key_label(self) -> str:
        return answer_label(self.question, self.question.answer)

    @property
    def response_label(self) -> str:
        return answer_label(self.question, self.response) if self.response else "未作答"


def answer_label(question: QuizQuestion, key: str) -> str:
    """The answer in words a citizen reads: 对/错, or the chosen options' text."""
    if question.type == "judge":
        return "对" if key == "T" else "错"
    return "；".join(question.options[ord(c) - 65] for c in key if 0 <= ord(c) - 65 < len(question.options))


def grade(questions: list[QuizQuestion], responses: dict[int, object]) -> list[Marked]:
    """Mark each question against the response given for its id (a letter, letters, or "T"/"F");
    an impossible response counts as unanswered."""
    out = []
    for q in questions:
        qkind = kind(q.type)
        try:
            response = qkind.normalise_response(responses.get(q.id), len(q.options))
        except KeyError_:
            response = None
        out.append(Marked(q, response, qkind.grade(q.answer, response)))
    return out


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=RESULT_SALT)


def result_token(secret: str, quiz: Quiz, correct: int, total: int, day: str) -> str:
    """A signed token of the result (quiz, score, date) for the share link: no personal data."""
    return _serializer(secret).dumps([quiz.slug, correct, total, day])


def read_result(secret: str, token: str) -> tuple[str, int, int, str] | None:
    """(quiz slug, correct, total, date) from a token, or None when it is forged or malformed."""
    try:
        slug, correct, total, day = _serializer(secret).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not (isinstance(correct, int) and isinstance(total, int) and 0 <= correct <= total <= 100):
        return None
    return str(slug), correct, total, str(day)
