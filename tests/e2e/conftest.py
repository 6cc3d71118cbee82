"""What the end-to-end modules share: the throwaway sshd."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.ssh_harness import SshServer, ensure_sshd


@pytest.fixture(scope="module")
def ssh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    """sshd on 127.0.0.1 for this module (installed first if missing: a failure here fails the tests)."""
    server = SshServer(ensure_sshd(), tmp_path_factory.mktemp("sshd"))
    try:
        server.start()
        yield server
    finally:
        server.stop()
