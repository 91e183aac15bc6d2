"""The web app's view models: plain dataclasses the handlers return, one per kind of change to the page.
No Gradio here (`render.py` turns them into updates), so handlers and their tests need no Gradio either."""

from __future__ import annotations

from dataclasses import dataclass, field

from .state import WebSession

SESSION_COLUMNS = ["Session", "Started", "Status", "Answered", "Score", "Scored as", "Banks"]
CHART_COLUMNS = ["criterion", "score", "rubric"]
STATS_COLUMNS = ["Question", "Attempts", "Last", "Best", "Trend"]


@dataclass
class PageView:
    """The interview as it stands (setup shown when there is none)."""

    ws: WebSession | None
    error: str = ""
    answer: str | None = None
    """What the answer box is set to ("" clears it; None leaves what is typed)."""
    hide_resume: bool = False


@dataclass
class EndAsked:
    """End was pressed with an answer typed and not sent: ask whether to send it, keep it as a draft or
    discard it (nothing typed is ever dropped without asking)."""

    ws: WebSession


@dataclass
class NoticeView:
    """Only the notice line changes (e.g. "type an answer first"); what was typed stays."""

    text: str | None
    """None: the notice stays as it is."""
    offer_offline: bool | None = None
    """Show (True) or hide (False) the "Grade offline now" button; None leaves it."""


@dataclass
class ChatView:
    """Only the chat changes (an answer echoed, a follow-up streaming in)."""

    ws: WebSession
    clear_answer: bool = False


@dataclass
class ResumeOffer:
    owner: str
    text: str = ""
    session_id: str | None = None


@dataclass
class ResumeHere:
    """This page's interview was closed (idle too long, or a restart) but is saved: offer Resume beside the
    notice."""

    text: str
    session_id: str


@dataclass
class DraftView:
    note: str
    preview: str = ""
    path: str | None = None
    """The drafted bank's Markdown file, to download (None: no draft)."""
    bank: object | None = None
    """The drafted bank, to practise with."""


@dataclass
class HistoryView:
    note: str | None = None
    """Set alone when there is nothing else to show (history off, browser id not known yet)."""
    due: str = ""
    progress: list[dict[str, object]] = field(default_factory=list)
    sessions: list[list[object]] = field(default_factory=list)
    choices: list[tuple[str, str]] = field(default_factory=list)
    stats: list[list[object]] = field(default_factory=list)


@dataclass
class PastView:
    files: list[str] | None = None
    """Markdown, JSON and HTML downloads of the session opened (None: nothing open)."""
    deck: str | None = None
    """Its Anki deck of what was missed (None: nothing was)."""
    cards: str = ""
