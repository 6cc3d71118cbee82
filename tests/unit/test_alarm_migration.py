"""A store written by the schema 1 cockpit opens in this one: every alarm and every firing kept, each alarm
given the instrument it watched then (BTC/USDT:USDT; liquidation and Fear & Greed alarms the market)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from cockpit.alarms.model import price_alarm
from cockpit.alarms.schema import SCHEMA_VERSION
from cockpit.alarms.store import AlarmStore

# Verbatim from cockpit/alarms/schema.py at schema 1 (commit ef688ab): the file an older cockpit made.
# Frozen here, not imported, so that later changes to the schema module cannot change what "old" means.
V1_TABLES = (
    """CREATE TABLE alarms (
        id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: history and scripts refer to ids
        kind TEXT NOT NULL,
        direction TEXT, level REAL, low REAL, high REAL, on_event TEXT, ref TEXT,
        window_s INTEGER, side TEXT, timeframe TEXT,
        once INTEGER, cooldown_s REAL, hysteresis_pct REAL,
        note TEXT NOT NULL DEFAULT '',
        muted INTEGER NOT NULL DEFAULT 0,
        created_ms INTEGER NOT NULL,
        rev INTEGER NOT NULL DEFAULT 1,
        done INTEGER NOT NULL DEFAULT 0,
        fired_count INTEGER NOT NULL DEFAULT 0,
        last_fired_ms INTEGER
    )""",
    """CREATE TABLE history (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        alarm_id INTEGER NOT NULL,
        ts_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        description TEXT NOT NULL,
        note TEXT NOT NULL,
        value REAL NOT NULL,
        prev_value REAL, level REAL, price REAL, prev_price REAL,
        final INTEGER NOT NULL DEFAULT 0,
        UNIQUE (alarm_id, ts_ms)  -- two cockpits seeing the same tick record it once
    )""",
)
V1_COLS = "kind, direction, level, low, high, on_event, ref, window_s, side, timeframe, once, note, muted"
V1_ROWS = [  # (id, *V1_COLS, created_ms, rev, done, fired_count, last_fired_ms)
    (1, "price", "above", 80_000.0, None, None, None, None, None, None, None, None, "reclaim", 0),
    (2, "zone", None, None, 74_000.0, 75_000.0, "enter", None, None, None, None, 1, "", 1),
    (3, "level", "below", None, None, None, None, "fib 0.618", None, None, None, None, "", 0),
    (4, "liq", "above", 1e8, None, None, None, None, 3600, "long", None, None, "", 0),
    (5, "fng", "below", 20.0, None, None, None, None, None, None, None, None, "", 0),
    (6, "rsi", "below", 30.0, None, None, None, None, None, None, "1h", None, "", 0),
]
STATUS = (1_700_000_000_000, 3, 0, 2, 1_700_000_500_000)


def v1_store(path: Path) -> None:
    """The file as the schema 1 cockpit left it: its tables, alarms, two firings, user_version 1."""
    db = sqlite3.connect(path)
    for statement in V1_TABLES:
        db.execute(statement)
    cols = f"id, {V1_COLS}, created_ms, rev, done, fired_count, last_fired_ms"
    for row in V1_ROWS:
        db.execute(f"INSERT INTO alarms ({cols}) VALUES ({', '.join('?' * 19)})", (*row, *STATUS))
    for ts in (1_700_000_400_000, 1_700_000_500_000):
        db.execute(
            "INSERT INTO history (alarm_id, ts_ms, kind, description, note, value, prev_value, level,"
            " price, prev_price, final) VALUES (1, ?, 'price', 'price above 80,000', 'reclaim',"
            " 80001, 79999, 80000, 80001, 79999, 0)",
            (ts,),
        )
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()


def test_a_v1_store_migrates_keeping_every_alarm_and_its_history(tmp_path: Path) -> None:
    path = tmp_path / "alarms.db"
    v1_store(path)
    with AlarmStore(path) as store:
        rows = store.read_alarms()
        assert rows.invalid == []
        got = {a.id: (a.kind, a.symbol) for a in rows.alarms}
        assert got == {
            1: ("price", "BTC/USDT:USDT"),
            2: ("zone", "BTC/USDT:USDT"),
            3: ("level", "BTC/USDT:USDT"),
            4: ("liq", "market"),  # they summed every coin the windows held: they still do
            5: ("fng", "market"),
            6: ("rsi", "BTC/USDT:USDT"),
        }
        first = rows.alarms[0]
        assert (first.level, first.note, first.rev, first.fired_count) == (80_000.0, "reclaim", 3, 2)
        assert (first.created_ms, first.last_fired_ms) == (1_700_000_000_000, 1_700_000_500_000)
        assert rows.alarms[1].once is True and rows.alarms[1].muted
        assert rows.alarms[3].describe() == "market liquidations 1h > $100M (long)"
        assert [f.ts_ms for f in store.history()] == [1_700_000_500_000, 1_700_000_400_000]
        # The migrated file takes alarms on any instrument, after the old ids.
        eth = store.add(price_alarm(3_000, "below", symbol="ETH/USDT:USDT"))
        assert (eth.id, store.get(eth.id).symbol) == (7, "ETH/USDT:USDT")
        assert store.integrity_check() == "ok"
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    raw.close()
    with AlarmStore(path) as again:  # opening it again changes nothing
        assert [a.symbol for a in again.list_alarms()][-1] == "ETH/USDT:USDT"
        assert len(again.list_alarms()) == 7 and len(again.history()) == 2


def test_a_new_store_has_the_same_columns_as_a_migrated_one(tmp_path: Path) -> None:
    """New files take the migration path too (schema 1, then each step), so the two cannot drift."""
    old, new = tmp_path / "old.db", tmp_path / "new.db"
    v1_store(old)
    AlarmStore(old).close()
    AlarmStore(new).close()

    def columns(path: Path) -> list[tuple[object, ...]]:
        db = sqlite3.connect(path)
        try:
            return [tuple(r) for t in ("alarms", "history") for r in db.execute(f"PRAGMA table_info({t})")]
        finally:
            db.close()

    assert columns(old) == columns(new)
    assert ("symbol", "TEXT") in [(c[1], c[2]) for c in columns(new)]
