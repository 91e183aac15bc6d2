"""Errors the product raises on purpose; the CLI and the UI turn them into plain messages."""

from __future__ import annotations


class InterviewerError(Exception):
    """Base of every error meant for the user."""


class BankError(InterviewerError):
    """A question bank that cannot be used, with the file and line at fault."""

    def __init__(self, path: str, line: int, message: str) -> None:
        self.path, self.line, self.message = str(path), line, message
        super().__init__(f"{self.path}:{line}: {message}")


class RubricError(InterviewerError):
    """A rubric file that does not validate."""


class GraderError(InterviewerError):
    """A grader could not produce a grade (the engine falls back to the offline grader)."""


class HistoryUnavailable(InterviewerError):
    """The history database cannot be opened or written: the app goes on without it and says so."""


class ConfigError(InterviewerError):
    """A setting is missing or wrong; the message names the variable to set."""
