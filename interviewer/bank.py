"""Question banks: markdown files of numbered questions with reference answers.

The format (see bank/genai_misc.md)::

    # Title
    ## 1. Question text
    **Answer:**
    reference answer, up to the next question

Lines inside ``` fences are code, never headings. An italic marker such as
``*(Customize with your actual experience)*`` makes an experience question. A last
``---`` followed by italic text is the bank's closing note, not part of the last answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal, cast

from pydantic import BaseModel, ConfigDict

from .errors import BankError
from .resources import bank_dir

MAX_BANK_BYTES = 20 * 1024 * 1024  # far above any real bank (10,000 questions is ~6 MB)
DEFAULT_BANK = bank_dir() / "genai_misc.md"
LIBRARY = bank_dir() / "library"
"""The curated banks shipped beside the default one (bank/library/*.md)."""

Kind = Literal["technical", "experience"]
Level = Literal["junior", "mid", "senior"]
LEVELS: tuple[Level, ...] = ("junior", "mid", "senior")

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_TITLE = re.compile(r"^#\s+(.+?)\s*#*\s*$")
_SECTION = re.compile(r"^##\s+(.*?)\s*#*\s*$")
_QUESTION = re.compile(r"^##\s+(\d+)\s*[.)]\s*(.*?)\s*#*\s*$")
_META = re.compile(r"^\s*<!--\s*(.*?)\s*-->\s*$")
"""A question's metadata, on its own line under its heading: `<!-- level: senior; topics: rag, retrieval -->`."""
_BANK_META = re.compile(r"^\s*<!--\s*((?:level|topics?)\s*:.*?)\s*-->\s*$", re.IGNORECASE)
"""The same under the title, before any question: every question's level and topics unless its own says
otherwise (a comment that is not metadata stays a comment there)."""
_TOPIC = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_ANSWER = re.compile(r"^\s*(?:\*\*|__)Answer:?(?:\*\*|__):?\s*(.*)$", re.IGNORECASE)
_RULE = re.compile(r"^\s{0,3}(?:-\s*){3,}$|^\s{0,3}(?:\*\s*){3,}$|^\s{0,3}(?:_\s*){3,}$")
_ITALIC_LINE = re.compile(r"^\s*(\*(?!\s)[^*].*[^*\s]\*|_(?!\s).*[^\s_]_)\s*$")
_EXPERIENCE_MARKER = re.compile(
    r"^\s*[*_]\s*\([^)]*\b(experience|customi[sz]e|adapt|your own)\b[^)]*\)\s*[*_]\s*$",
    re.IGNORECASE,
)
_DRAFT_LINE = re.compile(r"^\s*[*_]\s*Draft\b.*\bnot yet reviewed\b", re.IGNORECASE)
"""Under a drafted bank's title until the user reviews it (`interviewer bank draft`)."""
_DRAFTED_MARKER = re.compile(r"^\s*[*_]\s*\(\s*drafted\b[^)]*\)\s*[*_]\s*$", re.IGNORECASE)
"""Under `**Answer:**` of a reference the LLM wrote (`interviewer bank fill`): not part of the reference."""
_LABEL = re.compile(r"^(?:\*\*|__)([^*_]{1,80}?):?(?:\*\*|__):?\s*")
_INLINE_LABEL = re.compile(r"(?<!\S)\*\*([^*]{1,80}?)(?::\*\*|\*\*:)\s*")
"""A further `**Label:**` on a line, after some text (with its colon, so bold words in a sentence are no label;
and `**` only: `__` mid-line is too often a dunder name, `__init__:`)."""
_EMPHASIS = re.compile(r"\*\*|__|(?<![\w*])\*(?=\S)[^*]*?\S\*(?![\w*])|(?<![\w_])_(?=\S)[^_]*?\S_(?![\w_])")
_CODE_SPAN = re.compile(r"`[^`]*`")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")
_TABLE_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?[\s:|-]+\|?\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9`*(])")
_PLAIN_SPLIT = re.compile(r"[,;→]")


class Question(BaseModel):
    """One question of a bank, with its reference answer."""

    model_config = ConfigDict(frozen=True)

    id: str
    """`<file stem>#<number>`: stable across runs, used by history and transcripts."""
    number: int
    text: str
    reference: str
    """The reference answer as written in the bank (markdown kept intact)."""
    kind: Kind
    """`experience` when the reference is only an example of a personal story."""
    key_points: list[str]
    source: str
    line: int
    """Line of the question's heading in `source` (1-based)."""
    drafted: bool = False
    """Its reference was written by an LLM (`interviewer bank fill`) and carries the drafted marker."""
    level: Level | None = None
    """junior, mid or senior, from the question's metadata line (None: the bank does not say)."""
    topics: tuple[str, ...] = ()
    """Topic tags from the metadata line (lower case, e.g. `rag`)."""


class Bank(BaseModel):
    """A parsed bank file."""

    path: str
    title: str
    note: str | None = None
    """The closing note after the last question, if any."""
    questions: list[Question]
    draft: bool = False
    """Drafted by `interviewer bank draft` and not yet reviewed (its draft line is still under the title)."""

    def label(self, name: str) -> str:
        """How a session names the bank (`name`: its path or file name), saying when it is an unreviewed draft."""
        return name + (" (draft, not yet reviewed)" if self.draft else "")

    @property
    def experience_count(self) -> int:
        return sum(q.kind == "experience" for q in self.questions)


def read_bank_text(path: Path) -> str:
    """Read a bank as UTF-8 text (BOM allowed), refusing oversized or binary files."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise BankError(str(path), 0, f"cannot read: {exc.strerror or exc}") from exc
    if size > MAX_BANK_BYTES:
        raise BankError(str(path), 0, f"file is {size:,} bytes; the limit is {MAX_BANK_BYTES:,}")
    return decode_bank_bytes(path.read_bytes(), str(path))


def decode_bank_bytes(data: bytes, path: str) -> str:
    if len(data) > MAX_BANK_BYTES:
        raise BankError(path, 0, f"file is {len(data):,} bytes; the limit is {MAX_BANK_BYTES:,}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BankError(path, line, "not UTF-8 text (undecodable bytes)") from exc
    if "\x00" in text:
        raise BankError(path, text[: text.index("\x00")].count("\n") + 1, "contains NUL bytes: not a text file")
    return text


@dataclass
class _Section:
    """One question as read from the file: its heading's lines, then its answer's."""

    number: int
    line: int
    question: list[str]
    body: list[str] = field(default_factory=list)
    saw_answer: bool = False
    meta: list[tuple[int, str]] = field(default_factory=list)
    """Metadata comment lines under the heading (line number, text)."""


@dataclass
class _Scan:
    title: str = ""
    draft: bool = False
    meta: list[tuple[int, str]] = field(default_factory=list)
    """The bank's metadata lines, under its title."""
    sections: list[_Section] = field(default_factory=list)


def parse_bank(text: str, path: str = "<bank>") -> Bank:
    """Parse bank markdown; raise BankError naming the file and line of the first problem."""
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    scan = _scan(lines, path)
    if not scan.sections:
        raise BankError(path, 1, "no questions found: expected headings like '## 1. Question text'")
    note_lines = _closing_note(scan.sections[-1].body)
    note = ("\n".join(note_lines).strip() or None) if note_lines is not None else None
    seen: dict[int, int] = {}
    questions = [_question(section, path, seen, scan.meta) for section in scan.sections]
    return Bank(path=path, title=scan.title or Path(path).stem, note=note, questions=questions, draft=scan.draft)


def _scan(lines: list[str], path: str) -> _Scan:
    """The file's title, draft mark and question sections, code fences read as plain text."""
    scan = _Scan()
    current: _Section | None = None
    in_fence = 0  # the line where the open code fence opened (0: none open)
    for lineno, line in enumerate(lines, start=1):
        if _FENCE.match(line):
            in_fence = 0 if in_fence else lineno
        elif not in_fence:
            current, taken = _structure(scan, current, line, lineno)
            if taken:
                continue
        if current is not None:
            (current.body if current.saw_answer else current.question).append(line)
    if in_fence:  # everything after it would silently become part of one reference answer
        raise BankError(path, in_fence, "this code fence (```) is never closed")
    return scan


def _structure(scan: _Scan, current: _Section | None, line: str, lineno: int) -> tuple[_Section | None, bool]:
    """Read a line outside code as structure (a question heading, a section, the title, the draft mark, the
    answer's start): the section it leaves open, and whether the line was taken (not part of a text)."""
    if m := _QUESTION.match(line):
        scan.sections.append(_Section(int(m.group(1)), lineno, [m.group(2)]))
        return scan.sections[-1], True
    if _SECTION.match(line):  # an unnumbered section heading ends the current question
        return None, True
    if not scan.title and (m := _TITLE.match(line)):
        scan.title = m.group(1)
        return current, True
    if not scan.sections and _DRAFT_LINE.match(line):
        scan.draft = True
    if not scan.sections and (m := _BANK_META.match(line)):
        scan.meta.append((lineno, m.group(1)))
        return current, True
    if current is not None and not current.saw_answer and (m := _META.match(line)):
        current.meta.append((lineno, m.group(1)))
        return current, True
    if current is not None and not current.saw_answer and (m := _ANSWER.match(line)):
        current.saw_answer = True
        if m.group(1):
            current.body.append(m.group(1))
        return current, True
    return current, False


def _question(section: _Section, path: str, seen: dict[int, int], bank_meta: list[tuple[int, str]]) -> Question:
    """A section as a question, checked (`seen`: the numbers met so far, and their lines; `bank_meta`: the
    metadata every question of the bank has, before its own)."""
    number, at = section.number, section.line
    question_text = " ".join(s.strip() for s in section.question if s.strip())
    if not question_text:
        raise BankError(path, at, f"question {number} has no text")
    if number in seen:
        raise BankError(path, at, f"duplicate question number {number} (first at line {seen[number]})")
    seen[number] = at
    if not section.saw_answer:
        raise BankError(path, at, f"question {number} has no '**Answer:**' line")
    body = _trim_rules(section.body)
    kind: Kind = "experience" if any(_EXPERIENCE_MARKER.match(b) for b in body) else "technical"
    drafted = any(_DRAFTED_MARKER.match(b) for b in body)
    body = [b for b in body if not _EXPERIENCE_MARKER.match(b) and not _DRAFTED_MARKER.match(b)]
    reference = _dedent_blank("\n".join(body).strip("\n"))
    if not reference.strip():
        raise BankError(path, at, f"question {number} has an empty reference answer")
    level, topics = _metadata([*bank_meta, *section.meta], path)
    return Question(
        id=f"{Path(path).stem}#{number}",
        number=number,
        text=question_text,
        reference=reference,
        kind=kind,
        key_points=extract_key_points(reference),
        source=path,
        line=at,
        drafted=drafted,
        level=level,
        topics=topics,
    )


def _metadata(lines: list[tuple[int, str]], path: str) -> tuple[Level | None, tuple[str, ...]]:
    """`level: senior; topics: rag, retrieval` read from a question's metadata lines (both parts optional)."""
    level: Level | None = None
    topics: list[str] = []
    for lineno, text in lines:
        for part in filter(None, (p.strip() for p in text.split(";"))):
            key, _, value = (s.strip() for s in part.partition(":"))
            if key.lower() == "level":
                if value.lower() not in LEVELS:
                    raise BankError(path, lineno, f"unknown level {value!r}: use junior, mid or senior")
                level = cast(Level, value.lower())
            elif key.lower() in ("topic", "topics"):
                tags = [t.strip().lower() for t in value.split(",") if t.strip()]
                if bad := [t for t in tags if not _TOPIC.match(t)]:
                    raise BankError(path, lineno, f"topic {bad[0]!r}: use lower-case words and hyphens")
                topics += [t for t in tags if t not in topics]
            else:
                raise BankError(path, lineno, f"unknown metadata {key!r}: use 'level: ...; topics: ...'")
    return level, tuple(topics)


SHOWN_TOPICS = 15
"""The most-held topics a message names; the rest are counted (a library holds more than a hundred)."""


def level_counts(questions: Iterable[Question]) -> dict[Level, int]:
    """How many questions each level holds, in level order (0 for a level none has)."""
    questions = list(questions)
    return {lv: sum(q.level == lv for q in questions) for lv in LEVELS}


def topic_counts(questions: Iterable[Question]) -> list[tuple[str, int]]:
    """How many questions each topic holds, the most held first (a bank's own tag leads, the rare ones follow)."""
    counts: dict[str, int] = {}
    for q in questions:
        for t in q.topics:
            counts[t] = counts.get(t, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def level_words(levels: dict[Level, int]) -> str:
    """`junior 3, mid 5, senior 4` (levels none has left out; none at all: empty)."""
    return ", ".join(f"{lv} {n}" for lv, n in levels.items() if n)


def holdings(questions: Iterable[Question]) -> str:
    """`junior 3, mid 5, senior 4; topics: rag 6, retrieval 4` (most held first; no metadata: `no levels or
    topics`)."""
    questions = list(questions)
    shown = [level_words(level_counts(questions))]
    if most := topic_counts(questions):
        more = f" and {len(most) - SHOWN_TOPICS} more" if len(most) > SHOWN_TOPICS else ""
        shown.append("topics: " + ", ".join(f"{t} {n}" for t, n in most[:SHOWN_TOPICS]) + more)
    return "; ".join(s for s in shown if s) or "no levels or topics"


def matching(questions: Iterable[Question], levels: Iterable[str] = (), topics: Iterable[str] = ()) -> list[Question]:
    """The questions of the levels and topics chosen (none chosen: all). A question without metadata matches
    no choice but 'all': a bank without metadata keeps working, unfiltered."""
    wanted_levels, wanted_topics = set(levels), set(topics)
    return [
        q
        for q in questions
        if (not wanted_levels or q.level in wanted_levels) and (not wanted_topics or wanted_topics & set(q.topics))
    ]


def _closing_note(body: list[str]) -> list[str] | None:
    """Split off a closing note (`---` then only italic text) from the last question's body, in place."""
    for i in range(len(body) - 1, -1, -1):
        if _RULE.match(body[i]):
            tail = [t for t in body[i + 1 :] if t.strip()]
            if tail and all(_ITALIC_LINE.match(t) for t in tail):
                note = [t.strip().strip("*_").strip() for t in tail]
                del body[i:]
                return note
            return None
    return None


def _trim_rules(body: list[str]) -> list[str]:
    """Drop blank lines and `---` separators at the end of a reference."""
    end = len(body)
    while end and (not body[end - 1].strip() or _RULE.match(body[end - 1])):
        end -= 1
    return body[:end]


def _dedent_blank(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def extract_key_points(reference: str) -> list[str]:
    """Key points of a reference: items after bold labels, list items, table rows, else sentences."""
    points: list[str] = []
    in_fence = False
    lines = reference.split("\n")
    for number, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            points.extend(_line_points(line, lines[number + 1] if number + 1 < len(lines) else ""))
    cleaned: list[str] = []
    for p in points:
        p = _clean_point(p)
        if p and p.lower() not in (c.lower() for c in cleaned):
            cleaned.append(p)
    return cleaned


def _line_points(line: str, next_line: str) -> list[str]:
    """The key points one line of a reference (outside code) holds, before cleaning."""
    if not line.strip() or _RULE.match(line) or line.lstrip().startswith("#") or has_experience_marker(line):
        return []
    if m := _TABLE_ROW.match(line):
        if _TABLE_RULE.match(line) or _TABLE_RULE.match(next_line):  # a rule, or the column names: no point
            return []
        cells = [c.strip() for c in m.group(1).split("|") if c.strip()]
        return [": ".join(cells)] if cells else []
    text = m.group(1).strip() if (m := _LIST_ITEM.match(line)) else line.strip()
    lead, labelled = _split_labels(text)
    points = [s for s in _SENTENCE_END.split(lead) if s.strip()]
    return points + [item for _, items in labelled for item in _split_items(items)]


def _split_labels(text: str) -> tuple[str, list[tuple[str, str]]]:
    """A line's text before its first bold label, and each `**Label:** text` on it, in order (a line may hold
    several: `**When:** often. **Why:** cheaper.`)."""
    spans = [m] if (m := _LABEL.match(text)) else []
    spans += _INLINE_LABEL.finditer(text, spans[0].end() if spans else 0)
    if not spans:
        return text, []
    ends = [s.start() for s in spans[1:]] + [len(text)]
    labelled = [(s.group(1).strip().rstrip(":"), text[s.end() : end].strip()) for s, end in zip(spans, ends)]
    return text[: spans[0].start()].strip(), labelled


def has_experience_marker(text: str) -> bool:
    """Whether a text has a line that marks an experience question (`*(Customize with your actual experience)*`)."""
    return any(_EXPERIENCE_MARKER.match(line) for line in text.split("\n"))


@lru_cache(maxsize=1024)  # read for each key point of a reply, each hint and each feedback card
def labelled_lines(reference: str) -> tuple[tuple[str, str], ...]:
    """The reference's `**Label:** text` pairs (list items too; several on one line each its own), in order."""
    found = []
    for line in reference.split("\n"):
        text = item.group(1) if (item := _LIST_ITEM.match(line)) else line.strip()
        found += _split_labels(text)[1]
    return tuple(found)


def label_of(point: str, reference: str) -> str | None:
    """The bold label (`**Label:** ...`) of the reference line that holds a key point, if any."""
    needle = point.lower()[:40]
    return next((label for label, text in labelled_lines(reference) if needle in text.lower()), None)


def _split_items(text: str) -> list[str]:
    """Split `a, b, and c.` into items, but keep parentheses and `code` together."""
    sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
    items: list[str] = []
    for sentence in sentences:
        if not any(ch in sentence for ch in "([`"):  # the common case: a plain list
            items.extend(_PLAIN_SPLIT.split(sentence))
            continue
        depth, start, parts = 0, 0, []
        in_code = False
        for i, ch in enumerate(sentence):
            if ch == "`":
                in_code = not in_code
            elif ch in "([" and not in_code:
                depth += 1
            elif ch in ")]" and not in_code:
                depth = max(0, depth - 1)
            elif depth == 0 and not in_code and (ch in ",;" or sentence.startswith("→", i)):
                parts.append(sentence[start:i])
                start = i + 1
        parts.append(sentence[start:])
        items.extend(parts)
    return items


def _clean_point(point: str) -> str:
    point = point.strip().strip("*_").strip()
    point = re.sub(r"^(?:and|or|but|also|e\.g\.)\s+", "", point, flags=re.IGNORECASE)
    point = point.rstrip(" .;:")
    if not re.search(r"[A-Za-z0-9]", point):
        return ""
    return point[0].upper() + point[1:] if point[0].isalpha() else point


_HEADING_LIKE = re.compile(r"^\s{0,3}#{1,6}\s+\d+\s*[.)]")


def doubts(question: Question) -> list[str]:
    """What looks wrong in a question that parsed: a question heading inside its reference answer (in a code
    block, it is swallowed into this answer instead of starting a question); a key point that kept markdown
    emphasis (graders and feedback would show the markers as typed)."""
    number, found = question.number, []
    if any(_HEADING_LIKE.match(line) for line in question.reference.split("\n")):
        found.append(f"question {number}'s reference answer contains a line that looks like a question heading")
    found += [
        f"question {number}'s key point {point!r} contains markdown emphasis (** __ * _): put each bold "
        "label at the start of a line, or remove the markers"
        for point in question.key_points
        if _EMPHASIS.search(_CODE_SPAN.sub("", point))
    ]
    return found


def bank_files(path: Path) -> list[Path]:
    """The .md files a path names: the file itself, or every .md in a folder (sorted)."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.md") if p.is_file())
        if not files:
            raise BankError(str(path), 0, "folder holds no .md bank files")
        return files
    if not path.exists():
        raise BankError(str(path), 0, "no such file or folder")
    return [path]


def load_bank(path: str | Path) -> Bank:
    path = Path(path)
    return parse_bank(read_bank_text(path), str(path))


def default_bank_files() -> list[Path]:
    """The banks at the top of bank/: the default selection."""
    return sorted(bank_dir().glob("*.md"))


def bundled_bank_files() -> list[Path]:
    """Every bank shipped with the app: the default ones first, then the library's."""
    return [*default_bank_files(), *sorted(LIBRARY.glob("*.md"))]


def load_banks(paths: Iterable[str | Path]) -> list[Bank]:
    """Load every bank a list of files or folders names; question ids must be unique across them."""
    banks = [load_bank(f) for p in paths for f in bank_files(Path(p))]
    seen: dict[str, str] = {}
    for bank in banks:
        for q in bank.questions:
            if q.id in seen:
                raise BankError(bank.path, q.line, f"question id {q.id} already comes from {seen[q.id]}")
            seen[q.id] = bank.path
    return banks


def all_questions(banks: Iterable[Bank]) -> Iterator[Question]:
    for bank in banks:
        yield from bank.questions
