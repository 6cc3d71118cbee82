"""How a firing is announced: terminal bell and desktop-notification escapes, a command, a webhook.

The one module that owns these escape sequences. The escape builders are pure functions returning the
text to write to the terminal; the app writes it. The command and the webhook are coroutines that never
raise for a delivery problem: they return a ``Delivery`` saying what went wrong, for the UI to show.

* OSC 9 (``ESC ] 9 ; text BEL``): iTerm2, WezTerm, kitty, Windows Terminal, foot, ...
* OSC 777 (``ESC ] 777 ; notify ; title ; body BEL``): urxvt, VTE terminals (GNOME Terminal), ...
  ``;`` separates its fields, so it is removed from them.
* Under tmux (``$TMUX`` set) an escape only reaches the outer terminal inside a DCS passthrough,
  ``ESC P tmux; <payload with every ESC doubled> ESC \\`` (tmux >= 3.3 also needs
  ``set -g allow-passthrough on``). The bell needs no wrapping: tmux forwards it itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

from cockpit.alarms.model import AlarmFired
from cockpit.config import AlarmSettings

ESC = "\x1b"
BEL = "\x07"
MAX_TEXT = 240  # terminals truncate long notifications anyway; keeps one escape well under any limit
# C0 controls, DEL and C1 controls: any of them could end the escape early or start a new one.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class Delivery:
    """The outcome of one notification channel."""

    channel: str  # "command" or "webhook"
    ok: bool
    detail: str = ""  # what went wrong, one line


def sanitize(text: str, *, field: bool = False, limit: int = MAX_TEXT) -> str:
    """Text safe inside an escape: control characters become spaces (runs collapsed), and for an OSC 777
    field ``;`` too; cut to ``limit`` characters."""
    cleaned = _CONTROL.sub(" ", text)
    if field:
        cleaned = cleaned.replace(";", " ")
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def in_tmux(env: Mapping[str, str] | None = None) -> bool:
    """Whether escapes must be wrapped for tmux ($TMUX set and not empty)."""
    return bool((os.environ if env is None else env).get("TMUX"))


def tmux_wrap(payload: str) -> str:
    """A DCS passthrough carrying ``payload`` through tmux to the outer terminal."""
    return f"{ESC}Ptmux;{payload.replace(ESC, ESC + ESC)}{ESC}\\"


def bell() -> str:
    """The terminal bell."""
    return BEL


def osc9(text: str, *, tmux: bool | None = None) -> str:
    """Desktop notification, OSC 9 form; ``tmux`` None means "if $TMUX is set"."""
    payload = f"{ESC}]9;{sanitize(text)}{BEL}"
    return tmux_wrap(payload) if (in_tmux() if tmux is None else tmux) else payload


def osc777(title: str, body: str, *, tmux: bool | None = None) -> str:
    """Desktop notification, OSC 777 form (title and body); ``tmux`` None means "if $TMUX is set"."""
    payload = f"{ESC}]777;notify;{sanitize(title, field=True)};{sanitize(body, field=True)}{BEL}"
    return tmux_wrap(payload) if (in_tmux() if tmux is None else tmux) else payload


def terminal_alert(title: str, body: str, settings: AlarmSettings, *, tmux: bool | None = None) -> str:
    """Everything to write to the terminal for one firing, as the config asks (bell, both OSC forms).

    Both OSC forms are sent: a terminal ignores the one it does not know.
    """
    out = BEL if settings.bell else ""
    if settings.osc:
        out += osc9(f"{title}: {body}", tmux=tmux) + osc777(title, body, tmux=tmux)
    return out


def fired_env(fired: AlarmFired) -> dict[str, str]:
    """The environment variables a notify command gets about a firing."""
    return {
        "COCKPIT_ALARM_ID": str(fired.alarm_id),
        "COCKPIT_ALARM_TITLE": fired.title,
        "COCKPIT_ALARM_BODY": fired.body,
        "COCKPIT_ALARM_VALUE": repr(fired.value),
        "COCKPIT_ALARM_TS_MS": str(fired.ts_ms),
        "COCKPIT_ALARM_JSON": json.dumps(fired_json(fired)),
    }


def fired_json(fired: AlarmFired) -> dict[str, object]:
    """A firing as JSON (the webhook body, the history in ``cockpit alarms history --json``)."""
    return {**asdict(fired), "title": fired.title, "body": fired.body}


async def run_command(argv: Sequence[str], fired: AlarmFired, *, timeout_s: float = 5.0) -> Delivery:
    """Run ``argv`` (no shell) for a firing: ``{title}``, ``{body}`` and ``{id}`` in its arguments are
    replaced, and ``COCKPIT_ALARM_*`` variables describe the firing. Killed after ``timeout_s``."""
    if not argv:
        return Delivery("command", False, "no command configured")
    args = [
        a.replace("{title}", fired.title).replace("{body}", fired.body).replace("{id}", str(fired.alarm_id))
        for a in argv
    ]
    try:
        proc = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, **fired_env(fired)},
        )
    except OSError as exc:
        return Delivery("command", False, f"{argv[0]}: cannot run: {exc.strerror or exc}")
    try:
        _, err = await asyncio.wait_for(proc.communicate(), timeout=timeout_s)
    except asyncio.TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        return Delivery("command", False, f"{argv[0]}: no answer after {timeout_s:g} s (killed)")
    if proc.returncode != 0:
        lines = err.decode(errors="replace").strip().splitlines()
        why = f": {sanitize(lines[-1])}" if lines else ""
        return Delivery("command", False, f"{argv[0]}: exit status {proc.returncode}{why}")
    return Delivery("command", True)


async def post_webhook(url: str, fired: AlarmFired, *, timeout_s: float = 5.0) -> Delivery:
    """POST the firing as JSON to ``url``; any HTTP status >= 300, error or timeout is reported."""
    import aiohttp  # with ccxt; only needed when a webhook is configured

    try:
        timeout = aiohttp.ClientTimeout(total=timeout_s)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(url, json=fired_json(fired)) as resp,
        ):
            if resp.status >= 300:
                return Delivery("webhook", False, f"{url}: HTTP {resp.status} {resp.reason or ''}".rstrip())
            return Delivery("webhook", True)
    except asyncio.TimeoutError:
        return Delivery("webhook", False, f"{url}: no answer after {timeout_s:g} s")
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        return Delivery("webhook", False, f"{url}: {type(exc).__name__}: {sanitize(str(exc))}")


async def deliver(fired: AlarmFired, settings: AlarmSettings) -> list[Delivery]:
    """Run the configured command and webhook for one firing (concurrently); their outcomes."""
    jobs = []
    if settings.notify_command:
        jobs.append(run_command(settings.notify_command, fired, timeout_s=settings.notify_timeout_s))
    if settings.webhook:
        jobs.append(post_webhook(settings.webhook, fired, timeout_s=settings.notify_timeout_s))
    return list(await asyncio.gather(*jobs))
