"""How a venue call failed and when to try again: transient errors back off with jitter, permanent ones
wait long, geo-blocks say so. Classification follows ccxt's exception tree (VENUES.md, "Errors").
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from typing import Any, Literal

from cockpit.venues import GEO_HINT

Kind = Literal["transient", "permanent", "geo-block"]


@dataclass(frozen=True, slots=True)
class Failure:
    """A classified failure with the text the status bar shows."""

    kind: Kind
    message: str
    retry_after_s: float | None = None  # what the venue asked for (429 Retry-After), if anything


def classify(exc: BaseException, headers: dict[str, str] | None = None, venue: str = "") -> Failure:
    """Sort an exception into transient (retry soon), permanent (show, retry rarely) or geo-block.

    ``headers`` are the failed response's (ccxt keeps them in ``last_response_headers``): a 429's
    Retry-After is only there, never in the exception text.
    """
    from cockpit.sources.venues.ccxt_lean import install

    install()  # lazily: the demo path never loads ccxt
    import ccxt

    text = f"{type(exc).__name__}: {exc}".strip()
    text = re.sub(r"\s+", " ", text)[:300]
    # Bybit answers 403 for its IP rate limit, not for a region (ccxt maps it to RateLimitExceeded).
    rate_limit_403 = venue == "bybit" and isinstance(exc, ccxt.RateLimitExceeded)
    if not rate_limit_403 and (
        re.search(r"\b(451|403)\b", str(exc)) or "restricted location" in str(exc).lower()
    ):
        return Failure("geo-block", f"{GEO_HINT} — {text}")
    if isinstance(exc, ccxt.OperationFailed | OSError | TimeoutError):
        return Failure("transient", text, _retry_after(str(exc), headers))
    if isinstance(exc, ccxt.ExchangeError | ccxt.BaseError):
        return Failure("permanent", text)
    if isinstance(exc, ValueError | KeyError | TypeError):
        return Failure("transient", f"bad data from venue: {text}")
    return Failure("transient", text)


def require_json_bodies(exchange: Any, venue: str) -> None:
    """Make a 2xx answer of ``exchange`` whose body is not JSON (or is empty) raise ``BadResponse`` naming
    ``venue``, a transient failure.

    ccxt 4.5.90 raises nothing for an HTML page or a cut body with status 200 and parses it into empty or
    None-filled results (VENUES.md): HTX's liquidations come back as ``[]``, indistinguishable from a quiet
    market. The check runs inside each request, where ccxt hands ``handle_errors`` that request's own body
    and parsed JSON, so concurrent calls on the one shared instance cannot see each other's answers
    (``last_http_response``, read after the call, could).
    """
    handle = exchange.handle_errors

    def checked(
        code: int, reason: str, url: str, method: str, headers: Any, body: Any, response: Any, *rest: Any
    ) -> Any:
        handled = handle(code, reason, url, method, headers, body, response, *rest)
        if 200 <= int(code) < 300 and response is None:
            import ccxt

            if not body or not str(body).strip():
                # Parsed, an empty body is no markets at all ("has no market", permanent) or no rows (a
                # quiet market): say what it is, an empty answer, which the next try may not repeat.
                raise ccxt.BadResponse(f"{venue} answered with an empty body")
            raise ccxt.BadResponse(f"{venue} answered with a non-JSON body: {str(body)[:80]!r}")
        return handled

    exchange.handle_errors = checked


def _retry_after(text: str, headers: dict[str, str] | None) -> float | None:
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after":
            try:
                seconds = float(value)
            except (ValueError, OverflowError):
                return None
            return seconds if math.isfinite(seconds) and seconds >= 0 else None
    m = re.search(r"retry-after['\"]?\s*[:=]\s*['\"]?(\d+(?:\.\d+)?)", text, re.IGNORECASE)
    return float(m.group(1)) if m else None


class Backoff:
    """Exponential backoff with full jitter, reset on success."""

    def __init__(self, base_s: float = 1.0, cap_s: float = 60.0, rng: random.Random | None = None) -> None:
        self.base_s = base_s
        self.cap_s = cap_s
        self.attempt = 0
        self._rng = rng or random.Random()

    def next_delay(self, failure: Failure) -> float:
        """Seconds to wait before the next try."""
        self.attempt += 1
        if failure.kind != "transient":
            # Permanent and geo-block errors will not fix themselves soon: check again rarely.
            return self.cap_s * 5
        ceiling = min(self.cap_s, self.base_s * 2 ** (self.attempt - 1))
        delay = ceiling / 2 + self._rng.uniform(0, ceiling / 2)
        # What the venue asked for, but never longer than the wait after a permanent error: a Retry-After of
        # "inf" or 1e9 must not stop the source for good.
        return float(min(max(delay, failure.retry_after_s or 0.0), self.cap_s * 5))

    def next_delay_transient(self) -> float:
        """The delay for a failure that needs no classification (plain HTTP sources)."""
        return self.next_delay(Failure("transient", ""))

    def reset(self) -> None:
        self.attempt = 0
