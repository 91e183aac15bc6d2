"""Input hygiene at the boundaries (a hostile user's review): API keys pasted with quotes or a newline, database
URLs whose password leaks, URLs and model names with broken text, numbers that are not finite, control characters
an LLM writes into a drafted bank, terminal escape sequences from banks, and images an LLM puts in a follow-up.
Each is made fit (or refused, naming the setting) where it comes in: interviewer/unicode.py holds the helpers."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from interviewer import drafting
from interviewer.bank import load_bank
from interviewer.config import Settings
from interviewer.conversation import Tone, told
from interviewer.database import shown
from interviewer.errors import ConfigError
from interviewer.grading.llm_grader import LLMGrader
from interviewer.grading.models import CriterionScore, Grade, GradeRequest, Hint, Penalty
from interviewer.llm import Endpoint, LLMClient, check_base_url, clean_api_key
from interviewer.owner import Owner
from interviewer.service import App
from interviewer.session import Graders, Session, SessionSettings, Step
from interviewer.store import Store
from interviewer.tokens import Usage
from interviewer.transcript import Transcript
from interviewer.unicode import for_bank, for_terminal, without_images
from interviewer.web.handlers import Handlers, StartForm
from interviewer.web.setup import bundled_banks
from tests.support.cli import run_cli
from tests.support.fake_openai import FakeOpenAI
from tests.support.function_model import FunctionModel
from tests.support.responders import grade_responder

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = load_bank(ROOT / "bank" / "genai_misc.md").questions
ME = Owner.browser("me")
REQUEST = GradeRequest(question="What is bias?", reference="Skewed data.", answer="Data that is skewed.")


def handlers(tmp_path: Path) -> Handlers:
    settings = Settings(data_dir=tmp_path / "data", grader="offline")
    return Handlers(App(Store(tmp_path / "data"), settings), bundled_banks(settings))


def start(h: Handlers, **changes):
    fields = dict(banks=[next(iter(h.banks))], count=2, order="in-order", mode="practice", followups=False,
                  base_url="", model="", api_key="", upload=None)  # fmt: skip
    return asyncio.run(h.start(StartForm(**{**fields, **changes}), ME, None, "tab"))


def refused(view) -> str:
    """The page's error, which must be sendable (a lone surrogate in it would break the page's event stream)."""
    assert view.ws is None and view.error, view
    view.error.encode("utf-8")
    return view.error.replace("\\", "")  # as the page shows it: Markdown's escapes taken off


# -- 1. API keys ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("pasted", [
    "\u201csk-test-123\u201d",  # smart quotes from a document
    "sk-test-123\n",  # the newline of `echo key > .env` or a copied line
    "  'sk-test-123'  ",
    '"sk-test-123"\r\n',
    "\ufeff\u2018sk-test-123\u2019\u200b",  # a BOM, typographic single quotes, a zero-width space
    "\u00a0sk-test-123\u2003",  # no-break and em spaces
])  # fmt: skip
def test_a_key_pasted_with_quotes_or_spaces_around_it_is_sent_as_the_key(pasted):
    with FakeOpenAI(responder=grade_responder) as fake:
        settings = Settings(base_url=fake.base_url, model="m", api_key=pasted, llm_retries=0)
        grade = asyncio.run(LLMGrader(LLMClient.from_settings(settings.llm), settings.llm).grade(REQUEST))
        assert fake.requests[0].headers["authorization"] == "Bearer sk-test-123"
    assert grade.grader == "llm:m" and grade.fallback_reason is None


@pytest.mark.parametrize("key", ["sk-test\u2026123", "sk-test\n123", "sk-t\u00e9st", "sk-\u201ctest\u201d-123",
                                 "sk-\ud800"])  # fmt: skip
def test_a_key_a_header_cannot_carry_is_refused_naming_the_setting_and_never_shown(key):
    with pytest.raises(ConfigError, match="OPENAI_API_KEY holds") as info:
        Endpoint(base_url="http://127.0.0.1:9/v1", api_key=key)
    assert key not in str(info.value) and "sk-" not in str(info.value)
    with pytest.raises(ConfigError, match="the API key field holds"):
        clean_api_key(key, "the API key field")
    assert clean_api_key("  ") is None and clean_api_key(None) is None


def test_an_endpoint_takes_its_settings_as_a_dotenv_line_or_a_paste_gives_them():
    endpoint = Endpoint(base_url=" http://127.0.0.1:9/v1\n", api_key="\u201csk-abc\u201d\n")
    assert (endpoint.base_url, endpoint.api_key) == ("http://127.0.0.1:9/v1", "sk-abc")
    assert Endpoint(base_url="", api_key=" ").base_url is None  # OpenAI's own, no key: as if unset
    assert "sk-abc" not in repr(endpoint)


def test_grade_with_a_key_that_cannot_be_sent_stops_in_one_line_and_writes_nothing(tmp_path):
    (tmp_path / "in.jsonl").write_text(json.dumps(REQUEST.model_dump()) + "\n", encoding="utf-8")
    env = {"OPENAI_API_KEY": "sk-abc\u2026xyz", "INTERVIEWER_MODEL": "gpt-4o-mini"}
    result = run_cli("grade", "--input", "in.jsonl", "--output", "out.jsonl", env=env, cwd=tmp_path)
    assert result.code == 1 and "Traceback" not in result.err, result.err
    assert "OPENAI_API_KEY holds the character \u2026 (U+2026) at character 7" in result.err
    assert "sk-abc" not in result.err and not (tmp_path / "out.jsonl").exists()


def test_a_key_typed_in_the_page_is_cleaned_or_refused_naming_the_field(tmp_path):
    h = handlers(tmp_path)
    error = refused(start(h, base_url="http://127.0.0.1:9/v1", model="m", api_key="sk-abc\u2026xyz"))
    assert "the API key field holds the character \u2026" in error and "sk-abc" not in error
    with FakeOpenAI(responder=grade_responder) as fake:
        view = start(h, base_url=fake.base_url, model="m", api_key="\u201csk-page\u201d\n")
        assert view.ws is not None and not view.error
        asyncio.run(_last(h.answer("Bias audits and human oversight.", view.ws)))
        assert fake.requests[0].headers["authorization"] == "Bearer sk-page"


def test_a_header_the_sdk_adds_from_the_environment_that_cannot_be_sent_falls_back_offline_saying_why(monkeypatch):
    """OPENAI_ORG_ID is read by the SDK itself: pasted with smart quotes it failed every request with a bare
    UnicodeEncodeError, which no fallback caught. Now the grading goes on offline and says why."""
    monkeypatch.setenv("OPENAI_ORG_ID", "\u201corg-123\u201d")
    with FakeOpenAI(responder=grade_responder) as fake:
        settings = Settings(base_url=fake.base_url, model="m", llm_retries=0)
        grade = asyncio.run(LLMGrader(LLMClient.from_settings(settings.llm), settings.llm).grade(REQUEST))
        assert fake.requests == []
    assert grade.grader.startswith("offline") and "OpenAI-Organization" in (grade.fallback_reason or "")


# -- 2. the database's password -------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "said"), [
    ("postgresql+psycopg://amy:s3cret@db.lan/class", "postgresql+psycopg://amy:***@db.lan/class"),
    ("postgresql+psycopg://amy@db.lan/class?password=s3cret", "postgresql+psycopg://amy@db.lan/class?password=***"),
    ("postgresql+psycopg://amy:top@s3cret@db.lan/class", "postgresql+psycopg://amy:***@db.lan/class"),  # an @ in it
    ("postgresql+psycopg://amy:s3@cr@et@db.lan:abc/class", "postgresql+psycopg://amy:***@db.lan:abc/class"),
    ("postgresql://db.lan/class?user=amy&sslmode=require&PASSWORD=s3cret&sslpassword=s3cret",
     "postgresql://db.lan/class?user=amy&sslmode=require&PASSWORD=***&sslpassword=***"),
    ("postgresql://db.lan/class?pass%77ord=s3cret", "postgresql://db.lan/class?pass%77ord=***"),  # encoded name
    ("postgresql://amy:s3/c?r#et@db.lan/class", "postgresql://amy:***@db.lan/class"),  # / ? # unescaped
    ("postgresql://amy@db.lan/class?application_name=a@b&password=s3cret",
     "postgresql://amy@db.lan/class?application_name=a@b&password=***"),
    ("sqlite:////srv/a@b/history.sqlite3", "sqlite:////srv/a@b/history.sqlite3"),  # a path is no user info
    ("amy:s3cret@db.lan/class", "(a database URL that cannot be read)"),  # no scheme: not shown at all
])  # fmt: skip
def test_a_database_url_is_shown_with_its_password_masked_whatever_form_it_takes(url, said):
    assert shown(url) == said and "s3" not in shown(url)


@pytest.mark.parametrize(("url", "said"), [
    ("postgresql+psycopg://amy:s3cret@127.0.0.1:abc/class", "INTERVIEWER_DATABASE_URL: its port is not a number"),
    ("postgresql+psycopg://amy:top@s3cret@127.0.0.1/class", "the password holds an @, which must be written %40"),
    ("postgresql+psycopg://amy@127.0.0.1:{port}/class?password=s3cret",
     "postgresql+psycopg://amy@127.0.0.1:{port}/class?password=***"),  # a server that is down
])  # fmt: skip
@pytest.mark.parametrize("argv", [("history",), ("db", "upgrade"), ("practice", "-n", "1")])
def test_a_database_url_that_cannot_be_used_stops_the_command_in_one_line_without_its_password(url, said, argv):
    from tests.support.net import free_port

    port = free_port()
    result = run_cli(*argv, env={"INTERVIEWER_DATABASE_URL": url.format(port=port)}, stdin="an answer\n\n")
    assert result.code == 1 and "Traceback" not in result.err, result.err
    assert said.format(port=port) in result.err and "s3cret" not in result.err + result.out


# -- 4. URLs, model names and numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "said"), [
    ("http://\ud800/v1", "it holds a character that is not valid text (U+D800)"),
    ("http://host/v1\x07", "it holds a control character (U+0007)"),
    ("http://ho\nst/v1", "it holds a control character (U+000A)"),
    ("http://[::1/v1", "its host has a [ without a ]"),
    ("http://::1]/v1", "its host has a [ without a ]"),
    ("http://[zz]/v1", "the address in its brackets is not an IPv6 address"),
    ("http://[::1]:abc/v1", "its port is not a number from 0 to 65535"),
    ("http://host:99999/v1", "its port is not a number from 0 to 65535"),
    ("http://ho st/v1", "its host has a space in it"),
    ("ftp://host/v1", "it must start with http:// or https://"),
])  # fmt: skip
def test_a_base_url_that_cannot_be_used_is_refused_saying_what_is_wrong(tmp_path, url, said):
    assert said in (check_base_url(url) or "")
    error = refused(start(handlers(tmp_path), base_url=url, model="m"))
    assert "the base URL is not usable" in error and "Invalid IPv6 URL" not in error
    with pytest.raises(ConfigError, match="OPENAI_BASE_URL is not usable"):
        Endpoint(base_url=url)


@pytest.mark.parametrize(("model", "said"), [
    ("gpt\ud800", "a character that is not valid text (U+D800)"),
    ("llama\x1b[2J", "a control character (U+001B)"),
    ("m" * 201, "longer than 200 characters"),
])  # fmt: skip
def test_a_model_name_that_cannot_be_used_is_refused_naming_the_field(tmp_path, model, said):
    error = refused(start(handlers(tmp_path), base_url="http://127.0.0.1:9/v1", model=model))
    assert "the model name is not usable" in error and said in error


@pytest.mark.parametrize("count", [float("nan"), float("inf"), -1, 0.5, 501, "NaN", "many", [3]])
def test_a_number_of_questions_that_is_not_a_finite_count_is_refused_in_words(tmp_path, count):
    error = refused(start(handlers(tmp_path), count=count))
    assert "the number of questions must be a whole number from 1 to 500" in error


def test_a_good_number_of_questions_and_an_unknown_order_or_mode(tmp_path):
    h = handlers(tmp_path)
    assert start(h, count="3").ws.session.total == 3  # as the API may send it
    assert start(h, count=2.9).ws.session.total == 2  # its whole part, as before
    assert start(h, count=None).ws.session.total == 5  # the default
    assert "the order must be one of in-order, shuffle, weakest, due" in refused(start(h, order="sideways"))
    assert "the mode must be one of practice, mock" in refused(start(h, mode="exam\ud800"))


def _transcript_json() -> dict:
    session = Session.start(QUESTIONS[:1], SessionSettings(count=1, followups=0), Graders())
    session.hint()
    asyncio.run(session.answer("Bias audits and human oversight."))
    return json.loads(session.transcript().to_json())


@pytest.mark.parametrize("tamper", [
    lambda t: t["turns"][0]["hints"][0].update(cost="1e999"),
    lambda t: t["turns"][0]["hints"][0].update(cost=1000),
    lambda t: t["turns"][0]["grade"]["penalties"][0].update(points=float("inf")),
    lambda t: t["turns"][0]["grade"]["criteria"][0].update(score=float("nan")),
    lambda t: t["turns"][0]["grade"]["criteria"][0].update(weight=float("-inf")),
    lambda t: t["turns"][0]["grade"].update(overall=float("nan")),
    lambda t: t["summary"].update(hint_points=float("inf")),
    lambda t: t["summary"]["criteria"].update(depth=float("nan")),
])  # fmt: skip
def test_numbers_that_are_not_finite_are_refused_where_a_transcript_is_imported(tmp_path, tamper):
    data = _transcript_json()
    assert data["turns"][0]["hints"] and data["turns"][0]["grade"]["penalties"]  # what is tampered with exists
    tamper(data)
    text = json.dumps(data).replace('"1e999"', "1e999")  # JSON's own spelling of a number too big for a float
    with pytest.raises(ValidationError):
        Transcript.from_json(text)
    (tmp_path / "t.json").write_text(text, encoding="utf-8")
    for argv in (("history", "import", "t.json"), ("regrade", "t.json", "--grader", "offline")):
        result = run_cli(*argv, cwd=tmp_path)
        assert result.code == 1 and "Traceback" not in result.err, result.err
        assert "t.json: not a transcript JSON" in result.err
    assert not list(tmp_path.glob("regrade-*.json"))


def test_a_transcript_as_written_has_only_finite_numbers_and_reads_back():
    text = json.dumps(_transcript_json())
    assert "Infinity" not in text and "NaN" not in text
    Transcript.from_json(text)
    with pytest.raises(ValidationError):
        Hint(level=1, text="t", cost=float("inf"))
    with pytest.raises(ValidationError):
        Penalty(reason="hint", points=float("nan"))
    with pytest.raises(ValidationError):
        CriterionScore(name="depth", score=3, weight=float("nan"), justification="")
    assert Grade(overall=50, grader="offline").overall == 50


# -- 5. control characters an LLM writes into a drafted bank --------------------------------------------------


CONTROLS = "\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x85\x9b"


def test_control_characters_from_the_llm_never_reach_a_drafted_bank_and_it_passes_bank_check(tmp_path):
    drafted = [{"kind": "technical", "question": f"How does a Service{CONTROLS} route traffic?\x00",
                "key_points": [{"label": "Mech\x00anism", "text": "kube-proxy\x00 rules\x1b[2J"},
                               {"label": "Trade-off", "text": "linear\r\nin services\x00"}],
                "reference_answer": f"It routes\x00 through iptables.\r\nLine two\x1b]52;c;aGk=\x07.{CONTROLS}"},
               {"kind": "technical", "question": "What is an Ingress?",
                "key_points": [{"label": "A", "text": "\x00\x00"}, {"label": "B", "text": "HTTP routing"}],
                "reference_answer": "\x00"}]  # fmt: skip
    client = FunctionModel(lambda call: json.dumps({"questions": drafted}), model="m\x00odel")
    prepared = drafting.prepare_draft(drafting.DraftRequest(topic="k8s\x00", count=2))
    file = drafting.DraftedFile("k8s\x00", "the topic k8s\x1b[2J", str(tmp_path / "k8s.md"))
    out = asyncio.run(drafting.draft_bank(client, prepared, Usage(), [], file))
    assert out.bank is not None and len(out.bank.questions) == 2
    assert not any(c in out.markdown for c in CONTROLS + "\r\ud800")
    assert "How does a Service route traffic?" in out.markdown and "Line two]52;c;aGk=." in out.markdown
    (tmp_path / "k8s.md").write_text(out.markdown, encoding="utf-8")
    result = run_cli("bank", "check", str(tmp_path / "k8s.md"))
    assert result.code == 0 and "ok:" in result.out, result.out + result.err


def test_a_filled_answer_keeps_no_control_character():
    key_points = [drafting.DraftKeyPoint(label="A\x00", text="one\x07"), drafting.DraftKeyPoint(label="B", text="two")]
    text = drafting.render_answer("technical", key_points, "Body\x00 text\x1b[1m.", "*(Drafted by m\x00: review)*")
    assert text == "**Answer:**\n*(Drafted by m: review)*\n**A:** one\n**B:** two\n\nBody text[1m."
    assert for_bank("a\r\nb\rc\x00d\te") == "a\nb\ncd\te"


# -- 6. terminal escape sequences -----------------------------------------------------------------------------

HOSTILE = {
    "osc 52 clipboard write": "\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07",
    "osc title, ended by ST": "\x1b]0;pwned\x1b\\",
    "screen clear": "\x1b[2J\x1b[H",
    "8-bit CSI": "\x9b2J",
    "8-bit OSC": "\x9d0;pwned\x9c",
    "DCS string": "\x1bPq#0;2;0;0;0\x1b\\",
    "carriage return overwrite": "\rfake prompt$ ",
    "bell and backspace": "\x07\x08",
}


@pytest.mark.parametrize("name", HOSTILE)
def test_for_terminal_takes_out_escape_sequences_and_control_characters(name):
    shown_text = for_terminal(f"before {HOSTILE[name]} after\tand\nnext")
    assert shown_text.startswith("before ") and shown_text.endswith(" after\tand\nnext")
    assert not any(c in shown_text for c in "\x1b\x07\x08\r\x9b\x9c\x9d")
    assert "52;c" not in shown_text and "pwned" not in shown_text and "[2J" not in shown_text


def hostile_bank(folder: Path) -> Path:
    path = folder / "hostile.md"
    path.write_text(
        "# Hostile \x1b]0;title\x07bank\n\n"
        "## 1. What is bias \x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07 in a model?\x1b[2J\n\n"
        "**Answer:**\n**Sources:** skewed \x1b[31mtraining\x1b[0m data \x9b2J.\n\n"
        "**Mitigation:** audits \x1b]8;;http://evil/\x07and\x1b]8;;\x07 oversight.\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("mode", ["practice", "mock"])
def test_practice_prints_a_hostile_banks_questions_and_feedback_without_escape_sequences(tmp_path, mode):
    bank = hostile_bank(tmp_path)
    result = run_cli("practice", "--bank", bank, "-n", "1", "--mode", mode, "--followups", "0",
                     stdin="/hint\n/repeat\nBias comes from skewed data.\n\n", cwd=tmp_path)  # fmt: skip
    assert result.code == 0, result.err
    assert "What is bias" in result.out and "in a model?" in result.out
    assert not any(c in result.out + result.err for c in "\x1b\x07\x9b\x9c"), repr(result.out)


def test_bank_check_prints_a_hostile_file_name_without_escape_sequences(tmp_path):
    folder = tmp_path / "banks"
    folder.mkdir()
    hostile_bank(folder).rename(folder / "x\x1b]52;c;Y3VybA==\x07\x1b[2J.md")
    result = run_cli("bank", "check", folder)
    assert "ok:" in result.out and not any(c in result.out + result.err for c in "\x1b\x07"), repr(result.out)


# -- 7. images in what an LLM writes for the web page ---------------------------------------------------------

IMAGE_FOLLOWUP = (
    "Good start. ![i](http://tracker.example/px.png?who=you) And <img src=http://tracker.example/a.png> "
    "how ![ref][1] would you <IMG\nsrc='http://tracker.example/b.png'/> mitigate it?"
)


@pytest.mark.parametrize(("written", "said"), [
    ("See ![a chart](http://x.example/c.png \"t\").", "See [image: a chart]."),
    ("![](http://x.example/c.png)", "[image]"),
    ("![alt [nested]](http://x.example/c.png)", "[image: alt [nested]]"),
    ("![ref][1]\n\n[1]: http://x.example/c.png", "[ref][1]\n\n[1]: http://x.example/c.png"),  # a link, not fetched
    ('a <img src="http://x.example/c.png" onerror=alert(1)> b', "a  b"),
    ("a <svg><image href='http://x.example/c.png'/></svg> b", "a <svg></svg> b"),
    ("a <video\nposter=http://x.example/c.png>", "a "),
    ("What does the <img> tag's alt text do?", "What does the <img> tag's alt text do?"),  # words, not a fetch
    ("an ![unclosed](http://x.example/c.png", "an [unclosed](http://x.example/c.png"),
    ("plain *markdown* and [a link](http://x.example)", "plain *markdown* and [a link](http://x.example)"),
])  # fmt: skip
def test_without_images_leaves_nothing_a_page_would_fetch(written, said):
    assert without_images(written) == said


def test_a_follow_up_the_llm_wrote_with_images_is_said_without_them():
    session = Session.start(QUESTIONS[:1], SessionSettings(count=1), Graders())
    said = told(session, Step(followup=IMAGE_FOLLOWUP, followup_fallback_reason="refused: ![x](http://t.example/r)"))
    texts = [s.text for s in said]
    assert [s.tone for s in said] == [Tone.NOTICE, Tone.QUESTION]
    assert not any("tracker.example" in t or "t.example" in t or "![" in t for t in texts), texts
    assert "how [ref][1] would you" in texts[1] and "mitigate it?" in texts[1]


def _web_follow_up_chat(tmp_path: Path) -> list[str]:
    """The chat of the web page, as each event of an answer showed it, with an LLM that writes an image into its
    follow-up question."""
    h = handlers(tmp_path)

    def responder(body: dict) -> str:
        return grade_responder(body) if "response_format" in body else IMAGE_FOLLOWUP

    with FakeOpenAI(responder=responder) as fake:
        ws = start(h, base_url=fake.base_url, model="m", followups=True).ws

        async def answer() -> list[str]:
            return [m["content"] async for _ in h.answer("Bias.", ws) for m in ws.chat if m["role"] == "assistant"]

        return asyncio.run(answer())


def test_a_follow_up_with_images_ends_in_the_chat_without_them(tmp_path):
    chat = _web_follow_up_chat(tmp_path)
    assert "mitigate it?" in chat[-1] and "tracker.example" not in chat[-1]


def test_a_follow_up_with_images_is_streamed_into_the_chat_without_them(tmp_path):
    chat = _web_follow_up_chat(tmp_path)
    assert any("tracker.example" in shown_text for shown_text in chat)  # streamed: the model's words go on
    assert not any("![" in shown_text for shown_text in chat)  # but no image syntax (raw tags are escaped)


async def _last(events):
    return [e async for e in events][-1]
