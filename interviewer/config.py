"""Settings from the environment and a .env file (documented field by field: docs/configuration.md is generated
from them), and the Exposure policy read from them."""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import platformdirs
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyNetwork,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic.json_schema import JsonDict
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .bank import DEFAULT_BANK
from .errors import ConfigError


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


# The group each variable is documented under (docs/configuration.md).
LLM: JsonDict = {"group": "LLM grader"}
GRADING: JsonDict = {"group": "Grading and sessions"}
WEB: JsonDict = {"group": "Web app"}
HOSTING: JsonDict = {"group": "Hosting for others"}
STORAGE: JsonDict = {"group": "Storage and logs"}


class Settings(BaseSettings):
    """Every setting, read from the environment and `.env`; each field's docstring is its documentation
    (docs/configuration.md is generated from them)."""

    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", populate_by_name=True, use_attribute_docstrings=True
    )

    grader: Literal["auto", "llm", "offline"] = Field(
        "auto", validation_alias=_env("INTERVIEWER_GRADER"), json_schema_extra=LLM
    )
    """`auto` (the LLM when a key or base URL and a model are set), `llm`, or `offline`."""
    api_key: SecretStr | None = Field(None, validation_alias=_env("OPENAI_API_KEY"), json_schema_extra=LLM)
    """The LLM provider's API key (not needed for a local server)."""
    base_url: str | None = Field(None, validation_alias=_env("OPENAI_BASE_URL"), json_schema_extra=LLM)
    """An OpenAI-compatible server, e.g. `http://localhost:11434/v1` (default: OpenAI's)."""
    model: str | None = Field(None, validation_alias=_env("INTERVIEWER_MODEL"), json_schema_extra=LLM)
    """The model's name (needed for the LLM grader; shown to the candidate)."""
    llm_timeout: float = Field(60.0, gt=0, validation_alias=_env("INTERVIEWER_LLM_TIMEOUT"), json_schema_extra=LLM)
    """Seconds for one LLM attempt."""
    llm_retries: int = Field(2, ge=0, le=10, validation_alias=_env("INTERVIEWER_LLM_RETRIES"), json_schema_extra=LLM)
    """The SDK's retries on 429, 5xx and timeouts (with backoff, honouring Retry-After)."""
    llm_budget: float = Field(120.0, gt=0, validation_alias=_env("INTERVIEWER_LLM_BUDGET"), json_schema_extra=LLM)
    """Seconds one grading may take in all, retries included, before the offline grader takes over."""
    temperature: float | None = Field(0.0, validation_alias=_env("INTERVIEWER_TEMPERATURE"), json_schema_extra=LLM)
    """Sampling temperature; `none` for reasoning models that accept none (also detected)."""
    seed: int | None = Field(7, validation_alias=_env("INTERVIEWER_SEED"), json_schema_extra=LLM)
    """Sampling seed; `none` to send none."""
    answer_token_budget: int = Field(
        2000, ge=50, validation_alias=_env("INTERVIEWER_ANSWER_TOKENS"), json_schema_extra=LLM
    )
    """A reply longer than this many tokens is cut for grading (flag `truncated_answer`; the transcript keeps it
    whole)."""
    anchors: int = Field(5, ge=0, le=20, validation_alias=_env("INTERVIEWER_ANCHORS"), json_schema_extra=LLM)
    """Graded example replies per rubric the LLM grader reads before grading (the rubric files' `[[examples]]`);
    0: none (a shorter prompt)."""
    followup_budget: float = Field(
        20.0, gt=0, validation_alias=_env("INTERVIEWER_FOLLOWUP_BUDGET"), json_schema_extra=LLM
    )
    """Seconds an LLM follow-up question may take in all before the offline one is asked."""
    prices: Path | None = Field(None, validation_alias=_env("INTERVIEWER_PRICES"), json_schema_extra=LLM)
    """A price table like `prompts/prices.toml`, for cost estimates (default: that one)."""
    bank: str | None = Field(None, validation_alias=_env("INTERVIEWER_BANK"), json_schema_extra=GRADING)
    """Bank files or folders, separated by `:` (`;` on Windows) (default: `bank/genai_misc.md`)."""
    followups: int = Field(1, ge=0, le=2, validation_alias=_env("INTERVIEWER_FOLLOWUPS"), json_schema_extra=GRADING)
    """Follow-up questions per question, 0-2."""
    semantic: bool = Field(True, validation_alias=_env("INTERVIEWER_SEMANTIC"), json_schema_extra=GRADING)
    """The offline grader reads by meaning (a local sentence-embedding model) when it loads; `0`: by words only."""
    embedding_model: Path | None = Field(
        None, validation_alias=_env("INTERVIEWER_EMBEDDING_MODEL"), json_schema_extra=GRADING
    )
    """A folder with `model.onnx` and `tokenizer.json` (a BERT-style sentence-embedding export, mean-pooled)
    instead of the packaged all-MiniLM-L6-v2."""
    server_name: str = Field("127.0.0.1", validation_alias=_env("GRADIO_SERVER_NAME"), json_schema_extra=WEB)
    """Where the web app listens."""
    server_port: int = Field(7860, ge=0, le=65535, validation_alias=_env("GRADIO_SERVER_PORT"), json_schema_extra=WEB)
    """The web app's port."""
    offline_offer_after: float = Field(
        5.0, ge=0, validation_alias=_env("INTERVIEWER_OFFLINE_OFFER_AFTER"), json_schema_extra=WEB
    )
    """Seconds of waiting for an LLM grade before the web app offers "Grade offline now"."""
    session_ttl: float = Field(4 * 3600, gt=0, validation_alias=_env("INTERVIEWER_SESSION_TTL"), json_schema_extra=WEB)
    """Seconds a browser session's interview is kept in memory after its last use (the history keeps it anyway)."""
    concurrency: int = Field(64, ge=1, validation_alias=_env("INTERVIEWER_CONCURRENCY"), json_schema_extra=WEB)
    """Requests the web app serves at once per event (grading, chat)."""
    browser_llm_settings: bool | None = Field(
        None, validation_alias=_env("INTERVIEWER_BROWSER_LLM_SETTINGS"), json_schema_extra=WEB
    )
    """LLM settings typed in the page: `1` shows them, `0` hides them (default: shown only when the app is not
    hosted; see `Exposure`)."""
    llm_per_minute: int = Field(
        20, ge=1, validation_alias=_env("INTERVIEWER_LLM_PER_MINUTE"), json_schema_extra=HOSTING
    )
    """Calls of the server's LLM one person (or browser) of the web app may make per minute: grading, drafting,
    re-grading. Over it, answers are graded offline (saying why) and drafting waits."""
    max_attempts: int = Field(5, ge=1, le=50, validation_alias=_env("INTERVIEWER_MAX_ATTEMPTS"), json_schema_extra=WEB)
    """Attempts at one question per interview (the first and each Try again)."""
    users: Path | None = Field(None, validation_alias=_env("INTERVIEWER_USERS"), json_schema_extra=HOSTING)
    """A users file (`interviewer users add NAME`): the web app asks people to log in, and their history follows
    them across browsers and replicas (default: anonymous browsers)."""
    auth: SecretStr | None = Field(None, validation_alias=_env("INTERVIEWER_AUTH"), json_schema_extra=HOSTING)
    """`user:password`: one shared login for the web app."""
    allow_open: bool = Field(False, validation_alias=_env("INTERVIEWER_ALLOW_OPEN"), json_schema_extra=HOSTING)
    """`1`: serve on a non-loopback address without a login."""
    hosted: bool | None = Field(None, validation_alias=_env("INTERVIEWER_HOSTED"), json_schema_extra=HOSTING)
    """`1`: the app serves others even on 127.0.0.1 (replicas behind a proxy): a login is needed, browser LLM
    settings are off, typed base URLs are checked (default: on when not on loopback, or with
    INTERVIEWER_USERS)."""
    llm_url_allow: str = Field("", validation_alias=_env("INTERVIEWER_LLM_URL_ALLOW"), json_schema_extra=HOSTING)
    """Hosts or networks (comma-separated) a hosted app's visitors may type as a base URL besides public ones."""
    trusted_proxies: Annotated[tuple[IPvAnyNetwork, ...], NoDecode] | None = Field(
        None, validation_alias=_env("INTERVIEWER_TRUSTED_PROXIES"), json_schema_extra=HOSTING
    )
    """Proxies in front of the app (comma-separated addresses or networks, e.g. `127.0.0.1,::1` for nginx on the
    same machine): only a request from one of them has its client read from X-Forwarded-For, for the login rate
    limit (default: none; every request's client is the address it connects from)."""
    data_dir: Path | None = Field(None, validation_alias=_env("INTERVIEWER_DATA_DIR"), json_schema_extra=STORAGE)
    """Where the history (SQLite), caches and the key that signs browser ids live (default: the platform's user
    data folder)."""
    database_url: SecretStr | None = Field(
        None, validation_alias=_env("INTERVIEWER_DATABASE_URL"), json_schema_extra=STORAGE
    )
    """`sqlite:///path/history.sqlite3`, or `postgresql+psycopg://user:password@host/db` for replicas sharing
    one (default: SQLite in the data folder). Secret: it may hold the database's password."""
    history_wait: float = Field(
        1.0, gt=0, le=60, validation_alias=_env("INTERVIEWER_HISTORY_WAIT"), json_schema_extra=STORAGE
    )
    """Seconds an answer waits for its history write before the candidate is told the history is not saved
    (the interview goes on in memory; the write is made when the database answers)."""
    database_timeout: float = Field(
        15.0, gt=0, le=300, validation_alias=_env("INTERVIEWER_DATABASE_TIMEOUT"), json_schema_extra=STORAGE
    )
    """Seconds the history waits to connect, for a lock (SQLite's busy wait, PostgreSQL's lock_timeout) and
    for one statement (PostgreSQL's statement_timeout) before it gives up and says so."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "WARNING", validation_alias=_env("INTERVIEWER_LOG_LEVEL"), json_schema_extra=STORAGE
    )
    """How much is logged (the CLI's `-v` / `-vv` too); only DEBUG may show what a candidate typed."""

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_name(cls, value: object) -> object:
        return value.strip().upper() or "WARNING" if isinstance(value, str) else value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        return tuple(p.strip() for p in value.split(",") if p.strip()) if isinstance(value, str) else value

    @field_validator("temperature", "seed", mode="before")
    @classmethod
    def _none_word(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip().lower() in ("", "none", "null") else value

    @property
    def llm(self) -> LLMSettings:
        """The LLM grader group, as the client and the grader read it."""
        return LLMSettings(
            api_key=self.api_key, base_url=self.base_url, model=self.model, timeout=self.llm_timeout,
            retries=self.llm_retries, budget=self.llm_budget, temperature=self.temperature, seed=self.seed,
            answer_tokens=self.answer_token_budget, anchors=self.anchors, followup_budget=self.followup_budget,
            prices=self.prices,
        )  # fmt: skip

    @property
    def storage(self) -> StorageSettings:
        """The storage group, as the history store reads it."""
        return StorageSettings(
            data_dir=self.data_dir, database_url=self.database_url, history_wait=self.history_wait,
            database_timeout=self.database_timeout,
        )  # fmt: skip

    @property
    def bank_paths(self) -> list[Path]:
        if not self.bank:
            return [DEFAULT_BANK]
        return [Path(p) for p in self.bank.split(os.pathsep) if p]

    @property
    def llm_configured(self) -> bool:
        """A model and a server (a key for OpenAI, or a base URL) are set: drafting can call an LLM."""
        return bool(self.model) and bool(self.api_key or self.base_url)

    @property
    def exposure(self) -> Exposure:
        return Exposure.of(self)

    @property
    def llm_requested(self) -> bool:
        """An LLM grader is asked for: explicitly, or in auto mode by a key or base URL with a model."""
        if self.grader == "llm":
            return True
        return self.grader == "auto" and bool(self.api_key or self.base_url) and bool(self.model)


class LLMSettings(BaseModel):
    """The `LLM grader` variables, for the parts that talk to a model: each reads this group, not all of
    Settings (documented, validated and defaulted once, in Settings)."""

    model_config = ConfigDict(frozen=True)

    api_key: SecretStr | None
    base_url: str | None
    model: str | None
    timeout: float
    """Seconds for one attempt."""
    retries: int
    budget: float
    """Seconds one grading may take in all."""
    temperature: float | None
    seed: int | None
    answer_tokens: int
    """A reply longer than this is cut for grading."""
    anchors: int
    followup_budget: float
    prices: Path | None


class StorageSettings(BaseModel):
    """The `Storage and logs` variables the history store reads."""

    model_config = ConfigDict(frozen=True)

    data_dir: Path | None
    database_url: SecretStr | None
    history_wait: float
    database_timeout: float


def data_folder(settings: Settings | StorageSettings | None = None) -> Path:
    """Where the history, the autosave and caches live: INTERVIEWER_DATA_DIR, else the platform's user data folder."""
    settings = settings or load_settings()
    return Path(settings.data_dir) if settings.data_dir else Path(platformdirs.user_data_dir("interviewer"))


def load_settings(**overrides: object) -> Settings:
    """The settings, with a ConfigError naming each variable that is wrong instead of a validation trace."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            alias = getattr(Settings.model_fields.get(field), "validation_alias", None)
            alias = alias.choices[0] if isinstance(alias, AliasChoices) else field
            problems.append(f"{alias}: {error['msg']} (got {error.get('input')!r})")
        raise ConfigError("invalid setting: " + "; ".join(problems)) from exc


def configure_logging(verbose: int = 0) -> None:
    """Warnings and errors by default; INTERVIEWER_LOG_LEVEL (e.g. INFO, DEBUG) or -v (info) / -vv (debug) for
    more. Only DEBUG may show what a candidate typed. Settings that do not load leave the default: the command
    that reads them names the variable."""
    try:
        level = load_settings().log_level
    except ConfigError:
        level = "WARNING"
    if verbose:
        level = "INFO" if verbose == 1 else "DEBUG"
    logging.basicConfig(level=getattr(logging, level), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip


@dataclass(frozen=True)
class Exposure:
    """Who may reach this app and what they may set: the one policy every part asks (`settings.exposure`),
    instead of each deciding "hosted" for itself."""

    hosted: bool
    """Serving others: as set (INTERVIEWER_HOSTED, e.g. replicas on 127.0.0.1 behind a proxy), else when it
    listens beyond loopback or people log in."""
    browser_llm: bool
    """Visitors may type LLM settings in the page: as set (INTERVIEWER_BROWSER_LLM_SETTINGS), else only when not
    hosted."""
    needs_login: bool
    """Serving beyond loopback (or said to be hosted) with no users file and no open-door opt-out: the app
    refuses to start without a login (INTERVIEWER_AUTH)."""
    llm_hosts: tuple[str, ...]
    """Hosts or networks a hosted app's visitors may type as a base URL besides public ones."""

    @classmethod
    def of(cls, settings: Settings) -> Exposure:
        from .netguard import is_loopback_host

        loopback = is_loopback_host(settings.server_name)
        hosted = settings.hosted if settings.hosted is not None else not loopback or settings.users is not None
        browser_llm = settings.browser_llm_settings if settings.browser_llm_settings is not None else not hosted
        beyond = not loopback or bool(settings.hosted)
        return cls(
            hosted=hosted,
            browser_llm=browser_llm,
            needs_login=beyond and not settings.allow_open and settings.users is None,
            llm_hosts=tuple(h.strip() for h in settings.llm_url_allow.split(",") if h.strip()),
        )
