"""Which feeds a venue delivers, and how often each shows life: health is judged per feed on these cadences
(stale after ``[engine] stale_after_cadences`` of them; see ``cockpit.engine.source_health``).

- Streams: tickers arrive many times a second on every major, and a liquidation stream, silent for minutes on
  a quiet market, says it is alive every HEARTBEAT_S while it is connected (ccxt raises within two keepalives
  when pongs stop, which shows as an error instead). 10 s leaves room for both; 30 s of nothing is a dead
  stream, not a quiet market.
- Polled feeds answer once per poll, an empty answer included: the venue said "nothing new".
Which venue's liquidations are missing while the others' arrive is judged apart (``source_health``).
"""

from __future__ import annotations

from cockpit.config import VenueSettings
from cockpit.models import CANDLES, FUNDING, LIQUIDATIONS, TICKER

STREAM_CADENCE_S = 10.0
HEARTBEAT_S = 5.0  # market seconds between "alive" reports of a connected liquidation stream


def feed_cadences(settings: VenueSettings, *, streaming: bool, is_price_venue: bool) -> dict[str, float]:
    """Feed -> cadence in seconds, for the loops a venue runs (the price venue adds candles and funding, and
    a ticker when it does not stream one anyway)."""
    feeds = {LIQUIDATIONS: STREAM_CADENCE_S if streaming else settings.liquidations_poll_s}
    if streaming or is_price_venue:
        feeds[TICKER] = STREAM_CADENCE_S if streaming else settings.candles_poll_s
    if is_price_venue:
        feeds[CANDLES] = settings.candles_poll_s
        feeds[FUNDING] = settings.derivatives_poll_s
    return feeds
