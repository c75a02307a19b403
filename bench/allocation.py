"""Seat allocation benchmark: the pure allocation, then the same input through the database.

Generates a year of exam sessions — the working days (Mon–Fri) of 2027, per day 2 theory rooms × 2 sessions
× 40 seats (each session open to 5 of the 10 items, rotating) and 4 practical stations × 2 sessions × 8
places (each station for 2–3 items), with a few seats already taken — and 8,000 approved registrations:
70 % theory, 30 % practical (three quarters of them by people who also sit theory in this run, the rest with
a not_before date), in employer batches of 1–12 from ~200 employers (some without an employer), requested
dates spread over the year with spring and autumn peaks. Then times allocate() and prints the figures.

    .venv/bin/python bench/allocation.py [--registrations 8000] [--seed 2027] [--repeat 1] [--gap 1]

`generate()` builds the input, `measure()` times allocate(), `report()` prints; a database-backed variant
can replace `generate()` and keep the rest. Ends with one line of JSON.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.scheduling.allocation import Allocation, Request, Slot, allocate  # noqa: E402

YEAR = 2027
ITEMS = tuple(range(1, 11))
ITEM_WEIGHTS = (30, 14, 10, 9, 8, 7, 6, 6, 5, 5)            # 低压电工 and the like are far more popular
THEORY_ROOMS, THEORY_SEATS = 2, 40
STATIONS = (frozenset({1, 2, 3}), frozenset({4, 5}), frozenset({6, 7, 8}), frozenset({9, 10}))
PRACTICAL_PLACES = 8
STARTS = (clock(9), clock(14))
EMPLOYERS = 200
MONTH_WEIGHTS = (3, 4, 12, 12, 11, 10, 5, 4, 10, 11, 10, 8)  # spring and autumn peaks


def working_days(year: int = YEAR) -> list[date]:
    """Monday to Friday of the year (public holidays ignored)."""
    day, days = date(year, 1, 1), []
    while day.year == year:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(1)
    return days


def generate_slots(rng: random.Random, days: list[date]) -> list[Slot]:
    """The year's sessions, with 0–3 seats of each already taken."""
    slots, halves = [], (frozenset(ITEMS[:5]), frozenset(ITEMS[5:]))
    for n, day in enumerate(days):
        for s, start in enumerate(STARTS):
            starts_at = datetime.combine(day, start)
            for room in range(THEORY_ROOMS):
                items = halves[(n + s + room) % 2]
                slots.append(_slot(rng, len(slots) + 1, day, starts_at, "theory", items, THEORY_SEATS))
            for items in STATIONS:
                slots.append(_slot(rng, len(slots) + 1, day, starts_at, "practical", items, PRACTICAL_PLACES))
    return slots


def _slot(rng: random.Random, sid: int, day: date, starts_at: datetime, kind: str, items, capacity: int) -> Slot:
    """One session with a few random seats already taken."""
    taken = set(rng.sample(range(1, capacity + 1), rng.randint(0, 3)))
    free = tuple(n for n in range(1, capacity + 1) if n not in taken)
    return Slot(sid, day, starts_at, kind, frozenset(items), free)


def _requested_day(rng: random.Random, days: list[date]) -> date:
    """A requested date: a month by the seasonal weights, then any working day in it."""
    month = rng.choices(range(1, 13), weights=MONTH_WEIGHTS)[0]
    return rng.choice([d for d in days if d.month == month])


def _batches(rng: random.Random, days: list[date], people: int):
    """Employer batches (employer or None, item, requested date, size) covering `people` persons."""
    left = people
    while left:
        employer = None if rng.random() < 0.08 else 1 + min(int(rng.paretovariate(1.2)) - 1, EMPLOYERS - 1)
        size = 1 if employer is None else min(left, rng.randint(1, 12))
        yield employer, rng.choices(ITEMS, weights=ITEM_WEIGHTS)[0], _requested_day(rng, days), size
        left -= size


def generate_requests(rng: random.Random, days: list[date], total: int = 8000) -> list[Request]:
    """`total` registrations: 70 % theory; 30 % practical, three quarters of them with theory in this run."""
    theory_n = round(total * 0.7)
    paired_n = min(theory_n, round((total - theory_n) * 0.75))
    requests: list[Request] = []
    for employer, item, day, size in _batches(rng, days, theory_n):
        for _ in range(size):
            requests.append(Request(len(requests) + 1, len(requests) + 1, item, "theory", employer, day))
    for r in rng.sample(requests, paired_n):
        requests.append(Request(len(requests) + 1, r.person_id, r.item_id, "practical", r.employer_id, r.earliest))
    person = len(requests)
    for employer, item, day, size in _batches(rng, days, total - theory_n - paired_n):
        for _ in range(size):
            person += 1
            requests.append(Request(len(requests) + 1, person, item, "practical", employer, day, not_before=day))
    rng.shuffle(requests)                     # input order must not matter
    return requests


def generate(seed: int = YEAR, registrations: int = 8000) -> tuple[list[Request], list[Slot]]:
    """The benchmark input: (requests, slots), the same for the same seed."""
    rng = random.Random(seed)
    days = working_days()
    slots = generate_slots(rng, days)
    return generate_requests(rng, days, registrations), slots


def measure(requests: list[Request], slots: list[Slot], *, gap: int = 1, repeat: int = 1) -> tuple[Allocation, float]:
    """Run allocate() `repeat` times; the allocation and the fastest time in seconds."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = allocate(requests, slots, practical_gap_days=gap)
        best = min(best, time.perf_counter() - start)
    return result, best


def groups_together(requests: list[Request], result: Allocation) -> tuple[int, int]:
    """(employer groups of 2+ placed in a single session, employer groups of 2+ fully placed)."""
    where = {p.registration_id: p.session_id for p in result.placements}
    groups = defaultdict(list)
    for r in requests:
        if r.employer_id is not None:
            groups[(r.employer_id, r.item_id, r.part, r.earliest)].append(r.registration_id)
    full = [g for g in groups.values() if len(g) > 1 and all(i in where for i in g)]
    return sum(1 for g in full if len({where[i] for i in g}) == 1), len(full)


def report(requests: list[Request], slots: list[Slot], result: Allocation, seconds: float,
           db_seconds: float | None = None) -> dict:
    """Print the figures; returns the JSON summary (also printed as the last line)."""
    free = sum(len(s.free_seats) for s in slots)
    together, groups = groups_together(requests, result)
    parts = defaultdict(int)
    for r in requests:
        parts[r.part] += 1
    print(f"sessions: {len(slots)} ({free} free seats); registrations: {len(requests)} "
          f"({parts['theory']} theory, {parts['practical']} practical)")
    print(f"allocate(): {seconds:.3f} s")
    print(f"placed: {len(result.placements)}, unplaced: {len(result.unplaced)}")
    for reason, n in sorted(_reason_counts(result).items(), key=lambda kv: -kv[1])[:3]:
        print(f"  {n} × {reason}")
    print(f"employer groups (2+) kept in one session: {together} of {groups}")
    summary = {"registrations": len(requests),
               "seconds": round(db_seconds if db_seconds is not None else seconds, 4),
               "utilisation": round(result.utilisation(slots), 4), "allocate_seconds": round(seconds, 4)}
    print(f"seat utilisation: {summary['utilisation']:.1%}")
    print(json.dumps(summary))
    return summary


def _reason_counts(result: Allocation) -> dict[str, int]:
    """Unplaced reasons with the date removed, counted."""
    counts: dict[str, int] = defaultdict(int)
    for u in result.unplaced:
        counts[u.reason.split(" ", 1)[-1] if u.reason[:4].isdigit() else u.reason] += 1
    return counts


def measure_database(requests: list[Request], slots: list[Slot], *, gap: int = 1) -> tuple[float, int]:
    """The same input as rows in a fresh SQLite database (sessions, people, approved registrations), then
    the scheduler's path timed end to end: placement.preview_allocation() + apply_allocation() + commit
    (seats, ticket numbers, notices, audit). Returns (seconds, placed)."""
    import os
    import tempfile

    import sqlalchemy as sa

    from app import create_app
    from app.catalog.models import CatalogItem, CatalogRule
    from app.catalog.services import load_catalog
    from app.core.ids import id_check_char
    from app.db import utcnow
    from app.extensions import db
    from app.people.models import Person
    from app.scheduling import placement
    from app.scheduling.models import ExamSession, Registration, Room, Seat, Site, session_items

    tmp = tempfile.mkdtemp(prefix="bench-allocation-")
    os.environ["INSTANCE_PATH"] = tmp
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db"})
    with app.app_context():
        db.create_all()
        load_catalog()
        db.session.execute(sa.update(CatalogRule).where(CatalogRule.key == "practical_gap_days").values(value=gap))
        items = db.session.scalars(sa.select(CatalogItem.id).order_by(CatalogItem.id).limit(len(ITEMS))).all()
        item_of = dict(zip(ITEMS, items))
        site = Site(name="基准测试基地")
        db.session.add(site)
        db.session.flush()
        theory = Room(site_id=site.id, name="理论", kind="theory", capacity=THEORY_SEATS,
                      seats=[Seat(number=n) for n in range(1, THEORY_SEATS + 1)])
        station = Room(site_id=site.id, name="实操", kind="practical", capacity=PRACTICAL_PLACES)
        db.session.add_all([theory, station])
        db.session.flush()
        now = utcnow()
        db.session.execute(sa.insert(ExamSession), [
            {"id": s.session_id, "kind": s.kind, "room_id": theory.id if s.kind == "theory" else station.id,
             "day": s.day, "starts_at": s.starts_at.replace(tzinfo=now.tzinfo), "created_at": now, "note": "",
             "ends_at": s.starts_at.replace(tzinfo=now.tzinfo) + timedelta(hours=2), "state": "published",
             "capacity": THEORY_SEATS if s.kind == "theory" else PRACTICAL_PLACES} for s in slots])
        db.session.execute(session_items.insert(), [{"session_id": s.session_id, "item_id": item_of[i]}
                                                    for s in slots for i in s.items])
        people = sorted({r.person_id for r in requests})
        rows = []
        for pid in people:
            first17 = f"210902{1970 + pid % 30}0101{pid % 1000:03d}"
            rows.append({"id": pid, "id_number": f"{pid:06d}" + first17[6:17] + id_check_char(first17),
                         "name": f"考生{pid}", "sex": "男", "birth_date": date(1980, 1, 1), "education": "高中",
                         "phone": "", "created_at": now, "updated_at": now})
        db.session.execute(sa.insert(Person), rows)
        db.session.execute(sa.insert(Registration), [
            {"id": r.registration_id, "person_id": r.person_id, "item_id": item_of[r.item_id], "part": r.part,
             "employer_id": None, "requested_date": r.earliest, "state": "approved", "is_makeup": False,
             "is_review": False, "reason": "", "created_at": now} for r in requests])
        db.session.commit()
        start = time.perf_counter()
        preview = placement.preview_allocation()
        placed = placement.apply_allocation(preview)
        db.session.commit()
        return time.perf_counter() - start, placed


def main() -> None:
    """Parse the arguments, generate, measure and report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--registrations", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=YEAR)
    parser.add_argument("--repeat", type=int, default=1, help="runs of allocate(); the fastest is reported")
    parser.add_argument("--gap", type=int, default=1, help="practical_gap_days")
    args = parser.parse_args()
    requests, slots = generate(args.seed, args.registrations)
    result, seconds = measure(requests, slots, gap=args.gap, repeat=args.repeat)
    db_seconds, placed = measure_database(requests, slots, gap=args.gap)
    print(f"through the database (load approved registrations and free seats, allocate, write seats, "
          f"ticket numbers, notices and the audit entry, commit): {db_seconds:.2f} s, {placed} placed")
    report(requests, slots, result, seconds, db_seconds)


if __name__ == "__main__":
    main()
