"""The `interviewer` command: argument parsing and printing over the application core (`service.py`).

practice in the terminal (`terminal.py`), banks, batch grading and evaluation (`batch.py`), history, serve.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import UTC
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import bank_report, batch, terminal
from .config import Settings, configure_logging, load_settings
from .errors import BankError, ConfigError, InterviewerError
from .grading.factory import choose_grader
from .owner import ALL_OWNERS, Owner
from .presentation import render_transcript
from .regrade import report_lines as regrade_lines
from .service import Interviewer
from .store import HistoryUnavailable, Store
from .transcript import Transcript
from .unicode import replaced_notice, scrub_json

MAX_QUESTIONS = 500
"""The most questions one session takes (SessionSettings.count)."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    configure_logging(args.verbose)
    try:
        return args.func(args)
    except InterviewerError as exc:
        print(f"error: {_error_message(exc)}", file=sys.stderr)
        return 1
    except ValidationError as exc:  # settings read without load_settings(), which names the variable itself
        if exc.title != Settings.__name__:
            raise
        print(f"error: {_settings_message(exc)}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as Unix tools do
        _silence_stdout()
        return 0
    except OSError as exc:
        print(
            f"error: {exc.filename}: {exc.strerror}" if exc.filename and exc.strerror else f"error: {exc}",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 130


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that flushing it at exit cannot fail on the closed pipe again."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is not a real file (tests): nothing to flush there
        pass


def _error_message(exc: InterviewerError) -> str:
    if isinstance(exc, BankError) and not exc.line:  # about the whole file: no line to point at
        return f"{exc.path}: {exc.message}"
    return str(exc)


def _settings_message(exc: ValidationError) -> str:
    """Names each setting (environment variable or .env entry) whose value is wrong."""
    problems = []
    for e in exc.errors(include_url=False):
        name = ".".join(map(str, e["loc"])) or "settings"
        got = "" if "KEY" in name else f" (got {e['input']!r})"  # never echo a key
        problems.append(f"{name}: {e['msg']}{got}")
    return "invalid setting: " + "; ".join(problems)


def _question_count(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= MAX_QUESTIONS:
        raise argparse.ArgumentTypeError(f"expected a number of questions from 1 to {MAX_QUESTIONS}, got {text!r}")
    return n


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="interviewer", description="Practise technical interviews.")
    p.add_argument(
        "-v", "--verbose", action="count", default=0, help="log more (-v info, -vv debug); or set INTERVIEWER_LOG_LEVEL"
    )
    sub = p.add_subparsers(metavar="COMMAND")

    serve = sub.add_parser("serve", help="start the web app (same as python app.py)")
    serve.set_defaults(func=_serve)

    practice = sub.add_parser("practice", help="a practice session in the terminal")
    practice.add_argument("--bank", action="append", help="bank file or folder (repeatable); default: INTERVIEWER_BANK")
    practice.add_argument(
        "-n", "--count", type=_question_count, default=5, help=f"number of questions, 1-{MAX_QUESTIONS} (default 5)"
    )
    practice.add_argument("--order", choices=["in-order", "shuffle", "weakest", "due"], default="in-order")
    practice.add_argument("--seed", type=int, help="seed for --order shuffle")
    practice.add_argument("--mode", choices=["practice", "mock"], default="practice")
    practice.add_argument("--followups", type=int, choices=[0, 1, 2], help="follow-ups per question (default 1)")
    practice.add_argument("--out", type=Path, default=Path("."), help="folder for the transcript (default .)")
    practice.add_argument(
        "--resume",
        nargs="?",
        const="latest",
        metavar="SESSION_ID",
        help="resume an unfinished session: the terminal's latest one, or the one named by id",
    )
    practice.set_defaults(func=_practice)

    _history_parser(sub)
    _bank_parser(sub)

    grade = sub.add_parser("grade", help="grade a JSONL file of answers")
    grade.add_argument("--input", required=True, type=Path)
    grade.add_argument("--output", type=Path, help="default: standard output")
    grade.add_argument("--grader", choices=["auto", "llm", "offline"])
    grade.set_defaults(func=_grade)

    ev = sub.add_parser("eval", help="agreement of the grader with labelled replies")
    ev.add_argument(
        "--input",
        required=True,
        type=Path,
        action="append",
        help="labelled JSONL file, or a folder of them; repeat to compare sets (e.g. dev and validation)",
    )
    ev.add_argument("--grader", choices=["auto", "llm", "offline"])
    ev.add_argument("--json", action="store_true")
    ev.set_defaults(func=_eval)
    return p


def _history_parser(sub: Any) -> None:
    all_owners = argparse.ArgumentParser(add_help=False)
    all_owners.add_argument(
        "--all-owners", action="store_true", help="every owner's sessions (the browsers' too), not only the terminal's"
    )
    history = sub.add_parser("history", parents=[all_owners], help="saved sessions: list, export, import, delete")
    history.add_argument("--json", action="store_true", help="list as JSON")
    history.set_defaults(func=_history_list)
    history_sub = history.add_subparsers(metavar="ACTION")
    h_export = history_sub.add_parser("export", parents=[all_owners], help="write a saved session's transcript")
    h_export.add_argument("session_id")
    h_export.add_argument("--format", choices=["md", "json", "html"], default="md")
    h_export.add_argument("--output", type=Path, help="default: standard output")
    h_export.set_defaults(func=_history_export)
    h_import = history_sub.add_parser("import", help="add a transcript JSON to the history")
    h_import.add_argument("transcript", type=Path)
    h_import.set_defaults(func=_history_import)
    h_delete = history_sub.add_parser("delete", parents=[all_owners], help="delete one session, or all of them")
    target = h_delete.add_mutually_exclusive_group(required=True)
    target.add_argument("session_id", nargs="?")
    target.add_argument("--all", action="store_true")
    h_delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    h_delete.set_defaults(func=_history_delete)


def _bank_parser(sub: Any) -> None:
    rg = sub.add_parser("regrade", help="grade a saved session again with another grader or model")
    rg.add_argument("source", help="a saved session's id (or a unique prefix of it), or a transcript JSON file")
    rg.add_argument("--grader", choices=["offline", "llm"], required=True)
    rg.add_argument("--model", help="the LLM to grade with (default: INTERVIEWER_MODEL)")
    rg.add_argument("--output", type=Path, help="where to write the new transcript (default: regrade-<id>.json)")
    rg.add_argument("--json", action="store_true", help="the comparison as one JSON object")
    rg.set_defaults(func=_regrade)

    bank = sub.add_parser("bank", help="check or export question banks")
    bank_sub = bank.add_subparsers(metavar="ACTION")
    check = bank_sub.add_parser("check", help="validate banks; exit 1 on any error")
    check.add_argument("paths", nargs="+", type=Path)
    check.add_argument("--json", action="store_true")
    check.set_defaults(func=_bank_check)
    export = bank_sub.add_parser("export", help="every question as JSON or JSONL")
    export.add_argument("paths", nargs="+", type=Path)
    export.add_argument("--format", choices=["json", "jsonl"], default="json")
    export.set_defaults(func=_bank_export)


def _core(settings: Settings | None = None, history_required: bool = True) -> Interviewer:
    """The application core for the terminal's own history (a practice session goes on without one)."""
    settings = settings or load_settings()
    try:
        store: Store | None = Store.open(settings)
    except HistoryUnavailable as exc:
        if history_required:
            raise
        print(f"! History is off: {exc}. The transcript is still written at the end.", file=sys.stderr)
        store = None
    return Interviewer(store, settings, Owner.terminal())


# -- serve ----------------------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    load_settings()  # names a wrong setting before gradio's import reads GRADIO_SERVER_PORT and fails on it
    from .web.app import launch  # gradio is imported only to serve

    launch()
    return 0


# -- practice -------------------------------------------------------------------------------------


def _practice(args: argparse.Namespace) -> int:
    settings = load_settings()
    _check_writable(args.out)  # now, not after the whole session
    core = _core(settings, history_required=args.resume is not None)  # resuming needs the history
    choice = core.default_grader()
    if args.resume:
        wanted = None if args.resume == "latest" else args.resume
        session = core.resume(wanted, choice, any_owner=wanted is not None)  # an id may name a browser's session
    else:
        paths = args.bank or [str(p) for p in settings.bank_paths]
        session_settings = core.session_settings(
            count=args.count,
            order=args.order,
            seed=args.seed,
            mode=args.mode,
            followups=args.followups,
            banks=[str(p) for p in paths],
        )
        session = core.start(core.load_questions(paths), session_settings, choice)
    reconfigure = getattr(sys.stdin, "reconfigure", None)
    if reconfigure is not None:  # bytes that are not UTF-8 reach the answer as lone surrogates, then U+FFFD
        reconfigure(errors="surrogateescape")
    return terminal.practice(core, session, choice, sys.stdin, sys.stdout, args.out, resumed=bool(args.resume))


def _check_writable(folder: Path) -> None:
    """That the transcript can be written into `folder` (created at the end if missing): checked before the
    session, creating nothing."""
    existing = folder.absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise InterviewerError(f"--out {folder}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InterviewerError(f"--out {folder}: {existing} is not writable")


# -- bank -----------------------------------------------------------------------------------------


def _bank_check(args: argparse.Namespace) -> int:
    return bank_report.check(args.paths, args.json)


def _bank_export(args: argparse.Namespace) -> int:
    return bank_report.export(args.paths, args.format)


# -- grade / eval ---------------------------------------------------------------------------------


def _grading_settings(args: argparse.Namespace) -> Settings:
    return load_settings(grader=args.grader) if args.grader else load_settings()


def _grade(args: argparse.Namespace) -> int:
    return batch.grade_file(choose_grader(_grading_settings(args)), args.input, args.output)


def _eval(args: argparse.Namespace) -> int:
    return batch.eval_files(choose_grader(_grading_settings(args)), args.input, args.json)


# -- history --------------------------------------------------------------------------------------


def _scope(args: argparse.Namespace) -> Any:
    return ALL_OWNERS if getattr(args, "all_owners", False) else None


def _history_list(args: argparse.Namespace) -> int:
    rows = _core().sessions(_scope(args))
    if args.json:
        print(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("No saved sessions yet.")
        return 0
    print(f"{'id':<10} {'started (UTC)':<17} {'status':<17} {'answered':>8} {'score':>6}  bank")
    for r in rows:
        status = f"regrade:{r.regrade_of[:8]}" if r.regrade_of else "finished" if r.finished_at else "unfinished"
        score = "-" if r.overall is None else f"{r.overall:.0f}"
        banks = ", ".join(Path(b).name for b in r.banks)
        started = f"{r.started_at.astimezone(UTC) if r.started_at.tzinfo else r.started_at:%Y-%m-%d %H:%M}"
        print(f"{r.id[:8]:<10} {started:<17} {status:<17} {r.answered:>4}/{r.total:<3} {score:>6}  {banks}")
    return 0


def _history_export(args: argparse.Namespace) -> int:
    tr = _core().saved_transcript(args.session_id, _scope(args))
    text = render_transcript(tr, args.format)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"Wrote {args.output}", file=sys.stderr)
    else:
        print(text)
    return 0


def _read_transcript(path: Path) -> Transcript:
    try:
        data, replaced = scrub_json(json.loads(path.read_text(encoding="utf-8")))
        tr = Transcript.model_validate(data)
        if replaced:
            print(f"warning: {replaced_notice(replaced)}", file=sys.stderr)
    except (OSError, ValueError) as exc:
        raise InterviewerError(f"{path}: not a transcript JSON ({batch.short_error(exc)})") from exc
    return tr


def _history_import(args: argparse.Namespace) -> int:
    tr = _read_transcript(args.transcript)
    _core().import_transcript(tr)
    print(f"Imported session {tr.session_id} ({len(tr.turns)} questions).")
    return 0


def _history_delete(args: argparse.Namespace) -> int:
    core, scope = _core(), _scope(args)
    whose = "of every owner" if scope else "of the terminal"
    if args.all:
        what = f"ALL saved sessions and review history {whose}"
    else:
        what = f"session {core.resolve(args.session_id, scope)}"  # the full id, without loading the session
    if not args.yes:
        if not sys.stdin.isatty():
            raise InterviewerError("refusing to delete without confirmation: run in a terminal or pass --yes")
        if input(f"Delete {what}? This cannot be undone. [y/N] ").strip().lower() not in ("y", "yes"):
            print("Nothing deleted.")
            return 1
    if args.all:
        n = core.delete_all(scope)
        print(f"Deleted {n} session(s) and the review history.")
    else:
        core.delete(args.session_id, scope)
        print(f"Deleted {what}.")
    return 0


# -- regrade --------------------------------------------------------------------------------------


def _regrade(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(grader=args.grader, **({"model": args.model} if args.model else {}))
        choice = choose_grader(settings)
    except ConfigError as exc:  # e.g. --grader llm with no LLM configured: nothing is written
        print(f"error: --grader {args.grader}: {exc}", file=sys.stderr)
        return 2
    from_file = Path(args.source).is_file()
    core = _core(settings, history_required=not from_file)
    original = _read_transcript(Path(args.source)) if from_file else core.saved_transcript(args.source)
    new, report = asyncio.run(core.regrade(original, choice))
    output = args.output or Path(f"regrade-{new.session_id[:8]}-of-{original.session_id[:8]}.json")
    output.write_text(new.to_json(), encoding="utf-8")
    if args.json:
        print(json.dumps({**report.model_dump(mode="json"), "output": str(output)}, ensure_ascii=False, indent=2))
    else:
        print("\n".join(regrade_lines(report)))
        saved = f" and saved in the history as {new.session_id[:8]}" if core.store is not None else ""
        print(f"New transcript written to {output}{saved}; the original is unchanged.")
    return 0
