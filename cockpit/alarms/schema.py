"""The alarm store's tables and columns (SQLite), its schema version (``PRAGMA user_version``) and the
steps that bring an older file up to it.

A new file is made by the first schema and then every migration, the same path an old file takes, so the
migrations run on every new store and a fresh file and a migrated one cannot drift apart.

Versions:
1. alarms and history.
2. ``alarms.symbol``: the instrument an alarm watches (``cockpit.alarms.model``). Alarms of a version 1
   file watched the one instrument the cockpit then followed by default, BTC/USDT:USDT, except the
   market-wide kinds: liquidation alarms summed every coin the windows held, and Fear & Greed is one index,
   so those become "market" and keep firing on what they fired on before.
"""

from __future__ import annotations

from cockpit.alarms.model import DEFAULT_SYMBOL, MARKET

SCHEMA_VERSION = 2

DEF_COLS = (
    "kind",
    "symbol",
    "direction",
    "level",
    "low",
    "high",
    "on_event",
    "ref",
    "window_s",
    "side",
    "timeframe",
    "once",
    "cooldown_s",
    "hysteresis_pct",
    "note",
    "muted",
)
STATUS_COLS = ("id", "created_ms", "rev", "done", "fired_count", "last_fired_ms")
HIST_COLS = (
    "alarm_id",
    "ts_ms",
    "kind",
    "description",
    "note",
    "value",
    "prev_value",
    "level",
    "price",
    "prev_price",
    "final",
)

SCHEMA_V1 = (
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

# Statements that take a file from version N - 1 to N, by N. SQLite's ADD COLUMN needs a constant default
# for a NOT NULL column; new rows always name their symbol, so the default only ever fills old rows.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    2: (
        f"ALTER TABLE alarms ADD COLUMN symbol TEXT NOT NULL DEFAULT '{DEFAULT_SYMBOL}'",
        f"UPDATE alarms SET symbol = '{MARKET}' WHERE kind IN ('liq', 'fng')",
    ),
}
assert sorted(MIGRATIONS) == list(range(2, SCHEMA_VERSION + 1)), "one migration per version"
