"""`interviewer bank draft | fill | import`: bring your own questions. Parsing and printing; the drafting is
`drafting.py`'s, the reading of other formats `bank_import.py`'s."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from . import bank as bank_mod
from . import drafting
from .bank_import import import_markdown, read_rows, read_to_fill
from .config import Settings, load_settings
from .drafting import NO_LLM
from .errors import ConfigError, InterviewerError
from .llm import LLMClient, LLMError
from .presentation import plural
from .terminal import confirmed
from .tokens import Usage, count_tokens, load_prices

COMPLETION_TOKENS_PER_QUESTION = 350
"""A rough guess, for the estimate before a draft (the usage after it is the real figure)."""


def add_commands(bank_sub: Any) -> None:
    d = bank_sub.add_parser("draft", help="draft questions with reference answers (needs an LLM)")
    source = d.add_mutually_exclusive_group(required=True)
    source.add_argument("--topic", help='e.g. "Kubernetes networking"')
    source.add_argument("--from-jd", type=Path, metavar="FILE", help="a job description (text file)")
    d.add_argument("-n", "--count", type=int, default=10, help="how many questions (default 10)")
    d.add_argument("--level", choices=["junior", "mid", "senior"], default="mid")
    d.add_argument("--experience", type=int, default=0, metavar="K", help="how many of them are experience questions")
    d.add_argument("--against", type=Path, action="append", default=[], help="drop near duplicates of these banks")
    d.add_argument(
        "--out",
        type=Path,
        help="the Markdown file to write (default: a new file here, named after the topic or the job description)",
    )
    d.add_argument("--yes", action="store_true", help="do not ask before spending tokens")
    d.set_defaults(func=_draft)

    f = bank_sub.add_parser("fill", help="write reference answers for questions that have none (needs an LLM)")
    f.add_argument("questions", type=Path, help="a bank without (some) answers, or one question per line")
    f.add_argument("--out", type=Path, required=True)
    f.add_argument("--yes", action="store_true", help="do not ask before spending tokens")
    f.set_defaults(func=_fill)

    i = bank_sub.add_parser("import", help="a bank from CSV, JSON or JSONL (question, answer[, kind])")
    i.add_argument("source", type=Path)
    i.add_argument("--out", type=Path, required=True)
    i.add_argument("--title", help="the bank's title (default: the file's name)")
    i.set_defaults(func=_import)


def _no_llm() -> int:
    print(f"error: {NO_LLM}", file=sys.stderr)
    return 2  # a configuration problem, as `regrade --grader llm` without an LLM


def _client(settings: Settings) -> LLMClient | None:
    return LLMClient.from_settings(settings.llm) if settings.llm_configured else None


def _go_ahead(client: LLMClient, messages_text: str, questions: int, yes: bool, settings: Settings) -> bool:
    """Say what it will cost (roughly) and, unless --yes, ask."""
    prompt = count_tokens(messages_text).tokens
    completion = questions * COMPLETION_TOKENS_PER_QUESTION
    cost = load_prices(str(settings.prices) if settings.prices else None).cost(client.model, prompt, completion)
    price = f"about ${cost:.4f}" if cost is not None else f"no price known for {client.model}"
    print(f"Estimated: about {prompt} prompt + {completion} completion tokens ({price}).", file=sys.stderr)
    return yes or confirmed("Go on?", "spend tokens")


def _usage_line(client: LLMClient, usage: Usage) -> str:
    cost = f", about ${usage.estimated_cost_usd:.4f}" if usage.estimated_cost_usd is not None else ""
    return f"Used {usage.prompt_tokens} prompt + {usage.completion_tokens} completion tokens on {client.model}{cost}."


def _draft(args: argparse.Namespace) -> int:
    settings = load_settings()
    if (client := _client(settings)) is None:
        return _no_llm()
    jd = drafting.read_job_description(args.from_jd) if args.from_jd else None  # a text file, or refused
    request = drafting.DraftRequest(topic=args.topic, job_description=jd, count=args.count, level=args.level,
                                    experience=args.experience)  # fmt: skip
    prepared = drafting.prepare_draft(request)
    for notice in prepared.notices:
        print(f"! {notice}", file=sys.stderr)
    text = "\n".join(m["content"] for m in prepared.messages)
    if not _go_ahead(client, text, args.count, args.yes, settings):
        print("Nothing drafted.")
        return 1
    usage = Usage()
    against = [q.text for b in bank_mod.load_banks(args.against) for q in b.questions] if args.against else []
    title = args.topic or f"Questions for {args.from_jd.stem}"
    source = f'the topic "{args.topic}"' if args.topic else f"the job description {args.from_jd.name}"
    out = args.out or _default_out(args)
    try:
        file = drafting.DraftedFile(title, source, str(out))
        drafted = asyncio.run(drafting.draft_bank(client, prepared, usage, against, file))
    except LLMError as exc:
        raise InterviewerError(f"the draft failed: {exc}") from exc
    _say_dropped(drafted)
    if drafted.bank is None:
        raise InterviewerError("no drafted question was kept: nothing written")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(drafted.markdown, encoding="utf-8")
    else:
        out = _write_new(out, drafted.markdown)
    print(f"Wrote {out}: {plural(len(drafted.bank.questions), 'question')} (draft: not yet reviewed).")
    print(_usage_line(client, usage), file=sys.stderr)
    return 0


def _say_dropped(drafted: drafting.Drafted) -> None:
    for r in drafted.dropped:
        print(f"! dropped as a near duplicate: {r.question!r} (of {r.repeats!r})", file=sys.stderr)
    if said := drafting.shortfall(drafted.count):
        print(f"! {said}", file=sys.stderr)


def _default_out(args: argparse.Namespace) -> Path:
    """Where a draft goes without --out: here, named after the topic or the job description's file."""
    stem = drafting.slug(args.topic) if args.topic else f"{drafting.slug(args.from_jd.stem)}-questions"
    return Path(f"{stem}.md")


def _write_new(path: Path, text: str) -> Path:
    """Write `text` to `path`, or, when that file exists, to the first free `<stem>-2`, `-3`...: a default name
    never overwrites (exclusive creation, so a file made meanwhile is not overwritten either)."""
    for n in range(1, 1000):
        candidate = path if n == 1 else path.with_name(f"{path.stem}-{n}{path.suffix}")
        try:
            with candidate.open("x", encoding="utf-8") as f:
                f.write(text)
            return candidate
        except FileExistsError:
            continue
    raise InterviewerError(f"{path} and its numbered variants all exist: give --out")


def _fill(args: argparse.Namespace) -> int:
    settings = load_settings()
    if (client := _client(settings)) is None:
        return _no_llm()
    title, items = read_to_fill(args.questions)
    todo = [item for item in items if item.answer is None]
    if not _go_ahead(client, "\n".join(item.question for item in todo), len(todo), args.yes, settings):
        print("Nothing filled.")
        return 1
    usage, failed = Usage(), 0
    marker = drafting.DRAFTED_MARKER.format(model=client.model)
    pairs = []
    for item in items:  # an existing answer is never changed
        if item.answer is not None:
            pairs.append((item.question, item.answer))
            continue
        try:
            out = asyncio.run(drafting.fill_one(client, item.question, usage))
            pairs.append(
                (item.question, drafting.render_answer(out.kind, out.key_points, out.reference_answer, marker))
            )
        except LLMError as exc:
            failed += 1
            print(f"! not filled: {item.question!r}: {exc}", file=sys.stderr)
            pairs.append((item.question, f"*(Not drafted: the LLM failed ({exc}). Write the answer here.)*"))
    markdown = drafting.render_bank(title, None, pairs)
    if not failed:
        bank_mod.parse_bank(markdown, str(args.out))  # a complete fill must pass `bank check`
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown, encoding="utf-8")
    left = f", {failed} left unanswered" if failed else ""
    kept = len(items) - len(todo)
    print(f"Wrote {args.out}: {len(todo) - failed} of {plural(len(todo), 'answer')} drafted, {kept} kept{left}.")
    print(_usage_line(client, usage), file=sys.stderr)
    return 1 if failed else 0


def _import(args: argparse.Namespace) -> int:
    title = args.title or args.source.stem.replace("_", " ").title()
    imported = import_markdown(read_rows(args.source), title, str(args.source))  # the rows are read as they go
    if not imported.count:
        raise ConfigError(f"{args.source}: no questions to import")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(imported.markdown, encoding="utf-8")
    print(f"Wrote {args.out}: {plural(imported.count, 'question')} from {args.source}.")
    return 0
