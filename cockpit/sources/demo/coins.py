"""The coins the simulated market trades: one USDT-margined perpetual each, BTC first.

Each coin has a price level at the opening moment (plausible for early February 2026, after the slide the
reference day reports), how it moves with BTC, and its share of the market's leveraged book.

* ``beta``: how many percent the coin moves per percent of BTC (the market factor). Large caps sit near 1,
  memecoins near 2; TRX and BNB follow BTC less (lower beta) but still swing more than it.
* ``idio``: the coin's own noise per minute, as a multiple of BTC's volatility at that moment, so alts
  are more volatile than BTC (total volatility sqrt(beta^2 + idio^2) times BTC's) and their correlation
  with BTC is beta / sqrt(beta^2 + idio^2), 0.6-0.9 as for real alts.
* ``share``: the coin's share of the market's leverage (open interest) and so of its liquidations. Every
  coin's book is simulated at the size of BTC's reference book (the one SCENARIO.md was calibrated on) and
  its prints are ``share`` of it: the market-wide totals are the reference figures and BTC's own are
  about ``BTC_SHARE`` of them (aggregators usually show BTC at a quarter to two fifths of a day's
  liquidations, ETH next, then a long tail).
* ``decimals``: the price tick (a venue quotes DOGE to 0.00001, BTC to 0.1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cockpit.models import DerivativesUpdate

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Coin:
    """One simulated perpetual."""

    symbol: str  # ccxt form, "ETH/USDT:USDT"
    price_usd: float  # at the opening moment (BTC's comes from its own designed path)
    beta: float
    idio: float
    share: float
    decimals: int


BTC_SHARE = 0.34

COINS: tuple[Coin, ...] = (
    Coin("BTC/USDT:USDT", 75_203.0, 1.0, 0.0, BTC_SHARE, 1),
    Coin("ETH/USDT:USDT", 2_310.0, 1.25, 0.7, 0.235, 2),
    Coin("SOL/USDT:USDT", 101.4, 1.4, 0.9, 0.09, 2),
    Coin("XRP/USDT:USDT", 1.62, 1.3, 1.0, 0.065, 4),
    Coin("DOGE/USDT:USDT", 0.1052, 1.5, 1.1, 0.055, 5),
    Coin("HYPE/USDT:USDT", 31.2, 1.3, 1.6, 0.03, 3),
    Coin("BNB/USDT:USDT", 758.0, 0.85, 0.75, 0.025, 2),
    Coin("SUI/USDT:USDT", 1.12, 1.7, 1.4, 0.025, 4),
    Coin("ADA/USDT:USDT", 0.292, 1.4, 1.0, 0.02, 4),
    Coin("1000PEPE/USDT:USDT", 0.00451, 1.8, 1.6, 0.02, 7),
    Coin("LINK/USDT:USDT", 9.85, 1.4, 1.0, 0.015, 3),
    Coin("AVAX/USDT:USDT", 10.1, 1.5, 1.1, 0.015, 3),
    Coin("WIF/USDT:USDT", 0.298, 1.9, 1.8, 0.015, 4),
    Coin("ENA/USDT:USDT", 0.158, 1.8, 1.5, 0.015, 4),
    Coin("LTC/USDT:USDT", 59.8, 1.1, 0.9, 0.01, 2),
    Coin("DOT/USDT:USDT", 1.58, 1.4, 1.0, 0.01, 3),
    Coin("BCH/USDT:USDT", 545.0, 1.1, 1.0, 0.01, 2),
    Coin("TRX/USDT:USDT", 0.284, 0.55, 0.95, 0.005, 5),
)
SYMBOLS: tuple[str, ...] = tuple(c.symbol for c in COINS)
ALTS: tuple[Coin, ...] = COINS[1:]  # everything but BTC, in the order of their rows in the alt arrays


def alt_column(name: str) -> FloatArray:
    """One numeric field of every alt as a column (rows = alts), for array maths across coins."""
    return np.array([[float(getattr(c, name))] for c in ALTS])


def round_prices(prices: FloatArray, decimals: npt.NDArray[np.int64]) -> FloatArray:
    """Round each row of prices to its coin's tick (decimals per row) in one array op.

    Dividing the rounded integer by a power of ten gives the double nearest the decimal price, as
    ``round(p, d)`` would, so prices print as a venue quotes them.
    """
    scale = 10.0 ** decimals.reshape(-1, *([1] * (prices.ndim - 1)))
    return np.asarray(np.rint(prices * scale) / scale, dtype=np.float64)


def derivatives(source: str, ts_ms: int, btc_funding: float, btc_oi_usd: float) -> list[DerivativesUpdate]:
    """Every coin's funding and open interest, from BTC's book: open interest in proportion to the coin's
    ``share`` of the market's leverage (the same share its liquidations have), funding BTC's times its
    ``beta`` (the more a coin swings with the market, the more its longs pay in a long-crowded one)."""
    return [
        DerivativesUpdate(
            source,
            c.symbol,
            ts_ms,
            btc_funding * c.beta,
            btc_oi_usd * c.share / BTC_SHARE,
            funding_interval_h=8.0,
        )
        for c in COINS
    ]
