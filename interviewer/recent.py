"""Recent events per key, in bounded memory: the login limiter's failures per client and the LLM budget's calls
per owner are both "how many times did this key act in the last N seconds"."""

from __future__ import annotations

from collections import OrderedDict, deque


class RecentEvents(OrderedDict[str, deque[float]]):
    """Per key, the times of its events within the last `window` seconds, the least recently seen key first; at
    most `keys_kept` keys (the least recently seen are forgotten first), so made-up keys cannot grow the memory
    without end."""

    def __init__(self, window: float, keys_kept: int) -> None:
        super().__init__()
        self.window, self.keys_kept = window, keys_kept

    def recent(self, key: str, now: float) -> deque[float]:
        """The key's events within the window (append to it to count one), after forgetting what is too old or
        too many to keep."""
        while self:  # the least recently seen first: stop at the first one still within the window
            oldest = next(iter(self.values()))
            if oldest and now - oldest[-1] <= self.window:
                break
            self.popitem(last=False)
        events = self.pop(key, None) or deque()
        while events and now - events[0] > self.window:
            events.popleft()
        self[key] = events  # now the most recently seen
        while len(self) > self.keys_kept:
            self.popitem(last=False)
        return events

    def forget(self, key: str, at: float) -> None:
        """Take back the key's event made `at`."""
        events = self.get(key)
        if events is not None and at in events:
            events.remove(at)
            if not events:
                del self[key]
