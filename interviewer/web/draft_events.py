"""The web app's "Draft a bank" event: a bank drafted with the server's LLM, previewed, to download or to
practise with (the drafting itself is interviewer/drafting.py's)."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .. import drafting
from .. import webview as html
from ..config import Settings
from ..llm import LLMClient, LLMError
from ..presentation import plural
from ..tokens import Usage
from ..unicode import scrub
from .setup import questions_or_none
from .views import DraftView


@dataclass(frozen=True)
class DraftForm:
    """What the "Draft a bank" form sent (each field as the page sends it: possibly empty)."""

    topic: str | None
    job_description: str | None
    count: float | None
    level: str | None
    experience: float | None


async def draft_bank(settings: Settings, banks: dict[str, str], form: DraftForm) -> DraftView:
    """Draft a bank with the server's LLM: a preview, the Markdown to download, the bank to practise with."""
    if not settings.llm_configured:
        return DraftView(note=drafting.NO_LLM)
    topic, jd = scrub(form.topic or "")[0].strip(), scrub(form.job_description or "")[0].strip()
    if not topic and not jd:
        return DraftView(note="Give a topic, or paste a job description.")
    request = drafting.DraftRequest(topic=topic or None, job_description=None if topic else jd,
                                    count=int(form.count or 6), level=form.level or "mid",
                                    experience=int(form.experience or 0))  # fmt: skip
    prepared = drafting.prepare_draft(request)
    against = [q.text for path in banks.values() for q in questions_or_none(path)]
    name = re.sub(r"[^\w-]+", "-", (topic or "job-description").lower()).strip("-")[:40] or "draft"
    path = Path(tempfile.mkdtemp(prefix="interviewer-draft-")) / f"{name}.md"
    source = f'the topic "{topic}"' if topic else "a job description pasted in the web app"
    title = topic or "Questions for a job description"
    try:
        file = drafting.DraftedFile(title, source, str(path))
        client = LLMClient.from_settings(settings)
        drafted = await drafting.draft_bank(client, prepared, Usage(), against, file)
    except LLMError as exc:
        return DraftView(note=f"**The draft failed:** {html.literal_markdown(str(exc))}")
    if (bank := drafted.bank) is None:
        return DraftView(note="Every drafted question repeats one already in the banks: nothing to show.")
    path.write_text(drafted.markdown, encoding="utf-8")
    notes = [*prepared.notices] + [f"Dropped as a near duplicate: {q}" for q, _ in drafted.dropped]
    note = f"Drafted {plural(len(bank.questions), 'question')} (draft: not yet reviewed)." + "".join(
        f"\n\n- {html.literal_markdown(n)}" for n in notes
    )
    return DraftView(note=note, preview=html.draft_preview_html(bank), path=bank.path, bank=bank)
