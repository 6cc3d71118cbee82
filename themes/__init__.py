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
    "replay",
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
        "replay": "#29B6F6",
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
        "replay": "#29B6F6",
        "stale": "#B26A00",
        "muted": "#6B6F78",
        "rsi": "#7B3FC4",
        "cursor": "#111318",
        "footer-key-foreground": "#C76A00",
    },
)

# Maximum contrast: pure colours on black, for projectors, glare and tired eyes.
COCKPIT_HIGH_CONTRAST = Theme(
    name="cockpit-high-contrast",
    primary="#FFD700",
    secondary="#00FFFF",
    accent="#FF00FF",
    warning="#FFFF00",
    error="#FF3030",
    success="#00FF00",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#1A1A1A",
    dark=True,
    variables={
        "bull": "#00FF00",
        "bear": "#FF3030",
        "fib-level": "#FFD700",
        "fvg": "#FF00FF",
        "support": "#00FF7F",
        "resistance": "#FF8C00",
        "liquidity": "#00FFFF",
        "alarm": "#FFFF00",
        "simulated": "#FF00FF",
        "replay": "#00FFFF",
        "stale": "#FFFF00",
        "muted": "#C0C0C0",
        "rsi": "#00BFFF",
        "cursor": "#FFFFFF",
        "footer-key-foreground": "#FFD700",
    },
)

# Colour-blind safe (Okabe-Ito palette): bull blue, bear orange, never red against green.
COCKPIT_COLORBLIND = Theme(
    name="cockpit-colorblind",
    primary="#56B4E9",
    secondary="#009E73",
    accent="#CC79A7",
    warning="#F0E442",
    error="#D55E00",
    success="#0072B2",
    foreground="#E8E8E8",
    background="#101418",
    surface="#161B22",
    panel="#212830",
    dark=True,
    variables={
        "bull": "#0072B2",
        "bear": "#E69F00",
        "fib-level": "#F0E442",
        "fvg": "#CC79A7",
        "support": "#56B4E9",
        "resistance": "#D55E00",
        "liquidity": "#009E73",
        "alarm": "#F0E442",
        "simulated": "#CC79A7",
        "replay": "#56B4E9",
        "stale": "#E69F00",
        "muted": "#8C959F",
        "rsi": "#CC79A7",
        "cursor": "#FFFFFF",
        "footer-key-foreground": "#56B4E9",
    },
)

BUILTIN: tuple[Theme, ...] = (COCKPIT_DARK, COCKPIT_LIGHT, COCKPIT_HIGH_CONTRAST, COCKPIT_COLORBLIND)
THEMES: dict[str, Theme] = {t.name: t for t in BUILTIN}
DEFAULT_THEME = COCKPIT_DARK.name
