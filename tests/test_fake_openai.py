"""The fake server, driven by the real `openai` SDK over real HTTP (no mocks)."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Literal

import openai
import pydantic
import pytest

from tests.support import fake_openai as fake_openai_module
from tests.support.fake_openai import (
    FakeOpenAI,
    drop,
    hang,
    length_cut,
    rate_limited,
    refusal,
    reply,
    sample_from_schema,
    stall_stream,
    status,
    truncated_json,
    unsupported_response_format,
    wrong_shape,
)

# the shared fixture; an assignment (not an import) keeps ruff's F811 quiet about test parameters
fake_openai = fake_openai_module.fake_openai

MESSAGES = [{"role": "user", "content": "Explain tokenization."}]


class KeyPoint(pydantic.BaseModel):
    point: str
    covered: bool


class Grade(pydantic.BaseModel):
    score: int = pydantic.Field(ge=1, le=5)
    verdict: Literal["pass", "fail"]
    key_points: list[KeyPoint]
    comment: str | None


def client(fake: FakeOpenAI, **kw) -> openai.OpenAI:
    kw.setdefault("max_retries", 0)
    return openai.OpenAI(base_url=fake.base_url, api_key="test", **kw)


def ask(c: openai.OpenAI, **kw):
    return c.chat.completions.create(model="gpt-test", messages=MESSAGES, **kw)


def test_plain_completion(fake_openai):
    r = ask(client(fake_openai))
    assert r.object == "chat.completion" and r.model == "gpt-test"
    assert r.choices[0].message.content == "This is a fake reply."
    assert r.choices[0].finish_reason == "stop"
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens
    assert r.usage.prompt_tokens_details.cached_tokens == 0
    (req,) = fake_openai.requests
    assert req.path == "/v1/chat/completions" and req.headers["authorization"] == "Bearer test"
    assert req.body["messages"] == MESSAGES


def test_models_list(fake_openai):
    assert [m.id for m in client(fake_openai).models.list()] == ["gpt-fake"]


def test_parse_uses_schema_responder(fake_openai):
    r = client(fake_openai).chat.completions.parse(model="m", messages=MESSAGES, response_format=Grade)
    parsed = r.choices[0].message.parsed
    assert isinstance(parsed, Grade)
    assert parsed.score == 1 and parsed.verdict == "pass" and parsed.comment == "ok"  # anyOf: first non-null
    assert parsed.key_points == [KeyPoint(point="ok", covered=True)]
    assert fake_openai.requests[0].body["response_format"]["type"] == "json_schema"


def test_sample_from_schema_refs_and_constraints():
    schema = {"type": "object", "$defs": {"Node": {"type": "object", "properties": {
        "kind": {"const": "leaf"}, "n": {"type": "number", "exclusiveMinimum": 2},
        "tags": {"type": "array", "items": {"type": "string", "minLength": 4}, "minItems": 2},
        "child": {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}]}}}},
        "properties": {"root": {"$ref": "#/$defs/Node"}}}
    root = sample_from_schema(schema)["root"]
    assert root["kind"] == "leaf" and root["n"] == 3 and root["tags"] == ["okkk", "okkk"]
    depth = 0
    while root["child"] is not None:  # recursion terminates with null
        root, depth = root["child"], depth + 1
    assert 0 < depth < 10


def test_json_object_mode_returns_empty_object(fake_openai):
    r = ask(client(fake_openai), response_format={"type": "json_object"})
    assert json.loads(r.choices[0].message.content) == {}


def test_custom_responder_and_reply_behaviour():
    with FakeOpenAI(responder=lambda body: body["messages"][-1]["content"].upper()) as fake:
        c = client(fake)
        fake.enqueue(reply("scripted"))
        assert ask(c).choices[0].message.content == "scripted"
        assert ask(c).choices[0].message.content == "EXPLAIN TOKENIZATION."
        assert fake.pending == 0


def test_streaming_text_and_usage(fake_openai):
    fake_openai.stream_chunk_delay = 0.01
    chunks = list(ask(client(fake_openai), stream=True, stream_options={"include_usage": True}))
    assert all(ch.object == "chat.completion.chunk" for ch in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    assert text == "This is a fake reply."
    assert len([ch for ch in chunks if ch.choices and ch.choices[0].delta.content]) > 3
    assert [ch.choices[0].finish_reason for ch in chunks if ch.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0


def test_async_streaming_refusal(fake_openai):
    fake_openai.enqueue(refusal("No."))

    async def run():
        async with openai.AsyncOpenAI(base_url=fake_openai.base_url, api_key="t", max_retries=0) as c:
            stream = await c.chat.completions.create(model="m", messages=MESSAGES, stream=True)
            return "".join([ch.choices[0].delta.refusal or "" async for ch in stream])

    assert asyncio.run(run()) == "No."


def test_429_retry_after_is_honoured(fake_openai):
    fake_openai.enqueue(rate_limited(retry_after=1))
    start = time.monotonic()
    r = ask(client(fake_openai, max_retries=2))
    assert r.choices[0].message.content == "This is a fake reply."
    assert len(fake_openai.requests) == 2
    assert time.monotonic() - start >= 0.9  # slept per Retry-After, not the 0.5 s default backoff


def test_429_without_retries_raises(fake_openai):
    fake_openai.enqueue(rate_limited())
    with pytest.raises(openai.RateLimitError) as e:
        ask(client(fake_openai))
    assert e.value.response.headers["retry-after"] == "1"
    assert e.value.code == "rate_limit_exceeded"


def test_500_then_success(fake_openai):
    fake_openai.enqueue(status(500))
    assert ask(client(fake_openai, max_retries=1)).choices[0].message.content
    assert len(fake_openai.requests) == 2


def test_unsupported_response_format(fake_openai):
    fake_openai.enqueue(unsupported_response_format())
    with pytest.raises(openai.BadRequestError) as e:
        client(fake_openai).chat.completions.parse(model="m", messages=MESSAGES, response_format=Grade)
    assert e.value.param == "response_format" and "not supported" in e.value.message


def test_reject_json_schema_mode(fake_openai):
    fake_openai.reject_json_schema = True
    c = client(fake_openai)
    for _ in range(2):
        with pytest.raises(openai.BadRequestError):
            c.chat.completions.parse(model="m", messages=MESSAGES, response_format=Grade)
    assert ask(c, response_format={"type": "json_object"}).choices[0].message.content == "{}"


def test_hang_past_timeout(fake_openai):
    fake_openai.enqueue(hang(5))
    start = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        ask(client(fake_openai, timeout=0.3))
    assert time.monotonic() - start < 2


def test_hang_then_reply_within_timeout(fake_openai):
    fake_openai.enqueue(hang(0.2))
    assert ask(client(fake_openai, timeout=3)).choices[0].message.content == "This is a fake reply."


def test_drop_raises_connection_error(fake_openai):
    fake_openai.enqueue(drop())
    with pytest.raises(openai.APIConnectionError):
        ask(client(fake_openai))


def test_refusal_with_parse(fake_openai):
    fake_openai.enqueue(refusal("I can't grade that."))
    msg = client(fake_openai).chat.completions.parse(
        model="m", messages=MESSAGES, response_format=Grade).choices[0].message
    assert msg.refusal == "I can't grade that." and msg.parsed is None and msg.content is None


def test_bad_outputs_with_parse(fake_openai):
    c = client(fake_openai)
    fake_openai.enqueue(truncated_json(), wrong_shape(), length_cut())
    for expected in (pydantic.ValidationError, pydantic.ValidationError, openai.LengthFinishReasonError):
        with pytest.raises(expected):
            c.chat.completions.parse(model="m", messages=MESSAGES, response_format=Grade)
    fake_openai.enqueue(length_cut("partial"))
    assert ask(c).choices[0].finish_reason == "length"


def test_fail_for_window(fake_openai):
    fake_openai.fail_for(0.3, code=503)
    c = client(fake_openai)
    with pytest.raises(openai.InternalServerError) as e:
        ask(c)
    assert e.value.status_code == 503
    time.sleep(0.35)
    assert ask(c).choices[0].message.content


def test_down_and_up_on_same_port(fake_openai):
    c = client(fake_openai)
    assert ask(c).choices[0].message.content  # leaves a keep-alive connection in the pool
    url = fake_openai.base_url
    fake_openai.down()
    with pytest.raises(openai.APIConnectionError):
        ask(c)
    fake_openai.up()
    assert fake_openai.base_url == url
    assert ask(c).choices[0].message.content


def test_stalled_stream_hits_read_timeout(fake_openai):
    fake_openai.enqueue(stall_stream(after_chunks=2, seconds=5))
    stream = ask(client(fake_openai, timeout=0.5), stream=True)
    got = []
    with pytest.raises(openai.APITimeoutError):
        for ch in stream:
            got.append(ch.choices[0].delta.content or "")
    assert "".join(got) == "This is "  # role chunk + two 4-char pieces arrived before the stall


def test_concurrent_requests_with_delay():
    async def run(fake: FakeOpenAI):
        async with openai.AsyncOpenAI(base_url=fake.base_url, api_key="t", max_retries=0) as c:
            return await asyncio.gather(*[
                c.chat.completions.create(model="m", messages=MESSAGES) for _ in range(20)])

    with FakeOpenAI(delay=1.0) as fake:
        start = time.monotonic()
        results = asyncio.run(run(fake))
        elapsed = time.monotonic() - start
    assert len(results) == 20 and len(fake.requests) == 20
    assert elapsed < 5, elapsed


@pytest.mark.slow  # the server as its own process
def test_cli_prints_base_url():
    script = Path(fake_openai_module.__file__)
    cmd = [sys.executable, str(script), "--port", "0", "--delay", "0"]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as proc:
        try:
            url = proc.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
            with openai.OpenAI(base_url=url, api_key="t", max_retries=0) as c:
                assert c.chat.completions.create(model="m", messages=MESSAGES).choices[0].message.content
        finally:
            proc.terminate()
