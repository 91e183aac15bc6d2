"""The terminal's answer editor, when a person is typing (stdin and stdout are a terminal).

A multi-line editor (prompt_toolkit): Enter on an empty line sends the answer, as the piped reader does, and
so does Alt+Enter (Esc then Enter) anywhere; a pasted text arrives whole, blank lines and all (bracketed
paste), so no paragraph of it is sent early or left over for the shell. What is typed is autosaved with the
interview as a draft; ending with text not sent asks what to do with it; Ctrl+C keeps it as a draft.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

from .unicode import replaced_notice, scrub

COMMANDS = ("/hint", "/skip", "/repeat", "/retry", "/end")
TOOLBAR = " Enter on an empty line (or Alt+Enter) sends · /hint /skip /repeat /retry /end · Ctrl+D ends"
AUTOSAVE_EVERY = 1.0
"""Seconds between two autosaves of what is being typed (each is a history write)."""


@dataclass(frozen=True)
class _Left:
    """The editor was left without sending: Ctrl+D (`interrupted` False) or Ctrl+C, with what was typed."""

    text: str
    interrupted: bool


class Drafts:
    """Where the editor keeps what is typed and not sent (the session's `draft` and `keep_draft`)."""

    def __init__(self, current: Callable[[], str], keep: Callable[[str], None]) -> None:
        self.current, self.keep = current, keep
        self._saved_at = 0.0

    def typed(self, text: str) -> None:
        if time.monotonic() - self._saved_at >= AUTOSAVE_EVERY:
            self._saved_at = time.monotonic()
            self.keep(text)


def is_terminal(stdin: TextIO, out: TextIO) -> bool:
    return stdin.isatty() and out.isatty()


def edit_answers(drafts: Drafts, out: TextIO) -> Iterator[str | None]:
    """Answers and commands as `terminal.read_answers` yields them, typed in the editor; None at the end."""
    prompt: PromptSession[str | _Left] = PromptSession(
        multiline=True, key_bindings=_keys(), bottom_toolbar=TOOLBAR, prompt_continuation="  "
    )
    # One buffer serves every prompt of the session: its autosave is hooked once (per prompt, the hooks piled up).
    prompt.default_buffer.on_text_changed += lambda changed: drafts.typed(changed.text)
    while True:
        said = prompt.prompt("> ", default=drafts.current())
        if isinstance(said, _Left):
            yield from _left(said, drafts, out)
            return
        text, replaced = scrub(said.rstrip("\n"))
        if not text.strip():
            continue
        if replaced:
            print(f"! {replaced_notice(replaced)}", file=out)
        command = text.strip().lower()
        if "\n" not in text.strip() and command.startswith("/") and " " not in command:
            if command not in COMMANDS:
                print(f"Unknown command {text.strip()}: use /hint, /skip, /repeat, /retry or /end", file=out)
                continue
            text = command
        yield text


def _left(left: _Left, drafts: Drafts, out: TextIO) -> Iterator[str | None]:
    """Ctrl+C keeps the text as a draft and stops; Ctrl+D with text asks first."""
    text = left.text.strip("\n")
    if left.interrupted:
        if text.strip():
            drafts.keep(text)
            print("\n(What you typed is kept as a draft: it comes back when you resume.)", file=out)
        raise KeyboardInterrupt
    if text.strip():
        choice = ask_unsent(out)
        if choice == "send":
            yield scrub(text)[0]
        drafts.keep(text if choice == "keep" else "")
        if choice == "keep":
            print("Kept as a draft: it is in the transcript, not graded.", file=out)
    yield None


def ask_unsent(out: TextIO, read: Callable[[str], str] = input) -> str:
    """What to do with an answer typed and not sent: "send", "keep" (as a draft) or "discard"."""
    choices = {"s": "send", "k": "keep", "d": "discard"}
    while True:
        print("\nYou typed an answer that is not sent.", file=out)
        try:
            said = read("[s]end it, [k]eep it as a draft, or [d]iscard it? ").strip().lower()[:1]
        except EOFError:
            return "keep"  # no one to ask: losing nothing is the safe answer
        if said in choices:
            return choices[said]


def _keys() -> KeyBindings:
    keys = KeyBindings()

    @keys.add("enter")
    def _enter(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        text = buffer.text
        line = buffer.document.current_line.strip().lower()
        if line == "/end" and buffer.document.is_cursor_at_the_end and text[: -len(line)].strip():
            event.app.exit(result=_Left(text.rstrip()[: -len(line)], interrupted=False))  # ends: ask about the rest
            return
        on_empty_line = not buffer.document.current_line.strip() and bool(text.strip())
        single_command = "\n" not in text and text.strip().startswith("/")
        if (on_empty_line or single_command) and buffer.document.is_cursor_at_the_end:
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n")

    @keys.add("escape", "enter")
    def _send(event: KeyPressEvent) -> None:
        if event.current_buffer.text.strip():
            event.current_buffer.validate_and_handle()

    @keys.add("c-d")
    def _eof(event: KeyPressEvent) -> None:
        event.app.exit(result=_Left(event.current_buffer.text, interrupted=False))

    @keys.add("c-c")
    def _interrupt(event: KeyPressEvent) -> None:
        event.app.exit(result=_Left(event.current_buffer.text, interrupted=True))

    return keys


def drop_typeahead(stdin: TextIO) -> None:
    """Throw away what was typed after the last prompt (e.g. while the last answer was graded), so that none of
    it reaches the shell once the session ends."""
    try:
        import termios

        termios.tcflush(stdin.fileno(), termios.TCIFLUSH)
    except (ImportError, OSError, ValueError):  # not a terminal, or not POSIX: nothing to drop
        pass
