"""People who log in to a hosted web app: a users file of names and scrypt-hashed passwords
(`INTERVIEWER_USERS`, written by `interviewer users add NAME`). With it, a session's owner is the person, so
their history and reviews follow them across browsers and app replicas; without it each browser has an
anonymous id. Passwords are never stored or logged, only their salted hashes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError
from .owner import Owner

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_DIGEST_BYTES = 32

Derive = Callable[[str, bytes], bytes]
"""A password and a salt to the digest kept for them (scrypt; a test may count the calls)."""


def scrypt(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, dklen=_DIGEST_BYTES, **_SCRYPT)


@dataclass(frozen=True)
class PasswordHash:
    """A salted scrypt digest, written `scrypt$salt$digest` (base64)."""

    salt: bytes
    digest: bytes

    @classmethod
    def parse(cls, text: str) -> PasswordHash:
        """The hash a users file line holds; ValueError when it is not one (checked when the file is read, so
        that a login never meets it)."""
        kind, _, rest = text.partition("$")
        salt, _, digest = rest.partition("$")
        try:
            parsed = cls(base64.b64decode(salt, validate=True), base64.b64decode(digest, validate=True))
        except binascii.Error as exc:
            raise ValueError("its salt or hash is not base64") from exc
        if kind != "scrypt" or not parsed.salt or len(parsed.digest) != _DIGEST_BYTES:
            raise ValueError(f"expected 'scrypt$salt$hash' with a {_DIGEST_BYTES}-byte hash")
        return parsed

    def __str__(self) -> str:
        return f"scrypt${base64.b64encode(self.salt).decode()}${base64.b64encode(self.digest).decode()}"


_NOBODY = PasswordHash(os.urandom(16), os.urandom(_DIGEST_BYTES))
"""What an unknown name's password is checked against: the same scrypt work as for a known name, so the time a
login takes does not tell which names exist. Its digest is random: no password matches it."""


def name_problem(name: str) -> str | None:
    """Why `name` cannot be a user name (None: it can). A line break would end the users file's line early."""
    if name != name.strip():
        return f"user name {name!r} has spaces or line breaks at its ends"
    if any(not c.isprintable() for c in name):
        return f"user name {name!r} has control characters"
    if not _NAME.fullmatch(name):
        return f"user name {name!r}: letters, digits and . _ @ - only, starting with a letter or digit, up to 64"
    return None


class Users:
    """The users file: `name:scrypt$salt$hash` lines (# comments and blank lines allowed). `Users(path)` may
    name a file still to be written (`users add`); `Users.load(path)` is the one a server logs people in with."""

    def __init__(self, path: Path, derive: Derive = scrypt) -> None:
        self.path, self.derive = path, derive
        self.hashes: dict[str, PasswordHash] = {}
        if path.exists():
            self._read()

    @classmethod
    def load(cls, path: Path, derive: Derive = scrypt) -> Users:
        """The users a server logs in: a missing or empty file is refused at start, not met as a login page
        nobody can pass."""
        if not path.is_file():
            raise ConfigError(f"INTERVIEWER_USERS: {path} is not a file (add people with 'interviewer users add NAME')")
        users = cls(path, derive)
        if not users.hashes:
            raise ConfigError(f"INTERVIEWER_USERS: {path} names nobody (add people with 'interviewer users add NAME')")
        return users

    def _read(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"INTERVIEWER_USERS: cannot read {self.path} ({exc})") from exc
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            name, _, stored = line.strip().partition(":")
            try:
                if name_problem(name):
                    raise ValueError("not a user name")
                self.hashes[name] = PasswordHash.parse(stored)
            except ValueError as exc:
                raise ConfigError(
                    f"{self.path}:{number}: expected 'name:scrypt$salt$hash' ({exc}; write it with "
                    "'interviewer users add NAME')"
                ) from exc

    def check(self, name: str, password: str) -> bool:
        """Gradio's login check: the name is known and the password matches its hash. An unknown name costs the
        same scrypt work and comparison, against a hash no password matches."""
        stored = self.hashes.get(name, _NOBODY)
        matches = hmac.compare_digest(self.derive(password, stored.salt), stored.digest)
        return matches and name in self.hashes

    def add(self, name: str, password: str) -> None:
        problem = name_problem(name)
        if problem:
            raise ConfigError(problem)
        if len(password) < 8:
            raise ConfigError("a password needs at least 8 characters")
        salt = os.urandom(16)
        self.hashes[name] = PasswordHash(salt, self.derive(password, salt))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lines = ["# interviewer users: name:scrypt$salt$hash (interviewer users add NAME)"]
        lines += [f"{n}:{h}" for n, h in sorted(self.hashes.items())]
        self.path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.path.chmod(0o600)


def user_owner(name: str) -> Owner:
    """A logged-in person's owner key ('user:' + name: never a browser id, which has no colon)."""
    return Owner.browser(f"user:{name}")
