"""Text hygiene at the boundaries: what comes in from files, imports, the environment, a page or an LLM is made fit
for where it goes, once, where it crosses.

- Text that cannot be written as UTF-8 (lone surrogates: undecodable bytes read with surrogateescape, or a
  "\\ud800" escape in JSON) is repaired where it enters, so that an answer is never lost to an encoding error
  further in (the history, an export, an LLM request).
- A setting a person typed or pasted (a URL, a model name, an API key) is refused with the character at fault
  named, never echoed: `unusable_character`, `unwrapped`, `not_header_safe`.
- Text printed to a terminal has its escape sequences and control characters taken out (`for_terminal`): a bank,
  an import or an LLM must not write to the clipboard, clear the screen or retitle the window.
- Text written into a bank file keeps no control character (`for_bank`), so that it reads back as a bank.
- Text an LLM wrote and a web page shows as Markdown loads no remote image (`without_images`): the browser
  would fetch it, telling a server of the model's choosing who reads the page and when.
"""

from __future__ import annotations

import re
import unicodedata
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


# -- settings people type or paste ------------------------------------------------------------------------

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_UNUSABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_WRAPPING = re.compile(
    "^[\\s\"'`\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u00ab\u00bb\u2039\u203a\u200b-\u200d\u2060\ufeff]+"
    "|[\\s\"'`\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u00ab\u00bb\u2039\u203a\u200b-\u200d\u2060\ufeff]+$"
)
"""Whitespace, straight and typographic quotes, and invisible characters around a pasted value."""
_NOT_PRINTABLE_ASCII = re.compile("[^\x20-\x7e]")


def describe_character(char: str) -> str:
    """A character named for a message without printing it raw: "a control character (U+0007)"."""
    code = f"U+{ord(char):04X}"
    if _LONE_SURROGATE.fullmatch(char):
        return f"a character that is not valid text ({code})"
    if _CONTROL.fullmatch(char):
        return f"a control character ({code})"
    if char.isspace() or unicodedata.category(char) in ("Cf", "Zl", "Zp"):
        return f"an invisible character ({code})"
    return f"the character {char} ({code})"


def unusable_character(text: str) -> str | None:
    """The first control character or lone surrogate in a setting, described (None: there is none). Either
    breaks what the value is put in: an HTTP request, a page's event stream, a log line."""
    found = _UNUSABLE.search(text)
    return describe_character(found.group()) if found else None


def unwrapped(text: str) -> str:
    """A pasted value without what surrounds it: whitespace (a trailing newline too), quotes straight or
    typographic (a value copied from a document), invisible characters."""
    return _WRAPPING.sub("", text)


def not_header_safe(text: str) -> tuple[int, str] | None:
    """Where (0-based) and what the first character is that an HTTP header cannot carry (anything but printable
    ASCII), or None."""
    found = _NOT_PRINTABLE_ASCII.search(text)
    return (found.start(), found.group()) if found else None


# -- text printed to a terminal -----------------------------------------------------------------------------

_TERMINAL_SEQUENCE = re.compile(
    "\x1b\\][^\x07\x1b\x9c\n]*(?:\x07|\x1b\\\\|\x9c)?"  # OSC (title, clipboard, hyperlink) to BEL or ST
    "|\x1b[PX^_][^\x1b\x9c]*(?:\x1b\\\\|\x9c)?"  # DCS, SOS, PM, APC strings to ST
    "|\x1b\\[[0-?]*[ -/]*[@-~]"  # CSI (cursor, erase, colour, mode)
    "|\x1b[ -/]*[0-~]"  # the other escapes (two or three characters)
    "|\x9b[0-?]*[ -/]*[@-~]"  # the same as C1 (8-bit) codes
    "|\x9d[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\\\|\x9c)?"
    "|[\x90\x98\x9e\x9f][^\x1b\x9c]*(?:\x1b\\\\|\x9c)?"
)
_NOT_FOR_TERMINAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""C0 controls but tab and newline (a carriage return too: it would let a line overwrite itself), DEL, C1."""


def for_terminal(text: str) -> str:
    """Text from a bank, an import or an LLM as a terminal may print it: escape sequences (OSC, CSI, DCS...) and
    control characters taken out, tab and newline kept, lone surrogates replaced (they cannot be printed)."""
    return scrub(_NOT_FOR_TERMINAL.sub("", _TERMINAL_SEQUENCE.sub("", text)))[0]


# -- text written into a bank -------------------------------------------------------------------------------


def for_bank(text: str) -> str:
    """Text as a bank file may hold it: line breaks as newlines, no other control character (a NUL would make
    the file read as binary), lone surrogates replaced (they cannot be written as UTF-8)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return scrub(_NOT_FOR_TERMINAL.sub("", text))[0]


# -- text an LLM wrote, shown as Markdown in a page ------------------------------------------------------------

_MARKDOWN_IMAGE = re.compile(r"!\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]\([^)\n]*\)")
_RESOURCE_TAG = re.compile(
    r"<\s*(?:img|image|picture|source|video|audio|track|svg|iframe|frame|object|embed|link|meta|style|input)\b"
    r"[^>]*=[^>]*>?",  # with an attribute (src=, href=...): "the <img> tag" in a question is words, not a fetch
    re.IGNORECASE,
)


def without_images(text: str) -> str:
    """Text an LLM wrote, with nothing a Markdown or HTML renderer would load from elsewhere: an inline image
    becomes its alt text, any other `![` (a reference image) loses its `!`, and tags that can load a resource
    (`<img src=...>`, `<image href=...>`, `<iframe src=...>`...) are taken out."""
    text = _MARKDOWN_IMAGE.sub(lambda m: f"[image: {m.group(1)}]" if m.group(1).strip() else "[image]", text)
    return _RESOURCE_TAG.sub("", text.replace("![", "["))
