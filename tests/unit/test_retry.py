"""RetryPolicy: which failures earn another attempt, and how long to wait before it."""

from __future__ import annotations

import random

import pytest
from burrow.sdk import ConfigurationError, RetryPolicy


def test_the_default_is_a_single_attempt() -> None:
    assert RetryPolicy().should_retry(RuntimeError(), attempt=1) is False


def test_failures_are_retried_until_the_attempts_run_out() -> None:
    policy = RetryPolicy(attempts=3)
    assert [policy.should_retry(RuntimeError(), attempt) for attempt in (1, 2, 3, 4)] == [True, True, False, False]


def test_only_listed_errors_are_retried_and_fail_on_wins() -> None:
    policy = RetryPolicy(attempts=5, retry_on=(OSError,), fail_on=(FileNotFoundError,))
    assert policy.should_retry(ConnectionResetError(), attempt=1) is True
    assert policy.should_retry(ValueError(), attempt=1) is False
    assert policy.should_retry(FileNotFoundError(), attempt=1) is False


def test_the_wait_grows_geometrically_up_to_the_cap() -> None:
    policy = RetryPolicy(attempts=10, backoff=0.5, multiplier=3, max_backoff=10, jitter=0)
    assert [policy.delay_before(attempt) for attempt in range(2, 7)] == [0.5, 1.5, 4.5, 10.0, 10.0]


def test_the_first_attempt_and_a_multiplier_of_one_wait_the_backoff() -> None:
    policy = RetryPolicy(backoff=2, multiplier=1, jitter=0)
    assert [policy.delay_before(attempt) for attempt in (1, 2, 5)] == [2.0, 2.0, 2.0]


def test_jitter_stretches_the_wait_by_at_most_its_fraction() -> None:
    policy = RetryPolicy(backoff=4, multiplier=2, jitter=0.25, max_backoff=100)
    rng = random.Random(7)
    waits = [policy.delay_before(3, rng) for _ in range(200)]
    assert all(8 <= wait <= 10 for wait in waits)
    assert len(set(waits)) > 100  # spread out, not in lockstep
    assert policy.delay_before(3, random.Random(7)) == waits[0]  # reproducible with a seeded rng


def test_jitter_never_exceeds_the_cap() -> None:
    policy = RetryPolicy(backoff=10, jitter=1, max_backoff=12)
    rng = random.Random(1)
    assert max(policy.delay_before(2, rng) for _ in range(100)) == 12.0


@pytest.mark.parametrize(
    "arguments",
    [{"backoff": -1}, {"max_backoff": -1}, {"multiplier": 0.5}, {"jitter": 1.5}, {"jitter": -0.1}],
    ids=str,
)
def test_nonsense_settings_are_refused(arguments: dict[str, float]) -> None:
    with pytest.raises(ConfigurationError) as caught:
        RetryPolicy(**arguments)  # type: ignore[arg-type]
    assert str(caught.value) == (
        "RetryPolicy needs backoff >= 0, max_backoff >= 0, multiplier >= 1 and 0 <= jitter <= 1"
    )


def test_at_least_one_attempt_is_needed() -> None:
    with pytest.raises(ConfigurationError) as caught:
        RetryPolicy(attempts=0)
    assert str(caught.value) == "RetryPolicy.attempts must be at least 1, got 0"


@pytest.mark.parametrize("attempt", [1_026, 1_100, 10**6])
def test_the_delay_stays_at_its_cap_where_the_power_overflows(attempt: int) -> None:
    assert RetryPolicy(attempts=10**7, jitter=0).delay_before(attempt) == 300.0
    assert RetryPolicy(attempts=10**7, backoff=0, jitter=0).delay_before(attempt) == 0.0
