"""Calibration anchors: graded example replies in the rubric files, read by the LLM grader in its static prompt."""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.bank import all_questions, load_banks
from interviewer.config import Settings
from interviewer.errors import RubricError
from interviewer.grading.llm_grader import LLMGrader
from interviewer.llm import Endpoint, LLMClient
from interviewer.rubric import load_rubric, parse_rubric
from interviewer.tokens import count_tokens

ROOT = Path(__file__).resolve().parents[1]


def system_prompt(**settings) -> str:
    return LLMGrader(LLMClient("m", Endpoint(base_url="http://127.0.0.1:9/v1")), Settings(**settings).llm).system_prompt


def test_both_rubrics_ship_anchors_across_the_levels_on_questions_of_no_shipped_bank():
    shipped = {q.text.strip().lower() for q in all_questions(load_banks([ROOT / "bank"]))}
    for kind in ("technical", "experience"):
        examples = load_rubric(kind).examples
        assert sorted(e.level for e in examples) == [1, 2, 3, 4, 5]
        assert {e.level for e in examples[:3]} == {1, 3, 5}, "the first few spread across the levels"
        assert not {e.question.strip().lower() for e in examples} & shipped


def test_the_grader_reads_up_to_k_anchors_per_rubric_and_none_when_turned_off():
    full, two, off = system_prompt(), system_prompt(anchors=2), system_prompt(anchors=0)
    technical, experience = load_rubric("technical").examples, load_rubric("experience").examples
    assert all(e.answer in full for e in technical + experience)
    assert [e.answer in two for e in technical] == [True, True, False, False, False]
    assert "Graded examples" not in off and technical[0].answer not in off
    assert count_tokens(off).tokens < count_tokens(two).tokens < count_tokens(full).tokens
    assert full == system_prompt(), "static: the same prefix for every grading"


def test_an_anchor_out_of_the_scale_is_a_rubric_error():
    text = (ROOT / "prompts" / "rubrics" / "technical.toml").read_text(encoding="utf-8")
    with pytest.raises(RubricError, match="level"):
        parse_rubric(text.replace("level = 5", "level = 7", 1), "technical.toml")
    with pytest.raises(RubricError, match="why"):
        parse_rubric(text + '\n[[examples]]\nlevel = 3\nquestion = "q"\nanswer = "a"\n', "technical.toml")


def test_anchors_setting_is_validated(monkeypatch):
    monkeypatch.setenv("INTERVIEWER_ANCHORS", "0")
    assert Settings().anchors == 0
    monkeypatch.setenv("INTERVIEWER_ANCHORS", "-1")
    with pytest.raises(ValueError):
        Settings()
