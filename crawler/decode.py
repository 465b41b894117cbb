"""Content-Encoding decoding with a hard cap on the inflated size.

httpx inflates each network chunk whole, so one 64 KB gzip chunk can become
tens of megabytes before a caller sees it.  Here every chunk is inflated with
``max_length``, so a gzip bomb stops at the cap without allocating more.
We only advertise (and so only accept) gzip and deflate.
"""

from __future__ import annotations

import zlib

ACCEPT_ENCODING = "gzip, deflate"


class TooLarge(Exception):
    pass


class UnsupportedEncoding(Exception):
    pass


class CappedDecoder:
    def __init__(self, content_encoding: str, cap: int) -> None:
        self.cap = cap
        self.size = 0
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1:
            raise UnsupportedEncoding(f"stacked content encodings {content_encoding!r}")
        self.coding = codings[0] if codings else None
        if self.coding in ("gzip", "x-gzip"):
            self._d: zlib._Decompress | None = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.coding == "deflate":
            self._d = zlib.decompressobj()
            self._raw_deflate_fallback = True
        elif self.coding is None:
            self._d = None
        else:
            raise UnsupportedEncoding(f"content encoding {self.coding!r} was not asked for")
        self._first = True

    def _take(self, data: bytes) -> bytes:
        self.size += len(data)
        if self.size > self.cap:
            raise TooLarge(f"body exceeds the {self.cap}-byte cap (after decompression)")
        return data

    def feed(self, chunk: bytes) -> bytes:
        if self._d is None:
            return self._take(chunk)
        if self._first and self.coding == "deflate":
            self._first = False
            try:
                probe = zlib.decompressobj()
                probe.decompress(chunk[:2])
            except zlib.error:
                self._d = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as some servers send
        out = []
        data = chunk
        while data:
            room = self.cap - self.size + 1
            piece = self._d.decompress(data, room)
            out.append(self._take(piece))
            data = self._d.unconsumed_tail
        return b"".join(out)

    def flush(self) -> bytes:
        if self._d is None:
            return b""
        return self._take(self._d.flush())
