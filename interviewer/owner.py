"""Who a session, its review state and a history read belong to.

The terminal is one owner; each browser (an anonymous id kept in its local storage) is another.
Reads name their owner; only a command that asks for it reads across owners (`ALL_OWNERS`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Owner:
    key: str
    """How the history stores this owner: '' for the terminal, the browser's id for a browser."""

    @classmethod
    def terminal(cls) -> Owner:
        return cls("")

    @classmethod
    def browser(cls, browser_id: str) -> Owner:
        if not browser_id:
            raise ValueError("a browser owner needs its id")
        return cls(browser_id)

    @property
    def is_terminal(self) -> bool:
        return self.key == ""


@dataclass(frozen=True)
class AllOwners:
    """Every owner at once: for reads the command line asks for explicitly (`--all-owners`)."""


ALL_OWNERS = AllOwners()
Scope = Owner | AllOwners
