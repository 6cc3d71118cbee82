"""bench/RESULTS.md is written by several commands (./scripts/bench, the SSH end-to-end test, the
whole-program bench); each replaces only its own ``## `` section and keeps the others."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def replace_section(document: str, section: str) -> str:
    """``document`` with the section headed like ``section``'s first line replaced (appended if absent)."""
    heading = section.splitlines()[0].rstrip()
    lines = document.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == heading), None)
    body = section.rstrip("\n") + "\n"
    if start is None:
        head = document.rstrip("\n")
        return (head + "\n\n" if head else "") + body
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    after = "".join(lines[end:])
    return "".join(lines[:start]) + body + ("\n" + after if after else "")


def sections(document: str) -> dict[str, str]:
    """Each ``## `` section of a document by its heading line (the text before the first one is left out)."""
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in document.splitlines(keepends=True):
        if line.startswith("## "):
            current = out.setdefault(line.rstrip(), [])
        if current is not None:
            current.append(line)
    return {k: "".join(v) for k, v in out.items()}


def write_section(section: str, path: Path = RESULTS) -> None:
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    path.write_text(replace_section(text, section))
