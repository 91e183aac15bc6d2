"""Banks from other formats: CSV (columns question and answer, optionally kind; comma or semicolon separated)
and JSON / JSONL (objects with the same fields, or `reference` for `answer`, which is what `bank export`
writes, so an export round-trips). UTF-8 with or without a BOM. Every error names its row.

CSV and JSONL are read a line at a time and JSON whole (it is one document), within limits that keep a hostile
file from exhausting the stack or the memory: a line (and a CSV row), a field, JSON nesting, the number of JSON
objects and lists, and integers Python will convert. Only the Markdown is kept as the rows go by, and it is
parsed a batch of questions at a time.

And the lists `bank fill` completes: a bank whose questions may lack answers, or one question per line.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from .bank import MAX_BANK_BYTES, has_experience_marker, parse_bank
from .drafting import EXPERIENCE_MARKER, render_bank, safe_body
from .errors import BankError

MAX_FIELD_CHARS = 128 * 1024
"""The most characters a question or an answer holds: 131,072, which is also the csv module's limit for any field
of a CSV row."""
MAX_LINE_BYTES = 1024 * 1024
"""The most bytes one line of a CSV or JSONL file holds, and one CSV row (its quoted fields may run over several
lines): room for every field at its limit, and a bound on how many fields one row can bring."""
MAX_JSON_DEPTH = 32
"""How deep JSON may nest (an import needs 3: `{"questions": [{...}]}`); at about 1,000 the json module fails
with a RecursionError."""
MAX_JSON_CONTAINERS = 1_000_000
"""The most JSON objects and lists one file (or line) may hold: a 20 MB file of `[{},{},...]` would take half
a gigabyte as Python objects."""
CHECK_BATCH = 256
"""Rendered questions parsed together when an import is checked (one parse per question costs twice as much)."""


class ImportRow(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_FIELD_CHARS)
    answer: str = Field(min_length=1, max_length=MAX_FIELD_CHARS)
    kind: Literal["technical", "experience"] = "technical"


@dataclass(frozen=True)
class SourceRow:
    """A row read from the file, and how its errors name it."""

    row: ImportRow
    line: int
    """The number a BankError gives after the file's name (a CSV row's or a JSON item's number, a JSONL line)."""
    label: str
    """`row 3`, `item 2`: what its errors start with."""


@dataclass(frozen=True)
class Imported:
    markdown: str
    count: int
    """How many questions it holds."""


def read_rows(path: Path) -> Iterator[SourceRow]:
    """The file's rows, one at a time (CSV and JSONL are read as they are taken; a BankError names the row at
    fault when it is reached)."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json", ".jsonl"):
        raise BankError(str(path), 0, "import reads .csv, .json or .jsonl files")
    _check_size(path)
    if suffix == ".csv":
        return _csv_rows(path)
    return _jsonl_rows(path) if suffix == ".jsonl" else _json_rows(path)


def import_markdown(rows: Iterable[SourceRow], title: str, source: str) -> Imported:
    """The rows as bank Markdown in the seed's format. Each question is parsed with the bank parser as it comes
    (a BankError naming its row in `source` otherwise), and the bank may not outgrow what a bank file may be."""
    pairs: list[tuple[str, str]] = []
    pending: list[tuple[SourceRow, tuple[str, str]]] = []
    size = 0
    for item in rows:
        pair = (item.row.question, _answer(item.row))
        size += len(pair[0].encode()) + len(pair[1].encode()) + 9 + len(str(len(pairs) + 1))  # "## n. " and \n
        if size > MAX_BANK_BYTES:
            raise BankError(source, item.line, f"{item.label}: the bank would be larger than {_mb(MAX_BANK_BYTES)}")
        pairs.append(pair)
        pending.append((item, pair))
        if len(pending) > CHECK_BATCH:  # the newest is held back: the last question is checked as the last
            _check(title, pending[:-1], len(pairs) - len(pending) + 1, source, last=False)
            del pending[:-1]
    if pending:
        _check(title, pending, len(pairs) - len(pending) + 1, source, last=True)
    return Imported(render_bank(title, None, pairs) if pairs else "", len(pairs))


_AFTER = "\n## 0. -\n\n**Answer:**\n-\n"
"""A question after those checked, unless the bank's last is among them: the parser reads a last question's
closing `---` and italic lines as the bank's note, any other question's as its answer."""


def _check(title: str, batch: list[tuple[SourceRow, tuple[str, str]]], first: int, source: str, last: bool) -> None:
    """Parse a batch of rendered questions (`first`: the number of its first in the bank) as part of a bank; when
    that fails, parse them one by one to name the row at fault."""
    try:
        parse_bank(render_bank(title, None, [pair for _, pair in batch]) + ("" if last else _AFTER), source)
        return
    except BankError:
        pass
    for number, (item, pair) in enumerate(batch, start=first):
        alone = render_bank(title, None, [pair]).replace("\n## 1. ", f"\n## {number}. ", 1)
        try:
            parse_bank(alone + ("" if last and number == first + len(batch) - 1 else _AFTER), source)
        except BankError as exc:
            raise BankError(source, item.line, f"{item.label}: {exc.message}") from exc
    head = batch[0][0]  # not expected: every question parses alone but not together
    raise BankError(source, head.line, f"{head.label} and the {len(batch) - 1} rows after it do not parse together")


def _answer(row: ImportRow) -> str:
    """The row's answer block: the experience marker added to an experience answer that lacks one."""
    marker = [EXPERIENCE_MARKER] if row.kind == "experience" and not has_experience_marker(row.answer) else []
    return "\n".join(["**Answer:**", *marker, safe_body(row.answer)])


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:g} MB"


def _check_size(path: Path) -> None:
    if path.stat().st_size > MAX_BANK_BYTES:
        raise BankError(str(path), 0, f"larger than {_mb(MAX_BANK_BYTES)}")


def _read_text(path: Path) -> str:
    _check_size(path)
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BankError(str(path), 0, "not UTF-8 text") from exc


def _lines(path: Path, word: str) -> Iterator[tuple[int, str]]:
    """The file's lines with their numbers, decoded one at a time; a line longer than MAX_LINE_BYTES or not
    UTF-8 is a BankError naming it (`word`: what the error calls a line, `row` for JSONL)."""
    with path.open("rb") as f:
        for number in itertools.count(1):
            raw = f.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            if len(raw) > MAX_LINE_BYTES:
                raise BankError(str(path), number, f"{word} {number}: longer than {_mb(MAX_LINE_BYTES)} (the limit)")
            try:
                yield number, raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise BankError(str(path), number, f"{word} {number}: not UTF-8 text") from exc


def _jsonl_rows(path: Path) -> Iterator[SourceRow]:
    for number, line in _lines(path, "row"):
        if line.strip():
            obj = _decode_json(line.rstrip("\r\n"), str(path), number, f"row {number}")
            yield SourceRow(_row(obj, str(path), number), number, f"row {number}")


def _json_rows(path: Path) -> Iterator[SourceRow]:
    data = _decode_json(_read_text(path), str(path), 1, "")
    data = data.get("questions", data) if isinstance(data, dict) else data
    if not isinstance(data, list):
        raise BankError(str(path), 0, "expected a list of objects with question and answer")
    for number, obj in enumerate(data, start=1):
        yield SourceRow(_row(obj, str(path), number, "item"), number, f"item {number}")


def _csv_rows(path: Path) -> Iterator[SourceRow]:
    reading, header = 1, False  # the last row read (row 1 is the header)
    fed = [0]  # bytes of the row being read (a quoted field may run over several lines)

    def texts() -> Iterator[str]:
        for number, text in _lines(path, "line"):
            fed[0] += len(text.encode())
            if fed[0] > MAX_LINE_BYTES:
                row = reading + 1 if header else 1
                raise BankError(str(path), row, f"row {row}: longer than {_mb(MAX_LINE_BYTES)} (at line {number})")
            yield text

    lines = texts()
    first = next(lines, "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(itertools.chain([first], lines), delimiter=delimiter)
    try:
        names = {(n or "").strip().lower() for n in reader.fieldnames or []}
        header, fed[0] = True, 0
        if "question" not in names or not names & {"answer", "reference"}:
            raise BankError(str(path), 1, f"the header needs columns question and answer, got {sorted(names)}")
        for reading, record in enumerate(reader, start=2):
            fed[0] = 0
            clean = {(k or "").strip().lower(): (v or "").strip() for k, v in record.items() if k is not None}
            yield SourceRow(_row(clean, str(path), reading), reading, f"row {reading}")
    except csv.Error as exc:  # raised while reading the row after the last one read
        row = reading + 1 if header else 1
        said = f"a field is longer than {MAX_FIELD_CHARS:,} characters" if "field limit" in str(exc) else None
        raise BankError(str(path), row, f"row {row}: {said or f'not CSV ({exc})'}") from exc


def _row(obj: Any, path: str, number: int, word: str = "row") -> ImportRow:
    if not isinstance(obj, dict):
        raise BankError(path, number, f"{word} {number}: expected an object with question and answer")
    values = {k: obj.get(k) for k in ("question", "kind")} | {"answer": obj.get("answer") or obj.get("reference")}
    values = {k: v.strip() if isinstance(v, str) else v for k, v in values.items() if v not in (None, "")}
    try:
        return ImportRow.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'row'}: {e['msg']}" for e in exc.errors())
        raise BankError(path, number, f"{word} {number}: {problems}") from exc


# -- JSON within limits -----------------------------------------------------------------------------------

_JSON_TOKEN = re.compile(
    r'"[^"\\]*+(?:\\.?[^"\\]*+)*+(?:"|\Z)|[\[\]{}]|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?', re.DOTALL | re.ASCII
)
"""What matters to the limits in JSON text: strings (skipped whole), brackets and numbers. A string always matches,
up to its closing quote or the end of the text, without backtracking: a scan stays linear in any text."""


def _decode_json(text: str, path: str, line: int, label: str) -> Any:
    """`text` (starting at `line` of the file) decoded, or a BankError naming the line and what is wrong: not
    JSON, nested too deep, too many objects and lists, an integer too long for Python to read."""
    prefix = f"{label}: " if label else ""
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH:  # else neither too deep nor too many
        _refuse_beyond_limits(text, path, line, prefix)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BankError(path, line + exc.lineno - 1, f"{prefix}not JSON ({exc.msg})") from exc
    except ValueError as exc:  # an integer of more digits than int() converts (sys.get_int_max_str_digits)
        _refuse_beyond_limits(text, path, line, prefix)
        raise BankError(path, line, f"{prefix}not JSON ({exc})") from exc


def _refuse_beyond_limits(text: str, path: str, line: int, prefix: str) -> None:
    """A BankError for the first place where `text` is beyond the limits; nothing when it is within them. Where
    the text is not JSON the scan may go astray, but only after that place, which json.loads then reports."""
    depth = containers = 0
    max_digits = sys.get_int_max_str_digits()
    for m in _JSON_TOKEN.finditer(text):
        token, problem = m.group(), ""
        if token[0] in "[{":
            depth, containers = depth + 1, containers + 1
            if depth > MAX_JSON_DEPTH:
                problem = f"nested deeper than {MAX_JSON_DEPTH} levels"
            elif containers > MAX_JSON_CONTAINERS:
                problem = f"more than {MAX_JSON_CONTAINERS:,} objects and lists"
        elif token[0] in "]}":
            depth -= 1
        elif token[0] != '"' and max_digits and len(token) > max_digits and not set(token) & set(".eE"):
            if (digits := len(token.lstrip("-"))) > max_digits:
                problem = f"a number of {digits:,} digits (the limit is {max_digits:,})"
        if problem:
            at = line + text.count("\n", 0, m.start())
            raise BankError(path, at, f"{prefix}{problem}")


# -- what `bank fill` completes -------------------------------------------------------------------------


class ToFill(BaseModel):
    question: str
    answer: str | None = None
    """The existing `**Answer:**` block, verbatim (never changed), or None when there is none."""


_HEADING = re.compile(r"^##\s+\d+\s*[.)]\s*(.*?)\s*#*\s*$")


def read_to_fill(path: Path) -> tuple[str, list[ToFill]]:
    """The title and the questions of a bank that may lack answers, or of a file of one question per line."""
    text = _read_text(path)
    lines = text.replace("\r\n", "\n").split("\n")
    title = next((m.group(1) for line in lines if (m := re.match(r"^#\s+(.+?)\s*$", line))), path.stem)
    if not any(_HEADING.match(line) for line in lines):
        plain = [re.sub(r"^\s*(?:[-*]|\d+[.)])\s+", "", line).strip() for line in lines]
        return title, [ToFill(question=q) for q in plain if q and not q.startswith("#")]
    items: list[ToFill] = []
    body: list[str] = []
    for line in [*lines, "## 0. end"]:
        if m := _HEADING.match(line):
            if items:
                items[-1] = _with_answer(items[-1], body)
            items.append(ToFill(question=m.group(1)))
            body = []
        elif items:
            body.append(line)
    return title, items[:-1]


def _with_answer(item: ToFill, body: list[str]) -> ToFill:
    at = next((i for i, line in enumerate(body) if re.match(r"^\s*(\*\*|__)Answer", line, re.IGNORECASE)), None)
    if at is None:
        return item
    block = "\n".join(body[at:]).strip()
    content = re.sub(r"^\s*(\*\*|__)Answer:?(\*\*|__):?", "", block, flags=re.IGNORECASE).strip()
    return item.model_copy(update={"answer": block}) if content else item
