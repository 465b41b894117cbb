"""Content fingerprints."""

from __future__ import annotations

import hashlib
import re
import unicodedata


def normalise_text(text: str) -> str:
    """Text reduced to what makes two copies 'the same': NFKC, case-folded,
    punctuation and typographic variants dropped, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def content_hash(text: str) -> str:
    """SHA-256 (hex, first 32 digits) of the normalised text."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()[:32]
