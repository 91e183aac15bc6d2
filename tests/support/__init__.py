"""Helpers shared by the tests and the benchmarks (test modules import from here, never from each other).

- `fake_openai`: a real HTTP server on 127.0.0.1 speaking the OpenAI API, with scripted faults.
- `function_model`: `FunctionModel`, an in-process model for engine, service and grader tests (no server).
- `responders`: what the fake model answers (`GradingResponder`, `grade_responder`) and the replies they grade.
- `browser`: the web app served on a free port, Chromium through Playwright, page helpers.
- `cli`: `run_cli(...)`, the `interviewer` command run in-process with its streams captured.
- `net`: `free_port()`; `netguard`: refuses connections to anything but loopback (installed by conftest).
- `hostile`: hostile replies for the adversarial tests.
"""
