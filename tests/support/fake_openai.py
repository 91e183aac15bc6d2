"""A real HTTP server speaking the OpenAI Chat Completions API, for tests and benchmarks.

Standard library only. Point the official SDK at it:
    with FakeOpenAI() as fake:
        client = openai.OpenAI(base_url=fake.base_url, api_key="test")
        fake.enqueue(rate_limited(), reply('{"score": 3}'))

Per request the answer is chosen in this order: `delay` sleep -> `fail_for` window ->
`reject_json_schema` -> next enqueued behaviour (FIFO) -> `responder(body)`.
CLI: python tests/support/fake_openai.py --port 0 --delay 1.0   (prints the base URL first)
"""
from __future__ import annotations

import argparse
import json
import socket
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL = "gpt-fake"
CHUNK_CHARS = 4  # streamed content piece size
ERROR_TYPES = {400: "invalid_request_error", 401: "invalid_request_error", 404: "invalid_request_error",
               429: "requests", 500: "server_error", 502: "server_error", 503: "server_error"}


# ---------------------------------------------------------------- behaviours
@dataclass
class Behaviour:
    kind: str  # reply | refusal | status | hang | drop | stall_stream
    content: str | None = None  # None -> use the responder
    refusal: str | None = None
    finish_reason: str = "stop"
    code: int = 200
    body: dict | None = None
    headers: dict = field(default_factory=dict)
    seconds: float = 0.0
    close: bool = False
    after_chunks: int = 0


def reply(content: str, finish_reason: str = "stop") -> Behaviour:
    return Behaviour("reply", content=content, finish_reason=finish_reason)


def refusal(text: str = "I'm sorry, I can't help with that.") -> Behaviour:
    return Behaviour("refusal", refusal=text)


def error_body(code: int, message: str | None = None, type_: str | None = None,
               param: str | None = None, err_code: str | None = None) -> dict:
    err_type = type_ or ERROR_TYPES.get(code, "server_error")
    return {"error": {"message": message or f"Fake error {code}", "type": err_type, "param": param,
                      "code": err_code}}


def status(code: int, body: dict | None = None, headers: dict | None = None) -> Behaviour:
    return Behaviour("status", code=code, body=body or error_body(code), headers=dict(headers or {}))


def rate_limited(retry_after: float = 1) -> Behaviour:
    body = error_body(429, "Rate limit reached for requests", err_code="rate_limit_exceeded")
    return status(429, body, {"Retry-After": f"{retry_after:g}"})


def unsupported_response_format() -> Behaviour:
    return status(400, error_body(400, "response_format json_schema is not supported by this model",
                                  param="response_format"))


def hang(seconds: float, close: bool = False) -> Behaviour:
    """Sleep, then reply normally (or close the socket without answering if close=True)."""
    return Behaviour("hang", seconds=seconds, close=close)


def drop() -> Behaviour:
    return Behaviour("drop")


def truncated_json() -> Behaviour:
    return reply('{"key_points": [{"point": "a"')


def wrong_shape() -> Behaviour:
    return reply('{"answer": "42"}')


def length_cut(content: str = '{"key_points": [{"point": "a') -> Behaviour:
    return reply(content, finish_reason="length")


def stall_stream(after_chunks: int, seconds: float) -> Behaviour:
    """Streaming: send `after_chunks` content chunks, stall `seconds`, then finish if the client stayed."""
    return Behaviour("stall_stream", after_chunks=after_chunks, seconds=seconds)


def cut_stream(after_chunks: int) -> Behaviour:
    """Streaming: send `after_chunks` content chunks, then close the connection mid-stream."""
    return Behaviour("cut_stream", after_chunks=after_chunks)


# ---------------------------------------------------------------- schema sampling
def sample_from_schema(schema: Any, root: Any = None, depth: int = 0) -> Any:
    """Minimal valid instance of a JSON schema (the subset Structured Outputs / pydantic emit)."""
    root = schema if root is None else root
    if not isinstance(schema, dict):
        return None
    if "$ref" in schema:  # local refs only: "#/$defs/Name"
        target = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part] if part else target
        return sample_from_schema(target, root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            # past a few levels prefer null so recursive models terminate
            if not options or (depth > 6 and len(options) < len(schema[key])):
                return None
            return sample_from_schema(options[0], root, depth + 1)
    if "allOf" in schema:
        parts = [sample_from_schema(s, root, depth + 1) for s in schema["allOf"]]
        if all(isinstance(p, dict) for p in parts):
            return {k: v for p in parts for k, v in p.items()}
        return parts[0] if parts else None
    t = schema.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "null")
    if t is None:
        t = "object" if "properties" in schema else "array" if "items" in schema else "string"
    if t == "object":
        return {k: sample_from_schema(v, root, depth + 1) for k, v in schema.get("properties", {}).items()}
    if t == "array":
        # one item so nested content exists; fewer once deep (recursion), never below minItems
        n = max(schema.get("minItems", 0), 1 if depth <= 6 else 0)
        n = min(n, schema.get("maxItems", n))
        return [sample_from_schema(schema.get("items", {}), root, depth + 1) for _ in range(n)]
    if t in ("integer", "number"):
        if "minimum" in schema:
            value = schema["minimum"]
        elif "exclusiveMinimum" in schema:
            value = schema["exclusiveMinimum"] + 1
        else:
            value = min(0, schema.get("maximum", 0))
        return int(value) if t == "integer" else value
    if t == "boolean":
        return True
    if t == "null":
        return None
    formats = {"date-time": "2024-01-01T00:00:00Z", "date": "2024-01-01", "time": "00:00:00",
               "email": "user@example.com", "uri": "https://example.com", "uuid": str(uuid.UUID(int=0))}
    text = formats.get(schema.get("format"), "ok")
    text = text.ljust(schema.get("minLength", 0), "k")
    return text[: schema["maxLength"]] if "maxLength" in schema else text


def requested_schema(body: dict) -> dict | None:
    """The JSON schema a request asks its output to follow: OpenAI's json_schema, or llama-cpp-python's
    json_object with a schema; None for plain JSON mode or text."""
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return fmt.get("json_schema", {}).get("schema", {})
    if fmt.get("type") == "json_object" and "schema" in fmt:
        return fmt["schema"]
    return None


def format_dialect(body: dict) -> str | None:
    """Which structured-output dialect a request speaks: json_schema, json_object_schema, json_object or None."""
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_object" and "schema" in fmt:
        return "json_object_schema"
    return fmt.get("type")


def default_responder(body: dict) -> str:
    schema = requested_schema(body)
    if schema is not None:
        return json.dumps(sample_from_schema(schema))
    if (body.get("response_format") or {}).get("type") == "json_object":
        return "{}"
    return "This is a fake reply."


LLAMA_CPP_REFUSAL = (  # what llama-cpp-python 0.3.36's server answers a json_schema response format, with a 500
    "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': "
    "\"Input should be 'text' or 'json_object'\", 'input': 'json_schema'}"
)


def llama_cpp_refusal() -> Behaviour:
    return status(500, error_body(500, LLAMA_CPP_REFUSAL, type_="internal_server_error"))


# ---------------------------------------------------------------- server
@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict  # lower-cased names
    body: Any  # parsed JSON, or None


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256  # many clients connect at once in load tests
    fake: FakeOpenAI

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], OSError):  # disconnects are expected here
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API

    def log_message(self, *args):  # keep test output clean
        pass

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle plus delayed ACK adds ~40 ms a request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.fake = self.server.fake
        self.fake._track(self.connection, add=True)

    def finish(self):
        self.fake._track(self.connection, add=False)
        try:
            super().finish()
        except OSError:
            pass

    def _route(self) -> str:
        return self.path.split("?")[0].rstrip("/")

    def do_GET(self):
        self.fake._record(self, None)
        self.fake._sleep(self.fake.delay)
        if self._route() == "/v1/models":
            self._json(200, {"object": "list", "data": [
                {"id": MODEL, "object": "model", "created": 1700000000, "owned_by": "fake"}]})
        else:
            self._json(404, error_body(404, f"Unknown path {self.path}"))

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        self.fake._record(self, body)
        try:
            self._chat(body)
        except OSError:  # client went away (timeouts, drops): nothing to answer
            self.close_connection = True

    def _chat(self, body: Any) -> None:
        fake = self.fake
        if self._route() != "/v1/chat/completions":
            return self._json(404, error_body(404, f"Unknown path {self.path}"))
        if not isinstance(body, dict):
            return self._json(400, error_body(400, "We could not parse the JSON body of your request."))
        fake._sleep(fake.delay)
        fail_code = fake._failing_code()
        dialect = format_dialect(body)
        if fail_code:
            b = status(fail_code)
        elif fake.reject_json_schema and dialect == "json_schema":
            b = unsupported_response_format()
        elif dialect in fake.refused_formats:
            b = fake.refused_formats[dialect]()
        else:
            b = fake._next() or Behaviour("reply")
        if b.kind == "status":
            return self._json(b.code, b.body, b.headers)
        if b.kind == "drop" or (b.kind == "hang" and b.close):
            fake._sleep(b.seconds)
            return self._drop()
        if b.kind == "hang" or (b.kind == "stall_stream" and not body.get("stream")):
            fake._sleep(b.seconds)
        content = b.content
        if content is None and b.kind != "refusal":
            content = fake.responder(body)
        if body.get("stream"):
            return self._stream(body, content, b)
        message = {"role": "assistant", "content": content, "refusal": b.refusal, "annotations": []}
        self._json(200, {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "object": "chat.completion",
            "created": int(time.time()), "model": body.get("model", MODEL),
            "system_fingerprint": None, "service_tier": "default",
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": b.finish_reason}],
            "usage": self._usage(body, content or b.refusal or ""),
        })

    def _usage(self, body: dict, output: str) -> dict:
        prompt, completion = _tokens(json.dumps(body.get("messages", []))), _tokens(output)
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                              "accepted_prediction_tokens": 0,
                                              "rejected_prediction_tokens": 0}}

    def _json(self, code: int, obj: Any, headers: dict | None = None) -> None:
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-request-id", f"req_{uuid.uuid4().hex[:16]}")
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.end_headers()
        self.wfile.write(data)

    def _drop(self) -> None:
        self.close_connection = True
        try:  # FIN without any response bytes -> "Server disconnected" on the client
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _stream(self, body: dict, content: str | None, b: Behaviour) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        base = {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "object": "chat.completion.chunk",
                "created": int(time.time()), "model": body.get("model", MODEL), "system_fingerprint": None}

        def send(choices: list, **extra: Any) -> None:
            event = {**base, "choices": choices, **({"usage": None} if include_usage else {}), **extra}
            self._chunk(b"data: " + json.dumps(event).encode() + b"\n\n")

        def choice(delta: dict, finish: str | None = None) -> list:
            return [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]

        key, text = ("refusal", b.refusal) if b.kind == "refusal" else ("content", content or "")
        send(choice({"role": "assistant", "content": "", "refusal": None}))
        pieces = [text[i:i + CHUNK_CHARS] for i in range(0, len(text), CHUNK_CHARS)]
        for i, piece in enumerate(pieces):
            if b.kind == "stall_stream" and i == b.after_chunks:
                self.fake._sleep(b.seconds)
            if b.kind == "cut_stream" and i == b.after_chunks:
                return self._drop()
            self.fake._sleep(self.fake.stream_chunk_delay)
            send(choice({key: piece}))
        send(choice({}, b.finish_reason))
        if include_usage:
            send([], usage=self._usage(body, text))
        self._chunk(b"data: [DONE]\n\n")
        self._chunk(b"")  # terminating zero-length chunk

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()


class FakeOpenAI:
    def __init__(self, responder: Callable[[dict], str] = default_responder, delay: float = 0.0,
                 stream_chunk_delay: float = 0.0, port: int = 0):
        self.responder = responder
        self.delay = delay  # seconds slept before answering every request
        self.stream_chunk_delay = stream_chunk_delay
        self.reject_json_schema = False  # True: json_schema requests get 400, json_object ones work
        self.refused_formats: dict[str, Callable[[], Behaviour]] = {}
        """Dialect (see format_dialect) -> the refusal its requests get, e.g. {"json_schema": llama_cpp_refusal}."""
        self.port = port
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._queue: deque[Behaviour] = deque()
        self._fail: tuple[float, int] | None = None  # (deadline, status code)
        self._conns: set = set()
        self._server: _Server | None = None
        self._stopped = threading.Event()  # wakes sleeping handlers on stop()

    # lifecycle
    def start(self) -> FakeOpenAI:
        self._stopped.clear()
        self.up()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self.down()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def up(self) -> None:
        """(Re)start listening, on the same port after down()."""
        if self._server:
            return
        self._server = _Server(("127.0.0.1", self.port), _Handler)
        self._server.fake = self
        self.port = self._server.server_address[1]
        # short poll interval so down()/stop() return quickly
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         name=f"fake-openai-{self.port}", daemon=True).start()

    def down(self) -> None:
        """Stop listening and cut open keep-alive connections, so clients get 'connection refused'."""
        server, self._server = self._server, None
        if not server:
            return
        server.shutdown()
        server.server_close()
        with self._lock:
            conns, self._conns = list(self._conns), set()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # scripting
    def enqueue(self, *behaviours: Behaviour) -> FakeOpenAI:
        with self._lock:
            self._queue.extend(behaviours)
        return self

    def fail_for(self, seconds: float, code: int = 500) -> None:
        """Answer every request with `code` until `seconds` have passed (queue untouched)."""
        with self._lock:
            self._fail = (time.monotonic() + seconds, code)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def reset(self) -> None:
        """Forget requests, queued behaviours, fail_for and reject_json_schema (keeps responder/delays)."""
        with self._lock:
            self._requests.clear()
            self._queue.clear()
            self._fail = None
        self.reject_json_schema = False
        self.refused_formats = {}

    # used by the handler threads
    def _record(self, h: BaseHTTPRequestHandler, body: Any) -> None:
        rec = RecordedRequest(h.command, h.path, {k.lower(): v for k, v in h.headers.items()}, body)
        with self._lock:
            self._requests.append(rec)

    def _next(self) -> Behaviour | None:
        with self._lock:
            return self._queue.popleft() if self._queue else None

    def _failing_code(self) -> int | None:
        with self._lock:
            if self._fail and time.monotonic() < self._fail[0]:
                return self._fail[1]
            self._fail = None
            return None

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            (self._conns.add if add else self._conns.discard)(conn)

    def _sleep(self, seconds: float) -> None:
        if seconds and seconds > 0:
            self._stopped.wait(seconds)


try:  # the fixture is optional so the CLI works without pytest
    import pytest
except ImportError:  # pragma: no cover
    pytest = None

if pytest is not None:
    @pytest.fixture
    def fake_openai():
        with FakeOpenAI() as fake:
            yield fake


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake OpenAI Chat Completions server")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--stream-chunk-delay", type=float, default=0.0)
    parser.add_argument("--reject-json-schema", action="store_true")
    args = parser.parse_args(argv)
    fake = FakeOpenAI(delay=args.delay, stream_chunk_delay=args.stream_chunk_delay, port=args.port)
    fake.reject_json_schema = args.reject_json_schema
    fake.start()
    print(fake.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
