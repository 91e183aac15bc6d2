"""The `interviewer` command: practice in the terminal, check and export banks, batch-grade, evaluate, serve."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel, ValidationError

from . import bank as bank_mod
from . import review
from .config import Settings
from .errors import BankError, InterviewerError
from .evaluate import LabelledResult, evaluate, format_report
from .grading.factory import choose_grader
from .grading.models import Grade, GradeRequest, grader_label
from .session import Session, SessionSettings, Step, plan_questions
from .store import Store
from .transcript import Transcript


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except InterviewerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="interviewer", description="Practise technical interviews.")
    sub = p.add_subparsers(metavar="COMMAND")

    serve = sub.add_parser("serve", help="start the web app (same as python app.py)")
    serve.set_defaults(func=_serve)

    practice = sub.add_parser("practice", help="a practice session in the terminal")
    practice.add_argument("--bank", action="append", help="bank file or folder (repeatable); default: INTERVIEWER_BANK")
    practice.add_argument("-n", "--count", type=int, default=5, help="number of questions (default 5)")
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
    settings = Settings()
    choice = choose_grader(settings)
    store = Store.open(settings)
    out = sys.stdout
    if args.resume:
        unfinished = store.unfinished()
        if not unfinished:
            raise InterviewerError("no unfinished session to resume")
        session_id = unfinished[0].id if args.resume == "latest" else store.resolve(args.resume)
        session = store.restore(session_id, choice.grader, choice.followups)
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
    asyncio.run(_practice_loop(session, _read_answers(sys.stdin, out), out))
    return _save_transcript(session.transcript(), args.out, out)


def _read_answers(stream: TextIO, out: TextIO) -> Iterator[str | None]:
    """Answers typed in the terminal: lines up to an empty line; a /command alone on a line; None at end of input."""
    while True:
        lines: list[str] = []
        out.write("> ")
        out.flush()
        for line in stream:
            line = line.rstrip("\n")
            if not lines and line.strip().startswith("/"):
                lines = [line.strip()]
                break
            if not line.strip():
                if lines:
                    break
                continue
            lines.append(line)
        else:
            if not lines:
                yield None
                return
        yield "\n".join(lines)


async def _practice_loop(session: Session, answers: Iterator[str | None], out: TextIO) -> None:
    settled = await session.settle() if session.turns and session.current is not None else None
    if settled is not None:
        _show_step(settled, out)
        if session.finished:
            return
    elif session.current is not None:
        print(session.question_message(), file=out)
        if session.awaiting_followup:
            print(session.repeat(), file=out)
    for text in answers:
        if text is None or text == "/end":
            break
        if text == "/hint":
            print(session.hint(), file=out)
            continue
        if text == "/repeat":
            print(session.repeat(), file=out)
            continue
        if text == "/skip":
            step = session.skip()
        else:
            step = Step()
            async for item in session.answer_stream(text):
                if isinstance(item, str):
                    out.write(item)
                    out.flush()
                else:
                    step = item
            if step.followup:
                print(file=out)
        _show_step(step, out)
        if session.finished:
            return
    summary = await session.finish()
    if session.turns:
        _show_step(Step(finished=True, summary=summary), out)


def _show_step(step: Step, out: TextIO) -> None:
    if step.notice:
        print(f"! {step.notice}", file=out)
    if step.feedback:
        print(format_grade(step.feedback), file=out)
    if step.next_question:
        print(f"\n{step.next_question}", file=out)
    if step.finished and step.summary:
        s = step.summary
        print("\n=== Summary ===", file=out)
        overall = "-" if s.overall is None else f"{s.overall:.0f}/100"
        print(f"Overall: {overall} ({s.answered} answered, {s.skipped} skipped)", file=out)
        for name, value in s.criteria.items():
            print(f"  {name:<20} {value:.1f}/5", file=out)
        if s.study:
            print("Study next:", *(f"  - {x}" for x in s.study), sep="\n", file=out)


def format_grade(g: Grade) -> str:
    lines = [f"Score: {g.overall:.0f}/100 ({g.band}) - {grader_label(g)}"]
    if g.fallback_reason:
        lines.append(f"  (LLM grading failed: {g.fallback_reason})")
    lines += [f"  {c.name:<20} {c.score:g}/{c.max}  {c.justification}" for c in g.criteria]
    if g.covered:
        lines.append("  Covered: " + "; ".join(g.covered))
    if g.missed:
        lines.append("  Missed: " + "; ".join(g.missed))
    lines += [f"  - {s}" for s in g.suggestions]
    return "\n".join(lines)


def _save_transcript(transcript: Transcript, folder: Path, out: TextIO) -> int:
    if not transcript.turns:
        print("No question answered: no transcript written.", file=out)
        return 0
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"interview-{transcript.started_at:%Y%m%d-%H%M%S}-{transcript.session_id[:8]}"
    stem.with_suffix(".md").write_text(transcript.to_markdown(), encoding="utf-8")
    stem.with_suffix(".json").write_text(transcript.to_json(), encoding="utf-8")
    print(f"\nTranscript written: {stem}.md and {stem}.json", file=out)
    return 0


# -- bank -----------------------------------------------------------------------------------------


def _bank_check(args: argparse.Namespace) -> int:
    reports: list[dict[str, Any]] = []
    for path in args.paths:
        try:
            files = bank_mod.bank_files(path)
        except BankError as exc:
            reports.append({"path": exc.path, "title": None, "questions": 0, "experience": 0,
                            "errors": [{"line": exc.line, "message": exc.message}]})
            continue
        for file in files:
            try:
                b = bank_mod.load_bank(file)
                reports.append({"path": str(file), "title": b.title, "questions": len(b.questions),
                                "experience": b.experience_count, "errors": []})
            except BankError as exc:
                reports.append({"path": str(file), "title": None, "questions": 0, "experience": 0,
                                "errors": [{"line": exc.line, "message": exc.message}]})
    if args.json:
        print(json.dumps(reports, ensure_ascii=False, indent=2))
    else:
        for r in reports:
            if r["errors"]:
                for e in r["errors"]:
                    print(f"{r['path']}:{e['line']}: error: {e['message']}")
            else:
                print(f"{r['path']}: ok: {r['title']!r}, {r['questions']} questions ({r['experience']} experience)")
        total = sum(r["questions"] for r in reports)
        print(f"{total} questions in {len(reports)} file(s); {sum(bool(r['errors']) for r in reports)} with errors")
    return 1 if any(r["errors"] for r in reports) else 0


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
    score: int
    level: str = ""


def _grading_settings(args: argparse.Namespace) -> Settings:
    return Settings(grader=args.grader) if args.grader else Settings()


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
            if not isinstance(raw, dict):
                raise ValueError("a line must be a JSON object")
            yield lineno, raw, model.model_validate(raw)
        except (ValueError, ValidationError) as exc:
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


def _grade(args: argparse.Namespace) -> int:
    choice = choose_grader(_grading_settings(args))
    parsed = list(_read_jsonl(args.input, GradeLine))
    items = [model for _, _, model in parsed]
    results = asyncio.run(_grade_all(items, lambda r: _grade_request(choice.grader, r), _progress(len(items))))
    failures = 0
    out = args.output.open("w", encoding="utf-8") if args.output else sys.stdout
    try:
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
    items = [model for _, _, model in parsed]
    results = asyncio.run(_grade_all(items, lambda r: _grade_request(choice.grader, r), _progress(len(items))))
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


if __name__ == "__main__":
    sys.exit(main())


# -- history --------------------------------------------------------------------------------------


def _history_list(args: argparse.Namespace) -> int:
    rows = Store.open().sessions()
    if args.json:
        print(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("No saved sessions yet.")
        return 0
    print(f"{'id':<10} {'started':<17} {'status':<10} {'answered':>8} {'score':>6}  bank")
    for r in rows:
        status = "finished" if r.finished_at else "unfinished"
        score = "-" if r.overall is None else f"{r.overall:.0f}"
        banks = ", ".join(Path(b).name for b in r.banks)
        started = f"{r.started_at:%Y-%m-%d %H:%M}"
        print(f"{r.id[:8]:<10} {started:<17} {status:<10} {r.answered:>4}/{r.total:<3} {score:>6}  {banks}")
    return 0


def _history_export(args: argparse.Namespace) -> int:
    store = Store.open()
    tr = store.transcript(store.resolve(args.session_id))
    text = {"md": tr.to_markdown, "json": tr.to_json, "html": tr.to_html}[args.format]()
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
