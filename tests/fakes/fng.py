"""Fake alternative.me Crypto Fear & Greed Index: ``GET /fng/?limit=N&format=json``.

Serves the recorded 3-day sample (newest first, string values and timestamps, ``time_until_update`` only on
the newest row); ``set_history`` replaces the rows. ``limit=0`` returns every row. Fault endpoint: ``fng``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.fakes import fixtures
from tests.fakes.base import FakeVenue


class FakeFng(FakeVenue):
    name = "fng"

    def __init__(self) -> None:
        super().__init__()
        sample = fixtures.fng_sample()
        self.index_name: str = sample["name"]
        self.rows: list[dict[str, Any]] = sample["data"]

    def routes(self) -> None:
        self.add_rest("GET", "/fng/", "fng", self._fng)
        self.add_rest("GET", "/fng", "fng", self._fng)

    def set_history(self, rows: list[dict[str, Any]]) -> None:
        """Replace the served rows (newest first, in the API's string form)."""
        self.rows = [dict(r) for r in rows]

    async def _fng(self, request: web.Request) -> Any:
        try:
            limit = int(request.query.get("limit", "1"))
        except ValueError:
            return {"name": self.index_name, "data": [], "metadata": {"error": "Invalid limit"}}
        rows = self.rows if limit == 0 else self.rows[:limit]
        return {"name": self.index_name, "data": [dict(r) for r in rows], "metadata": {"error": None}}
