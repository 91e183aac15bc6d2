"""Where the prompts/ and bank/ folders are: inside the installed package, or at the top of a checkout.

Both folders live at the repository's top level. A wheel cannot ship top-level data next to the package,
so the build copies them into the package as `interviewer/_data/prompts` and `interviewer/_data/bank`
(see [tool.hatch.build.targets.wheel.force-include] in pyproject.toml). A checkout or an editable
install has no `_data`: there the top-level folders are used as they are.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


def _folder(name: str) -> Path:
    packaged = files(__package__) / "_data" / name
    if packaged.is_dir():
        # An installed wheel is unpacked on disk, so this is a real folder that jinja2 and glob can read.
        return Path(str(packaged))
    return _CHECKOUT / name


def prompts_dir() -> Path:
    """Prompt templates (*.j2), rubrics/*.toml and prices.toml."""
    return _folder("prompts")


def bank_dir() -> Path:
    """The question banks shipped with the app."""
    return _folder("bank")
