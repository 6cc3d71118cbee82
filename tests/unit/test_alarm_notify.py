"""Notification helpers: exact escape bytes, tmux passthrough, sanitising, command and webhook failures."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web

from cockpit.alarms.model import AlarmFired
from cockpit.alarms.notify import (
    Delivery,
    bell,
    deliver,
    in_tmux,
    osc9,
    osc777,
    post_webhook,
    run_command,
    sanitize,
    terminal_alert,
    tmux_wrap,
)
from cockpit.config import AlarmSettings

FIRED = AlarmFired(
    7,
    1_770_040_800_000,
    "price",
    "price above 80,000",
    "reclaim",
    80_012.5,
    79_990.0,
    80_000.0,
    80_012.5,
    79_990.0,
)


def test_exact_escape_bytes() -> None:
    assert bell() == "\a"
    assert osc9("BTC above 80,000", tmux=False) == "\x1b]9;BTC above 80,000\x07"
    assert osc777("cockpit", "BTC above 80,000", tmux=False) == "\x1b]777;notify;cockpit;BTC above 80,000\x07"
    assert osc9("hi", tmux=True) == "\x1bPtmux;\x1b\x1b]9;hi\x07\x1b\\"
    assert osc777("t", "b", tmux=True) == "\x1bPtmux;\x1b\x1b]777;notify;t;b\x07\x1b\\"
    assert tmux_wrap("\x1b]9;a\x1bb\x07") == "\x1bPtmux;\x1b\x1b]9;a\x1b\x1bb\x07\x1b\\"


def test_tmux_is_detected_from_the_environment(monkeypatch: Any) -> None:
    assert (
        in_tmux({"TMUX": "/tmp/tmux-1000/default,1234,0"}) and not in_tmux({}) and not in_tmux({"TMUX": ""})
    )
    monkeypatch.setenv("TMUX", "/tmp/tmux-1000/default,1,0")
    assert osc9("x") == "\x1bPtmux;\x1b\x1b]9;x\x07\x1b\\"
    monkeypatch.delenv("TMUX")
    assert osc9("x") == "\x1b]9;x\x07"


def test_sanitising_strips_controls_and_777_separators() -> None:
    evil = "a\x1b]0;pwned\x07b\x9c\nc\x00d\x7f"
    assert sanitize(evil) == "a ]0;pwned b c d"
    assert osc9(evil, tmux=False) == "\x1b]9;a ]0;pwned b c d\x07"
    assert osc777("ti;tle", "bo;dy\x1b", tmux=False) == "\x1b]777;notify;ti tle;bo dy\x07"
    long = sanitize("x" * 1000)
    assert len(long) == 240 and long.endswith("…")
    for text in (osc9(evil, tmux=False), osc777(evil, evil, tmux=False)):
        body = text[2:-1]  # between ESC ] and the final BEL
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in body)


def test_terminal_alert_follows_the_config() -> None:
    title, body = FIRED.title, FIRED.body
    assert body == "price above 80,000: 80,012.5 — reclaim"
    both = terminal_alert(title, body, AlarmSettings(), tmux=False)
    assert both == f"\a\x1b]9;{title}: {body}\x07\x1b]777;notify;{title};{body}\x07"
    assert terminal_alert(title, body, AlarmSettings(osc=False), tmux=False) == "\a"
    assert terminal_alert(title, body, AlarmSettings(bell=False, osc=False)) == ""


def test_notify_command_success_arguments_and_environment(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    script = (
        "import json, os, sys; json.dump({'argv': sys.argv[1:], "
        "'env': {k: v for k, v in os.environ.items() if k.startswith('COCKPIT_ALARM_')}}, "
        f"open({str(out)!r}, 'w'))"
    )
    argv = (sys.executable, "-c", script, "{title}", "id={id}", "{body}; rm -rf /")
    assert asyncio.run(run_command(argv, FIRED)) == Delivery("command", True)
    got = json.loads(out.read_text())
    assert got["argv"] == ["cockpit alarm #7", "id=7", f"{FIRED.body}; rm -rf /"]  # an argument, no shell
    env = got["env"]
    assert env["COCKPIT_ALARM_ID"] == "7" and env["COCKPIT_ALARM_BODY"] == FIRED.body
    assert json.loads(env["COCKPIT_ALARM_JSON"])["prev_value"] == 79_990.0


def test_notify_command_failures_are_reported_not_raised() -> None:
    failed = asyncio.run(run_command(["false"], FIRED))
    assert failed == Delivery("command", False, "false: exit status 1")
    loud = [sys.executable, "-c", "import sys; print('first', file=sys.stderr); sys.exit('no display')"]
    assert asyncio.run(run_command(loud, FIRED)).detail.endswith("exit status 1: no display")
    missing = asyncio.run(run_command(["/nonexistent/notify-me"], FIRED))
    assert not missing.ok and missing.detail.startswith("/nonexistent/notify-me: cannot run: ")
    slow = asyncio.run(
        run_command([sys.executable, "-c", "import time; time.sleep(30)"], FIRED, timeout_s=0.3)
    )
    assert slow == Delivery("command", False, f"{sys.executable}: no answer after 0.3 s (killed)")
    assert not asyncio.run(run_command([], FIRED)).ok


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@asynccontextmanager
async def local_server(handler: Handler) -> AsyncIterator[str]:
    """An aiohttp server on 127.0.0.1 (and nowhere else) on a free port; yields its URL."""
    app = web.Application()
    app.router.add_post("/hook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/hook"
    finally:
        await runner.cleanup()


def test_webhook_posts_json_and_reports_failures() -> None:
    received: list[Any] = []

    async def ok(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(status=204)

    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=500, text="boom")

    release = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        await release.wait()  # answers only after the client gave up
        return web.Response()

    async def scenario() -> list[Delivery]:
        results = []
        async with local_server(ok) as url:
            results.append(await post_webhook(url, FIRED))
            settings = AlarmSettings(webhook=url, notify_command=("true",))
            results += await deliver(FIRED, settings)
        async with local_server(broken) as url:
            results.append(await post_webhook(url, FIRED))
        async with local_server(slow) as url:
            results.append(await post_webhook(url, FIRED, timeout_s=0.2))
            release.set()
        results.append(await post_webhook(url, FIRED, timeout_s=1))  # the server is gone: refused
        return results

    results = asyncio.run(asyncio.wait_for(scenario(), 30))
    assert results[:3] == [Delivery("webhook", True), Delivery("command", True), Delivery("webhook", True)]
    assert received[0]["alarm_id"] == 7 and received[0]["value"] == 80_012.5 and received[0]["title"]
    assert received[0] == received[1]
    assert not results[3].ok and results[3].detail.endswith(": HTTP 500 Internal Server Error")
    assert not results[4].ok and results[4].detail.endswith("/hook: no answer after 0.2 s")
    assert not results[5].ok and "ClientConnectorError" in results[5].detail
    assert asyncio.run(deliver(FIRED, AlarmSettings())) == []
