"""Support, resistance and liquidity zones from confirmed swings and, optionally, liquidations by price.

Points are the prices of confirmed swings (each one touch) and, when given, liquidation notional bucketed
by price. Sorted by price, a point joins the current cluster while its distance to the previous point is
at most ``tolerance`` (relative to price), so zones scale with the market. A zone's strength is its
swing touches plus up to 2 points for liquidation notional (relative to the zone with the most), so a
level defended several times or where leverage was flushed ranks above a single pivot.

A zone with two or more swings (equal highs or lows, where stops rest) or with any liquidation notional
is a *liquidity* zone. Zones whose middle is below the price are support, above it resistance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from cockpit.analytics.candles import FloatArray, IntArray
from cockpit.analytics.swings import Swing, Swings, as_swings

LIQ_STRENGTH = 2.0  # strength points of the zone with the most liquidation notional


@dataclass(frozen=True, slots=True)
class Zone:
    """A price band where the market turned or leverage was flushed."""

    low: float
    high: float
    mid: float
    touches: int  # confirmed swings inside
    notional_usd: float  # liquidations bucketed inside
    strength: float
    last_index: int  # newest swing bar inside (-1 without swings)
    side: Literal["support", "resistance"]

    @property
    def is_liquidity(self) -> bool:
        """Equal highs/lows (resting stops) or a liquidation cluster."""
        return self.touches >= 2 or self.notional_usd > 0.0


@dataclass(frozen=True, slots=True)
class Zones:
    """All zones (ascending by price) and the ones nearest the current price."""

    price: float
    zones: tuple[Zone, ...]
    support: Zone | None
    resistance: Zone | None
    liquidity_below: Zone | None  # next liquidity zone beyond the nearest support
    liquidity_above: Zone | None  # next liquidity zone beyond the nearest resistance

    def below(self, level: float) -> tuple[Zone, ...]:
        """Zones whose middle is below a level, nearest first."""
        return tuple(z for z in reversed(self.zones) if z.mid < level)

    def above(self, level: float) -> tuple[Zone, ...]:
        """Zones whose middle is above a level, nearest first."""
        return tuple(z for z in self.zones if z.mid > level)


def find_zones(
    swings: Swings | Sequence[Swing],
    price: float,
    tolerance: float = 0.004,
    liq_price: FloatArray | None = None,
    liq_notional: FloatArray | None = None,
) -> Zones:
    """Cluster swing prices (and liquidation notional by price) into zones around ``price``."""
    if tolerance <= 0:
        raise ValueError("zones: tolerance must be > 0")
    points = _points(swings, tolerance, liq_price, liq_notional)
    if not len(points.price):
        return Zones(price, (), None, None, None, None)
    return _nearest(price, _clusters(points, tolerance, price))


@dataclass(frozen=True)
class _Points:
    """Every price that can make a zone, sorted: swings (a touch each) and liquidation buckets."""

    price: FloatArray
    touch: FloatArray  # 1 for a swing, 0 for a liquidation bucket
    notional: FloatArray  # liquidated USD at that price (0 for a swing)
    bar: IntArray  # the swing's bar (-1 for a bucket)


def _points(
    swings: Swings | Sequence[Swing],
    tolerance: float,
    liq_price: FloatArray | None,
    liq_notional: FloatArray | None,
) -> _Points:
    s = as_swings(swings)
    price, touch = [s.price], [np.ones(len(s))]
    notional, bar = [np.zeros(len(s))], [s.index]
    if liq_price is not None and liq_notional is not None and len(liq_price):
        b_price, b_notional = _bucket(
            np.asarray(liq_price, float), np.asarray(liq_notional, float), tolerance
        )
        price.append(b_price)
        touch.append(np.zeros(len(b_price)))
        notional.append(b_notional)
        bar.append(np.full(len(b_price), -1, dtype=np.int64))
    p = np.concatenate(price)
    order = np.argsort(p, kind="stable")
    return _Points(
        p[order], np.concatenate(touch)[order], np.concatenate(notional)[order], np.concatenate(bar)[order]
    )


def _clusters(points: _Points, tolerance: float, price: float) -> tuple[Zone, ...]:
    p, t, nv = points.price, points.touch, points.notional
    # A new cluster starts where the gap to the previous point exceeds the tolerance.
    starts = np.flatnonzero(np.concatenate(([True], np.diff(p) > tolerance * p[1:])))
    ends = np.append(starts[1:], len(p))
    zone_notional = np.add.reduceat(nv, starts)
    touches = np.add.reduceat(t, starts)
    # Middle: swings weigh one each; liquidation buckets share one weight in proportion to notional.
    share = np.divide(nv, np.repeat(zone_notional, ends - starts), out=np.zeros_like(nv), where=nv > 0)
    weight = t + share
    mid = np.add.reduceat(p * weight, starts) / np.add.reduceat(weight, starts)
    mid = np.clip(mid, p[starts], p[ends - 1])  # rounding must not put the middle outside the band
    peak = float(zone_notional.max())
    strength = touches + (LIQ_STRENGTH * zone_notional / peak if peak > 0 else 0.0)
    return tuple(
        Zone(lo, hi, m, int(k), zn, st, int(last), "support" if m < price else "resistance")
        for lo, hi, m, k, zn, st, last in zip(
            p[starts].tolist(),
            p[ends - 1].tolist(),
            mid.tolist(),
            touches.tolist(),
            zone_notional.tolist(),
            np.asarray(strength, dtype=np.float64).tolist(),
            np.maximum.reduceat(points.bar, starts).tolist(),
            strict=True,
        )
    )


def _bucket(price: FloatArray, notional: FloatArray, tolerance: float) -> tuple[FloatArray, FloatArray]:
    """Collapse liquidations into price buckets (log-spaced, one tolerance wide) weighted by notional."""
    ok = (price > 0) & (notional > 0)
    price, notional = price[ok], notional[ok]
    if not len(price):
        return np.empty(0), np.empty(0)
    key = np.floor(np.log(price) / np.log1p(tolerance)).astype(np.int64)
    _, inv = np.unique(key, return_inverse=True)
    total = np.bincount(inv, weights=notional).astype(np.float64)
    centre = np.bincount(inv, weights=notional * price) / total
    return centre.astype(np.float64), total


def _nearest(price: float, zones: tuple[Zone, ...]) -> Zones:
    below = [z for z in zones if z.mid < price]
    above = [z for z in zones if z.mid > price]
    support = below[-1] if below else None
    resistance = above[0] if above else None
    liq_below = next((z for z in reversed(below[:-1]) if z.is_liquidity), None)
    liq_above = next((z for z in above[1:] if z.is_liquidity), None)
    return Zones(price, zones, support, resistance, liq_below, liq_above)
