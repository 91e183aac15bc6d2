"""LLMClient against the fake OpenAI server over real HTTP: routes, capabilities learnt, errors in plain words."""

from __future__ import annotations

import asyncio
import json
from typing import Literal

import pytest
from pydantic import BaseModel

from interviewer.config import Settings
from interviewer.llm import Endpoint, InvalidOutput, LLMClient, LLMError
from interviewer.transcript import Usage
from tests.support.fake_openai import (
    FakeOpenAI,
    cut_stream,
    drop,
    error_body,
    length_cut,
    refusal,
    reply,
    stall_stream,
    status,
)

MESSAGES = [{"role": "system", "content": "You grade answers."}, {"role": "user", "content": "Grade: 42"}]


class Verdict(BaseModel):
    reasoning: str
    score: Literal[1, 2, 3, 4, 5]


GOOD = json.dumps({"reasoning": "fine", "score": 4})


@pytest.fixture
def fake():
    with FakeOpenAI(responder=lambda body: GOOD if body.get("response_format") else "Why would that be?") as server:
        yield server


def client_for(fake: FakeOpenAI, model: str = "fake-model", **options) -> LLMClient:
    options = {"timeout": 1.0, "retries": 0, **options}
    return LLMClient(model, Endpoint(base_url=fake.base_url, **options))


def structured(client: LLMClient, check=lambda v: v, usage: Usage | None = None, messages=MESSAGES) -> Verdict:
    return asyncio.run(client.structured(messages, Verdict, check, usage))


def stream(client: LLMClient, usage: Usage | None = None) -> list[str]:
    async def run() -> list[str]:
        return [piece async for piece in client.stream_text(MESSAGES, usage)]

    return asyncio.run(run())


def reason_of(call) -> str:
    with pytest.raises(LLMError) as info:
        call()
    return info.value.reason


# -- configuration --------------------------------------------------------------------------------


def test_from_settings_requires_a_model():
    assert "INTERVIEWER_MODEL" in reason_of(lambda: LLMClient.from_settings(Settings(base_url="http://x/v1").llm))


def test_from_settings_reads_the_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    monkeypatch.setenv("INTERVIEWER_MODEL", "llama3.1:8b")
    monkeypatch.setenv("INTERVIEWER_LLM_TIMEOUT", "7.5")
    monkeypatch.setenv("INTERVIEWER_LLM_RETRIES", "1")
    monkeypatch.setenv("INTERVIEWER_TEMPERATURE", "none")
    client = LLMClient.from_settings(Settings().llm)
    assert (client.model, client.timeout, client.endpoint.retries, client.temperature, client.seed) == (
        "llama3.1:8b", 7.5, 1, None, 7)
    assert client.server == "127.0.0.1:11434"
    assert LLMClient("gpt-4o-mini").server == "api.openai.com"


def test_a_local_server_needs_no_key(fake):
    assert structured(client_for(fake)).score == 4
    assert fake.requests[0].headers["authorization"] == "Bearer not-needed"


def test_the_api_key_is_sent_when_set(fake):
    structured(client_for(fake, api_key="sk-test-123"))
    assert fake.requests[0].headers["authorization"] == "Bearer sk-test-123"


# -- structured output ----------------------------------------------------------------------------


def test_structured_sends_json_schema_temperature_and_seed(fake):
    usage = Usage()
    assert structured(client_for(fake), usage=usage) == Verdict(reasoning="fine", score=4)
    body = fake.requests[0].body
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["strict"] is True
    assert body["temperature"] == 0 and body["seed"] == 7 and body["model"] == "fake-model"
    assert body["messages"] == MESSAGES
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0


def test_a_check_failure_gets_one_repair_with_the_reason(fake):
    calls = []

    def check(value: Verdict) -> Verdict:
        calls.append(value)
        if len(calls) == 1:
            raise InvalidOutput("score must match the reasoning")
        return value

    assert structured(client_for(fake), check).score == 4
    assert len(fake.requests) == 2
    assert "score must match the reasoning" in fake.requests[1].body["messages"][-1]["content"]


def test_an_out_of_range_score_is_repaired(fake):
    fake.enqueue(reply(json.dumps({"reasoning": "x", "score": 9})))
    assert structured(client_for(fake)).score == 4
    assert "score" in fake.requests[1].body["messages"][-1]["content"]


def test_length_cut_twice_is_reported(fake):
    fake.enqueue(length_cut(), length_cut())
    assert "invalid twice" in reason_of(lambda: structured(client_for(fake)))


def test_invalid_json_twice_gives_a_readable_reason(fake):
    fake.enqueue(reply('{"reasoning": "cut'), reply("not json at all"))
    reason = reason_of(lambda: structured(client_for(fake)))
    assert reason.startswith("the model's output was invalid twice (Invalid JSON")


def test_fenced_json_from_a_server_ignoring_json_schema(fake):
    """Some servers ignore response_format and wrap the JSON in fences (reported for some Ollama models)."""
    fake.enqueue(reply("```json\n" + GOOD + "\n```"))
    assert structured(client_for(fake)).score == 4
    assert len(fake.requests) == 1  # no repair round-trip needed


def test_refusal_is_reported(fake):
    fake.enqueue(refusal("I will not grade this."))
    reason = reason_of(lambda: structured(client_for(fake)))
    assert "refused" in reason and "I will not grade this." in reason


def test_json_mode_strips_code_fences(fake):
    fake.reject_json_schema = True
    fake.enqueue(reply("```json\n" + GOOD + "\n```"))
    assert structured(client_for(fake)).score == 4
    assert fake.requests[-1].body["response_format"]["type"] == "json_object"


def test_json_mode_refusal_and_length_cut(fake):
    client = client_for(fake)
    fake.reject_json_schema = True
    fake.enqueue(refusal())
    assert "refused" in reason_of(lambda: structured(client))
    fake.enqueue(length_cut('{"reasoning": "cut'))
    assert structured(client).score == 4
    assert "cut off" in fake.requests[-1].body["messages"][-1]["content"]


def test_capabilities_are_remembered_per_server_and_model(fake):
    fake.reject_json_schema = True
    structured(client_for(fake))
    assert len(fake.requests) == 2
    structured(client_for(fake))  # a new client for the same server and model: JSON mode at once
    assert len(fake.requests) == 3
    structured(client_for(fake, model="other-model"))  # another model may support json_schema: asks again
    assert [r.body["response_format"]["type"] for r in fake.requests[3:]] == ["json_schema", "json_object"]


def test_a_server_rejecting_seed_is_retried_without_it(fake):
    fake.enqueue(status(400, error_body(400, "Unrecognized request argument supplied: seed", param="seed")))
    assert structured(client_for(fake)).score == 4
    assert "seed" in fake.requests[0].body and "seed" not in fake.requests[1].body
    assert fake.requests[1].body["temperature"] == 0


def test_a_server_rejecting_everything_ends_in_a_plain_reason(fake):
    fake.enqueue(*[status(400, error_body(400, "response_format is not allowed here"))] * 4)
    reason = reason_of(lambda: structured(client_for(fake)))
    assert "rejected the request" in reason and "response_format" in reason
    formats = [r.body.get("response_format") for r in fake.requests]
    assert [f and (f["type"], "schema" in f) for f in formats] == [
        ("json_schema", False), ("json_object", True), ("json_object", False), None,  # every dialect; then it gives up
    ]


def test_another_400_is_not_retried(fake):
    fake.enqueue(status(400, error_body(400, "messages: too long")))
    assert "messages: too long" in reason_of(lambda: structured(client_for(fake)))
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    ("behaviour", "words"),
    [
        (status(401), "API key"),
        (status(404, error_body(404, "The model does not exist")), "'fake-model' not found"),
        (status(429), "rate-limiting"),
        (status(500), "HTTP 500"),
        (drop(), "could not connect"),
    ],
)
def test_api_errors_in_plain_words(fake, behaviour, words):
    fake.enqueue(behaviour)
    assert words in reason_of(lambda: structured(client_for(fake)))


def test_a_secret_key_never_appears_in_a_reason(fake):
    fake.enqueue(status(401, error_body(401, "Incorrect API key provided: sk-secret-999")))
    assert "sk-secret-999" not in reason_of(lambda: structured(client_for(fake, api_key="sk-secret-999")))


# -- streaming ------------------------------------------------------------------------------------


def test_stream_text_yields_pieces_and_counts_usage(fake):
    usage = Usage()
    pieces = stream(client_for(fake), usage)
    assert len(pieces) > 1 and "".join(pieces) == "Why would that be?"
    body = fake.requests[0].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["temperature"] == 0 and body["max_tokens"] == 200
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0


def test_stream_without_usage_support_counts_tokens_itself(fake):
    fake.enqueue(status(400, error_body(400, "stream_options is not supported", param="stream_options")))
    usage = Usage()
    assert "".join(stream(client_for(fake), usage)) == "Why would that be?"
    assert "stream_options" not in fake.requests[1].body
    assert usage.prompt_tokens > 0 and usage.completion_tokens == 5  # counted with the local encoding
    stream(client_for(fake))
    assert len(fake.requests) == 3 and "stream_options" not in fake.requests[2].body


def test_a_stalled_stream_raises_a_plain_reason(fake):
    fake.enqueue(stall_stream(1, 3))
    client = client_for(fake, timeout=0.5)

    async def run() -> list[str]:
        got = []
        with pytest.raises(LLMError, match="did not answer within 0.5 s"):
            async for piece in client.stream_text(MESSAGES):
                got.append(piece)
        return got

    assert asyncio.run(run()) == ["Why "]


def test_a_stream_cut_off_midway_raises_a_plain_reason(fake):
    fake.enqueue(cut_stream(1))

    async def run() -> list[str]:
        got = []
        with pytest.raises(LLMError, match="stream broke off"):
            async for piece in client_for(fake).stream_text(MESSAGES):
                got.append(piece)
        return got

    assert asyncio.run(run()) == ["Why "]


def test_a_stream_error_raises_a_plain_reason(fake):
    fake.enqueue(status(503))
    assert "HTTP 503" in reason_of(lambda: stream(client_for(fake)))


def test_one_sdk_client_per_event_loop(fake):
    client = client_for(fake)
    for _ in range(3):
        assert structured(client).score == 4

    async def two_at_once() -> list[Verdict]:
        return await asyncio.gather(*(client.structured(MESSAGES, Verdict) for _ in range(2)))

    assert len(asyncio.run(two_at_once())) == 2
    assert len(client._clients) == 1


def test_a_content_filter_stop_is_a_plain_reason(fake):
    fake.enqueue(reply('{"reasoning": "x', finish_reason="content_filter"))
    reason = reason_of(lambda: structured(client_for(fake)))
    assert "content filter" in reason
