"""An Anki deck of what was missed: one note per missed, partial or hinted key point of the graded answers.

Front: the question and a prompt for the missing area; back: the key point and the part of the reference it
comes from. Both sides are escaped HTML (candidates' and banks' text is untrusted). A note's GUID comes from
the bank, the question id and the key point, so exporting again updates the notes in Anki instead of adding
copies; the deck is named after the bank(s) and its id comes from that name.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterable, Sequence
from pathlib import Path

import genanki
from pydantic import BaseModel

from .bank import label_of
from .transcript import Transcript, TurnRecord, last_attempts

ASKED_AGAIN = ("missed", "partial", "hinted")
"""The key point statuses a card is made for."""

_MODEL = genanki.Model(
    1607392319,  # fixed: every deck shares one note type, so Anki matches notes across exports
    "interviewer: missed key point",
    fields=[{"name": "Question"}, {"name": "Prompt"}, {"name": "Point"}, {"name": "Reference"}],
    templates=[
        {
            "name": "Recall the missing point",
            "qfmt": "<div class=q>{{Question}}</div><p class=prompt>{{Prompt}}</p>",
            "afmt": '{{FrontSide}}<hr id="answer"><p class=point>{{Point}}</p><div class=ref>{{Reference}}</div>',
        }
    ],
    css=".card{font-family:system-ui,sans-serif;font-size:18px}.prompt{color:#555}.ref{color:#444;font-size:15px}",
)


class CardNote(BaseModel):
    """One note of the deck (fields are plain text here, escaped when the deck is written)."""

    bank: str
    question_id: str
    question: str
    prompt: str
    point: str
    reference_part: str
    criterion: str = "coverage"

    @property
    def guid(self) -> str:
        return genanki.guid_for(self.bank, self.question_id, self.point)


def notes_for(transcripts: Iterable[Transcript]) -> list[CardNote]:
    """A note per missed, partial or hinted key point of each question's last graded attempt; a question met
    in several transcripts counts from the first one listed (e.g. the newest session) only."""
    notes: dict[str, CardNote] = {}
    seen: set[str] = set()
    for transcript in transcripts:
        turns = [t for t in last_attempts(transcript.turns) if t.question_id not in seen]
        seen.update(t.question_id for t in turns)
        for turn in turns:
            for note in _turn_notes(turn):
                notes.setdefault(note.guid, note)
    return list(notes.values())


def _turn_notes(turn: TurnRecord) -> list[CardNote]:
    if turn.grade is None or turn.kind == "experience":  # a story's points are structure, not facts to recall
        return []
    bank = turn.question_id.split("#", 1)[0] or "bank"
    return [
        CardNote(
            bank=bank,
            question_id=turn.question_id,
            question=turn.question,
            prompt=_prompt(k.point, turn.reference),
            point=k.point,
            reference_part=_reference_part(k.point, turn.reference),
        )
        for k in turn.grade.key_points
        if k.status in ASKED_AGAIN
    ]


def _prompt(point: str, reference: str) -> str:
    label = label_of(point, reference)
    return f"What belongs under “{label}”?" if label else "Which key point of a full answer is this?"


def _reference_part(point: str, reference: str) -> str:
    """The reference's line (paragraph, list item or table row) that holds the key point."""
    needle = point.lower()[:40]
    return next((line.strip() for line in reference.splitlines() if needle in line.lower()), point)


def deck_filename(session_id: str) -> str:
    """The file a session's deck is written to when no name is given."""
    return f"interviewer-{session_id[:8]}.apkg"


def deck_name(notes: Sequence[CardNote]) -> str:
    return "interviewer: " + ", ".join(sorted({n.bank for n in notes}))


def write_deck(notes: Sequence[CardNote], path: Path) -> Path:
    """Write the notes as an Anki package (.apkg); the caller says so when there are none (no empty file)."""
    if not notes:
        raise ValueError("no notes: nothing was missed")
    name = deck_name(notes)
    deck = genanki.Deck(int(hashlib.sha1(name.encode()).hexdigest()[:8], 16), name)
    for n in notes:
        fields = [html.escape(x) for x in (n.question, n.prompt, n.point, n.reference_part)]
        tags = [_tag(n.bank), _tag(n.criterion)]
        deck.add_note(genanki.Note(model=_MODEL, fields=fields, tags=tags, guid=n.guid))
    path.parent.mkdir(parents=True, exist_ok=True)
    genanki.Package(deck).write_to_file(str(path))
    return path


def _tag(text: str) -> str:
    """Anki tags are space-separated words."""
    return "".join(c if c.isalnum() or c in "-_:" else "_" for c in text) or "untagged"


NOTHING_MISSED = "Nothing was missed in what you chose: no deck written."
