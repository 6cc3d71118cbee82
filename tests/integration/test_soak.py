"""A short soak run (issue 9): four simulated minutes at 60x against every fake venue, with one fault of most
kinds and a cascade meeting a 429 on a polled venue, HTX twins (equal numbers, another id) and Gate partial
liquidations in the traffic, and a history store under the engine as in the app. No exception, every owed
liquidation shown exactly once (ids and totals to the cent), every disruptive fault shown as error or stale
and then recovered. The hour-long run with memory samples is ``bench/soak_bench.py``; no timing or memory
is asserted here.
"""

from __future__ import annotations

import asyncio

from tests.fakes.soak import Traffic
from tests.fakes.soak_run import SoakPlan, SoakResult, run_soak

PLAN = SoakPlan(
    seconds=240,
    speed=60,
    faults=(
        (10, "binanceusdm", "ws close, reconnects refused (503)"),
        (20, "gate", "timeout"),
        (30, "bybit", "truncated JSON frames"),
        (40, "htx", "429 + Retry-After 20 s"),
        (50, "okx", "out-of-order messages"),
        (75, "fng", "F&G HTTP 503"),
        (95, "gate", "malformed JSON (200)"),
        (115, "okx", "truncated frame, reconnects hang"),
        # A venue's next fault starts well after the previous one cleared plus its longest backoff, so
        # recovery is judged with room to spare on a loaded machine.
        (150, "bybit", "no pong (dead stream)"),
        (130, "htx", "duplicate rows"),
        (140, "binanceusdm", "duplicate messages"),
        (200, "gate", "HTML error page (200)"),
    ),
    traffic=Traffic(cascades=((30, 60),)),  # meets the 429 on HTX: a burst larger than a poll page
    hold_s=(("stream", 60.0), ("poll", 40.0), ("fng", 100.0)),
    settle_s=90,
    timeout_real_s=0.5,
    keepalive_real_s=0.5,
)


def test_a_short_soak_loses_nothing_counts_once_and_shows_every_fault() -> None:
    result: SoakResult = asyncio.run(asyncio.wait_for(run_soak(PLAN), 120))
    assert not result.problems, "\n".join(result.problems)  # each names the venue, the fault or the events
    tally = result.tally.values()
    owed = sum(t["owed"] for t in tally)
    assert owed > 500 and all(t["owed"] > 0 for t in tally)
    assert sum(t["once"] for t in tally) == owed == result.window_count
    # HTX twins (equal numbers, another id) and Gate partial liquidations were owed, and shown once each.
    for venue in ("htx", "gate"):
        assert 0 < result.tally[venue]["hard_once"] == result.tally[venue]["hard_owed"], result.tally[venue]
    assert abs(result.window_usd - sum(t["owed_usd"] for t in tally)) < 0.005
    # The faults happened: streams lost what was published while they were down, and every fault was judged.
    assert sum(n for t in tally for n in t["lost"].values()) > 0
    assert len(result.faults) == len(PLAN.faults)
    assert all(f["ok_after_clear_s"] is not None for f in result.faults)
    assert all(f["seen_after_s"] is not None for f in result.faults if not f["harmless"])
