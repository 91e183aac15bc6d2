"""People who log in to a hosted web app: a users file of names and scrypt-hashed passwords
(`INTERVIEWER_USERS`, written by `interviewer users add NAME`). With it, a session's owner is the person, so
their history and reviews follow them across browsers and app replicas; without it each browser has an
anonymous id. Passwords are never stored or logged, only their salted hashes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from pathlib import Path

from .errors import ConfigError
from .owner import Owner

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def _matches(password: str, stored: str) -> bool:
    try:
        kind, salt, digest = stored.split("$")
    except ValueError:
        return False
    if kind != "scrypt":
        return False
    expected = hash_password(password, base64.b64decode(salt)).split("$")[2]
    return hmac.compare_digest(expected, digest)


class Users:
    """The users file: `name:scrypt$salt$hash` lines (# comments and blank lines allowed)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.hashes: dict[str, str] = {}
        if path.exists():
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                name, _, stored = line.strip().partition(":")
                if not _NAME.match(name) or not stored.startswith("scrypt$"):
                    raise ConfigError(
                        f"{path}:{number}: expected 'name:scrypt$...' (write it with 'interviewer users add')"
                    )
                self.hashes[name] = stored

    def check(self, name: str, password: str) -> bool:
        """Gradio's login check: the name is known and the password matches its hash."""
        stored = self.hashes.get(name)
        return stored is not None and _matches(password, stored)

    def add(self, name: str, password: str) -> None:
        if not _NAME.match(name):
            raise ConfigError(f"user name {name!r}: letters, digits and . _ @ - only, up to 64")
        if len(password) < 8:
            raise ConfigError("a password needs at least 8 characters")
        self.hashes[name] = hash_password(password)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lines = ["# interviewer users: name:scrypt$salt$hash (interviewer users add NAME)"]
        lines += [f"{n}:{h}" for n, h in sorted(self.hashes.items())]
        self.path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.path.chmod(0o600)


def user_owner(name: str) -> Owner:
    """A logged-in person's owner key ('user:' + name: never a browser id, which has no colon)."""
    return Owner.browser(f"user:{name}")
