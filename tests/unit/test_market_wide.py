"""The market-wide pieces that need no venue: which markets count, the ranking, the Bybit chunks."""

from __future__ import annotations

import pytest

from cockpit.config import ConfigError, load_config
from cockpit.sources.venues.market_wide import (
    BYBIT_ARGS_PER_REQUEST,
    chunks,
    connection_url,
    coverage_note,
    followed,
    linear_perpetuals,
    ranked_by_turnover,
)


def market(
    swap: bool = True, linear: bool = True, settle: str = "USDT", active: bool = True
) -> dict[str, object]:
    return {"swap": swap, "linear": linear, "settle": settle, "active": active}


def test_only_active_usdt_and_usdc_linear_perpetuals_count() -> None:
    markets = {
        "BTC/USDT:USDT": market(),
        "ETH/USDC:USDC": market(settle="USDC"),
        "BTC/USD:BTC": market(linear=False, settle="BTC"),  # coin-margined
        "BTC/USDT:USDT-261225": market(swap=False),  # dated future
        "OLD/USDT:USDT": market(active=False),
        "BTC/USDT": {"swap": False, "linear": None, "settle": None},  # spot
    }
    assert set(linear_perpetuals(markets)) == {"BTC/USDT:USDT", "ETH/USDC:USDC"}


def test_ranking_by_turnover_keeps_the_configured_symbols() -> None:
    tickers = {"A": {"quoteVolume": 5.0}, "B": {"quoteVolume": 9.0}, "C": {"quoteVolume": None}, "D": {}}
    ranked = ranked_by_turnover(tickers, ["A", "B", "C", "D", "E"])
    assert ranked == ["B", "A", "C", "D", "E"]
    assert followed(ranked, ["E", "B"], 2) == ("B", "A", "E")


def test_bybit_requests_and_connections_stay_within_limits() -> None:
    parts = chunks([f"S{i}" for i in range(25)], BYBIT_ARGS_PER_REQUEST)
    assert [len(p) for p in parts] == [10, 10, 5]
    assert connection_url("ws://h/v5/public/linear", 0) == "ws://h/v5/public/linear"
    assert connection_url("ws://h/v5/public/linear", 2) == "ws://h/v5/public/linear#2"


def test_coverage_notes_say_what_each_venue_covers() -> None:
    assert (
        coverage_note("binanceusdm", True, 100, ()) == "all USDT/USDC perpetuals (all-market stream, sampled)"
    )
    assert coverage_note("bybit", True, 100, ()) == "top 100 USDT/USDC perpetuals by 24 h turnover (streamed)"
    assert coverage_note("htx", True, 30, ()) == "top 30 USDT/USDC perpetuals by 24 h turnover (polled)"
    assert coverage_note("gate", False, 100, ("BTC/USDT:USDT",)) == "1 configured symbol"


def test_market_wide_and_top_n_are_validated(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "config.toml"
    path.write_text("[venues.bybit]\nmarket_wide = false\ntop_n = 20\n")
    settings = load_config(path).venues["bybit"]
    assert settings.market_wide is False and settings.top_n == 20
    path.write_text("[venues.bybit]\ntop_n = 0\n")
    with pytest.raises(ConfigError, match=r"config.toml.*top_n must be a whole number in \[1, 1000\], got 0"):
        load_config(path)
    path.write_text('[venues.okx]\nmarket_wide = "yes"\n')
    with pytest.raises(ConfigError, match=r"market_wide must be true or false"):
        load_config(path)
