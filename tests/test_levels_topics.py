"""Levels and topics (issue 26, item 4): a metadata line under a question gives its level and topic tags; the
setup screen and `practice` pick by them and say how many questions each choice holds; banks without
metadata keep working."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from interviewer.bank import BankError, holdings, load_bank, matching
from interviewer.config import Settings
from interviewer.owner import Owner
from interviewer.service import App
from interviewer.store import Store
from interviewer.web.handlers import Handlers, StartForm
from interviewer.web.setup import bundled_banks, level_and_topic_choices
from tests.support.cli import isolated_env, run_cli

TAGGED = """# Tagged

## 1. What is a token?
<!-- level: junior; topics: tokenisation -->

**Answer:**
**Idea:** A token is a piece of text the model reads as one unit.

## 2. How does retrieval help a model answer?
<!-- level: senior; topics: rag, retrieval -->

**Answer:**
**Idea:** Retrieval puts relevant documents in the prompt so the answer can cite them.

## 3. What does a re-ranker do?
<!-- level: mid; topics: retrieval -->

**Answer:**
**Idea:** A re-ranker scores each retrieved passage against the query and reorders them.

## 4. A question with no metadata?

**Answer:**
**Idea:** It is offered only when no level or topic is chosen.
"""


def tagged(tmp_path: Path) -> Path:
    path = tmp_path / "tagged.md"
    path.write_text(TAGGED, encoding="utf-8")
    return path


def test_a_metadata_line_gives_level_and_topics_and_a_bank_without_it_still_loads(tmp_path):
    bank = load_bank(tagged(tmp_path))
    assert [(q.level, q.topics) for q in bank.questions] == [
        ("junior", ("tokenisation",)), ("senior", ("rag", "retrieval")), ("mid", ("retrieval",)), (None, ()),
    ]  # fmt: skip
    assert bank.questions[1].text == "How does retrieval help a model answer?"  # the comment is not the question
    qs = bank.questions
    assert [q.number for q in matching(qs, ["senior"])] == [2]
    assert [q.number for q in matching(qs, [], ["retrieval"])] == [2, 3]
    assert [q.number for q in matching(qs, ["mid", "senior"], ["rag"])] == [2]
    assert [q.number for q in matching(qs)] == [1, 2, 3, 4]  # nothing chosen: all, untagged included
    assert holdings(qs) == "junior 1, mid 1, senior 1; topics: rag 1, retrieval 2, tokenisation 1"
    seed = load_bank(Path(__file__).resolve().parents[1] / "bank" / "genai_misc.md")
    assert all(q.level is None and q.topics == () for q in seed.questions)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("<!-- level: expert -->", "unknown level 'expert'"),
        ("<!-- topics: RAG stuff -->", "topic 'rag stuff'"),
        ("<!-- difficulty: hard -->", "unknown metadata 'difficulty'"),
    ],
)
def test_bad_metadata_is_an_error_naming_the_line(tmp_path, line, message):
    path = tmp_path / "bad.md"
    path.write_text(f"# Bad\n\n## 1. Q?\n{line}\n\n**Answer:**\nA.\n", encoding="utf-8")
    with pytest.raises(BankError, match=message) as caught:
        load_bank(path)
    assert caught.value.line == 4


def test_practice_picks_by_level_and_topic_and_says_what_the_banks_hold(tmp_path):
    env = isolated_env(tmp_path / "data")
    bank = str(tagged(tmp_path))
    ok = run_cli("practice", "--bank", bank, "--topic", "Retrieval", "--level", "senior", "-n", "3",
                 "--followups", "0", "--out", str(tmp_path), stdin="", env=env)  # fmt: skip
    assert ok.code == 0, ok.err
    assert "1 of 4 questions match level senior and topic retrieval." in ok.out
    assert "Question 1 of 1: How does retrieval help a model answer?" in ok.out
    none = run_cli("practice", "--bank", bank, "--level", "junior", "--topic", "rag", stdin="", env=env)
    assert none.code != 0 and "no question matches level junior and topic rag" in none.err
    assert "junior 1, mid 1, senior 1" in none.err


def test_the_web_setup_offers_levels_and_topics_with_counts_and_starts_with_the_choice(tmp_path):
    settings = Settings(grader="offline", followups=0, data_dir=tmp_path / "data", bank=str(tagged(tmp_path)))
    banks = bundled_banks(settings)
    levels, topics = level_and_topic_choices(list(banks.values()))
    assert levels == [("junior (1)", "junior"), ("mid (1)", "mid"), ("senior (1)", "senior")]
    assert topics == [("rag (1)", "rag"), ("retrieval (2)", "retrieval"), ("tokenisation (1)", "tokenisation")]
    h = Handlers(App(Store(tmp_path / "data"), settings), banks)
    label = next(k for k, p in banks.items() if p.endswith("tagged.md"))

    def start(**choice):
        form = StartForm([label], 5, "in-order", "practice", False, "", "", "", None, **choice)
        return asyncio.run(h.start(form, Owner.browser("d" * 24), None, "t"))

    view = start(levels=["mid", "senior"], topics=["retrieval"])
    assert [q.number for q in view.ws.session.questions] == [2, 3]
    refused = start(levels=["junior"], topics=["rag"])
    assert refused.ws is None and "No question of these banks has the levels and topics chosen" in refused.error
    assert "unknown level" in start(levels=["expert"]).error  # the public /start takes any value
