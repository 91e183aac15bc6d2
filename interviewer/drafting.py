"""Drafting banks with an LLM: questions *with* reference answers from a topic or a job description, and
reference answers for a list of questions that has none.

The model returns structured output (validated by pydantic); code, not the model, renders the Markdown in
the seed's format, and the result is parsed by the bank parser before anyone writes it, so a draft always
passes `bank check`. A job description is untrusted text: it goes into the prompt inside a random tag with
look-alike tags neutralised, as candidates' replies do.
"""

from __future__ import annotations

import codecs
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ModelWrapValidatorHandler, PrivateAttr, ValidationError, model_validator

from .bank import Bank, has_experience_marker, parse_bank
from .errors import InterviewerError
from .grading import text as t
from .grading.llm_grader import neutralise_tags
from .llm import ChatModel
from .prompts import render
from .tokens import Usage, truncate_to_tokens
from .unicode import for_bank

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

    @model_validator(mode="after")
    def _has_text_and_answer(self) -> DraftQuestion:
        # Either would make a bank entry that does not parse (no question text, an empty answer).
        if not re.search(r"\w", self.question):
            raise ValueError("the question has no text")
        if not _one_line(self.reference_answer) and not any(_one_line(k.text) for k in self.key_points):
            raise ValueError("the question has no answer")
        return self


class DraftOutput(BaseModel):
    questions: list[DraftQuestion] = Field(min_length=1, max_length=60)
    _invalid: int = PrivateAttr(0)

    @model_validator(mode="wrap")
    @classmethod
    def _drop_invalid_questions(cls, data: Any, handler: ModelWrapValidatorHandler[DraftOutput]) -> DraftOutput:
        """A malformed question is dropped and counted, not the whole draft (small models often get one wrong);
        when none is valid, every error is raised, for the model to repair."""
        items = data.get("questions") if isinstance(data, dict) else None
        if not isinstance(items, list):
            return handler(data)
        valid = [q for q in items if _valid_question(q)]
        out = handler({**data, "questions": valid or items})
        out._invalid = len(items) - len(valid)
        return out

    @property
    def invalid(self) -> int:
        """How many questions the model returned that were dropped as invalid."""
        return self._invalid


def _valid_question(item: Any) -> bool:
    try:
        DraftQuestion.model_validate(item)
    except ValidationError:
        return False
    return True


class FillOutput(BaseModel):
    kind: Literal["technical", "experience"]
    key_points: list[DraftKeyPoint] = Field(min_length=2, max_length=8)
    reference_answer: str = Field(max_length=1500)


MAX_JD_BYTES = 1024 * 1024
"""How much of a job description file is read: far more than its token budget, so a longer one is still cut
with a notice, and a huge file costs no more than this."""


def read_job_description(path: Path) -> str:
    """A job description file's text (its first MAX_JD_BYTES). One that is not UTF-8 text (a NUL byte, UTF-16,
    bytes that do not decode: a PDF, a Word file) is refused, before anything is sent to a model."""
    with path.open("rb") as f:
        data = f.read(MAX_JD_BYTES + 1)
    whole, data = len(data) <= MAX_JD_BYTES, data[:MAX_JD_BYTES]
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InterviewerError(f"{path}: UTF-16 text: save the job description as UTF-8")
    if (at := data.find(b"\x00")) >= 0:
        raise InterviewerError(f"{path}: not a text file (a NUL byte at byte {at:,}): give a UTF-8 text file")
    try:  # a character cut at the end of what is read is left out, not an error
        return codecs.getincrementaldecoder("utf-8-sig")().decode(data, final=whole)
    except UnicodeDecodeError as exc:
        raise InterviewerError(f"{path}: not UTF-8 text (at byte {exc.start:,}): give a UTF-8 text file") from exc


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
    count: int
    """How many questions are asked for."""
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
                         count=request.count, notices=notices)  # fmt: skip


class Repeat(BaseModel):
    """A drafted question dropped as a near duplicate."""

    question: str
    repeats: str
    """The question it repeats."""
    of_bank: bool
    """`repeats` is a question of the banks it was checked against (else one drafted before it)."""


class DraftCount(BaseModel):
    """How many questions were asked for, returned and kept, and why the others were dropped."""

    asked: int
    returned: int
    """As the model returned them, invalid ones included."""
    invalid: int = 0
    """Dropped: no question text, no answer, or not in the schema."""
    repeat_banks: int = 0
    """Dropped as near duplicates of questions already in the banks checked against."""
    repeat_draft: int = 0
    """Dropped as near duplicates of questions drafted before them."""

    @property
    def kept(self) -> int:
        return self.returned - self.invalid - self.repeat_banks - self.repeat_draft


class Drafted(BaseModel):
    """A draft, ready to write: its Markdown and that Markdown parsed (None when no question was kept), the
    questions dropped as near duplicates, and the count of what was asked, returned and dropped."""

    markdown: str = ""
    bank: Bank | None = None
    dropped: list[Repeat] = []
    count: DraftCount


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
    count = DraftCount(
        asked=prepared.count,
        returned=len(out.questions) + out.invalid,
        invalid=out.invalid,
        repeat_banks=sum(r.of_bank for r in dropped),
        repeat_draft=sum(not r.of_bank for r in dropped),
    )
    if not kept:
        return Drafted(dropped=dropped, count=count)
    markdown, bank = drafted_bank(file.title, client.model, file.source, kept, file.path)
    return Drafted(markdown=markdown, bank=bank, dropped=dropped, count=count)


def shortfall(count: DraftCount) -> str | None:
    """What the user is told when fewer questions were kept than asked for, and why (None: none missing)."""
    if count.kept >= count.asked:
        return None
    reasons = [
        f"{count.invalid} invalid (malformed or incomplete)" if count.invalid else "",
        f"{count.repeat_banks} as near duplicates of questions already in the banks" if count.repeat_banks else "",
        f"{count.repeat_draft} as near duplicates of one another" if count.repeat_draft else "",
    ]
    dropped = ", ".join(filter(None, reasons))
    said = f"Fewer questions than asked for: {count.kept} of {count.asked}. The model returned {count.returned}"
    return said + (f"; dropped {dropped}." if dropped else ".")


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
) -> tuple[list[DraftQuestion], list[Repeat]]:
    """The drafted questions without those too close (word-shingle Jaccard >= threshold) to a question of the
    banks given or to an earlier one; and the dropped ones, each with the question it repeats."""
    kept: list[DraftQuestion] = []
    dropped: list[Repeat] = []
    existing = list(against)
    for q in drafted:
        if twin := _twin(q.question, existing, threshold):
            dropped.append(Repeat(question=q.question, repeats=twin, of_bank=True))
        elif twin := _twin(q.question, [k.question for k in kept], threshold):
            dropped.append(Repeat(question=q.question, repeats=twin, of_bank=False))
        else:
            kept.append(q)
    return kept, dropped


def _twin(question: str, others: Iterable[str], threshold: float) -> str | None:
    return next((o for o in others if jaccard(question, o) >= threshold), None)


# -- Markdown, rendered by code -------------------------------------------------------------------


def render_answer(kind: str, key_points: Sequence[DraftKeyPoint], reference: str, marker: str | None = None) -> str:
    lines = ["**Answer:**"]
    if marker:
        lines.append(for_bank(marker))
    if kind == "experience" and not has_experience_marker(reference):
        lines.append(EXPERIENCE_MARKER)
    lines += [f"**{_one_line(k.label).rstrip(':')}:** {_one_line(k.text)}" for k in key_points if _one_line(k.text)]
    if _one_line(reference):
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


def slug(text: str) -> str:
    """A file name's stem for a draft: `Kubernetes networking` -> `kubernetes-networking`."""
    return re.sub(r"[^\w-]+", "-", text.lower()).strip("-")[:40].strip("-") or "draft"


def _one_line(text: str) -> str:
    """Model text as one line of a bank. This and `safe_body` are where model text becomes bank text: neither
    lets a control character through (a NUL would make the file read as binary, failing `bank check`)."""
    return " ".join(for_bank(text).split())


def safe_body(text: str) -> str:
    """Model text as a reference body: nothing in it may read as a question heading or an answer line, and an
    unclosed fence is closed."""
    lines = []
    for line in for_bank(text).strip().splitlines():
        if re.match(r"^\s{0,3}#", line) or re.match(r"^\s*(\*\*|__)Answer", line, re.IGNORECASE):
            line = "\\" + line.lstrip()
        lines.append(line)
    if sum(bool(re.match(r"^\s{0,3}(```|~~~)", x)) for x in lines) % 2:
        lines.append("```")
    return "\n".join(lines)
