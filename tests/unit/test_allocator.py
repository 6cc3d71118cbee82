"""The allocator tuning takes effect on glibc Linux (the machines the cockpit runs on) and never raises."""

from __future__ import annotations

import platform
import sys

from cockpit.allocator import fix_mmap_threshold


def test_mmap_threshold_is_fixed_on_glibc() -> None:
    expected = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert fix_mmap_threshold() is expected
