"""Market-wide liquidations (issue 18): every venue's fake lists the recorded linear perpetuals with each
venue's contract size per coin, and liquidations on all of them reach the engine from all five venues,
through the all-market streams (binance ``!forceOrder@arr``, okx SWAP without an instrument), Bybit's
per-symbol topics for its most active perpetuals, Gate's all-contract history and HTX's per-contract round
of polls.

Longs and shorts alternate by coin, each in its venue's own side encoding. The long and short totals by
venue (the 1h window's ``by_venue``) and by coin (``totals_for`` the coin's symbols, as the coin table
reads them) of the events the engine ingested must equal the sums computed by hand from the raw prints:
contracts x the coin's contract size on that venue (tests/data/markets/perpetuals.json) x price.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from typing import Any

import pytest

from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.analytics.windows import LiquidationWindows
from cockpit.models import MarketEvent
from cockpit.sources.clock import SimClock
from cockpit.wiring import live_engine
from tests.fakes import binanceusdm, bybit, gate, htx, okx
from tests.fakes.cluster import FakeVenues, fake_venues
from tests.fakes.perpetuals import Perpetual, perpetuals
from tests.integration.test_live_venues import START_MS, fake_config

VENUE = {"binanceusdm": "Binance", "bybit": "Bybit", "okx": "OKX", "gate": "Gate", "htx": "HTX"}


def contracts(k: int) -> int:
    """The contracts liquidated on the k-th coin: a different count per coin (so a swap of contract sizes
    between coins would show)."""
    return 3 + k


def side_of(k: int) -> str:
    """The position liquidated on the k-th coin: longs and shorts alternate, so every venue's side
    encoding is exercised both ways."""
    return "long" if k % 2 == 0 else "short"


def raw_print(venue: str, p: Perpetual, side: str, n: int, ts: int) -> dict[str, Any]:
    """One liquidation of ``n`` contracts of ``p`` at its price, in ``venue``'s own wire format and side
    encoding (docs/VENUES.md): binance order side, bybit position side, okx order side + posSide, gate
    signed position size, htx order side + position_side."""
    price, long = f"{p.price:g}", side == "long"
    if venue == "binanceusdm":
        return binanceusdm.force_order("SELL" if long else "BUY", str(n), price, ts, f"{p.coin}USDT")
    if venue == "bybit":
        return bybit.all_liquidation("Buy" if long else "Sell", str(n), price, ts + 1, f"{p.coin}USDT")
    if venue == "okx":
        order_side = "sell" if long else "buy"
        return okx.liquidation_order(order_side, side, str(n), price, ts + 2, f"{p.coin}-USDT-SWAP")
    if venue == "gate":
        return gate.liq_order(n if long else -n, price, ts_s=ts // 1000, contract=f"{p.coin}_USDT")
    return htx.liquidation_order("sell" if long else "buy", side, n, price, ts + 3, f"{p.coin}-USDT")


def hand_computed(venue: str, raw: dict[str, Any]) -> tuple[str, str, float]:
    """(coin, position side, notional USD) of one raw print, read by hand from the venue's fields:
    contracts x the coin's contract size on that venue (tests/data/markets/perpetuals.json; 1 base unit on
    binance and bybit) x price."""
    if venue == "binanceusdm":
        o = raw["o"]
        coin, n, price, side = (
            o["s"].removesuffix("USDT"),
            o["q"],
            o["ap"],
            {"SELL": "long", "BUY": "short"}[o["S"]],
        )
    elif venue == "bybit":
        d = raw["data"][0]
        coin, n, price, side = (
            d["s"].removesuffix("USDT"),
            d["v"],
            d["p"],
            {"Buy": "long", "Sell": "short"}[d["S"]],
        )
    elif venue == "okx":
        item = raw["data"][0]
        d = item["details"][0]
        assert (d["side"], d["posSide"]) in (("sell", "long"), ("buy", "short"))
        coin, n, price, side = item["instId"].split("-")[0], d["sz"], d["bkPx"], d["posSide"]
    elif venue == "gate":
        coin, n, price = raw["contract"].split("_")[0], abs(raw["order_size"]), raw["fill_price"]
        side = "long" if raw["size"] > 0 else "short"
    else:
        assert (raw["side"], raw["position_side"]) in (("sell", "long"), ("buy", "short"))
        coin, n, price, side = (
            raw["contract_code"].split("-")[0],
            raw["volume"],
            raw["bankrupt_price"],
            raw["position_side"],
        )
    p = perpetuals()[coin]
    size = {"okx": p.okx_ct_val, "gate": p.gate_multiplier, "htx": p.htx_size}.get(venue, "1")
    return coin, side, float(n) * float(size) * float(price)


Sums = dict[tuple[str, str, str], float]  # (venue name, coin, side) -> notional USD


async def push_everywhere(f: FakeVenues, now_ms: int) -> Sums:
    """A liquidation of every coin on every venue (longs and shorts alternating by coin); returns the
    hand-computed notional of each (venue name, coin, side)."""
    sums: Sums = defaultdict(float)
    t = now_ms - 20_000
    pushes: dict[str, list[Any]] = defaultdict(list)
    for k, p in enumerate(perpetuals().values()):
        for venue in VENUE:
            raw = raw_print(venue, p, side_of(k), contracts(k), t + 10 * k)
            pushes[venue].append(raw)
            coin, side, usd = hand_computed(venue, raw)
            sums[VENUE[venue], coin, side] += usd
    for venue, messages in pushes.items():
        if venue in ("gate", "htx"):  # into the REST history and out on the all-market stream: once each
            await f[venue].push_prints(*messages)
        else:
            await f[venue].push_liquidations(*messages)
    return sums


async def subscribed(f: FakeVenues) -> None:
    """Streams deliver only to subscribers: the all-market topics, and every coin's Bybit topic."""
    await f.binanceusdm.wait_subscribed(binanceusdm.ALL_MARKET, timeout=10)
    await f.okx.wait_subscribed("liquidation-orders:SWAP", timeout=10)
    for coin in perpetuals():
        await f.bybit.wait_subscribed(f"allLiquidation.{coin}USDT", timeout=10)


def test_liquidations_on_every_coin_of_all_five_venues_add_up_by_venue_and_by_coin() -> None:
    seen: list[LiquidationEvent] = []
    Split = dict[str, tuple[float, float]]  # name -> (long USD, short USD)

    async def scenario() -> tuple[Sums, Split, Split, dict[str, str]]:
        async with fake_venues() as f:
            engine = live_engine(fake_config(f), SimClock(START_MS))

            def collect(event: MarketEvent) -> None:
                if isinstance(event, LiquidationEvent):
                    seen.append(event)

            engine.taps.append(collect)
            engine.start()
            try:
                await subscribed(f)
                await asyncio.sleep(0.3)
                sums = await push_everywhere(f, engine.clock.now_ms())
                with contextlib.suppress(AssertionError):  # what arrived is checked below
                    await f.gate.wait_until(lambda: len(seen) >= len(sums), timeout=20)
                await asyncio.sleep(1.5)  # a repeat (an overlapping poll) would arrive by now
                now = engine.clock.now_ms()
                # The engine's windows over what it was given (its queue drains on its own schedule).
                windows = LiquidationWindows()
                windows.ingest(seen)
                by_venue = windows.totals(3600, now).by_venue
                by_coin = {}
                for coin in perpetuals():
                    t = windows.totals_for(windows.symbols_of(coin), 3600, now)
                    by_coin[coin] = (t.long_usd, t.short_usd)
                notes = {s.name: s.coverage_note for s in engine.state.health.statuses(now)}
            finally:
                await engine.stop()
            return sums, by_venue, by_coin, notes

    sums, by_venue, by_coin, notes = asyncio.run(asyncio.wait_for(scenario(), 90))
    assert len(perpetuals()) >= 20
    assert len(seen) == len(sums) == 5 * len(perpetuals())

    def split(key: int) -> Split:
        """The hand-computed sums as name -> (long, short), ``key`` picking venue (0) or coin (1)."""
        out: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for k, usd in sums.items():
            out[k[key]][0 if k[2] == "long" else 1] += usd
        return {name: (lg, sh) for name, (lg, sh) in out.items()}

    found: Sums = defaultdict(float)
    for e in seen:
        found[e.venue, e.symbol.split("/")[0], e.side] += e.notional_usd
    # Both in one key order: pytest's report of a mismatch pairs the two dicts' values by position.
    assert dict(sorted(found.items())) == pytest.approx(dict(sorted(sums.items())), rel=1e-9)
    want_venue, want_coin = split(0), split(1)
    assert sorted(by_venue) == sorted(want_venue) == sorted(VENUE.values())
    for name, (lg, sh) in want_venue.items():
        assert by_venue[name] == (pytest.approx(lg, rel=1e-9), pytest.approx(sh, rel=1e-9)), name
    assert sorted(by_coin) == sorted(want_coin) == sorted(perpetuals())
    for coin, (lg, sh) in want_coin.items():
        assert by_coin[coin] == (pytest.approx(lg, rel=1e-9), pytest.approx(sh, rel=1e-9)), coin
        assert lg > 0 if list(perpetuals()).index(coin) % 2 == 0 else sh > 0, coin
    assert notes["binanceusdm"].startswith("all USDT/USDC perpetuals") and "top 100" in notes["bybit"]
