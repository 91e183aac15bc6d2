"""Property tests: on any input the bank loader returns questions or raises BankError with file and line."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interviewer.bank import BankError, decode_bank_bytes, parse_bank

ROOT = Path(__file__).resolve().parents[2]
SEED = (ROOT / "bank" / "genai_misc.md").read_text(encoding="utf-8")
SEED_LINES = SEED.split("\n")

# Pieces real banks are made of, to build plausible (and plausibly broken) markdown.
PIECES = st.sampled_from([
    "# Title", "## 1. What is X?", "## 2. Why?", "## 2. Duplicate?", "## 10) Other", "## Section", "**Answer:**",
    "**Answer:** inline reference", "**Label:** a, b, c.", "- item", "1. step", "| a | b |", "|---|---|", "```",
    "```python", "# comment in code", "---", "*(Customize with your actual experience)*", "*closing note*", "",
    "plain sentence. Another one.", "\ufeff", "\r", "$x^2$", "<script>alert(1)</script>", "~~~",
])
settings_ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(text: str, path: str = "hostile.md") -> None:
    try:
        bank = parse_bank(text, path)
    except BankError as exc:
        assert exc.path == path
        assert isinstance(exc.line, int) and 0 <= exc.line <= text.count("\n") + 2
        assert exc.message
        return
    assert bank.questions
    for q in bank.questions:
        assert q.id.startswith("hostile#") and q.text and q.reference.strip()
        assert 1 <= q.line <= text.replace("\r\n", "\n").count("\n") + 1
    assert len({q.number for q in bank.questions}) == len(bank.questions)


@settings_
@given(st.text(max_size=2000))
def test_random_text(text):
    check(text)


@settings_
@given(st.lists(PIECES, max_size=60))
def test_markdown_made_of_bank_pieces(lines):
    check("\n".join(lines))


@settings_
@given(st.data())
def test_mutated_seed_bank(data):
    lines = list(SEED_LINES)
    for _ in range(data.draw(st.integers(1, 8))):
        op = data.draw(st.sampled_from(["delete", "duplicate", "replace", "insert"]))
        i = data.draw(st.integers(0, len(lines) - 1)) if lines else 0
        if op == "delete" and lines:
            del lines[i]
        elif op == "duplicate" and lines:
            lines.insert(i, lines[i])
        elif op == "replace" and lines:
            lines[i] = data.draw(PIECES)
        else:
            lines.insert(i, data.draw(PIECES))
    check("\n".join(lines))


@settings_
@given(st.binary(max_size=2000))
def test_random_bytes(data):
    try:
        text = decode_bank_bytes(data, "hostile.md")
    except BankError as exc:
        assert exc.path == "hostile.md" and exc.line >= 1
        return
    check(text)
