"""Drafting banks with an LLM: questions *with* reference answers from a topic or a job description, and
reference answers for a list of questions that has none.

The model returns structured output (validated by pydantic); code, not the model, renders the Markdown in
the seed's format, and the result is parsed by the bank parser before anyone writes it, so a draft always
passes `bank check`. A job description is untrusted text: it goes into the prompt inside a random tag with
look-alike tags neutralised, as candidates' replies do.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from .bank import Bank, parse_bank
from .grading import text as t
from .grading.llm_grader import neutralise_tags
from .llm import ChatModel
from .prompts import render
from .tokens import Usage, truncate_to_tokens

_ANY_TAG = re.compile(r"<\s*/?\s*[A-Za-z_][\w.:|-]*\s*/?\s*>")
"""A job description is data: none of its tags may pass for the one it is put in."""
NO_LLM = (
    "drafting needs an LLM: set INTERVIEWER_MODEL and OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (a local server "
    "such as Ollama), e.g. in .env"
)
EXPERIENCE_MARKER = "*(Customize with your actual experience)*"
DRAFTED_MARKER = "*(Drafted by {model}: review before use)*"
Level = Literal["junior", "mid", "senior"]


class DraftKeyPoint(BaseModel):
    label: str = Field(max_length=60, description="A short label for the key point, e.g. 'Mitigation'.")
    text: str = Field(max_length=400, description="The key point itself, as terms or a sentence.")


class DraftQuestion(BaseModel):
    kind: Literal["technical", "experience"]
    question: str = Field(max_length=300)
    key_points: list[DraftKeyPoint] = Field(min_length=2, max_length=8)
    reference_answer: str = Field(max_length=1500, description="A model answer at interview length.")


class DraftOutput(BaseModel):
    questions: list[DraftQuestion] = Field(min_length=1, max_length=60)


class FillOutput(BaseModel):
    kind: Literal["technical", "experience"]
    key_points: list[DraftKeyPoint] = Field(min_length=2, max_length=8)
    reference_answer: str = Field(max_length=1500)


class DraftRequest(BaseModel):
    """What to draft: a topic or a job description (untrusted), how many questions, at what level."""

    topic: str | None = None
    job_description: str | None = None
    count: int = Field(10, ge=1, le=50)
    level: Level = "mid"
    experience: int = Field(0, ge=0)
    """How many of `count` are experience (behavioural) questions."""


class PreparedDraft(BaseModel):
    messages: list[dict[str, str]]
    notices: list[str] = []
    """What the user is told before the draft (a job description cut to the budget, text addressed to the model)."""


def prepare_draft(request: DraftRequest, jd_token_budget: int = 3000) -> PreparedDraft:
    """The messages that ask for the draft, and what to tell the user about the input."""
    notices: list[str] = []
    jd, tag = None, f"job_description_{secrets.token_hex(4)}"
    if request.job_description is not None:
        jd, cut = truncate_to_tokens(request.job_description, jd_token_budget)
        if cut:
            notices.append(f"The job description is longer than {jd_token_budget} tokens: only its start is used.")
        if t.injection_spans(jd):
            notices.append("The job description contains text addressed to the model: it is treated as data only.")
        jd = _ANY_TAG.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), neutralise_tags(jd))
    experience = min(request.experience, request.count)
    user = render("draft_request.md.j2", topic=request.topic, jd=jd, tag=tag, count=request.count,
                  level=request.level, experience=experience)  # fmt: skip
    system = render("draft_system.md.j2")
    return PreparedDraft(messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
                         notices=notices)  # fmt: skip


class Drafted(BaseModel):
    """A draft, ready to write: its Markdown and that Markdown parsed (None when every question repeated one
    already there), and the questions dropped as near duplicates with the question each repeats."""

    markdown: str = ""
    bank: Bank | None = None
    dropped: list[tuple[str, str]] = []


NEAR_DUPLICATE = 0.5
"""Word-shingle Jaccard similarity at which a drafted question counts as a near duplicate of one already there
(or drafted before it) and is dropped (was INTERVIEWER_DRAFT_DUPLICATE: a tuning knob, not a user's choice)."""


@dataclass(frozen=True)
class DraftedFile:
    """What the drafted bank says of itself, and where it is written."""

    title: str
    source: str
    """What it was drafted from, as its header says ("the topic ...", "a job description ...")."""
    path: str


async def draft_bank(
    client: ChatModel,
    prepared: PreparedDraft,
    usage: Usage,
    against: Iterable[str],
    file: DraftedFile,
) -> Drafted:
    """The drafted questions, without near duplicates of `against`, rendered as a bank (the CLI and the web app
    both)."""
    out = await client.structured(prepared.messages, DraftOutput, usage=usage)
    kept, dropped = drop_near_duplicates(out.questions, against)
    if not kept:
        return Drafted(dropped=dropped)
    markdown, bank = drafted_bank(file.title, client.model, file.source, kept, file.path)
    return Drafted(markdown=markdown, bank=bank, dropped=dropped)


async def fill_one(client: ChatModel, question: str, usage: Usage) -> FillOutput:
    messages = [
        {"role": "system", "content": render("draft_system.md.j2")},
        {"role": "user", "content": render("fill_request.md.j2", question=neutralise_tags(question))},
    ]
    return await client.structured(messages, FillOutput, usage=usage)


# -- near duplicates ------------------------------------------------------------------------------


def shingles(text: str, size: int = 2) -> set[tuple[str, ...]]:
    words = t.content_stems(text) or re.findall(r"\w+", text.lower())
    if len(words) < size:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def jaccard(a: str, b: str) -> float:
    x, y = shingles(a), shingles(b)
    return len(x & y) / len(x | y) if x | y else 0.0


def drop_near_duplicates(
    drafted: Sequence[DraftQuestion], against: Iterable[str], threshold: float = NEAR_DUPLICATE
) -> tuple[list[DraftQuestion], list[tuple[str, str]]]:
    """The drafted questions without those too close (word-shingle Jaccard >= threshold) to an earlier one or
    to a question of the banks given; and the dropped ones, each with the question it repeats."""
    kept: list[DraftQuestion] = []
    dropped: list[tuple[str, str]] = []
    existing = list(against)
    for q in drafted:
        twin = next((o for o in [*existing, *(k.question for k in kept)] if jaccard(q.question, o) >= threshold), None)
        if twin is None:
            kept.append(q)
        else:
            dropped.append((q.question, twin))
    return kept, dropped


# -- Markdown, rendered by code -------------------------------------------------------------------


def render_answer(kind: str, key_points: Sequence[DraftKeyPoint], reference: str, marker: str | None = None) -> str:
    lines = ["**Answer:**"]
    if marker:
        lines.append(marker)
    if kind == "experience":
        lines.append(EXPERIENCE_MARKER)
    lines += [f"**{_one_line(k.label).rstrip(':')}:** {_one_line(k.text)}" for k in key_points if k.text.strip()]
    if reference.strip():
        lines += ["", safe_body(reference)]
    return "\n".join(lines)


def render_bank(title: str, draft_line: str | None, questions: Sequence[tuple[str, str]]) -> str:
    """A bank in the seed's format: (question, rendered answer) pairs numbered from 1."""
    parts = [f"# {_one_line(title)}", ""]
    if draft_line:
        parts += [draft_line, ""]
    for number, (question, answer) in enumerate(questions, start=1):
        parts += [f"## {number}. {_one_line(question)}", "", answer, ""]
    return "\n".join(parts).rstrip("\n") + "\n"


def draft_line(model: str, source: str) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    return (f"*Draft, not yet reviewed: drafted by {_one_line(model)} on {when} from {_one_line(source)[:120]}. "
            "Delete this line once you have reviewed every question and answer.*")  # fmt: skip


def drafted_bank(
    title: str, model: str, source: str, questions: Sequence[DraftQuestion], path: str
) -> tuple[str, Bank]:
    """The drafted questions as bank Markdown, and that Markdown parsed like any bank file (so a draft that is
    written always passes `bank check`; a BankError here names what is wrong)."""
    pairs = [(q.question, render_answer(q.kind, q.key_points, q.reference_answer)) for q in questions]
    text = render_bank(f"{title} (draft)", draft_line(model, source), pairs)
    return text, parse_bank(text, path)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def safe_body(text: str) -> str:
    """Model text as a reference body: nothing in it may read as a question heading or an answer line, and an
    unclosed fence is closed."""
    lines = []
    for line in text.strip().splitlines():
        if re.match(r"^\s{0,3}#", line) or re.match(r"^\s*(\*\*|__)Answer", line, re.IGNORECASE):
            line = "\\" + line.lstrip()
        lines.append(line)
    if sum(bool(re.match(r"^\s{0,3}(```|~~~)", x)) for x in lines) % 2:
        lines.append("```")
    return "\n".join(lines)
