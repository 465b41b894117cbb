"""The real-article topic set: its texts, read from ``../shared/data``, and
how its labelling candidates were chosen.

``bench/data/topics_real.jsonl`` holds, per item, where its text comes from
(set and id), its site, its headline, its half (``tune`` or ``eval``, by
site) and its labels, with both labellers' answers; the texts themselves
stay in the development data they come from (several of those sets may be
used for evaluation but not redistributed), and :func:`load_texts` reads
them back.  See ``bench/data/TOPICS_GUIDELINE.md`` for the labels.

Sources of text (each item's ``set``):

* ``wcxb-dev``, ``dragnet``, ``readability``, ``cleanportaleval``: the gold
  bodies of ``../shared/data/extraction-corpus`` (what a person says the
  page's article is);
* ``fundus``: the gold bodies of ``../shared/data/extraction-dev``;
* ``ecbplus``: ``../shared/data/stories-dev/ecbplus.jsonl`` (title and text);
* ``muc-train``: the train split of ``../shared/data/topics-dev/muc4.jsonl``
  (the dev split is kept for the ``terrorist_attack`` figure).

Build the candidates (keyword hits for every term of the four topics, in
every language the taxonomy has, plus a seeded random sample of the rest)::

    .venv/bin/python bench/topics_real.py candidates --out /tmp/topics-candidates.jsonl
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # before bench/, whose topics.py would hide the topics package

SHARED = REPO.parent / "shared" / "data"
CORPUS_SETS = ("wcxb-dev", "dragnet", "readability", "cleanportaleval")
TOPICS = ("terrorism", "terrorist_attack", "migration", "human_trafficking", "migrant_smuggling")
# the taxonomy topics whose terms select candidates (terrorist_attack shares terrorism's)
KEYWORD_TOPICS = ("terrorism", "migration", "human_trafficking", "migrant_smuggling")
MUC_SAMPLE = 160  # MUC train wires: nearly every one names a "terrorist", so a sample, not all
RANDOM_SHARE = 0.08  # of the items no keyword selected
MIN_WEIGHT = 1.5  # summed weight of a topic's matched terms that makes an item a keyword candidate
# the naive one-regex baselines of bench/topics.py: whatever they match is a candidate too
NAIVE = {"terrorism": r"terror", "migration": r"migra|refug|asyl|asile",
         "human_trafficking": r"traffick|traite", "migrant_smuggling": r"smuggl|passeur"}


@dataclass(slots=True)
class Item:
    key: str  # "<set>/<id>"
    set: str
    site: str
    title: str | None
    text: str


def _host(url: str | None) -> str | None:
    if not url:
        return None
    host = urlsplit(url).hostname or ""
    host = host.removeprefix("www.")
    return host or None


def _page_site(html: bytes) -> tuple[str | None, str | None]:
    """(site, title) from a page's HTML: the host of its canonical link or
    ``og:url``, else the most common host of its absolute links; its
    ``og:title`` or ``<title>``."""
    import lxml.html

    try:
        tree = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return None, None
    site = None
    for xp in ('//link[@rel="canonical"]/@href', '//meta[@property="og:url"]/@content'):
        for v in tree.xpath(xp):
            site = site or _host(str(v))
    if site is None:
        hosts = Counter(h for h in (_host(str(v)) for v in tree.xpath("//a/@href") if str(v).startswith("http")) if h)
        site = hosts.most_common(1)[0][0] if hosts else None
    title = None
    for xp in ('//meta[@property="og:title"]/@content', "//title/text()"):
        for v in tree.xpath(xp):
            title = title or " ".join(str(v).split()) or None
    return site, title


def load_pool(shared: Path = SHARED) -> list[Item]:
    """Every text the real set may draw from, with its site and headline."""
    items: list[Item] = []
    for name in CORPUS_SETS:
        folder = shared / "extraction-corpus" / name
        for line in (folder / "gold.jsonl").open(encoding="utf-8"):
            row = json.loads(line)
            html = gzip.decompress((folder / "pages" / f"{row['id']}.html.gz").read_bytes())
            site, title = _page_site(html)
            site = _host(row.get("url")) or site or f"{name}:{row['id']}"
            if name == "cleanportaleval" and site.endswith("msnbc.com"):
                site = "tv.msnbc.com"
            items.append(Item(f"{name}/{row['id']}", name, site, row.get("title") or title, row["body"]))
    fundus = shared / "extraction-dev"
    for page_id, row in json.loads((fundus / "ground_truth.json").read_text(encoding="utf-8")).items():
        html = gzip.decompress((fundus / "html" / f"{page_id}.html.gz").read_bytes())
        _, title = _page_site(html)
        items.append(Item(f"fundus/{page_id}", "fundus", page_id.rsplit("_", 1)[0], title, row["article_body"]))
    for line in (shared / "stories-dev" / "ecbplus.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        # ECB+ gives no outlet; one topic's articles (two events) go to one half
        items.append(Item(f"ecbplus/{row['id']}", "ecbplus", f"ecbplus:topic{row['topic']}", row["title"], row["text"]))
    for line in (shared / "topics-dev" / "muc4.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        if row["split"] != "train":
            continue
        # MUC gives no outlet either: wires numbered close together share
        # their period and sources, so blocks of 100 go to one half
        number = int(re.sub(r"\D", "", row["id"].rsplit("-", 1)[-1]) or 0)
        items.append(Item(f"muc-train/{row['id']}", "muc-train", f"muc:{row['id'].rsplit('-', 1)[0]}:{number // 100}",
                          None, row["text"]))
    return items


def load_texts(keys: set[str], shared: Path = SHARED) -> dict[str, Item]:
    """The pool items with these keys."""
    return {it.key: it for it in load_pool(shared) if it.key in keys}


def candidates(pool: list[Item], seed: int = 20261202) -> list[tuple[Item, str]]:
    """(item, why) for the items to label: every non-MUC item whose matched
    terms of a topic weigh ``MIN_WEIGHT`` or more in all (one strong term,
    or a few weaker ones; negative contexts and thresholds ignored), or that
    the naive one-regex baseline of a topic matches; a sample of
    ``MUC_SAMPLE`` MUC train wires; ``RANDOM_SHARE`` of the rest, at random,
    to find what every keyword misses."""
    from newsflow.config import read_toml
    from parsers.boilerplate import fold
    from topics.tagger import _scan
    from topics.taxonomy import compile_taxonomy

    taxonomy = compile_taxonomy(read_toml(REPO / "config" / "topics.toml"))
    rng = random.Random(seed)
    chosen: list[tuple[Item, str]] = []
    rest: list[Item] = []
    muc = [it for it in pool if it.set == "muc-train"]
    for it in rng.sample(muc, min(MUC_SAMPLE, len(muc))):
        chosen.append((it, "muc_sample"))
    for it in pool:
        if it.set == "muc-train":
            continue
        weight: Counter[str] = Counter()
        for field in (it.title or "", it.text):
            for term, _, _ in _scan(fold(field), taxonomy):
                topic = taxonomy.topics[term.topic]
                w = topic.terms[term.index][1]
                if not term.negative and topic.key in KEYWORD_TOPICS and w > 0:
                    weight[topic.key] += w
        full = f"{it.title or ''} {it.text}"
        why = sorted({t for t, w in weight.items() if w >= MIN_WEIGHT}
                     | {t for t, rx in NAIVE.items() if re.search(rx, full, re.IGNORECASE)})
        if why:
            chosen.append((it, "keyword:" + ",".join(why)))
        else:
            rest.append(it)
    for it in rng.sample(rest, round(RANDOM_SHARE * len(rest))):
        chosen.append((it, "random"))
    return chosen


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("candidates", help="write the labelling candidates")
    c.add_argument("--out", type=Path, required=True)
    c.add_argument("--shared", type=Path, default=SHARED)
    args = ap.parse_args(argv)
    pool = load_pool(args.shared)
    chosen = candidates(pool)
    with args.out.open("w", encoding="utf-8") as fh:
        for it, why in chosen:
            fh.write(json.dumps({"key": it.key, "set": it.set, "site": it.site, "title": it.title,
                                 "text": it.text, "why": why}, ensure_ascii=False) + "\n")
    by_set = Counter(it.set for it, _ in chosen)
    by_why = Counter(why.split(":")[0] for _, why in chosen)
    print(f"pool {len(pool)} items; {len(chosen)} candidates: {dict(by_set)}; {dict(by_why)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
