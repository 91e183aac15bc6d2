"""Rubric files load into validated models; invalid rubrics raise RubricError."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from interviewer.errors import RubricError
from interviewer.rubric import LEVELS, load_rubric, parse_rubric

ROOT = Path(__file__).resolve().parents[1]
RUBRICS = ROOT / "prompts" / "rubrics"


def test_both_rubric_files_load():
    technical = load_rubric("technical")
    experience = load_rubric("experience")
    assert technical.name == "technical"
    assert experience.name == "experience"
    assert [c.name for c in technical.criteria] == ["correctness", "coverage", "depth", "communication"]
    assert [c.name for c in experience.criteria] == [
        "situation", "actions", "technical_substance", "outcome", "communication"
    ]
    for rubric in (technical, experience):
        for c in rubric.criteria:
            assert c.weight > 0
            assert sorted(c.levels) == list(LEVELS)
            assert all(text.strip() for text in c.levels.values())
            assert c.description.strip()


def test_rubric_files_are_the_ones_loaded():
    for kind in ("technical", "experience"):
        path = RUBRICS / f"{kind}.toml"
        assert path.is_file()
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        assert [c["name"] for c in data["criteria"]] == [c.name for c in load_rubric(kind).criteria]


def test_load_from_another_folder(tmp_path):
    (tmp_path / "tiny.toml").write_text(_rubric_text(), encoding="utf-8")
    rubric = load_rubric("tiny", tmp_path)
    assert [c.name for c in rubric.criteria] == ["clarity", "depth"]
    assert rubric.weight("depth") == 2


def test_missing_rubric_is_an_error(tmp_path):
    with pytest.raises(RubricError):
        load_rubric("nope", tmp_path)


def test_weighted_overall():
    rubric = parse_rubric(_rubric_text(), "tiny.toml")
    assert rubric.weighted_overall({"clarity": 5, "depth": 5}) == 100
    assert rubric.weighted_overall({"clarity": 1, "depth": 1}) == 0
    # weights 1 and 2: (1 * 1.0 + 2 * 0.0) / 3
    assert rubric.weighted_overall({"clarity": 5, "depth": 1}) == pytest.approx(33.3, abs=0.1)
    # a criterion left out: the others are renormalised
    assert rubric.weighted_overall({"depth": 3}) == 50


def _rubric_text(weight: str = "2", levels: str | None = None, extra: str = "", top_extra: str = "") -> str:
    levels = levels if levels is not None else '1 = "a"\n2 = "b"\n3 = "c"\n4 = "d"\n5 = "e"\n'
    return (
        f'name = "tiny"\ndescription = "A small rubric."\n{top_extra}\n'
        '[[criteria]]\nname = "clarity"\nweight = 1\ndescription = "Clear."\n'
        '[criteria.levels]\n1 = "a"\n2 = "b"\n3 = "c"\n4 = "d"\n5 = "e"\n\n'
        f'[[criteria]]\nname = "depth"\nweight = {weight}\ndescription = "Deep."\n{extra}'
        f"[criteria.levels]\n{levels}"
    )


def test_valid_rubric_text_parses():
    rubric = parse_rubric(_rubric_text(), "tiny.toml")
    assert rubric.criteria[1].levels[5] == "e"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(_rubric_text(weight="0"), id="weight-zero"),
        pytest.param(_rubric_text(weight="-1"), id="weight-negative"),
        pytest.param(_rubric_text(levels='1 = "a"\n2 = "b"\n3 = "c"\n5 = "e"\n'), id="missing-level"),
        pytest.param(_rubric_text(levels='1 = "a"\n2 = "b"\n3 = "c"\n4 = "d"\n5 = "e"\n6 = "f"\n'), id="extra-level"),
        pytest.param(_rubric_text(levels='1 = "a"\n2 = "b"\n3 = " "\n4 = "d"\n5 = "e"\n'), id="blank-level"),
        pytest.param(_rubric_text(extra='colour = "red"\n'), id="extra-criterion-key"),
        pytest.param(_rubric_text(top_extra='version = 2\n'), id="extra-top-key"),
        pytest.param('name = "x"\ndescription = "y"\ncriteria = []\n', id="no-criteria"),
        pytest.param(_rubric_text().replace('name = "depth"', 'name = "clarity"'), id="duplicate-names"),
        pytest.param(_rubric_text().replace('weight = 1\n', ''), id="missing-weight"),
        pytest.param("name = [unclosed", id="not-toml"),
    ],
)
def test_invalid_rubrics_raise_rubric_error(text):
    with pytest.raises(RubricError) as info:
        parse_rubric(text, "bad.toml")
    assert "bad.toml" in str(info.value)


def test_invalid_rubric_file_on_disk(tmp_path):
    (tmp_path / "broken.toml").write_text(_rubric_text(weight="0"), encoding="utf-8")
    with pytest.raises(RubricError) as info:
        load_rubric("broken", tmp_path)
    assert "broken.toml" in str(info.value)
