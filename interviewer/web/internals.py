"""Workarounds that reach into Gradio's internals, kept in one place and pinned to the versions they were
written for (tests/test_web_internals.py checks the installed Gradio is one of them, and each workaround)."""

from __future__ import annotations

import copy
import ctypes
import os
from typing import Any

import gradio as gr
from gradio.blocks import Block

GRADIO_VERSIONS = (">=6.0", "<7")
"""The Gradio releases whose `Blocks.state_holder` keeps `session_data` and `time_last_used` dicts, whose
`Blocks.postprocess_data` rebuilds a component for each output a dict return leaves out, and whose queue
recomputes its monitoring summary after every event."""

UNCHANGED = {"__type__": "update"}
"""What Gradio sends the page for an output an event leaves as it is (`gr.skip()`, postprocessed)."""


class LeanBlocks(gr.Blocks):
    """gr.Blocks whose events pay only for the outputs they change.

    An event that returns a dict leaves out the outputs it does not change; Gradio fills each with `gr.skip()`,
    handles it as a property update and rebuilds that component (its constructor, its signature read, its whole
    config) to send the page `{"__type__": "update"}`, which changes nothing. An answer's echo changes 3 of its 17
    outputs. Here only the outputs given are postprocessed, and the others are sent that same no-op update.
    """

    async def postprocess_data(self, block_fn: Any, predictions: Any, state: Any) -> list[Any]:
        outputs = list(block_fn.outputs)
        if not isinstance(predictions, dict) or not predictions or block_fn.batch or len(outputs) < 2:
            return await super().postprocess_data(block_fn, predictions, state)
        if not all(isinstance(key, Block) for key in predictions):
            return await super().postprocess_data(block_fn, predictions, state)
        given = [i for i, block in enumerate(outputs) if block in predictions]
        if len(given) != len(predictions):  # a key that is not one of this event's outputs: Gradio says so
            return await super().postprocess_data(block_fn, predictions, state)
        part = copy.copy(block_fn)
        part.outputs = [outputs[i] for i in given]
        values = [predictions[outputs[i]] for i in given]
        done = await super().postprocess_data(part, values if len(given) > 1 else values[0], state)
        sent: list[Any] = [dict(UNCHANGED) for _ in outputs]
        for i, value in zip(given, done, strict=True):
            sent[i] = value
        return sent


def quiet_monitoring() -> None:
    """Gradio's queue recomputes its monitoring dashboard's summary, a pandas group-by over the last 10,000
    events, after every event: its cost grows with the server's age (6% of the app's CPU within the first 200
    events of bench/load.py). This app never enables monitoring; the summary is refreshed every 10,000 events
    instead. Set before the queue is made, which reads it; a host's own setting wins."""
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "10000")


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
