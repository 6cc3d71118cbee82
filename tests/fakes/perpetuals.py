"""The linear perpetuals every fake venue lists besides its BTC (and ETH) market: coin, a price, and each
venue's contract size for that coin (tests/data/markets/perpetuals.json, origin in tests/data/README.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "markets" / "perpetuals.json"


@dataclass(frozen=True)
class Perpetual:
    """One coin's USDT-margined perpetual as the fakes list it."""

    coin: str
    price: float
    okx_ct_val: str  # OKX ctVal: coins per contract
    gate_multiplier: str  # Gate quanto_multiplier
    htx_size: str  # HTX contract_size

    def turnover_usd(self) -> float:
        """A 24 h turnover that ranks the coins in the file's order (the first the most active)."""
        return 1e9 / (1 + list(perpetuals()).index(self.coin))


@cache
def perpetuals() -> dict[str, Perpetual]:
    """coin -> its perpetual, in the file's order."""
    coins = json.loads(DATA.read_text())["coins"]
    return {c: Perpetual(c, float(v[0]), v[1], v[2], v[3]) for c, v in coins.items()}


def others(*listed: str) -> list[Perpetual]:
    """The perpetuals but those a fake already lists with its own recorded details."""
    return [p for c, p in perpetuals().items() if c not in listed]
