"""Hostile input to `bank import` and `bank draft --from-jd` (a hostile-user review): every bad file ends in a
one-line message naming the file and the row (or line), exit status 1 as any other bad row, never a traceback;
and a big import is read a row at a time, not whole."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from interviewer import bank_import, drafting
from interviewer.bank import load_bank
from interviewer.bank_import import (
    CHECK_BATCH,
    MAX_FIELD_CHARS,
    ImportRow,
    SourceRow,
    import_markdown,
    read_rows,
)
from interviewer.errors import BankError, InterviewerError
from tests.support.cli import CliResult, isolated_env, run_cli
from tests.support.fake_openai import FakeOpenAI

ROOT = Path(__file__).resolve().parents[1]
GOOD = '{"question": "What is bias?", "answer": "Skewed data."}'
DIGITS = sys.get_int_max_str_digits() or 4300


def run_import(tmp_path: Path, name: str, content: str | bytes) -> CliResult:
    data = content.encode() if isinstance(content, str) else content
    (tmp_path / name).write_bytes(data)
    return run_cli("bank", "import", name, "--out", "out.md", cwd=tmp_path)


def assert_refused(result: CliResult, tmp_path: Path, said: str) -> None:
    """Refused in one line that names the file and the row, with nothing written."""
    assert result.code == 1, result.err
    assert result.err.startswith("error: ") and result.err.count("\n") == 1, result.err[:2000]
    assert said in result.err, result.err
    assert not (tmp_path / "out.md").exists()


def imports(result: CliResult, tmp_path: Path, count: int) -> None:
    assert result.code == 0, result.err
    assert len(load_bank(tmp_path / "out.md").questions) == count


# -- JSON nesting -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("deep.json", "[" * 100_000 + "]" * 100_000, "deep.json:1: nested deeper than 32 levels"),
        ("deep.jsonl", f'{GOOD}\n{{"question": {"[" * 100_000}{"]" * 100_000}}}\n',
         "deep.jsonl:2: row 2: nested deeper than 32 levels"),
        ("deep.json", "[\n" + ",\n".join([GOOD] * 3 + ["[" * 5000 + "]" * 5000]) + "\n]",
         "deep.json:5: nested deeper than 32 levels"),  # the line where it goes too deep
        ("deep.json", '{"questions": [{"question": "Q?", "answer": "A.", "notes": ' + "[" * 40 + "]" * 40 + "}]}",
         "deep.json:1: nested deeper than 32 levels"),
    ],
)  # fmt: skip
def test_json_nested_too_deep_is_refused_naming_the_row(tmp_path, name, content, said):
    assert_refused(run_import(tmp_path, name, content), tmp_path, said)


def test_nesting_within_the_limit_and_brackets_inside_strings_are_imported(tmp_path):
    deep_but_allowed = {"question": "Q1?", "answer": "A.", "notes": json.loads("[" * 30 + "]" * 30)}
    brackets = {"question": "What does " + "[{" * 50_000 + " mean?", "answer": "Nothing: it is text."}
    content = "\n".join(json.dumps(row) for row in (deep_but_allowed, brackets)) + "\n"
    imports(run_import(tmp_path, "ok.jsonl", content), tmp_path, 2)
    imports(run_import(tmp_path, "ok.json", json.dumps([deep_but_allowed, brackets])), tmp_path, 2)


def test_too_many_json_objects_are_refused_before_they_are_built(tmp_path):
    content = "[" + "{}," * 1_000_000 + "{}]"  # 3 MB: half a gigabyte as Python dicts
    assert_refused(run_import(tmp_path, "many.json", content), tmp_path,
                   "many.json:1: more than 1,000,000 objects and lists")  # fmt: skip


# -- field and line sizes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("big.csv", f"question,answer\nWhat is bias?,Skew.\nQ?,{'a' * 200_000}\n",
         "big.csv:3: row 3: a field is longer than 131,072 characters"),  # beyond the csv module's limit
        ("big.csv", 'question,answer\nQ?,"' + "\n".join(["b" * 50_000] * 3) + '"\n',
         "big.csv:2: row 2: a field is longer than 131,072 characters"),  # a quoted field over several lines
        ("big.jsonl", f'{GOOD}\n{{"question": "Q?", "answer": "{"a" * (MAX_FIELD_CHARS + 1)}"}}\n',
         "big.jsonl:2: row 2: answer: String should have at most 131072 characters"),
        ("big.json", json.dumps([{"question": "q" * (MAX_FIELD_CHARS + 1), "answer": "A."}]),
         "big.json:1: item 1: question: String should have at most 131072 characters"),
        ("big.csv", "question;answer\nQ?;" + "a" * (MAX_FIELD_CHARS + 1) + "\n",
         "big.csv:2: row 2: a field is longer than 131,072 characters"),  # one over: csv's limit is ours
        ("long.jsonl", f'{GOOD}\n{{"question": "Q?", "answer": "A.", "notes": "{"n" * 1_100_000}"}}\n',
         "long.jsonl:2: row 2: longer than 1 MB (the limit)"),
        ("long.csv", f"question,answer,notes\nQ?,A.,{'n' * 1_100_000}\n", "long.csv:2: line 2: longer than 1 MB"),
        ("long.csv", "question,answer\nQ?,A.\nQ?,A.," + '"x\n",' * 300_000,  # short lines, 300,000 fields
         "long.csv:3: row 3: longer than 1 MB (at line 209717)"),
    ],
)  # fmt: skip
def test_a_field_or_line_over_its_limit_is_refused_naming_the_row_and_the_limit(tmp_path, name, content, said):
    assert_refused(run_import(tmp_path, name, content), tmp_path, said)


def test_fields_at_the_limit_are_imported(tmp_path):
    answer = "a" * MAX_FIELD_CHARS
    imports(run_import(tmp_path, "edge.csv", f"question,answer,notes\nQ?,{answer},{'n' * 100_000}\n"), tmp_path, 1)
    imports(run_import(tmp_path, "edge.jsonl", json.dumps({"question": "Q?", "answer": answer}) + "\n"), tmp_path, 1)


# -- numbers Python will not read ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("int.jsonl", f'{GOOD}\n{{"question": "Q?", "answer": "A.", "kind": {"9" * 5000}}}\n',
         "int.jsonl:2: row 2: a number of 5,000 digits"),
        ("int.json", f'[{{"question": "Q?", "answer": -{"9" * 5000}}}]', "int.json:1: a number of 5,000 digits"),
        ("int.json", "[\n" + ",\n".join([GOOD] * 40 + [f'{{"question": "Q?", "answer": "A.", "n": {"1" * 9999}}}'])
         + "\n]", "int.json:42: a number of 9,999 digits"),  # found by the scan of a file with many brackets
    ],
)  # fmt: skip
def test_an_integer_too_long_for_python_is_refused_naming_the_row(tmp_path, name, content, said):
    result = run_import(tmp_path, name, content)
    assert_refused(result, tmp_path, said)
    assert f"(the limit is {DIGITS:,})" in result.err


def test_long_numbers_python_reads_are_imported(tmp_path):
    rows = [{"question": "Q1?", "answer": "A."}, {"question": "Q2?", "answer": "A."}]
    content = ",".join(json.dumps(r)[:-1] + f', "n": {n}}}' for r, n in zip(rows, ["9" * DIGITS, "1" * 5000 + ".5"]))
    imports(run_import(tmp_path, "n.json", f"[{content}]"), tmp_path, 2)


# -- encoding, and what the bank would become -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "said"), [("bad.jsonl", "bad.jsonl:3: row 3: not UTF-8 text"), ("bad.csv", "bad.csv:3: line 3: not UTF-8")]
)
def test_an_undecodable_line_is_named(tmp_path, name, said):
    lines = [b"question,answer", b"Q1?,A.", b"caf\xe9?,A."]
    if name.endswith(".jsonl"):
        lines = [GOOD.encode(), GOOD.encode(), b'{"question": "caf\xe9?", "answer": "A."}']
    assert_refused(run_import(tmp_path, name, b"\n".join(lines) + b"\n"), tmp_path, said)


def test_an_import_that_would_outgrow_a_bank_file_is_refused_at_its_row(tmp_path, monkeypatch):
    monkeypatch.setattr(bank_import, "MAX_BANK_BYTES", 64 * 1024)  # the Markdown is ~7 times this CSV's size
    content = "question,answer\n" + "".join(f"Q{n}?,A{n}.\n" for n in range(4000))
    result = run_import(tmp_path, "small.csv", content)
    assert_refused(result, tmp_path, "the bank would be larger than 0.0625 MB")
    row = int(result.err.split(": row ")[1].split(":")[0])
    assert 1500 < row < 4000


def test_a_question_the_bank_parser_refuses_names_its_row(tmp_path):
    rows = [GOOD] * 300 + ['{"question": "###", "answer": "A."}'] + [GOOD] * 3  # in the second batch checked
    assert_refused(run_import(tmp_path, "q.jsonl", "\n".join(rows)), tmp_path,
                   "q.jsonl:301: row 301: question 301 has no text")  # fmt: skip
    result = run_import(tmp_path, "a.csv", "question,answer\nQ1?,A.\nQ2?,---\n")  # the last row: no answer left
    assert_refused(result, tmp_path, "a.csv:3: row 3: question 2 has an empty reference answer")


# -- streaming --------------------------------------------------------------------------------------------


def test_rows_are_read_as_they_are_taken(tmp_path):
    (tmp_path / "r.jsonl").write_text(f"{GOOD}\n\n{GOOD}\n{{not json\n", encoding="utf-8")
    rows = read_rows(tmp_path / "r.jsonl")
    assert [next(rows).line, next(rows).line] == [1, 3]  # read before the broken line is reached
    with pytest.raises(BankError, match="row 4: not JSON"):
        next(rows)
    (tmp_path / "r.csv").write_text(f"question,answer\nQ?,A.\nQ?,{'a' * 200_000}\n", encoding="utf-8")
    rows = read_rows(tmp_path / "r.csv")
    assert next(rows).row == ImportRow(question="Q?", answer="A.")
    with pytest.raises(BankError, match="row 3: a field is longer"):
        next(rows)


def test_an_import_holds_no_more_than_a_batch_of_rows():
    made: list[weakref.ref[ImportRow]] = []
    alive: list[int] = []

    def rows(n: int) -> Iterator[SourceRow]:
        for i in range(1, n + 1):
            row = ImportRow(question=f"Q{i}?", answer=f"A{i}.")
            made.append(weakref.ref(row))
            yield SourceRow(row, i, f"row {i}")
            del row
        alive.append(sum(ref() is not None for ref in made))

    imported = import_markdown(rows(4 * CHECK_BATCH + 7), "T", "rows.jsonl")
    assert imported.count == 4 * CHECK_BATCH + 7
    assert 0 < alive[0] <= CHECK_BATCH + 1  # the rows since the last batch was parsed (7), not every row


MEASURE = textwrap.dedent("""
    import json, re, sys
    from pathlib import Path
    from interviewer.bank_import import read_rows
    def peak_mb():  # this process's peak (ru_maxrss would start at the peak of the process that started it)
        status = Path("/proc/self/status").read_text()
        return int(re.search(r"VmHWM:\\s*(\\d+) kB", status).group(1)) / 1024
    path, before = Path(sys.argv[1]), peak_mb()
    count = sum(1 for _ in read_rows(path))
    streamed = peak_mb() - before
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]  # read whole
    print(json.dumps({"count": count, "streamed": streamed, "whole": peak_mb() - before - streamed}))
""")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak memory from /proc (Linux)")
def test_a_200000_row_jsonl_file_is_read_in_constant_memory(tmp_path):
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for n in range(200_000):
            f.write(json.dumps({"question": f"Question {n}?", "answer": f"Answer {n}."}) + "\n")
    done = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, check=True)  # fmt: skip
    figures = json.loads(done.stdout)
    assert figures["count"] == 200_000
    assert figures["whole"] > 50, figures  # MB: the lines as dicts alone (the old importer held more: ~210 MB)
    assert figures["streamed"] < 15 and figures["streamed"] < figures["whole"] / 5, figures


# -- a job description that is not text -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file (a NUL byte at byte 8): give a UTF-8 text file"),
        (b"%PDF-1.7\n" + b"\xe9" * 10, "not UTF-8 text (at byte 9): give a UTF-8 text file"),
        ("Platform engineer".encode("utf-16"), "UTF-16 text: save the job description as UTF-8"),
        (b"Platform engineer.\n" * 5000 + b"\x00",
         "not a text file (a NUL byte at byte 95,000): give a UTF-8 text file"),
    ],
)  # fmt: skip
def test_a_job_description_that_is_not_text_is_refused_before_any_llm_call(tmp_path, content, said):
    (tmp_path / "job.txt").write_bytes(content)
    with FakeOpenAI() as fake:
        result = run_cli("bank", "draft", "--from-jd", "job.txt", "-n", "3", "--yes",
                         env=isolated_env(tmp_path / "data", fake.base_url), cwd=tmp_path)  # fmt: skip
        assert fake.requests == []
    assert (result.code, result.err) == (1, f"error: job.txt: {said}\n")
    assert not list(tmp_path.glob("*.md"))


def test_a_job_description_is_read_up_to_its_limit_without_a_cut_character(tmp_path, monkeypatch):
    monkeypatch.setattr(drafting, "MAX_JD_BYTES", 10)
    (tmp_path / "jd.txt").write_bytes("\ufeffRole: éS".encode())  # the BOM's 3 bytes, then é's 2 at bytes 9-10
    assert drafting.read_job_description(tmp_path / "jd.txt") == "Role: "  # é cut in two is left out
    (tmp_path / "jd.txt").write_bytes("Rôle: SRE".encode())  # 10 bytes: all of it
    assert drafting.read_job_description(tmp_path / "jd.txt") == "Rôle: SRE"
    (tmp_path / "bad.txt").write_bytes(b"R\xf4le: SRE")  # Latin-1
    with pytest.raises(InterviewerError, match=r"bad.txt: not UTF-8 text \(at byte 1\)"):
        drafting.read_job_description(tmp_path / "bad.txt")
