"""The Anki deck of what was missed (issue 13, part 5), checked by opening the .apkg as a zip and reading its
collection with sqlite3, not by trusting genanki: one note per missed, partial or hinted key point, escaped
HTML on both sides, the bank and criterion as tags, GUIDs stable across exports, the deck named after the
bank; no empty file when nothing was missed. Through the engine, the CLI and the web app."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from interviewer import anki
from interviewer.bank import load_bank, parse_bank
from interviewer.config import Settings
from interviewer.session import Session, SessionSettings
from tests.support.browser import answer, launch_chromium, new_page, open_app, served, setup, start
from tests.support.cli import run_cli

ROOT = Path(__file__).resolve().parents[1]
ETHICS = load_bank(ROOT / "bank" / "genai_misc.md").questions[0]


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


def test_one_note_per_missed_partial_or_hinted_point_with_tags_and_stable_guids(tmp_path):
    s = graded_session("Bias amplification and misinformation; I keep human oversight.", hints=3)
    grade = s.turns[0].grade
    expected = [k.point for k in grade.key_points if k.status in ("missed", "partial", "hinted")]
    assert any(k.status == "hinted" for k in grade.key_points)
    notes, decks = read_deck(anki.write_deck(anki.notes_for([s.transcript()]), tmp_path / "a.apkg"))
    assert [fields[2] for _, fields, _ in notes] == expected
    question, prompt, point, reference = notes[0][1]
    assert question == ETHICS.text and "Key Concerns" in prompt and point in reference
    assert all(set(tags) == {"genai_misc", "coverage"} for _, _, tags in notes)
    assert "interviewer: genai_misc" in decks
    again, _ = read_deck(anki.write_deck(anki.notes_for([s.transcript()]), tmp_path / "b.apkg"))
    assert [g for g, _, _ in again] == [g for g, _, _ in notes]  # a second export updates, never duplicates


def test_both_sides_are_escaped_html(tmp_path):
    hostile = parse_bank("# Bank\n\n## 1. What is <b>bias</b>?\n\n**Answer:**\n- <script>alert(1)</script> skew\n"
                         "- <img src=x onerror=alert(2)> drift\n", "evil.md").questions[0]  # fmt: skip
    s = graded_session("I do not know much here, sorry, nothing comes to mind at all.", hostile)
    notes, _ = read_deck(anki.write_deck(anki.notes_for([s.transcript()]), tmp_path / "e.apkg"))
    text = json.dumps([fields for _, fields, _ in notes])
    assert "<script>" not in text and "<img" not in text and "<b>" not in text
    assert "&lt;script&gt;" in text and "&lt;b&gt;bias&lt;/b&gt;" in text


def test_the_cli_exports_a_sessions_deck_and_a_deck_of_the_weakest(tmp_path):
    env = {"INTERVIEWER_DATA_DIR": str(tmp_path / "data")}
    typed = "Bias amplification only.\n\nI built a legal drafting tool with RAG; drafting took 60% less time.\n\n"
    practised = run_cli("practice", "-n", "3", "--followups", "0", "--out", "tr", stdin=typed, env=env, cwd=tmp_path)
    assert practised.code == 0
    [row] = json.loads(run_cli("history", "--json", env=env).out)
    result = run_cli("history", "export", row["id"][:8], "--format", "anki", "--output", "s.apkg", env=env,
                     cwd=tmp_path)  # fmt: skip
    assert result.code == 0 and "notes in the deck “interviewer: genai_misc”" in result.err
    session_notes, _ = read_deck(tmp_path / "s.apkg")
    assert session_notes and all(f[0] == ETHICS.text for _, f, _ in session_notes)  # the story gives none
    weakest = run_cli("anki", "--weakest", "1", "--output", "w.apkg", env=env, cwd=tmp_path)
    assert weakest.code == 0, weakest.err
    notes, _ = read_deck(tmp_path / "w.apkg")
    assert {f[0] for _, f, _ in notes} == {ETHICS.text}


def test_nothing_missed_is_a_message_not_an_empty_file(tmp_path):
    bank = tmp_path / "tiny.md"
    bank.write_text("# Tiny\n\n## 1. What is bias in data?\n\n**Answer:**\nSkewed sampling.\n", encoding="utf-8")
    env = {"INTERVIEWER_DATA_DIR": str(tmp_path / "data")}
    typed = "Bias in data is skewed sampling of the population.\n\n"
    assert run_cli("practice", "--bank", str(bank), "-n", "1", "--followups", "0", "--out", "tr", stdin=typed,
                   env=env, cwd=tmp_path).code == 0  # fmt: skip
    [row] = json.loads(run_cli("history", "--json", env=env).out)
    result = run_cli("history", "export", row["id"], "--format", "anki", "--output", "n.apkg", env=env, cwd=tmp_path)
    assert result.code == 0 and anki.NOTHING_MISSED in result.err
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
