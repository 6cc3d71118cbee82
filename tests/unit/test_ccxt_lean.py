"""The lean ccxt packages build the same exchanges as a whole ``import ccxt``, without the other venues.

Each side runs in a fresh interpreter: this test process has imported ccxt whole already (other tests),
and then ``install()`` rightly leaves it alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.conftest import REPO

_PROBE = """
import json, sys
if sys.argv[1] == "lean":
    from cockpit.sources.venues.ccxt_lean import install
    assert install() and not install()  # the second call sees the packages in place
from cockpit.sources.venues.urls import make_exchange
from cockpit.venues import STREAMING_VENUES as STREAMED_LIQUIDATIONS
from cockpit.venues import VENUE_IDS as VENUES
from cockpit.sources.venues.retry import classify
import ccxt
from ccxt.base.errors import NetworkError
built = {}
for venue in VENUES:
    for streaming in (False, True) if venue in STREAMED_LIQUIDATIONS else (False,):
        ex = make_exchange(venue, streaming=streaming)
        mro = [f"{c.__module__}.{c.__qualname__}" for c in type(ex).__mro__]
        state = {"has": ex.has, "urls": ex.urls, "api": ex.api, "options": ex.options, "mro": mro}
        built[f"{venue}/{streaming}"] = json.dumps(state, sort_keys=True, default=str)
print(json.dumps({
    "built": built,
    "modules": sorted(m for m in sys.modules if m.startswith("ccxt.")),
    "same_errors": ccxt.NetworkError is NetworkError,
    "classified": classify(ccxt.RequestTimeout("slow")).kind,
}))
"""


def _probe(mode: str) -> dict[str, Any]:
    res = subprocess.run(
        [sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert res.returncode == 0, res.stderr
    out: dict[str, Any] = json.loads(res.stdout.splitlines()[-1])
    return out


def test_lean_packages_build_the_same_exchanges_and_load_no_others() -> None:
    lean, full = _probe("lean"), _probe("full")
    assert lean["built"].keys() == full["built"].keys() and len(lean["built"]) == 8
    for key, state in full["built"].items():
        assert lean["built"][key] == state, key
    assert lean["same_errors"] and lean["classified"] == full["classified"] == "transient"
    exchanges = {m.split(".")[-1] for m in lean["modules"] if m.count(".") == 2 and ".base" not in m}
    assert exchanges <= {"binance", "binanceusdm", "bybit", "okx", "gate", "htx"}, exchanges
    assert "ccxt.async_support.kraken" in full["modules"] and len(lean["modules"]) < len(full["modules"]) / 4
