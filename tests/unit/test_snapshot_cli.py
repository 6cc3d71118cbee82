"""`cockpit snapshot --demo --json`: the opening state meets SCENARIO.md through the whole engine."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("COCKPIT_CONFIG", "XDG_CONFIG_HOME")}
    base["XDG_CONFIG_HOME"] = str(REPO / "tests" / "no-such-config-home")
    return subprocess.run(
        [sys.executable, "-m", "cockpit", *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        timeout=120,
    )


@cache
def opening() -> dict[str, Any]:
    out = run_cli("snapshot", "--demo", "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_opening_meets_scenario_tolerances() -> None:
    s = opening()
    assert s["source"] == "demo" and s["simulated"] is True and s["symbol"] == "BTC/USDT:USDT"
    assert s["price"]["last"] == pytest.approx(75_203, rel=0.01)
    assert s["price"]["change_24h_pct"] == pytest.approx(-4.42, abs=1.0)
    liq = s["liquidations"]
    # Market-wide, as the report's figures are (every simulated coin): within 5% on the default seed.
    assert liq["1h"]["total_usd"] == pytest.approx(144e6, rel=0.05)
    assert liq["24h"]["total_usd"] == pytest.approx(659e6, rel=0.05)
    assert liq["1h"]["long_share"] >= 0.8 and liq["24h"]["long_share"] >= 0.8
    assert liq["1h"]["total_usd"] / liq["24h"]["total_usd"] == pytest.approx(0.22, abs=0.03)
    assert liq["cascade"] is True
    # The simulator backfills a whole day of liquidations: every window is whole, the verdict judged.
    assert liq["cascade_judged"] is True
    assert not any(liq[w]["partial"] for w in ("1h", "4h", "24h"))
    assert liq["coverage"]["simulator"]["24h"] == {"covered_s": 86_400.0, "partial": False, "gaps": []}
    # The totals add up the whole simulated market: BTC, ETH, ... (15-20 perpetuals, USDT-margined).
    assert "BTC/USDT:USDT" in liq["scope"] and "ETH/USDT:USDT" in liq["scope"]
    assert 15 <= len(liq["scope"]) <= 20 and all(sym.endswith("/USDT:USDT") for sym in liq["scope"])
    symbols = {e["symbol"] for e in liq["largest"]}
    assert symbols <= set(liq["scope"])
    assert s["sentiment"]["value"] == 14 and s["sentiment"]["label"] == "Extreme Fear"
    assert len(s["sentiment"]["history"]) >= 30
    fib = s["levels"]["fib"]
    assert fib["direction"] == "up"
    assert fib["levels"]["0.618"] == pytest.approx(74_800, rel=0.005)
    assert s["levels"]["key_support"]["source"] == "fib 0.618"
    assert s["levels"]["resistance"]["mid"] == pytest.approx(77_000, rel=0.01)
    plans = {p["name"]: p for p in s["scenarios"]}
    assert plans["bounce"]["target"] == pytest.approx(77_000, rel=0.01)
    assert plans["breakdown"]["target"] == pytest.approx(72_500, rel=0.01)
    assert plans["breakdown"]["target_text"] == "next liquidity zone"
    assert any(z["mid"] == pytest.approx(72_500, rel=0.01) for z in s["levels"]["liquidity_zones"])
    assert any(g["kind"] == "bearish" and g["bottom"] > s["price"]["last"] for g in s["levels"]["fvgs"])


def test_snapshot_json_has_the_documented_keys() -> None:
    s = opening()
    for key in (
        "source",
        "simulated",
        "symbol",
        "as_of_ms",
        "price",
        "liquidations",
        "sentiment",
        "levels",
        "rsi",
        "scenarios",
        "sources",
    ):
        assert key in s
    for window in ("1h", "4h", "24h"):
        assert {"long_usd", "short_usd", "total_usd"} <= s["liquidations"][window].keys()
    assert {"by_venue", "largest"} <= s["liquidations"].keys()
    assert len(s["liquidations"]["by_venue"]) >= 3 and all(
        v.startswith("SimEx") for v in s["liquidations"]["by_venue"]
    )
    # The market by coin (base currency), and the followed instrument's coin alone.
    by_coin, liq = s["liquidations"]["by_coin"], s["liquidations"]
    assert "BTC" in by_coin and all(set(w) == {"1h", "4h", "24h"} for w in by_coin.values())
    for window in ("1h", "24h"):
        coins = sum(c[window]["long_usd"] + c[window]["short_usd"] for c in by_coin.values())
        assert abs(coins - liq[window]["total_usd"]) < 1e-6 * liq[window]["total_usd"]
    followed = liq["followed"]
    assert followed["symbol"] == s["symbol"] and followed["coin"] == s["symbol"].split("/")[0]
    own = by_coin[followed["coin"]]["1h"]["long_usd"]
    assert abs(followed["1h"]["long_usd"] - own) < 1e-9 * own
    assert {"fib", "support", "resistance", "liquidity_zones", "fvgs"} <= s["levels"].keys()
    assert s["rsi"]["timeframe"] == "4h" and 0 < s["rsi"]["value"] < 100
    assert {p["name"] for p in s["scenarios"]} == {"bounce", "breakdown"}
    for p in s["scenarios"]:
        assert {"trigger", "target", "invalidation", "status"} <= p.keys()
    assert s["sources"] == [
        {
            "name": "simulator",
            "state": "ok",
            "last_ok_ms": s["as_of_ms"],
            "error": None,
            "last_data_ms": s["as_of_ms"],
            "per_min": max(1, s["sources"][0]["per_min"]),  # it delivered at the opening
            "simulated": True,
            "sampled": False,
            "coverage": "",
            "retry_at_ms": None,
            # The simulator says nothing of its feeds: it is judged as one.
            "feeds": [
                {
                    "name": "data",
                    "state": "ok",
                    "last_ok_ms": s["as_of_ms"],
                    "last_data_ms": s["as_of_ms"],
                    "error": None,
                    "retry_at_ms": None,
                    "note": None,
                }
            ],
        }
    ]


def test_after_moves_the_market_and_is_deterministic() -> None:
    a = run_cli("snapshot", "--demo", "--after", "600", "--json")
    b = run_cli("snapshot", "--demo", "--after", "600", "--json")
    assert a.returncode == 0 and a.stdout == b.stdout
    later = json.loads(a.stdout)
    assert later["as_of_ms"] == opening()["as_of_ms"] + 600_000
    assert later["price"]["last"] != opening()["price"]["last"]
    # Every simulated coin ticks each second; the price followed stays BTC's (no other coin's tick leaks in).
    assert later["symbol"] == "BTC/USDT:USDT" and later["price"]["last"] == pytest.approx(75_203, rel=0.03)
    assert abs(later["price"]["change_24h_pct"]) < 15
    other = json.loads(run_cli("snapshot", "--demo", "--seed", "7", "--after", "600", "--json").stdout)
    assert other["price"]["last"] != later["price"]["last"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            '[engine]\nsnapshot_hz = "fast"\n',
            ':2: [engine] snapshot_hz must be a number in (0, 60], got "fast"',
        ),
        ("[ui]\ncolour = 1\n", ":2: [ui] colour is not a known key"),
        ("[demo]\nspeed = -1\n", ":2: [demo] speed must be a number in (0, 10000], got -1"),
        ('[keys]\nexplode = "x"\n', ":2: [keys] explode is not a binding id"),
    ],
)
@pytest.mark.parametrize("how", ["flag", "env"])
def test_bad_config_is_one_line_and_exit_2(tmp_path: Path, body: str, expected: str, how: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(body)
    if how == "flag":
        out = run_cli("--demo", "--config", str(path))
    else:
        out = run_cli("--demo", env={"COCKPIT_CONFIG": str(path)})
    assert out.returncode == 2 and out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr
    assert lines[0].startswith(f"cockpit: {path}{expected}")


def test_shipped_config_documents_every_key_with_its_default() -> None:
    from cockpit.config import SECTIONS, Config, load_config

    shipped = load_config(REPO / "config.toml")
    assert shipped == Config()
    text = (REPO / "config.toml").read_text()
    from cockpit.config import VenueSettings

    for name in VenueSettings.__dataclass_fields__:
        assert f"\n{name} = " in text, f"[venues.*] {name} is not documented"
    for section, cls in SECTIONS.items():
        assert f"[{section}]" in text
        for name in (f.name for f in dataclasses.fields(cls)):
            assert f"\n{name} = " in text or name == "swing_length", f"[{section}] {name} is not documented"


def test_live_mode_without_network_shows_errors_and_never_simulates(tmp_path: Path) -> None:
    # Every venue and the index point at a loopback port nobody listens on: the machine-without-internet case.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dead = f"http://127.0.0.1:{port}"
    venues = "".join(
        f'[venues.{v}]\nrest_url = "{dead}"\nws_url = "ws://127.0.0.1:{port}"\ntimeout_s = 0.5\n'
        for v in ("binanceusdm", "bybit", "okx", "gate", "htx")
    )
    path = tmp_path / "offline.toml"
    path.write_text(f'[sentiment]\nurl = "{dead}/fng/"\n{venues}')
    out = run_cli("snapshot", "--config", str(path), "--after", "3", "--json")
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout)
    assert s["source"] == "live" and s["simulated"] is False
    assert s["liquidations"]["24h"]["total_usd"] == 0 and s["price"]["last"] is None
    states = {x["name"]: x for x in s["sources"]}
    assert set(states) == {"binanceusdm", "bybit", "okx", "gate", "htx", "alternative.me"}
    for name, x in states.items():
        assert x["state"] == "error", name
        assert x["error"] and x["retry_at_ms"] is not None and x["retry_at_ms"] > s["as_of_ms"] - 1000
