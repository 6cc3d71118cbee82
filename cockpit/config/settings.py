"""The settings: one frozen dataclass per table of config.toml, with each key's default and the range it
is validated against (``spec`` in the field's metadata); ``loading`` reads and checks a file into them."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover - exercised on 3.10 only
    pass

from cockpit.analytics.fibonacci import FIB_RATIOS
from cockpit.analytics.pipeline import AnalyticsConfig
from cockpit.venues import VENUE_IDS

TIMEFRAMES: tuple[str, ...] = ("1m", "5m", "15m", "1h", "4h", "1d")
TIMEFRAME_MS: dict[str, int] = {
    "1m": 60_000,
    "5m": 300_000,
    "15m": 900_000,
    "1h": 3_600_000,
    "4h": 14_400_000,
    "1d": 86_400_000,
}
# Longer bars carry more information each, so fewer are needed on each side to call a pivot.
DEFAULT_SWING_LENGTH: dict[str, int] = {"1m": 10, "5m": 8, "15m": 6, "1h": 5, "4h": 4, "1d": 3}


class ConfigError(Exception):
    """A config problem, already phrased as the one line the user sees."""


def spec(
    kind: str,
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    choices: tuple[str, ...] = (),
) -> dict[str, Any]:
    return {"kind": kind, "lo": lo, "hi": hi, "lo_open": lo_open, "choices": choices}


@dataclass(frozen=True, slots=True)
class AnalyticsSettings:
    """[analytics]: parameters of the levels."""

    rsi_period: int = field(default=14, metadata=spec("int", 2, 500))
    fvg_min_rel_size: float = field(default=0.0005, metadata=spec("float", 0, 0.5))
    zone_tolerance: float = field(default=0.004, metadata=spec("float", 0, 0.5, lo_open=True))
    atr_period: int = field(default=14, metadata=spec("int", 1, 500))
    invalidation_atr: float = field(default=1.0, metadata=spec("float", 0, 20))
    swing_length: dict[str, int] = field(
        default_factory=lambda: dict(DEFAULT_SWING_LENGTH), metadata=spec("swing_lengths")
    )

    def for_timeframe(self, timeframe: str, swing_length: int | None = None) -> AnalyticsConfig:
        """The analytics parameters for one timeframe (an explicit swing length wins)."""
        return AnalyticsConfig(
            rsi_period=self.rsi_period,
            swing_length=swing_length or self.swing_length[timeframe],
            fib_ratios=FIB_RATIOS,
            fvg_min_rel_size=self.fvg_min_rel_size,
            zone_tolerance=self.zone_tolerance,
            atr_period=self.atr_period,
            invalidation_atr=self.invalidation_atr,
        )


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """[engine]: how often the UI gets a snapshot and which timeframe the levels use."""

    snapshot_hz: float = field(default=10.0, metadata=spec("float", 0, 60, lo_open=True))
    levels_timeframe: str = field(default="1h", metadata=spec("choice", choices=TIMEFRAMES))
    stale_after_cadences: float = field(default=3.0, metadata=spec("float", 1, 100))
    # A venue's liquidation feed with none for this long while the other venues had this many is stale.
    silent_liquidations_s: float = field(default=900.0, metadata=spec("float", 0, 86_400))
    silent_liquidations_peers: int = field(default=300, metadata=spec("int", 0, 1_000_000))


TAPE_MINIMUMS: tuple[str, ...] = ("all", "10K", "100K", "1M")
TAPE_MIN_USD: dict[str, float] = {"all": 0.0, "10K": 10_000.0, "100K": 100_000.0, "1M": 1_000_000.0}


@dataclass(frozen=True, slots=True)
class LiquidationSettings:
    """[liquidations]: the tape and the cascade detector."""

    cascade_factor: float = field(default=3.0, metadata=spec("float", 1, 100))
    tape_rows: int = field(default=200, metadata=spec("int", 10, 5000))
    largest_count: int = field(default=5, metadata=spec("int", 1, 50))
    # The tape's minimum print at start ("m" cycles it): every print, or $10K, $100K, $1M and up.
    tape_min: str = field(default="all", metadata=spec("choice", choices=TAPE_MINIMUMS))


@dataclass(frozen=True, slots=True)
class HistorySettings:
    """[history]: liquidations kept on disk so the windows are whole after a restart (live only)."""

    enabled: bool = field(default=True, metadata=spec("bool"))
    store: str = field(default="", metadata=spec("str"))  # "" = $XDG_DATA_HOME/cockpit/history.db
    retention_days: float = field(default=7.0, metadata=spec("float", 1, 365))
    max_mb: float = field(default=200.0, metadata=spec("float", 1, 100_000))


@dataclass(frozen=True, slots=True)
class UiSettings:
    """[ui]: what the screen starts with."""

    chart_timeframe: str = field(default="1h", metadata=spec("choice", choices=TIMEFRAMES))
    rsi_timeframe: str = field(default="4h", metadata=spec("choice", choices=TIMEFRAMES))
    theme: str = field(default="cockpit-dark", metadata=spec("str"))
    chart_hz: float = field(default=2.0, metadata=spec("float", 0, 30, lo_open=True))
    chart_fvg_min_pct: float = field(default=0.05, metadata=spec("float", 0, 10))
    max_fps: int = field(default=0, metadata=spec("int", 0, 120))
    colors: str = field(default="auto", metadata=spec("choice", choices=("auto", "truecolor", "256", "16")))
    glyphs: str = field(default="auto", metadata=spec("choice", choices=("auto", "unicode", "ascii")))


@dataclass(frozen=True, slots=True)
class DemoSettings:
    """[demo]: the built-in simulated market."""

    seed: int = field(default=20260202, metadata=spec("int", 0, 2**63 - 1))
    speed: float = field(default=1.0, metadata=spec("float", 0, 10_000, lo_open=True))


@dataclass(frozen=True, slots=True)
class VenueSettings:
    """[venues.<ccxt id>]: one exchange."""

    enabled: bool = field(default=True, metadata=spec("bool"))
    # With market_wide (the default) these are only made sure of: followed even if not among the most active.
    symbols: tuple[str, ...] = field(default=("BTC/USDT:USDT",), metadata=spec("symbols"))
    # Liquidations of every USDT/USDC-margined linear perpetual the venue lists, not only ``symbols``
    # (sources/venues/market_wide.py says how each venue is covered).
    market_wide: bool = field(default=True, metadata=spec("bool"))
    # Venues without an all-market feed (bybit's stream, htx's per-contract history) follow this many of
    # their perpetuals, the most active by 24 h turnover, re-ranked every hour.
    top_n: int = field(default=100, metadata=spec("int", 1, 1000))
    # gate, htx with market_wide: also read the venue's all-market liquidation websocket (see
    # sources/venues/market_stream.py: HTX's REST polls then run only while it is down; Gate's keep going).
    stream: bool = field(default=True, metadata=spec("bool"))
    liquidations_poll_s: float = field(default=10.0, metadata=spec("float", 1, 3600))
    candles_poll_s: float = field(default=15.0, metadata=spec("float", 1, 3600))
    derivatives_poll_s: float = field(default=60.0, metadata=spec("float", 5, 86_400))
    backoff_max_s: float = field(default=60.0, metadata=spec("float", 1, 3600))
    timeout_s: float = field(default=10.0, metadata=spec("float", 0.1, 120))
    ws_keepalive_s: float = field(default=15.0, metadata=spec("float", 0.5, 600))
    # Streaming venues: how many liquidations ccxt keeps between two reads (ccxt's own default is 1,000);
    # sources/venues/cache_reader.py says why this size and what it costs.
    liquidations_cache: int = field(default=10_000, metadata=spec("int", 1_000, 1_000_000))
    rest_url: str = field(default="", metadata=spec("str"))  # "" = the venue's own; tests point at fakes
    ws_url: str = field(default="", metadata=spec("str"))


@dataclass(frozen=True, slots=True)
class LiveSettings:
    """[live]: which market the cockpit follows and which venue's price and candles it shows."""

    symbol: str = field(default="BTC/USDT:USDT", metadata=spec("str"))  # on the chart at start
    # The watchlist: first in the symbol picker (`s`) and the palette; any perpetual can be charted.
    symbols: tuple[str, ...] = field(
        default=("BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT"), metadata=spec("symbols")
    )
    price_venue: str = field(default="binanceusdm", metadata=spec("choice", choices=VENUE_IDS))
    backfill_minutes: int = field(default=10_080, metadata=spec("int", 60, 20_000))  # a week of 1m


@dataclass(frozen=True, slots=True)
class SentimentSettings:
    """[sentiment]: the Crypto Fear & Greed Index."""

    enabled: bool = field(default=True, metadata=spec("bool"))
    url: str = field(default="https://api.alternative.me/fng/", metadata=spec("str"))
    poll_max_s: float = field(default=3600.0, metadata=spec("float", 1, 86_400))
    history_days: int = field(default=31, metadata=spec("int", 2, 3000))


@dataclass(frozen=True, slots=True)
class AlarmSettings:
    """[alarms]: defaults of level alarms, where they are stored and how a firing is announced."""

    hysteresis_pct: float = field(default=0.05, metadata=spec("float", 0, 10))
    cooldown_s: float = field(default=60.0, metadata=spec("float", 0, 86_400))
    rearm: bool = field(default=True, metadata=spec("bool"))
    store: str = field(default="", metadata=spec("str"))  # "" = $XDG_DATA_HOME/cockpit/alarms.db
    bell: bool = field(default=True, metadata=spec("bool"))
    osc: bool = field(default=True, metadata=spec("bool"))
    notify_command: tuple[str, ...] = field(default=(), metadata=spec("argv"))
    webhook: str = field(default="", metadata=spec("url"))
    notify_timeout_s: float = field(default=5.0, metadata=spec("float", 0.1, 120))


@dataclass(frozen=True, slots=True)
class BusSettings:
    """[bus]: a NATS broker the daemon publishes on and viewers attach through (cockpit/bus/). Secrets
    are named by file only: never on a command line, a screen or in a log."""

    url: str = field(default="", metadata=spec("broker"))  # "" = no bus
    token_file: str = field(default="", metadata=spec("str"))
    creds_file: str = field(default="", metadata=spec("str"))  # a NATS .creds file (JWT + nkey seed)
    tls_ca: str = field(default="", metadata=spec("str"))
    tls_cert: str = field(default="", metadata=spec("str"))
    tls_key: str = field(default="", metadata=spec("str"))
    subject_prefix: str = field(default="cockpit", metadata=spec("subject"))
    # The shared secret alarm changes (and what the daemon publishes) are signed with (HMAC-SHA256).
    secret_file: str = field(default="", metadata=spec("str"))


def default_venues() -> dict[str, VenueSettings]:
    return {v: VenueSettings() for v in VENUE_IDS}


@dataclass(frozen=True, slots=True)
class Config:
    """The whole configuration; passed into whatever needs it, never global."""

    analytics: AnalyticsSettings = field(default_factory=AnalyticsSettings)
    engine: EngineSettings = field(default_factory=EngineSettings)
    liquidations: LiquidationSettings = field(default_factory=LiquidationSettings)
    history: HistorySettings = field(default_factory=HistorySettings)
    ui: UiSettings = field(default_factory=UiSettings)
    demo: DemoSettings = field(default_factory=DemoSettings)
    live: LiveSettings = field(default_factory=LiveSettings)
    sentiment: SentimentSettings = field(default_factory=SentimentSettings)
    alarms: AlarmSettings = field(default_factory=AlarmSettings)
    bus: BusSettings = field(default_factory=BusSettings)
    venues: dict[str, VenueSettings] = field(default_factory=default_venues)
    keys: dict[str, str] = field(default_factory=dict)  # binding id -> key(s), e.g. {"maximize": "m"}
    source: str = field(default="<defaults>", compare=False)


SECTIONS: dict[str, type] = {
    "analytics": AnalyticsSettings,
    "engine": EngineSettings,
    "liquidations": LiquidationSettings,
    "history": HistorySettings,
    "ui": UiSettings,
    "demo": DemoSettings,
    "live": LiveSettings,
    "sentiment": SentimentSettings,
    "alarms": AlarmSettings,
    "bus": BusSettings,
}
