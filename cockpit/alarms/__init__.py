"""Level alarms: the model, the pure evaluator, SQLite persistence, notifications and the CLI.

What the app uses::

    engine.alarms.add(price_alarm(80_000, "above", note="reclaim"))   # AlarmService, awaitable
    snapshot.alarms          # AlarmStatus per alarm: its resolved level (chart lines), armed, last value
    snapshot.fired_alarms    # AlarmFired since the previous snapshot
    terminal_alert(f.title, f.body, config.alarms); await deliver(f, config.alarms)
"""

from cockpit.alarms.evaluate import AlarmBook
from cockpit.alarms.model import (
    Alarm,
    AlarmError,
    AlarmFired,
    AlarmStatus,
    fng_alarm,
    level_alarm,
    liq_alarm,
    parse_ref,
    price_alarm,
    rsi_alarm,
    zone_alarm,
)
from cockpit.alarms.notify import Delivery, deliver, osc9, osc777, terminal_alert
from cockpit.alarms.service import AlarmService
from cockpit.alarms.store import AlarmStore, StoreError, UnknownAlarm, store_path

__all__ = [
    "Alarm",
    "AlarmBook",
    "AlarmError",
    "AlarmFired",
    "AlarmService",
    "AlarmStatus",
    "AlarmStore",
    "Delivery",
    "StoreError",
    "UnknownAlarm",
    "deliver",
    "fng_alarm",
    "level_alarm",
    "liq_alarm",
    "osc9",
    "osc777",
    "parse_ref",
    "price_alarm",
    "rsi_alarm",
    "store_path",
    "terminal_alert",
    "zone_alarm",
]
