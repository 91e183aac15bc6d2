"""Text that cannot be written as UTF-8 (lone surrogates: undecodable bytes read with surrogateescape, or a
"\\ud800" escape in JSON) is repaired where it enters, so that an answer is never lost to an encoding error
further in (the history, an export, an LLM request)."""

from __future__ import annotations

import re
from typing import Any

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def scrub(text: str) -> tuple[str, int]:
    """The text with every lone surrogate replaced by U+FFFD, and how many there were."""
    return _LONE_SURROGATE.subn(REPLACEMENT, text)


def scrub_json(value: Any) -> tuple[Any, int]:
    """`scrub` applied to every string (keys too) of a parsed JSON value."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        items = [scrub_json(v) for v in value]
        return [v for v, _ in items], sum(n for _, n in items)
    if isinstance(value, dict):
        pairs = [(scrub(k), scrub_json(v)) for k, v in value.items()]
        return {k: v for (k, _), (v, _) in pairs}, sum(nk + nv for (_, nk), (_, nv) in pairs)
    return value, 0


def replaced_notice(count: int) -> str:
    noun = "character" if count == 1 else "characters"
    return f"{count} {noun} could not be read as text and were replaced with {REPLACEMENT}; the rest is kept."
