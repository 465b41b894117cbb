"""Extraction benchmark: newsflow's extractor against plain trafilatura and
readability-lxml, scored on a hand-labelled set of news pages.

Run from the repository root::

    .venv/bin/python bench/extraction.py                 # full set, 3 timing runs
    .venv/bin/python bench/extraction.py --limit 10 --repeat 1 --worst 5

The data folder (default ``../shared/data/extraction-dev`` beside the repo)
holds ``html/<Publisher>_<n>.html.gz`` and ``ground_truth.json``
(``{page_id: {"url": ..., "article_body": ...}}``).

Every extractor gets the same page: newsflow gets the raw bytes (it decodes
them itself, as in the pipeline), the other two get the HTML text decoded
with newsflow's own ``decode_html``.  Each is scored with
:mod:`newsflow.evaluation` (bag-of-tokens P/R/F1 against ``article_body``);
a newsflow Drop or an extractor that returns nothing counts as empty text.

Throughput times the extraction calls only (no file reading, no scoring),
single process, as the median over ``--repeat`` runs of the whole set.

``newsflow+site`` is newsflow with per-site boilerplate rules
(:mod:`parsers.site_boilerplate`) learned leave-one-out, as the pipeline
would learn them from its warehouse: for each page, from newsflow's output
on the *other* pages of the same publisher (4 of 5 here).  Learning is not
timed; extraction with the rules is.

Authors are checked for plausibility independently of the extractor's own
filter: every author of a page must look like a person's name (two to five
words, no digits, no URL parts) and occur in the page's visible text.

The last line of stdout is one JSON object with the headline numbers.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import re
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import lxml.html  # noqa: E402
import trafilatura  # noqa: E402

from newsflow.evaluation import Score, aggregate, score_text  # noqa: E402
from newsflow.records import Article, Page  # noqa: E402
from parsers.boilerplate import contains_cta  # noqa: E402
from parsers.extract import extract_page  # noqa: E402
from parsers.html import decode_html, parse_tree  # noqa: E402
from parsers.site_boilerplate import SiteRules, learn_site_rules, learning_paragraphs  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "extraction-dev"
EXTRACTORS = ("newsflow", "newsflow+site", "trafilatura", "readability")
_BLOCK_TAGS = ("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre",
               "figcaption", "tr", "table", "ul", "ol", "section", "article", "header", "footer", "dd", "dt")


@dataclass(slots=True)
class BenchPage:
    """One page of the data set, loaded once."""

    page_id: str
    publisher: str
    url: str
    truth: str
    body: bytes
    html: str  # body decoded with parsers.html.decode_html


@dataclass(slots=True)
class Output:
    """What one extractor made of one page."""

    text: str
    article: Article | None = None  # newsflow only
    drop_reason: str | None = None  # newsflow only
    error: str | None = None


@dataclass(slots=True)
class Result:
    """One extractor over the whole set."""

    name: str
    outputs: dict[str, Output] = field(default_factory=dict)
    scores: dict[str, Score] = field(default_factory=dict)
    times: list[float] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return statistics.median(self.times)

    def pages_per_s(self, n: int) -> float:
        return n / self.seconds if self.seconds > 0 else float("inf")


# --- loading -----------------------------------------------------------------

class DataError(Exception):
    pass


def load_pages(data: Path, limit: int | None = None) -> list[BenchPage]:
    """The pages of the data set, in ground_truth.json's order."""
    gt_file = data / "ground_truth.json"
    html_dir = data / "html"
    if not data.is_dir():
        raise DataError(f"data folder not found: {data}")
    if not gt_file.is_file():
        raise DataError(f"ground truth not found: {gt_file}")
    if not html_dir.is_dir():
        raise DataError(f"html folder not found: {html_dir}")
    truth = json.loads(gt_file.read_text(encoding="utf-8"))
    pages: list[BenchPage] = []
    missing: list[str] = []
    for page_id, entry in truth.items():
        if limit is not None and len(pages) >= limit:
            break
        path = html_dir / f"{page_id}.html.gz"
        if not path.is_file():
            missing.append(page_id)
            continue
        body = gzip.decompress(path.read_bytes())
        html, _ = decode_html(body, None)
        publisher = page_id.rsplit("_", 1)[0]
        pages.append(BenchPage(page_id, publisher, entry["url"], entry.get("article_body") or "", body, html))
    if missing:
        print(f"warning: {len(missing)} pages in ground_truth.json have no html file: {', '.join(missing[:5])}",
              file=sys.stderr)
    if not pages:
        raise DataError(f"no pages found in {data}")
    return pages


# --- extractors ----------------------------------------------------------------

def run_newsflow(page: BenchPage, fetched_at: datetime, site_rules: SiteRules | None = None) -> Output:
    p = Page(url=page.url, final_url=page.url, source=page.publisher, status=200, content_type="text/html",
             charset=None, body=page.body, fetched_at=fetched_at)
    result = extract_page(p, site_rules=site_rules)
    if isinstance(result, Article):
        return Output(result.text, article=result)
    return Output("", drop_reason=result.reason)


def run_trafilatura(page: BenchPage, fetched_at: datetime) -> Output:
    try:
        text = trafilatura.extract(page.html, url=page.url, include_comments=False)
    except Exception as exc:  # noqa: BLE001 - a benchmark records failures, it does not stop
        return Output("", error=f"{type(exc).__name__}: {exc}")
    return Output(text or "")


def readability_text(html: str) -> str:
    """readability-lxml's article, as text: paragraphs joined by newlines."""
    from readability import Document

    summary = Document(html).summary()
    tree = lxml.html.fromstring(summary)
    for el in tree.iter(*_BLOCK_TAGS, "br"):
        el.tail = "\n" + (el.tail or "")
    lines = (re.sub(r"\s+", " ", line).strip() for line in tree.text_content().split("\n"))
    return "\n".join(line for line in lines if line)


def run_readability(page: BenchPage, fetched_at: datetime) -> Output:
    try:
        return Output(readability_text(page.html))
    except Exception as exc:  # noqa: BLE001
        return Output("", error=f"{type(exc).__name__}: {exc}")


RUNNERS: dict[str, Callable[[BenchPage, datetime], Output]] = {
    "newsflow": run_newsflow,  # newsflow+site needs its rules: see main()
    "trafilatura": run_trafilatura,
    "readability": run_readability,
}


def leave_one_out_rules(pages: list[BenchPage], plain: Result) -> dict[str, SiteRules]:
    """For each page, the site rules learned from newsflow's output on the
    other pages of its publisher (what the warehouse would hold)."""
    rules: dict[str, SiteRules] = {}
    for page in pages:
        others = []
        for other in pages:
            out = plain.outputs[other.page_id]
            if other.publisher == page.publisher and other.page_id != page.page_id and out.article is not None:
                others.append((other.page_id, learning_paragraphs(out.article.text, out.article.removed)))
        rules[page.page_id] = learn_site_rules(page.publisher, others)
    return rules


def run_extractor(name: str, pages: list[BenchPage], repeat: int,
                  runner: Callable[[BenchPage, datetime], Output] | None = None) -> Result:
    """Run one extractor over every page ``repeat`` times; keep the first
    run's outputs (extraction is deterministic) and every run's time."""
    runner = runner or RUNNERS[name]
    result = Result(name)
    fetched_at = datetime.now(UTC)
    for i in range(repeat):
        outputs: dict[str, Output] = {}
        start = time.perf_counter()
        for page in pages:
            outputs[page.page_id] = runner(page, fetched_at)
        result.times.append(time.perf_counter() - start)
        if i == 0:
            result.outputs = outputs
    for page in pages:
        result.scores[page.page_id] = score_text(result.outputs[page.page_id].text, page.truth)
    return result


_NAME_SHAPE = re.compile(r"^[^\W\d_][\w'’.-]*(?:\s+[^\W\d_][\w'’.-]*){1,4}$")


def visible_text(html: str) -> str:
    """The page's body text without scripts and styles, whitespace collapsed."""
    tree = parse_tree(html)
    for el in tree.xpath("//script | //style | //noscript | //template"):
        el.drop_tree()
    body = tree.find("body")
    return " ".join((body if body is not None else tree).text_content().split())


def implausible_authors(authors: tuple[str, ...], page_text: str) -> list[str]:
    """The authors that do not look like a person named on the page: not
    name-shaped (two to five words, no digits or URL parts) or absent from
    its visible text (case-insensitive)."""
    low = page_text.lower()
    return [a for a in authors
            if not _NAME_SHAPE.match(a) or "www" in a.lower() or "http" in a.lower() or a.lower() not in low]


def peak_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # kilobytes on Linux, bytes on macOS
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


# --- report ------------------------------------------------------------------

def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths)))]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    return "\n".join(lines)


def report(pages: list[BenchPage], results: dict[str, Result], worst: int,
           site_rules: dict[str, SiteRules]) -> dict[str, float | int]:
    n = len(pages)
    nf = results["newsflow"]

    publishers = sorted({p.publisher for p in pages}, key=str.lower)
    rows = []
    for pub in publishers:
        ids = [p.page_id for p in pages if p.publisher == pub]
        rows.append([pub, str(len(ids))] + [f"{aggregate(results[e].scores[i] for i in ids).f1:.3f}"
                                             for e in EXTRACTORS])
    print(f"Extraction benchmark: {n} pages, {len(publishers)} publishers, "
          f"timing = median of {len(nf.times)} run(s)\n")
    print("Mean F1 per publisher")
    print(_table(["publisher", "pages", *EXTRACTORS], rows))

    overall = {e: aggregate(results[e].scores.values()) for e in EXTRACTORS}
    rows = []
    for e in EXTRACTORS:
        r = results[e]
        empty = sum(1 for o in r.outputs.values() if not o.text.strip())
        cta = sum(1 for o in r.outputs.values() if contains_cta(o.text))
        rows.append([e, f"{overall[e].precision:.3f}", f"{overall[e].recall:.3f}", f"{overall[e].f1:.3f}",
                     f"{r.pages_per_s(n):.1f}", f"{r.seconds:.2f}", str(empty), str(cta)])
    print("\nOverall (mean over pages)")
    print(_table(["extractor", "precision", "recall", "f1", "pages/s", "seconds", "empty", "cta_pages"], rows))

    articles = [o.article for o in nf.outputs.values() if o.article is not None]
    drops: dict[str, int] = {}
    for o in nf.outputs.values():
        if o.drop_reason:
            drops[o.drop_reason] = drops.get(o.drop_reason, 0) + 1
    date_share = sum(1 for a in articles if a.published_at is not None) / n
    author_share = sum(1 for a in articles if a.authors) / n
    bad_authors: dict[str, list[str]] = {}
    for p in pages:
        art = nf.outputs[p.page_id].article
        if art is not None and art.authors:
            bad = implausible_authors(art.authors, visible_text(p.html))
            if bad:
                bad_authors[p.page_id] = bad
    with_authors = sum(1 for a in articles if a.authors)
    plausible_share = (with_authors - len(bad_authors)) / with_authors if with_authors else 1.0
    cta_pages = sum(1 for e in ("newsflow", "newsflow+site") for o in results[e].outputs.values()
                    if contains_cta(o.text))
    rss = peak_rss_mb()
    errors = {e: sum(1 for o in results[e].outputs.values() if o.error) for e in EXTRACTORS}
    print(f"\nnewsflow: date found on {date_share:.1%} of pages, authors on {author_share:.1%}, "
          f"call-to-action phrase in {cta_pages} output(s) (with or without site rules), "
          f"drops: {', '.join(f'{k}={v}' for k, v in sorted(drops.items())) or 'none'}")
    if any(errors.values()):
        print("extractor errors: " + ", ".join(f"{e}={c}" for e, c in errors.items() if c))
    print(f"authors plausible (name-shaped and printed on the page) on {plausible_share:.1%} of the "
          f"{with_authors} pages with authors" + (": implausible " + "; ".join(
              f"{k}: {', '.join(v)}" for k, v in sorted(bad_authors.items())) if bad_authors else ""))
    print(f"peak RSS of the process: {rss:.1f} MB")

    if worst > 0:
        ranked = sorted(pages, key=lambda p: (nf.scores[p.page_id].f1, p.page_id))[:worst]
        rows = []
        for p in ranked:
            s = nf.scores[p.page_id]
            o = nf.outputs[p.page_id]
            rows.append([p.page_id, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}",
                         f"{results['newsflow+site'].scores[p.page_id].f1:.3f}",
                         f"{results['trafilatura'].scores[p.page_id].f1:.3f}",
                         f"{results['readability'].scores[p.page_id].f1:.3f}",
                         str(len(o.text.split())), str(len(p.truth.split())), o.drop_reason or ""])
        print(f"\n{len(ranked)} worst pages for newsflow (by F1)")
        print(_table(["page", "P", "R", "F1", "site_f1", "trafilatura_f1", "readability_f1", "words", "truth_words",
                      "drop"],
                     rows))

    summary: dict[str, float | int] = {
        "pages": n,
        "f1": overall["newsflow"].f1,
        "precision": overall["newsflow"].precision,
        "recall": overall["newsflow"].recall,
        "site_f1": overall["newsflow+site"].f1,
        "site_precision": overall["newsflow+site"].precision,
        "site_recall": overall["newsflow+site"].recall,
        "site_pages_per_s": results["newsflow+site"].pages_per_s(n),
        "site_rules": sum(len(r.rules) for r in site_rules.values()) / n,
        "trafilatura_f1": overall["trafilatura"].f1,
        "trafilatura_precision": overall["trafilatura"].precision,
        "trafilatura_recall": overall["trafilatura"].recall,
        "readability_f1": overall["readability"].f1,
        "readability_precision": overall["readability"].precision,
        "readability_recall": overall["readability"].recall,
        "pages_per_s": nf.pages_per_s(n),
        "trafilatura_pages_per_s": results["trafilatura"].pages_per_s(n),
        "readability_pages_per_s": results["readability"].pages_per_s(n),
        "peak_rss_mb": rss,
        "date_share": date_share,
        "author_share": author_share,
        "authors_plausible_share": plausible_share,
        "cta_pages": cta_pages,
        "drops": sum(drops.values()),
    }
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in summary.items()}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA,
                    help=f"data folder with html/ and ground_truth.json (default: {DEFAULT_DATA})")
    ap.add_argument("--repeat", type=int, default=3, help="timing runs of the whole set; the median is reported")
    ap.add_argument("--limit", type=int, default=None, help="only the first N pages (quick runs)")
    ap.add_argument("--worst", type=int, default=0, metavar="K",
                    help="print the K pages where newsflow's F1 is lowest")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    if args.limit is not None and args.limit < 1:
        ap.error("--limit must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        import readability  # noqa: F401
    except ImportError:
        print("error: readability-lxml is not installed: .venv/bin/python -m pip install readability-lxml",
              file=sys.stderr)
        return 2
    try:
        pages = load_pages(args.data, args.limit)
    except DataError as exc:
        print(f"error: {exc} (use --data to point at the extraction-dev folder)", file=sys.stderr)
        return 2
    # The extractors log every page they find hard; the table says enough.
    for name in ("trafilatura", "htmldate", "courlan", "readability", "readability.readability"):
        logging.getLogger(name).setLevel(logging.CRITICAL)

    results = {"newsflow": run_extractor("newsflow", pages, args.repeat)}
    site_rules = leave_one_out_rules(pages, results["newsflow"])
    results["newsflow+site"] = run_extractor(
        "newsflow+site", pages, args.repeat,
        lambda page, fetched_at: run_newsflow(page, fetched_at, site_rules[page.page_id]))
    for name in ("trafilatura", "readability"):
        results[name] = run_extractor(name, pages, args.repeat)
    summary = report(pages, results, args.worst, site_rules)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
