"""A test run changes neither the machine nor the checkout (issue 16 item 7): the end-to-end tests install
sshd only under CI, and figures reach bench/RESULTS.md only from the benchmark command."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from bench import soak_bench
from tests.e2e import ssh_harness


def test_without_sshd_outside_ci_the_e2e_tests_skip_naming_the_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ssh_harness.shutil, "which", lambda tool: None)
    monkeypatch.setattr(ssh_harness, "SSHD_CANDIDATES", ())
    monkeypatch.delenv("CI", raising=False)
    ran: list[list[str]] = []
    monkeypatch.setattr(ssh_harness, "_run", lambda argv, *a, **k: ran.append(argv) or "/usr/sbin/sshd\n")
    with pytest.raises(
        pytest.skip.Exception, match=r"needs sshd, ssh, ssh-keygen, tmux.*run scripts/ensure_sshd"
    ):
        ssh_harness.ensure_sshd()
    assert ran == []  # nothing was installed


def test_under_ci_the_e2e_tests_install_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ssh_harness, "missing_tools", lambda: ["sshd"])
    monkeypatch.setenv("CI", "true")
    ran: list[list[str]] = []
    monkeypatch.setattr(ssh_harness, "_run", lambda argv, *a, **k: ran.append(argv) or "/usr/sbin/sshd\n")
    monkeypatch.setattr(ssh_harness.shutil, "which", lambda tool: f"/usr/bin/{tool}")
    assert ssh_harness.ensure_sshd() == Path("/usr/sbin/sshd")
    assert ran == [[str(ssh_harness.ENSURE_SSHD)]]


@pytest.mark.parametrize(("argv", "writes"), [(["--quick"], False), ([], True)])
def test_only_the_full_soak_run_writes_results(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], writes: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    written: list[str] = []
    monkeypatch.setattr("bench.results.write_section", written.append)

    async def fake_run(plan: object) -> object:
        return SimpleNamespace(problems=[])

    monkeypatch.setattr(soak_bench, "run_soak", fake_run)
    monkeypatch.setattr(soak_bench, "section", lambda result, command: ["## Soak (issue 9)", command])
    assert soak_bench.main(argv) == 0
    assert bool(written) is writes
    assert "## Soak (issue 9)" in capsys.readouterr().out  # printed either way
