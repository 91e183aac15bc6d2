"""The LLM grader's output pinned per request, through every structured-output dialect a real server speaks:
any schema-valid reply is a complete grade; refusals step down the ladder once, concurrently too."""

from __future__ import annotations

import asyncio
import json
import random
import string
from pathlib import Path

import pytest

from interviewer.bank import Question, load_bank
from interviewer.config import Settings
from interviewer.grading.llm_grader import LLMGrader, quote_in_reply
from interviewer.grading.models import GradeRequest
from interviewer.llm import DIALECTS, Endpoint, LLMClient
from interviewer.rubric import load_rubric
from tests.support.fake_openai import (
    FakeOpenAI,
    format_dialect,
    llama_cpp_refusal,
    reply,
    requested_schema,
    status,
    unsupported_response_format,
)
from tests.support.responders import GOOD_REPLY, GradingResponder

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = load_bank(ROOT / "bank" / "genai_misc.md").questions


def random_instance(schema: dict, rng: random.Random, root: dict | None = None) -> object:
    """Any value valid against the schema (the subset the grader's schemas use), chosen at random: what a
    server that follows the schema literally, and nothing else, may send."""
    root = root or schema
    if "$ref" in schema:
        return random_instance(root["$defs"][schema["$ref"].rsplit("/", 1)[-1]], rng, root)
    if "enum" in schema:
        return rng.choice(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        return {name: random_instance(sub, rng, root) for name, sub in schema["properties"].items()}
    if kind == "array":
        count = rng.randint(0, schema.get("maxItems", 3))
        return [random_instance(schema["items"], rng, root) for _ in range(count)]
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "string":
        alphabet = string.ascii_letters + string.digits + " .,'\"-\n{}[]<>"
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, min(60, schema.get("maxLength", 60)))))
    raise AssertionError(f"a schema the grader does not use: {schema}")


def grader_for(fake: FakeOpenAI, model: str = "fake-model") -> LLMGrader:
    client = LLMClient(model, Endpoint(base_url=fake.base_url, timeout=5, retries=0))
    return LLMGrader(client, Settings(llm_budget=20).llm)


def request_for(question: Question, answer: str = GOOD_REPLY) -> GradeRequest:
    return GradeRequest(question=question.text, reference=question.reference, answer=answer, kind=question.kind,
                        key_points=question.key_points)


@pytest.mark.parametrize("dialect", ["json_schema", "json_object_schema"])
def test_any_schema_valid_reply_is_a_complete_llm_grade(dialect):
    rng = random.Random(dialect)

    def literal_follower(body: dict) -> str:  # follows the request's schema and nothing else
        return json.dumps(random_instance(requested_schema(body), rng))

    with FakeOpenAI(responder=literal_follower) as fake:
        if dialect != "json_schema":
            fake.refused_formats = {"json_schema": llama_cpp_refusal}
        grader = grader_for(fake)
        for _ in range(3):
            for question in QUESTIONS:
                grade = asyncio.run(grader.grade(request_for(question)))
                assert grade.grader == "llm:fake-model", grade.fallback_reason
                rubric = load_rubric(question.kind)
                assert [c.name for c in grade.criteria] == [c.name for c in rubric.criteria]
                assert [k.point for k in grade.key_points] == question.key_points
        assert all(format_dialect(r.body) == dialect for r in fake.requests[-len(QUESTIONS):])


def test_llama_cpp_refuses_json_schema_with_a_500_and_gets_json_object_with_a_schema():
    with FakeOpenAI(responder=GradingResponder()) as fake:
        fake.refused_formats = {"json_schema": llama_cpp_refusal}
        grader = grader_for(fake)
        grade = asyncio.run(grader.grade(request_for(QUESTIONS[2])))
        assert grade.grader == "llm:fake-model", grade.fallback_reason
        asyncio.run(grader.grade(request_for(QUESTIONS[4])))
    assert [format_dialect(r.body) for r in fake.requests] == ["json_schema", "json_object_schema",
                                                               "json_object_schema"]  # remembered
    second = fake.requests[1].body
    assert second["response_format"]["schema"]["properties"]["key_points"]["required"][:2] == ["k1", "k2"]
    assert "$ref" not in json.dumps(second["response_format"]["schema"])  # inline: grammar builders need no refs
    assert [m["role"] for m in second["messages"]] == ["system", "user"]  # the grammar needs no schema prompt


def test_every_dialect_down_to_none_and_the_schema_in_the_prompt_where_the_server_cannot_take_it():
    with FakeOpenAI(responder=GradingResponder()) as fake:
        fake.refused_formats = {"json_schema": unsupported_response_format, "json_object_schema": llama_cpp_refusal,
                                "json_object": unsupported_response_format}
        grade = asyncio.run(grader_for(fake).grade(request_for(QUESTIONS[2])))
        assert grade.grader == "llm:fake-model", grade.fallback_reason
    assert [format_dialect(r.body) for r in fake.requests] == ["json_schema", "json_object_schema", "json_object",
                                                               None]
    last = fake.requests[-1].body
    assert "response_format" not in last
    assert [m["role"] for m in last["messages"]] == ["system", "system", "user"]
    assert '"key_points"' in last["messages"][1]["content"] and '"k1"' in last["messages"][1]["content"]
    assert len(DIALECTS) == 4


def test_requests_in_flight_together_step_down_one_dialect_not_one_each():
    with FakeOpenAI(responder=GradingResponder(), delay=0.2) as fake:
        fake.refused_formats = {"json_schema": llama_cpp_refusal}
        grader = grader_for(fake)

        async def together():
            return await asyncio.gather(*(grader.grade(request_for(q)) for q in QUESTIONS[:4]))

        grades = asyncio.run(together())
    assert all(g.grader == "llm:fake-model" for g in grades), [g.fallback_reason for g in grades]
    assert {format_dialect(r.body) for r in fake.requests} == {"json_schema", "json_object_schema"}


def test_a_500_that_does_not_name_the_format_is_a_fault_not_a_capability():
    with FakeOpenAI(responder=GradingResponder()) as fake:
        fake.enqueue(status(500))
        grade = asyncio.run(grader_for(fake).grade(request_for(QUESTIONS[2])))
        assert grade.grader == "offline:words" and "HTTP 500" in grade.fallback_reason
        grade = asyncio.run(grader_for(fake).grade(request_for(QUESTIONS[2])))
        assert grade.grader == "llm:fake-model"  # still json_schema: nothing was learnt from the fault
    assert [format_dialect(r.body) for r in fake.requests] == ["json_schema", "json_schema"]


def test_a_raw_newline_inside_a_json_string_is_accepted():
    responder = GradingResponder()

    def with_raw_newline(body: dict) -> str:
        return responder(body).replace("I would say that", "I would say\nthat", 1)

    with FakeOpenAI(responder=with_raw_newline) as fake:
        grade = asyncio.run(grader_for(fake).grade(request_for(QUESTIONS[2])))
    assert grade.grader == "llm:fake-model", grade.fallback_reason
    assert grade.improved_answer.startswith("I would say\nthat")


def test_a_reply_of_the_old_free_form_shape_is_repaired_not_accepted():
    old = {"possible_prompt_injection": False, "key_points": [{"point": "x", "evidence": "", "status": "missed"}],
           "criteria": [{"name": "invented", "reasoning": "r", "score": 3}], "factual_errors": [], "strengths": [],
           "suggestions": [], "improved_answer": ""}
    with FakeOpenAI(responder=GradingResponder()) as fake:
        fake.enqueue(reply(json.dumps(old)))
        grade = asyncio.run(grader_for(fake).grade(request_for(QUESTIONS[2])))
    assert grade.grader == "llm:fake-model" and len(fake.requests) == 2
    assert "Your previous output could not be used" in fake.requests[1].body["messages"][-1]["content"]


def test_evidence_forgives_formatting_not_content():
    said = "It's used for generating new samples — style transfer, and anomaly-detection. Similar inputs end up close."
    assert quote_in_reply("its used for generating new samples - style transfer and anomaly detection", said)
    assert quote_in_reply("“It’s USED for generating”", said)
    assert quote_in_reply("Similar inputs ... close", said)
    assert not quote_in_reply("used for generating new images", said)  # other content
    assert not quote_in_reply("used for gen", said)  # not whole words
    assert not quote_in_reply("...", said) and not quote_in_reply("", said)
