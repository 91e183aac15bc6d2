"""Settings from the environment and a .env file: the variables listed in the README's Configuration table."""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .bank import DEFAULT_BANK
from .errors import ConfigError


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    api_key: SecretStr | None = Field(None, validation_alias=_env("OPENAI_API_KEY"))
    base_url: str | None = Field(None, validation_alias=_env("OPENAI_BASE_URL"))
    model: str | None = Field(None, validation_alias=_env("INTERVIEWER_MODEL"))
    grader: Literal["auto", "llm", "offline"] = Field("auto", validation_alias=_env("INTERVIEWER_GRADER"))
    bank: str | None = Field(None, validation_alias=_env("INTERVIEWER_BANK"))
    data_dir: Path | None = Field(None, validation_alias=_env("INTERVIEWER_DATA_DIR"))
    llm_timeout: float = Field(60.0, gt=0, validation_alias=_env("INTERVIEWER_LLM_TIMEOUT"))
    """Seconds for one LLM attempt."""
    llm_retries: int = Field(2, ge=0, le=10, validation_alias=_env("INTERVIEWER_LLM_RETRIES"))
    llm_budget: float = Field(120.0, gt=0, validation_alias=_env("INTERVIEWER_LLM_BUDGET"))
    """Seconds one grading may take in all, retries included, before the offline grader takes over."""
    temperature: float | None = Field(0.0, validation_alias=_env("INTERVIEWER_TEMPERATURE"))
    """None (set the variable to 'none') for reasoning models that accept no temperature."""
    seed: int | None = Field(7, validation_alias=_env("INTERVIEWER_SEED"))
    answer_token_budget: int = Field(2000, ge=50, validation_alias=_env("INTERVIEWER_ANSWER_TOKENS"))
    followups: int = Field(1, ge=0, le=2, validation_alias=_env("INTERVIEWER_FOLLOWUPS"))
    anchors: int = Field(5, ge=0, le=20, validation_alias=_env("INTERVIEWER_ANCHORS"))
    """Graded example replies per rubric the LLM grader reads before grading (0: none)."""
    followup_budget: float = Field(20.0, gt=0, validation_alias=_env("INTERVIEWER_FOLLOWUP_BUDGET"))
    """Seconds an LLM follow-up question may take in all before the offline one is asked."""
    draft_duplicate: float = Field(0.5, gt=0, le=1, validation_alias=_env("INTERVIEWER_DRAFT_DUPLICATE"))
    """Word-shingle Jaccard similarity at which a drafted question counts as a near duplicate and is dropped."""
    offline_offer_after: float = Field(5.0, ge=0, validation_alias=_env("INTERVIEWER_OFFLINE_OFFER_AFTER"))
    """Seconds of waiting for an LLM grade before the web app offers "Grade offline now"."""
    prices: Path | None = Field(None, validation_alias=_env("INTERVIEWER_PRICES"))
    """A price table like prompts/prices.toml, for cost estimates."""
    session_ttl: float = Field(4 * 3600, gt=0, validation_alias=_env("INTERVIEWER_SESSION_TTL"))
    """Seconds a browser session's interview is kept in memory after its last use (history keeps it anyway)."""
    concurrency: int = Field(64, ge=1, validation_alias=_env("INTERVIEWER_CONCURRENCY"))
    """Requests the web app serves at once per event (grading, chat)."""
    server_name: str = Field("127.0.0.1", validation_alias=_env("GRADIO_SERVER_NAME"))
    server_port: int = Field(7860, ge=0, le=65535, validation_alias=_env("GRADIO_SERVER_PORT"))
    auth: SecretStr | None = Field(None, validation_alias=_env("INTERVIEWER_AUTH"))
    """`user:password` for the web app's login."""
    allow_open: bool = Field(False, validation_alias=_env("INTERVIEWER_ALLOW_OPEN"))
    """Serve on a non-loopback address without a login."""
    users: Path | None = Field(None, validation_alias=_env("INTERVIEWER_USERS"))
    """A users file (interviewer users add NAME): with it the web app asks people to log in, and their history
    follows them across browsers and replicas."""
    browser_llm_settings: bool | None = Field(None, validation_alias=_env("INTERVIEWER_BROWSER_LLM_SETTINGS"))
    """LLM settings typed in the browser: on by default only when the app listens on loopback (see
    `browser_llm_allowed`); a hosted app must turn them on explicitly."""
    hosted: bool | None = Field(None, validation_alias=_env("INTERVIEWER_HOSTED"))
    """Serving others (see `hosted()`): browser LLM settings off by default, typed URLs checked, a login needed."""
    llm_url_allow: str = Field("", validation_alias=_env("INTERVIEWER_LLM_URL_ALLOW"))
    """Comma-separated hosts or networks a hosted app's visitors may type as a base URL besides public ones."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "WARNING", validation_alias=_env("INTERVIEWER_LOG_LEVEL")
    )
    """How much is logged; only DEBUG may show what a candidate typed."""
    semantic: bool = Field(True, validation_alias=_env("INTERVIEWER_SEMANTIC"))
    """The offline grader reads by meaning (a local sentence-embedding model) when it loads; 0: by words only."""
    embedding_model: Path | None = Field(None, validation_alias=_env("INTERVIEWER_EMBEDDING_MODEL"))
    """A folder with `model.onnx` and `tokenizer.json`, instead of the packaged all-MiniLM-L6-v2."""
    database_url: SecretStr | None = Field(None, validation_alias=_env("INTERVIEWER_DATABASE_URL"))
    """`sqlite:///path` or `postgresql+psycopg://user:password@host/db` (default: SQLite in the data folder).
    Secret: it may hold the database's password."""

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_name(cls, value: object) -> object:
        return value.strip().upper() or "WARNING" if isinstance(value, str) else value

    @field_validator("temperature", "seed", mode="before")
    @classmethod
    def _none_word(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip().lower() in ("", "none", "null") else value

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


def data_folder(settings: Settings | None = None) -> Path:
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
    """Who may reach this app and what they may set: the one policy every part asks (read once from the
    settings), instead of each deciding "hosted" for itself."""

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
