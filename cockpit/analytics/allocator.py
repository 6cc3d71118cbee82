"""Keep freed and dead parts of big buffers from staying resident (Linux; a no-op elsewhere).

The liquidation windows hold tens of MB in numpy buffers that are reallocated at every compaction (the
live rows move to a right-sized buffer). glibc serves big allocations with mmap, but its threshold is
dynamic: each freed mmap chunk raises it to that chunk's size (up to 32 MiB), after which buffers of
that size come from the heap, and the space they leave stays resident. Measured over two simulated days
at ~1M events retained (bench/memory_bench.py): RSS climbed from 146 to 171 MB with the dynamic threshold
and stayed between 125 and 139 MB with a fixed one.

Within a live buffer, the windows' rows older than the 24h retention stay in place until the next
compaction; ``release`` hands their pages back meanwhile, so resident memory follows the events retained
and not the buffer's size.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys
from typing import Any

import numpy.typing as npt

M_MMAP_THRESHOLD = -3  # mallopt parameter number, from glibc's malloc.h
MMAP_THRESHOLD_BYTES = 256 * 1024  # fixed; setting it also turns the dynamic adjustment off
MADV_DONTNEED = 4  # Linux: the pages read back as zeros and stop counting as resident
_PAGE = 4096


@functools.cache
def _libc_function(name: str) -> Any:
    """A C library function with int arguments and result, or None (not Linux, or not in this libc)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = getattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), name)
    except (OSError, AttributeError):  # musl has no mallopt, for one
        return None
    fn.restype = ctypes.c_int
    return fn


def fix_mmap_threshold() -> bool:
    """Set a fixed mmap threshold in glibc's allocator; False where that is not possible."""
    mallopt = _libc_function("mallopt")
    if mallopt is None:
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))


def release(array: npt.NDArray[Any], start: int, stop: int) -> bool:
    """Give the whole pages inside bytes [start, stop) of ``array``'s buffer back to the kernel; the
    caller promises never to read those bytes again before writing them. Pages shared with live bytes
    (the partial ones at both ends) are kept. False where the system has no madvise."""
    madvise = _libc_function("madvise")
    if madvise is None:
        return False
    madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    base = array.ctypes.data
    first = -(-(base + max(0, start)) // _PAGE) * _PAGE
    last = (base + min(stop, array.nbytes)) // _PAGE * _PAGE
    if last > first:
        madvise(first, last - first, MADV_DONTNEED)
    return True
