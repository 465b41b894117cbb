"""Crawler throughput against the politeness limits.

N hosts on loopback (127.0.0.2, 127.0.0.3, ...), each a real HTTP server in a
separate process that answers every request after an injected latency.  The
crawler fetches P article pages per host, as the ingest flow does (robots.txt
first, per-host rate and concurrency limits).  Reported: pages/s against the
maximum the politeness settings allow (hosts x per-host rate), the crawler
process's peak RSS, and whether any host ever saw more than its limit,
checked from the servers' own request logs.

    .venv/bin/python bench/crawl.py [--hosts 8] [--pages 60] [--rate 4] [--concurrency 2] [--latency 0.2] [--runs 3]

Last line: one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import resource
import statistics
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.client import make_client  # noqa: E402
from crawler.fetch import Crawler  # noqa: E402
from newsflow.config import FetchSettings, Politeness  # noqa: E402
from newsflow.records import FeedEntry  # noqa: E402

PAGE = ("<html><head><title>t</title></head><body><article>"
        + "<p>" + "Rescuers brought the migrants ashore at dawn. " * 40 + "</p>" * 1
        + "</article></body></html>").encode() * 8  # ~20 KB, a typical article page


def _serve(host: str, latency: float, ready: Any, log: Any, stop: Any) -> None:
    starts: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            starts.append(time.time())
            time.sleep(latency)
            body = b"User-agent: *\nAllow: /\n" if self.path == "/robots.txt" else PAGE
            self.send_response(200)
            self.send_header("Content-Type", "text/plain" if self.path == "/robots.txt" else "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer((host, 0), Handler)
    server.daemon_threads = True
    ready.put(server.server_address[1])
    import threading
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    stop.wait()
    server.shutdown()
    log.put(starts)


def _max_in_window(starts: list[float], window: float) -> int:
    starts = sorted(starts)
    best, j = 0, 0
    for i in range(len(starts)):
        while starts[i] - starts[j] >= window:
            j += 1
        best = max(best, i - j + 1)
    return best


async def _crawl(bases: list[str], pages: int, politeness: Politeness) -> tuple[int, float]:
    settings = FetchSettings(read_timeout=10, total_timeout=30, retries=0)
    async with make_client(settings, allow_private_hosts=True) as client:
        crawler = Crawler(client, settings)
        t0 = time.perf_counter()

        async def host(i: int, base: str) -> int:
            crawler.register(base, politeness)
            entries = [FeedEntry(url=f"{base}/a/{n}", source=f"h{i}", feed_url=base) for n in range(pages)]
            got, drops = await crawler.fetch_pages(entries, f"h{i}", workers=politeness.max_concurrency)
            if drops:
                raise SystemExit(f"unexpected failures: {[d.reason for d in drops][:5]}")
            return len(got)

        fetched = sum(await asyncio.gather(*(host(i, b) for i, b in enumerate(bases))))
        return fetched, time.perf_counter() - t0


def one_run(args: argparse.Namespace) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    stop, ready, logq = ctx.Event(), ctx.Queue(), ctx.Queue()
    hosts = [f"127.0.0.{i + 2}" for i in range(args.hosts)]
    procs = [ctx.Process(target=_serve, args=(h, args.latency, ready, logq, stop), daemon=True) for h in hosts]
    for p in procs:
        p.start()
    ports = [ready.get(timeout=30) for _ in procs]
    # ports arrive in start order per process only by chance: map by asking each host
    bases = []
    for h in hosts:
        for port in ports:
            bases.append(f"http://{h}:{port}")
    # each server listens on its own host only; keep the (host, port) pairs that connect
    import socket
    live = []
    for b in bases:
        host, port = b[7:].split(":")
        s = socket.socket()
        s.settimeout(0.2)
        try:
            s.connect((host, int(port)))
            live.append(b)
        except OSError:
            pass
        finally:
            s.close()
    bases = live
    assert len(bases) == args.hosts, bases
    politeness = Politeness(rate_limit=args.rate, max_concurrency=args.concurrency)
    fetched, elapsed = asyncio.run(_crawl(bases, args.pages, politeness))
    stop.set()
    logs = [logq.get(timeout=30) for _ in procs]
    for p in procs:
        p.join(timeout=10)
    # "never exceeds its limit": at most ceil(rate * window) request starts in any window
    worst = max(_max_in_window(starts, 1.0) for starts in logs)
    gaps = [b - a for starts in logs for a, b in zip(sorted(starts), sorted(starts)[1:], strict=False)]
    return {"fetched": fetched, "elapsed": elapsed, "pages_per_s": fetched / elapsed,
            "max_per_host_per_s": worst, "min_gap_s": min(gaps) if gaps else None,
            "requests": sum(len(s) for s in logs)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hosts", type=int, default=8)
    ap.add_argument("--pages", type=int, default=60, help="article pages per host")
    ap.add_argument("--rate", type=float, default=4.0, help="requests/s allowed per host")
    ap.add_argument("--concurrency", type=int, default=2, help="requests in flight per host")
    ap.add_argument("--latency", type=float, default=0.2, help="seconds each response is delayed")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    allowed = args.hosts * args.rate
    runs = [one_run(args) for _ in range(args.runs)]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pps = statistics.median(r["pages_per_s"] for r in runs)
    worst_window = max(r["max_per_host_per_s"] for r in runs)
    min_gap = min(r["min_gap_s"] for r in runs)
    limit = int(args.rate) if float(args.rate).is_integer() else int(args.rate) + 1
    violations = sum(1 for r in runs if r["max_per_host_per_s"] > limit)

    print(f"crawl benchmark: {args.hosts} hosts x {args.pages} pages, {args.latency * 1000:.0f} ms latency, "
          f"limit {args.rate:g} req/s and {args.concurrency} in flight per host, {args.runs} runs")
    print(f"{'run':>4} {'pages':>6} {'seconds':>8} {'pages/s':>8} {'max req in 1s/host':>19} {'min gap s':>10}")
    for i, r in enumerate(runs, 1):
        print(f"{i:>4} {r['fetched']:>6} {r['elapsed']:>8.2f} {r['pages_per_s']:>8.2f} "
              f"{r['max_per_host_per_s']:>19} {r['min_gap_s']:>10.3f}")
    print(f"median pages/s {pps:.2f} of {allowed:.1f} allowed = {pps / allowed:.1%}; "
          f"peak RSS {rss_mb:.0f} MB; host-limit violations {violations}")
    print(json.dumps({"pages_per_s": round(pps, 2), "max_allowed_per_s": allowed,
                      "efficiency": round(pps / allowed, 3), "peak_rss_mb": round(rss_mb, 1),
                      "max_requests_per_host_in_1s": worst_window, "min_gap_s": round(min_gap, 4),
                      "violations": violations, "hosts": args.hosts, "pages_per_host": args.pages}))


if __name__ == "__main__":
    main()
