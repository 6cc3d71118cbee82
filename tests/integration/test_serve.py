"""`cockpit --demo serve` answers a browser on 127.0.0.1 (textual-serve, the optional extra)."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from cockpit.cli import SERVE_EXTRA, main
from tests.conftest import REPO


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_on_loopback_with_the_cockpit_page() -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cockpit", "--demo", "serve", "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        page = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not page:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    page = r.read().decode()
            except OSError:
                time.sleep(0.3)
        assert "cockpit" in page and "<html" in page.lower(), page[:300]
        with socket.socket() as s:  # bound to loopback only
            assert s.connect_ex(("127.0.0.1", port)) == 0
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_without_the_extra_serve_fails_before_saying_it_serves(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 16 item 9: textual-serve is not installed (the run command's venv lacks it until asked).
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "textual_serve" else real(name, *a)
    )
    served: list[str] = []
    monkeypatch.setattr("cockpit.ui.app.serve", lambda command, port: served.append(command) or True)
    assert main(["--demo", "serve", "--port", str(_free_port())]) == 2
    out, err = capsys.readouterr()
    assert "serving on" not in out + err and served == []
    assert err.strip().endswith(SERVE_EXTRA)
    assert "pip install '.[serve]'" in err and "cockpit[serve]" not in err
