"""Traffic for the live cockpit at rest, at the cadence real venues stream: every second a ticker on each
streamed venue (Binance's mark price and ticker arrive every second or faster) with the price moving a
little, and a liquidation every three seconds on one of them in turn. Driven by ``FakeVenuesThread``."""

from __future__ import annotations

import random
import time
from typing import Any

from tests.fakes import binanceusdm, bybit, fixtures, okx

LIQUIDATION_EVERY_S = 3


class LiveTraffic:
    """``second(fakes)`` once a second pushes what a quiet market sends; times follow the app's clock,
    which starts at ``start_ms`` when the app is launched (``restart``)."""

    def __init__(self, start_ms: int, seed: int = 7) -> None:
        self.start_ms, self.price, self.count = start_ms, 71_480.0, 0
        self._random = random.Random(seed)
        self._t0 = time.monotonic()

    def restart(self) -> None:
        self._t0 = time.monotonic()

    def now_ms(self) -> int:
        return self.start_ms + int((time.monotonic() - self._t0) * 1000)

    async def second(self, fakes: Any) -> None:
        ts = self.now_ms()
        self.price = round(self.price * (1 + self._random.gauss(0, 0.0002)), 1)
        await fakes["binanceusdm"].push_tickers(binanceusdm.mini_ticker(f"{self.price:.1f}", ts=ts))
        await fakes["bybit"].push_tickers(fixtures.bybit_ws_tickers()[-1])
        await fakes["okx"].push_tickers(fixtures.okx_ws_tickers()[0])
        self.count += 1
        if self.count % LIQUIDATION_EVERY_S == 0:
            await self._liquidation(fakes, ts)

    async def _liquidation(self, fakes: Any, ts: int) -> None:
        turn = (self.count // LIQUIDATION_EVERY_S) % 3
        price = f"{self.price:.1f}"
        if turn == 0:
            await fakes["binanceusdm"].push_liquidations(
                binanceusdm.force_order("SELL", "0.050", price, ts=ts)
            )
        elif turn == 1:
            await fakes["bybit"].push_liquidations(bybit.all_liquidation("Sell", "0.120", price, ts=ts))
        else:
            await fakes["okx"].push_liquidations(okx.liquidation_order("buy", "short", "9", price, ts=ts))
