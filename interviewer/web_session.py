"""One browser session of the web app: its interview, its chat as shown, its downloads, and their cleanup."""

from __future__ import annotations

import asyncio
import ctypes
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import webview as view
from .presentation import grade_view, render_transcript, transcript_filename
from .session import Session, Step
from .transcript import Transcript

FORMATS = {"markdown": ".md", "json": ".json", "html": ".html"}


@dataclass
class WebSession:
    """One browser session: its engine, its chat as shown, its grader, and a folder for downloads."""

    session: Session
    grader_label: str
    chat: list[dict[str, str]] = field(default_factory=list)
    notice: str = ""
    sent: dict[int, dict[str, Any]] = field(default_factory=dict)
    """Component properties last sent to the page: only changes are sent again (Gradio rebuilds a component's
    whole config for every property update, which dominated the app's CPU under load)."""
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="interviewer-")))
    browser_session: str | None = None
    """Gradio's session hash of the browser session this interview belongs to."""
    busy: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)
    """Held while an action changes the session: a Skip or End pressed during grading must not interleave."""

    def changes(self, component: Any, **props: Any) -> dict[str, Any]:
        last = self.sent.setdefault(id(component), {})
        changed = {k: v for k, v in props.items() if k not in last or last[k] != v}
        last.update(changed)
        return changed

    def say(self, text: str) -> None:
        self.chat.append({"role": "assistant", "content": text})

    def heard(self, text: str) -> None:
        shown = view.literal_markdown(text) if text.strip() else "*(empty answer)*"
        self.chat.append({"role": "user", "content": shown})

    def write_transcript(self, *formats: str) -> list[str]:
        """Write the transcript so far in the given formats; the files' paths, in the same order."""
        return write_transcript_files(self.session.transcript(), self.folder, formats)


def write_transcript_files(transcript: Transcript, folder: Path, formats: Sequence[str]) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        path = folder / transcript_filename(transcript, fmt)
        path.write_text(render_transcript(transcript, fmt), encoding="utf-8")
        paths.append(str(path))
    return paths


def free_files(ws: WebSession | None) -> None:
    """Remove a finished or replaced session's download files."""
    if isinstance(ws, WebSession):
        shutil.rmtree(ws.folder, ignore_errors=True)


def forget_browser_session(demo: Any, ws: WebSession | None) -> None:
    """Called by Gradio when a session's state expires or its tab closes: free everything it held.

    Gradio deletes only gr.State values on expiry and keeps each browser session's copy of the page config,
    with the last value of every output, until 10,000 sessions have come. A later event of the same browser
    session simply starts a fresh copy. These are Gradio internals, hence the guards.
    """
    free_files(ws)
    if not isinstance(ws, WebSession) or not ws.browser_session:
        return
    holder = getattr(demo, "state_holder", None)
    for table in (getattr(holder, "session_data", None), getattr(holder, "time_last_used", None)):
        if isinstance(table, dict):
            table.pop(ws.browser_session, None)
    _release_memory()


def _release_memory() -> None:
    """Hand freed heap pages back to the OS (glibc keeps them otherwise, so memory never looks released)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


def greeting(session: Session) -> str:
    mode = "feedback after each answer" if session.settings.mode == "practice" else "feedback at the end"
    return (f"Hello! This is a {session.total}-question interview ({mode}). Take your time; "
            "use Hint if you are stuck, or Skip to move on.")


def show_step(ws: WebSession, step: Step) -> None:
    if step.notice:
        ws.notice = step.notice
    if step.followup:
        ws.say(view.e(step.followup))
        return
    if step.feedback is not None:
        g = grade_view(step.feedback)
        ws.say(f"Score: **{g.overall_text}** ({g.band}). The feedback is below the chat.")
    elif not step.finished:
        ws.say("Thank you.")
    if step.next_question:
        ws.say(view.e(step.next_question))
    if step.finished:
        ws.say("That was the last question. Your summary is below.")
