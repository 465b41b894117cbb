"""The C library's allocator, tuned for a long ingest run.

glibc's malloc serves a request of at least ``M_MMAP_THRESHOLD`` (128 KiB)
with a mapping of its own, returned to the system when freed, and the rest
from its heaps.  By default the threshold is *dynamic*: each time such a
mapping is freed, the threshold rises to its size (up to 32 MiB).  A run
handles a page at a time — its HTML (239 KB on average on the pipeline
benchmark), zstd's output buffer, the parsed tree's text — so after the
first page the threshold sits above page size and every page passes
through the heap, between the smaller objects that outlive it (packed
pages, articles, stories).  The freed holes are reused only in part, and the
flow process's peak RSS kept rising window after window.

Fixing the threshold at its default (setting it turns the dynamic rise
off) keeps page-sized buffers out of the heap.  Measured with plain runs of
``bench/pipeline.py``'s corpus, medians of 3: peak RSS of the flow process
at 10,000 pages 640 -> 556 MB (430 MB at 1,000 either way), of the process
tree 982 -> 885 MB; throughput 82 -> 78 pages/s (a mapping per large buffer
costs system calls and page faults).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # mallopt parameter number (glibc malloc.h)
MMAP_THRESHOLD = 128 * 1024
_done = False


def fix_mmap_threshold() -> bool:
    """Fix glibc's mmap threshold at 128 KiB in this process (and in the
    processes it forks).  Does nothing where the C library is not glibc, or
    when ``MALLOC_MMAP_THRESHOLD_`` is set (the user's choice wins).
    Returns whether the threshold was set."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux") or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError) as exc:
        log.debug("malloc left as it is: %s", exc)
        return False
    if not hasattr(libc, "gnu_get_libc_version"):  # not glibc (musl has a mallopt that does nothing)
        log.debug("malloc left as it is: the C library is not glibc")
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    _done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    if not _done:
        log.warning("mallopt(M_MMAP_THRESHOLD) failed; memory use of long runs may grow")
    return _done
