"""Online-lesson credit from video heartbeats. Pure module (no Flask, no database).

The page reports the playback position every ~15 s. The server credits only what it has seen advance in
real time: the span from the last reported position to the new one counts when it is forward and no longer
than the wall-clock time since the last heartbeat plus a small tolerance. Skipping ahead, going back or a
gap after a long pause credits nothing (the position is simply taken as the new starting point). Watched
spans are kept as merged segments, so watching a part twice does not count twice.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

TOLERANCE_SECONDS = 3.0   # network and timer jitter between two heartbeats
MAX_BEAT_GAP_SECONDS = 120.0  # a longer silence starts a new span (the page was closed or asleep)
END_SLACK_SECONDS = 1.0  # players report the start and the end a few frames off the container's bounds


@dataclass(frozen=True)
class Beat:
    """The outcome of one heartbeat: the new segments, the seconds now credited and what was added."""
    segments: list[list[float]]
    watched_seconds: float
    added_seconds: float
    accepted: bool  # False when the span was refused (skip ahead, backwards, too long a gap)


def merge(segments: list[list[float]]) -> list[list[float]]:
    """Sorted, non-overlapping segments covering the same seconds."""
    out: list[list[float]] = []
    for start, end in sorted([float(a), float(b)] for a, b in segments if b > a):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return out


def covered(segments: list[list[float]]) -> float:
    """Seconds covered by merged segments."""
    return math.fsum(end - start for start, end in segments)


def heartbeat(segments: list[list[float]], last_position: float | None, seconds_since_last: float | None,
              position: float, duration: float, *, tolerance: float = TOLERANCE_SECONDS) -> Beat:
    """Credit the span [last_position, position] when it advanced no faster than real time.

    ``seconds_since_last`` is the server's wall-clock time since the previous heartbeat (None for the first).
    Positions are clamped to [0, duration]. Returns the new state; never credits more than ``duration``.
    """
    position = min(max(float(position), 0.0), float(duration))
    before = covered(segments)
    if last_position is None or seconds_since_last is None or seconds_since_last > MAX_BEAT_GAP_SECONDS:
        return Beat(merge(segments), before, 0.0, last_position is None)
    delta = position - float(last_position)
    if delta <= 0 or delta > seconds_since_last + tolerance:
        return Beat(merge(segments), before, 0.0, False)
    start = 0.0 if last_position <= END_SLACK_SECONDS else float(last_position)
    end = float(duration) if position >= duration - END_SLACK_SECONDS else position
    new = merge([*segments, [start, end]])
    watched = min(covered(new), float(duration))
    return Beat(new, watched, watched - before, True)


def credited_hours(watched_seconds: float, duration: float, lesson_hours: float) -> float:
    """Hours credited for a lesson: the watched share of the video times the lesson's hours, capped,
    rounded down to 0.01 h so that a credit never exceeds what was watched."""
    if duration <= 0 or lesson_hours <= 0:
        return 0.0
    share = min(max(watched_seconds / duration, 0.0), 1.0)
    return math.floor(share * lesson_hours * 100 + 1e-9) / 100
