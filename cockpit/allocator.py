"""Keep freed big buffers from staying resident (glibc only; a no-op elsewhere).

The liquidation windows hold tens of MB in numpy buffers that are reallocated at every compaction (the
live rows move to a right-sized buffer). glibc serves big allocations with mmap, but its threshold is
dynamic: each freed mmap chunk raises it to that chunk's size (up to 32 MiB), after which buffers of
that size come from the heap, and the space they leave stays resident. Measured over two simulated days
at ~1M events retained (bench/memory_bench.py): RSS climbed from 146 to 171 MB with the dynamic threshold
and stayed between 125 and 139 MB with a fixed one.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_MMAP_THRESHOLD = -3  # mallopt parameter number, from glibc's malloc.h
MMAP_THRESHOLD_BYTES = 256 * 1024  # fixed; setting it also turns the dynamic adjustment off


def fix_mmap_threshold() -> bool:
    """Set a fixed mmap threshold in glibc's allocator; False where that is not possible."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others: no mallopt, nothing to tune
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
