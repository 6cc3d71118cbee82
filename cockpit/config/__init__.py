"""The configuration: ``settings`` (what can be set, with defaults and ranges) and ``loading`` (reading
config.toml into them). Everything is imported from here: ``from cockpit.config import Config``."""

from cockpit.config.loading import (
    load_config,
    resolve_config_path,
    user_config_path,
)
from cockpit.config.settings import (
    DEFAULT_SWING_LENGTH,
    SECTIONS,
    TAPE_MIN_USD,
    TAPE_MINIMUMS,
    TIMEFRAME_MS,
    TIMEFRAMES,
    AlarmSettings,
    AnalyticsSettings,
    BusSettings,
    Config,
    ConfigError,
    DemoSettings,
    EngineSettings,
    HistorySettings,
    LiquidationSettings,
    LiveSettings,
    SentimentSettings,
    UiSettings,
    VenueSettings,
)

__all__ = [
    "DEFAULT_SWING_LENGTH",
    "SECTIONS",
    "TAPE_MINIMUMS",
    "TAPE_MIN_USD",
    "TIMEFRAMES",
    "TIMEFRAME_MS",
    "AlarmSettings",
    "AnalyticsSettings",
    "BusSettings",
    "Config",
    "ConfigError",
    "DemoSettings",
    "EngineSettings",
    "HistorySettings",
    "LiquidationSettings",
    "LiveSettings",
    "SentimentSettings",
    "UiSettings",
    "VenueSettings",
    "load_config",
    "resolve_config_path",
    "user_config_path",
]
