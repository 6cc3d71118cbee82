"""[bus] settings, the secret's rules and `--attach`: each mistake is one line naming file, key and value;
no broker needed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.bus.connection import check_url, options
from cockpit.bus.signing import BusError, Refused, Signer, new_secret_file, read_secret
from cockpit.bus.subjects import Subjects, liquidation_json, msg_id, read_liquidation, token
from cockpit.config import BusSettings, ConfigError, load_config


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            'url = "http://127.0.0.1:4222"',
            ':2: [bus] url must be "" or nats://host:port or tls://host:port, got',
        ),
        ('url = "nats://me:pw@127.0.0.1:4222"', ":2: [bus] url must be"),
        ('subject_prefix = "desk.*"', ":2: [bus] subject_prefix must be NATS subject tokens"),
        (
            'token_file = "a"\ncreds_file = "b"',
            ":3: [bus] creds_file: give token_file or creds_file, not both",
        ),
        ('tls_cert = "c.pem"', ": [bus] tls_key: tls_cert and tls_key go together"),
        ("secret = 1", ":2: [bus] secret is not a known key"),
    ],
)
def test_a_bad_bus_setting_is_one_line(tmp_path: Path, body: str, expected: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"[bus]\n{body}\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}{expected}") and "\n" not in str(err.value)


def test_a_bad_bus_setting_stops_the_command_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[bus]\nurl = "nats://u:secret@127.0.0.1:4222"\n')
    out = subprocess.run(
        [sys.executable, "-m", "cockpit", "--config", str(path), "daemon", "status"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert "[bus] url must be" in out.stderr


def test_the_defaults_are_off() -> None:
    assert load_config(None).bus == BusSettings() and BusSettings().url == ""


def test_secret_files_must_be_private_and_long_enough(tmp_path: Path) -> None:
    good = tmp_path / "secret"
    new_secret_file(good)
    assert len(read_secret(str(good))) >= 32
    good.chmod(0o644)
    with pytest.raises(BusError, match="readable by others: chmod 600"):
        read_secret(str(good))
    short = tmp_path / "short"
    short.write_text("abc\n")
    short.chmod(0o600)
    with pytest.raises(BusError, match="too short"):
        read_secret(str(short))
    with pytest.raises(BusError, match="secret_file"):
        read_secret(str(tmp_path / "missing"))


def test_a_token_is_read_from_its_file_and_never_from_the_url(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("s3cret-token\n")
    token_file.chmod(0o600)
    opts = options(BusSettings(token_file=str(token_file)), "nats://127.0.0.1:4222", "t")
    assert opts["token"] == "s3cret-token" and opts["max_reconnect_attempts"] == -1
    with pytest.raises(BusError, match="credentials in a bus address are refused"):
        check_url("nats://me:pw@127.0.0.1:4222")


def test_requests_are_checked_before_they_are_read() -> None:
    daemon, viewer, stranger = Signer(b"k" * 32), Signer(b"k" * 32), Signer(b"x" * 32)
    body, _ = viewer.request("remove", 3)
    op, args, _ = daemon.open("cockpit.alarms", body, viewer.headers("cockpit.alarms", body))
    assert (op, args) == ("remove", 3)
    for headers, why in (
        ({}, "not signed"),
        (stranger.headers("cockpit.alarms", body), "signature is wrong"),
        (viewer.headers("cockpit.other", body), "signature is wrong"),  # bound to its subject
        (viewer.headers("cockpit.alarms", body), "replay"),  # the same request again
    ):
        with pytest.raises(Refused, match=why):
            daemon.open("cockpit.alarms", body, headers)
    with pytest.raises(Refused, match="no \\[bus\\] secret_file"):
        Signer(None).open("cockpit.alarms", body, viewer.headers("cockpit.alarms", body))
    garbage = b"\x80\x05garbage"  # signed but not ours: refused by the restricted decoder, never run
    with pytest.raises(Refused, match="refused"):
        daemon.open("cockpit.alarms", garbage, viewer.headers("cockpit.alarms", garbage))


def test_subjects_and_the_liquidation_identity() -> None:
    s = Subjects("desk.a")
    assert s.liq("1000PEPE/USDT:USDT") == "desk.a.liq.1000PEPE"
    assert s.snap("BTC/USDT:USDT", "1h") == "desk.a.snap.BTC_USDT_USDT.1h"
    assert s.stream == "DESK_A_LIQ" and token("a.b*c>d e") == "a_b_c_d_e"
    event = LiquidationEvent(1, "okx", "ETH/USDT:USDT", "short", 10.0, 2.0, event_id="42")
    parsed = read_liquidation(liquidation_json(event))
    assert parsed["id"] == "okx:42" and parsed["coin"] == "ETH"
    assert msg_id(event) == msg_id(
        LiquidationEvent(1, "okx", "ETH/USDT:USDT", "short", 99.0, 3.0, event_id="42")
    )


def test_attach_refuses_credentials_and_paths_that_are_no_socket(tmp_path: Path) -> None:
    for target, why in (
        ("nats://me:pw@127.0.0.1:4222", "credentials in a bus address are refused"),
        (str(tmp_path / "nothing.sock"), "neither a nats:// address nor a daemon's socket"),
    ):
        out = subprocess.run(
            [sys.executable, "-m", "cockpit", "--attach", target],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert out.returncode == 2 and why in out.stderr, out.stderr
        assert "me:pw" not in out.stderr  # a credential typed by mistake is not echoed back
