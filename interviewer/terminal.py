"""Practice in the terminal: read answers and commands, print questions, feedback and the summary.

Only translation between the terminal and the session: what is said comes from `conversation.py`, drawn here
as lines of text.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TextIO

from .conversation import FOLLOW_UP, HistoryWatch, Said, Tone, questions_done, told, write_transcripts
from .editor import COMMANDS, Drafts, drop_typeahead, edit_answers, is_terminal
from .errors import InterviewerError
from .grading.factory import GraderChoice
from .presentation import counts, format_grade, overall_headline
from .session import FollowUpPiece, Refused, Session, Step, StepTaken
from .transcript import Transcript, summarise
from .unicode import for_terminal, replaced_notice, scrub

_COMMAND_LIKE = re.compile(r"/[A-Za-z]+")


def practice(session: Session, choice: GraderChoice, stdin: TextIO, out: TextIO, folder: Path) -> int:
    """Run a session in the terminal until it or the input ends; then write its transcript into `folder`."""
    print(for_terminal(f"Grader: {choice.label}"), file=out)
    if choice.notice:
        print(for_terminal(choice.notice), file=out)
    print(f"Session {session.session_id[:8]} is saved as you go (resume: interviewer practice --resume).", file=out)
    costs = ", then ".join(f"{c:g}" for c in session.hint_costs()) if not session.finished else ""
    typing = is_terminal(stdin, out)
    pasting = " (Alt+Enter sends too; a pasted text arrives whole)" if typing else ""
    print(
        f"Type your answer; finish it with an empty line{pasting}. Commands: /hint (up to 3 per question, costing "
        f"{costs} points off its score) /skip /repeat /retry /end\n",
        file=out,
    )
    answers = edit_answers(Drafts(lambda: session.draft, session.keep_draft), out) if typing else None
    # One event loop for the whole session, entered only to grade or stream: input is read outside it,
    # so Ctrl+C stops a read at once (inside the loop asyncio would only cancel the task).
    with asyncio.Runner() as runner:
        try:
            practice_loop(session, answers or read_answers(stdin, out), out, runner.run)
        except KeyboardInterrupt:
            save_transcript(answered_so_far(session), folder, out)
            print(
                f"\nInterrupted: the session is saved; resume it with: interviewer practice --resume "
                f"{session.session_id[:8]}",
                file=out,
            )
            return 130
        finally:
            if typing:
                drop_typeahead(stdin)
    return save_transcript(session.transcript(), folder, out)


def say_resuming(session: Session, out: TextIO) -> None:
    done = questions_done(session.turns)
    print(f"Resuming session {session.session_id[:8]}: {done} of {session.total} questions done.", file=out)


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
    session: Session,
    answers: Iterator[str | None],
    out: TextIO,
    run: Callable[[Coroutine[Any, Any, Any]], Any],
) -> None:
    """Ask, take answers and commands, show feedback, until the session or the input ends; then the results.

    `run` runs one coroutine in the session's event loop (asyncio.Runner.run).
    """
    settled = run(session.settle())
    if settled is not None:
        draw(told(session, settled), out)
    elif session.current is not None:
        print(for_terminal(session.question_message()), file=out)
        if session.awaiting_followup:
            print(for_terminal(session.repeat()), file=out)
    history = HistoryWatch()
    while not session.finished:
        text = next(answers)
        if text is None or text == "/end":
            run(session.finish())
        elif text in ("/hint", "/retry", "/repeat"):
            said = {"/hint": session.hint, "/retry": session.retry, "/repeat": session.repeat}[text]()
            print(for_terminal(said.reason if isinstance(said, Refused) else said), file=out)
        elif text == "/skip":
            draw(told(session, session.skip()), out)
        else:
            draw(told(session, run(_answer(session, text, out))), out)
        if news := history.news(session):
            draw([news], out)
    if session.turns:
        show_results(session, out)


async def _answer(session: Session, text: str, out: TextIO) -> Step:
    """Take an answer, printing a follow-up question as it is written."""
    step, labelled = Step(), False
    async for event in session.answer_stream(text):
        if isinstance(event, FollowUpPiece):
            if not labelled:
                out.write(f"{FOLLOW_UP}: ")
                labelled = True
            out.write(for_terminal(event.text))
            out.flush()
        elif isinstance(event, StepTaken):
            step = event.step
    if step.followup:
        print(file=out)
    return step


def draw(said: list[Said], out: TextIO) -> None:
    """What the interviewer says, as terminal lines (the whole feedback is printed, not its headline). Text from
    banks, imports and the LLM is printed without escape sequences or control characters (`for_terminal`)."""
    for item in said:
        if item.tone is Tone.NOTICE and not item.in_feedback:
            print(for_terminal(f"! {item.text}"), file=out)
        elif item.tone is Tone.FEEDBACK and item.grade is not None:
            print(for_terminal(format_grade(item.grade, item.reference)), file=out)
            if item.change:
                print(for_terminal(f"  {item.change}"), file=out)
            if item.can_retry:
                print("  (/retry answers that question again.)", file=out)
        elif item.tone is Tone.QUESTION and not item.streamed:
            print(for_terminal(f"\n{item.text}"), file=out)
        elif item.tone is Tone.REMARK:
            print(for_terminal(item.text), file=out)


def show_results(session: Session, out: TextIO) -> None:
    """The end of a session: in mock mode the feedback held back until now, then the summary."""
    if session.settings.mode == "mock":
        print("\n=== Feedback ===", file=out)
        for number, turn in enumerate(session.turns, start=1):
            print(for_terminal(f"\nQuestion {number}: {turn.question}"), file=out)
            feedback = format_grade(turn.grade, turn.reference) if turn.grade else "Skipped: no feedback."
            print(for_terminal(feedback), file=out)
    s = session.summary()
    print("\n=== Summary ===", file=out)
    print(f"{overall_headline(s, session.turns)} ({counts(s)})", file=out)
    for name, value in s.criteria.items():
        print(for_terminal(f"  {name:<20} {value:.1f}/5"), file=out)  # names from an imported transcript too
    if s.study:
        print("Study next:", *(for_terminal(f"  - {x}") for x in s.study), sep="\n", file=out)


def answered_so_far(session: Session) -> Transcript:
    """The transcript of an interrupted session: the turns answered or skipped, the session left open."""
    tr = session.transcript()
    turns = [t for t in tr.turns if t.answer is not None or t.skipped]
    return tr.model_copy(update={"turns": turns, "summary": summarise(turns) if turns else None})


def save_transcript(transcript: Transcript, folder: Path, out: TextIO) -> int:
    if not transcript.turns:
        print("\nNo answer given: no transcript written.", file=out)
        return 0
    try:
        md, js = write_transcripts(transcript, folder, ("markdown", "json"))
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
