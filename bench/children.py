"""Benchmark children: every subprocess a benchmark runs goes through ``run_child``, so a child that fails
says which step it was and shows its stderr instead of a bare CalledProcessError (issue 17 §2: a memory
bench child failed on another machine and the run ended with exit 1 and nothing else)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from typing import Any

TAIL_LINES = 40


def tail(text: str | bytes | None, lines: int = TAIL_LINES) -> str:
    """The last ``lines`` lines of a child's output."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])


def failed(step: str, why: str, output: str | bytes | None) -> SystemExit:
    """The SystemExit a failed step ends the benchmark with: one line, then the child's output tail."""
    body = tail(output)
    return SystemExit(f"bench: {step} failed ({why})" + (f"\n{body}" if body else ""))


def run_child(step: str, args: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """``subprocess.run(args, capture_output=True, text=True, **kwargs)``; a non-zero exit or a timeout
    raises SystemExit naming ``step``, with the last lines of the child's stderr."""
    try:
        res = subprocess.run(list(args), capture_output=True, text=True, check=False, **kwargs)
    except subprocess.TimeoutExpired as exc:
        raise failed(step, f"timed out after {exc.timeout:g} s", exc.stderr) from None
    if res.returncode != 0:
        raise failed(step, f"exit {res.returncode}", res.stderr)
    return res
