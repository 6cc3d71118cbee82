"""Colour themes: data only. Every colour the cockpit draws comes from here.

Besides Textual's base colours each theme defines the cockpit's own variables, used in CSS as ``$bull`` and
read by the chart through ``app.theme_variables``.
"""

from __future__ import annotations

from textual.theme import Theme

# The cockpit's own variables; every theme must define each of them.
COCKPIT_VARIABLES: tuple[str, ...] = (
    "bull",
    "bear",
    "fib-level",
    "fvg",
    "support",
    "resistance",
    "liquidity",
    "alarm",
    "simulated",
    "stale",
    "muted",
    "rsi",
    "cursor",
)

COCKPIT_DARK = Theme(
    name="cockpit-dark",
    primary="#F7931A",
    secondary="#4A9CFF",
    accent="#B983FF",
    warning="#FFB454",
    error="#EF5350",
    success="#26A69A",
    foreground="#D1D4DC",
    background="#0B0E14",
    surface="#131722",
    panel="#1E222D",
    dark=True,
    variables={
        "bull": "#26A69A",
        "bear": "#EF5350",
        "fib-level": "#C8AA3C",
        "fvg": "#7E57C2",
        "support": "#4CAF50",
        "resistance": "#FF7043",
        "liquidity": "#29B6F6",
        "alarm": "#FFEB3B",
        "simulated": "#FF00AA",
        "stale": "#FFB454",
        "muted": "#787B86",
        "rsi": "#B983FF",
        "cursor": "#E0E3EB",
        "footer-key-foreground": "#F7931A",
    },
)

COCKPIT_LIGHT = Theme(
    name="cockpit-light",
    primary="#C76A00",
    secondary="#1E63C6",
    accent="#7B3FC4",
    warning="#B26A00",
    error="#C62828",
    success="#00796B",
    foreground="#1C1F26",
    background="#FAFAFA",
    surface="#F0F2F5",
    panel="#E3E6EB",
    dark=False,
    variables={
        "bull": "#00796B",
        "bear": "#C62828",
        "fib-level": "#8D6E00",
        "fvg": "#5E35B1",
        "support": "#2E7D32",
        "resistance": "#D84315",
        "liquidity": "#0277BD",
        "alarm": "#B28704",
        "simulated": "#C2185B",
        "stale": "#B26A00",
        "muted": "#6B6F78",
        "rsi": "#7B3FC4",
        "cursor": "#111318",
        "footer-key-foreground": "#C76A00",
    },
)

THEMES: dict[str, Theme] = {t.name: t for t in (COCKPIT_DARK, COCKPIT_LIGHT)}
DEFAULT_THEME = COCKPIT_DARK.name
