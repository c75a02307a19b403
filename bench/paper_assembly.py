"""Paper assembly benchmark.

Builds a synthetic bank of 20,000 questions over 10 catalogue items (10 knowledge points
each, three types, three difficulties) in a fresh database, activates a 100-question
blueprint per item (70 判断 + 30 单选, knowledge-point and difficulty rules), then draws
1,000 papers round-robin over the items, each avoiding the questions of a previous paper
(a make-up). Per paper it times what the exam start does before storing: the bank-index
check, the assembly and fetching the 100 chosen rows. In the same run it times the floor:
a plain random draw of 100 ids from the same pool and fetching those rows. Each side starts
in a fresh transaction, as a request would.

    .venv/bin/python bench/paper_assembly.py [--papers 1000] [--db URL]

Prints the figures and ends with one line of JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app.catalog.models import CatalogItem  # noqa: E402
from app.catalog.services import load_catalog  # noqa: E402
from app.db import utcnow  # noqa: E402
from app.extensions import db  # noqa: E402
from app.papers import services as paper_services  # noqa: E402
from app.questions import services as q_services  # noqa: E402
from app.questions.models import KnowledgePoint, Question, QuestionVersion, question_items  # noqa: E402

ITEMS, PER_ITEM, KPS = 10, 2000, 10
TYPE_MIX = [("judge", 0.6), ("single", 0.3), ("multiple", 0.1)]
DIFF_MIX = [(1, 0.35), (2, 0.45), (3, 0.20)]


def pick(rng, mix):
    r, acc = rng.random(), 0.0
    for value, share in mix:
        acc += share
        if r < acc:
            return value
    return mix[-1][0]


def build_bank(rng: random.Random) -> list[CatalogItem]:
    items = db.session.scalars(sa.select(CatalogItem).order_by(CatalogItem.id).limit(ITEMS)).all()
    qid = vid = 0
    for item in items:
        leaves = [f"知识点{k}/要点{j}" for k in range(KPS) for j in range(3)]
        q_services.load_knowledge_points(item.name, leaves)
        kp_ids = [kp.id for kp in db.session.scalars(sa.select(KnowledgePoint).where(
            KnowledgePoint.item_id == item.id, KnowledgePoint.parent_id.is_not(None)))]
        questions, versions, links = [], [], []
        for n in range(PER_ITEM):
            qid += 1
            vid += 1
            qtype = pick(rng, TYPE_MIX)
            options = [] if qtype == "judge" else [f"选项{i}" for i in range(4 if qtype == "single" else 5)]
            answer = {"judge": rng.choice("TF"), "single": rng.choice("ABCD"), "multiple": "ABD"}[qtype]
            questions.append({"id": qid, "external_key": f"B{item.id}-{n:05d}", "item_id": item.id, "status": "active",
                              "pool": "exam", "current_version_id": vid,
                              "created_at": utcnow(), "updated_at": utcnow()})
            versions.append({"id": vid, "question_id": qid, "version_no": 1, "qtype": qtype,
                             "stem": f"合成题干 {item.id}-{n}：关于安全生产的陈述（  ）。", "options": options,
                             "answer": answer, "explanation": "合成题目的解析。", "knowledge_point_id": rng.choice(kp_ids),
                             "difficulty": pick(rng, DIFF_MIX), "source": "市级", "content_hash": f"{qid:064d}",
                             "created_at": utcnow(), "change_note": ""})
            links.append({"question_id": qid, "item_id": item.id})
        db.session.execute(sa.insert(Question), questions)
        db.session.execute(sa.insert(QuestionVersion), versions)
        db.session.execute(question_items.insert(), links)
    q_services.bump_generation([i.id for i in items])
    db.session.commit()
    return items


BLUEPRINT = {
    "name": "基准测试方案", "duration_minutes": 120, "pass_mark": 80, "show_result_immediately": True,
    "difficulty_tolerance": 0.10, "kp_tolerance": 0.04,
    "sections": [{"type": "判断", "count": 70, "points": 1, "difficulty": {1: 0.35, 2: 0.45, 3: 0.20}},
                 {"type": "单选", "count": 30, "points": 1, "difficulty": {1: 0.35, 2: 0.45, 3: 0.20}}],
    "knowledge_points": {f"知识点{k}": 0.10 for k in range(KPS)},
}


def fetch(ids: list[int]) -> list:
    return db.session.execute(sa.select(QuestionVersion.id, QuestionVersion.qtype, QuestionVersion.stem,
                                        QuestionVersion.options).where(QuestionVersion.id.in_(ids))).all()


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--db", default=None, help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-assembly-")
    url = args.db or f"sqlite:///{tmp}/bench.db"
    os.environ["INSTANCE_PATH"] = tmp
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    rng = random.Random(2026)
    with app.app_context():
        db.drop_all()
        db.create_all()
        load_catalog()
        db.session.commit()
        t0 = time.perf_counter()
        items = build_bank(rng)
        print(f"bank: {ITEMS * PER_ITEM} questions over {ITEMS} items, built in {time.perf_counter() - t0:.1f} s")
        blueprints = []
        for item in items:
            bp, _ = paper_services.save_blueprint(item, {**BLUEPRINT, "subject": item.name})
            paper_services.activate_blueprint(bp)
            blueprints.append(bp)
        db.session.commit()
        pools = {bp.item_id: list(paper_services.bank_index(bp.item_id).current_by_question.values()) for bp in blueprints}
        previous: dict[int, frozenset[int]] = {}
        times, floor, reused = [], [], 0
        for n in range(args.papers):
            bp = blueprints[n % len(blueprints)]
            start = time.perf_counter()
            drawn = paper_services.draw_paper(bp, seed=n, avoid_question_ids=previous.get(bp.item_id, frozenset()))
            rows = fetch([it.question_id for it in drawn.items])
            times.append((time.perf_counter() - start) * 1000)
            assert len(rows) == 100
            reused += drawn.reused
            qmap = paper_services.bank_index(bp.item_id).current_by_question
            by_version = {v: q for q, v in qmap.items()}
            previous[bp.item_id] = frozenset(by_version[it.question_id] for it in drawn.items)
            db.session.rollback()  # both sides start a fresh transaction, as a request does
            start = time.perf_counter()
            ids = rng.sample(pools[bp.item_id], 100)
            rows = fetch(ids)
            floor.append((time.perf_counter() - start) * 1000)
            db.session.rollback()
        start = time.perf_counter()
        for n in range(50):
            paper_services.assemble_paper(blueprints[n % len(blueprints)], seed=10_000 + n)
        db.session.commit()
        persist_ms = (time.perf_counter() - start) * 1000 / 50
        engine_name = db.engine.dialect.name
    result = {"median_ms": round(statistics.median(times), 2), "p99_ms": round(pct(times, 99), 2),
              "floor_median_ms": round(statistics.median(floor), 2), "floor_p99_ms": round(pct(floor, 99), 2),
              "papers": args.papers}
    print(f"database: {engine_name}")
    print(f"assembly (index check + draw + fetch 100 rows): median {result['median_ms']} ms, p99 {result['p99_ms']} ms")
    print(f"floor (random 100 ids + fetch rows):            median {result['floor_median_ms']} ms, "
          f"p99 {result['floor_p99_ms']} ms")
    print(f"ratio to floor (median): {result['median_ms'] / result['floor_median_ms']:.1f}x; "
          f"reused questions per make-up paper: {reused / args.papers:.2f}")
    print(f"full assemble_paper with snapshot stored: {persist_ms:.1f} ms per paper (mean of 50)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
