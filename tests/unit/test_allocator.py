"""The allocator tuning takes effect on glibc Linux (the machines the cockpit runs on) and never raises."""

from __future__ import annotations

import platform
import sys

from cockpit.analytics.allocator import fix_mmap_threshold


def test_mmap_threshold_is_fixed_on_glibc() -> None:
    expected = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert fix_mmap_threshold() is expected


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 1e6


def test_released_pages_leave_resident_memory_and_live_bytes_stay() -> None:
    import numpy as np

    from cockpit.analytics.allocator import release

    arr = np.arange(8_000_000, dtype=np.int64)  # 64 MB, every page touched
    before = _rss_mb()
    assert release(arr, 0, 48_000_000 + 123) is sys.platform.startswith("linux")
    after = _rss_mb()
    if sys.platform.startswith("linux"):
        assert before - after > 40  # 48 MB of whole pages handed back
        assert arr[1024:5_000_000].max() == 0  # released pages read as zeros (the first, partial one stays)
    # The partial page holding byte 48,000,123 is kept, so every value from there on is intact.
    assert np.array_equal(arr[6_000_015:], np.arange(6_000_015, 8_000_000))
