"""A session belongs to its owner (issue 25, item 2; item 15): Gradio keys a page's interview by a session hash
the client makes up and proxies log, so every event checks that the interview it touches is its caller's: the
logged-in person's, or the browser's whose id the server signed. Two real clients at once, through the API."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from interviewer.config import Settings
from interviewer.owner import ALL_OWNERS, Owner
from interviewer.store import Store
from interviewer.users import Users
from interviewer.web.browser_ids import BrowserIds
from tests.support.browser import served

pytestmark = pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")
ALICE = "Alice's own answer about bias audits and human oversight."


def transcript_of(client) -> dict:
    return json.loads(Path(client.predict("json", api_name="/transcript")).read_text(encoding="utf-8"))


@pytest.mark.slow
def test_another_login_with_alices_session_hash_reads_and_changes_nothing(tmp_path):
    from gradio_client import Client

    users = Users(tmp_path / "users.txt")
    users.add("alice", "alice password")
    users.add("bob", "bob password")
    settings = Settings(grader="offline", followups=0, data_dir=tmp_path / "data", users=tmp_path / "users.txt")
    with served(settings) as url:
        alice = Client(url, auth=("alice", "alice password"), verbose=False)
        alice.predict(count=2, api_name="/start")
        alice.predict(ALICE, api_name="/answer")
        bob = Client(url, auth=("bob", "bob password"), verbose=False)
        bob.session_hash = alice.session_hash  # as read from a proxy's log of /queue/data?session_hash=...
        with pytest.raises(Exception, match="belongs to another login"):  # noqa: B017 - gradio_client's own error
            bob.predict("json", api_name="/transcript")
        bob.predict("BOB INJECTED ANSWER", api_name="/answer")  # refused: a notice, nothing changed
        bob.predict(api_name="/retry")
        turns = transcript_of(alice)["turns"]
    assert [t["answer"] for t in turns if t["answer"]] == [ALICE]
    assert all("INJECTED" not in json.dumps(t) for t in turns)


@pytest.mark.browser
def test_a_client_with_a_browser_pages_session_hash_reads_and_changes_nothing(browser, tmp_path):
    """No logins: a browser page's owner is its signed id, which a client holding only the page's session hash
    (seen in a proxy's log) does not have. (A client of the API with no browser id is known by its session hash
    alone, as Gradio knows it: to keep API sessions apart from whoever sees that hash, use logins.)"""
    from gradio_client import Client
    from playwright.sync_api import expect

    from tests.support.browser import answer, new_page, open_app, setup, start

    with served(Settings(grader="offline", followups=0, data_dir=tmp_path / "data")) as url:
        page = new_page(browser)
        hashes: list[str] = []
        page.on("request", lambda r: hashes.extend(re.findall(r"session_hash=([\w-]+)", r.url)))
        open_app(page, url)
        setup(page, count=2)
        start(page, 2)
        answer(page, ALICE)
        other = Client(url, verbose=False)
        other.session_hash = hashes[-1]
        with pytest.raises(Exception, match="belongs to another"):  # noqa: B017 - gradio_client's own error
            other.predict("json", api_name="/transcript")
        other.predict("INJECTED", api_name="/answer")
        other.predict(api_name="/retry")
        expect(page.locator("#chat")).not_to_contain_text("INJECTED")
        answer(page, "The page's own second answer.")  # the page goes on as if nothing happened
        expect(page.locator("#summary")).to_be_visible()
        page.context.close()
    store = Store(tmp_path / "data")
    (row,) = store.sessions(ALL_OWNERS)
    answers = [t.answer for t in store.transcript(row.id).turns]
    assert answers == [ALICE, "The page's own second answer."]


def test_only_ids_the_server_signed_are_owners():
    ids, other_server = BrowserIds("this server's key"), BrowserIds("another key")
    browser = ids.new()
    assert ids.owner(ids.token(browser)) == browser
    forged = [
        "user:alice",  # a logged-in person's owner key, on an app that once had a users file
        ids.token(Owner.browser("user:alice")),  # even signed: not an id's form
        other_server.token(browser),  # signed with another key
        ids.token(browser)[:-1] + ("0" if ids.token(browser)[-1] != "0" else "1"),  # a MAC changed by one digit
        f"{browser.key}.",
        "",
        None,
        "../../etc/passwd",
    ]
    assert [ids.owner(value) for value in forged] == [None] * len(forged)
    assert ids.owner(browser.key) == browser  # an unsigned id from before the upgrade keeps its history
