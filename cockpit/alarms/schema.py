"""The alarm store's tables and columns (SQLite), and its schema version (``PRAGMA user_version``)."""

from __future__ import annotations

SCHEMA_VERSION = 1

DEF_COLS = (
    "kind",
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

SCHEMA = (
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
