"""`interviewer bank check` and `bank export`: banks validated (errors with file and line, warnings for what
parses but looks wrong) and exported as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import bank as bank_mod
from .errors import BankError
from .presentation import plural


def check(paths: list[Path], as_json: bool) -> int:
    """`interviewer bank check`: every bank file of the paths validated; exit status 1 if any has an error."""
    reports: list[dict[str, Any]] = []
    first_seen: dict[str, str] = {}  # question id -> the file it came from: ids must be unique across banks

    def report(path: str, bank: bank_mod.Bank | None = None, error: BankError | None = None) -> None:
        errors = [{"line": error.line, "message": error.message}] if error else []
        warnings = [
            {"line": q.line, "message": w} for q in (bank.questions if bank else []) for w in bank_mod.doubts(q)
        ]
        for q in bank.questions if bank else []:
            if q.id in first_seen:
                errors.append({"line": q.line, "message": f"question id {q.id} already comes from {first_seen[q.id]}"})
            first_seen.setdefault(q.id, path)
        reports.append(
            {
                "path": path,
                "title": bank.title if bank else None,
                "questions": len(bank.questions) if bank else 0,
                "experience": bank.experience_count if bank else 0,
                "draft": bank.draft if bank else False,
                "errors": errors,
                "warnings": warnings,
            }
        )

    for path in paths:
        try:
            files = bank_mod.bank_files(path)
        except BankError as exc:
            report(exc.path, error=exc)
            continue
        for file in files:
            try:
                report(str(file), bank_mod.load_bank(file))
            except BankError as exc:
                report(str(file), error=exc)
    if as_json:
        print(json.dumps(reports, ensure_ascii=False, indent=2))
    else:
        for r in reports:
            for w in r["warnings"]:
                print(f"{r['path']}:{w['line']}: warning: {w['message']}")
            if r["errors"]:
                for e in r["errors"]:
                    where = f"{r['path']}:{e['line']}" if e["line"] else r["path"]  # line 0: the whole file
                    print(f"{where}: error: {e['message']}")
            else:
                draft = ", draft: not yet reviewed" if r["draft"] else ""
                print(
                    f"{r['path']}: ok: {r['title']!r}, {plural(r['questions'], 'question')} "
                    f"({r['experience']} experience{draft})"
                )
        total = sum(r["questions"] for r in reports)
        failed = sum(bool(r["errors"]) for r in reports)
        print(f"{plural(total, 'question')} in {plural(len(reports), 'file')}; {failed} with errors")
    return 1 if any(r["errors"] for r in reports) else 0


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
