"""Extraction benchmark: newsflow's extractor against bare trafilatura,
readability-lxml and newspaper4k on real pages from five public sets,
each scored under its own gold convention.

Run from the repository root (after ``./dev test``, which builds .venv)::

    .venv/bin/python bench/extraction.py                      # everything (~10 min)
    .venv/bin/python bench/extraction.py --sets fundus --limit 20 --peers trafilatura
    .venv/bin/python bench/extraction.py --save /tmp/ex       # predictions and per-page scores

Data (beside the repository, ``../shared``):

* ``data/extraction-corpus/<set>/``: ``wcxb-dev``, ``dragnet``,
  ``readability``, ``cleanportaleval`` (``gold.jsonl`` and ``pages/``);
* ``data/extraction-dev/``: ``fundus``, 80 news pages of 16 publishers;
* ``eval/score_bodies.py``: the scorer (4-gram shingle precision, recall
  and F1, as the scrapinghub article-extraction benchmark scores bodies).

Gold conventions differ between the sets (see the corpus README), so the
text scored is decided once per set, never per page: where the gold holds
the headline (``dragnet``, ``cleanportaleval``) each extractor is scored on
its title, then (newsflow only) its standfirst, then its text; elsewhere on
its text alone.

Extractors, on the same pages in the same run:

* ``newsflow``: :func:`parsers.extract.extract_page` on the page's bytes, as
  the pipeline calls it (no site rules: most sites here have one page);
* ``trafilatura``: bare ``trafilatura.extract(bytes, url=..., include_comments=False)``;
  its title, author and date from ``trafilatura.extract_metadata`` (not timed);
* ``readability``: readability-lxml's ``Document(html).summary()`` as text
  (HTML decoded by newsflow's decoder); its ``short_title()``;
* ``newspaper``: newspaper4k's ``Article.parse()`` text and title, run in
  ``bench/.peers-venv`` (built once by ``bench/peers.py``).

Speed: newsflow and trafilatura are timed page by page, alternating on the
same page in one process (``--jobs 1``), so both see the same machine load;
the figure is pages over the summed seconds of each.  With ``--jobs N`` the
pages are spread over N processes (quicker, for tuning; the per-page
seconds are still single-core times, but read them with care).

The last line is one JSON object with the figures, keyed as issue 18 names
them (``f1_<set>``, ``min_margin_vs_trafilatura``, ...).
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import logging
import random
import re
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SHARED = REPO.parent / "shared"
CORPUS_SETS = ("wcxb-dev", "dragnet", "readability", "cleanportaleval")
SETS = (*CORPUS_SETS, "fundus")
HEADLINE_SETS = frozenset({"dragnet", "cleanportaleval"})  # their gold holds the headline
PEERS = ("trafilatura", "readability", "newspaper")
EXTRACTORS = ("newsflow", *PEERS)
FETCHED_AT = datetime(2026, 12, 1, tzinfo=UTC)
MARGIN_FLOOR = -0.002  # no set may lose more than this against trafilatura
_BLOCK_TAGS = ("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre",
               "figcaption", "tr", "table", "ul", "ol", "section", "article", "header", "footer", "dd", "dt")


@dataclass(slots=True)
class BenchPage:
    set: str
    id: str
    url: str | None
    body: bytes
    gold: dict[str, Any]

    @property
    def key(self) -> str:
        return f"{self.set}/{self.id}"


@dataclass(slots=True)
class Pred:
    """What one extractor made of one page."""

    key: str
    title: str | None = None
    standfirst: str | None = None
    text: str = ""
    authors: list[str] = field(default_factory=list)
    date: str | None = None
    seconds: float = 0.0
    drop: str | None = None  # newsflow: the drop reason
    error: str | None = None  # an exception, with its class

    def scored(self, headline_set: bool) -> str:
        if not headline_set:
            return self.text
        return "\n".join(x for x in (self.title, self.standfirst, self.text) if x)


# --- data -----------------------------------------------------------------------

class DataError(Exception):
    pass


def load_pages(shared: Path, sets: Iterable[str], limit: int | None = None) -> list[BenchPage]:
    pages: list[BenchPage] = []
    for name in sets:
        got: list[BenchPage] = []
        if name == "fundus":
            folder = shared / "data" / "extraction-dev"
            gt_file = folder / "ground_truth.json"
            if not gt_file.is_file():
                raise DataError(f"{gt_file} not found")
            for page_id, row in json.loads(gt_file.read_text(encoding="utf-8")).items():
                body = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
                got.append(BenchPage("fundus", page_id, row["url"], body, {"id": page_id, "body": row["article_body"]}))
        else:
            folder = shared / "data" / "extraction-corpus" / name
            if not (folder / "gold.jsonl").is_file():
                raise DataError(f"{folder / 'gold.jsonl'} not found")
            for line in (folder / "gold.jsonl").open(encoding="utf-8"):
                row = json.loads(line)
                body = gzip.decompress((folder / "pages" / f"{row['id']}.html.gz").read_bytes())
                got.append(BenchPage(name, row["id"], row.get("url"), body, row))
        pages += got[:limit] if limit else got
    return pages


def load_scorer(shared: Path) -> ModuleType:
    path = shared / "eval" / "score_bodies.py"
    if not path.is_file():
        raise DataError(f"{path} not found")
    spec = importlib.util.spec_from_file_location("score_bodies", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- extractors -------------------------------------------------------------------

def _page_url(page: BenchPage) -> str:
    # sets without URLs: a neutral one, so no extractor gets a hint from it
    return page.url or f"https://example.org/{page.set}/{page.id}"


def run_newsflow(page: BenchPage) -> Pred:
    from newsflow.records import Article, Page
    from parsers.extract import extract_page

    p = Page(url=_page_url(page), final_url=_page_url(page), source=page.set, status=200,
             content_type="text/html", charset=None, body=page.body, fetched_at=FETCHED_AT)
    t0 = time.perf_counter()
    try:
        result = extract_page(p)
    except Exception as exc:  # noqa: BLE001 - counted as internal_errors, the benchmark goes on
        return Pred(page.key, seconds=time.perf_counter() - t0, error=f"{type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - t0
    if not isinstance(result, Article):
        return Pred(page.key, seconds=seconds, drop=result.reason,
                    error=result.detail if result.reason == "internal_error" else None)
    return Pred(page.key, result.title, getattr(result, "standfirst", None), result.text, list(result.authors),
                result.published_at.date().isoformat() if result.published_at else None, seconds)


def run_trafilatura(page: BenchPage) -> Pred:
    import trafilatura

    t0 = time.perf_counter()
    try:
        text = trafilatura.extract(page.body, url=_page_url(page), include_comments=False) or ""
    except Exception as exc:  # noqa: BLE001 - a peer's failure is an empty page
        return Pred(page.key, seconds=time.perf_counter() - t0, error=f"{type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - t0
    try:
        meta = trafilatura.extract_metadata(page.body, default_url=_page_url(page))
    except Exception:  # noqa: BLE001
        meta = None
    authors = [a.strip() for a in (meta.author or "").split(";") if a.strip()] if meta else []
    return Pred(page.key, meta.title if meta else None, None, text, authors, meta.date if meta else None, seconds)


def readability_text(html: str) -> tuple[str | None, str]:
    """readability-lxml's title and article, as text: blocks on their own lines."""
    import lxml.html
    from readability import Document

    doc = Document(html)
    tree = lxml.html.fromstring(doc.summary())
    for el in tree.iter(*_BLOCK_TAGS, "br"):
        el.tail = "\n" + (el.tail or "")
    lines = (re.sub(r"\s+", " ", line).strip() for line in tree.text_content().split("\n"))
    return doc.short_title() or None, "\n".join(line for line in lines if line)


def run_readability(page: BenchPage) -> Pred:
    from parsers.html import decode_html

    t0 = time.perf_counter()
    try:
        html, _ = decode_html(page.body, None)
        title, text = readability_text(html)
    except Exception as exc:  # noqa: BLE001
        return Pred(page.key, seconds=time.perf_counter() - t0, error=f"{type(exc).__name__}: {exc}")
    return Pred(page.key, title, None, text, seconds=time.perf_counter() - t0)


def _work(args: tuple[list[BenchPage], tuple[str, ...]]) -> dict[str, list[Pred]]:
    """Run the in-process extractors over some pages, alternating page by page."""
    pages, names = args
    for name in ("trafilatura", "htmldate", "courlan", "readability", "readability.readability", "parsers",
                 "newsflow"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    runners: dict[str, Callable[[BenchPage], Pred]] = {
        "newsflow": run_newsflow, "trafilatura": run_trafilatura, "readability": run_readability}
    out: dict[str, list[Pred]] = {n: [] for n in names}
    for page in pages:
        for name in names:
            out[name].append(runners[name](page))
    return out


def run_in_process(pages: list[BenchPage], names: tuple[str, ...], jobs: int) -> dict[str, list[Pred]]:
    if not names:
        return {}
    # warm-up (imports, lazy regexes), not timed
    _work((pages[:3], names))
    if jobs <= 1:
        return _work((pages, names))
    parts = [pages[i::jobs] for i in range(jobs)]
    out: dict[str, list[Pred]] = {n: [] for n in names}
    with get_context("forkserver").Pool(jobs) as pool:
        for res in pool.imap_unordered(_work, [(p, names) for p in parts]):
            for n in names:
                out[n] += res[n]
    order = {p.key: i for i, p in enumerate(pages)}
    for n in names:
        out[n].sort(key=lambda pr: order[pr.key])
    return out


def run_newspaper(pages: list[BenchPage]) -> list[Pred]:
    """newspaper4k in the peers venv (see bench/peers.py), page by page."""
    sys.path.insert(0, str(REPO / "bench"))
    import peers

    with tempfile.TemporaryDirectory(prefix="nf-newspaper-") as tmp:
        folder = Path(tmp) / "pages"
        peers.write_pages(((_page_url(p), p.body) for p in pages), folder)
        texts = peers.extract_texts("newspaper4k", folder, Path(tmp) / "out.jsonl")
    names = sorted(texts)
    if len(names) != len(pages):
        raise peers.PeerError(f"newspaper4k returned {len(names)} of {len(pages)} pages")
    return [Pred(p.key, texts[n].get("title"), None, texts[n].get("text") or "",
                 error=texts[n].get("error")) for p, n in zip(pages, names, strict=True)]


# --- scoring ----------------------------------------------------------------------

def pred_row(page: BenchPage, pred: Pred, prefix: bool = False) -> dict[str, Any]:
    row: dict[str, Any] = {"id": page.key if prefix else page.id, "body": pred.scored(page.set in HEADLINE_SETS)}
    if page.set == "wcxb-dev":
        row.update(title=pred.title, author=pred.authors, date=pred.date)
    return row


def gold_row(page: BenchPage, prefix: bool = False) -> dict[str, Any]:
    return {**page.gold, "id": page.key if prefix else page.id}


def paired_bootstrap(scorer: ModuleType, a: list[dict], b: list[dict], n: int = 1000,
                     seed: int = 0) -> tuple[float, float]:
    """95% interval of F1(a) - F1(b) over pages resampled together."""
    rng = random.Random(seed)
    ca = [(p["tp"], p["fp"], p["fn"]) for p in a]
    cb = [(p["tp"], p["fp"], p["fn"]) for p in b]
    diffs = []
    for _ in range(n):
        idx = [rng.randrange(len(ca)) for _ in ca]
        diffs.append(scorer.corpus_prf([ca[i] for i in idx])[2] - scorer.corpus_prf([cb[i] for i in idx])[2])
    diffs.sort()
    return diffs[int(0.025 * n)], diffs[int(0.975 * n) - 1]


def score_all(scorer: ModuleType, pages: list[BenchPage], preds: dict[str, list[Pred]],
              bootstrap: int) -> dict[str, Any]:
    """Per set and pooled: every extractor's scores, newsflow's margin."""
    out: dict[str, Any] = {"sets": {}, "pooled": {}}
    sets = [s for s in SETS if any(p.set == s for p in pages)]
    for s in [*sets, "pooled"]:
        idx = [i for i, p in enumerate(pages) if s == "pooled" or p.set == s]
        gold = [gold_row(pages[i], prefix=True) for i in idx]
        entry: dict[str, Any] = {"pages": len(idx)}
        for name, plist in preds.items():
            res = scorer.score(gold, [pred_row(pages[i], plist[i], prefix=True) for i in idx])
            entry[name] = res
        if "trafilatura" in preds and bootstrap:
            entry["margin_ci"] = paired_bootstrap(scorer, entry["newsflow"]["per_page"],
                                                  entry["trafilatura"]["per_page"], bootstrap)
        if s == "pooled":
            out["pooled"] = entry
        else:
            out["sets"][s] = entry
    return out


# --- report -----------------------------------------------------------------------

def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths)))]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    return "\n".join(lines)


def _snake(name: str) -> str:
    return name.replace("-", "_")


def report(pages: list[BenchPage], preds: dict[str, list[Pred]], scores: dict[str, Any],
           worst: int) -> dict[str, Any]:
    from parsers.boilerplate import contains_cta

    names = list(preds)
    rows = []
    for s, entry in [*scores["sets"].items(), ("pooled", scores["pooled"])]:
        row = [s, str(entry["pages"])]
        row += [f"{entry[n]['f1']:.3f}" for n in names]
        nf, tr = entry["newsflow"], entry.get("trafilatura")
        row += [f"{nf['precision']:.3f}", f"{nf['recall']:.3f}"]
        if tr is not None:
            lo_hi = entry.get("margin_ci")
            row.append(f"{nf['f1'] - tr['f1']:+.3f}" + (f" [{lo_hi[0]:+.3f}, {lo_hi[1]:+.3f}]" if lo_hi else ""))
        rows.append(row)
    print(f"Extraction: {len(pages)} pages; each set scored under its own gold convention "
          f"(headline sets: {', '.join(sorted(HEADLINE_SETS))})\n")
    print("F1 (4-gram shingles) per set")
    print(_table(["set", "pages", *names, "nf_P", "nf_R",
                  *(["margin vs trafilatura [95% CI]"] if "trafilatura" in preds else [])], rows))

    out: dict[str, Any] = {"pages": len(pages)}
    for s, entry in scores["sets"].items():
        k = _snake(s)
        out[f"f1_{k}"] = entry["newsflow"]["f1"]
        out[f"precision_{k}"] = entry["newsflow"]["precision"]
        out[f"recall_{k}"] = entry["newsflow"]["recall"]
        for n in PEERS:
            if n in entry:
                out[f"{n}_f1_{k}"] = entry[n]["f1"]
    out["f1"] = scores["pooled"]["newsflow"]["f1"]
    nf = {p.key: p for p in preds["newsflow"]}
    if "trafilatura" in preds:
        tr = {p.key: p for p in preds["trafilatura"]}
        out["trafilatura_f1"] = scores["pooled"]["trafilatura"]["f1"]
        out["min_margin_vs_trafilatura"] = min(e["newsflow"]["f1"] - e["trafilatura"]["f1"]
                                               for e in scores["sets"].values())
        out["pooled_margin_vs_trafilatura"] = out["f1"] - out["trafilatura_f1"]
        lost = [k for k in nf if not nf[k].text.strip() and tr[k].text.strip()]
        out["empty_where_trafilatura_has_text_share"] = len(lost) / len(pages)
        print(f"\nnewsflow empty where trafilatura has text: {len(lost)} pages"
              + (f" ({', '.join(lost[:8])}{' ...' if len(lost) > 8 else ''})" if lost else ""))
    errors = [p for p in preds["newsflow"] if p.error]
    out["internal_errors"] = len(errors)
    for p in errors[:5]:
        print(f"internal error on {p.key}: {p.error}")
    wcxb = scores["sets"].get("wcxb-dev")
    if wcxb is not None:
        for metric in ("title_exact", "author_match", "date_exact"):
            out[f"{metric}_wcxb_dev"] = wcxb["newsflow"].get(metric)
            if "trafilatura" in wcxb:
                out[f"trafilatura_{metric}_wcxb_dev"] = wcxb["trafilatura"].get(metric)
        print("\nwcxb-dev metadata     newsflow  trafilatura")
        for metric in ("title_exact", "author_match", "date_exact"):
            t = wcxb.get("trafilatura", {}).get(metric)
            print(f"  {metric:<18} {wcxb['newsflow'].get(metric) or 0:>9.3f}  {t or 0:>11.3f}")
    out["cta_pages"] = sum(1 for p in preds["newsflow"] if contains_cta(p.text))
    drops: dict[str, int] = {}
    for p in preds["newsflow"]:
        if p.drop:
            drops[p.drop] = drops.get(p.drop, 0) + 1
    out["drops"] = drops
    seconds = sum(p.seconds for p in preds["newsflow"])
    out["pages_per_s"] = len(pages) / seconds if seconds else None
    if "trafilatura" in preds:
        t_seconds = sum(p.seconds for p in preds["trafilatura"])
        out["trafilatura_pages_per_s"] = len(pages) / t_seconds if t_seconds else None
        out["speed_ratio_to_trafilatura"] = t_seconds / seconds if seconds else None
        print(f"\nspeed, one core: newsflow {out['pages_per_s']:.1f} pages/s, trafilatura "
              f"{out['trafilatura_pages_per_s']:.1f} pages/s: {out['speed_ratio_to_trafilatura']:.2f}x")
    print(f"newsflow drops: {drops or 'none'}; call-to-action phrase in {out['cta_pages']} output(s)")
    if "trafilatura" in preds and min(out["min_margin_vs_trafilatura"], 1) < MARGIN_FLOOR:
        worst_set = min(scores["sets"].items(), key=lambda kv: kv[1]["newsflow"]["f1"] - kv[1]["trafilatura"]["f1"])
        print(f"GATE: {worst_set[0]} loses more than {-MARGIN_FLOOR} F1 against trafilatura")

    if worst > 0 and "trafilatura" in preds:
        per: list[tuple[float, str, float, float]] = []
        for s, entry in scores["sets"].items():
            ids = [p.key for p in pages if p.set == s]
            for k, a, b in zip(ids, entry["newsflow"]["per_page"], entry["trafilatura"]["per_page"], strict=True):
                per.append((a["f1"] - b["f1"], k, a["f1"], b["f1"]))
        per.sort()
        print(f"\n{worst} pages where newsflow loses most against trafilatura")
        print(_table(["page", "newsflow", "trafilatura", "diff", "drop"],
                     [[k, f"{a:.3f}", f"{b:.3f}", f"{d:+.3f}", nf[k].drop or ""] for d, k, a, b in per[:worst]]))
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in out.items()}


def save(directory: Path, pages: list[BenchPage], preds: dict[str, list[Pred]], scores: dict[str, Any]) -> None:
    """Predictions and per-page scores, for finding the pages a change moved."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, plist in preds.items():
        with (directory / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
            for p in plist:
                fh.write(json.dumps(asdict(p), ensure_ascii=False) + "\n")
    with (directory / "per_page.jsonl").open("w", encoding="utf-8") as fh:
        for s, entry in scores["sets"].items():
            ids = [p.key for p in pages if p.set == s]
            for i, k in enumerate(ids):
                row = {"key": k}
                for name in preds:
                    row[name] = round(entry[name]["per_page"][i]["f1"], 4)
                fh.write(json.dumps(row) + "\n")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=SHARED, help=f"the shared folder (default {SHARED})")
    ap.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, from {', '.join(SETS)}")
    ap.add_argument("--peers", default=",".join(PEERS), help=f"comma-separated, from {', '.join(PEERS)} (or '')")
    ap.add_argument("--limit", type=int, default=None, help="only the first N pages of each set")
    ap.add_argument("--jobs", type=int, default=1, help="processes (1: the speed figures are one core's)")
    ap.add_argument("--bootstrap", type=int, default=1000, help="resamples for the margin's interval (0: none)")
    ap.add_argument("--worst", type=int, default=0, metavar="K", help="print the K pages newsflow loses most on")
    ap.add_argument("--save", type=Path, default=None, metavar="DIR", help="write predictions and per-page F1")
    args = ap.parse_args(argv)
    args.sets = [s for s in args.sets.split(",") if s]
    args.peers = [p for p in args.peers.split(",") if p]
    for s in args.sets:
        if s not in SETS:
            ap.error(f"unknown set {s!r}")
    for p in args.peers:
        if p not in PEERS:
            ap.error(f"unknown peer {p!r}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        scorer = load_scorer(args.shared)
        pages = load_pages(args.shared, args.sets, args.limit)
    except DataError as exc:
        print(f"error: {exc} (use --shared to point at the shared folder)", file=sys.stderr)
        return 2
    local = tuple(n for n in ("newsflow", "trafilatura", "readability") if n == "newsflow" or n in args.peers)
    t0 = time.perf_counter()
    preds = run_in_process(pages, local, args.jobs)
    print(f"extracted {len(pages)} pages with {', '.join(local)} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    if "newspaper" in args.peers:
        try:
            preds["newspaper"] = run_newspaper(pages)
        except Exception as exc:  # noqa: BLE001 - a peer that cannot run is reported, not fatal
            print(f"newspaper4k could not run: {exc}\n{traceback.format_exc(limit=2)}", file=sys.stderr)
    scores = score_all(scorer, pages, preds, args.bootstrap)
    summary = report(pages, preds, scores, args.worst)
    if args.save is not None:
        save(args.save, pages, preds, scores)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
