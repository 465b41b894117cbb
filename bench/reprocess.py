"""``newsflow reprocess --all`` over stored warehouses of two sizes: its
speed with the extraction worker processes and with extraction in the flow's
process, and its peak memory as the warehouse grows.

    .venv/bin/python bench/reprocess.py [--sizes 1000,5000] [--reps 3]

What it does
    1. **Warehouses.**  The corpus and loopback site of ``bench/pipeline.py``
       (generated news pages, 8 outlets); for each size, one ingest into a
       fresh warehouse (``run_ingest`` without Prefect, as pipeline.py's
       ``--plain-run``).
    2. **Runs.**  For each size and repetition, a copy of that warehouse
       (file, packs and search index) is reprocessed in a fresh process by
       ``flows.reprocess.run_reprocess(everything=True)``: every stored page
       read back, extracted again, compared and its extractor version
       written.  Once with the worker processes (one per core, the default)
       and once with ``NEWSFLOW_EXTRACT_PROCESSES=1``, interleaved.  No
       Prefect: the flow wraps this function, and its start-up is
       pipeline.py's business.
    3. **Measured:** wall time (pages/s = stored pages / wall), peak RSS of
       the flow process (``wait4``, exact) and of the process tree (sampled
       every 0.1 s, so it can miss a short peak the flow's figure catches),
       medians of ``--reps``; MB are 10^6 bytes.  ``speedup`` = workers pages/s /
       one-process pages/s at the largest size; ``peak_rss_ratio`` = the flow
       process's peak RSS at the largest size / at the smallest (reprocess
       holds one batch of pages, so it should stay near 1).

A table and, as the last line, one JSON object go to stdout; progress to
stderr.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import pickle
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pipeline  # noqa: E402  bench/pipeline.py: a bench script's own folder is on sys.path


def reprocess_once(db: str) -> int:
    """The measured child: reprocess every stored page of ``db``."""
    from flows.reprocess import run_reprocess
    from warehouse import Warehouse

    summary = run_reprocess(Warehouse(db), everything=True)
    print(json.dumps({k: v for k, v in summary.items() if k != "changed_articles"}))
    return 0 if summary["failed"] == 0 else 1


def copy_warehouse(src: Path, dst: Path) -> Path:
    """The warehouse file of ``src`` (a directory) with its packs and search index."""
    dst.mkdir()
    for item in src.iterdir():
        if item.name.startswith("w.") and not item.name.startswith("w.read"):
            (shutil.copytree if item.is_dir() else shutil.copy2)(item, dst / item.name)
    return dst / "w.duckdb"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,5000", help="stored pages per warehouse (ascending)")
    ap.add_argument("--reps", type=int, default=3, help="repetitions of every run (>= 3)")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--reprocess-once", metavar="DB", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.reprocess_once:
        return reprocess_once(args.reprocess_once)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if args.reps < 3:
        ap.error("--reps must be >= 3")

    tmp = Path(tempfile.mkdtemp(prefix="newsflow-bench-reprocess-", dir=args.workdir))
    logs = tmp / "logs.txt"
    site = stop = None
    rows: list[dict[str, Any]] = []
    try:
        corpus = pipeline.build_corpus(max(sizes))
        corpus_file = tmp / "corpus.pickle"
        corpus_file.write_bytes(pickle.dumps(corpus))
        ctx = mp.get_context("spawn")
        ready, stop = ctx.Queue(), ctx.Event()
        site = ctx.Process(target=pipeline._serve, args=(str(corpus_file), ready, stop), daemon=True)
        site.start()
        bases = ready.get(timeout=120)
        env = {**os.environ, "DO_NOT_TRACK": "1"}
        env.pop("NEWSFLOW_EXTRACT_PROCESSES", None)
        stored: dict[int, Path] = {}
        for size in sizes:
            d = tmp / f"stored-{size}"
            d.mkdir()
            (d / "sources.toml").write_text(pipeline.sources_toml(bases, size, 500), encoding="utf-8")
            m = pipeline.run_measured([sys.executable, str(ROOT / "bench" / "pipeline.py"), "--plain-run",
                                       str(d / "sources.toml"), str(d / "w.duckdb")], env, logs)
            if m.returncode != 0:
                raise RuntimeError(f"ingest of {size} failed; see {logs}")
            facts = pipeline.run_facts(d / "w.duckdb")
            pipeline.log(f"stored {facts['loaded']:,} articles of {size:,} pages in {m.wall_s:.0f} s")
            stored[size] = d
        stop.set()
        site.join(timeout=10)
        site = None

        for size in sizes:
            for rep in range(args.reps):
                for kind in ("workers", "one process"):
                    run_env = dict(env)
                    if kind == "one process":
                        run_env["NEWSFLOW_EXTRACT_PROCESSES"] = "1"
                    db = copy_warehouse(stored[size], tmp / f"run-{size}-{rep}-{kind.replace(' ', '-')}")
                    m = pipeline.run_measured([sys.executable, str(Path(__file__).resolve()), "--reprocess-once",
                                               str(db)], run_env, logs)
                    if m.returncode != 0:
                        raise RuntimeError(f"reprocess of {size} ({kind}) failed ({m.returncode}); see {logs}")
                    pages = _pages(logs)
                    rows.append({"size": size, "kind": kind, "pages": pages, "wall_s": m.wall_s,
                                 "pages_per_s": pages / m.wall_s, "main_peak_rss": m.main_peak_rss,
                                 "tree_peak_rss": m.tree_peak_rss})
                    pipeline.log(f"  {size:,} {kind} #{rep}: {pages:,} pages in {m.wall_s:.1f} s,"
                                 f" flow RSS {pipeline.mb(m.main_peak_rss)}, tree {pipeline.mb(m.tree_peak_rss)}")
                    shutil.rmtree(db.parent)
    finally:
        if site is not None and stop is not None:
            stop.set()
            site.join(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    return report(rows, sizes)


def _pages(logs: Path) -> int:
    """Pages of the last reprocess run: the JSON line its child printed last."""
    for line in reversed(logs.read_text(encoding="utf-8", errors="replace").splitlines()):
        if line.startswith("{") and '"pages"' in line:
            return int(json.loads(line)["pages"])
    raise RuntimeError(f"no reprocess summary in {logs}")


def report(rows: list[dict[str, Any]], sizes: list[int]) -> int:
    def med(size: int, kind: str, key: str) -> float:
        return statistics.median(r[key] for r in rows if r["size"] == size and r["kind"] == kind)

    print(f"{'stored pages':>12}  {'extraction':<12} {'pages/s':>8} {'wall s':>7} {'flow RSS':>9} {'tree RSS':>9}")
    for size in sizes:
        for kind in ("workers", "one process"):
            print(f"{size:>12,}  {kind:<12} {med(size, kind, 'pages_per_s'):>8.1f} {med(size, kind, 'wall_s'):>7.1f}"
                  f" {pipeline.mb(med(size, kind, 'main_peak_rss')):>9} {pipeline.mb(med(size, kind, 'tree_peak_rss')):>9}")
    big, small = sizes[-1], sizes[0]
    figures = {
        "reprocess_pages_per_s": round(med(big, "workers", "pages_per_s"), 1),
        "one_process_pages_per_s": round(med(big, "one process", "pages_per_s"), 1),
        "speedup": round(med(big, "workers", "pages_per_s") / med(big, "one process", "pages_per_s"), 2),
        "flow_peak_rss_mb": round(med(big, "workers", "main_peak_rss") / 1e6),
        "tree_peak_rss_mb": round(med(big, "workers", "tree_peak_rss") / 1e6),
        "peak_rss_ratio": round(med(big, "workers", "main_peak_rss") / med(small, "workers", "main_peak_rss"), 2),
        "sizes": sizes,
    }
    print(f"\nat {big:,} stored pages: workers {figures['speedup']}x one process; flow peak RSS"
          f" {big:,}/{small:,} pages {figures['peak_rss_ratio']}x")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
