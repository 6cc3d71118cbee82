"""The Crypto Fear & Greed Index's bands: the label alternative.me gives each range of the 0-100 value."""

from __future__ import annotations

FEAR_GREED_BANDS: tuple[tuple[int, int, str], ...] = (
    (0, 25, "Extreme Fear"),
    (26, 46, "Fear"),
    (47, 54, "Neutral"),
    (55, 75, "Greed"),
    (76, 100, "Extreme Greed"),
)


def fear_greed_band(value: int) -> str:
    """Fallback label for a Fear & Greed value (the bands alternative.me actually emits)."""
    for lo, hi, label in FEAR_GREED_BANDS:
        if lo <= value <= hi:
            return label
    return "Extreme Greed" if value > 100 else "Extreme Fear"
