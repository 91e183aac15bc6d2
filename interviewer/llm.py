"""The one module that talks to an LLM: OpenAI or any OpenAI-compatible server (Ollama, vLLM, LM Studio,
llama.cpp).

Structured output climbs down a ladder of the dialects real servers speak, remembering per server and model
the one that worked: OpenAI's strict `json_schema`; `json_object` with a `schema` (llama-cpp-python, which
builds a grammar from it); plain `json_object` with the schema in the prompt; no `response_format` at all.
A rejection that names the response format (a 400, or a 5xx saying so) is a capability answer, not a
transient fault: the next dialect is tried. Output that fails validation gets one repair retry. The SDK
itself retries 429/5xx/timeouts with backoff (honouring Retry-After). Every failure ends as an `LLMError`
whose `reason` is fit to show the user.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar
from urllib.parse import urlparse

import httpx2
import openai
from pydantic import BaseModel, ValidationError

from .config import LLMSettings
from .errors import ConfigError, GraderError
from .netguard import Allowed, guarded_client
from .prompts import render
from .tokens import Usage, count_tokens, load_prices
from .unicode import describe_character, not_header_safe, unusable_character, unwrapped

M = TypeVar("M", bound=BaseModel)
log = logging.getLogger(__name__)


class LLMError(GraderError):
    """The LLM could not give a usable answer; `reason` says why in plain words."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class InvalidOutput(ValueError):
    """Output that parses but breaks a rule the schema cannot express (raised by `check` functions)."""


DIALECTS = ("json_schema", "json_object_schema", "json_object", "prompt_only")
"""Structured-output dialects, best first: see the module docstring."""


@dataclass
class Capabilities:
    """What a server and model have shown they accept, remembered for the process."""

    dialect: int = 0
    """Index into DIALECTS of the best dialect not yet refused."""
    temperature: bool = True
    seed: bool = True
    stream_usage: bool = True


@dataclass(frozen=True)
class Endpoint:
    """Where the model is served and how it is reached."""

    base_url: str | None = None
    """None: OpenAI's own."""
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 60.0
    """Seconds per attempt."""
    retries: int = 2
    """The SDK's own retries of a failed connection, a timeout, 429 or 5xx."""
    allowed: Allowed | None = None
    """For a URL a hosted app's visitor typed: the hosts each connection may reach (netguard.py)."""

    def __post_init__(self) -> None:
        # What reaches the SDK can be sent: a key as an HTTP header carries it, a URL that names a server. A value
        # that cannot is refused here, naming the setting, not at every request with an encoding error.
        object.__setattr__(self, "api_key", clean_api_key(self.api_key))
        object.__setattr__(self, "base_url", (self.base_url or "").strip() or None)  # a .env line's newline too
        if self.base_url and (problem := check_base_url(self.base_url)):
            raise ConfigError(f"OPENAI_BASE_URL is not usable: {problem}")


class ChatModel(Protocol):
    """What the graders and the drafter need of a model: `LLMClient` over HTTP, or an in-process function in tests."""

    model: str

    async def structured(
        self,
        messages: list[dict[str, str]],
        output: type[M],
        check: Callable[[M], M] = ...,
        usage: Usage | None = None,
    ) -> M: ...

    def stream_text(
        self, messages: list[dict[str, str]], usage: Usage | None = None, max_tokens: int = 200
    ) -> AsyncIterator[str]: ...


class LLMClient:
    _capabilities: dict[tuple[str, str], Capabilities] = {}  # per (server, model), shared by all sessions

    def __init__(
        self,
        model: str,
        endpoint: Endpoint | None = None,
        *,
        temperature: float | None = 0.0,
        seed: int | None = 7,
        prices: str | None = None,
    ) -> None:
        self.model = model
        self.endpoint = endpoint or Endpoint()
        self.temperature = temperature
        self.seed = seed
        self.prices = prices
        self._clients: dict[int, openai.AsyncOpenAI] = {}

    @property
    def base_url(self) -> str | None:
        return self.endpoint.base_url

    @property
    def timeout(self) -> float:
        return self.endpoint.timeout

    @property
    def client(self) -> openai.AsyncOpenAI:
        """The SDK client of the running event loop (its connection pool cannot cross loops)."""
        loop = id(asyncio.get_running_loop())
        if loop not in self._clients:
            # A local server (base URL, no key) needs no key, but the SDK wants a non-empty string.
            client = openai.AsyncOpenAI(
                api_key=self.endpoint.api_key or "not-needed",
                base_url=self.endpoint.base_url,
                timeout=self.endpoint.timeout,
                max_retries=self.endpoint.retries,
                http_client=self._http_client(),
            )
            # The SDK adds headers of its own from the environment (OPENAI_ORG_ID, OPENAI_PROJECT_ID): one it
            # cannot encode would fail every request with a bare UnicodeEncodeError. An LLMError lets the grading
            # fall back offline and say why.
            if problem := unsendable_header({**client.default_headers, **client.auth_headers}):
                raise LLMError(problem)
            self._clients = {loop: client}
        return self._clients[loop]

    def _http_client(self) -> httpx2.AsyncClient:
        # An API answers where it is asked: a redirect could lead a hosted app's request to an internal
        # address the typed URL was checked against (server-side request forgery).
        if self.endpoint.allowed is not None:
            return guarded_client(self.endpoint.allowed)
        return openai.DefaultAsyncHttpxClient(follow_redirects=False)

    @property
    def _completions(self) -> Any:
        # Messages and sampling options are plain dicts built at run time: the SDK's TypedDict overloads
        # cannot be matched from them, so its chat completions are used untyped here (and checked by tests).
        return self.client.chat.completions

    @classmethod
    def from_settings(cls, settings: LLMSettings, allowed: Allowed | None = None) -> LLMClient:
        """The client the settings describe (`allowed`: the hosts a visitor's typed URL may reach)."""
        if not settings.model:
            raise LLMError("no model name: set INTERVIEWER_MODEL")
        if problem := check_model_name(settings.model):
            raise LLMError(f"INTERVIEWER_MODEL is not usable: {problem}")
        endpoint = Endpoint(
            base_url=settings.base_url,
            api_key=settings.api_key.get_secret_value() if settings.api_key else None,
            timeout=settings.timeout,
            retries=settings.retries,
            allowed=allowed,
        )
        prices = str(settings.prices) if settings.prices else None
        return cls(settings.model, endpoint, temperature=settings.temperature, seed=settings.seed, prices=prices)

    @property
    def server(self) -> str:
        return server_name(self.base_url)

    @property
    def caps(self) -> Capabilities:
        return self._capabilities.setdefault((str(self.base_url), self.model), Capabilities())

    def _sampling(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if self.temperature is not None and self.caps.temperature:
            params["temperature"] = self.temperature
        if self.seed is not None and self.caps.seed:
            params["seed"] = self.seed
        return params

    def _record(self, usage: Usage | None, reported: Any, messages: list[dict[str, str]], output: str) -> None:
        """Add a call's tokens: as the server reported them (an SDK usage object or a raw dict), else counted."""
        if usage is None:
            return
        if isinstance(reported, dict):
            reported = type("Reported", (), reported)
        if reported is not None and getattr(reported, "prompt_tokens", None) is not None:
            prompt, done = reported.prompt_tokens, getattr(reported, "completion_tokens", 0) or 0
        else:
            prompt = sum(count_tokens(m["content"], self.model).tokens for m in messages)
            done = count_tokens(output, self.model).tokens
        usage.add(prompt, done, load_prices(self.prices).cost(self.model, prompt, done))

    def _adapt(self, exc: openai.APIStatusError, dialect: int | None = None) -> bool:
        """Learn from a rejection that names an unsupported parameter; True when a retry may now succeed.

        `dialect`: the structured-output dialect the rejected request used. Requests in flight at once all
        learn that one dialect is refused: the next one is tried, not one further down per request."""
        text = f"{getattr(exc, 'param', '') or ''} {exc.message}".lower()
        caps = self.caps
        names_format = any(word in text for word in ("response_format", "json_schema", "schema", "json_object"))
        if names_format and dialect is not None and dialect + 1 < len(DIALECTS):
            caps.dialect = max(caps.dialect, dialect + 1)
        elif exc.status_code >= 500:  # a 5xx is a capability answer only when it names the response format
            return False
        elif caps.temperature and "temperature" in text and self.temperature is not None:
            caps.temperature = False
        elif caps.seed and "seed" in text and self.seed is not None:
            caps.seed = False
        elif caps.stream_usage and "stream_options" in text:
            caps.stream_usage = False
        else:
            return False
        return True

    async def structured(
        self,
        messages: list[dict[str, str]],
        output: type[M],
        check: Callable[[M], M] = lambda value: value,
        usage: Usage | None = None,
    ) -> M:
        """One validated instance of `output`, by the best route the server supports."""
        repair_error: str | None = None
        for _ in range(8):  # bounded: a few capability adaptations plus one repair
            attempt = list(messages)
            if repair_error is not None:
                attempt.append({"role": "user", "content": render("repair_request.md.j2", error=repair_error)})
            try:
                dialect = self.caps.dialect
                value = await self._structured_once(attempt, output, usage, dialect)
                return check(value)
            except openai.BadRequestError as exc:
                if self._adapt(exc, dialect):
                    continue
                raise LLMError(f"the LLM server rejected the request: {exc.message}") from exc
            except openai.InternalServerError as exc:
                if self._adapt(exc, dialect):  # e.g. llama-cpp-python answers json_schema with a 500
                    continue
                raise LLMError(describe_api_error(exc, self)) from exc
            except (ValidationError, InvalidOutput, json.JSONDecodeError) as exc:
                if repair_error is not None:
                    raise LLMError(f"the model's output was invalid twice ({_first_line(exc)})") from exc
                repair_error = _first_line(exc, 600)
            except openai.APIError as exc:
                raise LLMError(describe_api_error(exc, self)) from exc
        raise LLMError("the LLM server kept rejecting the request parameters")

    async def _structured_once(
        self, messages: list[dict[str, str]], output: type[M], usage: Usage | None, dialect_index: int
    ) -> M:
        dialect = DIALECTS[dialect_index]
        schema = output_schema(output)
        options: dict[str, Any] = {}
        if dialect == "json_schema":
            strict = {"name": output.__name__, "schema": schema.strict, "strict": True}
            options["response_format"] = {"type": "json_schema", "json_schema": strict}
        elif dialect == "json_object_schema":  # the server builds a grammar from the schema: it needs no prompt
            options["response_format"] = {"type": "json_object", "schema": schema.inline}
        else:
            # The schema goes in a system message placed before every per-request part (cacheable).
            guide = {"role": "system", "content": render("json_mode.md.j2", schema=schema.text)}
            messages = [messages[0], guide, *messages[1:]]
            if dialect == "json_object":
                options["response_format"] = {"type": "json_object"}
        completion = await self._completions.create(model=self.model, messages=messages, **options, **self._sampling())
        choice = completion.choices[0]
        content = choice.message.content or ""
        self._record(usage, completion.usage, messages, content)
        if getattr(choice.message, "refusal", None):
            raise LLMError(f"the model refused to grade: {_first_line(choice.message.refusal)}")
        if choice.finish_reason == "content_filter":
            raise LLMError("the provider's content filter stopped the model's output")
        if choice.finish_reason == "length":
            raise InvalidOutput("the output was cut off (length limit)")
        if not content.strip():
            raise InvalidOutput("the model returned no JSON content")
        try:  # strict=False: grammar-constrained servers may put a raw newline inside a JSON string
            value = json.loads(_strip_fences(content), strict=False)
        except json.JSONDecodeError as exc:
            log.debug("not JSON from %s (finish reason %s): %r", self.server, choice.finish_reason, content[:4000])
            raise InvalidOutput(f"Invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
        return output.model_validate(value)

    async def stream_text(
        self, messages: list[dict[str, str]], usage: Usage | None = None, max_tokens: int = 200
    ) -> AsyncIterator[str]:
        """Text as the model writes it."""
        for _ in range(4):
            pieces: list[str] = []
            try:
                async for piece in self._stream_once(messages, usage, max_tokens, pieces):
                    yield piece
                return
            except openai.BadRequestError as exc:
                if not pieces and self._adapt(exc):
                    continue
                raise LLMError(f"the LLM server rejected the request: {exc.message}") from exc
            except (openai.APIError, httpx2.HTTPError) as exc:  # httpx2: should the SDK let it through
                if isinstance(exc, httpx2.HTTPError) or (pieces and type(exc) is openai.APIConnectionError):
                    raise LLMError(f"the LLM server's stream broke off ({_first_line(exc)})") from exc
                raise LLMError(describe_api_error(exc, self)) from exc
        raise LLMError("the LLM server kept rejecting the request parameters")

    async def _stream_once(
        self, messages: list[dict[str, str]], usage: Usage | None, max_tokens: int, pieces: list[str]
    ) -> AsyncIterator[str]:
        """One streamed request: each piece is yielded and kept in `pieces`; the usage is recorded at the end."""
        params = self._sampling()
        if self.caps.stream_usage:
            params["stream_options"] = {"include_usage": True}
        stream = await self._completions.create(
            model=self.model, messages=messages, stream=True, max_tokens=max_tokens, **params
        )
        final = None
        async for chunk in stream:
            if chunk.usage is not None:
                final = chunk
            if chunk.choices and (text := chunk.choices[0].delta.content):
                pieces.append(text)
                yield text
        self._record(usage, final.usage if final else None, messages, "".join(pieces))


@dataclass(frozen=True)
class OutputSchema:
    text: str
    """Compact, with $defs: for the prompt."""
    inline: dict[str, Any]
    """Every $ref resolved: for servers that build a grammar from it."""
    strict: dict[str, Any]
    """With $defs, without the keywords OpenAI's strict mode refuses (maxLength, minLength)."""


_SCHEMAS: dict[type[BaseModel], OutputSchema] = {}


def output_schema(output: type[BaseModel]) -> OutputSchema:
    """An output model's JSON schema in the forms the dialects need, made once per model (the models are
    cached per rubric and key-point count, and generating a schema costs more than a request's own work)."""
    if output not in _SCHEMAS:
        schema = output.model_json_schema()
        inline = _inline_refs(schema, schema.get("$defs", {}))
        _SCHEMAS[output] = OutputSchema(
            text=json.dumps(schema, separators=(",", ":")),
            inline=inline,
            strict=_without(schema, ("maxLength", "minLength", "title")),
        )
    return _SCHEMAS[output]


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target = defs[node["$ref"].rsplit("/", 1)[-1]]
            merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            return _inline_refs(merged, defs)
        return {k: _inline_refs(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline_refs(v, defs) for v in node]
    return node


def _without(node: Any, keys: tuple[str, ...]) -> Any:
    if isinstance(node, dict):
        # "properties" maps field names to schemas: a field may be called "title" and must stay
        return {k: (_without(v, keys) if k != "properties" else {n: _without(s, keys) for n, s in v.items()})
                for k, v in node.items() if k not in keys}  # fmt: skip
    if isinstance(node, list):
        return [_without(v, keys) for v in node]
    return node


def server_name(base_url: str | None) -> str:
    """How a server is named to people, in logs, grades and exports: host and port only. User info and query
    strings often carry credentials and never leave the client."""
    if not base_url:
        return "api.openai.com"
    parsed = urlparse(base_url)
    try:
        port = f":{parsed.port}" if parsed.port else ""
    except ValueError:  # a port that is not a number: name the host alone
        port = ""
    return f"{parsed.hostname}{port}" if parsed.hostname else "the configured server"


def check_base_url(base_url: str) -> str | None:
    """Why a base URL cannot be an OpenAI-compatible server's, or None when it can (said to follow "the base URL
    is not usable: "; the URL itself is never repeated, for it may hold a character a page cannot show)."""
    if bad := unusable_character(base_url):
        return f"it holds {bad}"
    try:
        parsed = urlparse(base_url)
    except ValueError as exc:  # a bracket without its pair, or brackets around what is no IPv6 address
        if "Invalid IPv6 URL" in str(exc):
            return "its host has a [ without a ] (or a ] without a [): an IPv6 address is written http://[::1]:11434/v1"
        return "the address in its brackets is not an IPv6 address, e.g. http://[::1]:11434/v1"
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return "it must start with http:// or https:// and name a host, e.g. http://localhost:11434/v1"
    if any(c.isspace() for c in parsed.netloc):
        return "its host has a space in it"
    try:
        parsed.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return "its port is not a number from 0 to 65535"
    try:
        httpx2.URL(base_url)  # what the client will make of it
    except httpx2.InvalidURL as exc:
        return f"it is not a valid URL ({exc})"
    return None


def check_model_name(model: str) -> str | None:
    """Why a model name cannot be used (None: it can): it is sent to the server and shown on every page."""
    if bad := unusable_character(model):
        return f"it holds {bad}"
    if len(model) > 200:
        return "it is longer than 200 characters"
    return None


def clean_api_key(key: str | None, setting: str = "OPENAI_API_KEY") -> str | None:
    """The key as an HTTP header can carry it (None: no key): whitespace around it (a trailing newline) and
    quotes, straight or typographic (a key pasted from a document), taken off. A character that is not
    printable ASCII left in it is refused with a ConfigError naming `setting` (the key is never shown)."""
    if key is None or not (cleaned := unwrapped(key)):
        return None
    if found := not_header_safe(cleaned):
        at, char = found
        raise ConfigError(
            f"{setting} holds {describe_character(char)} at character {at + 1}: an API key is plain ASCII, with no "
            "quotes or spaces in it. Copy it again from the provider's page."
        )
    return cleaned


def unsendable_header(headers: dict[str, object]) -> str | None:
    """Why a request with these headers cannot be sent (a value that is not printable ASCII), or None."""
    for name, value in headers.items():
        if isinstance(value, str) and (found := not_header_safe(value)):
            what = describe_character(found[1])
            if name.lower() == "authorization":
                return f"the API key (OPENAI_API_KEY) holds {what}: an API key is plain ASCII"
            return f"the request header {name} holds {what} (check the OPENAI_* settings in the environment)"
    return None


def describe_api_error(exc: openai.APIError, client: LLMClient) -> str:
    """A plain-words reason for an SDK error (after the SDK's own retries)."""
    if isinstance(exc, openai.APITimeoutError):
        return f"the LLM server at {client.server} did not answer within {client.timeout:g} s"
    if isinstance(exc, openai.APIConnectionError):
        cause = str(exc.__cause__ or "")
        refused = f": {cause.removeprefix('refused: ')}" if cause.startswith("refused: ") else ""  # netguard.py
        return f"could not connect to the LLM server at {client.server}{refused}"
    if isinstance(exc, openai.AuthenticationError):
        return "the LLM server rejected the API key (401)"
    if isinstance(exc, openai.NotFoundError):
        return f"model {client.model!r} not found at {client.server} (404)"
    if isinstance(exc, openai.RateLimitError):
        return "the LLM server kept rate-limiting the requests (429)"
    if isinstance(exc, openai.APIStatusError):
        return f"the LLM server failed (HTTP {exc.status_code})"
    return f"LLM error: {_first_line(exc)}"


def _first_line(value: object, limit: int = 200) -> str:
    text = str(value).strip().splitlines()[0] if str(value).strip() else type(value).__name__
    if isinstance(value, ValidationError):
        # a root-level error (invalid JSON) has no location: no leading ": "
        text = "; ".join(": ".join(filter(None, (".".join(map(str, e["loc"])), e["msg"]))) for e in value.errors()[:5])
    return text[:limit]


def _strip_fences(text: str) -> str:
    """Some servers wrap JSON-mode output in ```json fences."""
    text = text.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    return text.strip()
