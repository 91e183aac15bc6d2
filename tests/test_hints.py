"""The hint ladder (issue 13, part 1) through the engine: three hints, each more revealing, each with its cost
taken off the question's overall after grading; a key point given away is `hinted`, not the reply's own; the
LLM grader is told which; old transcripts and histories still read."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from interviewer.bank import load_bank
from interviewer.config import Settings
from interviewer.grading.llm_grader import LLMGrader
from interviewer.grading.models import CriterionScore, Grade, GradeRequest, Hint, KeyPoint
from interviewer.grading.offline import OfflineGrader
from interviewer.hints import NO_MORE
from interviewer.owner import Owner
from interviewer.rubric import parse_rubric
from interviewer.service import App
from interviewer.session import Graders, Refused, Session, SessionSettings
from interviewer.store import Store
from interviewer.transcript import Transcript
from tests.support.function_model import FunctionModel
from tests.support.legacy_schema import MIGRATIONS
from tests.support.responders import grade_responder

ROOT = Path(__file__).resolve().parents[1]
Q = {q.number: q for q in load_bank(ROOT / "bank" / "genai_misc.md").questions}
ETHICS, STORY = Q[1], Q[2]  # technical with bold labels; experience with a labelled example


class FixedGrader:
    """Grades every reply `overall`, each key point covered (so hinted marking is visible)."""

    name = "llm:fixed"

    def __init__(self, overall: float) -> None:
        self.overall = overall

    async def grade(self, request: GradeRequest, usage=None) -> Grade:
        points = [KeyPoint(point=p, status="covered", evidence="x") for p in request.key_points or []]
        return Grade(overall=self.overall, key_points=points, covered=[k.point for k in points], grader=self.name,
                     criteria=[CriterionScore(name="coverage", score=4, weight=1, justification="fixed")])  # fmt: skip


def start(question, grader=None) -> Session:
    return Session.start([question], SessionSettings(count=1, followups=0), Graders(grader=grader or OfflineGrader()))


def test_three_hints_climb_toward_one_missed_point_then_there_are_no_more():
    s = start(ETHICS)
    target = ETHICS.key_points[0]  # "Bias amplification", under **Key Concerns:**
    assert s.next_hint_cost() == 5
    nudge = s.hint()
    assert nudge.startswith("Hint 1 of 3 (nudge, −5 points)") and "Key Concerns" in nudge
    assert "bias" not in nudge.lower()  # a nudge names the area, not its content
    assert "The next hint costs 10 points." in nudge and s.next_hint_cost() == 10
    concept = s.hint()
    assert concept.startswith("Hint 2 of 3 (concept, −10 points)") and ("Bias" in concept or "amplification" in concept)
    assert target not in concept
    full = s.hint()
    assert full.startswith("Hint 3 of 3 (partial answer, −20 points)") and target in full
    assert "No hints left" in full and s.next_hint_cost() is None
    assert s.hint() == Refused(NO_MORE)
    assert [(h.level, h.cost, h.point) for h in s.current.hints] == [(1, 5, target), (2, 10, target), (3, 20, target)]


@pytest.mark.parametrize("number", [3, 8])  # references without bold labels: no area to name
def test_a_first_hint_without_an_area_to_name_still_gives_a_cue_for_its_cost(number):
    """Issue 24: "One of the 10 key points ... is still missing: think about what else matters here." cost 5
    points and said nothing."""
    question = Q[number]
    s = start(question)
    first = s.hint()
    point = s.current.hints[0].point
    assert f"of the {len(question.key_points)} key points" in first and "think about what else" not in first
    assert f"“{point.split()[0]}" in first  # the missing point's opening word: a cue, not the point itself
    assert point not in first
    total = len(question.key_points)
    again = start(question).hint(draft=question.key_points[-1])  # one point covered: one fewer missing
    assert f"{total - 1} of the {total} key points of a full answer are still missing. One of them starts" in again


def test_the_ladder_aims_at_what_the_draft_still_misses():
    s = start(ETHICS)
    s.hint(draft="Bias amplification is the first risk.")  # the first point is covered: aim at the next one
    assert s.current.hints[0].point == ETHICS.key_points[1]


def test_each_hint_costs_points_off_the_overall_after_grading_and_never_below_zero():
    s = start(ETHICS, FixedGrader(80))
    s.hint(), s.hint()
    asyncio.run(s.answer("Bias amplification, misinformation and privacy; audits and human oversight."))
    grade = s.turns[0].grade
    assert grade.overall == 65 and [p.points for p in grade.penalties] == [5, 10]
    assert grade.headline == "Score: 65/100 (good, −15 for 2 hints)"
    assert s.summary().hints == 2 and s.summary().hint_points == 15

    low = start(ETHICS, FixedGrader(20))
    low.hint(), low.hint(), low.hint()
    asyncio.run(low.answer("Bias amplification."))
    assert low.turns[0].grade.overall == 0 and sum(p.points for p in low.turns[0].grade.penalties) == 35


def test_a_point_given_away_is_hinted_not_the_candidates_own_coverage():
    with_hint = start(ETHICS, FixedGrader(90))
    for _ in range(3):
        with_hint.hint()
    asyncio.run(with_hint.answer("Bias amplification matters."))
    grade = with_hint.turns[0].grade
    target = ETHICS.key_points[0]
    assert next(k for k in grade.key_points if k.point == target).status == "hinted"
    assert target not in grade.covered and target in grade.missed

    # The offline grader does not count it either: the same reply covers one point less after the hint.
    reply = "Bias amplification and misinformation are the main risks; I keep human oversight and bias auditing."
    plain, hinted = start(ETHICS), start(ETHICS)
    for _ in range(3):
        hinted.hint()
    asyncio.run(plain.answer(reply)), asyncio.run(hinted.answer(reply))
    before, after = plain.turns[0].grade, hinted.turns[0].grade
    assert target in before.covered and target not in after.covered
    assert len(after.covered) == len(before.covered) - 1
    assert after.headline.startswith("Key-point coverage") and "−35 for 3 hints" in after.headline


def test_the_llm_grader_is_told_which_points_were_given_away():
    model = FunctionModel(lambda call: grade_responder(call.body()), model="m")
    s = start(ETHICS, LLMGrader(model, Settings().llm))
    for _ in range(3):
        s.hint()
    asyncio.run(s.answer("Bias amplification, misinformation and privacy violations."))
    prompt = json.dumps(model.calls[-1].messages)
    assert "given to the candidate as hints" in prompt and "- Bias amplification" in prompt
    grade = s.turns[0].grade
    assert grade.grader == "llm:m" and [p.points for p in grade.penalties] == [5, 10, 20]


def test_a_story_climbs_the_star_parts_and_shows_the_banks_example_last():
    s = start(STORY)
    first = s.hint()
    assert "situation" in first.lower()
    s.hint()
    last = s.hint()
    assert "Developed content generation system for legal document drafting" in last  # the example's **Project:**
    assert [h.point for h in s.current.hints] == ["situation"] * 3


def test_hints_are_saved_with_level_cost_and_point_and_read_back(tmp_path):
    core = App(Store(tmp_path), Settings()).scope(Owner.terminal())
    session = core.start([ETHICS], core.app.session_settings(count=1, followups=0))
    session.hint(), session.hint()
    asyncio.run(session.answer("Bias amplification and misinformation."))
    saved = core.saved_transcript(session.session_id)
    assert [(h.level, h.cost, h.point) for h in saved.turns[0].hints] == [
        (1, 5, ETHICS.key_points[0]),
        (2, 10, ETHICS.key_points[0]),
    ]
    assert saved.turns[0].grade.penalties == session.turns[0].grade.penalties


def test_a_history_from_before_the_ladder_reads_its_hints_as_free_revealed_points(tmp_path):
    path = tmp_path / "history.sqlite3"
    with sqlite3.connect(path) as conn:  # schema 4, a session with one old-style hint
        for script in MIGRATIONS[:4]:
            conn.executescript(script)
        conn.execute("PRAGMA user_version = 4")
        conn.execute("INSERT INTO sessions (id, owner, started_at, settings, grader, questions, total) VALUES "
                     "('old-session', '', '2026-01-01T00:00:00+00:00', '{}', 'offline', '[]', 1)")  # fmt: skip
        conn.execute("INSERT INTO turns (session_id, idx, question_id, question_hash, question, reference, kind) "
                     "VALUES ('old-session', 0, 'b#1', 'h', 'Q?', 'R.', 'technical')")  # fmt: skip
        conn.execute("INSERT INTO hints VALUES ('old-session', 0, 0, 'Bias amplification')")
    [turn] = Store(tmp_path).transcript("old-session").turns
    old = "Bias amplification"
    assert [(h.level, h.text, h.cost, h.point) for h in turn.hints] == [(3, old, 0, old)]  # point: what it revealed


def test_an_old_transcript_with_hints_as_text_still_imports():
    old = {"session_id": "a" * 32, "started_at": "2026-01-01T00:00:00Z", "settings": {}, "grader": "offline",
           "turns": [{"question_id": "b#1", "question": "Q?", "reference": "R.", "kind": "technical",
                      "hints": ["Bias amplification"]}]}  # fmt: skip
    [hint] = Transcript.model_validate(old).turns[0].hints
    assert (hint.level, hint.text, hint.cost, hint.point) == (3, "Bias amplification", 0, "Bias amplification")


def test_hint_costs_are_set_per_rubric_and_checked():
    text = (ROOT / "prompts" / "rubrics" / "technical.toml").read_text(encoding="utf-8")
    assert "hint_costs = [5, 10, 20]" in text
    assert parse_rubric(text.replace("hint_costs = [5, 10, 20]", "hint_costs = [1, 2, 3]"), "t").hint_costs == [1, 2, 3]
    with pytest.raises(Exception, match="hint costs must be 0-100"):
        parse_rubric(text.replace("hint_costs = [5, 10, 20]", "hint_costs = [5, -10, 20]"), "t")


def test_transcripts_show_each_hint_and_what_it_cost():
    from interviewer.presentation import render_transcript

    s = start(ETHICS)
    s.hint(), s.hint()
    asyncio.run(s.answer("Bias amplification and misinformation; audits and human oversight."))
    s.end()
    for fmt in ("markdown", "html", "json"):
        text = render_transcript(s.transcript(), fmt)
        assert "−15 for 2 hints" in text, fmt
        if fmt != "json":
            assert "Hint 1 of 3 (nudge, −5 points)" in text and "Hint 2 of 3 (concept, −10 points)" in text, fmt
            assert "Overall key-point coverage" in text and "−15 for 2 hints)" in text, fmt


def test_the_terminal_climbs_the_ladder_and_says_each_cost_first(tmp_path):
    from tests.support.cli import run_cli

    typed = "/hint\n/hint\n/hint\n/hint\nBias amplification and misinformation; I audit for bias.\n\n/end\n"
    result = run_cli("practice", "-n", "1", "--followups", "0", "--out", "tr", stdin=typed,
                     env={"INTERVIEWER_DATA_DIR": str(tmp_path / "data")})  # fmt: skip
    assert result.code == 0, result.err
    out = result.out
    assert "costing 5, then 10, then 20 points" in out  # said before any hint is taken
    for line in ("Hint 1 of 3 (nudge, −5 points)", "Hint 2 of 3 (concept, −10 points)",
                 "Hint 3 of 3 (partial answer, −20 points)", NO_MORE, "−35 for 3 hints"):  # fmt: skip
        assert line in out, line
    assert out.index("The next hint costs 10 points.") < out.index("Hint 2 of 3")


def test_a_hint_with_nothing_left_to_reveal_is_free_and_a_hinted_point_is_not_recovered():
    s = start(ETHICS)
    everything = ". ".join(ETHICS.key_points)
    said = s.hint(everything)
    assert isinstance(said, Refused) and "nothing charged" in said.reason
    assert s.current.hints == [] and s.next_hint_cost() == 5

    from interviewer.hints import apply_hints

    point = ETHICS.key_points[0]
    grade = Grade(overall=80, grader="llm:x", key_points=[KeyPoint(point=point, status="recovered", evidence="e")],
                  covered=[point], recovered=[point])  # fmt: skip
    hinted = apply_hints(grade, [Hint(level=3, text=point, cost=20, point=point)])
    assert hinted.recovered == [] and hinted.covered == [] and hinted.key_points[0].status == "hinted"
