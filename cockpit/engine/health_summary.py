"""Every source's health as one line can show it: a count by state and the worst one's reason.

Kept apart from the status bar so the rule (what counts, which source is worst, which reason is shown) is
plain data the tests can check, and the widget only lays it out in the width it has. The stores (history,
recorder, alarm store) count as sources: a trader must see a failing store as surely as a failing venue.
"""

from __future__ import annotations

from cockpit.models import HealthSummary, Problem, Snapshot, SourceState

RANK: dict[SourceState, int] = {"ok": 0, "starting": 1, "stale": 2, "error": 3}
ORDER: tuple[SourceState, ...] = ("ok", "starting", "stale", "error")


def _stores(s: Snapshot) -> list[tuple[str, str | None]]:
    """(store, its error) for every store the engine uses (the recorder only while recording)."""
    out: list[tuple[str, str | None]] = [("history", s.history_error), ("alarm store", s.alarm_error)]
    if s.record_error is not None:
        out.append(("recorder", s.record_error))
    return out


def summarize(s: Snapshot) -> HealthSummary:
    problems: list[Problem] = []
    counts: dict[SourceState, int] = {}
    for src in s.sources:
        counts[src.state] = counts.get(src.state, 0) + 1
        if src.state != "ok":
            stale = ", ".join(f.name for f in src.feeds if f.state == src.state and f.name != "data")
            problems.append(Problem(src.name, src.state, src.error or (stale and f"{stale} {src.state}")))
    store_rows = _stores(s)
    for name, error in store_rows:
        state: SourceState = "error" if error else "ok"
        counts[state] = counts.get(state, 0) + 1
        if error:
            problems.append(Problem(name, "error", error))
    problems.sort(key=lambda p: -RANK[p.state])
    worst: SourceState = max(counts, key=RANK.__getitem__) if counts else "ok"
    no_live = not s.simulated and bool(s.sources) and all(x.state == "error" for x in s.sources)
    ordered = {k: counts[k] for k in ORDER if k in counts}
    return HealthSummary(ordered, worst, tuple(problems), no_live, tuple(store_rows))
