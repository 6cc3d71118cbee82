"""The analytics core: plain numpy, no Textual. Every level the cockpit shows is computed here."""

from cockpit.analytics.candles import Candles
from cockpit.analytics.fibonacci import FIB_RATIOS, FibLadder, fib_ladder
from cockpit.analytics.fvg import FairValueGap, FairValueGaps, find_fvgs
from cockpit.analytics.pipeline import Analysis, AnalyticsConfig, analyze, to_json
from cockpit.analytics.rsi import RsiState, rsi, rsi_state, rsi_update
from cockpit.analytics.scenarios import Scenario, Scenarios, build_scenarios
from cockpit.analytics.swings import Swing, Swings, alternating, find_swings
from cockpit.analytics.zones import Zone, Zones, find_zones

__all__ = [
    "FIB_RATIOS",
    "Analysis",
    "AnalyticsConfig",
    "Candles",
    "FairValueGap",
    "FairValueGaps",
    "FibLadder",
    "RsiState",
    "Scenario",
    "Scenarios",
    "Swing",
    "Swings",
    "Zone",
    "Zones",
    "alternating",
    "analyze",
    "build_scenarios",
    "fib_ladder",
    "find_fvgs",
    "find_swings",
    "find_zones",
    "rsi",
    "rsi_state",
    "rsi_update",
    "to_json",
]
