"""An Anki deck of what to study: one note per question whose last graded answer missed, only partly covered,
contradicted or took from a hint some of its key points.

Front: the question and how many points to recall (under which of the reference's bold labels); back: those
points, grouped under their labels, each saying how the answer fell short. Points the answer covered make no
card and are not on any. Both sides are HTML: the candidates' and banks' text is escaped, and the banks' inline
markdown (`**bold**`, `*italic*`, `` `code` ``) becomes tags instead of showing its markers. A note's GUID comes
from the bank and the question id, so exporting again updates the card in Anki instead of adding a copy; the
deck is named after the bank(s) and its id comes from that name.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import genanki
from pydantic import BaseModel

from .bank import label_of
from .grading.models import KeyPointStatus
from .grading.text import plural
from .transcript import Transcript, TurnRecord, last_attempts

TO_STUDY: dict[KeyPointStatus, str] = {
    "missed": "missed",
    "partial": "partly covered",
    "contradicted": "contradicted",
    "hinted": "given by a hint",
}
"""The key point statuses a card is made for, as its back names them (covered and recovered ones make none)."""

_MODEL = genanki.Model(
    1874021653,  # fixed: every deck shares one note type, so Anki matches notes across exports
    "interviewer: key points to study",  # a new id and name: the one-note-per-point type had other fields
    fields=[{"name": "Question"}, {"name": "Prompt"}, {"name": "Points"}],
    templates=[
        {
            "name": "Recall what the answer left out",
            "qfmt": "<div class=q>{{Question}}</div><p class=prompt>{{Prompt}}</p>",
            "afmt": '{{FrontSide}}<hr id="answer"><div class=points>{{Points}}</div>',
        }
    ],
    css=".card{font-family:system-ui,sans-serif;font-size:18px}.prompt{color:#555}.area{font-weight:600;"
    "margin:.6em 0 .2em}.how{color:#666;font-size:15px}code{font-size:16px}",
)


class StudyPoint(BaseModel):
    """A key point the answer fell short of (plain text here, escaped when the deck is written)."""

    point: str
    status: KeyPointStatus
    """One of TO_STUDY's statuses."""
    label: str | None = None
    """The reference's bold label over the point (`Key Concerns`), if it has one."""


class CardNote(BaseModel):
    """One note of the deck: a question and every key point to study for it."""

    bank: str
    question_id: str
    question: str
    points: list[StudyPoint]
    criterion: str = "coverage"

    @property
    def guid(self) -> str:
        return genanki.guid_for(self.bank, self.question_id)

    @property
    def prompt(self) -> str:
        """ "What did your answer leave out? 3 key points: 2 under “Key Concerns”, 1 under “Monitoring”." """
        asked = f"What did your answer leave out? {plural(len(self.points), 'key point')}"
        areas = _by_label(self.points)
        if not any(areas):  # a reference without bold labels: the count is the cue
            return asked + "."
        where = [f"{len(ps)} under “{label}”" if label else f"{len(ps)} more" for label, ps in areas.items()]
        return f"{asked}: {', '.join(where)}."


def notes_for(transcripts: Iterable[Transcript]) -> list[CardNote]:
    """A note per question whose last graded attempt has key points to study; a question met in several
    transcripts counts from the first one listed (e.g. the newest session) only."""
    notes: dict[str, CardNote] = {}
    seen: set[str] = set()
    for transcript in transcripts:
        turns = [t for t in last_attempts(transcript.turns) if t.question_id not in seen]
        seen.update(t.question_id for t in turns)
        for note in filter(None, map(_turn_note, turns)):
            notes.setdefault(note.guid, note)
    return list(notes.values())


def answered(transcript: Transcript) -> int:
    """How many of the transcript's questions have a graded answer: what its deck was made from."""
    return sum(t.grade is not None for t in last_attempts(transcript.turns))


def _turn_note(turn: TurnRecord) -> CardNote | None:
    if turn.grade is None or turn.kind == "experience":  # a story's points are structure, not facts to recall
        return None
    points = [
        StudyPoint(point=k.point, status=k.status, label=label_of(k.point, turn.reference))
        for k in turn.grade.key_points
        if k.status in TO_STUDY
    ]
    if not points:
        return None
    bank = turn.question_id.split("#", 1)[0] or "bank"
    return CardNote(bank=bank, question_id=turn.question_id, question=turn.question, points=points)


def _by_label(points: Sequence[StudyPoint]) -> dict[str | None, list[StudyPoint]]:
    """The points grouped under their labels, in the order the reference gives them."""
    groups: dict[str | None, list[StudyPoint]] = {}
    for p in points:
        groups.setdefault(p.label, []).append(p)
    return groups


# -- HTML -----------------------------------------------------------------------------------------

_CODE = re.compile(r"(`+)(.+?)\1")
_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])|(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)")


def inline_html(text: str) -> str:
    """Escaped text with inline markdown as tags: `code` (its content kept literal), **strong**, *emphasis*."""
    out, end = [], 0
    for m in _CODE.finditer(text):
        out += [_emphasised(text[end : m.start()]), f"<code>{html.escape(m.group(2).strip())}</code>"]
        end = m.end()
    return "".join([*out, _emphasised(text[end:])])


def _emphasised(text: str) -> str:
    # Escaping leaves * and _ alone, so the markers are found in the escaped text and only wrap escaped text.
    text = _STRONG.sub(lambda m: f"<b>{m.group(1) or m.group(2)}</b>", html.escape(text))
    return _EMPHASIS.sub(lambda m: f"<i>{m.group(1) or m.group(2)}</i>", text)


def _points_html(points: Sequence[StudyPoint]) -> str:
    parts = []
    for label, group in _by_label(points).items():
        if label:
            parts.append(f"<div class=area>{inline_html(label)}</div>")
        items = "".join(f"<li>{inline_html(p.point)} <span class=how>({TO_STUDY[p.status]})</span></li>" for p in group)
        parts.append(f"<ul>{items}</ul>")
    return "".join(parts)


# -- the deck -------------------------------------------------------------------------------------


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
        fields = [inline_html(n.question), html.escape(n.prompt), _points_html(n.points)]
        tags = [_tag(n.bank), _tag(n.criterion)]
        deck.add_note(genanki.Note(model=_MODEL, fields=fields, tags=tags, guid=n.guid))
    path.parent.mkdir(parents=True, exist_ok=True)
    genanki.Package(deck).write_to_file(str(path))
    return path


def _tag(text: str) -> str:
    """Anki tags are space-separated words."""
    return "".join(c if c.isalnum() or c in "-_:" else "_" for c in text) or "untagged"


# -- what the candidate is told -------------------------------------------------------------------

WHY_SO_FEW = (
    "Cards are made only for what you missed or only partly covered: one per question, listing its key points "
    "to study (stories make none)."
)


def deck_written(notes: Sequence[CardNote], source: str) -> str:
    """ "2 cards in the deck “interviewer: genai_misc”, from 5 answered questions. Cards are made only ..." """
    return f"{plural(len(notes), 'card')} in the deck “{deck_name(notes)}”, from {source}. {WHY_SO_FEW}"


def nothing_to_study(source: str) -> str:
    """No note at all: no file is written, and this says why."""
    return f"Nothing missed or only partly covered in {source} (stories make no cards): no deck written."
