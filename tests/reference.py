"""TA-Lib, the reference RSI the tests compare against, when installed: it has wheels for Python 3.11+ only
(on 3.10 its sdist needs the C library), so the comparisons skip there with the reason."""

from __future__ import annotations

from types import ModuleType

import pytest

talib: ModuleType | None
try:
    import talib
except ImportError:  # pragma: no cover - depends on the Python the suite runs on
    talib = None

requires_talib = pytest.mark.skipif(
    talib is None,
    reason="TA-Lib is not installed (no wheel for this Python; the dev extra installs it on 3.11+): "
    "the reference RSI comparison runs there",
)
