"""A per-client fixed-window rate limit for the public endpoints (in-process: each worker counts its own)."""

from __future__ import annotations

import threading
import time

from corpus.errors import PolicyQAError


class RateLimited(PolicyQAError):
    status_code = 429


class RateLimiter:
    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._windows: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        window = int(time.monotonic() // 60)
        with self._lock:
            start, count = self._windows.get(client, (window, 0))
            count = count + 1 if start == window else 1
            self._windows[client] = (window, count)
            if len(self._windows) > 10_000:  # forget idle clients so memory stays bounded
                self._windows = {k: v for k, v in self._windows.items() if v[0] == window}
        if count > self.per_minute:
            raise RateLimited(f"rate limit of {self.per_minute} requests per minute exceeded; try again shortly")
