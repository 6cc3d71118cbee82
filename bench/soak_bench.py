"""The soak run of issue 9: an hour of simulated time against the fake venues with a fault every two
simulated minutes; writes the "Soak (issue 9)" section of bench/RESULTS.md.

Run: ``PYTHONPATH=. .venv-bench/bin/python -m bench.soak_bench [--quick]`` (``--quick``: six simulated
minutes, printed only: a quick check never replaces the figures in bench/RESULTS.md, only the full run does).
The run itself is ``tests/fakes/soak_run.py`` (shared with ``tests/integration/test_soak.py``); this module
chooses the plan, judges memory and writes the report. Not part of the tests.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter

from tests.fakes.soak import Traffic
from tests.fakes.soak_driver import rotation
from tests.fakes.soak_run import SoakPlan, SoakResult, rss_slope_mb_per_h, run_soak

# "Flat": the second half's RSS slope stays under this. The stores that grow by design with this hour's
# traffic (the 24h liquidation windows, the deduper's 30 minutes of identities, ccxt's 1,000-entry liquidation
# caches filling) add about 4 MB per hour, most of it after each cascade; keeping every raw message (~1 KB
# each, ~12,000 an hour) would add about 12 MB.
RSS_FLAT_MB_PER_H = 8.0
JUDGE_MEMORY_FROM_S = 1800  # a shorter run is all warm-up: its samples are shown, not judged


def plan(quick: bool) -> SoakPlan:
    """An hour at 30x (about two real minutes), a fault every two simulated minutes; cascades are timed to
    meet some outages of the polled venues, as venues fail under load in real markets."""
    if quick:
        return SoakPlan(
            seconds=360,
            speed=30,
            faults=rotation(360 - 100, 45, 20),
            traffic=Traffic(cascades=((50, 90),)),
            hold_s=(("stream", 40.0), ("poll", 30.0), ("fng", 100.0)),
            settle_s=120,
        )
    return SoakPlan(
        seconds=3600,
        speed=30,
        faults=rotation(3600 - 150, 120, 30),
        traffic=Traffic(cascades=((130, 120), (600, 90), (1090, 120), (1820, 90), (2400, 90), (3000, 120))),
    )


def _usd(x: float) -> str:
    return f"${x:,.2f}"


def _intro(r: SoakResult, command: str) -> list[str]:
    return [
        "## Soak (issue 9)",
        "",
        f"`{command}` (the last step of `./scripts/bench`), run on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: the real live engine, headless, its "
        "snapshots drained as the app drains them (10 a second), against the five fake venues and the Fear & "
        f"Greed fake on 127.0.0.1, on a simulated clock at {r.plan.speed:g}x. {r.plan.seconds / 60:g} "
        "simulated minutes of liquidations in each venue's wire format (cascades at 6x the base rate), a "
        f"fault every {_every(r)} simulated minutes rotating across venues and kinds, then "
        f"{r.plan.settle_s:g} s to settle. A streamed event is owed to the engine when its frame was written "
        "whole to a subscribed socket; one published while no socket was subscribed, cut by a dropped "
        "connection, truncated or sent to a dead stream is lost for good (streams have no backfill) and "
        "counted apart. A polled venue's row is owed once published: the venue keeps its history. HTX "
        "twins (a liquidation equal to the one before it in every number, another id) and Gate partial "
        "liquidations are in the traffic; the engine keeps its liquidation history on disk, as the app does.",
    ]


def _traffic_rows(r: SoakResult) -> list[str]:
    """What was published, owed, lost and shown."""
    t = r.tally
    owed = sum(v["owed"] for v in t.values())
    lost: Counter[str] = Counter()
    for v in t.values():
        lost.update(v["lost"])
    return [
        f"| simulated duration (traffic + settling) / real duration, start-up included "
        f"| {r.plan.seconds:,.0f} s + {r.sim_s - r.plan.seconds:,.0f} s / {r.real_s:,.0f} s "
        f"(speed {r.plan.speed:g}x) |",
        f"| snapshots drained | {r.snapshots:,} |",
        f"| liquidations published | {sum(v['published'] for v in t.values()):,} |",
        f"| owed to the engine (delivered on a stream, or in a polled history) | {owed:,} |",
        f"| lost while a stream was down | {sum(lost.values()):,} "
        f"({', '.join(f'{k}: {n:,}' for k, n in sorted(lost.items())) or 'none'}) |",
        f"| shown exactly once / missing / duplicated / shown but not owed "
        f"| {sum(v['once'] for v in t.values()):,} / {sum(v['missing'] for v in t.values())} "
        f"/ {sum(v['duplicated'] for v in t.values())} / {sum(v['shown_not_owed'] for v in t.values())} |",
        f"| HTX twins / Gate partial liquidations: shown once of owed "
        f"| {t['htx']['hard_once']:,}/{t['htx']['hard_owed']:,} / {t['gate']['hard_once']:,}/"
        f"{t['gate']['hard_owed']:,} |",
        f"| total owed / from the snapshots' new liquidations / 24h window "
        f"| {_usd(sum(v['owed_usd'] for v in t.values()))} / {_usd(r.engine_usd)} / {_usd(r.window_usd)} "
        f"({r.window_count:,} events) |",
        f"| exceptions escaped, source tasks ended | {_count('exception escaped', r)}, "
        f"{_count('source task ended', r)} |",
    ]


def _fault_rows(r: SoakResult) -> list[str]:
    """The faults injected and how the cockpit showed them."""
    disruptive = [f for f in r.faults if not f["harmless"]]
    seen = sum(f["seen_after_s"] is not None for f in disruptive)
    harmless_ok = sum(f["seen_after_s"] is None for f in r.faults if f["harmless"])
    recovered = sum(f["ok_after_clear_s"] is not None for f in r.faults)
    kinds = Counter(f["kind"] for f in r.faults)
    venues = Counter(f["venue"] for f in r.faults)
    return [
        f"| faults injected, by kind | {len(r.faults)}: "
        f"{', '.join(f'{k} x{n}' for k, n in sorted(kinds.items()))} |",
        f"| faults injected, by venue | {', '.join(f'{v} {n}' for v, n in venues.items())} |",
        f"| errors the sources reported (SourceError events) "
        f"| {', '.join(f'{v} {n}' for v, n in sorted(r.errors_by_source.items()))} |",
        f"| error or stale shown / harmless stayed ok / ok again after clearing "
        f"| {seen}/{len(disruptive)} / {harmless_ok}/{len(r.faults) - len(disruptive)} "
        f"/ {recovered}/{len(r.faults)} |",
    ]


def _memory_row(r: SoakResult) -> tuple[str, bool]:
    """The RSS row, and whether memory stayed flat (a run too short to judge counts as flat)."""
    slope = rss_slope_mb_per_h(r.rss)
    judged = r.plan.seconds >= JUDGE_MEMORY_FROM_S
    row = (
        f"| RSS slope over the second half | {slope:+.1f} MB per simulated hour "
        + (f"(flat: < {RSS_FLAT_MB_PER_H:g})" if judged else "(not judged: the run is all warm-up)")
        + f"; liquidation windows hold {r.windows_nbytes / 1e6:.1f} MB at the end |"
    )
    return row, slope < RSS_FLAT_MB_PER_H or not judged


def _venue_table(r: SoakResult) -> list[str]:
    t = r.tally
    lines = [
        "| venue | published | owed | shown once | missing | duplicated | lost (reason: count) | owed "
        "| 24h window |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    from cockpit.venues import VENUE_NAMES

    for venue, v in t.items():
        lost_text = ", ".join(f"{k}: {n}" for k, n in v["lost"].items()) or "-"
        lines.append(
            f"| {venue} | {v['published']:,} | {v['owed']:,} | {v['once']:,} | {v['missing']} "
            f"| {v['duplicated']} | {lost_text} | {_usd(v['owed_usd'])} "
            f"| {_usd(r.window_by_venue.get(VENUE_NAMES[venue], 0.0))} |"
        )
    return lines


def _fault_table(r: SoakResult) -> list[str]:
    lines = [
        "| at (sim s) | venue | fault | error/stale shown after (s) | ok again after clearing (s) |",
        "|---|---|---|---|---|",
    ]
    for f in r.faults:
        shown = "-" if f["seen_after_s"] is None else f"{f['seen_after_s']:.1f}"
        if f["harmless"]:
            shown += " (harmless: none expected)"
        ok = "never" if f["ok_after_clear_s"] is None else f"{f['ok_after_clear_s']:.1f}"
        lines.append(f"| {f['at_s']:.0f} | {f['venue']} | {f['kind']} | {shown} | {ok} |")
    return lines


def section(r: SoakResult, command: str) -> list[str]:
    """The RESULTS.md section for one run."""
    rss_row, flat = _memory_row(r)
    verdict = "PASS" if not r.problems and flat else "FAIL"
    lines = [
        *_intro(r, command),
        "",
        "| measure | value |",
        "|---|---|",
        *_traffic_rows(r),
        *_fault_rows(r),
        rss_row,
        f"| verdict | **{verdict}** |",
        "",
        *_venue_table(r),
        "",
        *_fault_table(r),
        "",
        "RSS (MB) at each simulated minute of the traffic (minute: MB): "
        + ", ".join(f"{m:.0f}: {mb:.1f}" for m, mb in r.rss)
        + ".",
    ]
    if r.problems:
        lines += ["", "Problems:", *(f"- {p}" for p in r.problems)]
    return lines


def _every(r: SoakResult) -> str:
    at = [a for a, _, _ in r.plan.faults]
    return f"{(at[1] - at[0]) / 60:g}" if len(at) > 1 else "-"


def _count(prefix: str, r: SoakResult) -> int:
    return sum(p.startswith(prefix) for p in r.problems)


def main(argv: list[str]) -> int:
    from bench.results import write_section

    quick = "--quick" in argv
    result = asyncio.run(run_soak(plan(quick)))
    command = "PYTHONPATH=. .venv-bench/bin/python -m bench.soak_bench" + (" --quick" if quick else "")
    text = "\n".join(section(result, command)) + "\n"
    if not quick:
        write_section(text)
    print(text)
    return 0 if not result.problems else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
