"""The parts of docs/ generated from the code, for cog (`make docs`; `make lint` checks them)."""

from __future__ import annotations

import argparse
import os

from interviewer.config import Settings


def _default(value: object) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "`1`" if value else "`0`"
    return f"`{value}`"


def settings_tables() -> str:
    """The environment variables, a table per group, in the order the settings declare them."""
    groups: dict[str, list[str]] = {}
    for field in Settings.model_fields.values():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        alias = field.validation_alias
        name = alias.choices[0] if alias is not None and hasattr(alias, "choices") else ""
        meaning = " ".join((field.description or "").split()).replace("|", "\\|")
        row = f"| `{name}` | {meaning} | {_default(field.default)} |"
        groups.setdefault(str(extra.get("group", "Other")), []).append(row)
    out = []
    for group, rows in groups.items():
        out += [f"## {group}", "", "| variable | meaning | default |", "|---|---|---|", *rows, ""]
    return "\n".join(out)


def cli_reference() -> str:
    """`interviewer --help` and every command's help, as the terminal prints them (100 columns)."""
    from interviewer.cli import _parser

    os.environ["COLUMNS"] = "100"
    parser = _parser()
    out = ["```", parser.format_help().rstrip(), "```", ""]
    for name, command in _commands(parser):
        out += [f"## interviewer {name}", "", "```", command.format_help().rstrip(), "```", ""]
    return "\n".join(out)


def _commands(parser: argparse.ArgumentParser, prefix: str = "") -> list[tuple[str, argparse.ArgumentParser]]:
    found = []
    for action in parser._actions:  # argparse has no public way to list sub-commands
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append((f"{prefix}{name}", sub))
                found += _commands(sub, f"{prefix}{name} ")
    return found


def library_table() -> str:
    """The banks shipped with the app, read from bank/: title, file, questions and levels."""
    from interviewer.bank_report import shelves
    from interviewer.resources import bank_dir

    top = bank_dir().parent
    rows = ["| bank | file | questions | experience | levels | topic tags |", "|---|---|---|---|---|---|"]
    found = shelves()
    for s in found:
        title = f"{s.title} (default)" if s.default else s.title
        file = s.path.relative_to(top).as_posix()
        counts = f"{s.questions} | {s.experience} | {s.level_words} | {s.topics}"
        rows.append(f"| {title} | [`{file}`]({file}) | {counts} |")
    total = sum(s.questions for s in found)
    return "\n".join([*rows, "", f"{total} questions in all.", ""])
