"""Practice in the terminal: read answers and commands, print questions, feedback and the summary.

Only translation between the terminal and the application core (`service.Interviewer`).
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TextIO

from .errors import InterviewerError
from .grading.factory import GraderChoice
from .presentation import (
    counts,
    fallback_notice,
    followup_fallback_notice,
    format_grade,
    history_notice,
    overall_headline,
    render_transcript,
    transcript_filename,
    turn_view_in,
)
from .service import Interviewer
from .session import FollowUpPiece, Session, Step, StepTaken
from .transcript import Transcript, summarise
from .unicode import replaced_notice, scrub

COMMANDS = ("/hint", "/skip", "/repeat", "/retry", "/end")
_COMMAND_LIKE = re.compile(r"/[A-Za-z]+")


def practice(
    core: Interviewer,
    session: Session,
    choice: GraderChoice,
    stdin: TextIO,
    out: TextIO,
    folder: Path,
    resumed: bool = False,
) -> int:
    """Run a session in the terminal until it or the input ends; then write its transcript into `folder`."""
    if resumed:
        done = len({t.question_id for t in session.turns if t.skipped or t.grade is not None})
        print(f"Resuming session {session.session_id[:8]}: {done} of {session.total} questions done.", file=out)
    print(f"Grader: {choice.label}", file=out)
    if choice.notice:
        print(choice.notice, file=out)
    print(f"Session {session.session_id[:8]} is saved as you go (resume: interviewer practice --resume).", file=out)
    costs = ", then ".join(f"{c:g}" for c in session.hint_costs()) if not session.finished else ""
    print(
        f"Type your answer; finish it with an empty line. Commands: /hint (up to 3 per question, costing {costs} "
        "points off its score) /skip /repeat /retry /end\n",
        file=out,
    )
    # One event loop for the whole session, entered only to grade or stream: input is read outside it,
    # so Ctrl+C stops a read at once (inside the loop asyncio would only cancel the task).
    with asyncio.Runner() as runner:
        try:
            practice_loop(core, session, read_answers(stdin, out), out, runner.run)
        except KeyboardInterrupt:
            save_transcript(answered_so_far(session), folder, out)
            print(
                f"\nInterrupted: the session is saved; resume it with: interviewer practice --resume "
                f"{session.session_id[:8]}",
                file=out,
            )
            return 130
    return save_transcript(core.transcript(session), folder, out)


def read_answers(stream: TextIO, out: TextIO) -> Iterator[str | None]:
    """Answers typed in the terminal, each ending with an empty line; None at the end of input.

    A known command (/hint, /skip, /repeat, /retry, /end, any case) alone on the first line is yielded at once, in
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
            print(f"Unknown command {lines[0].strip()}: use /hint, /skip, /repeat, /retry or /end", file=out)
            continue
        text, replaced = scrub("\n".join(lines))
        if replaced:
            print(f"! {replaced_notice(replaced)}", file=out)
        yield text
    yield None


def practice_loop(
    core: Interviewer,
    session: Session,
    answers: Iterator[str | None],
    out: TextIO,
    run: Callable[[Coroutine[Any, Any, Any]], Any],
) -> None:
    """Ask, take answers and commands, show feedback, until the session or the input ends; then the results.

    `run` runs one coroutine in the session's event loop (asyncio.Runner.run).
    """
    settled = run(core.settle(session))
    if settled is not None:
        show_step(settled, out)
    elif session.current is not None:
        print(session.question_message(), file=out)
        if session.awaiting_followup:
            print(session.repeat(), file=out)
    told = _tell_history(core.history_problem(session), False, out)
    while not session.finished:
        text = next(answers)
        if text is None or text == "/end":
            run(core.end(session))
        elif text == "/hint":
            print(core.hint(session), file=out)
        elif text == "/repeat":
            print(session.repeat(), file=out)
        elif text == "/retry":
            print(core.retry(session), file=out)
        elif text == "/skip":
            show_step(core.skip(session), out)
        else:
            step = run(_answer(core, session, text, out))
            show_step(step, out, _change_lines(session, step))
        told = _tell_history(core.history_problem(session), told, out)
    if session.turns:
        show_results(session, out)


def _change_lines(session: Session, step: Step) -> list[str]:
    """Under an answer's feedback: what a further attempt changed, and that /retry is there."""
    if step.feedback is None:
        return []
    graded = next((i for i, t in enumerate(session.turns) if t.grade is step.feedback), None)
    change = turn_view_in(session.turns, graded).change if graded is not None else None
    lines = [f"  {change.text}"] if change is not None else []
    again = session.can_retry() and not session.finished  # the last feedback ends a terminal session
    return lines + (["  (/retry answers that question again.)"] if again else [])


def _tell_history(problem: str | None, told: bool, out: TextIO) -> bool:
    """Say once that the history stopped being saved (and once that it works again); whether it is told."""
    if bool(problem) != told:
        print(f"! {history_notice(problem)}", file=out)
    return bool(problem)


async def _answer(core: Interviewer, session: Session, text: str, out: TextIO) -> Step:
    """Take an answer, printing a follow-up question as it is written."""
    step = Step()
    async for event in core.answer_stream(session, text):
        if isinstance(event, FollowUpPiece):
            out.write(event.text)
            out.flush()
        elif isinstance(event, StepTaken):
            step = event.step
    if step.followup:
        print(file=out)
    return step


def show_step(step: Step, out: TextIO, after_feedback: list[str] | None = None) -> None:
    if step.followup_fallback_reason:
        print(f"! {followup_fallback_notice(step.followup_fallback_reason)}", file=out)
    if step.feedback:
        print(format_grade(step.feedback), file=out)  # says so itself when grading fell back
    elif step.fallback_reason:  # mock mode: no feedback yet, but the candidate is told now
        print(f"! {fallback_notice(step.fallback_reason)}", file=out)
    for line in after_feedback or []:
        print(line, file=out)
    if step.next_question:
        print(f"\n{step.next_question}", file=out)


def show_results(session: Session, out: TextIO) -> None:
    """The end of a session: in mock mode the feedback held back until now, then the summary."""
    if session.settings.mode == "mock":
        print("\n=== Feedback ===", file=out)
        for number, turn in enumerate(session.turns, start=1):
            print(f"\nQuestion {number}: {turn.question}", file=out)
            print(format_grade(turn.grade) if turn.grade else "Skipped: no feedback.", file=out)
    s = session.summary()
    print("\n=== Summary ===", file=out)
    print(f"{overall_headline(s, session.turns)} ({counts(s)})", file=out)
    for name, value in s.criteria.items():
        print(f"  {name:<20} {value:.1f}/5", file=out)
    if s.study:
        print("Study next:", *(f"  - {x}" for x in s.study), sep="\n", file=out)


def answered_so_far(session: Session) -> Transcript:
    """The transcript of an interrupted session: the turns answered or skipped, the session left open."""
    tr = session.transcript()
    turns = [t for t in tr.turns if t.answer is not None or t.skipped]
    return tr.model_copy(update={"turns": turns, "summary": summarise(turns) if turns else None})


def save_transcript(transcript: Transcript, folder: Path, out: TextIO) -> int:
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


def confirmed(question: str, doing: str) -> bool:
    """Ask a yes/no question in the terminal (no is the default); with no terminal to ask, refuse `doing`."""
    if not sys.stdin.isatty():
        raise InterviewerError(f"refusing to {doing} without confirmation: run in a terminal or pass --yes")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
