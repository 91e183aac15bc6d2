"""What the web app needs before an interview: banks and uploads, the history store, the grader line, and
where to listen."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import bank as bank_mod
from .. import webview as view
from ..config import Settings, load_settings
from ..errors import BankError, ConfigError, InterviewerError
from ..grading.factory import GraderChoice
from ..presentation import plural
from ..store import Store, default_data_dir

log = logging.getLogger(__name__)
MAX_UPLOAD_BYTES = 2 * 1024 * 1024


# -- banks ----------------------------------------------------------------------------------------


def bundled_banks(settings: Settings) -> dict[str, str]:
    """Label -> path for the banks shipped in bank/ (the default first, then the library) and those named by
    INTERVIEWER_BANK."""
    paths: list[Path] = bank_mod.bundled_bank_files()
    if settings.bank:
        for p in settings.bank_paths:
            try:
                paths += [f for f in bank_mod.bank_files(p) if f not in paths]
            except BankError as exc:  # said on the page too (bank_problems)
                log.warning("INTERVIEWER_BANK: %s: %s", exc.path, exc.message)
    labels: dict[str, str] = {}
    for path in paths:
        try:
            b = bank_mod.load_bank(path)
            labels[f"{b.title} ({plural(len(b.questions), 'question')})"] = str(path)
        except BankError as exc:  # offered as invalid: choosing it says why
            log.warning("bank %s: line %s: %s", path, exc.line, exc.message)
            labels[f"{path.name} (invalid: line {exc.line})"] = str(path)
    return labels


def bank_problems(settings: Settings) -> list[str]:
    """What is wrong with INTERVIEWER_BANK, said on the page as the terminal says it."""
    problems = []
    for path in settings.bank_paths if settings.bank else []:
        try:
            bank_mod.bank_files(path)
        except BankError as exc:
            problems.append(f"INTERVIEWER_BANK: {exc.path}: {exc.message}")
    return problems


def read_upload(path: str | None) -> bank_mod.Bank | None:
    """Parse an uploaded bank as text only (never as a server path named by the user)."""
    if not path:
        return None
    file = Path(path)
    data = file.read_bytes()
    if len(data) > MAX_UPLOAD_BYTES:
        raise BankError(file.name, 0, f"upload is {len(data):,} bytes; the limit is {MAX_UPLOAD_BYTES:,}")
    if file.suffix.lower() not in (".md", ".markdown", ".txt"):
        raise BankError(file.name, 0, "upload a Markdown (.md) bank")
    return bank_mod.parse_bank(bank_mod.decode_bank_bytes(data, file.name), file.name)


def take_upload(path: str | None) -> tuple[str, bank_mod.Bank | str | None]:
    """A message about an uploaded bank, and the bank when it is valid (else the error, which blocks Start)."""
    try:
        b = read_upload(path)
    except BankError as exc:
        where = f"line {exc.line}" if exc.line else "file"
        message = f"**Error in {view.literal_markdown(exc.path)}, {where}:** {view.literal_markdown(exc.message)}"
        return message, message
    if b is None:
        return "", None
    message = f"Uploaded **{view.literal_markdown(b.title)}**: {plural(len(b.questions), 'question')}"
    return f"{message} ({b.experience_count} experience).", b


# -- history --------------------------------------------------------------------------------------


def open_store(settings: Settings) -> tuple[Store | None, str]:
    """The history store, or None and the reason when the data folder cannot be used. A database the host
    configured (INTERVIEWER_DATABASE_URL) is required: the app does not start without it."""
    try:
        return Store.open(settings.storage), ""
    except (OSError, InterviewerError) as exc:
        if settings.database_url:
            raise
        return None, f"History is off: cannot use {default_data_dir(settings)} ({exc})."


def browser_secret(store: Store | None, name: str = "browser-secret") -> str | None:
    """A key kept in the data folder, so this browser's id survives an app restart and is read by every
    replica on the same history. Made once, atomically: replicas starting together must not each make their
    own (a browser's id would then be unreadable on the other replica, and its resume offer lost).

    `browser-secret` encrypts what the page stores (Gradio's BrowserState: it is in the page's config, so
    public); `browser-id-key` signs browser ids and never leaves the server (web/browser_ids.py)."""
    if store is None:
        return None
    path = store.folder / name
    if not path.exists():
        draft = store.folder / f".{name}-{os.getpid()}-{os.urandom(4).hex()}"
        draft.write_text(os.urandom(24).hex(), encoding="utf-8")
        draft.chmod(0o600)
        try:
            os.link(draft, path)  # complete before it is visible; fails if another process won
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links: create it exclusively instead
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    out.write(draft.read_text(encoding="utf-8"))
            except FileExistsError:
                pass
        finally:
            draft.unlink()
    return path.read_text(encoding="utf-8").strip()


def level_and_topic_choices(
    questions: list[bank_mod.Question],
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The levels and topics the questions have, each labelled with how many: `("senior (14)", "senior")`."""
    levels = [(f"{lv} ({n})", str(lv)) for lv, n in bank_mod.level_counts(questions).items() if n]
    return levels, [(f"{t} ({n})", t) for t, n in bank_mod.topic_counts(questions)]


@dataclass(frozen=True)
class Filters:
    """The Levels and Topics offered for the banks ticked, and what stays chosen of them."""

    levels: list[tuple[str, str]]
    chosen_levels: list[str]
    topics: list[tuple[str, str]]
    chosen_topics: list[str]

    @property
    def levels_info(self) -> str:
        if self.levels:
            return "Of the questions in the banks chosen"
        return "The banks chosen give no levels (the library's banks do)"

    @property
    def topics_info(self) -> str:
        if self.topics:
            return "Of the banks chosen; type to search"
        return "The banks chosen give no topics (the library's banks do)"


def filters_for(banks: dict[str, str], ticked: list[str] | None, levels: list[str] | None,
                topics: list[str] | None, upload: bank_mod.Bank | str | None = None) -> Filters:  # fmt: skip
    """The levels and topics of the banks ticked and the bank uploaded (a usable one), keeping what was chosen
    and is still offered."""
    questions = [q for label in ticked or [] if label in banks for q in questions_or_none(banks[label])]
    if isinstance(upload, bank_mod.Bank):
        questions += upload.questions
    level_offer, topic_offer = level_and_topic_choices(questions)
    return Filters(level_offer, _kept(level_offer, levels), topic_offer, _kept(topic_offer, topics))


def _kept(offered: list[tuple[str, str]], chosen: list[str] | None) -> list[str]:
    values = {value for _, value in offered}
    return [v for v in chosen or [] if v in values]


def questions_or_none(path: str) -> list[bank_mod.Question]:
    """A bank's questions, or none when it does not load (the setup lists it as invalid already)."""
    try:
        return bank_mod.load_bank(path).questions
    except BankError:
        return []


def grader_line(choice: GraderChoice, history_problem: str = "") -> str:
    """The page's header: the grader, and what the candidate must know before starting."""
    line = f"**Grader:** {view.literal_markdown(choice.label)}"
    for notice in filter(None, [choice.notice, history_problem]):
        line += f"  \n⚠️ {view.literal_markdown(notice)}"
    return line


def server_settings(settings: Settings | None = None) -> dict[str, Any]:
    """Where to listen: 127.0.0.1 unless told otherwise; any other address needs a login unless opted out."""
    settings = settings or load_settings()
    host = settings.server_name
    if not host or host != host.strip():  # "" would bind every interface while counting as loopback (no login)
        raise ConfigError(
            f"GRADIO_SERVER_NAME={host!r}: set an address to listen on, e.g. 127.0.0.1 (this machine only) or "
            "0.0.0.0 (every interface, with a login)"
        )
    options: dict[str, Any] = {"server_name": host, "server_port": settings.server_port}
    auth = settings.auth.get_secret_value() if settings.auth else ""
    if auth:
        user, _, password = auth.partition(":")
        if not user or not password:
            raise ConfigError("INTERVIEWER_AUTH must be 'user:password'")
        options["auth"] = (user, password)
    elif settings.exposure.needs_login:
        raise ConfigError(
            f"refusing to serve {'others' if settings.hosted else 'on ' + host} without a login: set "
            "INTERVIEWER_USERS (people who log in), or INTERVIEWER_AUTH=user:password (one shared login), or "
            "INTERVIEWER_ALLOW_OPEN=1 to serve without one"
        )
    return options
