"""The one gate every way in passes (the JSON API, its event stream, the officials' chat): a per-client
rate limit weighed by what a question costs, and a bound on the work running and waiting at once.
In-process: each worker counts its own clients and its own work."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from corpus.errors import PolicyQAError


class RateLimited(PolicyQAError):
    status_code = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Overloaded(PolicyQAError):
    """More work admitted than the service runs and queues at once: refused now rather than queued without
    bound, so a flood costs its senders time, not everyone else."""

    status_code = 503

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Budget:
    """So many units per key in any sliding minute (limits' moving window, in memory)."""

    def __init__(self, per_minute: int, what: str) -> None:
        self.per_minute = per_minute
        self.what = what  # names the unit in the refusal: "questions", "sign-in attempts"
        self._item = RateLimitItemPerMinute(per_minute)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def charge(self, key: str, cost: int = 1) -> None:
        """Spend `cost` units of the key's minute; RateLimited, with the seconds until enough is free, when
        they are not there (a refused request spends nothing)."""
        if not self._limiter.hit(self._item, key, cost=cost):
            reset = self._limiter.get_window_stats(self._item, key).reset_time
            weight = f" (this request counts as {cost})" if cost > 1 else ""
            raise RateLimited(f"rate limit of {self.per_minute} {self.what} per minute exceeded{weight}; "
                              "try again shortly", retry_after=max(1, math.ceil(reset - time.time())))


class Gate:
    def __init__(self, per_minute: int, chars_per_unit: int, max_running: int, max_waiting: int) -> None:
        """`per_minute` short questions per client and minute; a question costs one unit per started
        `chars_per_unit` characters (capped at the whole minute's budget, so a long one still gets through
        alone). At most `max_running` answers run at once, `max_waiting` more wait; the rest get 503."""
        self.budget = Budget(per_minute, "questions")
        self.chars_per_unit = chars_per_unit
        self.max_admitted = max_running + max_waiting
        self._running = threading.BoundedSemaphore(max_running)
        self._admitted = 0
        self._lock = threading.Lock()

    def cost(self, text: str) -> int:
        return min(self.budget.per_minute, max(1, math.ceil(len(text) / self.chars_per_unit)))

    def charge(self, client: str, text: str = "") -> None:
        """Count a request about `text` (a question, a query; "" for a page of documents) against the client."""
        self.budget.charge(client, self.cost(text))

    @contextmanager
    def admit(self, client: str, text: str = "") -> Iterator[None]:
        """Charge the client, then run the block once a slot is free; blocks the calling thread while it
        waits, so call it from a worker thread, never from the event loop."""
        self.charge(client, text)
        with self._lock:
            if self._admitted >= self.max_admitted:
                raise Overloaded(f"the service is busy ({self._admitted} questions in progress); try again shortly")
            self._admitted += 1
        try:
            with self._running:
                yield
        finally:
            with self._lock:
                self._admitted -= 1
