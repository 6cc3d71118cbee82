"""The daemon's wire format: what crosses is what was sent, and nothing but the project's data can."""

from __future__ import annotations

import json
import os
import pickle

import pytest

from cockpit.config import Config
from cockpit.daemon import codec
from cockpit.daemon.outbox import NEWS_KEPT
from cockpit.daemon.server import Viewer
from cockpit.models import Snapshot
from cockpit.sources.demo.market import SYMBOL
from cockpit.wiring import demo_snapshot


@pytest.fixture(scope="module")
def snap() -> Snapshot:
    return demo_snapshot(Config(), 7, after_s=60)


def test_a_snapshot_crosses_whole(snap: Snapshot) -> None:
    frame = codec.encode(("snapshot", snap))
    assert codec.frame_length(frame[:4]) == len(frame) - 4
    kind, back = codec.decode(frame[4:])
    assert kind == "snapshot" and back.symbol == SYMBOL and back.price == snap.price
    assert back.candles.close.tolist() == snap.candles.close.tolist()
    assert [e.key for e in back.recent_liquidations] == [e.key for e in snap.recent_liquidations]
    assert back.liquidations.by_coin == snap.liquidations.by_coin


@pytest.mark.parametrize(
    "hostile",
    [
        pickle.dumps(os.system),
        pickle.dumps(print),
        b"\x80\x05garbage",
        b"",
        json.dumps({"a": 1}).encode(),
    ],
)
def test_anything_not_ours_is_refused(hostile: bytes) -> None:
    with pytest.raises(codec.ProtocolError):
        codec.decode(hostile)


def test_a_function_of_an_allowed_module_is_refused() -> None:
    # cockpit.models is allowed whole, but only its classes: a function there would be called by REDUCE.
    from cockpit import models

    fn = next(v for k, v in vars(models).items() if callable(v) and not isinstance(v, type))
    with pytest.raises(codec.ProtocolError):
        codec.decode(pickle.dumps(fn))


def test_a_huge_frame_is_refused_before_it_is_read() -> None:
    with pytest.raises(codec.ProtocolError, match="announced"):
        codec.frame_length(codec.HEADER.pack(codec.MAX_FRAME + 1))


def test_a_version_mismatch_names_both_versions() -> None:
    body = json.dumps({"cockpit": "daemon", "protocol": codec.PROTOCOL + 1, "version": "9.9.9"}).encode()
    with pytest.raises(codec.VersionMismatch) as err:
        codec.read_greeting(body, "daemon")
    text = str(err.value)
    assert f"protocol {codec.PROTOCOL + 1}" in text and "9.9.9" in text
    assert f"protocol {codec.PROTOCOL}" in text and "\n" not in text


def test_a_greeting_from_something_else_is_refused() -> None:
    with pytest.raises(codec.ProtocolError):
        codec.read_greeting(b"SSH-2.0-OpenSSH", "daemon")
    with pytest.raises(codec.ProtocolError):
        codec.read_greeting(json.dumps({"cockpit": "viewer", "protocol": codec.PROTOCOL}).encode(), "daemon")


def test_a_slow_viewer_gets_the_newest_snapshot_with_the_news_it_missed(snap: Snapshot) -> None:
    from dataclasses import replace

    prints = snap.recent_liquidations
    assert len(prints) >= 4
    first = replace(snap, seq=1, new_liquidations=prints[:2])
    second = replace(snap, seq=2, new_liquidations=prints[2:4])
    viewer = Viewer(1, writer=None, view=(SYMBOL, "1h"))  # type: ignore[arg-type]
    viewer.offer(first)
    viewer.offer(second)
    assert viewer.outbox is not None and viewer.outbox.seq == 2
    assert [e.key for e in viewer.outbox.new_liquidations] == [e.key for e in prints[:4]]
    assert viewer.ready.is_set()


def test_merged_news_is_bounded(snap: Snapshot) -> None:
    from dataclasses import replace

    one = snap.recent_liquidations[:1]
    viewer = Viewer(1, writer=None, view=(SYMBOL, "1h"))  # type: ignore[arg-type]
    for k in range(NEWS_KEPT + 10):
        viewer.offer(replace(snap, seq=k, new_liquidations=one))
    assert viewer.outbox is not None and len(viewer.outbox.new_liquidations) == NEWS_KEPT
