"""Test helpers: paths to the real data in tests/data, candle builders."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from cockpit.analytics import Candles

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"  # real candles and recorded venue payloads: see tests/data/README.md
BTC_1H = DATA / "btc" / "coinbase_btcusd_1h_2017-07_2018-08.csv"
BTC_1D = DATA / "btc" / "coinbase_btcusd_1d_2014-12_2019-10.csv"


def candles_from_hl(high: list[float], low: list[float], close: list[float] | None = None) -> Candles:
    """Bars with the given highs and lows (close at the middle unless given), one minute apart."""
    h = np.asarray(high, dtype=float)
    lo = np.asarray(low, dtype=float)
    c = (h + lo) / 2 if close is None else np.asarray(close, dtype=float)
    ts = np.arange(len(h), dtype=np.int64) * 60_000
    return Candles.from_arrays(ts, c, h, lo, c, np.ones(len(h)))


@pytest.fixture(scope="session")
def btc_1h() -> Candles:
    """The real Coinbase BTC-USD hourly candles (10,237 rows)."""
    from cockpit.storage.csv_ohlcv import load_ohlcv_csv

    return load_ohlcv_csv(BTC_1H)


# Every in-process test refuses host name lookups: only the 127.0.0.1 literal may be reached.
from tests.fakes.harness import loopback_only  # noqa: E402, F401


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own alarm store directory: never the developer's real one."""
    path = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("COCKPIT_DATA_DIR", str(path))
    return path


@pytest.fixture(autouse=True)
def _private_config_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's config folder (themes, a remembered theme) is a temporary one in every test."""
    path = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(path))
    monkeypatch.delenv("COCKPIT_CONFIG", raising=False)
    return path


_GIT_STATUS = pytest.StashKey[str | None]()


def _git_status() -> str | None:
    """``git status`` of the checkout (untracked files included), or None outside a git checkout."""
    try:
        done = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_GIT_STATUS] = _git_status()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A test run leaves the checkout as it found it (issue 16): a file it wrote or changed fails the run."""
    before = session.config.stash.get(_GIT_STATUS, None)
    after = _git_status()
    if before is None or after is None or after == before:
        return
    changed = sorted(set(after.splitlines()) - set(before.splitlines()))
    if not changed:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line("the test run changed the checkout (git status):", red=True)
        for line in changed:
            reporter.write_line(f"  {line}", red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
