"""Banks from other formats: CSV (columns question and answer, optionally kind; comma or semicolon separated)
and JSON / JSONL (objects with the same fields, or `reference` for `answer`, which is what `bank export`
writes, so an export round-trips). UTF-8 with or without a BOM. Every error names its row.

And the lists `bank fill` completes: a bank whose questions may lack answers, or one question per line.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from .bank import MAX_BANK_BYTES, has_experience_marker, parse_bank
from .drafting import EXPERIENCE_MARKER, render_bank, safe_body
from .errors import BankError


class ImportRow(BaseModel):
    question: str = Field(min_length=1)
    answer: str = Field(min_length=1)
    kind: Literal["technical", "experience"] = "technical"


def read_rows(path: Path) -> list[ImportRow]:
    text = _read_text(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_rows(text, str(path))
    if suffix == ".jsonl":
        items = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    items.append((number, json.loads(line)))
                except json.JSONDecodeError as exc:
                    raise BankError(str(path), number, f"row {number}: not JSON ({exc.msg})") from exc
        return [_row(obj, str(path), number) for number, obj in items]
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BankError(str(path), exc.lineno, f"not JSON ({exc.msg})") from exc
        data = data.get("questions", data) if isinstance(data, dict) else data
        if not isinstance(data, list):
            raise BankError(str(path), 0, "expected a list of objects with question and answer")
        return [_row(obj, str(path), number, "item") for number, obj in enumerate(data, start=1)]
    raise BankError(str(path), 0, "import reads .csv, .json or .jsonl files")


def import_markdown(rows: list[ImportRow], title: str, path: str) -> str:
    """The rows as bank Markdown in the seed's format, parsed before it is returned (a BankError otherwise)."""
    pairs = [(row.question, _answer(row)) for row in rows]
    text = render_bank(title, None, pairs)
    parse_bank(text, path)
    return text


def _answer(row: ImportRow) -> str:
    """The row's answer block: the experience marker added to an experience answer that lacks one."""
    marker = [EXPERIENCE_MARKER] if row.kind == "experience" and not has_experience_marker(row.answer) else []
    return "\n".join(["**Answer:**", *marker, safe_body(row.answer)])


def _read_text(path: Path) -> str:
    if path.stat().st_size > MAX_BANK_BYTES:
        raise BankError(str(path), 0, f"larger than {MAX_BANK_BYTES // 1024 // 1024} MB")
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BankError(str(path), 0, "not UTF-8 text") from exc


def _csv_rows(text: str, path: str) -> list[ImportRow]:
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    names = {(n or "").strip().lower() for n in reader.fieldnames or []}
    if "question" not in names or not names & {"answer", "reference"}:
        raise BankError(path, 1, f"the header needs columns question and answer, got {sorted(names)}")
    rows = []
    for number, record in enumerate(reader, start=2):  # row 1 is the header
        clean = {(k or "").strip().lower(): (v or "").strip() for k, v in record.items() if k is not None}
        rows.append(_row(clean, path, number))
    return rows


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
