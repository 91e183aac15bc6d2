"""Saving sessions as they happen: each engine event is one transaction of the store, and a graded or
skipped turn updates its owner's spaced-review state in that same transaction."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from pydantic import ValidationError

from .bank import Question, extract_key_points
from .errors import InterviewerError
from .owner import Owner
from .review import review
from .session import EventKind, Session, SessionEvent, SessionSettings
from .store import HistoryUnavailable, Store
from .transcript import Transcript, TurnRecord, summarise
from .writes import Transaction, question_hash

log = logging.getLogger(__name__)


class Recorder:
    """The engine's persistence hook (`Session.on_event`) for one owner.

    A write that fails (a full disk, a locked or vanished database) never stops the interview: the session
    lives on in memory, `problem` says why history is not being saved, and the next event writes the whole
    session again."""

    def __init__(self, store: Store, owner: Owner) -> None:
        self.store = store
        self.owner = owner
        self.problem: str | None = None
        """Why the history is behind the session (None: it is up to date)."""

    def __call__(self, event: SessionEvent) -> None:
        try:
            if self.problem is None:
                self._save(event)
            else:
                self._save_all(event.session)
            self.problem = None
        except HistoryUnavailable as exc:
            self.problem = str(exc)
            log.warning("history not saved for session %s: %s", event.session.session_id[:8], exc)

    def _save_all(self, s: Session) -> None:
        """The whole session, after writes were missed (its spaced-review updates are not made up for)."""
        with self.store.transaction() as tx:
            if s.finished and not s.turns:
                tx.delete_session(s.session_id)
                return
            if not tx.session_exists(s.session_id):
                tx.insert_session(s.transcript(), self.owner, s.questions)
            for idx, turn in enumerate(s.turns):
                tx.save_turn(s.session_id, idx, turn)
            tx.update_session(s.session_id, s.finished_at, summarise(s.turns), s.usage, len(s.turns))

    def _save(self, event: SessionEvent) -> None:
        s = event.session
        with self.store.transaction() as tx:
            if event.kind is EventKind.STARTED:
                tx.insert_session(s.transcript(), self.owner, s.questions)
                return
            if event.kind is EventKind.FINISHED and not s.turns:  # ended before any answer: nothing worth keeping
                tx.delete_session(s.session_id)
                return
            if event.turn_index is not None and event.turn_index < len(s.turns):
                turn = s.turns[event.turn_index]
                tx.save_turn(s.session_id, event.turn_index, turn)
                if (
                    event.kind in (EventKind.GRADED, EventKind.SKIPPED) and turn.attempt == 1
                ):  # a retry is not recall: see README
                    record_review(tx, self.owner, turn)
            tx.update_session(s.session_id, s.finished_at, summarise(s.turns), s.usage, len(s.turns))


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
