"""The automation contract of the web app, through `gradio_client` (no browser): /start, /answer, /transcript."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from gradio_client import Client

from interviewer.config import Settings
from interviewer.transcript import Transcript
from tests.support.browser import served

pytestmark = pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")

ANSWER = "Bias amplification and privacy violations; I rely on bias auditing, content filtering and human oversight."


@pytest.fixture(scope="module")
def url():
    with served(Settings(grader="offline")) as address:
        yield address


def chat_text(chat: list[dict]) -> list[tuple[str, str]]:
    """(role, text) of each chat message; Gradio 6 gives each content as a list of parts."""
    out = []
    for message in chat:
        content = message["content"]
        if isinstance(content, list):
            content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
        out.append((message["role"], unescape_markdown(str(content))))
    return out


def unescape_markdown(text: str) -> str:
    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!|~>])", r"\1", text)


def transcript(client: Client) -> dict:
    path = client.predict("json", api_name="/transcript")
    return json.loads(Path(path).read_text(encoding="utf-8"))


def test_start_with_no_arguments_starts_a_default_session(url):
    client = Client(url, verbose=False)
    outputs = client.predict(api_name="/start")
    messages = chat_text(outputs[0])
    assert [role for role, _ in messages] == ["assistant", "assistant"]
    assert "5-question interview" in messages[0][1]
    assert messages[1][1].startswith("Question 1 of 5: ")
    data = transcript(client)
    assert data["settings"]["count"] == 5 and data["settings"]["mode"] == "practice"
    assert data["settings"]["banks"] == ["genai_misc.md"]
    assert len(data["turns"]) == 1 and data["turns"][0]["answer"] is None


def test_answer_returns_the_chat_with_the_answer_and_the_next_question(url):
    client = Client(url, verbose=False)
    client.predict(count=2, followups=False, api_name="/start")
    outputs = client.predict(ANSWER, api_name="/answer")
    messages = chat_text(outputs[0])
    assert ("user", ANSWER) in messages
    after = messages[messages.index(("user", ANSWER)) + 1:]
    assert any(text.startswith("Key-point coverage ") for role, text in after if role == "assistant")
    assert after[-1][0] == "assistant" and "Question 2 of 2: " in after[-1][1]


def test_transcript_json_follows_the_transcript_contract(url):
    client = Client(url, verbose=False)
    client.predict(count=2, followups=False, mode="mock", api_name="/start")
    client.predict(ANSWER, api_name="/answer")
    client.predict("Second answer: I built a RAG system that cut drafting time by 60%.", api_name="/answer")
    path = client.predict("json", api_name="/transcript")
    assert path.endswith(".json")
    raw = Path(path).read_text(encoding="utf-8")
    data = json.loads(raw)
    assert data["schema"] == "interviewer.transcript/1"
    assert [t["answer"] for t in data["turns"]] == [ANSWER, "Second answer: I built a RAG system that cut drafting "
                                                            "time by 60%."]
    assert all(t["grade"]["grader"] == "offline:words" for t in data["turns"])
    assert data["finished_at"] and data["summary"]["answered"] == 2
    again = Transcript.from_json(raw)  # re-importable
    assert again.session_id == data["session_id"] and len(again.turns) == 2
    for fmt, suffix, marker in (("markdown", ".md", "# Interview transcript"), ("html", ".html", "<!doctype html>")):
        other = client.predict(fmt, api_name="/transcript")
        assert other.endswith(suffix)
        text = Path(other).read_text(encoding="utf-8")
        assert text.startswith(marker) and "human oversight" in text


def test_two_clients_have_separate_sessions(url):
    a, b = Client(url, verbose=False), Client(url, verbose=False)
    secrets = {"a": "alpha-7741 bias auditing", "b": "bravo-3390 human oversight"}

    def run(name_client):
        name, client = name_client
        client.predict(count=2, followups=False, api_name="/start")
        client.predict(secrets[name], api_name="/answer")
        return name, transcript(client)

    with ThreadPoolExecutor(2) as pool:
        results = dict(pool.map(run, [("a", a), ("b", b)]))
    for me, other in (("a", "b"), ("b", "a")):
        data = results[me]
        assert [t["answer"] for t in data["turns"] if t["answer"] is not None] == [secrets[me]]
        assert secrets[other].split()[0] not in json.dumps(data)
    assert results["a"]["session_id"] != results["b"]["session_id"]


def test_answer_before_start_does_not_crash(url):
    client = Client(url, verbose=False)
    outputs = client.predict("an answer with no session", api_name="/answer")
    said = [str(o) for o in outputs]
    assert any("No interview is running in this page" in o and "reload the page to resume" in o for o in said)


def test_the_readme_automation_example_runs(url):
    """The documented gradio_client example (docs/automation.md), run as written (only the address changed)."""
    section = (Path(__file__).resolve().parents[1] / "docs" / "automation.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert 'Client("http://127.0.0.1:7860/")' in code
    namespace: dict = {}
    exec(code.replace("http://127.0.0.1:7860/", url), namespace)  # noqa: S102 - our own documented example
    data = json.loads(Path(namespace["path"]).read_text(encoding="utf-8"))
    assert data["schema"] == "interviewer.transcript/1"
    assert data["turns"][0]["answer"] == "My answer ..."


def test_an_empty_answer_is_not_taken(url):
    client = Client(url, verbose=False)
    client.predict(api_name="/start")
    outputs = client.predict("   ", api_name="/answer")
    assert any("Type an answer first" in str(o) for o in outputs)
    assert transcript(client)["turns"][0]["answer"] is None  # the question is still open


def test_typed_llm_settings_never_send_the_servers_key_elsewhere():
    from interviewer.owner import Owner
    from interviewer.service import App

    server = Settings(grader="llm", api_key="sk-SERVER-SECRET", model="gpt-4o-mini")
    core = App(None, server).scope(Owner.browser("b"))
    choice = core.app.grader_for("http://elsewhere.example/v1", "m", "")
    assert choice.grader.client.endpoint.api_key is None  # the server's key stays with the server's URL
    choice = core.app.grader_for("", "gpt-4.1-mini", "")
    assert choice.grader.client.endpoint.api_key == "sk-SERVER-SECRET" and choice.grader.client.base_url is None
    closed = App(None, server.model_copy(update={"browser_llm_settings": False})).scope(Owner.browser("b"))
    with pytest.raises(Exception, match="INTERVIEWER_BROWSER_LLM_SETTINGS"):
        closed.app.grader_for("http://elsewhere.example/v1", "m", "")
