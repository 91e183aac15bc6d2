"""Token counting with no network, answer budgets and cost estimates."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import pytest

from interviewer.tokens import PriceTable, count_tokens, load_prices, truncate_to_tokens

TEXT = "Latent space is a compressed, lower-dimensional representation of the data. " * 20

# Run in a fresh interpreter whose sockets cannot reach anything: DNS either fails at once or hangs,
# the two ways tiktoken's first-use download goes wrong without network.
_NO_NETWORK = textwrap.dedent("""
    import json, os, socket, sys, time
    mode = sys.argv[1]
    def blocked(*args, **kwargs):
        if mode == "hang":
            time.sleep(30)
        raise OSError("network is unreachable")
    socket.getaddrinfo = blocked
    socket.create_connection = blocked
    socket.socket.connect = lambda self, *a: blocked()
    os.environ["TIKTOKEN_CACHE_DIR"] = sys.argv[2]  # empty: nothing cached from earlier runs
    from interviewer.tokens import count_tokens
    started = time.perf_counter()
    first = count_tokens("How does attention scale with sequence length?", "gpt-4o")
    again = count_tokens("How does attention scale with sequence length?", "gpt-4")
    print(json.dumps({"seconds": time.perf_counter() - started, "tokens": first.tokens,
                      "approximate": first.approximate, "exact_for_gpt4": not again.approximate}))
""")


@pytest.mark.slow  # a fresh interpreter per mode
@pytest.mark.parametrize("mode", ["refused", "hang"])
def test_count_tokens_works_quickly_without_network(tmp_path, mode):
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", _NO_NETWORK, mode, str(tmp_path)], capture_output=True,
                            text=True, timeout=20)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["seconds"] < 1.0, data  # the first count loads the bundled encoding
    assert time.monotonic() - started < 10
    assert 5 <= data["tokens"] <= 15
    assert data["approximate"] is True  # gpt-4o uses o200k_base: cl100k is an approximation
    assert data["exact_for_gpt4"] is True


def test_count_tokens_is_fast_once_loaded():
    count_tokens("warm up")
    started = time.perf_counter()
    for _ in range(100):
        count_tokens(TEXT, "gpt-4o-mini")
    assert (time.perf_counter() - started) / 100 < 0.01


@pytest.mark.parametrize(
    ("model", "approximate"),
    [("gpt-4o", True), ("gpt-4o-mini", True), ("gpt-4.1", True), ("gpt-4.1-mini", True), ("gpt-5", True),
     ("o3", True), ("llama3.1:8b", True), (None, True),
     ("gpt-4", False), ("gpt-4-turbo", False), ("gpt-3.5-turbo", False), ("text-embedding-3-small", False)],
)
def test_approximate_says_when_the_encoding_is_not_the_models(model, approximate):
    assert count_tokens("Hello, interviewer!", model).approximate is approximate


def test_count_tokens_values():
    assert count_tokens("", "gpt-4").tokens == 0
    assert count_tokens("hello world", "gpt-4").tokens == 2  # cl100k_base: "hello", " world"
    assert count_tokens("<|endoftext|>", "gpt-4").tokens > 1  # special tokens in text are plain text


def test_truncate_to_tokens():
    total = count_tokens(TEXT).tokens
    assert total > 200
    cut, truncated = truncate_to_tokens(TEXT, 50)
    assert truncated and count_tokens(cut).tokens <= 50
    assert TEXT.startswith(cut) and len(cut) < len(TEXT)
    same, truncated = truncate_to_tokens(TEXT, total)
    assert same == TEXT and not truncated
    assert truncate_to_tokens("", 10) == ("", False)


def test_price_table_cost_for_known_and_unknown_models():
    prices = load_prices()
    assert prices.cost("gpt-4o-mini", 1_000_000, 1_000_000) == pytest.approx(0.15 + 0.60)
    assert prices.cost("gpt-4o", 1000, 500) == pytest.approx((1000 * 2.50 + 500 * 10.00) / 1e6)
    # the longest matching prefix wins: a dated snapshot of the mini model is priced as the mini model
    assert prices.cost("gpt-4o-mini-2024-07-18", 1_000_000, 0) == pytest.approx(0.15)
    assert prices.cost("fake-model", 1000, 1000) is None
    assert prices.cost("llama3.1:8b", 1000, 1000) is None


def test_price_table_is_an_editable_file(tmp_path, caplog):
    path = tmp_path / "prices.toml"
    path.write_text('[models."llama3.1"]\ninput = 0\noutput = 0\n[models."my-model"]\ninput = 1.0\noutput = 2.0\n')
    table = load_prices(str(path))
    assert table.cost("llama3.1:8b", 100, 100) == 0
    assert table.cost("my-model", 1_000_000, 1_000_000) == pytest.approx(3.0)
    path.write_text("this is = not [toml")
    load_prices.cache_clear()
    try:
        with caplog.at_level("WARNING", logger="interviewer.tokens"):
            assert load_prices(str(path)) == PriceTable()  # a broken file means no estimates, not a crash
            assert load_prices(str(tmp_path / "missing.toml")) == PriceTable()
        said = [r.getMessage() for r in caplog.records]  # and it is said, naming the file: not silently no cost
        assert len(said) == 2 and str(path) in said[0] and "missing.toml" in said[1]
        assert all("cost estimates are off" in m for m in said)
    finally:
        load_prices.cache_clear()


def test_a_price_table_from_the_settings_is_used(tmp_path):
    from interviewer.config import Settings
    from interviewer.llm import LLMClient
    from interviewer.transcript import Usage

    table = tmp_path / "prices.toml"
    table.write_text('[models."my-local-model"]\ninput = 1.0\noutput = 2.0\n', encoding="utf-8")
    settings = Settings(model="my-local-model", base_url="http://127.0.0.1:1/v1", prices=table)
    client = LLMClient.from_settings(settings.llm)
    usage = Usage()
    client._record(usage, {"prompt_tokens": 1_000_000, "completion_tokens": 500_000}, [], "")
    assert usage.estimated_cost_usd == pytest.approx(2.0)


def test_the_log_level_is_a_setting_and_a_wrong_one_is_named(monkeypatch):
    import logging

    from interviewer.config import configure_logging, load_settings
    from interviewer.errors import ConfigError

    monkeypatch.setenv("INTERVIEWER_LOG_LEVEL", " debug ")
    assert load_settings().log_level == "DEBUG"
    monkeypatch.setenv("INTERVIEWER_LOG_LEVEL", "chatty")
    with pytest.raises(ConfigError, match="INTERVIEWER_LOG_LEVEL"):
        load_settings()
    root = logging.getLogger()
    before = root.level, list(root.handlers)
    root.handlers.clear()
    try:
        configure_logging()  # a wrong level leaves the default; the command that reads the settings names it
        assert root.level == logging.WARNING
    finally:
        root.handlers[:] = before[1]
        root.setLevel(before[0])
