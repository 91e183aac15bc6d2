"""The LLM grader and the LLM follow-up writer.

The prompt's static part (role, rules, both rubrics) comes first and is identical for every
question, so provider prompt caching applies; the question, reference and reply follow, the
reply inside a per-request random tag. The model fills an output pinned per request to the rubric
and the reference's key points (`llm_schema.py`): key points by id (evidence first), then per
criterion its reasoning and a 1-5 score; the code checks the quotes and computes the overall.
"""

from __future__ import annotations

import asyncio
import copy
import re
import secrets
from collections.abc import AsyncIterator, Iterable

from pydantic import BaseModel

from ..bank import Question, extract_key_points
from ..config import LLMSettings
from ..errors import GraderError
from ..llm import ChatModel, LLMError
from ..prompts import render
from ..rubric import Rubric, load_rubric
from ..tokens import Usage, count_tokens, truncate_to_tokens
from . import text as t
from .llm_schema import criterion_outputs, grade_output_model, key_point_outputs
from .models import (
    INJECTION,
    TRUNCATED,
    Grade,
    GradeRequest,
    KeyPoint,
    KeyPointStatus,
    assemble_grade,
)
from .offline import OfflineGrader
from .text import strip_invisible

# Tags in a reply that could pass for our delimiters; their angle brackets are neutralised.
_LOOKALIKE_TAG = re.compile(
    r"<\s*/?\s*[\w.:|-]*(reply|answer|question|reference|rubric|instruction|system|followup|candidate|user|"
    r"assistant|im_start|im_end)[\w.:|-]*\s*/?\s*>"
    r"|<\|[^<>|\s]{1,40}\|>",  # chat-template special tokens: <|im_start|>, <|eot_id|>, <|endoftext|>
    re.IGNORECASE,
)


def neutralise_tags(text: str) -> str:
    # Invisible characters go first: "</\u200breply_…>" would otherwise slip past the pattern.
    return _LOOKALIKE_TAG.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), strip_invisible(text))


_DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−"})
_QUOTES = str.maketrans({"‘": "'", "’": "'", "‛": "'", "“": '"', "”": '"', "‟": '"'})
_NOT_WORD = re.compile(r"[^\w]+")


def _words(text: str) -> str:
    """Text reduced to its words: case, whitespace, quotes, dashes and punctuation do not count."""
    text = strip_invisible(text).lower().translate(_DASHES).translate(_QUOTES).replace("'", "")
    return " ".join(_NOT_WORD.sub(" ", text).split())


def quote_in_reply(quote: str, reply: str) -> bool:
    """Whether every piece of a quote (split at ellipses) occurs in the reply as whole words, forgiving
    formatting (case, spacing, quotes, dashes, punctuation) but not content."""
    pieces = [_words(p) for p in re.split(r"\.\.\.|…", quote)]
    pieces = [p for p in pieces if p]
    haystack = f" {_words(reply)} "
    return bool(pieces) and all(f" {p} " in haystack for p in pieces)


_DOWNGRADE: dict[str, KeyPointStatus] = {
    "covered": "partial",
    "recovered": "partial",
    "partial": "missed",
    "contradicted": "missed",
    "missed": "missed",
}


class LLMGrader:
    def __init__(self, client: ChatModel, settings: LLMSettings) -> None:
        self.client = client
        self.name = f"llm:{client.model}"
        self.budget = settings.budget
        self.answer_tokens = settings.answer_tokens
        self.offline = OfflineGrader()
        self.rubrics: dict[str, Rubric] = {k: load_rubric(k) for k in ("technical", "experience")}
        self.system_prompt = render(
            "grader_system.md.j2", rubrics=list(self.rubrics.values()), anchors=settings.anchors
        )

    def knowing(self, questions: Iterable[Question]) -> LLMGrader:
        """The same grader, its offline reading (probe and fallback) knowing the banks in use."""
        clone = copy.copy(self)
        clone.offline = self.offline.knowing(questions)
        return clone

    async def grade(self, request: GradeRequest, usage: Usage | None = None) -> Grade:
        if (minimum := self.offline.no_answer(request)) is not None:
            return minimum  # nothing to send: the minimum, without a model call
        try:
            async with asyncio.timeout(self.budget):
                return await self._grade(request, usage)
        except TimeoutError:
            reason = f"grading took longer than the {self.budget:g} s budget"
        except GraderError as exc:  # LLMError and anything else the client reports as a failed grading
            reason = getattr(exc, "reason", str(exc))
        # Graded offline only now that it is needed (by meaning it costs a model run), in a worker thread.
        fallback = await self.offline.grade(request)
        return fallback.model_copy(update={"fallback_reason": reason})

    def messages(self, request: GradeRequest) -> tuple[list[dict[str, str]], bool]:
        """The chat messages for a request, and whether the reply was cut to the token budget."""
        rubric = self.rubrics[request.kind]
        tag = f"reply_{secrets.token_hex(4)}"
        # Sentences that address the grader are taken out before the model reads the reply (the flag says so),
        # in the first answer and the follow-up answers alike, and all of them share one token budget.
        removed = "[text addressed to the grader removed]"
        reply, _ = t.without_injection(request.answer, removed)
        reply, truncated = truncate_to_tokens(reply, self.answer_tokens)
        budget = max(0, self.answer_tokens - count_tokens(reply).tokens)
        followups = []
        for f in request.followups:
            if not f.answer:
                continue
            answer, _ = t.without_injection(f.answer, removed)
            answer, cut = truncate_to_tokens(answer, budget)
            truncated = truncated or cut
            budget = max(0, budget - count_tokens(answer).tokens)
            # the follow-up question was written by a model that read the reply: it is neutralised too
            followups.append({"question": neutralise_tags(f.question), "answer": neutralise_tags(answer)})
        user = render(
            "grade_request.md.j2",
            rubric=rubric.name,
            kind=request.kind,
            question=request.question,
            reference=request.reference,
            key_points=self._key_points(request),
            hinted=request.hinted,
            tag=tag,
            reply=neutralise_tags(reply),
            truncated=truncated,
            followups=followups,
            criteria=[c.name for c in rubric.criteria],
        )
        return [{"role": "system", "content": self.system_prompt}, {"role": "user", "content": user}], truncated

    async def _grade(self, request: GradeRequest, usage: Usage | None) -> Grade:
        rubric = self.rubrics[request.kind]
        messages, truncated = self.messages(request)
        output = grade_output_model(rubric, len(self._key_points(request)))
        out = await self.client.structured(messages, output, usage=usage)  # any schema-valid reply is complete
        return self._to_grade(out, request, rubric, truncated)

    @staticmethod
    def _key_points(request: GradeRequest) -> list[str]:
        return request.key_points or extract_key_points(request.reference)

    def _to_grade(self, out: BaseModel, request: GradeRequest, rubric: Rubric, truncated: bool) -> Grade:
        reply = request.full_reply()
        points = self._key_points(request)
        key_points = []
        for point, k in zip(points, key_point_outputs(out, len(points))):
            status: KeyPointStatus = k.status
            evidence = k.evidence.strip() or None
            if status != "missed" and not (evidence and quote_in_reply(evidence, reply)):
                status, evidence = _DOWNGRADE[status], None  # a claim without a real quote is not credited
            if status in ("covered", "recovered") and evidence:  # where the quote is says which of the two
                status = "covered" if quote_in_reply(evidence, request.answer) else "recovered"
            key_points.append(KeyPoint(point=point, status=status, evidence=evidence if status != "missed" else None))
        flags = []
        fields = out.model_dump(by_alias=True)
        if fields["possible_prompt_injection"] or t.injection_spans(strip_invisible(reply)):
            flags.append(INJECTION)
        if truncated:
            flags.append(TRUNCATED)
        criteria = criterion_outputs(out, rubric)
        return assemble_grade(
            rubric,
            {name: c.score for name, c in criteria.items()},
            {name: c.reasoning for name, c in criteria.items()},
            key_points,
            strengths=fields["strengths"],
            factual_errors=fields["factual_errors"],
            suggestions=fields["suggestions"],
            improved_answer=fields["improved_answer"].strip() or None,
            grader=self.name,
            flags=flags,
        )


class LLMFollowUps:
    """Follow-up questions written by the LLM, streamed as they arrive."""

    def __init__(self, client: ChatModel, budget: float = 20.0) -> None:
        self.client = client
        self.budget = budget
        """Seconds the follow-up may take in all, retries included: the candidate is waiting for it."""
        self.system_prompt = render("followup_system.md.j2")

    async def write(self, request: GradeRequest, missed: list[str], usage: Usage | None = None) -> AsyncIterator[str]:
        tag = f"reply_{secrets.token_hex(4)}"
        user = render(
            "followup_request.md.j2",
            question=request.question,
            missed=missed[:3],
            tag=tag,
            reply=neutralise_tags(request.full_reply()),
        )
        messages = [{"role": "system", "content": self.system_prompt}, {"role": "user", "content": user}]
        # One budget for the whole follow-up (a stalled or silent server included): then the template takes over.
        try:
            async with asyncio.timeout(self.budget):
                async for piece in self.client.stream_text(messages, usage, max_tokens=120):
                    yield piece
        except TimeoutError as exc:
            raise LLMError(f"the LLM did not write a follow-up within {self.budget:g} s") from exc


__all__ = ["LLMError", "LLMFollowUps", "LLMGrader", "neutralise_tags", "quote_in_reply", "strip_invisible"]
