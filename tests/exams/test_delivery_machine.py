"""A hypothesis state machine over the delivery services (app.exams.delivery and the proctor's actions)
with a clock the test controls.

Saves, replayed saves and heartbeats go, at the example's choice, to the fast lane first
(app.exams.fastlane, as the server does) and to the full path only when it steps aside, or to the full
path alone: both must keep the same rules.

Each step runs like one API request: the attempt is opened by its bearer token, the step commits on success
and rolls back on an error (except deadline_passed, which the API commits because that access finished the
attempt). A model keeps what the terminal was told: acknowledged answers, the deadline, the state. After
every step the database must match the model:

- no write is stored after the deadline plus the grace, nor while paused or finished;
- an acknowledged answer is never overwritten by an older or equal seq;
- the attempt is graded exactly once (graded_at set once, one "attempt.finish" audit entry), with the
  deadline as finish time when the clock ran out;
- the stored score equals a regrade from the snapshot (services._grade) and the model's own count;
- the remaining time never increases except by extra time, and stands still while paused;
- after the finish every acknowledged answer is in the database.
"""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from app.accounts.models import Role, User
from app.core.errors import DomainError
from app.db import utcnow
from app.exams import autosave, delivery, fastlane, proctoring, services
from app.exams.delivery import ApiError
from app.exams.models import Attempt, AttemptAnswer, AttemptStatus
from app.extensions import db
from app.papers import services as paper_services
from app.scheduling.models import ExamSession, Registration, RegistrationState
from tests.exams.test_api import (  # noqa: F401 - the module-wide bank and the per-test savepoint
    _transaction,
    bank,
    finish_count,
    new_candidates,
    original_to_shown,
    paper_meta,
    shown_to_original,
)

GRACE = dt.timedelta(seconds=delivery.GRACE_SECONDS_DEFAULT)
ANSWERING, PAUSED, SUBMITTED = AttemptStatus.ANSWERING.value, AttemptStatus.PAUSED.value, AttemptStatus.SUBMITTED.value
REASON = "考场临时情况，监考员处理"


class DeliveryMachine(RuleBasedStateMachine):
    app = None
    proctor_id = None
    duration = None
    paper_seed = 0

    def __init__(self):
        super().__init__()
        self._ctx = self.app.app_context()
        self._ctx.push()
        self.cand = new_candidates(1)[0]
        db.session.commit()
        self.now = utcnow().replace(microsecond=0)
        self.attempt_id = None
        self.meta = {}
        self.token = None
        self.old_tokens: list[str] = []
        self.bound = None          # the terminal the attempt is bound to (None after a release)
        self.terminals = 0
        # the model
        self.status = None
        self.deadline = None
        self.paused_at = None
        self.acked: dict[int, tuple[str | None, int, bool]] = {}  # position → (original letters, seq, flagged)
        self.seq = 0               # the terminal's counter
        self.finish_at = None
        self.graded_at = None
        self.prev_remaining = None
        self.extra_since = 0

    def teardown(self):
        try:
            if self.attempt_id is not None and self.status != SUBMITTED:
                # End of the example: the candidate is let go and hands in; everything acknowledged must be there.
                if self.status == PAUSED:
                    self.resume()
                if self.token is None and self._expired():
                    self.now += dt.timedelta(seconds=1)
                    self.sweep()
                elif self.token is None:
                    self.login("other")
                if self.status != SUBMITTED:
                    self.submit(False, True)
                assert self.status == SUBMITTED
                self.check()
            if self.attempt_id is not None:
                self._check_regrade()
        finally:
            db.session.remove()
            self._ctx.pop()

    # ---- plumbing -------------------------------------------------------------------------------

    def _request(self, fn):
        """One request: commit on success; on an error roll back (deadline_passed is committed, as the API
        does). Returns the result or the exception."""
        try:
            out = fn()
        except ApiError as exc:
            if exc.code == "deadline_passed":
                db.session.commit()
            else:
                db.session.rollback()
            return exc
        except DomainError as exc:
            db.session.rollback()
            return exc
        db.session.commit()
        return out

    def _attempt(self) -> Attempt:
        return delivery.attempt_for_token(self.token, for_update=True)

    def _act(self, action: str, minutes: int | None = None):
        def fn():
            session = db.session.get(ExamSession, self.cand.session_id)
            actor = db.session.get(User, self.proctor_id)
            return proctoring.act(session, self.cand.reg_id, action, reason=REASON, actor=actor, minutes=minutes,
                                  now=self.now)
        return self._request(fn)

    def _expired(self) -> bool:
        return self.status == ANSWERING and self.now >= self.deadline

    def _finish(self, at: dt.datetime) -> None:
        self.status, self.finish_at, self.paused_at = SUBMITTED, at, None

    def _expect_error(self, out, code: str | None = None, status: int | None = None):
        assert isinstance(out, DomainError), f"expected an error {code}, got {out!r}"
        if code is not None:
            assert out.code == code, (out.code, out.message)
        if status is not None:
            assert isinstance(out, ApiError) and out.status == status

    def _answer(self, position: int, choice: int, clear: bool):
        """A valid answer in displayed letters, drawn independently of the paper (so an example replays)."""
        if clear:
            return None
        m = self.meta[position]
        if m.qtype == "judge":
            return "TF"[choice % 2]
        letters = [chr(65 + i) for i in range(len(m.order))]
        if m.qtype == "multiple":
            picked = {letters[choice % len(letters)], letters[(choice // 8 + 1 + choice) % len(letters)]}
            if len(picked) < 2:
                picked.add(letters[(choice + 1) % len(letters)])
            return "".join(sorted(picked))
        return letters[choice % len(letters)]

    def _write_gate(self):
        """What a write at self.now must meet: None when it is accepted, else the expected error code."""
        if self.status == ANSWERING and self.now > self.deadline + GRACE:
            return "deadline_passed"
        if self.status != ANSWERING:
            return "not_answering"
        return None

    # ---- rules ----------------------------------------------------------------------------------

    @initialize(paper_seed=st.integers(0, 2**62 - 1))
    def first_login(self, paper_seed=0):
        DeliveryMachine.paper_seed = paper_seed  # the paper drawn at login (see the test: replays are exact)
        out = self._request(lambda: self._login_fn("T-0"))
        assert not isinstance(out, Exception), out
        self.attempt_id, self.token, deadline = out
        self.bound, self.status = "T-0", ANSWERING
        self.deadline = self.now + dt.timedelta(minutes=self.duration)
        assert deadline == self.deadline
        self.meta = paper_meta(db.session.get(Attempt, self.attempt_id))
        assert len(self.meta) == 100

    def _login_fn(self, terminal):
        attempt, token = delivery.terminal_login(self.cand.ticket, self.cand.id_number, terminal, self.now)
        return attempt.id, token, attempt.deadline_at

    @rule(which=st.sampled_from(["same", "same", "same", "other"]))
    def login(self, which):
        if which == "same" and self.bound is not None:
            terminal = self.bound
        else:
            self.terminals += 1
            terminal = f"T-{self.terminals}"
        out = self._request(lambda: self._login_fn(terminal))
        if self.status == SUBMITTED:
            self._expect_error(out, "finished", 409)
        elif self.bound is not None and terminal != self.bound:
            self._expect_error(out, "bound_elsewhere", 409)
        elif self._expired():
            self._expect_error(out, "finished", 409)  # (the finish is rolled back with the error)
        else:
            assert not isinstance(out, Exception), out
            attempt_id, token, _ = out
            assert attempt_id == self.attempt_id
            if self.token is not None:
                self.old_tokens.append(self.token)
            self.token, self.bound = token, terminal

    SAVE = dict(position=st.integers(1, 100), choice=st.integers(0, 63),
                clear=st.sampled_from([False, False, False, False, True]),
                flagged=st.sampled_from([None, None, True, False]), step=st.integers(1, 3))

    def _store(self, position, answer, seq, flagged, fast):
        """One autosave request: the fast lane when ``fast`` (the full path if it steps aside), else the full path."""
        if fast:
            db.session.commit()  # as in the server, no ORM transaction is open around the fast lane
            body = fastlane.save(fastlane._Db(db.engines), self.token, position,
                                 {"answer": answer, "seq": seq, "flagged": flagged}, self.now, GRACE)
            if body is not None:
                assert body["state"] == ANSWERING and body["position"] == position
                assert body["deadline"] == delivery._iso(self.deadline), (body, self.deadline)
                return body["seq"], body["saved"]
        return self._request(lambda: autosave.save_answer(self._attempt(), position, answer, seq, flagged, self.now))

    def _save(self, position, choice, clear, flagged, step, fast=True):
        answer = self._answer(position, choice, clear)
        self.seq += step  # the terminal's counter moves with every change, sent or not
        seq = self.seq
        out = self._store(position, answer, seq, flagged, fast)
        gate = self._write_gate()
        if gate == "deadline_passed":
            self._expect_error(out, gate, 409)
            self._finish(self.deadline)
        elif gate:
            self._expect_error(out, gate, 409)
        else:
            assert out == (seq, True), out
            m = self.meta[position]
            original = shown_to_original(answer, m.order) if answer else None
            old_flag = self.acked.get(position, (None, 0, False))[2]
            self.acked[position] = (original, seq, old_flag if flagged is None else flagged)

    @precondition(lambda self: self.token is not None)
    @rule(**SAVE, fast=st.booleans())
    def save(self, position, choice, clear, flagged, step, fast):
        self._save(position, choice, clear, flagged, step, fast)

    @precondition(lambda self: self.token is not None and self.status != SUBMITTED)
    @rule(queue=st.lists(st.tuples(st.booleans(), st.integers(0, 20), *SAVE.values()), min_size=2, max_size=8))
    def send_queue(self, queue):
        """Back online: the changes kept in the browser go out in order, one request each; some are
        resent copies of what the server already has (a retry after a lost response)."""
        for replay, back, position, choice, clear, flagged, step in queue:
            if replay and self.acked:
                self._replay(position, back, choice, clear, flagged)
            else:
                self._save(position, choice, clear, flagged, step)

    @precondition(lambda self: self.token is not None and self.acked)
    @rule(index=st.integers(0, 99), back=st.integers(0, 20), choice=st.integers(0, 63), clear=st.booleans(),
          flagged=st.sampled_from([None, True, False]), fast=st.booleans())
    def replayed_save(self, index, back, choice, clear, flagged, fast):
        """A retry or an older change arriving late: a seq at most the stored one, possibly another answer."""
        self._replay(index, back, choice, clear, flagged, fast)

    def _replay(self, index, back, choice, clear, flagged, fast=True):
        positions = sorted(self.acked)
        position = positions[index % len(positions)]
        stored_seq = self.acked[position][1]
        seq = stored_seq - back % stored_seq
        answer = self._answer(position, choice, clear)
        out = self._store(position, answer, seq, flagged, fast)
        gate = self._write_gate()
        if gate == "deadline_passed":
            self._expect_error(out, gate, 409)
            self._finish(self.deadline)
        elif gate:
            self._expect_error(out, gate, 409)
        else:
            assert out == (stored_seq, False), out

    @rule(seconds=st.integers(1, 1800))
    def disconnect(self, seconds):
        """The terminal is silent for a while: the clock moves, nothing reaches the server."""
        self.now += dt.timedelta(seconds=seconds)

    @precondition(lambda self: self.status != SUBMITTED)
    @rule(offset=st.one_of(st.integers(0, 30), st.integers(31, 90), st.integers(91, 3600)))
    def advance_past_deadline(self, offset):
        """Jump to the deadline plus ``offset`` seconds: within the grace, just after it, or long after."""
        target = self.deadline + dt.timedelta(seconds=offset)
        if target > self.now:
            self.now = target

    @precondition(lambda self: self.token is not None)
    @rule(fast=st.booleans())
    def heartbeat(self, fast):
        def fn():
            a = self._attempt()
            delivery.heartbeat(a, self.now)
            return delivery.attempt_state(a, self.now)
        if fast:
            db.session.commit()  # as in the server, no ORM transaction is open around the fast lane
        out = fastlane.heartbeat(fastlane._Db(db.engines), self.token, self.now) if fast else None
        if out is not None:
            assert not self._expired(), "the fast lane answered a heartbeat that must finish the attempt"
            assert out["answered"] == sum(1 for o, _, _ in self.acked.values() if o is not None)
            assert out["total"] == 100
        else:
            out = self._request(fn)
        assert not isinstance(out, Exception), out
        if self._expired():
            self._finish(self.deadline)
        assert out["state"] == self.status and out["attempt_id"] == self.attempt_id
        assert out["remaining_seconds"] == self._expected_remaining()

    @precondition(lambda self: self.token is not None)
    @rule()
    def reload(self):
        """GET /attempt: finishes an expired attempt, shows the saved answers in displayed letters."""
        def fn():
            a = self._attempt()
            delivery.finish_if_expired(a, self.now)
            return delivery.paper_payload(a, self.now)
        out = self._request(fn)
        assert not isinstance(out, Exception), out
        if self._expired():
            self._finish(self.deadline)
        assert out["state"] == self.status
        expected = {str(p): {"answer": original_to_shown(o, self.meta[p].order) if o else None, "seq": s, "flagged": f}
                    for p, (o, s, f) in self.acked.items()}
        assert out["answers"] == expected

    @precondition(lambda self: self.old_tokens)
    @rule(index=st.integers(0, 50))
    def stale_token(self, index):
        token = self.old_tokens[index % len(self.old_tokens)]
        out = self._request(lambda: delivery.attempt_for_token(token))
        self._expect_error(out, "invalid_token", 401)

    @precondition(lambda self: self.status != SUBMITTED)
    @rule()
    def pause(self):
        out = self._act("pause")
        if self.status == ANSWERING and self.now < self.deadline:
            assert isinstance(out, str), out
            self.status, self.paused_at = PAUSED, self.now
        else:
            self._expect_error(out)

    @precondition(lambda self: self.status == PAUSED)
    @rule()
    def resume(self):
        out = self._act("resume")
        if self.status == PAUSED:
            assert isinstance(out, str), out
            self.deadline += self.now - self.paused_at
            self.status, self.paused_at = ANSWERING, None
        else:
            self._expect_error(out)

    @precondition(lambda self: self.status != SUBMITTED)
    @rule(minutes=st.integers(1, 30))
    def extra_time(self, minutes):
        out = self._act("extra_time", minutes)
        if self.status == PAUSED or (self.status == ANSWERING and self.now < self.deadline):
            assert isinstance(out, str), out
            self.deadline += dt.timedelta(minutes=minutes)
            self.extra_since += minutes * 60
        else:
            self._expect_error(out)

    @precondition(lambda self: self.status != SUBMITTED)
    @rule()
    def release(self):
        out = self._act("release")
        if self.status == PAUSED or (self.status == ANSWERING and self.now < self.deadline):
            assert isinstance(out, str), out
            if self.token is not None:
                self.old_tokens.append(self.token)
            self.token, self.bound = None, None
        else:
            self._expect_error(out)

    @precondition(lambda self: self.token is not None)
    @rule(twice=st.booleans(), confirmed=st.sampled_from([True, False, False]))
    def submit(self, twice, confirmed=True):
        """Submit (sometimes twice in a row). ``confirmed`` False: the candidate cancels the confirmation
        dialog, nothing is sent (keeps examples from ending too early)."""
        if not confirmed:
            return
        out = self._request(lambda: delivery.submit(self._attempt(), self.now))
        if self.status == PAUSED:
            self._expect_error(out, "not_answering", 409)
            return
        assert not isinstance(out, Exception), out
        if self.status == ANSWERING:
            self._finish(self.deadline if self.now >= self.deadline else self.now)
        assert out is not None and out["score"] == self._expected_score()
        if twice:
            again = self._request(lambda: delivery.submit(self._attempt(), self.now))
            assert again == out

    @rule()
    def sweep(self):
        others = db.session.scalar(sa.select(sa.func.count()).select_from(Attempt).where(
            Attempt.status == AttemptStatus.ANSWERING, Attempt.deadline_at < self.now, Attempt.id != self.attempt_id))
        out = self._request(lambda: delivery.sweep(self.now))
        mine = self.status == ANSWERING and self.deadline < self.now
        assert out == others + int(mine), (out, others, mine)
        if mine:
            self._finish(self.deadline)

    # ---- the invariants -------------------------------------------------------------------------

    def _expected_remaining(self) -> int:
        if self.status == SUBMITTED:
            return 0
        at = self.paused_at if self.status == PAUSED else self.now
        return max(0, int((self.deadline - at).total_seconds()))

    def _expected_score(self) -> float:
        return round(sum(m.points for p, m in self.meta.items() if self.acked.get(p, (None,))[0] == m.key), 2)

    @invariant()
    def check(self):
        if self.attempt_id is None:
            return
        # Plain column reads (loading an Attempt object drags its whole paper along, which is slow).
        a = db.session.execute(sa.select(
            Attempt.status, Attempt.deadline_at, Attempt.paused_at, Attempt.terminal_id, Attempt.graded_at,
            Attempt.submitted_at, Attempt.score, Attempt.passed, Attempt.published_at)
            .where(Attempt.id == self.attempt_id)).one()
        assert a.status == self.status, (a.status, self.status)
        assert a.deadline_at == self.deadline, (a.deadline_at, self.deadline)
        assert a.paused_at == self.paused_at
        assert a.terminal_id == self.bound
        stored = {p: (answer, seq, flagged) for p, answer, seq, flagged in db.session.execute(
            sa.select(AttemptAnswer.position, AttemptAnswer.answer, AttemptAnswer.seq, AttemptAnswer.flagged)
            .where(AttemptAnswer.attempt_id == self.attempt_id))}
        assert stored == self.acked, "stored answers differ from the acknowledged ones"
        remaining = delivery.remaining(SimpleNamespace(status=a.status, deadline_at=a.deadline_at, paused_at=a.paused_at),
                                       self.now)
        assert remaining == self._expected_remaining(), (remaining, self._expected_remaining())
        if self.prev_remaining is not None:
            assert remaining <= self.prev_remaining + self.extra_since, "remaining time increased"
        self.prev_remaining, self.extra_since = remaining, 0
        finishes = finish_count(self.attempt_id)
        if self.status == SUBMITTED:
            assert finishes == 1, f"{finishes} attempt.finish entries"
            assert a.graded_at is not None and a.published_at is not None
            assert a.submitted_at == self.finish_at, (a.submitted_at, self.finish_at)
            assert a.score == self._expected_score(), (a.score, self._expected_score())
            if self.graded_at is None:  # just finished: the full checks once
                self.graded_at = a.graded_at
                self._check_regrade()
            assert a.graded_at == self.graded_at, "graded again"
        else:
            assert finishes == 0 and a.graded_at is None and a.score is None and a.submitted_at is None

    def _check_regrade(self):
        attempt = db.session.get(Attempt, self.attempt_id)
        regrade = services._grade(attempt)
        assert attempt.score == regrade.score and attempt.passed == regrade.passed
        assert {x.position: x.is_correct for x in attempt.answers} == {
            p: regrade.correct[p] for p in self.acked}
        reg = db.session.get(Registration, self.cand.reg_id)
        assert reg.state == RegistrationState.COMPLETED and reg.passed == attempt.passed
        db.session.rollback()  # nothing to keep; leaves the session clean for the next step


def test_delivery_state_machine(app, world, bank, monkeypatch):  # noqa: F811 - the imported fixture
    # The paper drawn at login takes its seed from the example, so hypothesis can replay an example exactly.
    monkeypatch.setattr(paper_services, "secrets", SimpleNamespace(randbits=lambda _bits: DeliveryMachine.paper_seed))
    DeliveryMachine.app = app
    DeliveryMachine.proctor_id = world.users[Role.PROCTOR]
    DeliveryMachine.duration = bank.duration
    # Every example costs a new candidate and a paper, so shrinking a failure would take many minutes: it is
    # off, and a failure prints the whole (≤ 35 step) sequence. Add Phase.shrink locally to minimise one.
    run_state_machine_as_test(DeliveryMachine, settings=settings(
        max_examples=60, stateful_step_count=35, deadline=None, database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]))
