"""Choose the grader (and follow-up writer) the settings ask for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ..bank import Question
from ..config import Settings
from ..errors import ConfigError
from .base import FollowUpWriter, Grader, TemplateFollowUps
from .models import OFFLINE_LABEL
from .offline import OfflineGrader
from .semantic import shared_layer

if TYPE_CHECKING:
    from ..netguard import Allowed


@dataclass
class GraderChoice:
    grader: Grader
    followups: FollowUpWriter
    label: str
    """What the user is told: 'LLM: <model> at <server>' or the offline grader's label."""
    notice: str | None = None
    """Why the offline grader is used although an LLM looked configured, if so."""


def offline_choice(notice: str | None = None) -> GraderChoice:
    """The offline grader and follow-ups, with what the candidate is told about choosing them, if anything."""
    reading = "by words" if shared_layer().reason else "by meaning"  # a model that fails to load says so per grade
    return GraderChoice(OfflineGrader(), TemplateFollowUps(), f"{OFFLINE_LABEL} ({reading})", notice=notice)


def choose_grader(settings: Settings, allowed: Allowed | None = None) -> GraderChoice:
    """The grader the settings ask for; `allowed` guards every connection of an LLM a visitor typed in."""
    if settings.grader == "offline" or not (settings.llm_requested or settings.api_key or settings.base_url):
        return offline_choice()
    if settings.grader == "llm" and not (settings.api_key or settings.base_url):
        raise ConfigError(
            "INTERVIEWER_GRADER=llm needs OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (a local server such as Ollama)"
        )
    if not settings.model:
        if settings.grader == "llm":
            raise ConfigError("INTERVIEWER_MODEL is not set: name the model the LLM grader should use")
        return offline_choice(
            "An LLM server or key is configured but INTERVIEWER_MODEL is not set: using the offline grader."
        )
    from ..llm import LLMClient
    from .llm_grader import LLMFollowUps, LLMGrader  # imported only when an LLM is used

    llm = settings.llm  # the group is built from the flat settings at each read: once here
    client = LLMClient.from_settings(llm, allowed=allowed)
    return GraderChoice(
        LLMGrader(client, llm),
        LLMFollowUps(client, llm.followup_budget),
        f"LLM: {client.model} at {client.server}",
    )


@runtime_checkable
class _KnowsBanks(Protocol):
    def knowing(self, questions: Sequence[Question]) -> Grader: ...


def knowing(grader: Grader, questions: Sequence[Question]) -> Grader:
    """The grader, its offline reading taught the subjects of the banks in use (the questions loaded, not only
    those planned), as `interviewer eval` teaches it the lines' questions. Other graders are kept as they are."""
    return grader.knowing(questions) if isinstance(grader, _KnowsBanks) else grader
