"""The `interviewer` command: argument parsing and printing over the application core (`service.py`).

practice in the terminal (`terminal.py`), banks, batch grading and evaluation (`batch.py`), history, serve.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import bank as bank_mod
from . import bank_report, batch, cli_bank, terminal
from .cli_history import history_commands, terminal_core, terminal_core_or_without_history
from .config import Settings, configure_logging, load_settings
from .conversation import draft_warning
from .errors import BankError, InterviewerError
from .grading.factory import choose_grader
from .owner import ALL_OWNERS
from .service import resume_saved
from .session import MOST_QUESTIONS
from .users import Users, name_problem


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
    if not 1 <= n <= MOST_QUESTIONS:
        raise argparse.ArgumentTypeError(f"expected a number of questions from 1 to {MOST_QUESTIONS}, got {text!r}")
    return n


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="interviewer", description="Practise technical interviews.")
    p.add_argument(
        "-v", "--verbose", action="count", default=0, help="log more (-v info, -vv debug); or set INTERVIEWER_LOG_LEVEL"
    )
    sub = p.add_subparsers(metavar="COMMAND")

    serve = sub.add_parser("serve", help="start the web app (same as python app.py)")
    serve.set_defaults(func=_serve)
    _practice_parser(sub)
    history_commands(sub)

    db = sub.add_parser("db", help="the history's database (INTERVIEWER_DATABASE_URL): bring its schema up to date")
    db_sub = db.add_subparsers(metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply the schema migrations (the app also does it when it starts)").set_defaults(
        func=_db_upgrade
    )

    users = sub.add_parser("users", help="people who log in to the web app (INTERVIEWER_USERS)")
    users_sub = users.add_subparsers(metavar="ACTION")
    add = users_sub.add_parser("add", help="add a person, or set their password (read from the terminal or stdin)")
    add.add_argument("name")
    add.set_defaults(func=_users_add)
    _bank_parser(sub)
    _batch_parsers(sub)
    return p


def _practice_parser(sub: Any) -> None:
    practice = sub.add_parser("practice", help="a practice session in the terminal")
    practice.add_argument("--bank", action="append",
                          help="bank file or folder (repeatable); default: INTERVIEWER_BANK, else the default bank, "
                          "or with --level/--topic every shipped bank")  # fmt: skip
    practice.add_argument(
        "-n", "--count", type=_question_count, default=5, help=f"number of questions, 1-{MOST_QUESTIONS} (default 5)"
    )
    practice.add_argument("--order", choices=["in-order", "shuffle", "weakest", "due"], default="in-order")
    practice.add_argument("--seed", type=int, help="seed for --order shuffle")
    practice.add_argument("--mode", choices=["practice", "mock"], default="practice")
    practice.add_argument("--level", action="append", choices=list(bank_mod.LEVELS), default=[],
                          help="only questions of this level (repeatable; from the banks' metadata)")  # fmt: skip
    practice.add_argument("--topic", action="append", default=[], type=str.lower,
                          help="only questions with this topic tag, e.g. rag (repeatable)")  # fmt: skip
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


def _batch_parsers(sub: Any) -> None:
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
    ev.add_argument(
        "--both-readings",
        action="store_true",
        help="the offline grader by meaning (the embedding model) and by words, side by side",
    )
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--bank", type=Path, action="append", default=[],
                    help="the banks the replies answer (repeatable): the offline grader knows them as a session "
                    "in them does (default: only the questions of the labelled lines)")  # fmt: skip
    ev.set_defaults(func=_eval)


def _bank_parser(sub: Any) -> None:
    bank = sub.add_parser("bank", help="check, export, draft, fill or import question banks")
    bank_sub = bank.add_subparsers(metavar="ACTION")
    check = bank_sub.add_parser("check", help="validate banks; exit 1 on any error")
    check.add_argument("paths", nargs="+", type=Path)
    check.add_argument("--json", action="store_true")
    check.set_defaults(func=_bank_check)
    export = bank_sub.add_parser("export", help="every question as JSON or JSONL")
    export.add_argument("paths", nargs="+", type=Path)
    export.add_argument("--format", choices=["json", "jsonl"], default="json")
    export.set_defaults(func=_bank_export)
    listing = bank_sub.add_parser("list", help="the banks shipped with the app: the default and the library")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_bank_list)
    cli_bank.add_commands(bank_sub)


# -- serve ----------------------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    load_settings()  # names a wrong setting before gradio's import reads GRADIO_SERVER_PORT and fails on it
    from .web.app import launch  # gradio is imported only to serve

    launch()  # blocks; prints the address (and not Gradio's hint to set share=True)
    return 0


# -- db -------------------------------------------------------------------------------------------


def _db_upgrade(args: argparse.Namespace) -> int:
    from .migrations import head
    from .store import Store

    store = Store.open(load_settings().storage)
    before = store.upgraded_from
    change = "already up to date" if before == head() else f"upgraded from {before or 'an empty database'}"
    print(f"{store.where}: schema revision {store.revision} ({change})")
    return 0


# -- practice -------------------------------------------------------------------------------------


def _practice(args: argparse.Namespace) -> int:
    settings = load_settings()
    _check_writable(args.out)  # now, not after the whole session
    # Resuming needs the history; a new session goes on without one.
    core = terminal_core(settings) if args.resume is not None else terminal_core_or_without_history(settings)
    choice = core.app.default_grader()
    if args.resume:
        wanted = None if args.resume == "latest" else args.resume
        if wanted is None:
            session = core.resume(None, choice)
        else:  # an id may name a browser's session
            session = resume_saved(core.app, core.resolve(wanted, ALL_OWNERS), choice)
    else:
        paths = args.bank or [str(p) for p in _practice_banks(settings, args.level, args.topic)]
        banks = bank_mod.load_banks(paths)
        for b in banks:
            if b.draft:
                print(f"! {draft_warning(b.path)}", file=sys.stderr)
        session_settings = core.app.session_settings(
            count=args.count,
            order=args.order,
            seed=args.seed,
            mode=args.mode,
            followups=args.followups,
            banks=[b.label(b.path) for b in banks],
        )
        questions = chosen(list(bank_mod.all_questions(banks)), args.level, args.topic)
        session = core.start(questions, session_settings, choice)
    reconfigure = getattr(sys.stdin, "reconfigure", None)
    if reconfigure is not None:  # bytes that are not UTF-8 reach the answer as lone surrogates, then U+FFFD
        reconfigure(errors="surrogateescape")
    if args.resume:
        terminal.say_resuming(session, sys.stdout)
    return terminal.practice(session, choice, sys.stdin, sys.stdout, args.out)


def _practice_banks(settings: Settings, levels: list[str], topics: list[str]) -> list[Path]:
    """The banks of a session without --bank: INTERVIEWER_BANK's; else, to pick by level or topic, every
    shipped bank (the default one has no metadata); else the default bank."""
    if settings.bank or not (levels or topics):
        return settings.bank_paths
    return bank_mod.bundled_bank_files()


def chosen(questions: list[bank_mod.Question], levels: list[str], topics: list[str]) -> list[bank_mod.Question]:
    """The questions of the levels and topics asked for; none: say what the banks hold instead."""
    if not levels and not topics:
        return questions
    found = bank_mod.matching(questions, levels, topics)
    if found:
        print(f"{len(found)} of {len(questions)} questions match {choice_words(levels, topics)}.")
        return found
    raise InterviewerError(
        f"no question matches {choice_words(levels, topics)}; the banks hold {bank_mod.holdings(questions)}"
    )


def choice_words(levels: list[str], topics: list[str]) -> str:
    parts = ([f"level {' or '.join(levels)}"] if levels else []) + ([f"topic {' or '.join(topics)}"] if topics else [])
    return " and ".join(parts)


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


def _bank_list(args: argparse.Namespace) -> int:
    return bank_report.list_bundled(args.json)


def _bank_export(args: argparse.Namespace) -> int:
    return bank_report.export(args.paths, args.format)


# -- grade / eval ---------------------------------------------------------------------------------


def _grading_settings(args: argparse.Namespace) -> Settings:
    return load_settings(grader=args.grader) if args.grader else load_settings()


def _grade(args: argparse.Namespace) -> int:
    return batch.grade_file(choose_grader(_grading_settings(args)), args.input, args.output)


def _eval(args: argparse.Namespace) -> int:
    banks = list(bank_mod.all_questions(bank_mod.load_banks(args.bank))) if args.bank else []
    return batch.eval_files(choose_grader(_grading_settings(args)), args.input, args.json, args.both_readings, banks)


# -- users ----------------------------------------------------------------------------------------


def _users_add(args: argparse.Namespace) -> int:
    settings = load_settings()
    if settings.users is None:
        raise InterviewerError("set INTERVIEWER_USERS to the users file first (e.g. data/users.txt)")
    problem = name_problem(args.name)
    if problem:  # said before the password is asked for
        raise InterviewerError(problem)
    if sys.stdin.isatty():
        password = getpass.getpass(f"Password for {args.name}: ")
        if getpass.getpass("Again: ") != password:
            raise InterviewerError("the passwords differ: nothing changed")
    else:
        password = sys.stdin.readline().rstrip("\n")
    Users(settings.users).add(args.name, password)
    print(f"{args.name} can log in (users file: {settings.users}).")
    return 0
