"""MinHash signatures and LSH band keys for near-duplicate detection (layer 3).

Why our own code and not ``datasketch``: datasketch hashes shingle by
shingle in Python (one ``update`` call per shingle) and keeps its LSH index
in memory (or Redis/Cassandra).  We need neither: the bands live in DuckDB
(``story_lsh``), so a lookup is a join, and a whole batch is signed with a
few numpy array operations.  The method is the textbook one
(Broder 1997; Leskovec, Rajaraman & Ullman, *Mining of Massive Datasets*, ch. 3).

Method
------
* Shingles: word 3-grams of :func:`stories.fingerprint.normalise_text` of the
  article *text* (not the headline, so a wire copy with an edited headline is
  still a copy).  Each word is hashed with CRC-32 and a 3-gram's hash is a
  64-bit mix of its three word hashes.
* Signature: ``NUM_PERM`` = 126 min-hashes, permutation *i* being the
  multiply-shift hash ``(a_i * x + b_i) mod 2**64 >> 32`` with fixed odd
  ``a_i`` (seeded, so signatures are stable across processes and versions).
* LSH: ``BANDS`` = 42 bands of ``ROWS`` = 3 rows.  Two texts with Jaccard
  similarity *J* share at least one band with probability
  ``1 - (1 - J**3)**42``: 0.68 at J = 0.3, 0.996 at J = 0.5, > 0.9999 at
  J >= 0.6.  So every pair at or above the near-duplicate threshold is a
  candidate, and candidates are then *verified* on the full signature.
* Verification: the share of equal min-hashes estimates J (standard error
  ``sqrt(J(1-J)/126)``, 0.045 at J = 0.5).  A candidate is a near-duplicate
  when the estimate is at least ``NEAR_DUP_JACCARD`` = 0.5.  Copies measured
  in the tests: edited headline J = 1.0, a paragraph added 0.7-0.9, other
  boilerplate lines 0.6-0.9; a different report on the same topic < 0.1.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from stories.fingerprint import normalise_text

NUM_PERM = 126
BANDS = 42
ROWS = 3
SHINGLE = 3
NEAR_DUP_JACCARD = 0.5
MIN_SHINGLES = 5  # shorter texts get no signature: too little to compare

_rng = np.random.default_rng(20261101)
_A = (_rng.integers(1, 2**63, NUM_PERM, dtype=np.uint64) << np.uint64(1)) | np.uint64(1)  # odd multipliers
_B = _rng.integers(0, 2**63, NUM_PERM, dtype=np.uint64)
_BAND_SALT = np.arange(BANDS, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)

Signature = npt.NDArray[np.uint32]


def _mix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64 finaliser: a well-spread 64-bit hash of a 64-bit value."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def shingles(text: str) -> npt.NDArray[np.uint64]:
    """Distinct 64-bit hashes of the word 3-grams of the normalised text."""
    words = normalise_text(text).split()
    if len(words) < SHINGLE:
        return np.empty(0, dtype=np.uint64)
    h = np.fromiter((zlib.crc32(w.encode("utf-8")) for w in words), dtype=np.uint64, count=len(words))
    with np.errstate(over="ignore"):
        g = _mix(h[:-2]) ^ _mix(h[1:-1] + np.uint64(0x1234567)) * np.uint64(3) ^ _mix(h[2:] + np.uint64(0x89ABCDE))
    return np.unique(g)


def signature(text: str) -> Signature | None:
    """The MinHash signature of ``text``; None when it has too few shingles."""
    sh = shingles(text)
    if sh.size < MIN_SHINGLES:
        return None
    with np.errstate(over="ignore"):
        perm = (sh[:, None] * _A[None, :] + _B[None, :]) >> np.uint64(32)
    return perm.min(axis=0).astype(np.uint32)


def signatures(texts: Sequence[str]) -> list[Signature | None]:
    return [signature(t) for t in texts]


def band_keys(sig: Signature) -> npt.NDArray[np.int64]:
    """One signed 64-bit key per band (band number mixed in, so equal rows in
    different bands do not collide)."""
    rows = sig[: BANDS * ROWS].astype(np.uint64).reshape(BANDS, ROWS)
    with np.errstate(over="ignore"):
        h = _BAND_SALT.copy()
        for r in range(ROWS):
            h = _mix(h ^ rows[:, r] * np.uint64(0x100000001B3) + np.uint64(r))
    return h.view(np.int64)


def jaccard(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity of the two shingle sets."""
    return float(np.count_nonzero(a == b)) / NUM_PERM


def to_bytes(sig: Signature) -> bytes:
    return sig.astype("<u4").tobytes()


def from_bytes(blob: bytes) -> Signature:
    return np.frombuffer(blob, dtype="<u4").astype(np.uint32)
