"""The `interviewer` command run in-process: what a subprocess would show, at a tenth of the cost or less.

`run_cli("bank", "check", "x.md", stdin="...", env={...})` calls `interviewer.cli.main(argv)` with
sys.stdin/sys.stdout/sys.stderr, sys.argv, the environment (and optionally the working directory) swapped
for the call, and returns `CliResult(code, out, err)`. What a subprocess would have shown is kept:

- stdin is a UTF-8 text stream over bytes, not a terminal (`isatty()` is False, as with a pipe), with no
  newline translation (as CPython's standard streams on POSIX);
- stdout/stderr are UTF-8 text streams over bytes (what cannot be encoded, e.g. a lone surrogate, fails as
  in a UTF-8 process), decoded afterwards with universal newlines like `subprocess.run(..., text=True)`,
  so a progress bar's "\\r" reads as a line break there too;
- argparse's SystemExit becomes the exit code (its message is on err); an uncaught exception becomes
  exit code 1 with its traceback on err, as the interpreter would print it;
- logging: the root logger starts without handlers, so the CLI's `logging.basicConfig(stream=sys.stderr)`
  takes effect and its records land on err; the test's logging setup is put back afterwards;
- help is wrapped at 80 columns (COLUMNS, unless set), as for a process whose output is a pipe;
- settings are read by pydantic-settings at call time, so `env` (None removes a variable) and a `.env` in
  the working directory (the test's tmp_path, see conftest) apply as they would to a new process.

`module="interviewer.cli"` runs that module as `python -m interviewer.cli` would (runpy, as __main__).
"""

from __future__ import annotations

import io
import logging
import os
import runpy
import sys
import traceback
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class CliResult:
    code: int
    """The exit status the process would have had."""
    out: str
    err: str


def run_cli(*argv: str | Path, stdin: str = "", env: Mapping[str, str | None] | None = None,
            cwd: str | Path | None = None, module: str | None = None) -> CliResult:
    """Run `interviewer *argv` in this process; see the module docstring for what is faithful to a subprocess."""
    from interviewer import cli

    args = [str(a) for a in argv]
    streams = _Streams(stdin)
    with pytest.MonkeyPatch.context() as mp, _fresh_root_logger():
        for name, value in (env or {}).items():
            if value is None:
                mp.delenv(name, raising=False)
            else:
                mp.setenv(name, value)
        if cwd is not None:
            mp.chdir(cwd)
        if "COLUMNS" not in os.environ:  # a process with piped output wraps help at 80, whatever the terminal
            mp.setenv("COLUMNS", "80")
        mp.setattr(sys, "argv", [module or "interviewer", *args])
        mp.setattr(sys, "stdin", streams.stdin)
        mp.setattr(sys, "stdout", streams.stdout)
        mp.setattr(sys, "stderr", streams.stderr)
        try:
            if module:
                with warnings.catch_warnings():  # "found in sys.modules": the module is imported already
                    warnings.simplefilter("ignore", RuntimeWarning)
                    runpy.run_module(module, run_name="__main__", alter_sys=True)
                code = 0
            else:
                code = cli.main(args)
        except SystemExit as exc:
            code = _exit_status(exc, streams.stderr)
        except Exception:  # what the interpreter does with an uncaught exception
            traceback.print_exc(file=streams.stderr)
            code = 1
        finally:
            streams.flush()
    return CliResult(code, streams.text(streams.stdout), streams.text(streams.stderr))


def _exit_status(exc: SystemExit, err: io.TextIOBase) -> int:
    """sys.exit(x): None is 0, an int is itself, anything else is printed and 1 (as the interpreter does)."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=err)
    return 1


class _Bytes(io.BytesIO):
    """Bytes that stay readable after the CLI closes the stream on top of them."""

    def close(self) -> None:
        pass


class _Streams:
    def __init__(self, stdin: str) -> None:
        # newline="\n": no translation either way, as CPython sets up the standard streams on POSIX
        self.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8")), encoding="utf-8", newline="\n")
        self.stdout = io.TextIOWrapper(_Bytes(), encoding="utf-8", newline="\n", write_through=True)
        self.stderr = io.TextIOWrapper(_Bytes(), encoding="utf-8", newline="\n", write_through=True)

    def flush(self) -> None:
        for stream in (self.stdout, self.stderr):
            if not stream.closed:
                stream.flush()

    @staticmethod
    def text(stream: io.TextIOWrapper) -> str:
        data = stream.buffer.getvalue().decode("utf-8")
        return data.replace("\r\n", "\n").replace("\r", "\n")  # what subprocess.run(text=True) returns


@contextmanager
def _fresh_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers = []
    try:
        yield
    finally:
        root.handlers = handlers
        root.setLevel(level)


def isolated_env(data_dir: Path, llm_base_url: str | None = None) -> dict[str, str | None]:
    """Only the settings a test names: none of the machine's OPENAI_ or INTERVIEWER_ variables, the history in
    `data_dir`, and, given a base URL, a fake LLM there called fake-model (quick to give up)."""
    kept = ("INTERVIEWER_SEMANTIC",)  # the suite's choice (tests/conftest.py) carries into the command
    env: dict[str, str | None] = {
        k: None for k in os.environ if k.startswith(("OPENAI_", "INTERVIEWER_")) and k not in kept
    }
    env["INTERVIEWER_DATA_DIR"] = str(data_dir)
    if llm_base_url is not None:
        env.update({"OPENAI_BASE_URL": llm_base_url, "INTERVIEWER_MODEL": "fake-model",
                    "INTERVIEWER_LLM_TIMEOUT": "5", "INTERVIEWER_LLM_RETRIES": "0"})  # fmt: skip
    return env
