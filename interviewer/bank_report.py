"""`interviewer bank check` and `bank export`: banks validated (errors with file and line, warnings for what
parses but looks wrong) and exported as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from . import bank as bank_mod
from .errors import BankError
from .presentation import plural
from .unicode import for_terminal


class Problem(BaseModel):
    line: int
    """0: the whole file."""
    message: str


class FileReport(BaseModel):
    """One bank file checked (the `bank check --json` contract)."""

    path: str
    title: str | None = None
    questions: int = 0
    experience: int = 0
    draft: bool = False
    errors: list[Problem] = []
    warnings: list[Problem] = []


def check(paths: list[Path], as_json: bool) -> int:
    """`interviewer bank check`: every bank file of the paths validated; exit status 1 if any has an error."""
    reports = check_files(paths)
    if as_json:
        print(json.dumps([r.model_dump() for r in reports], ensure_ascii=False, indent=2))
    else:
        for line in report_lines(reports):
            print(for_terminal(line))  # a file name or text with escape sequences stays text
    return 1 if any(r.errors for r in reports) else 0


def check_files(paths: list[Path]) -> list[FileReport]:
    """A report for each bank file of the paths, in order; question ids must be unique across them all."""
    reports: list[FileReport] = []
    first_seen: dict[str, str] = {}  # question id -> the file it came from
    for path in paths:
        try:
            files = bank_mod.bank_files(path)
        except BankError as exc:
            reports.append(_failed(exc.path, exc))
            continue
        for file in files:
            try:
                reports.append(_loaded(str(file), bank_mod.load_bank(file), first_seen))
            except BankError as exc:
                reports.append(_failed(str(file), exc))
    return reports


def _failed(path: str, error: BankError) -> FileReport:
    return FileReport(path=path, errors=[Problem(line=error.line, message=error.message)])


def _loaded(path: str, bank: bank_mod.Bank, first_seen: dict[str, str]) -> FileReport:
    errors = []
    for q in bank.questions:
        if q.id in first_seen:
            errors.append(Problem(line=q.line, message=f"question id {q.id} already comes from {first_seen[q.id]}"))
        first_seen.setdefault(q.id, path)
    warnings = [Problem(line=q.line, message=w) for q in bank.questions for w in bank_mod.doubts(q)]
    return FileReport(path=path, title=bank.title, questions=len(bank.questions), experience=bank.experience_count,
                      draft=bank.draft, errors=errors, warnings=warnings)  # fmt: skip


def report_lines(reports: list[FileReport]) -> list[str]:
    """The reports as the terminal shows them: warnings, errors or an ok line per file, then the totals."""
    lines = []
    for r in reports:
        lines += [f"{r.path}:{w.line}: warning: {w.message}" for w in r.warnings]
        lines += [f"{f'{r.path}:{e.line}' if e.line else r.path}: error: {e.message}" for e in r.errors]
        if not r.errors:
            draft = ", draft: not yet reviewed" if r.draft else ""
            questions = plural(r.questions, "question")
            lines.append(f"{r.path}: ok: {r.title!r}, {questions} ({r.experience} experience{draft})")
    failed = sum(bool(r.errors) for r in reports)
    total = sum(r.questions for r in reports)
    return [*lines, f"{plural(total, 'question')} in {plural(len(reports), 'file')}; {failed} with errors"]


def export(paths: list[Path], fmt: str) -> int:
    """`interviewer bank export`: every question as JSON or JSONL."""
    banks = bank_mod.load_banks(paths)
    rows = [
        {
            "id": q.id,
            "number": q.number,
            "question": q.text,
            "reference": q.reference,
            "kind": q.kind,
            "level": q.level,
            "topics": list(q.topics),
            "key_points": q.key_points,
            "source": q.source,
            "line": q.line,
        }
        for q in bank_mod.all_questions(banks)
    ]
    if fmt == "jsonl":
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
    else:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    return 0


class Shelf(BaseModel):
    """One bank shipped with the app, as `bank list` and the README's library table show it."""

    path: Path
    title: str
    questions: int
    experience: int
    levels: dict[bank_mod.Level, int]
    topics: int
    default: bool

    @property
    def level_words(self) -> str:
        """`junior 3, mid 5, senior 4`, or `-` for a bank without metadata."""
        return bank_mod.level_words(self.levels) or "-"


def shelves() -> list[Shelf]:
    """The banks shipped with the app: the default selection first, then the library."""
    defaults = set(bank_mod.default_bank_files())
    found = []
    for path in bank_mod.bundled_bank_files():
        b = bank_mod.load_bank(path)
        found.append(Shelf(path=path, title=b.title, questions=len(b.questions), experience=b.experience_count,
                           levels=bank_mod.level_counts(b.questions), topics=len(bank_mod.topic_counts(b.questions)),
                           default=path in defaults))  # fmt: skip
    return found


def list_bundled(as_json: bool) -> int:
    """`interviewer bank list`: the banks shipped with the app, with what each holds and where it is."""
    found = shelves()
    if as_json:
        print(json.dumps([s.model_dump(mode="json") for s in found], ensure_ascii=False, indent=2))
        return 0
    for s in found:
        mark = "default" if s.default else s.level_words
        print(f"{s.title} · {plural(s.questions, 'question')} ({s.experience} experience) · {mark}")
        print(f"    {s.path}")
    folder = bank_mod.LIBRARY
    print(f"Practise one with --bank PATH, the whole library with --bank {folder}, or pick questions from every")
    print("bank with --level and --topic (e.g. interviewer practice --level senior --topic rag).")
    return 0
