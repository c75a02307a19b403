"""Seat allocation (考位编排): place approved exam registrations in exam sessions (考试场次).

Pure module (no Flask, no database, no I/O). Sessions are grouped into lanes, one per (kind, catalogue item),
each sorted by (day, start time, session id); a session allowing several items sits in several lanes. Every
lane keeps a max segment tree over the free-seat counts of its sessions, so "the first session on or after a
date with at least k free seats" is one bisection plus one O(log m) descent, and full sessions are skipped
without being visited. Taking a seat updates the trees of every lane the session belongs to.

Order of work (everything is sorted by date and ids, so the same input in any order gives the same result):

1. theory requests, then practical ones; a practical request of a person whose theory request for the same
   item is in this run goes at least `practical_gap_days` after the day of that theory placement (with a
   gap of 0: on the same day but in a later session), and is refused when that theory request is unplaced;
2. requests are grouped by (employer, item, part, requested date); requests without an employer are groups
   of one. Groups go by their earliest allowed date, larger groups first, then the smallest registration id;
3. a group takes the first session that has room for all of it (on or after the latest date any member may
   sit); if no session has such room, its members fill consecutive sessions from the earliest possible one;
4. seats are given in ascending order, members in registration-id order.
"""
from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

THEORY, PRACTICAL = "theory", "practical"
KINDS = (THEORY, PRACTICAL)
KIND_LABELS = {THEORY: "理论", PRACTICAL: "实操"}
THEORY_MISSING = "同一人该项目的理论考试本次未能安排，实操考试不能排在理论之前"


@dataclass(frozen=True)
class Slot:
    """One exam session with free seats."""
    session_id: int
    day: date
    starts_at: datetime          # for ordering sessions on the same day
    kind: str                    # "theory" / "practical"
    items: frozenset[int]        # catalogue item ids allowed in this session
    free_seats: tuple[int, ...]  # seat numbers still free, ascending (capacity minus those taken)


@dataclass(frozen=True)
class Request:
    """One approved registration to be seated."""
    registration_id: int
    person_id: int
    item_id: int
    part: str                    # "theory" / "practical"
    employer_id: int | None
    earliest: date               # requested date: sit on or after it
    not_before: date | None = None   # e.g. practical after an already-held theory session date + gap


@dataclass(frozen=True)
class Placement:
    """A registration seated in a session."""
    registration_id: int
    session_id: int
    seat: int


@dataclass(frozen=True)
class Unplaced:
    """A registration that could not be seated, with the reason in Chinese."""
    registration_id: int
    reason: str


@dataclass(frozen=True)
class Allocation:
    """The result: placements and unplaced requests, each sorted by registration id."""
    placements: tuple[Placement, ...]
    unplaced: tuple[Unplaced, ...]

    def utilisation(self, slots: Iterable[Slot]) -> float:
        """Seats filled by this allocation / seats that were free in `slots` (0.0 when none were free)."""
        slots = list(slots)
        free = sum(len(set(s.free_seats)) for s in slots)
        ids = {s.session_id for s in slots}
        filled = sum(1 for p in self.placements if p.session_id in ids)
        return filled / free if free else 0.0


# A lower bound on where a request may sit: (day,) = on or after that day;
# (day, starts_at) = strictly after that session start (same-day practical with a gap of 0).
Bound = tuple


# ---------------------------------------------------------------------------- sessions and lanes

class _Room:
    """Mutable state of one session during a run: its slot, seats still free and the lanes it is in."""
    __slots__ = ("slot", "seats", "taken", "lanes")

    def __init__(self, slot: Slot):
        """Start with all of the slot's free seats, ascending."""
        self.slot = slot
        self.seats = tuple(sorted(set(slot.free_seats)))
        self.taken = 0
        self.lanes: list[tuple[_Lane, int]] = []

    @property
    def free(self) -> int:
        """Seats still free."""
        return len(self.seats) - self.taken

    def take(self, n: int) -> tuple[int, ...]:
        """Take the next n seats (lowest numbers first) and update the lanes' trees."""
        seats = self.seats[self.taken:self.taken + n]
        self.taken += n
        for lane, pos in self.lanes:
            lane.update(pos, self.free)
        return seats


class _Lane:
    """The sessions of one (kind, item), sorted, with a max segment tree over their free seats."""
    __slots__ = ("rooms", "keys", "size", "tree")

    def __init__(self, rooms: list[_Room]):
        """Index rooms already in (day, starts_at, session_id) order."""
        self.rooms = rooms
        self.keys = [(r.slot.day, r.slot.starts_at) for r in rooms]
        self.size = 1 << max(0, (len(rooms) - 1).bit_length())
        self.tree = [0] * (2 * self.size)
        for pos, room in enumerate(rooms):
            self.tree[self.size + pos] = room.free
            room.lanes.append((self, pos))
        for i in range(self.size - 1, 0, -1):
            self.tree[i] = max(self.tree[2 * i], self.tree[2 * i + 1])

    def start(self, bound: Bound) -> int:
        """Position of the first session allowed by the bound."""
        return bisect.bisect_right(self.keys, bound)

    def update(self, pos: int, free: int) -> None:
        """Set one session's free count and fix the maxima above it."""
        i = self.size + pos
        self.tree[i] = free
        i >>= 1
        while i and self.tree[i] != max(self.tree[2 * i], self.tree[2 * i + 1]):
            self.tree[i] = max(self.tree[2 * i], self.tree[2 * i + 1])
            i >>= 1

    def first(self, lo: int, need: int) -> int | None:
        """Position of the first session at or after `lo` with at least `need` free seats, or None."""
        if lo >= len(self.rooms):
            return None
        tree, i = self.tree, self.size + lo
        while tree[i] < need:
            while i & 1:           # a right child: climb until there is a right sibling subtree
                i >>= 1
            if i == 0:
                return None
            i += 1
        while i < self.size:
            i = 2 * i if tree[2 * i] >= need else 2 * i + 1
        return i - self.size


def _build_lanes(slots: Sequence[Slot]) -> dict[tuple[str, int], _Lane]:
    """One lane per (kind, item); raises ValueError on a duplicate session id or an unknown kind."""
    by_lane: dict[tuple[str, int], list[_Room]] = {}
    seen: set[int] = set()
    for slot in sorted(slots, key=lambda s: (s.day, s.starts_at, s.session_id)):
        if slot.session_id in seen:
            raise ValueError(f"duplicate session id {slot.session_id}")
        if slot.kind not in KINDS:
            raise ValueError(f"session {slot.session_id}: unknown kind {slot.kind!r}")
        seen.add(slot.session_id)
        room = _Room(slot)
        for item in sorted(slot.items):
            by_lane.setdefault((slot.kind, item), []).append(room)
    return {key: _Lane(rooms) for key, rooms in by_lane.items()}


# ---------------------------------------------------------------------------- allocation

class _Run:
    """State of one allocate() call: lanes, results, and theory placements by (person, item)."""

    def __init__(self, slots: Sequence[Slot], gap: int):
        """Build the lanes."""
        self.lanes = _build_lanes(slots)
        self.gap = gap
        self.placed: dict[int, Placement] = {}
        self.unplaced: dict[int, str] = {}
        self.theory: dict[tuple[int, int], list[Slot | None]] = {}

    def bound(self, req: Request) -> Bound | None:
        """Where the request may sit at the earliest; None for a practical whose theory was not placed."""
        bound: Bound = (max(req.earliest, req.not_before or req.earliest),)
        if req.part == PRACTICAL:
            theory = self.theory.get((req.person_id, req.item_id))
            if theory is not None:
                if None in theory:
                    return None
                last = max(theory, key=lambda s: (s.day, s.starts_at))
                after = (last.day, last.starts_at) if self.gap == 0 else (last.day + timedelta(self.gap),)
                bound = max(bound, after)
        return bound

    def place_group(self, group: list[tuple[Bound, Request]]) -> None:
        """Seat one employer group: whole in one session if any has room, else in consecutive sessions."""
        lane = self.lanes.get((group[0][1].part, group[0][1].item_id))
        if lane is not None:
            pos = lane.first(lane.start(max(b for b, _ in group)), len(group))
            if pos is not None:
                self.seat(lane.rooms[pos], [r for _, r in group])
                return
        for bound, req in group:       # by bound: each takes the first free seat, so sessions fill in order
            pos = None if lane is None else lane.first(lane.start(bound), 1)
            if pos is None:
                self.unplaced[req.registration_id] = _reason(req, bound, lane, self.gap)
            else:
                self.seat(lane.rooms[pos], [req])

    def seat(self, room: _Room, reqs: list[Request]) -> None:
        """Give the requests (in registration-id order) the room's next seats."""
        reqs = sorted(reqs, key=lambda r: r.registration_id)
        for req, seat in zip(reqs, room.take(len(reqs))):
            self.placed[req.registration_id] = Placement(req.registration_id, room.slot.session_id, seat)
            if req.part == THEORY:
                self.theory[(req.person_id, req.item_id)].append(room.slot)

    def run_part(self, requests: list[Request]) -> None:
        """Seat all requests of one part, group by group, in date order."""
        groups: dict[tuple, list[tuple[Bound, Request]]] = {}
        for req in requests:
            bound = self.bound(req)
            if bound is None:
                self.unplaced[req.registration_id] = THEORY_MISSING
                continue
            key = (req.employer_id, req.item_id, req.earliest) if req.employer_id is not None else req.registration_id
            groups.setdefault(key, []).append((bound, req))
        for group in sorted(groups.values(), key=_group_order):
            self.place_group(sorted(group, key=lambda br: (br[0], br[1].registration_id)))

    def result(self) -> Allocation:
        """The allocation, placements and unplaced requests each sorted by registration id."""
        return Allocation(
            placements=tuple(self.placed[k] for k in sorted(self.placed)),
            unplaced=tuple(Unplaced(k, self.unplaced[k]) for k in sorted(self.unplaced)),
        )


def _group_order(group: list[tuple[Bound, Request]]) -> tuple:
    """Groups go by earliest allowed date, larger groups first, then the smallest registration id."""
    return (min(b[0] for b, _ in group), -len(group), min(r.registration_id for _, r in group))


def _reason(req: Request, bound: Bound, lane: _Lane | None, gap: int) -> str:
    """Why a request found no seat (Chinese; names the item id and the date)."""
    kind = KIND_LABELS[req.part]
    if lane is None:
        return f"没有允许项目 {req.item_id} 的{kind}考试场次"
    after = ""
    if len(bound) > 1 or bound[0] > max(req.earliest, req.not_before or req.earliest):
        after = f"（须在理论考试之后至少 {gap} 天）" if gap else "（须在理论考试之后的场次）"
    if lane.start(bound) >= len(lane.rooms):
        return f"{bound[0].isoformat()} 及之后没有允许项目 {req.item_id} 的{kind}考试场次{after}"
    return f"没有在 {bound[0].isoformat()} 及之后、允许项目 {req.item_id} 的{kind}考试场次有空位{after}"


def _validate(requests: Sequence[Request], gap: int) -> None:
    """Raise ValueError on a negative gap, a duplicate registration id or an unknown part."""
    if gap < 0:
        raise ValueError(f"practical_gap_days must not be negative, got {gap}")
    seen: set[int] = set()
    for req in requests:
        if req.registration_id in seen:
            raise ValueError(f"duplicate registration id {req.registration_id}")
        if req.part not in KINDS:
            raise ValueError(f"registration {req.registration_id}: unknown part {req.part!r}")
        seen.add(req.registration_id)


def allocate(requests: Sequence[Request], slots: Sequence[Slot], *, practical_gap_days: int = 1) -> Allocation:
    """Place every request it can. Theory requests first; a person's practical request goes to a session at
    least practical_gap_days after the day of the same person's theory placement in this run (and after
    not_before). Employer groups (same employer, item, part, earliest) stay in one session when one session
    has room for the whole group; otherwise they fill consecutive sessions. Seats are given in ascending order.

    The theory placement is matched by (person, item). A practical request whose theory request in this run
    stays unplaced is unplaced too. Raises ValueError on duplicate ids, an unknown part/kind or a negative gap.
    """
    _validate(requests, practical_gap_days)
    run = _Run(slots, practical_gap_days)
    theory = [r for r in requests if r.part == THEORY]
    for req in theory:
        run.theory.setdefault((req.person_id, req.item_id), [])
    run.run_part(theory)
    for req in theory:
        if req.registration_id in run.unplaced:
            run.theory[(req.person_id, req.item_id)].append(None)
    run.run_part([r for r in requests if r.part == PRACTICAL])
    return run.result()


# ---------------------------------------------------------------------------- manual moves

def check_move(request: Request, slot: Slot, *, practical_gap_days: int = 1,
               theory_day: date | None = None) -> str | None:
    """Why a manual move of this request into this slot is refused (Chinese), or None when it is allowed
    (right kind, item allowed, a free seat, on/after earliest and not_before, gap after theory_day).
    All reasons that apply are joined with "；". theory_day only matters for a practical request."""
    reasons = [r for r in _move_reasons(request, slot, practical_gap_days, theory_day) if r]
    return "；".join(reasons) or None


def _move_reasons(req: Request, slot: Slot, gap: int, theory_day: date | None) -> list[str | None]:
    """Each rule of check_move: a Chinese reason when it is broken, else None."""
    day = slot.day.isoformat()
    kind = KIND_LABELS.get(req.part, req.part)
    need = theory_day + timedelta(gap) if req.part == PRACTICAL and theory_day is not None else None
    return [
        None if slot.kind == req.part else f"该场次是{KIND_LABELS.get(slot.kind, slot.kind)}考试，报名的是{kind}考试",
        None if req.item_id in slot.items else f"该场次不允许项目 {req.item_id}",
        None if slot.free_seats else "该场次没有空余座位",
        None if slot.day >= req.earliest else f"场次日期 {day} 早于申请日期 {req.earliest.isoformat()}",
        None if req.not_before is None or slot.day >= req.not_before
        else f"场次日期 {day} 早于允许的最早日期 {req.not_before.isoformat()}",
        None if need is None or slot.day >= need
        else f"实操考试须在理论考试（{theory_day.isoformat()}）之后至少 {gap} 天，即不早于 {need.isoformat()}",
    ]
