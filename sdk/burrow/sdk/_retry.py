"""Retry policies: how often and how far apart a failing handler is tried again."""

from __future__ import annotations

import random
from dataclasses import dataclass

from burrow.sdk._errors import ConfigurationError

__all__ = ["RetryPolicy"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """Declared with a contract (``@svc.task("x", retry=RetryPolicy(...))``) or where it is bound.

    Attempt ``n`` (n >= 2) waits ``min(backoff * multiplier ** (n - 2), max_backoff)``
    seconds, stretched by up to ``jitter`` (a fraction) at random so that a burst of
    failures does not retry in lockstep.

    Args:
        attempts: total attempts, the first included; 1 means no retry.
        backoff: seconds before the second attempt.
        multiplier: growth of the wait from one attempt to the next.
        max_backoff: cap on the wait, in seconds.
        jitter: fraction of the wait added at random (0 turns it off).
        retry_on: exception types that are retried; any other fails at once.
        fail_on: exception types that fail at once even if ``retry_on`` matches.
    """

    attempts: int = 1
    backoff: float = 1.0
    multiplier: float = 2.0
    max_backoff: float = 300.0
    jitter: float = 0.1
    retry_on: tuple[type[BaseException], ...] = (Exception,)
    fail_on: tuple[type[BaseException], ...] = ()

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ConfigurationError(f"RetryPolicy.attempts must be at least 1, got {self.attempts}")
        if self.backoff < 0 or self.max_backoff < 0 or self.multiplier < 1 or not 0 <= self.jitter <= 1:
            raise ConfigurationError(
                "RetryPolicy needs backoff >= 0, max_backoff >= 0, multiplier >= 1 and 0 <= jitter <= 1"
            )

    def should_retry(self, error: BaseException, attempt: int) -> bool:
        """Whether ``error`` on attempt number ``attempt`` earns another attempt."""
        if attempt >= self.attempts or isinstance(error, self.fail_on):
            return False
        return isinstance(error, self.retry_on)

    def delay_before(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before attempt number ``attempt`` (2 for the first retry)."""
        try:
            base = min(self.backoff * self.multiplier ** max(attempt - 2, 0), self.max_backoff)
        except OverflowError:  # past ~1,000 attempts the power no longer fits a float: the cap applies
            base = self.max_backoff if self.backoff else 0.0
        spread = (rng or random).random() * self.jitter * base
        return float(min(base + spread, self.max_backoff)) if self.jitter else float(base)


NO_RETRY = RetryPolicy()
