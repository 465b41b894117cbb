"""Compressed HTML: how a page's bytes travel through a run and are stored.

The ingest flow compresses each page as it arrives (``Crawler.fetch_pages``
with ``pack=True``): a window of 500 pages of the pipeline benchmark is
130 MB of HTML and 22 MB packed, and a run holds up to three windows.  The
same frames are what the warehouse's pack files store (see
:mod:`warehouse.pages`), so a page is compressed once, in the flow's process,
and decompressed once, by the extraction worker.

zstd level 3 (python-zstandard, the maintained binding of the reference
library): on the pipeline benchmark's pages (239 KB on average) 0.46 ms a
page against 1.46 ms for zlib level 3, and 18% fewer bytes (0.183 vs 0.222
of the HTML); decompression is 0.23 ms a page.
"""

from __future__ import annotations

import zlib

import zstandard

ZSTD_LEVEL = 3
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"  # every zstd frame starts so; a zlib stream starts 0x?8


def pack(body: bytes) -> bytes:
    """A page's HTML as one zstd frame."""
    frame = zstandard.compress(body, ZSTD_LEVEL)
    # python-zstandard (0.25) returns a bytes object that keeps the whole
    # compress-bound buffer it was written into (the input's size and more)
    # and only shortens its length: measured with tracemalloc, a 37 KB frame
    # of a 673 KB page held 676 KB.  Pages wait packed for their window, so
    # keep a copy of the frame's own size (a memcpy of the frame).
    return bytes(memoryview(frame))


def unpack(blob: bytes) -> bytes:
    """A packed page's HTML: a zstd frame, or a zlib stream (pages stored
    before zstd).  Raises ``zstandard.ZstdError`` or ``zlib.error`` on bad
    bytes."""
    if blob[:4] == _ZSTD_MAGIC:
        return zstandard.decompress(blob)
    return zlib.decompress(blob)
