"""The Anki deck of what was missed (issue 13, part 5), checked by opening the .apkg as a zip and reading its
collection with sqlite3, not by trusting genanki: one note per question with key points to study (missed,
partly covered, contradicted or hinted; never covered ones), listing them on its back; escaped HTML on both
sides, the bank's markdown as tags, not markers; the bank and criterion as tags, GUIDs stable across exports,
the deck named after the bank; no empty file when nothing was missed, and a message saying how many questions
the cards come from. Through the engine, the CLI and the web app."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from interviewer import anki
from interviewer.bank import load_bank, parse_bank
from interviewer.config import Settings
from interviewer.grading.models import Grade, KeyPoint
from interviewer.session import Session, SessionSettings
from interviewer.transcript import Transcript, TurnRecord
from tests.support.browser import answer, launch_chromium, new_page, open_app, served, setup, start
from tests.support.cli import run_cli

ROOT = Path(__file__).resolve().parents[1]
BANK = load_bank(ROOT / "bank" / "genai_misc.md")
ETHICS = BANK.questions[0]
LATENT = BANK.questions[2]
TO_STUDY = ("missed", "partial", "contradicted", "hinted")


def read_deck(path: Path) -> tuple[list[tuple[str, list[str], list[str]]], str]:
    """(guid, fields, tags) of every note, and the decks' JSON, read straight from the collection."""
    folder = path.parent / f"{path.stem}-unzipped"
    with zipfile.ZipFile(path) as z:
        assert "collection.anki2" in z.namelist()
        z.extract("collection.anki2", folder)
    with sqlite3.connect(folder / "collection.anki2") as conn:
        notes = [(guid, flds.split("\x1f"), tags.split()) for guid, flds, tags in
                 conn.execute("SELECT guid, flds, tags FROM notes ORDER BY id")]  # fmt: skip
        decks = conn.execute("SELECT decks FROM col").fetchone()[0]
    return notes, decks


def graded_session(answer_text: str, question=ETHICS, hints: int = 0) -> Session:
    s = Session.start([question], SessionSettings(count=1, followups=0))
    for _ in range(hints):
        s.hint()
    asyncio.run(s.answer(answer_text))
    return s


def graded_turn(question, statuses: dict[str, str], grader: str = "offline:words") -> TurnRecord:
    """A graded turn whose key points have the given statuses (the others covered)."""
    points = [KeyPoint(point=p, status=statuses.get(p, "covered")) for p in question.key_points]  # type: ignore[arg-type]
    return TurnRecord(question_id=question.id, question=question.text, reference=question.reference,
                      kind=question.kind, answer="...", grade=Grade(overall=40, key_points=points, grader=grader))


def transcript_of(*turns: TurnRecord) -> Transcript:
    return Transcript(session_id="s" * 32, started_at="2025-01-01T00:00:00Z", grader="offline:words", turns=list(turns))


def points_on(back: str) -> list[str]:
    """The key points a card's back lists, in order (each is an <li>, its status after it in parentheses)."""
    return [re.sub(r"<[^>]+>", "", item).rsplit(" (", 1)[0] for item in re.findall(r"<li>(.*?)</li>", back)]


def test_one_card_per_question_listing_every_point_to_study_with_tags_and_stable_guids(tmp_path):
    s = graded_session("Bias amplification and misinformation; I keep human oversight.", hints=3)
    grade = s.turns[0].grade
    expected = [k.point for k in grade.key_points if k.status in TO_STUDY]
    assert any(k.status == "hinted" for k in grade.key_points) and len(expected) > 2
    notes, decks = read_deck(anki.write_deck(anki.notes_for([s.transcript()]), tmp_path / "a.apkg"))
    [(guid, (question, prompt, back), tags)] = notes  # one card, not one per point with the same front
    assert question == ETHICS.text and points_on(back) == expected
    assert f"{len(expected)} key points" in prompt and "under “Key Concerns”" in prompt
    assert "(given by a hint)" in back and "(missed)" in back
    assert set(tags) == {"genai_misc", "coverage"}
    assert "interviewer: genai_misc" in decks
    again, _ = read_deck(anki.write_deck(anki.notes_for([s.transcript()]), tmp_path / "b.apkg"))
    assert [g for g, _, _ in again] == [guid]  # a second export updates, never duplicates


def test_every_card_has_its_own_front(tmp_path):
    ethics = graded_turn(ETHICS, {p: "missed" for p in ETHICS.key_points[:6]})
    latent = graded_turn(LATENT, {LATENT.key_points[0]: "partial", LATENT.key_points[-1]: "missed"})
    notes, _ = read_deck(anki.write_deck(anki.notes_for([transcript_of(ethics, latent)]), tmp_path / "d.apkg"))
    fronts = [(f[0], f[1]) for _, f, _ in notes]
    assert len(fronts) == 2 and len(set(fronts)) == 2
    assert [f[0] for f in fronts] == [ETHICS.text, LATENT.text]
    assert points_on(notes[0][1][2]) == ETHICS.key_points[:6]
    assert points_on(notes[1][1][2]) == [LATENT.key_points[0], LATENT.key_points[-1]]


@pytest.mark.parametrize("status", ["covered", "recovered"])
def test_covered_points_make_no_card_and_are_on_none(tmp_path, status):
    missed, covered = ETHICS.key_points[2], ETHICS.key_points[0]  # both under "Key Concerns"
    statuses = {p: status for p in ETHICS.key_points} | {missed: "missed"}
    notes, _ = read_deck(anki.write_deck(anki.notes_for([transcript_of(graded_turn(ETHICS, statuses))]),
                                         tmp_path / "c.apkg"))  # fmt: skip
    [(_, fields, _)] = notes
    assert points_on(fields[2]) == [missed] and "1 key point" in fields[1]
    assert covered.lower() not in json.dumps(fields).lower()  # not even in the reference's line it shares
    every_point = {p: status for p in ETHICS.key_points}
    assert anki.notes_for([transcript_of(graded_turn(ETHICS, every_point))]) == []


def test_partly_covered_and_contradicted_points_are_studied_and_say_so():
    first, second = ETHICS.key_points[:2]
    [note] = anki.notes_for([transcript_of(graded_turn(ETHICS, {first: "partial", second: "contradicted"}))])
    assert [(p.point, p.status) for p in note.points] == [(first, "partial"), (second, "contradicted")]
    back = anki._points_html(note.points)
    assert "(partly covered)" in back and "(contradicted)" in back


def test_the_back_shows_the_banks_markdown_as_html_not_markers(tmp_path):
    text = ("# Bank\n\n## 1. What does `pipeline()` do?\n\n**Answer:**\n**Usage:** `pipeline(\"ner\")` for **named** "
            "entities, batching.\n\n**Advantages:** model loading needs *no* code.\n")
    md = parse_bank(text, "md.md").questions[0]
    notes, _ = read_deck(anki.write_deck(anki.notes_for([transcript_of(graded_turn(md, dict.fromkeys(
        md.key_points, "missed")))]), tmp_path / "m.apkg"))  # fmt: skip
    [(_, (question, prompt, back), _)] = notes
    assert "**" not in back + question + prompt and "`" not in back + question
    assert question == "What does <code>pipeline()</code> do?"
    assert "<code>pipeline(&quot;ner&quot;)</code>" in back and "<b>named</b>" in back and "<i>no</i>" in back
    assert "<div class=area>Usage</div>" in back and "<div class=area>Advantages</div>" in back


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("**Key Concerns:** bias", "<b>Key Concerns:</b> bias"),
        ("use `a<b>` and *this*", "use <code>a&lt;b&gt;</code> and <i>this</i>"),
        ("`**literal**` stays", "<code>**literal**</code> stays"),
        ("snake_case and 2*3*4 stay", "snake_case and 2*3*4 stay"),
        ("**<script>x</script>**", "<b>&lt;script&gt;x&lt;/script&gt;</b>"),
    ],
)
def test_inline_markdown_becomes_tags_around_escaped_text(text, shown):
    assert anki.inline_html(text) == shown


def test_both_sides_are_escaped_html(tmp_path):
    hostile = parse_bank("# Bank\n\n## 1. What is <b>bias</b>?\n\n**Answer:**\n- <script>alert(1)</script> skew\n"
                         "- <img src=x onerror=alert(2)> drift\n", "evil.md").questions[0]  # fmt: skip
    s = graded_session("I do not know much here, sorry, nothing comes to mind at all.", hostile)
    notes, _ = read_deck(anki.write_deck(anki.notes_for([s.transcript()]), tmp_path / "e.apkg"))
    text = json.dumps([fields for _, fields, _ in notes])
    assert "<script>" not in text and "<img" not in text and "<b>bias" not in text
    assert "&lt;script&gt;" in text and "&lt;b&gt;bias&lt;/b&gt;" in text and "&lt;img src=x" in text


def test_the_cli_exports_a_sessions_deck_and_a_deck_of_the_weakest(tmp_path):
    env = {"INTERVIEWER_DATA_DIR": str(tmp_path / "data")}
    typed = "Bias amplification only.\n\nI built a legal drafting tool with RAG; drafting took 60% less time.\n\n"
    practised = run_cli("practice", "-n", "3", "--followups", "0", "--out", "tr", stdin=typed, env=env, cwd=tmp_path)
    assert practised.code == 0
    [row] = json.loads(run_cli("history", "--json", env=env).out)
    result = run_cli("history", "export", row["id"][:8], "--format", "anki", "--output", "s.apkg", env=env,
                     cwd=tmp_path)  # fmt: skip
    # one card from the two answered questions (the story gives none), and the message says why so few
    assert result.code == 0 and "1 card in the deck “interviewer: genai_misc”, from 2 answered questions" in result.err
    assert anki.WHY_SO_FEW in result.err
    session_notes, _ = read_deck(tmp_path / "s.apkg")
    assert [f[0] for _, f, _ in session_notes] == [ETHICS.text]
    weakest = run_cli("anki", "--weakest", "1", "--output", "w.apkg", env=env, cwd=tmp_path)
    assert weakest.code == 0, weakest.err
    assert "1 card in the deck “interviewer: genai_misc”, from your 1 weakest question." in weakest.err
    notes, _ = read_deck(tmp_path / "w.apkg")
    assert [f[0] for _, f, _ in notes] == [ETHICS.text]


def test_nothing_missed_is_a_message_not_an_empty_file(tmp_path):
    bank = tmp_path / "tiny.md"
    bank.write_text("# Tiny\n\n## 1. What is bias in data?\n\n**Answer:**\nSkewed sampling.\n", encoding="utf-8")
    env = {"INTERVIEWER_DATA_DIR": str(tmp_path / "data")}
    typed = "Bias in data is skewed sampling of the population.\n\n"
    assert run_cli("practice", "--bank", str(bank), "-n", "1", "--followups", "0", "--out", "tr", stdin=typed,
                   env=env, cwd=tmp_path).code == 0  # fmt: skip
    [row] = json.loads(run_cli("history", "--json", env=env).out)
    result = run_cli("history", "export", row["id"], "--format", "anki", "--output", "n.apkg", env=env, cwd=tmp_path)
    assert result.code == 0 and anki.nothing_to_study("1 answered question") in result.err
    assert not (tmp_path / "n.apkg").exists()


@pytest.mark.browser
def test_the_summary_and_the_history_tab_offer_the_deck(tmp_path):
    with served(Settings(grader="offline", followups=0, data_dir=tmp_path / "data")) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = new_page(browser, accept_downloads=True)
        open_app(page, url)
        setup(page, count=1, followups=False)
        start(page, 1)
        answer(page, "Bias amplification only.")
        button = page.locator("#dl-anki")
        expect(button).to_be_visible()
        with page.expect_download() as info:
            button.click()
        path = tmp_path / "summary.apkg"
        info.value.save_as(path)
        notes, _ = read_deck(path)
        assert notes and notes[0][1][0] == ETHICS.text
        page.get_by_role("tab", name="History").click()
        page.locator("#past-pick input").click()
        page.get_by_role("option").first.click()
        expect(page.locator("#past-anki")).to_be_visible()
        browser.close()
