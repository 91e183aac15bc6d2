"""People who log in (issue 16, part 2): with a users file, a session's owner is the person, so their history
and resume offer follow them to another browser and another replica (two app processes on one history), and
one person never sees another's sessions. Passwords are stored only as salted scrypt hashes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from interviewer.config import Settings
from interviewer.errors import ConfigError
from interviewer.owner import Owner
from interviewer.users import Users, user_owner
from interviewer.web.app import Who
from interviewer.web.browser_ids import BrowserIds
from tests.support.browser import answer, launch_chromium, new_page, served, setup, start
from tests.support.cli import isolated_env, run_cli


def test_passwords_are_hashed_checked_and_never_stored(tmp_path):
    users = Users(tmp_path / "users.txt")
    users.add("alice", "correct horse battery")
    text = (tmp_path / "users.txt").read_text(encoding="utf-8")
    assert "correct horse" not in text and "alice:scrypt$" in text
    again = Users(tmp_path / "users.txt")
    assert again.check("alice", "correct horse battery")
    assert not again.check("alice", "wrong password") and not again.check("bob", "correct horse battery")
    with pytest.raises(ConfigError, match="at least 8"):
        users.add("bob", "short")
    (tmp_path / "bad.txt").write_text("alice:plaintext\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="bad.txt:1"):
        Users(tmp_path / "bad.txt")


def test_users_add_reads_the_password_from_stdin(tmp_path):
    env = isolated_env(tmp_path / "data") | {"INTERVIEWER_USERS": str(tmp_path / "users.txt")}
    result = run_cli("users", "add", "alice", stdin="a long enough password\n", env=env)
    assert result.code == 0, result.err
    assert Users(tmp_path / "users.txt").check("alice", "a long enough password")


def test_a_logged_in_persons_owner_never_comes_from_the_page(tmp_path):
    class Request:
        username = "alice"

    users, ids = Users(tmp_path / "u.txt"), BrowserIds("server key")
    assert Who(users, ids)("some-browser-id", Request()) == user_owner("alice")
    assert Who(users, ids)("user:bob", None) is None  # not logged in: no owner, whatever the page sends
    browser = ids.new()
    assert Who(None, ids)(ids.token(browser), None) == browser  # no users file: the browser's signed id


def log_in(page, url: str, name: str, password: str) -> None:
    page.goto(url)
    page.get_by_label("username").fill(name)
    page.get_by_label("password").fill(password)
    page.get_by_role("button", name="Login").click()
    expect(page.locator("#start-btn")).to_be_visible(timeout=30_000)


@pytest.mark.browser
def test_history_follows_the_person_across_browsers_and_replicas(tmp_path, postgres):
    """Two app instances, each with its own store, on one PostgreSQL database: the hosted set-up."""
    users = Users(tmp_path / "users.txt")
    users.add("alice", "alice password")
    users.add("bob", "bob password")
    settings = Settings(grader="offline", followups=0, data_dir=tmp_path / "data", users=tmp_path / "users.txt",
                        database_url=postgres.create_database("people"))  # fmt: skip
    with served(settings) as replica_a, served(settings) as replica_b, sync_playwright() as p:
        browser = launch_chromium(p)

        alice = new_page(browser)
        log_in(alice, replica_a, "alice", "alice password")
        setup(alice, count=2, followups=False)
        start(alice, 2)
        answer(alice, "Alice's answer: bias amplification and human oversight.")
        bob = new_page(browser)
        log_in(bob, replica_b, "bob", "bob password")
        setup(bob, count=2, followups=False)
        start(bob, 2)
        answer(bob, "Bob's answer: misinformation and content filtering.")

        elsewhere = new_page(browser)  # Alice, in another browser, on the other replica
        log_in(elsewhere, replica_b, "alice", "alice password")
        expect(elsewhere.locator("#resume-text")).to_contain_text("1 of 2 questions answered")
        elsewhere.locator("#resume-btn").click()
        expect(elsewhere.locator("#chat")).to_contain_text("Alice's answer")
        expect(elsewhere.locator("#chat")).not_to_contain_text("Bob's answer")
        elsewhere.get_by_role("tab", name="History").click()
        expect(elsewhere.locator("#sessions-table")).to_contain_text("unfinished")
        rows = elsewhere.locator("#sessions-table tbody tr")
        expect(rows).to_have_count(1)  # hers only, not Bob's
        browser.close()


def test_a_users_file_is_a_login_for_serving_beyond_loopback(tmp_path):
    from interviewer.web.setup import server_settings

    with pytest.raises(ConfigError, match="refusing to serve on 0.0.0.0 without a login"):
        server_settings(Settings(server_name="0.0.0.0"))
    hosted = Settings(server_name="0.0.0.0", users=tmp_path / "users.txt")
    assert server_settings(hosted)["server_name"] == "0.0.0.0"
    shared = server_settings(Settings(server_name="0.0.0.0", auth="class:secret-words"))
    assert shared["auth"] == ("class", "secret-words")


def test_failed_logins_are_rate_limited_per_client_and_say_nothing_of_who_exists(tmp_path, monkeypatch):
    import urllib.error
    import urllib.parse
    import urllib.request

    from interviewer.web.login_limit import TOO_MANY

    # The test's requests come through "nginx on this machine": a proxy the host trusts. Without this, the header
    # is ignored (tests/test_login_security.py). FORWARDED_ALLOW_IPS, which launch() sets, is put back after.
    monkeypatch.setenv("INTERVIEWER_TRUSTED_PROXIES", "127.0.0.1")
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "127.0.0.1")
    Users(tmp_path / "users.txt").add("alice", "alice password")
    settings = Settings(grader="offline", data_dir=tmp_path / "data", users=tmp_path / "users.txt")

    def log_in(url: str, name: str, password: str, client: str) -> tuple[int, str]:
        data = urllib.parse.urlencode({"username": name, "password": password}).encode()
        request = urllib.request.Request(f"{url}login", data=data, headers={"X-Forwarded-For": client})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    with served(settings) as url:
        unknown = log_in(url, "nobody", "whatever pass", "203.0.113.7")
        wrong = log_in(url, "alice", "wrong password", "203.0.113.7")
        assert unknown == wrong  # the same answer whether the name exists or not
        for _ in range(3):
            assert log_in(url, "alice", "wrong password", "203.0.113.7")[0] == 400
        refused = log_in(url, "alice", "alice password", "203.0.113.7")  # even the right one, for a while
        assert refused[0] == 429 and TOO_MANY in refused[1] and "alice" not in refused[1]
        # The proxy appends the real address: a client that writes its own first hop is still itself.
        assert log_in(url, "alice", "alice password", "198.51.100.99, 203.0.113.7")[0] == 429
        assert log_in(url, "alice", "alice password", "198.51.100.4")[0] == 200  # another client is not locked out
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(10) as pool:  # a burst in parallel meets the limit too
            codes = list(pool.map(lambda _: log_in(url, "alice", "nope nope", "192.0.2.1")[0], range(10)))
        assert codes.count(400) == 5 and codes.count(429) == 5, codes


@pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")
def test_two_people_through_the_api_on_two_replicas_own_their_sessions(tmp_path, postgres):
    """Alice and Bob log in through gradio_client, each on another replica of one PostgreSQL history: each
    session is saved under the person who logged in, and a wrong password gets nothing."""
    from gradio_client import Client

    from interviewer.store import Store

    users = Users(tmp_path / "users.txt")
    users.add("alice", "alice password")
    users.add("bob", "bob password")
    database = postgres.create_database("api_people")
    settings = Settings(grader="offline", followups=0, data_dir=tmp_path / "data", users=tmp_path / "users.txt",
                        database_url=database)  # fmt: skip
    with served(settings) as replica_a, served(settings) as replica_b:
        with pytest.raises(Exception):  # noqa: B017 - gradio_client raises its own error for a refused login
            Client(replica_a, auth=("alice", "not her password"), verbose=False)
        for url, name, text in ((replica_a, "alice", "Alice's API answer"), (replica_b, "bob", "Bob's API answer")):
            client = Client(url, auth=(name, f"{name} password"), verbose=False)
            client.predict(api_name="/start")
            client.predict(text, api_name="/answer")
    store = Store(tmp_path / "data", url=database)
    for name, text in (("alice", "Alice's API answer"), ("bob", "Bob's API answer")):
        [row] = store.sessions(Owner.browser(f"user:{name}"))
        assert [t.answer for t in store.transcript(row.id).turns if t.answer] == [text]
