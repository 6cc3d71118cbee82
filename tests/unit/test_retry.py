"""Failure classification and backoff for venue calls."""

from __future__ import annotations

import random

import ccxt
import pytest

from cockpit.sources.venues.retry import Backoff, Failure, classify


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (ccxt.NetworkError("connection reset"), "transient"),
        (ccxt.RequestTimeout("timed out"), "transient"),
        (ccxt.DDoSProtection("429 Too Many Requests"), "transient"),
        (ccxt.RateLimitExceeded("slow down"), "transient"),
        (ccxt.ExchangeNotAvailable("503 Service Unavailable"), "transient"),
        (ccxt.BadResponse("not json"), "transient"),
        (ConnectionRefusedError(111, "refused"), "transient"),
        (ValueError("ticker last is None, not a number"), "transient"),
        (ccxt.BadSymbol("no market FOO/BAR"), "permanent"),
        (ccxt.NotSupported("fetchLiquidations not supported"), "permanent"),
        (ccxt.AuthenticationError("key"), "permanent"),
        (
            ccxt.ExchangeNotAvailable('binanceusdm GET https://x 451 {"msg":"restricted location"}'),
            "geo-block",
        ),
        (ccxt.ExchangeError("403 Forbidden"), "geo-block"),
    ],
)
def test_classify(exc: BaseException, kind: str) -> None:
    failure = classify(exc)
    assert failure.kind == kind
    assert type(exc).__name__ in failure.message
    if kind == "geo-block":
        assert "geo-blocked" in failure.message and "--demo" in failure.message


def test_retry_after_is_read_and_respected() -> None:
    failure = classify(ccxt.DDoSProtection("429 Too Many Requests Retry-After: 7"))
    assert failure.retry_after_s == 7.0
    assert Backoff(base_s=1, cap_s=60, rng=random.Random(1)).next_delay(failure) >= 7.0


def test_backoff_grows_with_jitter_is_capped_and_resets() -> None:
    b = Backoff(base_s=1.0, cap_s=8.0, rng=random.Random(3))
    t = Failure("transient", "x")
    delays = [b.next_delay(t) for _ in range(6)]
    ceilings = [1, 2, 4, 8, 8, 8]
    for d, c in zip(delays, ceilings, strict=True):
        assert c / 2 <= d <= c
    b.reset()
    assert b.next_delay(t) <= 1.0
    assert b.next_delay(Failure("permanent", "bad symbol")) == 40.0  # rarely, not in a tight loop


def test_retry_after_from_response_headers() -> None:
    failure = classify(ccxt.RateLimitExceeded("429"), {"Retry-After": "12"}, "gate")
    assert failure.kind == "transient" and failure.retry_after_s == 12.0


def test_bybit_403_is_a_rate_limit_not_a_geo_block() -> None:
    assert classify(ccxt.RateLimitExceeded("bybit 403 Forbidden"), None, "bybit").kind == "transient"
    assert classify(ccxt.ExchangeNotAvailable("okx 403 Forbidden"), None, "okx").kind == "geo-block"


def test_a_hostile_retry_after_cannot_stop_a_source() -> None:
    """Found with the hostile-input property test: ``Retry-After: inf`` made the source sleep forever, and
    1e9 s (31 years) showed a countdown the boundary check now drops as absurd; NaN is no wait at all."""
    for header in ("inf", "1e9", "nan", "-5"):
        failure = classify(ccxt.RateLimitExceeded("429"), {"Retry-After": header}, "gate")
        delay = Backoff(base_s=1, cap_s=60, rng=random.Random(1)).next_delay(failure)
        assert 0.5 <= delay <= 300.0, (header, delay)  # at most the wait after a permanent error
