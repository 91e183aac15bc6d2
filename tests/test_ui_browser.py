"""The web app in a real browser: Playwright driving Debian's Chromium against the app on a free port.

Each scenario saves a full-page screenshot under test-artifacts/screenshots/ (look at them).
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from interviewer.config import Settings
from tests.support.browser import (
    TIMEOUT_MS,
    answer,
    answer_box,
    bot_messages,
    download,
    open_app,
    served,
    setup,
    shot,
    start,
    user_messages,
)
from tests.support.fake_openai import FakeOpenAI
from tests.support.responders import FAKE_JUSTIFICATION, FAKE_SUGGESTION, grade_responder

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")]

Q1 = "What ethical considerations are crucial when deploying generative models"
Q2 = "Can you describe a challenging project involving generative models"
ANSWER_1 = (
    "Bias amplification, misinformation and privacy violations are the main risks.\n"
    "I mitigate them with bias auditing, content filtering & human oversight."
)
ANSWER_2 = "I built a legal drafting system with RAG over a case-law database.\nIt cut drafting time by 60% <measured>."

XSS_LINES = [
    '<img src=x onerror="window.__xss=1">',
    "<script>window.__xss=2</script>",
    "| a | b |",
    "## 3. Fake question",
    '<svg onload="alert(1)"></svg>',
]
XSS_ANSWER = "\n".join(XSS_LINES)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    yield pg
    context.close()


def offline() -> Settings:
    return Settings(grader="offline")


def check_feedback_card(page, question: str) -> None:
    """The practice-mode feedback after an answer: score, rubric rows, key points and the chart."""
    card = page.locator("#feedback")
    expect(page.locator("#feedback-col")).to_be_visible()
    expect(card).to_contain_text(question)
    expect(card.locator(".iv-overall")).to_contain_text("/100")
    rows = card.locator("table.iv-rubric tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 3
    expect(card.locator("table.iv-rubric")).to_contain_text("coverage")
    expect(card).to_contain_text("Key points:")
    expect(card.locator(".iv-kp li").first).to_be_visible()
    bars = card.locator(".iv-bars .iv-bar")
    expect(bars.first).to_be_visible()
    assert bars.count() == rows.count()


# -- 1. practice session, offline grader -----------------------------------------------------------


def test_practice_session_offline_from_setup_to_summary_and_downloads(page):
    with served(offline()) as url:
        open_app(page, url)
        expect(page.locator("#grader-label")).to_contain_text("Offline grader")
        setup(page, count=2, mode="practice", followups=False)
        start(page, 2)
        expect(page.locator("#feedback-col")).to_be_hidden()

        answer_box(page).fill("Bias amplification")
        hint = page.locator("#hint-btn")
        expect(hint).to_have_text("Hint (−5 points)")  # the cost is said before the hint is taken
        hint.click()
        expect(bot_messages(page).filter(has_text="Hint 1 of 3 (nudge, −5 points)")).to_have_count(1)
        expect(hint).to_have_text("Hint (−10 points)")
        answer(page, ANSWER_1)  # the Submit button
        expect(page.locator("#chat")).to_contain_text("Question 2 of 2")
        expect(page.locator("#progress")).to_contain_text("Question 2 of 2")
        expect(hint).to_have_text("Hint (−5 points)")  # a new question, a new ladder
        expect(user_messages(page).first).to_contain_text("content filtering & human oversight")
        coverage_line = bot_messages(page).filter(has_text="Key-point coverage")
        # offline: coverage, no verdict; the hint's cost is said with the score
        expect(coverage_line).to_contain_text("/100 (offline, by words; correctness not checked, −5 for 1 hint)")
        expect(page.locator("#feedback .iv-penalty")).to_contain_text("−5 for 1 hint")
        expect(page.locator("#feedback .iv-measure")).to_have_text("Key-point coverage")
        expect(page.locator("#feedback .iv-band")).to_have_count(0)
        check_feedback_card(page, Q1)
        clear = page.locator('#chat button[aria-label="Clear"]')  # Gradio's own: it would hide the question
        assert clear.count() == 1
        expect(clear).to_be_hidden()
        expect(page.locator("#downloads")).to_be_visible()  # downloads at any point of the session
        shot(page, "practice-offline-feedback")

        answer(page, ANSWER_2, shortcut=True)  # Ctrl+Enter in the answer box
        expect(page.locator("#summary")).to_be_visible()
        # no event of the session failed (a failing event shows Gradio's "Error" toast)
        expect(page.get_by_role("button", name=re.compile(r"^Error"))).to_have_count(0)
        expect(page.locator("#summary-box")).to_contain_text("Overall key-point coverage")
        expect(page.locator("#summary-table")).to_contain_text("key-point coverage")
        expect(page.locator("#summary-box")).to_contain_text("2 answered")
        expect(page.locator("#summary-plot svg .mark-rect path").first).to_be_visible()
        table = page.locator("#summary-table")
        expect(table).to_contain_text(Q1)
        expect(table).to_contain_text(Q2)
        shot(page, "practice-offline-summary")

        name, md = download(page, "dl-md")
        assert name.endswith(".md")
        assert ANSWER_1 in md and ANSWER_2 in md

        name, raw = download(page, "dl-json")
        assert name.endswith(".json")
        data = json.loads(raw)
        assert data["schema"] == "interviewer.transcript/1"
        assert [t["answer"] for t in data["turns"]] == [ANSWER_1, ANSWER_2]
        assert all(t["grade"]["overall"] is not None for t in data["turns"])
        assert data["turns"][0]["hints"], "the hint taken is recorded"
        assert data["settings"]["mode"] == "practice" and data["settings"]["count"] == 2

        name, page_html = download(page, "dl-html")
        assert name.endswith(".html")
        assert "content filtering &amp; human oversight" in page_html
        assert "60% &lt;measured&gt;" in page_html
        assert "<measured>" not in page_html


def test_practice_mode_shows_the_feedback_of_the_last_answer(page):
    """Practice mode promises feedback after each answer, the last one included ("The feedback is below
    the chat"): once the session finishes, the last answer's rubric must still be on the page."""
    with served(offline()) as url:
        open_app(page, url)
        setup(page, count=1, mode="practice", followups=False)
        start(page, 1)
        answer(page, ANSWER_1)
        expect(page.locator("#summary")).to_be_visible()
        shot(page, "practice-last-answer")
        card = page.locator(".iv-feedback:visible", has_text=Q1).first
        expect(card.locator("table.iv-rubric")).to_be_visible()
        expect(card).to_contain_text("Key points:")


# -- 2. mock mode ----------------------------------------------------------------------------------


def test_mock_session_feedback_only_at_the_end(page):
    with served(offline()) as url:
        open_app(page, url)
        setup(page, count=2, mode="mock", followups=False)
        start(page, 2)
        expect(page.locator("#chat")).to_contain_text("feedback at the end")

        answer(page, ANSWER_1)
        expect(page.locator("#chat")).to_contain_text("Question 2 of 2")
        expect(page.locator("#feedback-col")).to_be_hidden()
        expect(bot_messages(page).filter(has_text="Key-point coverage")).to_have_count(0)
        shot(page, "mock-during")

        answer(page, ANSWER_2, shortcut=True)
        expect(page.locator("#summary")).to_be_visible()
        cards = page.locator("#all-feedback .iv-feedback")
        expect(cards).to_have_count(2)
        expect(cards.nth(0)).to_contain_text(Q1)
        expect(cards.nth(1)).to_contain_text(Q2)
        for i in range(2):
            expect(cards.nth(i).locator(".iv-overall")).to_contain_text("/100")
            expect(cards.nth(i).locator("table.iv-rubric tbody tr").first).to_be_visible()
        expect(page.locator("#summary-plot svg .mark-rect path").first).to_be_visible()
        expect(page.locator("#summary-table")).to_contain_text(Q2)
        shot(page, "mock-summary")

        _, raw = download(page, "dl-json")
        data = json.loads(raw)
        assert data["settings"]["mode"] == "mock"
        assert [t["answer"] for t in data["turns"]] == [ANSWER_1, ANSWER_2]


# -- 3. LLM grader against the fake server, then its fallback ---------------------------------------


def llm_settings(fake: FakeOpenAI) -> Settings:
    return Settings(grader="llm", base_url=fake.base_url, model="gpt-fake", llm_timeout=5, llm_retries=0,
                    followups=0)


def test_llm_grader_then_fallback_when_the_server_goes_down(page):
    with FakeOpenAI(responder=grade_responder) as fake, served(llm_settings(fake)) as url:
        open_app(page, url)
        expect(page.locator("#grader-label")).to_contain_text(f"LLM: gpt-fake at 127.0.0.1:{fake.port}")
        setup(page, count=3, mode="practice")
        start(page, 3)

        answer(page, ANSWER_1)
        expect(page.locator("#chat")).to_contain_text("Question 2 of 3")
        card = page.locator("#feedback")
        expect(card).to_contain_text("LLM grader (gpt-fake)")
        expect(card.locator("table.iv-rubric")).to_contain_text(FAKE_JUSTIFICATION)
        expect(card).to_contain_text(FAKE_SUGGESTION)
        expect(page.locator("#notice")).not_to_contain_text("offline")
        graded = [r for r in fake.requests if r.path.endswith("/chat/completions")]
        assert graded and graded[0].body["response_format"]["type"] == "json_schema"
        shot(page, "llm-graded")

        fake.down()
        answer(page, ANSWER_2)
        expect(page.locator("#chat")).to_contain_text("Question 3 of 3")
        notice = page.locator("#notice")
        expect(notice).to_be_visible()
        expect(notice).to_contain_text("graded offline")
        expect(notice).to_contain_text(f"could not connect to the LLM server at 127.0.0.1:{fake.port}")
        expect(card).to_contain_text("Offline grader")
        expect(card).to_contain_text("LLM grading failed")
        expect(user_messages(page).nth(1)).to_contain_text("It cut drafting time by 60%")
        shot(page, "llm-fallback")

        _, raw = download(page, "dl-json")
        turns = json.loads(raw)["turns"]
        assert [t["answer"] for t in turns[:2]] == [ANSWER_1, ANSWER_2]
        assert turns[0]["grade"]["grader"] == "llm:gpt-fake" and not turns[0]["grade"]["fallback_reason"]
        assert turns[1]["grade"]["grader"] == "offline:words"
        assert "could not connect" in turns[1]["grade"]["fallback_reason"]

        page.locator("#end-btn").click()
        expect(page.locator("#summary")).to_be_visible()
        expect(page.locator("#summary-box")).to_contain_text("Tokens:")


def test_fallback_on_the_last_answer_is_shown(page):
    """The notice that grading fell back lives in the interview column, which is hidden once the last
    answer finishes the session: the candidate must still be told that the last answer was graded offline."""
    with FakeOpenAI(responder=grade_responder) as fake, served(llm_settings(fake)) as url:
        open_app(page, url)
        setup(page, count=1, mode="practice")
        start(page, 1)
        fake.down()
        answer(page, ANSWER_1)
        expect(page.locator("#summary")).to_be_visible()
        shot(page, "llm-fallback-last-answer")
        expect(page.get_by_text("could not connect to the LLM server").first).to_be_visible()


# -- 4. uploaded banks -----------------------------------------------------------------------------

BAD_BANK = """# Upload test bank

## 1. What is a vector database?
**Answer:** A database built to store embeddings and search them by similarity.
## 2. What is a reranker?
A model that reorders retrieved passages.
"""

GOOD_BANK = """# Uploaded practice bank

## 1. What does a reranker do in retrieval-augmented generation?

**Answer:**
**Role:** Reorders the retrieved passages by relevance to the query, using a cross-encoder.

**Benefit:** Better context in the prompt, fewer irrelevant passages.

## 2. Why normalise embeddings before cosine similarity search?

**Answer:**
Normalised vectors make the dot product equal to cosine similarity, so faster inner-product indexes work.
"""


def test_uploaded_bank_error_by_line_then_a_valid_upload_starts_a_session(page, tmp_path):
    bad, good = tmp_path / "broken-bank.md", tmp_path / "rag-bank.md"
    bad.write_text(BAD_BANK, encoding="utf-8")
    good.write_text(GOOD_BANK, encoding="utf-8")
    with served(offline()) as url:
        open_app(page, url)
        file_input = page.locator("#upload input[type=file]")
        file_input.set_input_files(str(bad))
        status = page.locator("#upload-status")
        expect(status).to_contain_text("line 5")
        expect(status).to_contain_text("broken-bank.md")
        expect(status).to_contain_text("question 2 has no '**Answer:**' line")
        shot(page, "upload-error")

        page.locator("#upload button[aria-label='Clear']").click()
        file_input.set_input_files(str(good))
        expect(status).to_contain_text("Uploaded Uploaded practice bank: 2 questions")
        expect(status).not_to_contain_text("Error")
        page.locator("#banks input[type=checkbox]").first.uncheck()  # the uploaded bank only
        setup(page, count=2, followups=False)
        start(page, 2)
        expect(page.locator("#chat")).to_contain_text("What does a reranker do in retrieval-augmented generation?")
        shot(page, "upload-session")
        answer(page, "A cross-encoder reorders the retrieved passages by relevance.")
        expect(page.locator("#chat")).to_contain_text("Why normalise embeddings before cosine similarity search?")
        _, raw = download(page, "dl-json")
        data = json.loads(raw)
        assert data["turns"][0]["question_id"].startswith("rag-bank#")
        assert data["settings"]["banks"] == ["rag-bank.md"]


# -- 5. escaping -----------------------------------------------------------------------------------


def test_html_and_script_in_an_answer_are_shown_literally_and_never_run(page, tmp_path):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    with served(offline()) as url:
        open_app(page, url)
        setup(page, count=2, mode="practice", followups=False)
        start(page, 2)
        answer(page, XSS_ANSWER)
        expect(page.locator("#chat")).to_contain_text("Question 2 of 2")

        mine = user_messages(page).first
        for line in XSS_LINES:
            expect(mine).to_contain_text(line)
        for tag in ("img", "script", "svg", "table", "h1", "h2", "h3"):
            expect(mine.locator(tag)).to_have_count(0)

        card = page.locator("#feedback")
        card.locator("details summary", has_text="Your answer").click()
        shown = card.locator("details pre").first
        expect(shown).to_be_visible()
        for line in XSS_LINES:
            expect(shown).to_contain_text(line)
        for tag in ("img", "script", "svg"):
            expect(card.locator(tag)).to_have_count(0)
        expect(page.locator("#interview img[src=x]")).to_have_count(0)
        shot(page, "xss-literal")

        _, page_html = download(page, "dl-html")
        assert "<script>window.__xss" not in page_html and "<img src=x" not in page_html
        assert "&lt;script&gt;window.__xss=2&lt;/script&gt;" in page_html
        _, md = download(page, "dl-md")
        assert XSS_ANSWER in md

        assert page.evaluate("typeof window.__xss") == "undefined"
        exported = tmp_path / "transcript.html"
        exported.write_text(page_html, encoding="utf-8")
        page.goto(exported.as_uri())  # the printable export opened in the browser runs nothing either
        expect(page.locator("body")).to_contain_text("<script>window.__xss=2</script>")
        assert page.evaluate("typeof window.__xss") == "undefined"
        assert dialogs == []



def test_grade_offline_now_is_offered_while_a_slow_llm_grades_and_stops_the_wait(page):
    """After a few seconds of waiting for the LLM a "Grade offline now" button appears; pressing it grades the
    answer offline at once (the LLM would take 20 s), says so, and the button goes away again."""
    with FakeOpenAI(responder=grade_responder, delay=20) as fake:
        settings = llm_settings(fake).model_copy(update={"llm_timeout": 60, "offline_offer_after": 1})
        with served(settings) as url:
            open_app(page, url)
            setup(page, count=2, followups=False)
            start(page, 2)
            offer = page.locator("#offline-btn")
            expect(offer).to_be_hidden()  # nothing to wait for yet
            answer_box(page).fill(ANSWER_1)
            page.locator("#submit-btn").click()
            expect(offer).to_be_visible(timeout=6_000)
            expect(page.locator("#notice")).to_contain_text("taking a while")
            shot(page, "grade-offline-offer")
            offer.click()
            expect(page.locator("#chat")).to_contain_text("Question 2 of 2", timeout=8_000)  # not the 20 s wait
            expect(offer).to_be_hidden()
            expect(page.locator("#notice")).to_contain_text("graded offline")
            _, raw = download(page, "dl-json")
    first = json.loads(raw)["turns"][0]
    assert first["answer"] == ANSWER_1 and first["grade"]["grader"] == "offline:words"
    assert "not to wait" in first["grade"]["fallback_reason"]


def test_skip_pressed_while_a_slow_llm_grades_stops_waiting_and_loses_nothing(page):
    """Skip during a slow grading stops waiting for the LLM: the answer is graded offline at once, the next
    question comes, and nothing is skipped or lost (one action at a time per session still holds)."""
    with FakeOpenAI(responder=grade_responder, delay=15) as fake, served(llm_settings(fake)) as url:
        open_app(page, url)
        setup(page, count=2, followups=False)
        start(page, 2)
        answer_box(page).fill(ANSWER_1)
        page.locator("#submit-btn").click()
        expect(user_messages(page).first).to_contain_text("human oversight")  # taken, grading now
        page.locator("#skip-btn").click()
        expect(page.locator("#chat")).to_contain_text("Question 2 of 2", timeout=8_000)  # not the 15 s wait
        expect(page.locator("#notice")).to_contain_text("graded offline")
        _, raw = download(page, "dl-json")
    turns = json.loads(raw)["turns"]
    assert turns[0]["answer"] == ANSWER_1 and not turns[0]["skipped"]
    assert turns[0]["grade"]["grader"] == "offline:words" and "not to wait" in turns[0]["grade"]["fallback_reason"]
    assert len(turns) == 2 and not turns[1]["skipped"]  # the click during grading skipped nothing


def test_points_recovered_after_a_follow_up_are_said_on_the_feedback_card(page):
    with served(Settings(grader="offline", followups=1)) as url:
        open_app(page, url)
        setup(page, count=1, mode="practice", followups=True)
        start(page, 1)
        answer(page, "Bias amplification and misinformation generation are the main risks.")
        expect(bot_messages(page).last).to_contain_text("Let's go a bit deeper")  # the follow-up question
        answer(page, "Also privacy violations and intellectual property issues.")
        expect(page.locator("#summary-box")).to_contain_text("2 key points recovered after follow-ups")
        card = page.locator("#summary-details")
        expect(card.locator(".iv-recovered")).to_contain_text(
            "Recovered after the follow-up: 2 points (Privacy violations, Intellectual property issues)"
        )
        expect(card.locator(".iv-kp-recovered")).to_have_count(2)
        shot(page, "recovered-after-follow-up")


def test_try_again_answers_the_question_once_more_and_shows_what_changed(page):
    with served(offline()) as url:
        open_app(page, url)
        setup(page, count=2, mode="practice", followups=False)
        start(page, 2)
        retry = page.locator("#retry-btn")
        expect(retry).to_be_hidden()  # nothing graded yet
        answer(page, "Bias amplification.")
        expect(page.locator("#chat")).to_contain_text("Question 2 of 2")
        expect(retry).to_be_visible()
        retry.click()
        expect(bot_messages(page).last).to_contain_text("Question 1 of 2 (attempt 2)")
        expect(retry).to_be_hidden()
        answer(page, ANSWER_1)
        change = page.locator("#feedback .iv-change")
        expect(change).to_contain_text("Attempt 2: +")
        expect(change).to_contain_text("on attempt 1")
        expect(change.locator(".iv-kp-new mark").first).to_be_visible()  # newly covered points, highlighted
        expect(page.locator("#feedback h3")).to_contain_text("(attempt 2)")
        expect(bot_messages(page).last).to_contain_text("Question 2 of 2")  # the next question comes back
        shot(page, "try-again-change")
        answer(page, ANSWER_2)
        expect(page.locator("#summary-box")).to_contain_text("1 retry")
        _, raw = download(page, "dl-json")
    turns = json.loads(raw)["turns"]
    assert [(t["question_id"], t["attempt"]) for t in turns] == [
        ("genai_misc#1", 1), ("genai_misc#1", 2), ("genai_misc#2", 1)
    ]
    assert turns[0]["answer"] == "Bias amplification." and turns[1]["answer"] == ANSWER_1


def test_after_a_mock_interview_practise_my_weakest_starts_a_practice_session_on_them(page):
    with served(offline()) as url:
        open_app(page, url)
        setup(page, count=2, mode="mock", followups=False)
        start(page, 2)
        expect(page.locator("#retry-btn")).to_be_hidden()  # mock mode: no retries until the end
        answer(page, "Bias amplification.")
        answer(page, ANSWER_2)
        weakest = page.locator("#weakest-btn")
        expect(weakest).to_be_visible()
        weakest.click()
        expect(page.locator("#chat")).to_contain_text("1-question interview (feedback after each answer)")
        expect(page.locator("#chat")).to_contain_text(f"Question 1 of 1: {Q1}")


def test_levels_and_topics_follow_the_banks_ticked_and_pick_the_questions(page):
    """The library beside the default bank: its levels and topics are offered once one of its banks is ticked,
    with how many questions each holds, and the interview asks only the questions chosen."""
    with served(offline()) as url:
        open_app(page, url)
        banks = page.locator("#banks")
        expect(banks.locator("label").first).to_contain_text("Some Miscellaneous Questions")
        expect(banks.locator("input[type=checkbox]").first).to_be_checked()  # the default stays the default
        levels = page.locator("#levels")
        expect(levels).to_contain_text("The banks chosen give no levels")
        banks.locator("input[type=checkbox]").first.uncheck()
        banks.locator("label", has_text="Retrieval-Augmented Generation").click()
        expect(levels.locator("label", has_text="senior (4)")).to_be_visible()
        expect(levels).to_contain_text("Of the questions in the banks chosen")
        levels.locator("label", has_text="senior (4)").click()
        topics = page.locator("#topics input")
        topics.click()
        options = page.locator("ul[role=listbox] li")
        expect(options.first).to_have_text(re.compile(r"rag \(12\)"))  # the bank's own tag, most held, first
        topics.fill("evaluation")
        page.locator("ul[role=listbox] li", has_text="evaluation (3)").click()
        page.keyboard.press("Escape")
        setup(page, count=5, followups=False)
        start(page, 2)  # two senior RAG questions are about evaluation
        expect(page.locator("#chat")).to_contain_text("How do you evaluate the answers a RAG system generates")
        shot(page, "setup-levels-topics")
