"""Levels and topics (issue 26, item 4): a metadata line under a question gives its level and topic tags; the
setup screen and `practice` pick by them and say how many questions each choice holds; banks without
metadata keep working."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from interviewer.bank import BankError, holdings, load_bank, matching, parse_bank
from interviewer.bank_report import shelves
from interviewer.config import Settings
from interviewer.owner import Owner
from interviewer.service import App
from interviewer.store import Store
from interviewer.web.handlers import Handlers, StartForm
from interviewer.web.setup import bundled_banks, filters_for
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
    assert holdings(qs) == "junior 1, mid 1, senior 1; topics: retrieval 2, rag 1, tokenisation 1"
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
    label = next(k for k, p in banks.items() if p.endswith("tagged.md"))
    offered = filters_for(banks, [label], ["senior", "expert"], ["rag", "pipeline"])
    assert offered.levels == [("junior (1)", "junior"), ("mid (1)", "mid"), ("senior (1)", "senior")]
    # most held first: a bank's own tag leads, the rare ones follow
    assert offered.topics == [("retrieval (2)", "retrieval"), ("rag (1)", "rag"), ("tokenisation (1)", "tokenisation")]
    assert (offered.chosen_levels, offered.chosen_topics) == (["senior"], ["rag"])  # what this bank has not: dropped
    h = Handlers(App(Store(tmp_path / "data"), settings), banks)

    def start(**choice):
        form = StartForm([label], 5, "in-order", "practice", False, "", "", "", None, **choice)
        return asyncio.run(h.start(form, Owner.browser("d" * 24), None, "t"))

    view = start(levels=["mid", "senior"], topics=["retrieval"])
    assert [q.number for q in view.ws.session.questions] == [2, 3]
    refused = start(levels=["junior"], topics=["rag"])
    assert refused.ws is None and "No question of these banks has the levels and topics chosen" in refused.error
    assert "unknown level" in start(levels=["expert"]).error  # the public /start takes any value


def test_metadata_under_the_title_is_every_questions_and_a_plain_comment_there_stays_a_comment(tmp_path):
    path = tmp_path / "b.md"
    path.write_text(
        "# Retrieval\n\n<!-- written for the team -->\n<!-- level: mid; topics: rag -->\n\n"
        "## 1. Q one?\n<!-- level: senior; topics: reranking -->\n\n**Answer:**\n**Idea:** One.\n\n"
        "## 2. Q two?\n\n**Answer:**\n**Idea:** Two.\n",
        encoding="utf-8",
    )
    qs = load_bank(path).questions
    assert [(q.level, q.topics) for q in qs] == [("senior", ("rag", "reranking")), ("mid", ("rag",))]
    path.write_text("# B\n<!-- level: expert -->\n\n## 1. Q?\n\n**Answer:**\nA.\n", encoding="utf-8")
    with pytest.raises(BankError, match="unknown level 'expert'") as caught:
        load_bank(path)
    assert caught.value.line == 2


def test_the_library_ships_beside_the_default_bank_which_stays_the_default(tmp_path):
    found = shelves()
    assert found[0].path.name == "genai_misc.md" and found[0].default
    library = found[1:]
    assert len(library) >= 8 and sum(s.questions for s in library) >= 90
    for shelf in library:  # every library bank: 10-14 questions, 2-3 of them experience, all with a level
        assert not shelf.default and 10 <= shelf.questions <= 14 and 2 <= shelf.experience <= 3, shelf
        assert sum(shelf.levels.values()) == shelf.questions and shelf.topics, shelf
    banks = bundled_banks(Settings(grader="offline", data_dir=tmp_path))
    assert list(banks.values())[: len(found)] == [str(s.path) for s in found]  # the default first, then the library
    listed = run_cli("bank", "list", env=isolated_env(tmp_path / "data"))
    assert listed.code == 0, listed.err
    assert listed.out.index("Some Miscellaneous Questions") < listed.out.index("Retrieval-Augmented Generation")
    assert "12 questions (2 experience) · junior 3, mid 5, senior 4" in listed.out
    as_json = json.loads(run_cli("bank", "list", "--json", env=isolated_env(tmp_path / "data")).out)
    assert [row["title"] for row in as_json] == [s.title for s in found]


def test_practice_by_topic_without_a_bank_picks_from_every_shipped_bank(tmp_path):
    env = isolated_env(tmp_path / "data")
    rag = [q for s in shelves() for q in load_bank(s.path).questions if "rag" in q.topics]
    run = run_cli("practice", "--topic", "rag", "--level", "senior", "-n", "1", "--followups", "0",
                  "--out", str(tmp_path), stdin="", env=env)  # fmt: skip
    assert run.code == 0, run.err
    senior = [q for q in rag if q.level == "senior"]
    total = sum(s.questions for s in shelves())
    assert f"{len(senior)} of {total} questions match level senior and topic rag." in run.out
    assert f"Question 1 of 1: {senior[0].text}" in run.out
    plain = run_cli("practice", "-n", "1", "--followups", "0", "--out", str(tmp_path), stdin="", env=env)
    none = run_cli("practice", "--topic", "nothing-here", stdin="", env=env)
    assert none.code != 0 and "no question matches topic nothing-here" in none.err
    assert "topics: evaluation" in none.err and "more" in none.err and len(none.err) < 600  # the most held, not 140
    own = run_cli("practice", "--topic", "rag", "-n", "1", "--followups", "0", "--out", str(tmp_path), stdin="",
                  env={**env, "INTERVIEWER_BANK": str(tagged(tmp_path))})  # fmt: skip
    assert "1 of 4 questions match topic rag." in own.out  # INTERVIEWER_BANK's banks, not the shipped ones
    first = load_bank(shelves()[0].path).questions[0].text
    assert f"Question 1 of 1: {first}" in plain.out  # no choice: the default bank


def test_the_filters_follow_the_banks_chosen_an_upload_included_and_an_upload_may_not_clash(tmp_path):
    settings = Settings(grader="offline", followups=0, data_dir=tmp_path / "data")
    banks = bundled_banks(settings)
    nothing = filters_for(banks, [], ["senior"], ["rag"])
    assert (nothing.levels, nothing.topics, nothing.chosen_levels) == ([], [], [])  # not every bank's
    assert "give no levels" in nothing.levels_info
    upload = parse_bank(TAGGED, "tagged.md")
    uploaded = filters_for(banks, [], None, ["retrieval"], upload)
    assert uploaded.levels == [("junior (1)", "junior"), ("mid (1)", "mid"), ("senior (1)", "senior")]
    assert uploaded.chosen_topics == ["retrieval"]
    # an upload named like a ticked bank (question ids rag#1...) is refused, not mixed with it
    h = Handlers(App(Store(tmp_path / "data"), settings), banks)
    rag = next(label for label, path in banks.items() if path.endswith("rag.md"))
    mine = parse_bank(TAGGED, "rag.md")
    form = StartForm([rag], 5, "in-order", "practice", False, "", "", "", mine)
    refused = asyncio.run(h.start(form, Owner.browser("d" * 24), None, "t"))
    assert refused.ws is None and "its question rag#1 is also rag" in refused.error
    alone = asyncio.run(h.start(StartForm([], 5, "in-order", "practice", False, "", "", "", mine),
                                Owner.browser("d" * 24), None, "t"))  # fmt: skip
    assert alone.ws is not None  # unticked, the same name is no clash
