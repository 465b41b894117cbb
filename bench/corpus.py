"""The real pages of ``../shared/data`` as sites, for the benchmarks that
serve them over loopback (``bench/sources.py``).

Each page keeps its bytes exactly as the data set stores them.  Its site is
the host of its URL where the set gives one, else of its canonical link or
``og:url``, else the host its absolute links point at most, else the page
alone: about 1,350 sites for the 2,393 pages of the extraction corpus and the
Fundus dev set.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CORPUS_SETS = ("wcxb-dev", "dragnet", "readability", "cleanportaleval")
SETS = (*CORPUS_SETS, "fundus")

_LINK = re.compile(rb"""<link[^>]+rel=["']?canonical["']?[^>]*>|<meta[^>]+property=["']og:url["'][^>]*>""",
                   re.IGNORECASE)
_HREF = re.compile(rb"""(?:href|content)=["']?(https?://[^"' >]+)""", re.IGNORECASE)
_A_HREF = re.compile(rb"""<a\s[^>]*href=["']?(https?://[^"' >]+)""", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class CorpusPage:
    set: str
    id: str
    url: str | None
    site: str
    title: str | None
    body: bytes

    @property
    def key(self) -> str:
        return f"{self.set}/{self.id}"


def host(url: str | bytes | None) -> str | None:
    if not url:
        return None
    if isinstance(url, bytes):
        url = url.decode("ascii", errors="replace")
    name = (urlsplit(url).hostname or "").removeprefix("www.")
    return name or None


def page_site(body: bytes) -> str | None:
    """The host a page says it belongs to: its canonical link or og:url,
    else the host most of its absolute links point at."""
    head = body[:300_000]
    for tag in _LINK.findall(head):
        m = _HREF.search(tag)
        if m and host(m.group(1)):
            return host(m.group(1))
    hosts = Counter(h for h in (host(u) for u in _A_HREF.findall(head)) if h)
    return hosts.most_common(1)[0][0] if hosts else None


def load(shared: Path = SHARED, sets: tuple[str, ...] = SETS) -> list[CorpusPage]:
    pages: list[CorpusPage] = []
    for name in sets:
        if name == "fundus":
            folder = shared / "extraction-dev"
            truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
            for pid, row in truth.items():
                body = gzip.decompress((folder / "html" / f"{pid}.html.gz").read_bytes())
                pages.append(CorpusPage("fundus", pid, row["url"], host(row["url"]) or pid.rsplit("_", 1)[0], None,
                                        body))
            continue
        folder = shared / "extraction-corpus" / name
        for line in (folder / "gold.jsonl").open(encoding="utf-8"):
            row = json.loads(line)
            body = gzip.decompress((folder / "pages" / f"{row['id']}.html.gz").read_bytes())
            site = host(row.get("url")) or page_site(body) or f"{name}-{row['id']}"
            pages.append(CorpusPage(name, row["id"], row.get("url"), site, row.get("title"), body))
    return pages
