"""Client defaults: the same values as @ameideio/configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import FrozenSet

DEFAULT_ENDPOINT = "https://api.ameide.io"
DEFAULT_TIMEOUT = 5.0  # seconds, per call, retries included
RETRYABLE_CODES: FrozenSet[str] = frozenset({"unavailable", "deadline_exceeded", "aborted", "resource_exhausted"})


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter. Times are in seconds; max_attempts counts the first attempt."""

    max_attempts: int = 3
    initial_backoff: float = 0.25
    multiplier: float = 2.0
    max_backoff: float = 5.0
    jitter_min: float = 0.5
    jitter_max: float = 1.5
    retryable_codes: FrozenSet[str] = field(default_factory=lambda: RETRYABLE_CODES)

    def delay(self, retry: int, random: float) -> float:
        """Delay before retry number `retry` (1 = first retry) for a random number in [0, 1).

        base = min(cap, initial * multiplier**(retry-1)); delay = min(cap, base * jitter).
        """
        base = min(self.max_backoff, self.initial_backoff * self.multiplier ** (retry - 1))
        factor = self.jitter_min + random * (self.jitter_max - self.jitter_min)
        return min(self.max_backoff, base * factor)


DEFAULT_RETRY_POLICY = RetryPolicy()
