"""A workaround that reaches into Gradio's internals, kept in one place and pinned to the versions it was
written for (tests/test_web_internals.py checks the installed Gradio is one of them)."""

from __future__ import annotations

import ctypes
from typing import Any

GRADIO_VERSIONS = (">=6.0", "<7")
"""The Gradio releases whose `Blocks.state_holder` keeps `session_data` and `time_last_used` dicts."""


def forget_browser_session(demo: Any, session_hash: str | None) -> None:
    """Free what Gradio keeps of a browser session whose interview expired or whose tab closed.

    Gradio deletes only gr.State values on expiry and keeps each browser session's copy of the page config,
    with the last value of every output, until 10,000 sessions have come. A later event of the same browser
    session simply starts a fresh copy. These are Gradio internals, hence the guards.
    """
    if not session_hash:
        return
    holder = getattr(demo, "state_holder", None)
    for table in (getattr(holder, "session_data", None), getattr(holder, "time_last_used", None)):
        if isinstance(table, dict):
            table.pop(session_hash, None)
    release_memory()


def release_memory() -> None:
    """Hand freed heap pages back to the OS (glibc keeps them otherwise, so memory never looks released)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass
