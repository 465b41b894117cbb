"""``newsflow compact`` with a retention over a warehouse of stored pages:
how long giving up the old HTML and compacting the packs takes, what it
gives back, and the memory it needs.

    .venv/bin/python bench/compact.py [--pages 10000] [--keep-days 10] [--reps 3]

What it does
    1. **Warehouse.**  The generated news pages of ``bench/pipeline.py``
       (``build_corpus``: 222 KB of HTML a page on average, 400 pages a day)
       are stored through the real ``Warehouse.load`` with their raw pages,
       in runs of 500 pages (one pack each), each page fetched at its
       publication time; articles are minimal (no extraction: this measures
       the page store, not the pipeline).
    2. **Runs.**  For each repetition, a copy of that warehouse (file and
       packs) is compacted in a fresh process by
       ``flows.compact.run_compact(keep_days=--keep-days)`` with ``now`` = one
       minute after the last page: pages fetched more than ``--keep-days``
       ago lose their HTML, and the packs are removed or rewritten.
    3. **Measured:** wall time of ``run_compact`` (forget, compact, publish),
       the packs' bytes before and after, pages given up, and the compacting
       process's peak RSS (``VmHWM``); medians of ``--reps``.  MB are 10^6
       bytes.

A table and, as the last line, one JSON object go to stdout; progress to
stderr.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pipeline  # noqa: E402  bench/pipeline.py: a bench script's own folder is on sys.path

RUN_PAGES = 500


def build(db: Path, n: int) -> Any:
    """Store ``n`` corpus pages; returns the last page's fetch time."""
    from newsflow.records import Article, Page
    from warehouse import Warehouse, pages

    corpus = pipeline.build_corpus(n)
    wh = Warehouse(db)
    wh.migrate()
    last = None
    for start in range(0, n, RUN_PAGES):
        arts, raw = [], {}
        for i in range(start, min(n, start + RUN_PAGES)):
            outlet, path, published, title, _, _ = corpus.pages[i]
            url = f"https://outlet{outlet}.example{path}"
            arts.append(Article(article_id=f"a{i}", url=url, canonical_url=url, source=f"outlet{outlet}",
                                site=f"outlet{outlet}.example", title=title, authors=(), published_at=published,
                                language="en", text=title, fetched_at=published, http_status=200,
                                extractor="bench", content_hash=f"h{i}", story_id=f"a{i}"))
            raw[url] = Page(url=url, final_url=url, source=f"outlet{outlet}", status=200, content_type="text/html",
                            charset="utf-8", body=corpus.html(i), fetched_at=published)
            last = published
        wh.load(f"run-{start // RUN_PAGES:03d}", arts, [], [], [], [], "bench", raw_pages=pages.raw_rows(arts, raw))
        pipeline.log(f"  stored {min(n, start + RUN_PAGES):,} pages")
    return last


def _compact_once(db: str, keep_days: float, now: Any, out: Any) -> None:
    from flows.compact import run_compact
    from warehouse import Warehouse

    t = time.perf_counter()
    result = run_compact(Warehouse(db), keep_days, now=now)
    wall = time.perf_counter() - t
    rss = 0.0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            rss = int(line.split()[1]) * 1024 / 1e6
    out.put({"wall_s": wall, "given_up": result.forgotten.pages if result.forgotten else 0,
             "before": result.bytes_before, "after": result.bytes_after, "peak_rss_mb": rss,
             "actions": sorted({c.action for c in result.changes})})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=10_000)
    ap.add_argument("--keep-days", type=float, default=10.0, help="the retention compacted to")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args(argv)
    if args.reps < 3:
        ap.error("--reps must be >= 3")
    tmp = Path(tempfile.mkdtemp(prefix="newsflow-bench-compact-", dir=args.workdir))
    rows = []
    try:
        base = tmp / "base"
        base.mkdir()
        t = time.perf_counter()
        last = build(base / "w.duckdb", args.pages)
        pipeline.log(f"built in {time.perf_counter() - t:.0f} s")
        ctx = mp.get_context("spawn")
        for rep in range(args.reps):
            run = tmp / f"run-{rep}"
            shutil.copytree(base, run)
            q = ctx.Queue()
            p = ctx.Process(target=_compact_once, args=(str(run / "w.duckdb"), args.keep_days,
                                                       last + timedelta(minutes=1), q))
            p.start()
            rows.append(q.get(timeout=3600))
            p.join()
            pipeline.log(f"  #{rep}: {rows[-1]}")
            shutil.rmtree(run)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    med = {k: statistics.median(r[k] for r in rows) for k in ("wall_s", "given_up", "before", "after", "peak_rss_mb")}
    print(f"compact with keep_days {args.keep_days:g} over {args.pages:,} stored pages "
          f"({args.pages // RUN_PAGES} packs of {RUN_PAGES}), medians of {len(rows)}")
    print(f"{'figure':<36}{'value':>14}")
    for name, value in (("pages whose HTML was given up", f"{med['given_up']:,.0f}"),
                        ("packs before", f"{med['before'] / 1e6:,.1f} MB"),
                        ("packs after", f"{med['after'] / 1e6:,.1f} MB"),
                        ("given back", f"{(med['before'] - med['after']) / 1e6:,.1f} MB"),
                        ("run_compact wall time", f"{med['wall_s']:.2f} s"),
                        ("  of all runs", ", ".join(f"{r['wall_s']:.2f}" for r in rows)),
                        ("peak RSS, compacting process", f"{med['peak_rss_mb']:.0f} MB"),
                        ("pack actions", ", ".join(rows[0]["actions"]))):
        print(f"{name:<36}{value:>14}")
    print(json.dumps({"stored_pages": args.pages, "keep_days": args.keep_days, "pages_given_up": int(med["given_up"]),
                      "pack_mb_before": round(med["before"] / 1e6, 1), "pack_mb_after": round(med["after"] / 1e6, 1),
                      "compact_s": round(med["wall_s"], 3), "peak_rss_mb": round(med["peak_rss_mb"], 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
