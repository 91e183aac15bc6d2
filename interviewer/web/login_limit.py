"""Failed logins are rate-limited per client: a password cannot be guessed at speed. The refusal says nothing
about which names exist."""

from __future__ import annotations

import json
import time
from collections import defaultdict, deque
from typing import Any

from ..netguard import is_loopback_host

TOO_MANY = "Too many failed logins from here: try again in a few minutes."


class LoginLimiter:
    """ASGI middleware: after `attempts` failed logins from one client within `window` seconds, its logins are
    refused (429) until the oldest failure is `window` seconds old. Each attempt counts from its start, so
    parallel attempts cannot slip past the limit; a success takes its own back. The client is the connecting
    address, or, behind a proxy on loopback (nginx on the same machine), the last X-Forwarded-For address:
    the one the proxy added (a client can write the earlier ones itself)."""

    def __init__(self, app: Any, attempts: int = 5, window: float = 300.0) -> None:
        self.app, self.attempts, self.window = app, attempts, window
        self.failures: defaultdict[str, deque[float]] = defaultdict(deque)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        is_login = scope["type"] == "http" and scope.get("method") == "POST" and scope["path"].rstrip("/") == "/login"
        if not is_login:
            await self.app(scope, receive, send)
            return
        client, now = self._client(scope), time.monotonic()
        recent = self.failures[client]
        while recent and now - recent[0] > self.window:
            recent.popleft()
        if len(recent) >= self.attempts:
            body = json.dumps({"detail": TOO_MANY}).encode()
            headers = [(b"content-type", b"application/json"), (b"retry-after", str(int(self.window)).encode())]
            await send({"type": "http.response.start", "status": 429, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        recent.append(now)  # counted now: a burst of parallel attempts meets the limit too
        status: dict[str, int] = {}

        async def watch(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        await self.app(scope, receive, watch)
        if status.get("code") == 200 and now in recent:
            recent.remove(now)

    @staticmethod
    def _client(scope: Any) -> str:
        host = (scope.get("client") or ("", 0))[0]
        if is_loopback_host(host):
            forwarded = dict(scope.get("headers") or []).get(b"x-forwarded-for", b"").decode()
            if forwarded:
                return forwarded.split(",")[-1].strip()
        return host
