"""One browser session of the web app: its interview, its chat as shown, its downloads, and their cleanup."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import anki
from .. import webview as view
from ..conversation import FOLLOW_UP, HistoryWatch, Said, Tone, told, write_transcripts
from ..presentation import turn_views
from ..service import OwnerScope
from ..session import Session, Step
from ..transcript import Transcript
from ..unicode import without_images
from .private import private_folder

FORMATS = ("markdown", "json", "html")
"""The transcript formats a browser can download."""


@dataclass
class WebSession:
    """One browser session: its engine, its chat as shown, its grader, and a folder for downloads."""

    scope: OwnerScope
    """The application core for this browser's owner."""
    session: Session
    grader_label: str
    chat: list[dict[str, str]] = field(default_factory=list)
    notice: str = ""
    sent: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Component properties last sent to the page: only changes are sent again (Gradio rebuilds a component's
    whole config for every property update, which dominated the app's CPU under load)."""
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="session-", dir=private_folder())))
    browser_session: str | None = None
    """Gradio's session hash of the browser session this interview belongs to."""
    taken_over: bool = False
    """Another tab resumed this session: this copy takes no more answers."""
    history: HistoryWatch = field(default_factory=HistoryWatch)
    busy: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)
    """Held while an action changes the session: a Skip or End pressed during grading must not interleave."""

    def changes(self, part: str, **props: Any) -> dict[str, Any]:
        """The properties of a page part that differ from what was last sent (and remembers them as sent)."""
        last = self.sent.setdefault(part, {})
        changed = {k: v for k, v in props.items() if k not in last or last[k] != v}
        last.update(changed)
        return changed

    def say(self, text: str) -> None:
        # no remote image from an LLM's follow-up (or a bank) is ever fetched by the page
        self.chat.append({"role": "assistant", "content": without_images(text)})

    def heard(self, text: str) -> None:
        shown = view.literal_markdown(text) if text.strip() else "*(empty answer)*"
        self.chat.append({"role": "user", "content": shown})

    def greet(self) -> None:
        s = self.session
        mode = "feedback after each answer" if s.settings.mode == "practice" else "feedback at the end"
        self.say(
            f"Hello! This is a {s.total}-question interview ({mode}). Take your time; "
            "use Hint if you are stuck, or Skip to move on."
        )
        self.say(view.e(s.question_message()))

    def replay(self) -> None:
        """The chat of a resumed session, as it went so far."""
        s = self.session
        self.say("Welcome back! Here is where you left off.")
        for shown in turn_views(s.turns):  # numbered by question: a retry keeps its question's number
            turn = shown.turn
            self.say(view.e(f"Question {shown.number} of {s.total}{turn.again}: {turn.question}"))
            if turn.skipped:
                self.chat.append({"role": "user", "content": "*(skipped)*"})
            if turn.answer is not None:
                self.heard(turn.answer)
            for f in turn.followups:
                self.say(f"**{FOLLOW_UP}:** {view.e(f.question)}")
                if f.answer is not None:
                    self.heard(f.answer)

    def show_step(self, step: Step) -> None:
        """What the interviewer says after an action."""
        self.draw(told(self.session, step))

    def draw(self, said: list[Said]) -> None:
        """Things said, in the chat (the feedback itself is shown below it) or on the notice line."""
        if notices := [item.text for item in said if item.tone is Tone.NOTICE]:
            self.notice = " ".join(notices)
        for item in said:
            if item.tone is Tone.NOTICE:
                continue
            if item.tone is Tone.FEEDBACK:
                self.say(f"{view.e(item.text)}. The feedback is below the chat.")
            else:
                self.say(view.e(item.text))

    async def check_history(self) -> None:
        """Tell once that the history stopped being saved (and once that it works again), when the writes of
        the action just taken are made (on the history's own thread)."""
        await self.session.saved()
        if news := self.history.news(self.session):
            self.notice = " ".join(filter(None, [self.notice, news.text]))

    def write_transcript(self, *formats: str) -> list[str]:
        """Write the transcript so far in the given formats; the files' paths, in the same order."""
        return write_transcript_files(self.session.transcript(), self.folder, formats)


def write_transcript_files(transcript: Transcript, folder: Path, formats: Sequence[str]) -> list[str]:
    paths = write_transcripts(transcript, folder, formats)
    for path in paths:
        path.chmod(0o600)
    return [str(path) for path in paths]


def write_deck_file(transcript: Transcript, folder: Path) -> str | None:
    """The transcript's Anki deck of what was missed (None: nothing was, and no file is written)."""
    notes = anki.notes_for([transcript])
    if not notes:
        return None
    deck = anki.write_deck(notes, folder / anki.deck_filename(transcript.session_id))
    deck.chmod(0o600)
    return str(deck)


def free_files(ws: WebSession | None) -> None:
    """Remove a finished or replaced session's download files."""
    if isinstance(ws, WebSession):
        shutil.rmtree(ws.folder, ignore_errors=True)
