"""The market by coin: per-symbol sums, coin grouping, the followed coin's totals and chart markers."""

from __future__ import annotations

import numpy as np
import pytest

from cockpit.analytics.coverage import Coverage
from cockpit.analytics.liquidation_summary import CoinTable, summarize
from cockpit.analytics.liquidations import LiquidationEvent, by_coin, coin_of
from cockpit.analytics.windows import LiquidationWindows

NOW = 1_770_000_000_000
HOUR = 3_600_000


def ev(ago_ms: int, venue: str, symbol: str, side: str, usd: float, price: float = 100.0) -> LiquidationEvent:
    return LiquidationEvent(NOW - ago_ms, venue, symbol, side, usd, price)  # type: ignore[arg-type]


def random_events(n: int, seed: int) -> list[LiquidationEvent]:
    rng = np.random.default_rng(seed)
    symbols = ["BTC/USDT:USDT", "BTC/USDC:USDC", "ETH/USDT:USDT", "SOL/USDT:USDT", "1000PEPE/USDT:USDT"]
    venues = ["Binance", "Bybit", "OKX"]
    return [
        ev(
            int(rng.integers(0, 30 * HOUR)),  # some older than the day: retention drops them
            venues[int(rng.integers(0, 3))],
            symbols[int(rng.integers(0, len(symbols)))],
            "long" if rng.random() < 0.7 else "short",
            float(np.round(rng.lognormal(9, 1.5), 2)),
            float(rng.uniform(1, 1000)),
        )
        for _ in range(n)
    ]


def test_coin_is_the_base_currency() -> None:
    assert coin_of("ETH/USDT:USDT") == "ETH"
    assert coin_of("1000PEPE/USDT:USDT") == "1000PEPE"
    assert coin_of("BTC/USD:BTC") == "BTC"
    assert coin_of("BTCUSDT") == "BTCUSDT"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_by_symbol_and_by_coin_equal_sums_by_hand(seed: int) -> None:
    events = random_events(3_000, seed)
    w = LiquidationWindows()
    w.ingest(events)
    for window_s in (3600, 14_400, 86_400):
        inside = [e for e in events if NOW - window_s * 1000 < e.ts_ms <= NOW]
        table = {c.coin: c for c in by_coin(w.by_symbol(window_s, NOW))}
        coins = {coin_of(e.symbol) for e in inside}
        assert set(table) == coins
        for coin in coins:
            mine = [e for e in inside if coin_of(e.symbol) == coin]
            long_usd = sum(e.notional_usd for e in mine if e.side == "long")
            short_usd = sum(e.notional_usd for e in mine if e.side == "short")
            assert table[coin].long_usd == pytest.approx(long_usd, rel=1e-12)
            assert table[coin].short_usd == pytest.approx(short_usd, rel=1e-12)
            assert table[coin].count == len(mine)
        # The coins add up to the market.
        market = w.totals(window_s, NOW)
        assert sum(c.total_usd for c in table.values()) == pytest.approx(market.total_usd, rel=1e-9)
        assert sum(c.count for c in table.values()) == market.count


def test_the_table_is_ordered_largest_first_and_ties_by_name() -> None:
    table = by_coin({"B/X:X": (5.0, 0.0, 1), "A/X:X": (2.0, 3.0, 2), "C/X:X": (9.0, 1.0, 3)})
    assert [c.coin for c in table] == ["C", "A", "B"]


def test_totals_for_the_followed_coin_match_a_filter_by_hand() -> None:
    events = random_events(2_000, 7)
    w = LiquidationWindows()
    w.ingest(events)
    btc = [s for s in w.symbols if coin_of(s) == "BTC"]
    assert sorted(btc) == ["BTC/USDC:USDC", "BTC/USDT:USDT"]
    got = w.totals_for(btc, 3600, NOW)
    mine = [e for e in events if coin_of(e.symbol) == "BTC" and NOW - HOUR < e.ts_ms <= NOW]
    assert got.count == len(mine)
    assert got.long_usd == pytest.approx(sum(e.notional_usd for e in mine if e.side == "long"), rel=1e-12)
    for venue, (lg, sh) in got.by_venue.items():
        assert lg == pytest.approx(sum(e.notional_usd for e in mine if e.venue == venue and e.side == "long"))
        assert sh == pytest.approx(
            sum(e.notional_usd for e in mine if e.venue == venue and e.side == "short")
        )
    assert w.totals_for(["NOPE/USDT:USDT"], 3600, NOW).count == 0


def test_chart_markers_count_only_the_charted_coin() -> None:
    w = LiquidationWindows()
    w.ingest([ev(10_000, "Binance", "BTC/USDT:USDT", "long", 1_000.0, 70_000.0)])
    w.ingest([ev(10_000, "Binance", "ETH/USDT:USDT", "long", 5_000.0, 2_000.0)])
    edges = np.array([NOW - HOUR, NOW + 1], dtype=np.int64)
    long_usd, _, long_px, _ = w.per_bucket(edges, ["BTC/USDT:USDT"])
    assert long_usd.tolist() == [1_000.0] and long_px.tolist() == [70_000.0]
    everything, _, mixed_px, _ = w.per_bucket(edges)
    assert everything.tolist() == [6_000.0] and mixed_px[0] != 70_000.0


def test_the_coin_table_is_refreshed_once_a_market_second() -> None:
    w = LiquidationWindows()
    w.ingest([ev(1_000, "Binance", "ETH/USDT:USDT", "long", 100.0)])
    table = CoinTable()
    table.get(w, "BTC", NOW)
    w.ingest([ev(500, "Binance", "ETH/USDT:USDT", "long", 50.0)])
    same, _ = table.get(w, "BTC", NOW + 200)  # the same market second: the table a moment old
    assert same["1h"][0].long_usd == 100.0
    later, followed = table.get(w, "BTC", NOW + 1_000)
    assert later["1h"][0].long_usd == 150.0 and followed["1h"].count == 0
    _, eth = table.get(w, "ETH", NOW + 1_000)  # another coin followed: recomputed at once
    assert eth["1h"].count == 2


def test_summary_carries_the_market_by_coin_and_the_followed_coin() -> None:
    w = LiquidationWindows()
    w.ingest(
        [
            ev(60_000, "Binance", "BTC/USDT:USDT", "long", 3_000.0),
            ev(60_000, "Bybit", "ETH/USDT:USDT", "short", 2_000.0),
            ev(5 * HOUR, "OKX", "SOL/USDT:USDT", "long", 9_000.0),
        ]
    )
    s = summarize(
        w, Coverage(), (), now_ms=NOW, cascade_factor=3.0, largest_count=5, followed_symbol="ETH/USDT:USDT"
    )
    assert [c.coin for c in s.by_coin["1h"]] == ["BTC", "ETH"]
    assert [c.coin for c in s.by_coin["24h"]] == ["SOL", "BTC", "ETH"]
    assert s.followed_coin == "ETH"
    assert s.followed["1h"].short_usd == 2_000.0 and s.followed["1h"].long_usd == 0.0
    assert s.windows["1h"].total_usd == 5_000.0  # the market: every coin
