"""The web app's "Draft a bank" event: a bank drafted with the LLM settings typed in the page, or else the
server's, previewed, to download or to practise with (the drafting itself is interviewer/drafting.py's)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .. import drafting
from .. import webview as html
from ..config import Settings
from ..errors import ConfigError
from ..grading.llm_grader import LLMGrader
from ..llm import ChatModel, LLMClient, LLMError
from ..owner import Owner
from ..presentation import plural
from ..service import App
from ..tokens import Usage
from ..unicode import scrub
from .private import private_folder
from .setup import questions_or_none
from .views import DraftView

SERVER_LLM = "INTERVIEWER_MODEL with OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (a local server such as Ollama)"
NO_LLM_HERE = (
    "**Drafting needs an LLM:** fill in the LLM fields of the setup form (Base URL, Model, API key), "
    f"or configure the server's ({SERVER_LLM})."
)
NO_LLM_SERVER = f"**Drafting needs an LLM:** configure the server's ({SERVER_LLM})."
"""When visitors may not type LLM settings (a hosted app): only the server's can be used."""
DRAFT_READY = "Questions with reference answers, drafted with the LLM settings above, for you to review."


@dataclass(frozen=True)
class PageLLM:
    """The setup form's LLM fields: this browser session's own settings, never stored (possibly empty)."""

    base_url: str | None = ""
    model: str | None = ""
    api_key: str | None = ""

    @property
    def filled(self) -> bool:
        return any((v or "").strip() for v in (self.base_url, self.model, self.api_key))


@dataclass(frozen=True)
class DraftForm:
    """What the "Draft a bank" form sent (each field as the page sends it: possibly empty)."""

    topic: str | None
    job_description: str | None
    count: float | None
    level: str | None
    experience: float | None
    llm: PageLLM = field(default_factory=PageLLM)
    owner: Owner | None = None
    """Whose draft: with the server's LLM it counts against their budget (App.llm_budget)."""


TOPIC_LIMIT, JOB_DESCRIPTION_LIMIT = 200, 20_000
"""Characters of a topic and of a pasted job description: what is typed reaches the model whole."""


def drafting_off(settings: Settings, llm: PageLLM) -> str | None:
    """Why drafting cannot run (None: it can, with the page's LLM settings or else the server's)."""
    if settings.llm_configured or (llm.filled and settings.exposure.browser_llm):
        return None
    return NO_LLM_HERE if settings.exposure.browser_llm else NO_LLM_SERVER


def drafting_client(app: App, llm: PageLLM) -> ChatModel | None:
    """The LLM to draft with: the page's own settings when filled in, else the server's (None: neither). The
    page's are built as its grader is (`App.grader_for`): same rules, and a typed URL meets the same guard."""
    if llm.filled:
        choice = app.grader_for(llm.base_url or "", llm.model or "", llm.api_key or "")
        if not isinstance(choice.grader, LLMGrader):  # grader_for gives an LLM grader or refuses
            raise ConfigError("the LLM settings typed in the page gave no LLM")
        return choice.grader.client
    return LLMClient.from_settings(app.settings.llm) if app.settings.llm_configured else None


async def draft_bank(app: App, banks: dict[str, str], form: DraftForm) -> DraftView:
    """Draft a bank: a preview, the Markdown to download, the bank to practise with."""
    topic, jd = scrub(form.topic or "")[0].strip(), scrub(form.job_description or "")[0].strip()
    if not topic and not jd:
        return DraftView(note="Give a topic, or paste a job description.")
    for what, text, limit in (("topic", topic, TOPIC_LIMIT), ("job description", jd, JOB_DESCRIPTION_LIMIT)):
        if len(text) > limit:
            return DraftView(note=f"The {what} is {len(text):,} characters long: the most is {limit:,}. Shorten it.")
    if not form.llm.filled and form.owner is not None and (over := app.llm_budget.take(form.owner)):
        return DraftView(note=f"**Not now:** {html.literal_markdown(over)}.")
    try:
        client = drafting_client(app, form.llm)
    except ConfigError as exc:
        return DraftView(note=f"**Cannot draft:** {html.literal_markdown(str(exc))}")
    if client is None:
        return DraftView(note=drafting_off(app.settings, form.llm) or NO_LLM_HERE)
    request = drafting.DraftRequest(topic=topic or None, job_description=None if topic else jd,
                                    count=int(form.count or 6), level=form.level or "mid",
                                    experience=int(form.experience or 0))  # fmt: skip
    prepared = drafting.prepare_draft(request)
    against = [q.text for path in banks.values() for q in questions_or_none(path)]
    name = drafting.slug(topic or "job-description")
    path = Path(tempfile.mkdtemp(prefix="draft-", dir=private_folder())) / f"{name}.md"
    source = f'the topic "{topic}"' if topic else "a job description pasted in the web app"
    title = topic or "Questions for a job description"
    try:
        file = drafting.DraftedFile(title, source, str(path))
        drafted = await drafting.draft_bank(client, prepared, Usage(), against, file)
    except LLMError as exc:
        return DraftView(note=f"**The draft failed:** {html.literal_markdown(str(exc))}")
    return _drafted_view(drafted, prepared.notices, path)


def _drafted_view(drafted: drafting.Drafted, notices: list[str], path: Path) -> DraftView:
    """The preview of a draft, with what was dropped and why (written to `path` for the download)."""
    notes = [*notices, *filter(None, [drafting.shortfall(drafted.count)])]
    notes += [f"Dropped as a near duplicate: {r.question}" for r in drafted.dropped]
    listed = "".join(f"\n\n- {html.literal_markdown(n)}" for n in notes)
    if (bank := drafted.bank) is None:
        return DraftView(note="No question was kept: nothing to show." + listed)
    path.write_text(drafted.markdown, encoding="utf-8")
    note = f"Drafted {plural(len(bank.questions), 'question')} (draft: not yet reviewed)." + listed
    return DraftView(note=note, preview=html.draft_preview_html(bank), path=bank.path, bank=bank)
