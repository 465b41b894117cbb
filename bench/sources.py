"""The real pipeline on real pages from a thousand sources and more.

    .venv/bin/python bench/sources.py                  # ~1,350 sources, 2,393 pages, 3 runs
    .venv/bin/python bench/sources.py --replicate 3    # every site under 3 host names: ~4,000 sources
    .venv/bin/python bench/sources.py --reps 1 --limit 300

What it does
    1. **Sites.**  The pages of ``../shared/data/extraction-corpus`` and the
       Fundus dev pages (``bench/corpus.py``), grouped into their sites
       (about 1,350), each site on a loopback address of its own
       (127.0.x.y, one port for all) with a robots.txt, an RSS feed listing
       its pages and the pages as stored.  ``--replicate K`` serves every
       site under K host names; the copies carry no canonical link, so each
       is a distinct article (a copy of the first, as a syndicated story is).
       One server process (asyncio) answers for every address.
    2. **Sources.**  One ``[[sources]]`` entry per site and host name, with
       its feed; politeness at 5 requests/s and 2 in flight per host (the
       sites are local; most have one to three pages).
    3. **Runs.**  ``newsflow ingest`` (the real CLI, a fresh process) into a
       fresh warehouse, with ``PREFECT_API_URL`` pointing at a ``prefect
       server start`` launched here, as in production.  Wall time is the CLI
       process's, start-up included; stage times come from
       ``runs.stage_seconds``.  ``--reps`` runs; medians are reported.
    4. **Floor.**  Bare ``trafilatura.extract(bytes, url=...,
       include_comments=False)`` on the same pages, in this process (one
       core), right after each run, timed by the wall clock as the run is (a
       shared machine's stolen time slows both alike); each run's ratio is
       its end-to-end pages/s over its floor's, and the median of the runs'
       ratios is reported.
    5. **Quality.**  The first run's warehouse is scored against the pages'
       gold as a user would read it (``quality``): each page's article, by
       its URL, under its set's convention (``bench/extraction.py``), a
       dropped page counting as empty.  It is ``bench/extraction.py``'s
       figure after the whole pipeline (HTTP decoding, the feed entry, site
       rules, deduplication); ``--no-quality`` skips it.
    6. **Accounting.**  Every page served must end as an article (its URL in
       ``articles.url`` or ``article_urls``) or as a drop with a reason
       (``drops.url``); ``lost_pages`` counts the others.  ``internal_errors``
       counts drops whose reason is ``internal_error`` or ``worker_crashed``.

The last line is one JSON object: ``sources``, ``pages``, ``run_status``,
``lost_pages``, ``internal_errors``, ``pages_per_s``,
``trafilatura_pages_per_s``, ``ratio_to_trafilatura``, ``discover_share``,
``learn_rules_share``, ``stage_seconds``, and ``warehouse_f1`` (pooled)
and ``warehouse_f1_<set>``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import corpus  # noqa: E402  (bench/, beside this file)
import extraction  # noqa: E402
import pipeline  # noqa: E402

RATE_LIMIT = 5.0
MAX_CONCURRENCY = 2
_CANONICAL = re.compile(rb"""<link[^>]+rel=["']?canonical["']?[^>]*>|<meta[^>]+property=["']og:url["'][^>]*>""",
                        re.IGNORECASE)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# -- the sites ---------------------------------------------------------------------

def addresses(n: int) -> list[str]:
    """n loopback addresses from 127.0.1.1 on (127.0.0.x left to the machine)."""
    out = []
    for i in range(n):
        block, last = divmod(i, 254)
        out.append(f"127.0.{1 + block}.{1 + last}")
    return out


def build_sites(pages: list[corpus.CorpusPage], replicate: int) -> tuple[dict[str, dict[str, bytes]], list[dict]]:
    """Per address, its resources (path -> bytes; feeds and robots.txt
    included), and the sources (one per site and host name)."""
    by_site: dict[str, list[corpus.CorpusPage]] = defaultdict(list)
    for p in pages:
        by_site[p.site].append(p)
    names = sorted(by_site)
    ips = addresses(len(names) * replicate)
    sites: dict[str, dict[str, bytes]] = {}
    sources: list[dict] = []
    now = datetime.now(UTC).replace(microsecond=0)
    k = 0
    for copy in range(replicate):
        for name in names:
            ip = ips[k]
            k += 1
            res: dict[str, bytes] = {"/robots.txt": b"User-agent: *\nAllow: /\n",
                                     "/": f"<html><head><title>{escape(name)}</title></head><body></body></html>".encode()}
            items = []
            for j, p in enumerate(by_site[name]):
                path = f"/p/{p.set}/{p.id}.html"
                body = p.body if copy == 0 else _CANONICAL.sub(b"", p.body)
                res[path] = body
                # one item a day back from now, so a site's pages spread over the run's windows
                items.append((path, p.title or p.id, now - timedelta(hours=6 * j + (k % 97))))
            res["/feed.xml"] = _rss(name, items)
            sites[ip] = res
            sources.append({"id": f"{name}#{copy}" if replicate > 1 else name, "ip": ip,
                            "pages": [path for path, _, _ in items]})
    return sites, sources


def _rss(name: str, items: list[tuple[str, str, datetime]]) -> bytes:
    parts = [f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(name)}</title>'
             "<link>/</link><description>bench</description>"]
    for path, title, when in items:
        parts.append(f"<item><title>{escape(title)}</title><link>{{BASE}}{path}</link>"
                     f"<guid>{{BASE}}{path}</guid><pubDate>{format_datetime(when)}</pubDate></item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def serve(sites_file: str, port: int, ready: Any, stop: Any) -> None:
    """Server process: every address on ``port``, HTTP/1.1 with keep-alive."""
    import pickle

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sites: dict[str, dict[str, bytes]] = pickle.loads(Path(sites_file).read_bytes())

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        ip = writer.get_extra_info("sockname")[0]
        res = sites.get(ip, {})
        base = f"http://{ip}:{port}".encode()
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode("latin-1").split("?")[0]
                body = res.get(path)
                if body is None:
                    status, ctype, body = b"404 Not Found", b"text/plain", b"not found"
                elif path == "/feed.xml":
                    status, ctype, body = b"200 OK", b"application/rss+xml", body.replace(b"{BASE}", base)
                elif path == "/robots.txt":
                    status, ctype = b"200 OK", b"text/plain"
                else:
                    status, ctype = b"200 OK", b"text/html"
                writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: " + ctype + b"\r\nContent-Length: "
                             + str(len(body)).encode() + b"\r\n\r\n" + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, host=list(sites), port=port, reuse_address=True, backlog=256,
                                            limit=1 << 20)
        ready.put(len(server.sockets))
        while not stop.is_set():
            await asyncio.sleep(0.2)
        server.close()

    asyncio.run(main())


def sources_toml(sources: list[dict], port: int) -> str:
    lines = ["allow_private_hosts = true", "", "[defaults]", f"rate_limit = {RATE_LIMIT}",
             f"max_concurrency = {MAX_CONCURRENCY}", ""]
    for s in sources:
        base = f"http://{s['ip']}:{port}"
        lines += ["[[sources]]", f"name = {json.dumps(s['id'])}", f"id = {json.dumps(_slug(s['id']))}",
                  f'homepage = "{base}/"', f'feeds = ["{base}/feed.xml"]', 'language = "en"', ""]
    return "\n".join(lines)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.1.1", 0))
        return int(s.getsockname()[1])


# -- measuring ---------------------------------------------------------------------

def floor(pages: list[corpus.CorpusPage]) -> float:
    """Bare trafilatura, this process, one core: pages/s (wall clock)."""
    import logging

    import trafilatura

    for name in ("trafilatura", "htmldate", "courlan"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    for p in pages[:5]:  # warm-up
        trafilatura.extract(p.body, url=p.url, include_comments=False)
    t0 = time.perf_counter()
    for p in pages:
        try:
            trafilatura.extract(p.body, url=p.url, include_comments=False)
        except Exception:  # noqa: BLE001 - a page that breaks the floor still took its time
            pass
    return len(pages) / (time.perf_counter() - t0)


def facts(db: Path, served: set[str]) -> dict[str, Any]:
    import duckdb

    read = db.with_name(f"{db.stem}.read{db.suffix}")
    con = duckdb.connect(str(read if read.exists() else db), read_only=True)
    try:
        status, fetched, loaded, stages = con.execute(
            "SELECT status, fetched, loaded, stage_seconds FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()
        articles = {u for (u,) in con.execute("SELECT url FROM articles UNION SELECT url FROM article_urls").fetchall()}
        dropped = dict(con.execute("SELECT url, reason FROM drops").fetchall())
        reasons = Counter(r for (r,) in con.execute("SELECT reason FROM drops").fetchall())
    finally:
        con.close()
    lost = [u for u in served if u not in articles and u not in dropped]
    return {"status": status, "fetched": fetched, "loaded": loaded, "stages": dict(stages or {}),
            "lost": lost, "drops": reasons,
            "internal_errors": reasons.get("internal_error", 0) + reasons.get("worker_crashed", 0)}


_SERVED_PATH = re.compile(r"/p/([^/]+)/([^/]+)\.html$")


def quality(db: Path, shared: Path, served: set[str]) -> dict[str, dict[str, Any]]:
    """Body F1 per set of what the warehouse holds, as a user would read
    it: each served page's article (by ``articles.url`` or
    ``article_urls``) scored against its gold with
    ``../shared/eval/score_bodies.py``, under the set's convention
    (``extraction.HEADLINE_SETS``: title, standfirst and text; else the
    text).  A page without an article (dropped) counts as empty.  This is
    ``bench/extraction.py``'s figure after the whole pipeline: fetch,
    decoding from the HTTP response, the feed entry, site rules and
    deduplication."""
    import duckdb

    scorer = extraction.load_scorer(shared.parent)
    gold = {p.key: p.gold for p in extraction.load_pages(shared.parent, extraction.SETS)}
    read = db.with_name(f"{db.stem}.read{db.suffix}")
    con = duckdb.connect(str(read if read.exists() else db), read_only=True)
    try:
        rows = {aid: (title, standfirst, text) for aid, title, standfirst, text in con.execute(
            "SELECT article_id, title, standfirst, text FROM articles").fetchall()}
        by_url = {u: aid for u, aid in con.execute(
            "SELECT url, article_id FROM article_urls UNION ALL SELECT url, article_id FROM articles").fetchall()}
    finally:
        con.close()
    preds: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for url in served:
        m = _SERVED_PATH.search(url)
        if m is None or f"{m.group(1)}/{m.group(2)}" not in gold:
            continue
        key, name = f"{m.group(1)}/{m.group(2)}", m.group(1)
        title, standfirst, text = rows.get(by_url.get(url, ""), (None, None, ""))
        parts = (title, standfirst, text) if name in extraction.HEADLINE_SETS else (text,)
        preds[name].append((key, "\n".join(x for x in parts if x)))
    out: dict[str, dict[str, Any]] = {}
    everything: tuple[list[dict], list[dict]] = ([], [])
    for name in [s for s in extraction.SETS if s in preds]:
        g = [{**gold[k], "id": k} for k, _ in preds[name]]
        p = [{"id": k, "body": body} for k, body in preds[name]]
        res = scorer.score(g, p)
        out[name] = {"pages": len(g), "f1": res["f1"], "empty": res["empty_pages"]}
        everything[0].extend(g)
        everything[1].extend(p)
    res = scorer.score(*everything)
    out["pooled"] = {"pages": len(everything[0]), "f1": res["f1"], "empty": res["empty_pages"]}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replicate", type=int, default=1, help="host names per site (default 1)")
    ap.add_argument("--reps", type=int, default=3, help="runs; medians are reported")
    ap.add_argument("--limit", type=int, default=None, help="only the first N pages (quick runs)")
    ap.add_argument("--shared", type=Path, default=corpus.SHARED)
    ap.add_argument("--no-quality", action="store_true",
                    help="skip scoring the first run's warehouse against the gold (about 20 s)")
    ap.add_argument("--workdir", default=None, help="make the work folder here and keep it (logs, sources.toml)")
    args = ap.parse_args(argv)
    if args.replicate < 1 or args.reps < 1:
        ap.error("--replicate and --reps must be at least 1")
    import multiprocessing as mp
    import pickle

    pages = corpus.load(args.shared)[: args.limit]
    sites, sources = build_sites(pages, args.replicate)
    n_pages = sum(len(s["pages"]) for s in sources)
    log(f"{len(pages):,} pages of {len({p.site for p in pages}):,} sites; serving {n_pages:,} pages from "
        f"{len(sources):,} sources")
    tmp = Path(tempfile.mkdtemp(prefix="newsflow-bench-sources-", dir=args.workdir))
    logs = tmp / "logs.txt"
    ctx = mp.get_context("spawn")
    ready, stop = ctx.Queue(), ctx.Event()
    port = free_port()
    (tmp / "sites.pickle").write_bytes(pickle.dumps(sites))
    site_proc = ctx.Process(target=serve, args=(str(tmp / "sites.pickle"), port, ready, stop), daemon=True)
    site_proc.start()
    server = None
    runs: list[dict[str, Any]] = []
    try:
        bound = ready.get(timeout=120)
        log(f"site server: {bound:,} addresses on port {port}")
        sources_file = tmp / "sources.toml"
        sources_file.write_text(sources_toml(sources, port), encoding="utf-8")
        served = {f"http://{s['ip']}:{port}{path}" for s in sources for path in s["pages"]}
        server, api, up = pipeline.start_server(tmp / "prefect-home", logs)
        log(f"prefect server up in {up:.1f} s")
        env = {**os.environ, "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
               "PREFECT_HOME": str(tmp / "prefect-home"), "PREFECT_API_URL": api}
        cli = str(Path(sys.executable).with_name("newsflow"))
        for rep in range(args.reps):
            db = tmp / f"run{rep}" / "w.duckdb"
            db.parent.mkdir()
            m = pipeline.run_measured([cli, "ingest", "--sources", str(sources_file), "--db", str(db)], env, logs)
            if m.returncode != 0:
                raise SystemExit(f"newsflow ingest exited {m.returncode}; see {logs}")
            f = facts(db, served)
            if rep == 0 and not args.no_quality:
                f["quality"] = quality(db, args.shared, served)
            fl = floor(pages)
            f.update(wall=m.wall_s, pages_per_s=f["fetched"] / m.wall_s, floor=fl)
            runs.append(f)
            log(f"run {rep + 1}: {f['status']}, {f['fetched']:,} pages fetched in {m.wall_s:.1f} s "
                f"({f['pages_per_s']:.1f} pages/s; floor {fl:.1f}), {f['loaded']:,} loaded, "
                f"{len(f['lost'])} lost, {f['internal_errors']} internal errors")
            if not (args.workdir and rep == 0):  # --workdir keeps the first run's warehouse
                shutil.rmtree(db.parent, ignore_errors=True)
    finally:
        stop.set()
        if server is not None:
            pipeline._stop_server(server)
        site_proc.join(timeout=30)
    med = statistics.median
    pps = med(r["pages_per_s"] for r in runs)
    fl = med(r["floor"] for r in runs)
    stage_names = sorted({k for r in runs for k in r["stages"]})
    stages = {k: round(med(r["stages"].get(k, 0.0) for r in runs), 2) for k in stage_names}
    total = stages.get("total") or med(r["wall"] for r in runs)
    print(f"\nreal pages from many sources: {len(sources):,} sources, {n_pages:,} pages, {args.reps} run(s), medians")
    print(f"{'run':>4} {'status':>10} {'fetched':>8} {'wall s':>8} {'pages/s':>8} {'floor':>8} {'ratio':>6} {'lost':>5} {'int.err':>8}")
    for i, r in enumerate(runs, 1):
        print(f"{i:>4} {r['status']:>10} {r['fetched']:>8} {r['wall']:>8.1f} {r['pages_per_s']:>8.1f} "
              f"{r['floor']:>8.1f} {r['pages_per_s'] / r['floor']:>6.2f} {len(r['lost']):>5} {r['internal_errors']:>8}")
    print("\nstage seconds (busy time; fetch and extract overlap the rest):")
    for k, v in stages.items():
        print(f"  {k:<12} {v:>8.2f}  {v / total:>6.1%}")
    drops = runs[-1]["drops"]
    print("drops of the last run: " + ", ".join(f"{k} {v}" for k, v in drops.most_common()))
    if "quality" in runs[0]:
        print("\nbody F1 of what the first run's warehouse holds (4-gram shingles; a dropped page is empty):")
        for name, q in runs[0]["quality"].items():
            print(f"  {name:<16} {q['pages']:>5} pages  F1 {q['f1']:.4f}  empty {q['empty']}")
    if runs[-1]["lost"]:
        print("lost pages (last run): " + ", ".join(sorted(runs[-1]["lost"])[:10]))
    out = {
        "sources": len(sources), "pages": n_pages,
        "run_status": runs[-1]["status"] if len({r["status"] for r in runs}) == 1 else [r["status"] for r in runs],
        "lost_pages": max(len(r["lost"]) for r in runs),
        "internal_errors": max(r["internal_errors"] for r in runs),
        "pages_per_s": round(pps, 2), "trafilatura_pages_per_s": round(fl, 2),
        "ratio_to_trafilatura": round(med(r["pages_per_s"] / r["floor"] for r in runs), 3),
        "discover_share": round(stages.get("discover", 0.0) / total, 4),
        "learn_rules_share": round(stages.get("learn_rules", 0.0) / total, 4),
        "stage_seconds": stages,
    }
    for name, q in runs[0].get("quality", {}).items():
        key = "warehouse_f1" if name == "pooled" else "warehouse_f1_" + name.replace("-", "_")
        out[key] = round(q["f1"], 4)
    print(f"\nend to end {pps:.1f} pages/s, bare trafilatura {fl:.1f} pages/s on one core (medians); the runs' ratios' "
          f"median {out['ratio_to_trafilatura']:.2f}x; discover {out['discover_share']:.1%} and learn-rules {out['learn_rules_share']:.1%} of the run")
    if args.workdir:
        print(f"kept {tmp} (the runs' output is in {logs})")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
