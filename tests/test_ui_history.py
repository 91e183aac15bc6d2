"""History in the web app, in a real browser: a reload offers to resume with every answer intact; the
History tab shows the past session, its statistics and due questions, and deletes after confirmation.
And an API key typed into the app reaches the LLM server but no transcript, database or log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gradio_client import Client
from playwright.sync_api import expect, sync_playwright

from interviewer.config import Settings
from interviewer.owner import ALL_OWNERS
from interviewer.store import Store, default_data_dir
from tests.support.browser import (
    answer,
    bot_messages,
    download,
    launch_chromium,
    open_app,
    served,
    setup,
    shot,
    start,
)
from tests.support.browser import new_page as support_new_page
from tests.support.fake_openai import FakeOpenAI
from tests.support.responders import grade_responder

pytestmark = pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")

FIRST = "Bias amplification and misinformation; I audit for bias and keep human oversight in the loop."


@pytest.fixture
def browser():
    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


def new_page(browser):
    """A page in a context of its own: its own local storage, as another browser would have."""
    return support_new_page(browser, viewport={"width": 1280, "height": 900}, accept_downloads=True)


@pytest.fixture
def page(browser):
    return new_page(browser)


@pytest.mark.browser
def test_reload_offers_resume_and_the_history_tab_shows_the_session(page):
    with served(Settings(grader="offline", followups=0)) as url:
        open_app(page, url)
        setup(page, count=2, followups=False)
        start(page, 2)
        answer(page, FIRST)
        expect(page.locator("#chat")).to_contain_text("Question 2 of 2")

        page.reload()  # a closed or refreshed tab
        expect(page.locator("#resume")).to_be_visible(timeout=15_000)
        expect(page.locator("#resume-text")).to_contain_text("1 of 2 questions answered")
        shot(page, "resume-offer")
        page.locator("#resume-btn").click()
        expect(page.locator("#chat")).to_contain_text("Welcome back")
        expect(page.locator("#chat")).to_contain_text("Question 2 of 2")
        expect(page.locator("#chat")).to_contain_text("human oversight in the loop")  # the answer, intact
        expect(page.locator("#resume")).to_be_hidden()
        page.locator("#end-btn").click()
        expect(page.locator("#summary-box")).to_contain_text("1 answered")

        page.get_by_role("tab", name="History").click()
        table = page.locator("#sessions-table")
        expect(table).to_contain_text("finished")
        expect(table).to_contain_text("key-point coverage (offline, by words)")  # offline scores are named as coverage
        expect(page.locator("#due")).to_contain_text("you have practised")  # only seen questions can be due
        expect(page.locator("#stats-table")).to_contain_text("What ethical considerations")
        page.locator("#past-pick input").click()
        page.get_by_role("option").first.click()
        expect(page.locator("#past-view")).to_contain_text("human oversight in the loop")
        _, raw = download(page, "past-json")
        assert json.loads(raw)["turns"][0]["answer"] == FIRST
        shot(page, "history-tab")

        page.locator("#regrade-btn").click()  # re-grade the open session (offline, the only grader here)
        view = page.locator("#regrade-view")
        expect(view).to_contain_text("Re-graded")
        expect(view).to_contain_text("Spearman between the two gradings")
        expect(view.locator("table tbody tr")).to_have_count(1)
        page.locator("#history-refresh").click()
        expect(page.locator("#sessions-table")).to_contain_text("re-grade of")
        shot(page, "history-regrade")

        page.locator("#history-delete").click()
        expect(page.locator("#delete-confirm")).to_be_visible()
        page.locator("#delete-yes").click()
        expect(page.locator("#sessions-table")).not_to_contain_text("finished")
    assert Store.open(Settings().storage).sessions(ALL_OWNERS) == []


@pytest.mark.browser
def test_an_interview_closed_while_idle_is_offered_for_resume_in_place_keeping_what_was_typed(page):
    """The page's interview is dropped from memory after its idle time; the next Submit says so and offers
    Resume right beside the notice. Resuming there goes on with the saved answers, and the answer typed in
    the box is neither lost nor cleared, so a second Submit sends it."""
    with served(Settings(grader="offline", followups=0, session_ttl=3)) as url:
        open_app(page, url)
        setup(page, count=2, followups=False)
        start(page, 2)
        answer(page, FIRST)
        expect(page.locator("#chat")).to_contain_text("Question 2 of 2")
        page.wait_for_timeout(5_000)  # idle past the time-to-live: the server forgets the page's interview
        typed = "A second answer typed after a long pause: retrieval first, then generation."
        page.locator("#answer-box textarea").fill(typed)
        page.locator("#submit-btn").click()
        expect(page.locator("#notice")).to_contain_text("closed after a long idle time")
        expect(page.locator("#notice")).to_contain_text("1 of 2 questions answered")
        resume_here = page.locator("#resume-here-btn")
        expect(resume_here).to_be_visible()
        shot(page, "resume-in-place")
        resume_here.click()
        expect(page.locator("#chat")).to_contain_text("Welcome back")
        expect(resume_here).to_be_hidden()
        expect(page.locator("#answer-box textarea")).to_have_value(typed)
        page.locator("#submit-btn").click()
        expect(page.locator("#summary-box")).to_contain_text("2 answered")
        _, raw = download(page, "dl-json")
    assert [t["answer"] for t in json.loads(raw)["turns"]] == [FIRST, typed]


@pytest.mark.browser
def test_another_browser_sees_neither_the_resume_offer_nor_the_history(browser, page):
    with served(Settings(grader="offline", followups=0)) as url:
        open_app(page, url)
        start(page, 5)
        answer(page, FIRST)
        assert bot_messages(page).count() > 0
        stranger = new_page(browser)
        open_app(stranger, url)
        stranger.wait_for_timeout(1500)
        expect(stranger.locator("#resume")).to_be_hidden()
        stranger.get_by_role("tab", name="History").click()
        expect(stranger.locator("#due")).to_contain_text("No question practised yet")  # not the owner's reviews
        expect(stranger.locator("#sessions-table")).not_to_contain_text("unfinished")
        page.reload()  # the owner still gets the offer
        expect(page.locator("#resume")).to_be_visible(timeout=15_000)  # after the page's load event, on a busy CI


def test_an_api_key_typed_in_the_app_is_used_but_never_stored():
    secret = "sk-test-do-not-store-7f3a9c"
    with FakeOpenAI(responder=grade_responder) as fake, served(Settings(grader="offline", followups=0)) as url:
        client = Client(url, verbose=False)
        client.predict(base_url=fake.base_url, model="fake-model", api_key=secret, api_name="/start")
        client.predict(FIRST, api_name="/answer")
        path = client.predict("json", api_name="/transcript")
        transcript = Path(path).read_text(encoding="utf-8")
        auth = [r.headers.get("authorization") for r in fake.requests]
    assert auth and all(a == f"Bearer {secret}" for a in auth)  # it reached the LLM server
    assert json.loads(transcript)["grader"] == "llm:fake-model"
    assert secret not in transcript
    for file in default_data_dir(Settings()).rglob("*"):
        if file.is_file():
            assert secret.encode() not in file.read_bytes(), file
