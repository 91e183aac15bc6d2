"""The `interviewer` commands over the saved history: history (list, export, import, delete), regrade and anki.
Argument parsing and printing only; the work is the application core's (`service.py`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC
from pathlib import Path
from typing import Any

from . import anki, batch
from .config import Settings, load_settings
from .errors import ConfigError, InterviewerError
from .grading.factory import choose_grader
from .owner import ALL_OWNERS, Owner
from .presentation import plural, render_transcript
from .regrade import report_lines as regrade_lines
from .service import App, OwnerScope
from .store import HistoryUnavailable, Store
from .terminal import confirmed
from .transcript import Transcript
from .unicode import replaced_notice, scrub_json


def history_commands(sub: Any) -> None:
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
    h_export.add_argument("--format", choices=["md", "json", "html", "anki"], default="md")
    h_export.add_argument("--output", type=Path, help="default: standard output (anki: interviewer-<id>.apkg)")
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

    rg = sub.add_parser("regrade", help="grade a saved session again with another grader or model")
    rg.add_argument("source", help="a saved session's id (or a unique prefix of it), or a transcript JSON file")
    rg.add_argument("--grader", choices=["offline", "llm"], required=True)
    rg.add_argument("--model", help="the LLM to grade with (default: INTERVIEWER_MODEL)")
    rg.add_argument("--output", type=Path, help="where to write the new transcript (default: regrade-<id>.json)")
    rg.add_argument("--json", action="store_true", help="the comparison as one JSON object")
    rg.set_defaults(func=_regrade)

    deck = sub.add_parser(
        "anki", help="an Anki deck of the key points you missed or only partly covered in your weakest questions"
    )
    deck.add_argument("--weakest", type=int, default=10, help="how many of your weakest questions (default 10)")
    deck.add_argument("--output", type=Path, default=Path("interviewer-weakest.apkg"))
    deck.set_defaults(func=_anki)


def terminal_core(settings: Settings | None = None) -> OwnerScope:
    """The application core for the terminal's own history (which must be usable)."""
    settings = settings or load_settings()
    return App(Store.open(settings.storage), settings).scope(Owner.terminal())


def terminal_core_or_without_history(settings: Settings) -> OwnerScope:
    """The same, or, when the history cannot be used, the core without one (a new practice session, a file
    re-graded, go on without it, and say so). A database the host set up is never silently skipped."""
    try:
        store: Store | None = Store.open(settings.storage)
    except HistoryUnavailable as exc:
        if settings.database_url:
            raise
        print(f"! History is off: {exc}. The transcript is still written at the end.", file=sys.stderr)
        store = None
    return App(store, settings).scope(Owner.terminal())


# -- history --------------------------------------------------------------------------------------


def _scope(args: argparse.Namespace) -> Any:
    return ALL_OWNERS if getattr(args, "all_owners", False) else None


def _history_list(args: argparse.Namespace) -> int:
    core = terminal_core()
    rows = core.sessions(_scope(args))
    if args.json:
        print(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("No saved sessions yet.")
        return 0
    graders = [graded_by(core.saved_transcript(r.id, _scope(args))) for r in rows]
    width = max(len("grader"), *map(len, graders))
    print(f"{'id':<10} {'started (UTC)':<17} {'status':<17} {'answered':>8} {'score':>6}  {'grader':<{width}}  bank")
    for r, grader in zip(rows, graders, strict=True):
        status = f"regrade:{r.regrade_of[:8]}" if r.regrade_of else "finished" if r.finished_at else "unfinished"
        score = "-" if r.overall is None else f"{r.overall:.0f}"
        banks = ", ".join(Path(b).name for b in r.banks)
        started = f"{r.started_at.astimezone(UTC) if r.started_at.tzinfo else r.started_at:%Y-%m-%d %H:%M}"
        answered = f"{r.answered:>4}/{r.total:<3}"
        print(f"{r.id[:8]:<10} {started:<17} {status:<17} {answered} {score:>6}  {grader:<{width}}  {banks}")
    return 0


def graded_by(transcript: Transcript) -> str:
    """The grader that scored a session's answers (`offline:words`, `llm:gpt-4o-mini`), or `mixed` when more than
    one did (an LLM that fell back offline for some, a switch mid-session): a zero from an LLM and a zero from
    key-point coverage then look different. A session with no graded answer names the grader it was started with."""
    graders = {t.grade.grader for t in transcript.turns if t.grade is not None}
    if len(graders) > 1:
        return "mixed"
    return graders.pop() if graders else transcript.grader


def _history_export(args: argparse.Namespace) -> int:
    tr = terminal_core().saved_transcript(args.session_id, _scope(args))
    if args.format == "anki":
        answered = plural(anki.answered(tr), "answered question")
        return _write_deck(anki.notes_for([tr]), args.output or Path(anki.deck_filename(tr.session_id)), answered)
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
    terminal_core().import_transcript(tr)
    print(f"Imported session {tr.session_id} ({len(tr.turns)} questions).")
    return 0


def _history_delete(args: argparse.Namespace) -> int:
    core, scope = terminal_core(), _scope(args)
    whose = "of every owner" if scope else "of the terminal"
    if args.all:
        what = f"ALL saved sessions and review history {whose}"
    else:
        what = f"session {core.resolve(args.session_id, scope)}"  # the full id, without loading the session
    if not args.yes and not confirmed(f"Delete {what}? This cannot be undone.", "delete"):
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
    core = terminal_core_or_without_history(settings) if from_file else terminal_core(settings)
    original = _read_transcript(Path(args.source)) if from_file else core.saved_transcript(args.source)
    new, report = asyncio.run(core.regrade(original, choice))
    output = args.output or Path(f"regrade-{new.session_id[:8]}-of-{original.session_id[:8]}.json")
    output.write_text(new.to_json(), encoding="utf-8")
    if args.json:
        print(json.dumps({**report.model_dump(mode="json"), "output": str(output)}, ensure_ascii=False, indent=2))
    else:
        print("\n".join(regrade_lines(report)))
        saved = f" and saved in the history as {new.session_id[:8]}" if core.app.keeps_history else ""
        print(f"New transcript written to {output}{saved}; the original is unchanged.")
    return 0


# -- anki -----------------------------------------------------------------------------------------


def _anki(args: argparse.Namespace) -> int:
    core = terminal_core()
    weakest = plural(len(core.question_stats()[: args.weakest]), "weakest question")
    return _write_deck(core.anki_notes(args.weakest), args.output, f"your {weakest}")


def _write_deck(notes: list[anki.CardNote], output: Path, source: str) -> int:
    """Write the deck of what `source` (e.g. "3 answered questions") left to study, saying why so few cards."""
    if not notes:
        print(anki.nothing_to_study(source), file=sys.stderr)
        return 0
    anki.write_deck(notes, output)
    print(f"Wrote {output}: {anki.deck_written(notes, source)}", file=sys.stderr)
    return 0
