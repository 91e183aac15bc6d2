"""Saving sessions as they happen: each engine event is one transaction of the store, and a graded or
skipped turn updates its owner's spaced-review state in that same transaction."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError

from .bank import Question, extract_key_points
from .errors import InterviewerError
from .owner import Owner
from .review import review
from .session import EventKind, SessionEvent, SessionSettings
from .store import HistoryUnavailable, Store
from .tokens import Usage
from .transcript import Summary, Transcript, TurnRecord, summarise
from .writes import Transaction, question_hash

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """What one event's write needs, copied when it happens (the session goes on changing meanwhile): the turn
    it changed and the session's totals, or the whole session when it starts or after writes were missed."""

    kind: EventKind
    session_id: str
    turn_index: int | None
    turn: TurnRecord | None
    finished_at: datetime | None
    summary: Summary
    usage: Usage
    turns_kept: int
    whole: Transcript | None
    questions: list[Question]

    @classmethod
    def of(cls, event: SessionEvent, whole: bool) -> Snapshot:
        s, index = event.session, event.turn_index
        turn = s.turns[index].model_copy(deep=True) if index is not None and index < len(s.turns) else None
        whole = whole or event.kind is EventKind.STARTED
        return cls(event.kind, s.session_id, index, turn, s.finished_at, summarise(s.turns), s.usage.model_copy(),
                   len(s.turns), s.transcript() if whole else None, s.questions)  # fmt: skip


class Writer:
    """One thread that makes the history's writes in the order they were asked for, so that a database's
    round trips and locks never hold up an event loop serving others (the web app)."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="history-writer")

    def submit(self, write: Callable[[], None]) -> Future[None]:
        return self._pool.submit(write)


class Recorder:
    """The engine's persistence hook (`Session.on_event`) for one owner.

    A write that fails (a full disk, a locked or vanished database) never stops the interview: the session
    lives on in memory, `problem` says why history is not being saved, and the next event writes the whole
    session again. With a `Writer`, writes happen on its thread: `saved()` waits for them without blocking,
    `flush()` blocking."""

    def __init__(self, store: Store, owner: Owner, writer: Writer | None = None, wait: float = 1.0) -> None:
        self.store = store
        self.owner = owner
        self.writer = writer
        self.wait = wait
        """Seconds `saved()` waits for the writes: a database that hangs (paused, locked by another process)
        then gets "history not saved" at once, and the candidate keeps going with the session in memory."""
        self._problem: str | None = None
        self._last: Future[None] | None = None
        self._given_up: Future[None] | None = None  # the write waited for `wait` seconds in vain

    @property
    def problem(self) -> str | None:
        """Why the history is behind the session (None: it is up to date), as of the writes made so far: a
        write that failed, or one still waiting for the database after `wait` seconds."""
        if self._problem is None and self._given_up is not None and not self._given_up.done():
            return f"the history database did not answer within {self.wait:g} s"
        return self._problem

    def __call__(self, event: SessionEvent) -> None:
        # Behind (a write failed, or one is still waiting on the database): copy the whole session, so this
        # write makes up for any that failed or were skipped meanwhile.
        snapshot = Snapshot.of(event, whole=self.problem is not None)
        if self.writer is None:
            self._write(snapshot)
        else:
            self._last = self.writer.submit(lambda: self._write(snapshot))

    def flush(self) -> None:
        """Wait until every write asked for so far is made (`wait` seconds at most; not again for a write
        already waited out)."""
        if self._last is None or self._last.done() or self._last is self._given_up:
            return
        try:
            self._last.result(timeout=self.wait)
        except TimeoutError:
            self._behind(self._last)

    async def saved(self) -> None:
        """The same, without holding up the event loop, and for `wait` seconds at most: past that the history
        is said to be behind (the write goes on, and clears the problem when it succeeds)."""
        if self._last is None or self._last is self._given_up:
            return
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(self._last)), self.wait)
        except TimeoutError:
            self._behind(self._last)

    def _behind(self, write: Future[None]) -> None:
        # Slow, not failed: the queued writes are made in order when the database answers (none is skipped).
        self._given_up = write
        log.warning("history write of %s is taking over %g s", self.owner.key or "terminal", self.wait)

    def _write(self, snapshot: Snapshot) -> None:
        try:
            if snapshot.whole is not None and snapshot.kind is not EventKind.STARTED:
                self._save_all(snapshot.whole, snapshot.questions)
            elif self._problem is None or snapshot.kind is EventKind.STARTED:
                self._save(snapshot)
            else:
                return  # behind, and this event's copy is not whole: the next event's is
            self._problem = None
        except HistoryUnavailable as exc:
            self._problem = str(exc)
            log.warning("history not saved for session %s: %s", snapshot.session_id[:8], exc)

    def _save_all(self, tr: Transcript, questions: list[Question]) -> None:
        """The whole session, after writes were missed (its spaced-review updates are not made up for)."""
        with self.store.transaction() as tx:
            if tr.finished_at is not None and not tr.turns:
                tx.delete_session(tr.session_id)
                return
            if not tx.session_exists(tr.session_id):
                tx.insert_session(tr, self.owner, questions)
            for idx, turn in enumerate(tr.turns):
                tx.save_turn(tr.session_id, idx, turn)
            tx.update_session(tr.session_id, tr.finished_at, summarise(tr.turns), tr.usage, len(tr.turns))

    def _save(self, snap: Snapshot) -> None:
        with self.store.transaction() as tx:
            if snap.whole is not None:  # the session starts
                tx.insert_session(snap.whole, self.owner, snap.questions)
                return
            if snap.kind is EventKind.FINISHED and not snap.turns_kept:  # ended before any answer: not kept
                tx.delete_session(snap.session_id)
                return
            if snap.kind is EventKind.DRAFTED and snap.turn is not None and snap.turn_index is not None:
                tx.save_draft(snap.session_id, snap.turn_index, snap.turn.draft)
                return
            if snap.turn is not None and snap.turn_index is not None:
                tx.save_turn(snap.session_id, snap.turn_index, snap.turn)
                # A retry is not recall (docs/practice.md): only a first attempt moves the review state.
                if snap.kind in (EventKind.GRADED, EventKind.SKIPPED) and snap.turn.attempt == 1:
                    record_review(tx, self.owner, snap.turn)
            tx.update_session(snap.session_id, snap.finished_at, snap.summary, snap.usage, snap.turns_kept)


def record_review(tx: Transaction, owner: Owner, turn: TurnRecord) -> None:
    """One more attempt at a question in the owner's spaced-review state (a skip counts as a miss)."""
    when = turn.answered_at or datetime.now(UTC)
    digest = question_hash(turn.question, turn.reference)
    state = tx.review_state(owner, turn.question_id, digest)
    new = review(state, turn.question_id, None if turn.grade is None else turn.grade.overall, when)
    tx.put_review_state(owner, new, digest, when)


def import_transcript(store: Store, tr: Transcript, owner: Owner) -> None:
    """Add a whole transcript (e.g. from another machine) to the owner's history, if its settings are ones the
    app could have written (a session is resumed from them)."""
    try:
        SessionSettings.model_validate(tr.settings)
    except ValidationError as exc:
        problems = "; ".join(f"settings.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        message = f"session {tr.session_id}: not a transcript this app could have written ({problems})"
        raise InterviewerError(message) from exc
    with store.transaction() as tx:
        if tx.session_exists(tr.session_id):
            raise InterviewerError(f"session {tr.session_id} is already in the history")
        tx.insert_session(tr, owner, [_question_of(t) for t in tr.turns])
        for idx, turn in enumerate(tr.turns):
            tx.save_turn(tr.session_id, idx, turn)
            if turn.done and turn.attempt == 1 and tr.regrade_of is None:
                record_review(tx, owner, turn)  # a re-grade is the same practice graded again: no new review
        tx.update_session(tr.session_id, tr.finished_at, tr.summary or summarise(tr.turns), tr.usage, len(tr.turns))


def _question_of(turn: TurnRecord) -> Question:
    tail = turn.question_id.rsplit("#", 1)[-1]
    return Question(
        id=turn.question_id,
        number=int(tail) if tail.isdigit() else 0,
        text=turn.question,
        reference=turn.reference,
        kind=turn.kind,
        key_points=extract_key_points(turn.reference),
        source="(imported transcript)",
        line=0,
    )
