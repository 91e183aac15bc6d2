"""Where a key point sits in its reference: the reference's own sentence for it, and a way to find it.

A missed point shown as a bare label ("Enables manipulation of generated outputs") teaches little; the
sentence the reference writes about it, and where (under which bold label, on which line), does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .bank import label_of

_MARKUP = re.compile(r"\*\*|__|`|^\s*(?:[-*+]|\d+[.)])\s+|^\s*#+\s*")
_WORD = re.compile(r"\w+")
_ITEM_SEPARATOR = re.compile(r"[,;]\s*(?:and\s+|or\s+)?|\s+and\s+")


@dataclass(frozen=True)
class Passage:
    text: str
    """The reference's sentence (its whole line, markup removed) that holds the point."""
    where: str
    """`under "Key Concerns"`, or `line 4 of the reference`."""

    @property
    def is_list(self) -> bool:
        """A line that only lists short items (`Key Concerns: bias, privacy, misinformation`): it says no more
        about one of them than its name, so where it sits is all worth showing."""
        body = self.text.split(":", 1)[-1]
        items = [i for i in _ITEM_SEPARATOR.split(body) if i.strip()]
        return len(items) >= 3 and all(len(i.split()) <= 6 for i in items)


@lru_cache(maxsize=4096)  # each feedback card shows it for every point, at every render of the page
def reference_passage(point: str, reference: str) -> Passage | None:
    """The reference line holding `point` (verbatim, else the one sharing most of its words), or None."""
    lines = [(n, _plain(line)) for n, line in enumerate(reference.split("\n"), start=1) if line.strip()]
    if not lines or not point.strip():
        return None
    needle = point.lower()[:40]
    found = next(((n, text) for n, text in lines if needle in text.lower()), None)
    if found is None:
        words = set(_WORD.findall(point.lower()))
        shared = max(lines, key=lambda item: len(words & set(_WORD.findall(item[1].lower()))))
        if len(words & set(_WORD.findall(shared[1].lower()))) * 2 < len(words):
            return None  # no line says most of it: better nothing than a wrong pointer
        found = shared
    number, text = found
    label = label_of(point, reference)
    return Passage(text, f'under "{label}"' if label else f"line {number} of the reference")


def _plain(line: str) -> str:
    return _MARKUP.sub("", line).strip()
