"""What the project itself adds per graded answer, with the fake OpenAI server answering at once.

Runs 200 gradings through LLMGrader (the default bank's questions, each with a realistic "good"
reply from tests/data/labelled_genai_misc.jsonl) over real HTTP to tests/support/fake_openai.py, and prints:
- the total time per grading (median, p95);
- the HTTP exchange as the SDK's transport sees it (request sent to last response byte read),
  the time the fake spent building its answer, and a baseline of raw SDK requests with the
  same payload (no project code);
- hence the project's own overhead: total minus the HTTP exchange, per grading (target < 20 ms);
- where that overhead goes (offline probe, prompt building, parsing and checking);
- the prompt tokens per question: the static prefix (system message and response schema) apart
  from the per-question part.
Figures only; no assertions.  Run: .venv/bin/python bench/llm_overhead.py [N]
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx2  # noqa: E402  (the transport the openai SDK uses)
import openai  # noqa: E402

from interviewer.bank import DEFAULT_BANK, load_bank  # noqa: E402
from interviewer.config import Settings  # noqa: E402
from interviewer.grading.llm_grader import LLMGrader  # noqa: E402
from interviewer.grading.llm_schema import grade_output_model  # noqa: E402
from interviewer.grading.models import GradeRequest  # noqa: E402
from interviewer.llm import Endpoint, LLMClient, output_schema  # noqa: E402
from interviewer.tokens import count_tokens  # noqa: E402
from interviewer.transcript import Usage  # noqa: E402
from tests.support.fake_openai import FakeOpenAI  # noqa: E402
from tests.support.responders import GradingResponder, grade_request_of  # noqa: E402

MODEL = "gpt-4o-mini"  # a priced model, so cost accounting runs too
LABELLED = ROOT / "tests" / "data" / "labelled_genai_misc.jsonl"


class TimedTransport(httpx2.AsyncBaseTransport):
    """The SDK's HTTP transport, timing each exchange from the request sent to the body fully read."""

    def __init__(self) -> None:
        self.inner = httpx2.AsyncHTTPTransport()
        self.times: list[float] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        started = time.perf_counter()
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        self.times.append(time.perf_counter() - started)
        return httpx2.Response(response.status_code, headers=response.headers, content=content,
                               extensions=response.extensions, request=request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class TimedLLMClient(LLMClient):
    """LLMClient whose SDK client sends through a TimedTransport (everything else unchanged)."""

    transport = TimedTransport()

    @property
    def client(self) -> openai.AsyncOpenAI:
        loop = id(asyncio.get_running_loop())
        if loop not in self._clients:
            self._clients = {loop: openai.AsyncOpenAI(
                api_key="not-needed", base_url=self.base_url, timeout=self.timeout, max_retries=self.retries,
                http_client=openai.DefaultAsyncHttpxClient(transport=self.transport),
            )}
        return self._clients[loop]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:7.2f} ms   p95 {pct(values, 0.95) * 1000:7.2f} ms"


def requests_for_bank() -> list[GradeRequest]:
    good = {}
    for line in LABELLED.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["level"] == "good":
            good[row["question"]] = row["answer"]
    bank = load_bank(DEFAULT_BANK)
    return [GradeRequest(question=q.text, reference=q.reference, answer=good.get(q.text, q.reference),
                         kind=q.kind, key_points=q.key_points) for q in bank.questions]


async def run_gradings(grader: LLMGrader, requests: list[GradeRequest], n: int, responder: GradingResponder):
    transport = TimedLLMClient.transport
    usage = Usage()
    for request in requests[:5]:  # warm-up: SDK client, connection, encoding, caches
        await grader.grade(request, usage)
    totals, http, server, fallbacks = [], [], [], 0
    for i in range(n):
        request = requests[i % len(requests)]
        before_http, before_server = len(transport.times), responder.seconds
        started = time.perf_counter()
        grade = await grader.grade(request, usage)
        totals.append(time.perf_counter() - started)
        http.append(sum(transport.times[before_http:]))
        server.append(responder.seconds - before_server)
        fallbacks += grade.grader != grader.name
    return totals, http, server, fallbacks, usage


async def raw_baseline(base_url: str, bodies: list[dict], n: int) -> list[float]:
    """The same payloads sent with the bare SDK: no prompt building, no parsing into models."""
    client = openai.AsyncOpenAI(api_key="not-needed", base_url=base_url, max_retries=0)
    times = []
    for i in range(n + 5):
        body = bodies[i % len(bodies)]
        started = time.perf_counter()
        await client.chat.completions.create(**body)
        if i >= 5:
            times.append(time.perf_counter() - started)
    await client.close()
    return times


def breakdown(grader: LLMGrader, requests: list[GradeRequest], responder: GradingResponder, rounds: int = 20):
    """Per-grading cost of each project step, timed apart (same work as inside grade())."""
    steps: dict[str, list[float]] = {"offline probe": [], "prompt building (incl. reply truncation)": [],
                                     "output parsing (pydantic)": [], "checks and Grade (quotes, overall)": []}
    rubric = grader.rubrics
    for _ in range(rounds):
        for request in requests:
            t0 = time.perf_counter()
            grader.offline.assess(request)
            t1 = time.perf_counter()
            messages, truncated = grader.messages(request)
            t2 = time.perf_counter()
            content = responder({"messages": messages})
            t3 = time.perf_counter()
            output = grade_output_model(rubric[request.kind], len(grader._key_points(request)))
            out = output.model_validate_json(content)
            t4 = time.perf_counter()
            grader._to_grade(out, request, rubric[request.kind], truncated)
            t5 = time.perf_counter()
            for name, value in zip(steps, (t1 - t0, t2 - t1, t4 - t3, t5 - t4)):
                steps[name].append(value)
    return steps


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    requests = requests_for_bank()
    responder = GradingResponder()
    with FakeOpenAI(responder=responder) as fake:
        client = TimedLLMClient(MODEL, Endpoint(base_url=fake.base_url, timeout=10, retries=0))
        grader = LLMGrader(client, Settings(llm_budget=30).llm)
        totals, http, server, fallbacks, usage = asyncio.run(run_gradings(grader, requests, n, responder))
        bodies = [{k: v for k, v in r.body.items() if k != "stream"} for r in fake.requests[-len(requests):]]
        baseline = asyncio.run(raw_baseline(fake.base_url, bodies, n))

    overhead = [t - h for t, h in zip(totals, http)]
    print(f"LLM grading overhead: {n} gradings, {len(requests)} questions of {DEFAULT_BANK.name}, model {MODEL!r}, "
          f"fake server at 127.0.0.1 answering at once (TCP_NODELAY)")
    print(f"  fallbacks to the offline grader: {fallbacks}")
    print(f"  total per grading              {ms(totals)}")
    print(f"  HTTP exchange (transport)      {ms(http)}")
    print(f"    in the fake's responder      {ms(server)}")
    print(f"  raw SDK request, same payload  {ms(baseline)}   (baseline without project code)")
    print(f"  project overhead               {ms(overhead)}   (total - HTTP; target < 20 ms)")
    added = statistics.median(totals) - statistics.median(baseline)
    print(f"  total - raw baseline (medians) {added * 1000:7.2f} ms")
    print(f"  usage over the run: {usage.prompt_tokens} prompt + {usage.completion_tokens} completion tokens "
          f"(fake's count), estimated ${usage.estimated_cost_usd or 0:.4f}")
    print()
    print("Where the overhead goes (timed apart, per grading):")
    for name, values in breakdown(grader, requests, responder).items():
        print(f"  {name:<40} {ms(values)}")
    print()
    print_token_table(grader, requests)


def print_token_table(grader: LLMGrader, requests: list[GradeRequest]) -> None:
    system = grader.system_prompt
    system_tokens = count_tokens(system, MODEL)
    note = " (cl100k_base; approximate for this model)" if system_tokens.approximate else ""
    print(f"Prompt tokens per grading{note}; the system message first, identical for every question, then the")
    print("response schema, the same for every question of a rubric with as many key points:")
    no_anchors = count_tokens(LLMGrader(grader.client, Settings(anchors=0).llm).system_prompt, MODEL).tokens
    print(f"  system message {system_tokens.tokens} ({no_anchors} with INTERVIEWER_ANCHORS=0)")
    print(f"  {'question':<16} {'kind':<10} {'points':>6} {'schema':>7} {'reply':>6} {'request':>8} {'total':>7}")
    totals = []
    for request in requests:
        messages, _ = grader.messages(request)
        assert messages[0]["content"] == system
        points = len(grader._key_points(request))
        schema = json.dumps(output_schema(grade_output_model(grader.rubrics[request.kind], points)).strict)
        schema_tokens = count_tokens(schema, MODEL).tokens
        part = count_tokens(messages[1]["content"], MODEL).tokens
        reply = count_tokens(grade_request_of({"messages": messages})["reply"], MODEL).tokens
        totals.append(system_tokens.tokens + schema_tokens + part)
        qid = f"genai_misc#{requests.index(request) + 1}"
        print(f"  {qid:<16} {request.kind:<10} {points:>6} {schema_tokens:>7} {reply:>6} {part:>8} {totals[-1]:>7}")
    print(f"  mean total {statistics.mean(totals):.0f}; provider prompt caching applies from 1,024 identical prefix "
          f"tokens: the system message alone is {system_tokens.tokens}")


if __name__ == "__main__":
    main()
