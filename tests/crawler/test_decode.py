from __future__ import annotations

import gzip
import zlib

import pytest

from crawler.decode import CappedDecoder, TooLarge, UnsupportedEncoding


def test_gzip_and_deflate_roundtrip() -> None:
    data = b"hello world " * 1000
    for coding, blob in (("gzip", gzip.compress(data)), ("deflate", zlib.compress(data)),
                         ("deflate", zlib.compress(data)[2:-4])):  # raw deflate, as some servers send
        d = CappedDecoder(coding, 1_000_000)
        out = b"".join(d.feed(blob[i:i + 100]) for i in range(0, len(blob), 100)) + d.flush()
        assert out == data


def test_bomb_stops_at_the_cap_without_inflating_it_all() -> None:
    bomb = gzip.compress(b"\0" * 50_000_000)  # ~50 KB compressed
    d = CappedDecoder("gzip", 100_000)
    with pytest.raises(TooLarge):
        d.feed(bomb)
    assert d.size <= 100_001


def test_unasked_encodings_are_refused() -> None:
    with pytest.raises(UnsupportedEncoding):
        CappedDecoder("br", 10)
