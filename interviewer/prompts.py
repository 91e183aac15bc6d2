"""Prompt templates live in prompts/ as files; this renders them and fails on a missing variable."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

from .resources import prompts_dir

PROMPT_DIR = prompts_dir()


@cache
def _environment(folder: Path = PROMPT_DIR) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        undefined=jinja2.StrictUndefined,  # a missing variable is a bug, not an empty string
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, **variables: object) -> str:
    return _environment().get_template(name).render(**variables).strip()


def template_names() -> list[str]:
    return sorted(p.name for p in PROMPT_DIR.glob("*.j2"))
