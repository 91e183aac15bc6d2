"""An in-process model for engine, service and grader tests (in the style of pydantic-ai's `FunctionModel`).

The graders and the drafter take any `ChatModel`; this one answers by calling a Python function, so a test
states what the model says (or how long it takes, or how it fails) without a server, a socket or a timeout.
The HTTP fake (`fake_openai.py`) is for tests of `llm.py` itself: dialects, retries, streams, status codes.

    model = FunctionModel(lambda call: grade_responder(call.body()))
    grader = LLMGrader(model, Settings().llm)

The function gets a `ModelCall` and returns the model's text (JSON for a structured call), sync or async;
raising `LLMError` is a failed call, and an async function that sleeps is a slow model.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from interviewer.llm import LLMError, output_schema
from interviewer.tokens import Usage, count_tokens

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ModelCall:
    messages: list[dict[str, str]]
    output: type[BaseModel] | None  # None: a streamed text call (a follow-up)

    def body(self) -> dict:
        """The call as a Chat Completions request body, so the HTTP fake's responders can answer it too."""
        body: dict = {"model": "function", "messages": self.messages}
        if self.output is not None:
            schema = {"name": self.output.__name__, "schema": output_schema(self.output).strict, "strict": True}
            body["response_format"] = {"type": "json_schema", "json_schema": schema}
        return body

    @property
    def user(self) -> str:
        return self.messages[-1]["content"]


Answer = Callable[[ModelCall], "str | Awaitable[str]"]


@dataclass
class FunctionModel:
    function: Answer
    model: str = "function"
    calls: list[ModelCall] = field(default_factory=list)

    async def _text(self, call: ModelCall) -> str:
        self.calls.append(call)
        said = self.function(call)
        return await said if inspect.isawaitable(said) else said

    async def structured(
        self,
        messages: list[dict[str, str]],
        output: type[M],
        check: Callable[[M], M] = lambda value: value,
        usage: Usage | None = None,
    ) -> M:
        text = await self._text(ModelCall(list(messages), output))
        _count(usage, messages, text)
        try:
            return check(output.model_validate(json.loads(text)))
        except (ValidationError, json.JSONDecodeError) as exc:  # LLMClient repairs once; a test states the outcome
            raise LLMError(f"the model's output was invalid ({exc})") from exc

    async def stream_text(
        self, messages: list[dict[str, str]], usage: Usage | None = None, max_tokens: int = 200
    ) -> AsyncIterator[str]:
        text = await self._text(ModelCall(list(messages), None))
        _count(usage, messages, text)
        for start in range(0, len(text), 4):
            yield text[start : start + 4]


def _count(usage: Usage | None, messages: list[dict[str, str]], text: str) -> None:
    if usage is not None:
        prompt = sum(count_tokens(m["content"]).tokens for m in messages)
        usage.add(prompt, count_tokens(text).tokens, None)
