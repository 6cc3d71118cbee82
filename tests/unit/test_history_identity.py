"""One identity per liquidation from the venue to the disk: the venue source's deduper and the history store
key an event on the same identity, so two liquidations the deduper keeps apart are two rows (even when every
number is equal, as HTX's numbered prints and Gate's same-second rows can be), and a repeat it drops is one
row, live and after a restart. Files of the first schema (keyed on the six fields) are migrated."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest

from cockpit.analytics.liquidations import LiquidationEvent, content_key
from cockpit.config import Config
from cockpit.engine.engine import Engine
from cockpit.sources.clock import ManualClock
from cockpit.sources.demo.events import liquidation_events as _events
from cockpit.sources.demo.liquidations import Prints
from cockpit.sources.venues.dedup import Deduper
from cockpit.storage.history import LiquidationHistory, keep_fresh
from tests.unit.test_normalize import (
    BINANCE_LONG,
    BTC,
    BYBIT_LONG,
    GATE_PARTIAL,
    HTX_SHORT,
    OKX_LONG,
    OKX_SHORT,
    binance,
    bybit,
    bybit_message,
    gate_fetch,
    htx_fetch,
    norm,
    okx,
    okx_message,
    streamed,
)

HOUR = 3_600_000


def binance_events() -> list[LiquidationEvent]:
    ex, other = binance(), {**BINANCE_LONG, "o": {**cast(dict[str, Any], BINANCE_LONG["o"]), "z": "0.02"}}
    msgs = [BINANCE_LONG, other, BINANCE_LONG]  # the third: a reconnect repeating the first
    return [e for m in msgs for e in norm("binanceusdm", streamed(ex, m), ex.market(BTC))]


def bybit_events() -> list[LiquidationEvent]:
    ex = bybit()
    liqs = streamed(ex, bybit_message(BYBIT_LONG, {**BYBIT_LONG, "v": "0.6"}, BYBIT_LONG))
    return norm("bybit", liqs, ex.market(BTC))


def okx_events() -> list[LiquidationEvent]:
    ex = okx()
    liqs = streamed(ex, okx_message(OKX_LONG, OKX_SHORT)) + streamed(ex, okx_message(OKX_LONG))
    return norm("okx", liqs, ex.market(BTC))


def gate_events() -> list[LiquidationEvent]:
    # Two users' positions liquidated in the same second by equal orders at equal prices: equal numbers.
    liqs, market = gate_fetch([GATE_PARTIAL, {**GATE_PARTIAL, "size": -2000}, GATE_PARTIAL])
    return norm("gate", liqs, market)


def htx_events() -> list[LiquidationEvent]:
    # HTX numbers its liquidations: a twin with another id is another liquidation, the same id a re-poll.
    liqs, market = htx_fetch([HTX_SHORT, {**HTX_SHORT, "id": "150153038759"}, HTX_SHORT])
    return norm("htx", liqs, market)


VENUE_EVENTS: dict[str, Callable[[], list[LiquidationEvent]]] = {
    "binanceusdm": binance_events,
    "bybit": bybit_events,
    "okx": okx_events,
    "gate": gate_events,
    "htx": htx_events,
}


def stored_keys(path: Path) -> list[str]:
    with sqlite3.connect(path) as raw:
        return sorted(k for (k,) in raw.execute("SELECT key FROM liquidations"))


@pytest.mark.parametrize("venue", list(VENUE_EVENTS))
def test_deduper_and_store_agree_on_every_venues_identity(venue: str, tmp_path: Path) -> None:
    first, second, repeat = VENUE_EVENTS[venue]()
    kept = Deduper().fresh(venue, [first, second, repeat])
    assert kept == [first, second] and kept[1] is second  # two liquidations, one repeat
    h = LiquidationHistory(tmp_path / "h.db")
    assert [e.key for e in h.add([first, second])] == [first.key, second.key]
    assert h.add([repeat]) == []  # what the deduper drops, the store drops
    h.close()
    assert stored_keys(tmp_path / "h.db") == sorted(e.key for e in kept)


@pytest.mark.parametrize("venue", ["gate", "htx"])
def test_equal_numbers_distinct_liquidations_are_two_live_and_after_a_restart(
    venue: str, tmp_path: Path
) -> None:
    first, second, repeat = VENUE_EVENTS[venue]()
    assert first == second  # every number equal: only the venue identity tells them apart
    clock = ManualClock(first.ts_ms + 60_000)

    def engine() -> Engine:
        e = Engine(
            Config(), [], clock, symbol=BTC, kind="live", history=LiquidationHistory(tmp_path / "h.db")
        )
        e.restore_history()
        return e

    live = engine()
    for ev in (first, second, repeat):
        live.emit(ev)
    assert live.snapshot().liquidations.windows["1h"].count == 2
    assert live.history is not None
    live.history.close()
    again = engine()
    assert again.snapshot().liquidations.windows["1h"].count == 2
    assert {e.key for e in again.state.tape} == {first.key, second.key}


SCHEMA_1 = """
CREATE TABLE liquidations (
    venue TEXT NOT NULL, ts_ms INTEGER NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL,
    notional_usd REAL NOT NULL, price REAL NOT NULL,
    PRIMARY KEY (venue, ts_ms, symbol, side, notional_usd, price)
) WITHOUT ROWID;
CREATE INDEX liquidations_ts ON liquidations (ts_ms);
CREATE TABLE watermarks (venue TEXT PRIMARY KEY, ts_ms INTEGER NOT NULL);
"""


def schema_1_file(path: Path, events: list[LiquidationEvent]) -> None:
    with sqlite3.connect(path) as raw:
        raw.executescript(SCHEMA_1)
        raw.executemany(
            "INSERT INTO liquidations VALUES (?, ?, ?, ?, ?, ?)",
            [(e.venue, e.ts_ms, e.symbol, e.side, e.notional_usd, e.price) for e in events],
        )
        raw.execute("INSERT INTO watermarks VALUES ('HTX', ?)", (max(e.ts_ms for e in events),))
    raw.close()


def test_a_first_schema_file_is_migrated_and_its_rows_keep_their_content_identity(tmp_path: Path) -> None:
    old, _, _ = htx_events()
    plain = LiquidationEvent(old.ts_ms - 1000, "Bybit", BTC, "long", 5000.0, 75_000.0)
    db = tmp_path / "h.db"
    schema_1_file(db, [plain, old])
    h = LiquidationHistory(db)
    loaded = h.load(0, old.ts_ms)
    assert loaded == (plain, old) and [e.key for e in loaded] == [content_key(plain), content_key(old)]
    assert h.add([plain]) == []  # a plain event's identity is its content: the same row
    h.close()
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 2
        # The old index on time went with the old table: the new primary key starts with the time.
        assert "liquidations_ts" not in [r[1] for r in raw.execute("PRAGMA index_list(liquidations)")]
        pk = sorted((r[5], r[1]) for r in raw.execute("PRAGMA table_info(liquidations)") if r[5])
        assert [name for _, name in pk] == ["ts_ms", "key"]
    raw.close()


def test_after_the_migration_a_venue_repeating_a_stored_row_counts_it_once(tmp_path: Path) -> None:
    """The first poll after the upgrade re-reads the last hour: the rows stored before it (under their
    content) are the same liquidations; an HTX twin of one of them is still a new one."""
    first, twin, repeat = htx_events()
    db = tmp_path / "h.db"
    schema_1_file(db, [first])
    h = LiquidationHistory(db)
    assert h.add([repeat]) == []  # claims the migrated row...
    assert h.add([twin]) == [twin]  # ...so the twin, equal in every number, is a second row
    assert h.add([first, twin]) == []
    h.close()
    assert stored_keys(db) == sorted([first.key, twin.key])


def test_keep_fresh_passes_both_of_two_equal_liquidations_in_one_batch(tmp_path: Path) -> None:
    first, twin, repeat = htx_events()
    h = LiquidationHistory(tmp_path / "h.db")
    batch: list[Any] = [first, twin, repeat]
    out = keep_fresh(h, batch)
    assert [cast(LiquidationEvent, e).key for e in out] == [first.key, twin.key]
    assert keep_fresh(h, [repeat, twin]) == []


def test_equal_prints_of_the_simulated_market_stay_two_liquidations(tmp_path: Path) -> None:
    ts = np.array([1_770_000_000_000, 1_770_000_000_000, 1_770_000_000_001], np.int64)
    prints = Prints(
        ts, np.ones(3, np.bool_), np.zeros(3, np.int64), np.full(3, 12_345.67), np.full(3, 70_000.0)
    )
    events = _events(prints)
    assert events[0] == events[1] and len({e.key for e in events}) == 3
    h = LiquidationHistory(tmp_path / "h.db")
    assert len(h.add(events)) == 3 and len(Deduper().fresh(events)) == 3
    clock = ManualClock(int(ts[-1]) + 1)
    e = Engine(Config(), [], clock, symbol=BTC, kind="live", history=h)
    for ev in events:
        e.emit(ev)
    assert e.snapshot().liquidations.windows["1h"].count == 0  # all three were stored already
    h.close()  # the store holds its file exclusively; a restart opens it afresh
    again = Engine(
        Config(), [], clock, symbol=BTC, kind="live", history=LiquidationHistory(tmp_path / "h.db")
    )
    again.restore_history()
    assert again.snapshot().liquidations.windows["1h"].count == 3
