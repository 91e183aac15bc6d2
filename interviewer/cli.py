"""The `interviewer` command: practice in the terminal, check and export banks, batch-grade, evaluate, serve."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from collections.abc import Callable, Coroutine, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel, Field, ValidationError

from . import bank as bank_mod
from . import review
from .config import Settings, load_settings
from .errors import BankError, InterviewerError
from .evaluate import LabelledResult, evaluate, format_report
from .grading.factory import choose_grader
from .grading.models import Grade, GradeRequest
from .presentation import format_grade, render_transcript, transcript_filename
from .session import Session, SessionSettings, Step, plan_questions
from .store import Store
from .transcript import Transcript, summarise

MAX_QUESTIONS = 500
"""The most questions one session takes (SessionSettings.count)."""
COMMANDS = ("/hint", "/skip", "/repeat", "/end")
_COMMAND_LIKE = re.compile(r"/[A-Za-z]+")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
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
    except OSError as exc:
        print(f"error: {exc.filename}: {exc.strerror}" if exc.filename and exc.strerror else f"error: {exc}",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


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
    sub = p.add_subparsers(metavar="COMMAND")

    serve = sub.add_parser("serve", help="start the web app (same as python app.py)")
    serve.set_defaults(func=_serve)

    practice = sub.add_parser("practice", help="a practice session in the terminal")
    practice.add_argument("--bank", action="append", help="bank file or folder (repeatable); default: INTERVIEWER_BANK")
    practice.add_argument("-n", "--count", type=_question_count, default=5,
                          help=f"number of questions, 1-{MAX_QUESTIONS} (default 5)")
    practice.add_argument("--order", choices=["in-order", "shuffle", "weakest", "due"], default="in-order")
    practice.add_argument("--seed", type=int, help="seed for --order shuffle")
    practice.add_argument("--mode", choices=["practice", "mock"], default="practice")
    practice.add_argument("--followups", type=int, choices=[0, 1, 2], help="follow-ups per question (default 1)")
    practice.add_argument("--out", type=Path, default=Path("."), help="folder for the transcript (default .)")
    practice.add_argument("--resume", nargs="?", const="latest", metavar="SESSION_ID",
                          help="resume an unfinished session (the latest one if no id is given)")
    practice.set_defaults(func=_practice)

    history = sub.add_parser("history", help="saved sessions: list, export, import, delete")
    history.add_argument("--json", action="store_true", help="list as JSON")
    history.set_defaults(func=_history_list)
    history_sub = history.add_subparsers(metavar="ACTION")
    h_export = history_sub.add_parser("export", help="write a saved session's transcript")
    h_export.add_argument("session_id")
    h_export.add_argument("--format", choices=["md", "json", "html"], default="md")
    h_export.add_argument("--output", type=Path, help="default: standard output")
    h_export.set_defaults(func=_history_export)
    h_import = history_sub.add_parser("import", help="add a transcript JSON to the history")
    h_import.add_argument("transcript", type=Path)
    h_import.set_defaults(func=_history_import)
    h_delete = history_sub.add_parser("delete", help="delete one session, or all of them")
    target = h_delete.add_mutually_exclusive_group(required=True)
    target.add_argument("session_id", nargs="?")
    target.add_argument("--all", action="store_true")
    h_delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    h_delete.set_defaults(func=_history_delete)

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

    grade = sub.add_parser("grade", help="grade a JSONL file of answers")
    grade.add_argument("--input", required=True, type=Path)
    grade.add_argument("--output", type=Path, help="default: standard output")
    grade.add_argument("--grader", choices=["auto", "llm", "offline"])
    grade.set_defaults(func=_grade)

    ev = sub.add_parser("eval", help="agreement of the grader with labelled replies")
    ev.add_argument("--input", required=True, type=Path)
    ev.add_argument("--grader", choices=["auto", "llm", "offline"])
    ev.add_argument("--json", action="store_true")
    ev.set_defaults(func=_eval)
    return p


# -- serve ----------------------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    from .ui import launch

    launch()
    return 0


# -- practice -------------------------------------------------------------------------------------


def _practice(args: argparse.Namespace) -> int:
    settings = load_settings()
    choice = choose_grader(settings)
    store = Store.open(settings)
    out = sys.stdout
    if args.resume:
        session = _resume(store, args.resume, choice)
        done = sum(1 for t in session.turns if t.skipped or t.grade is not None)
        print(f"Resuming session {session.session_id[:8]}: {done} of {session.total} questions done.", file=out)
    else:
        paths = args.bank or [str(p) for p in settings.bank_paths]
        banks = bank_mod.load_banks(paths)
        session_settings = SessionSettings(
            count=args.count,
            order=args.order,
            seed=args.seed,
            mode=args.mode,
            followups=settings.followups if args.followups is None else args.followups,
            banks=[str(p) for p in paths],
        )
        questions = list(bank_mod.all_questions(banks))
        rank = review.ranker(store.review_states(), args.order, datetime.now(UTC))
        questions = plan_questions(questions, session_settings, rank=rank)
        session = Session(questions, session_settings, grader=choice.grader, followup_writer=choice.followups,
                          on_event=store.hook())
    print(f"Grader: {choice.label}", file=out)
    if choice.notice:
        print(choice.notice, file=out)
    print(f"Session {session.session_id[:8]} is saved as you go (resume: interviewer practice --resume).", file=out)
    print("Type your answer; finish it with an empty line. Commands: /hint /skip /repeat /end\n", file=out)
    # One event loop for the whole session, entered only to grade or stream: input is read outside it,
    # so Ctrl+C stops a read at once (inside the loop asyncio would only cancel the task).
    with asyncio.Runner() as runner:
        try:
            _practice_loop(session, _read_answers(sys.stdin, out), out, runner.run)
        except KeyboardInterrupt:
            _save_transcript(_answered_so_far(session), args.out, out)
            print(f"\nInterrupted: the session is saved; resume it with: interviewer practice --resume "
                  f"{session.session_id[:8]}", file=out)
            return 130
    return _save_transcript(session.transcript(), args.out, out)


def _resume(store: Store, wanted: str, choice: Any) -> Session:
    """The session to resume: the one named, or the latest unfinished one ("latest")."""
    if wanted == "latest":
        unfinished = store.unfinished()
        if not unfinished:
            raise InterviewerError("no unfinished session to resume")
        session_id = unfinished[0].id
    else:
        session_id = store.resolve(wanted)
    session = store.restore(session_id, choice.grader, choice.followups)
    if session.finished:
        raise InterviewerError(f"session {session_id[:8]} is finished: nothing to resume")
    return session


def _read_answers(stream: TextIO, out: TextIO) -> Iterator[str | None]:
    """Answers typed in the terminal, each ending with an empty line; None at the end of input.

    A known command (/hint, /skip, /repeat, /end, any case) alone on the first line is yielded at once, in
    lower case. A lone /word that is no command is refused and the prompt asked again; anything more (text
    after it on the line, or more lines, e.g. "/usr/lib is where...") is an answer.
    """
    ended = False
    while not ended:
        lines: list[str] = []
        out.write("> ")
        out.flush()
        for line in stream:
            line = line.rstrip("\n")
            if not lines and line.strip().lower() in COMMANDS:
                lines = [line.strip().lower()]
                break
            if not line.strip():
                if lines:
                    break
                continue
            lines.append(line)
        else:
            ended = True
        if not lines:
            break
        if len(lines) == 1 and _COMMAND_LIKE.fullmatch(lines[0].strip()) and lines[0] not in COMMANDS:
            print(f"Unknown command {lines[0].strip()}: use /hint, /skip, /repeat or /end", file=out)
            continue
        yield "\n".join(lines)
    yield None


def _practice_loop(session: Session, answers: Iterator[str | None], out: TextIO,
                   run: Callable[[Coroutine[Any, Any, Any]], Any]) -> None:
    """Ask, take answers and commands, show feedback, until the session or the input ends; then the results.

    `run` runs one coroutine in the session's event loop (asyncio.Runner.run).
    """
    settled = run(session.settle())
    if settled is not None:
        _show_step(settled, out)
    elif session.current is not None:
        print(session.question_message(), file=out)
        if session.awaiting_followup:
            print(session.repeat(), file=out)
    while not session.finished:
        text = next(answers)
        if text is None or text == "/end":
            run(session.finish())
        elif text == "/hint":
            print(session.hint(), file=out)
        elif text == "/repeat":
            print(session.repeat(), file=out)
        elif text == "/skip":
            _show_step(session.skip(), out)
        else:
            _show_step(run(_answer(session, text, out)), out)
    if session.turns:
        _show_results(session, out)


async def _answer(session: Session, text: str, out: TextIO) -> Step:
    """Take an answer, printing a follow-up question as it is written."""
    step = Step()
    async for item in session.answer_stream(text):
        if isinstance(item, str):
            out.write(item)
            out.flush()
        else:
            step = item
    if step.followup:
        print(file=out)
    return step


def _show_step(step: Step, out: TextIO) -> None:
    if step.notice:
        print(f"! {step.notice}", file=out)
    if step.feedback:
        print(format_grade(step.feedback), file=out)
    if step.next_question:
        print(f"\n{step.next_question}", file=out)


def _show_results(session: Session, out: TextIO) -> None:
    """The end of a session: in mock mode the feedback held back until now, then the summary."""
    if session.settings.mode == "mock":
        print("\n=== Feedback ===", file=out)
        for number, turn in enumerate(session.turns, start=1):
            print(f"\nQuestion {number}: {turn.question}", file=out)
            print(format_grade(turn.grade) if turn.grade else "Skipped: no feedback.", file=out)
    s = session.summary()
    print("\n=== Summary ===", file=out)
    overall = "-" if s.overall is None else f"{s.overall:.0f}/100"
    print(f"Overall: {overall} ({s.answered} answered, {s.skipped} skipped)", file=out)
    for name, value in s.criteria.items():
        print(f"  {name:<20} {value:.1f}/5", file=out)
    if s.study:
        print("Study next:", *(f"  - {x}" for x in s.study), sep="\n", file=out)


def _answered_so_far(session: Session) -> Transcript:
    """The transcript of an interrupted session: the turns answered or skipped, the session left open."""
    tr = session.transcript()
    turns = [t for t in tr.turns if t.answer is not None or t.skipped]
    return tr.model_copy(update={"turns": turns, "summary": summarise(turns) if turns else None})


def _save_transcript(transcript: Transcript, folder: Path, out: TextIO) -> int:
    if not transcript.turns:
        print("\nNo answer given: no transcript written.", file=out)
        return 0
    md, js = (folder / transcript_filename(transcript, fmt) for fmt in ("markdown", "json"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        md.write_text(render_transcript(transcript, "markdown"), encoding="utf-8")
        js.write_text(render_transcript(transcript, "json"), encoding="utf-8")
    except OSError as exc:
        raise InterviewerError(
            f"cannot write the transcript in {folder} ({exc.strerror or exc}); it is in the history: "
            f"interviewer history export {transcript.session_id[:8]}"
        ) from exc
    print(f"\nTranscript written: {md} and {js}", file=out)
    return 0


# -- bank -----------------------------------------------------------------------------------------


def _bank_check(args: argparse.Namespace) -> int:
    reports: list[dict[str, Any]] = []
    first_seen: dict[str, str] = {}  # question id -> the file it came from: ids must be unique across banks

    def report(path: str, bank: bank_mod.Bank | None = None, error: BankError | None = None) -> None:
        errors = [{"line": error.line, "message": error.message}] if error else []
        for q in bank.questions if bank else []:
            if q.id in first_seen:
                errors.append({"line": q.line, "message": f"question id {q.id} already comes from {first_seen[q.id]}"})
            first_seen.setdefault(q.id, path)
        reports.append({"path": path, "title": bank.title if bank else None,
                        "questions": len(bank.questions) if bank else 0,
                        "experience": bank.experience_count if bank else 0, "errors": errors})

    for path in args.paths:
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
    if args.json:
        print(json.dumps(reports, ensure_ascii=False, indent=2))
    else:
        for r in reports:
            if r["errors"]:
                for e in r["errors"]:
                    where = f"{r['path']}:{e['line']}" if e["line"] else r["path"]  # line 0: the whole file
                    print(f"{where}: error: {e['message']}")
            else:
                print(f"{r['path']}: ok: {r['title']!r}, {_plural(r['questions'], 'question')} "
                      f"({r['experience']} experience)")
        total = sum(r["questions"] for r in reports)
        failed = sum(bool(r["errors"]) for r in reports)
        print(f"{_plural(total, 'question')} in {_plural(len(reports), 'file')}; {failed} with errors")
    return 1 if any(r["errors"] for r in reports) else 0


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _bank_export(args: argparse.Namespace) -> int:
    banks = bank_mod.load_banks(args.paths)
    rows = [
        {"id": q.id, "number": q.number, "question": q.text, "reference": q.reference, "kind": q.kind,
         "key_points": q.key_points, "source": q.source, "line": q.line}
        for q in bank_mod.all_questions(banks)
    ]
    if args.format == "jsonl":
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
    else:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    return 0


# -- grade / eval ---------------------------------------------------------------------------------


class GradeLine(GradeRequest):
    """One input line of `interviewer grade`: a GradeRequest plus an optional id."""

    id: str | int | None = None


class LabelledLine(GradeLine):
    score: int = Field(ge=1, le=5, strict=True)
    """The true score, a whole number 1-5."""
    level: str = ""


def _grading_settings(args: argparse.Namespace) -> Settings:
    return load_settings(grader=args.grader) if args.grader else load_settings()


def _read_jsonl(path: Path, model: type[BaseModel]) -> Iterator[tuple[int, dict[str, Any] | None, Any]]:
    """(line number, raw object, parsed model or an error message) for each non-blank line."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InterviewerError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    for lineno, raw_line in enumerate(data.splitlines(), start=1):
        if not raw_line.strip():
            continue
        try:
            line = raw_line.decode("utf-8-sig" if lineno == 1 else "utf-8")
        except UnicodeDecodeError:
            yield lineno, None, "not UTF-8 text"
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            yield lineno, None, f"not valid JSON ({exc.msg} at column {exc.colno})"
            continue
        except RecursionError:
            yield lineno, None, "not valid JSON (nested too deeply)"
            continue
        if not isinstance(raw, dict):
            yield lineno, None, "a line must be a JSON object"
            continue
        try:
            yield lineno, raw, model.model_validate(raw)
        except ValidationError as exc:
            yield lineno, None, _short_error(exc)


def _short_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'line'}: {e['msg']}" for e in exc.errors())
    return str(exc)


async def _grade_all(lines: list, grade_one: Callable, on_done: Callable[[int], None]) -> list:
    """Grade parsed lines concurrently (a few at a time), keeping input order."""
    sem = asyncio.Semaphore(4)
    done = 0

    async def run(item: Any) -> Any:
        nonlocal done
        if isinstance(item, str):
            return item
        async with sem:
            try:
                result = await grade_one(item)
            except InterviewerError as exc:
                result = str(exc)
        done += 1
        on_done(done)
        return result

    return await asyncio.gather(*(run(item) for item in lines))


async def _grade_request(grader: Any, request: GradeRequest) -> Grade:
    result = grader.grade(request)
    return await result if asyncio.iscoroutine(result) else result


def _progress(total: int) -> Callable[[int], None]:
    def show(done: int) -> None:
        width = 30
        filled = width * done // max(1, total)
        print(f"\rgrading [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end="", file=sys.stderr)
        if done == total:
            print(file=sys.stderr)

    return show


def _grade_lines(grader: Any, items: list) -> list:
    """Grade the parsed lines (error strings pass through), with a progress bar over those alone."""
    progress = _progress(sum(not isinstance(item, str) for item in items))
    return asyncio.run(_grade_all(items, lambda r: _grade_request(grader, r), progress))


def _grade(args: argparse.Namespace) -> int:
    choice = choose_grader(_grading_settings(args))
    parsed = list(_read_jsonl(args.input, GradeLine))
    failures = 0
    out = args.output.open("w", encoding="utf-8") if args.output else sys.stdout  # fails before any grading
    try:
        results = _grade_lines(choice.grader, [model for _, _, model in parsed])
        for (lineno, raw, _), result in zip(parsed, results):
            if isinstance(result, str):
                failures += 1
                print(f"{args.input}:{lineno}: error: {result}", file=sys.stderr)
                continue
            out.write(json.dumps({**(raw or {}), "grade": result.model_dump(mode="json")}, ensure_ascii=False) + "\n")
    finally:
        if args.output:
            out.close()
    if failures:
        print(f"{failures} line(s) failed; {len(parsed) - failures} graded", file=sys.stderr)
    return 1 if failures else 0


def _eval(args: argparse.Namespace) -> int:
    choice = choose_grader(_grading_settings(args))
    parsed = list(_read_jsonl(args.input, LabelledLine))
    results = _grade_lines(choice.grader, [model for _, _, model in parsed])
    labelled = []
    for (lineno, _, line), result in zip(parsed, results):
        if isinstance(result, str):
            print(f"{args.input}:{lineno}: error: {result}", file=sys.stderr)
            continue
        labelled.append(LabelledResult(question=line.question, level=line.level, true_score=line.score,
                                       overall=result.overall))
    if not labelled:
        print("error: no line could be graded", file=sys.stderr)
        return 1
    report = evaluate(labelled)
    print(report.model_dump_json(indent=2) if args.json else f"Grader: {choice.label}\n{format_report(report)}")
    return 0


# -- history --------------------------------------------------------------------------------------


def _history_list(args: argparse.Namespace) -> int:
    rows = Store.open().sessions()
    if args.json:
        print(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("No saved sessions yet.")
        return 0
    print(f"{'id':<10} {'started (UTC)':<17} {'status':<10} {'answered':>8} {'score':>6}  bank")
    for r in rows:
        status = "finished" if r.finished_at else "unfinished"
        score = "-" if r.overall is None else f"{r.overall:.0f}"
        banks = ", ".join(Path(b).name for b in r.banks)
        started = f"{r.started_at.astimezone(UTC) if r.started_at.tzinfo else r.started_at:%Y-%m-%d %H:%M}"
        print(f"{r.id[:8]:<10} {started:<17} {status:<10} {r.answered:>4}/{r.total:<3} {score:>6}  {banks}")
    return 0


def _history_export(args: argparse.Namespace) -> int:
    store = Store.open()
    tr = store.transcript(store.resolve(args.session_id))
    text = render_transcript(tr, args.format)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"Wrote {args.output}", file=sys.stderr)
    else:
        print(text)
    return 0


def _history_import(args: argparse.Namespace) -> int:
    try:
        tr = Transcript.from_json(args.transcript.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InterviewerError(f"{args.transcript}: not a transcript JSON ({_short_error(exc)})") from exc
    Store.open().import_transcript(tr)
    print(f"Imported session {tr.session_id} ({len(tr.turns)} questions).")
    return 0


def _history_delete(args: argparse.Namespace) -> int:
    store = Store.open()
    what = "ALL saved sessions and review history" if args.all else f"session {store.resolve(args.session_id)}"
    if not args.yes:
        if not sys.stdin.isatty():
            raise InterviewerError("refusing to delete without confirmation: run in a terminal or pass --yes")
        if input(f"Delete {what}? This cannot be undone. [y/N] ").strip().lower() not in ("y", "yes"):
            print("Nothing deleted.")
            return 1
    if args.all:
        n = store.delete_all()
        print(f"Deleted {n} session(s) and the review history.")
    else:
        store.delete(store.resolve(args.session_id))
        print(f"Deleted {what}.")
    return 0
