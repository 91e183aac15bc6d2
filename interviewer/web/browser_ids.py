"""Browser ids the server signs: a browser's owner is whatever id it presents, so only ids this server issued
are taken. An id is 24 hex digits (the history's owner key, as before) and a MAC over them under a key kept
in the data folder (`browser-id-key`), never sent to a page: Gradio's BrowserState encrypts what the page
stores with another key, which is in the page's config. Anything else ("user:alice", an id with no MAC or a
wrong one) is no owner: the page is given a new id."""

from __future__ import annotations

import hashlib
import hmac
import os
import re

from ..owner import Owner

_TOKEN = re.compile(r"^([0-9a-f]{24})\.([0-9a-f]{32})$")
_LEGACY = re.compile(r"^[0-9a-f]{24}$")


class BrowserIds:
    def __init__(self, secret: str) -> None:
        self._key = secret.encode()

    def _mac(self, browser_id: str) -> str:
        return hmac.new(self._key, browser_id.encode(), hashlib.sha256).hexdigest()[:32]

    def new(self) -> Owner:
        return Owner.browser(os.urandom(12).hex())

    def token(self, owner: Owner) -> str:
        """What the page stores for a browser owner: its id and the id's MAC."""
        return f"{owner.key}.{self._mac(owner.key)}"

    def owner(self, presented: str | None) -> Owner | None:
        """The owner a page's stored value names, if this server issued it (None: give the page a new id).

        An unsigned id of the old form (24 hex digits: random, so unguessable, and never a logged-in user's
        'user:' key) is still taken, so a browser keeps its history across the upgrade; it is signed from its
        next page load on."""
        if not presented:
            return None
        if (m := _TOKEN.match(presented)) and hmac.compare_digest(m.group(2), self._mac(m.group(1))):
            return Owner.browser(m.group(1))
        if _LEGACY.match(presented):
            return Owner.browser(presented)
        return None
