"""The whole pipeline, end to end, against a running Prefect server; with the
extraction floor (bare trafilatura) and the peers (newspaper4k, news-please)
measured on the same HTML in the same run.

    .venv/bin/python bench/pipeline.py [--sizes 1000,2000,10000] [--reps 3] [--sample 200]

What it does
    1. **Corpus.**  ``max(sizes)`` news pages, generated from templates: the
       80 real pages of ``../shared/data/extraction-dev`` and the demo
       site's article pages give the page chrome (header, menus, footer,
       scripts); the article body, title and headline are replaced by text
       composed from the sentences of ``bench/data/topics_*.jsonl`` and the
       dev set's articles (English and French).  Pages are grouped into
       events (1-5 reports each, over several outlets), so there are real
       stories; 8% of pages are wire copies (an earlier report's body and
       title on another outlet) and 3% of feed items point at a page already
       listed under a tracking-parameter URL.  Some outlets add share-widget,
       newsletter and "Read more" boilerplate to their bodies.  Pages are
       published at a constant rate, 400 a day (50 per outlet), ending now:
       a bigger run covers a longer period, as a backfill does.  (Story
       clustering looks back 4 days, so its work follows the news rate; all
       10,000 pages in 3 days gave nearly the same peak RSS ratio, 2.3x.)
    2. **Site.**  8 outlets, each its own host on loopback (127.0.0.2,
       127.0.0.3, ...) served by one separate server process: robots.txt, an
       RSS feed (``/feed.xml?n=N`` lists the outlet's pages among the first
       N of the corpus) and the pages.  Politeness limits are set high
       (200 requests/s, 8 in flight per host): this measures the pipeline,
       not the sites.
    3. **Runs.**  For each size and repetition, ``newsflow ingest`` (the
       real CLI, a fresh process) into a fresh warehouse, with
       ``PREFECT_API_URL`` pointing at a ``prefect server start`` launched
       here, as in production.  Wall time is the CLI process's, start-up
       and imports included.  Stage times come from ``runs.stage_seconds``.
       Peak RSS is sampled every 0.1 s over the process tree (the flow's
       process, the forkserver and the extraction workers); the flow
       process's own peak comes from ``wait4``.
    4. **Prefect's overhead** (at the size ``--overhead-size``, 2,000 by
       default): the same pipeline body (``flows.ingest.run_ingest``) run by
       this file in a fresh process with every Prefect task replaced by its
       plain function and no flow (``--plain-run``); overhead = (CLI wall -
       plain wall) / CLI wall, medians, the two interleaved.  It covers the
       flow and task runs, their states and logs sent to the API, the run's
       artifacts and events.  The ephemeral-mode start-up (no server: Prefect
       starts a temporary one in the process) is measured apart, as the
       wall time of a trivial flow without and with ``PREFECT_API_URL``.
    5. **Extraction in one process** (``--single-size``, 2,000): the CLI
       again with ``NEWSFLOW_EXTRACT_PROCESSES=1``, to show what the worker
       processes buy.
    6. **Floor and peers** on every k-th page of the first
       ``--overhead-size`` pages (``--sample`` pages): bare
       ``trafilatura.extract`` in this process, newspaper4k and news-please
       through ``bench/peers.py`` (their own venv); each one process, a
       warm-up pass, then the median of ``--reps`` passes, HTML decoded
       before the clock starts (bench/peers.py, ``time_extractor``).  They
       run after the Prefect server and the site are stopped, on a quiet
       machine.

Ratios are taken against the end-to-end pages/s (pages fetched / CLI wall
time) at ``--overhead-size``.  Progress goes to stderr; a table and, as the
last line, one JSON object go to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import html
import importlib.util
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEV = ROOT.parent / "shared" / "data" / "extraction-dev"
SENTENCE_FILES = (ROOT / "bench" / "data" / "topics_labelled.jsonl", ROOT / "bench" / "data" / "topics_tuning.jsonl")
OUTLETS = 8
# Published at a constant rate (8 outlets x 50 a day), so a bigger run spans a
# longer period, as a backfill does: 1,000 pages are 2.5 days, 10,000 pages 25.
PER_DAY = 400
LOG_COPY = Path(tempfile.gettempdir()) / "newsflow-bench-pipeline.log"
NOW = datetime.now(UTC).replace(microsecond=0)
BOILERPLATE = (
    "Spread the love",
    "Sign up for our newsletter to get the day's top stories in your inbox.",
    "Read more: {title}",
    "Share this article on Facebook, X and WhatsApp.",
    "Abonnez-vous à notre newsletter pour recevoir l'essentiel de l'actualité.",
)
NAMES = ("Amina Benali", "Youssef El Idrissi", "Fatou Diallo", "Jean-Pierre Martin", "Moussa Traoré",
         "Khadija Ouazzani", "Ibrahim Keita", "Sofia Romero", "Omar Haddad", "Aïcha Koné", "Luca Bianchi",
         "Mariam Sow", "Hassan Amrani", "Claire Dubois", "Samuel Okafor", "Nadia Berrada")
PLACES = ("Tangier", "Nador", "Agadez", "Dakar", "Lampedusa", "Ceuta", "Melilla", "Laayoune", "Bamako", "Tripoli",
          "Calais", "Almería", "Niamey", "Nouakchott", "Rabat", "Marseille")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _load_peers() -> Any:
    spec = importlib.util.spec_from_file_location("newsflow_bench_peers", ROOT / "bench" / "peers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# -- templates ----------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """A page's chrome with three slots: ``NFTITLE`` (title and headline)
    and the body, between ``prefix`` and ``suffix``."""

    name: str
    prefix: str
    suffix: str


def make_template(name: str, page: str) -> Template | None:
    """Cut the article body out of a real page: the element holding the
    most long paragraphs loses them, and a slot takes their place."""
    import lxml.html
    from lxml import etree

    try:
        doc = lxml.html.document_fromstring(page)
    except (etree.ParserError, ValueError):
        return None
    paras = [p for p in doc.iter("p") if len(p.text_content().strip()) > 60]
    if len(paras) < 3:
        return None
    parent, count = Counter(p.getparent() for p in paras).most_common(1)[0]
    if parent is None or count < 3:
        return None
    body = [p for p in parent if p.tag == "p" and len(p.text_content().strip()) > 60]
    at = parent.index(body[0])
    for p in body:
        parent.remove(p)
    parent.insert(at, etree.Comment("NFBODY"))
    # the template's own URL would make every page claim to be that one article
    for el in list(doc.iter("link", "meta", "base")):
        rel, prop = (el.get("rel") or "").lower(), (el.get("property") or el.get("name") or "").lower()
        if el.tag == "base" or rel in ("canonical", "amphtml", "shortlink") or prop in ("og:url", "twitter:url"):
            el.getparent().remove(el)
        elif prop in ("og:title", "twitter:title"):  # describe this page, as a real site does
            el.set("content", "NFTITLE")
        elif prop in ("description", "og:description", "twitter:description"):
            el.set("content", "NFDESC")
    for script in doc.iter("script"):  # stale structured data would describe another article
        if (script.get("type") or "").lower() == "application/ld+json":
            script.text = "{}"
    title = doc.find(".//title")
    if title is not None:
        title.text = "NFTITLE"
    h1 = doc.find(".//h1")
    if h1 is not None:
        for child in list(h1):
            h1.remove(child)
        h1.text = "NFTITLE"
    out = lxml.html.tostring(doc, encoding="unicode", doctype="<!DOCTYPE html>")
    if out.count("<!--NFBODY-->") != 1:
        return None
    prefix, suffix = out.split("<!--NFBODY-->")
    return Template(name, prefix, suffix)


def load_templates() -> list[Template]:
    from newsflow.demo.site import DemoSite, load_content

    out: list[Template] = []
    for f in sorted((DEV / "html").glob("*.html.gz")):
        raw = gzip.decompress(f.read_bytes())
        t = make_template(f.name, raw.decode("utf-8", errors="replace"))
        if t is not None:
            out.append(t)
    demo = DemoSite(load_content())
    for path, res in sorted(demo.render("http://demo.example").items()):
        if res.content_type.startswith("text/html") and path.count("/") >= 4 and res.status == 200:
            t = make_template("demo" + path, res.body.decode("utf-8"))
            if t is not None:
                out.append(t)
    return out


def load_sentences() -> list[str]:
    sentences: list[str] = []
    for f in SENTENCE_FILES:
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                text = json.loads(line)["text"]
                sentences += [s for s in re.split(r"(?<=[.!?])\s+", text) if 40 <= len(s) <= 400]
    truth = json.loads((DEV / "ground_truth.json").read_text(encoding="utf-8"))
    for item in truth.values():
        sentences += [s for s in re.split(r"(?<=[.!?])\s+", item.get("article_body") or "") if 40 <= len(s) <= 400]
    return sentences


# -- the corpus ---------------------------------------------------------------


@dataclass
class Corpus:
    """Pages as (outlet, path, published, title, template index, body html),
    assembled on demand (10,000 whole pages would be gigabytes); feed items
    as (outlet, page index, url path) in corpus order."""

    templates: list[Template] = field(default_factory=list)
    pages: list[tuple[int, str, datetime, str, int, str]] = field(default_factory=list)
    items: list[tuple[int, int, str]] = field(default_factory=list)
    copies: int = 0
    events: int = 0

    def html(self, i: int) -> bytes:
        _, _, _, title, t, body = self.pages[i]
        tpl, esc = self.templates[t], html.escape(title)
        # the description is the first sentences of the article (already escaped)
        first = next((p for p in re.findall(r"<p>(.*?)</p>", body) if p not in BOILERPLATE), "")[:200]
        return "".join(part.replace("NFTITLE", esc).replace("NFDESC", first)
                       for part in (tpl.prefix, body, tpl.suffix)).encode("utf-8")


def build_corpus(n: int, seed: int = 11) -> Corpus:
    rng = random.Random(seed)
    templates = load_templates()
    sentences = load_sentences()
    titles = [s[:90].rstrip(" ,;:") for s in sentences if 40 <= len(s) <= 120]
    log(f"corpus: {len(templates)} templates, {len(sentences):,} sentences")
    by_outlet = [list(range(k, len(templates), OUTLETS)) for k in range(OUTLETS)]
    corpus = Corpus(templates=templates)
    reports: list[tuple[int, str, str]] = []  # the current event's reports: (outlet, title, body html)
    event_left = 0
    event_sents: list[str] = []
    event_title = ""
    step = timedelta(days=1) / PER_DAY
    published = NOW - n * step
    for i in range(n):
        if event_left == 0:
            corpus.events += 1
            event_left = min(5, 1 + int(rng.expovariate(0.9)))
            event_sents = rng.sample(sentences, rng.randint(9, 16))
            event_title = rng.choice(titles)
            reports = []
            who, where = rng.choice(NAMES), rng.choice(PLACES)
            event_sents[1] = f"{who} told reporters in {where} that the investigation was continuing."
        event_left -= 1
        outlet = i % OUTLETS
        published += step
        if reports and rng.random() < 0.08 and any(o != outlet for o, _, _ in reports):
            _, title, body = next(r for r in reports if r[0] != outlet)  # a wire copy
            corpus.copies += 1
        else:
            keep = [s for s in event_sents if rng.random() < 0.85] + rng.sample(sentences, rng.randint(1, 3))
            title = event_title if not reports else f"{event_title} ({rng.choice(PLACES)})"
            paras = ["<p>" + html.escape(" ".join(keep[j:j + 3])) + "</p>" for j in range(0, len(keep), 3)]
            if outlet % 2 == 0:  # outlets with widgets and prompts in the body
                paras.insert(0, f"<p>{BOILERPLATE[0]}</p>")
                paras.insert(len(paras) // 2, f"<p>{html.escape(BOILERPLATE[1 + outlet % 4].format(title=rng.choice(titles)))}</p>")
            body = "\n".join(paras)
        reports.append((outlet, title, body))
        t = by_outlet[outlet][i // OUTLETS % len(by_outlet[outlet])]
        path = f"/{published:%Y/%m/%d}/story-{i}.html"
        corpus.pages.append((outlet, path, published, title, t, body))
        corpus.items.append((outlet, i, path))
        if rng.random() < 0.03:
            corpus.items.append((outlet, i, path + "?utm_source=rss&utm_medium=feed"))
    return corpus


def feed_xml(corpus: Corpus, outlet: int, base: str, limit: int) -> bytes:
    items = []
    for o, i, path in corpus.items:
        if o != outlet or i >= limit:
            continue
        _, _, published, title, _, _ = corpus.pages[i]
        link = html.escape(base + path)
        items.append(f"<item><title>{html.escape(title)}</title><link>{link}</link><guid>{link}</guid>"
                     f"<pubDate>{format_datetime(published)}</pubDate></item>")
    return ("<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel>"
            f"<title>Outlet {outlet}</title><link>{base}/</link><description>bench</description>"
            + "".join(reversed(items)) + "</channel></rss>").encode("utf-8")


# -- the site -------------------------------------------------------------------


def loopback_servers(handler_for: Any, n: int) -> tuple[list[ThreadingHTTPServer], list[str]]:
    """``n`` threading HTTP servers, outlet k on 127.0.0.(k+2) with the
    handler ``handler_for(k)``, bound on a free port but not yet serving,
    and their base URLs."""
    servers, bases = [], []
    for k in range(n):
        srv = ThreadingHTTPServer((f"127.0.0.{2 + k}", 0), handler_for(k))
        srv.daemon_threads = True
        servers.append(srv)
        bases.append(f"http://127.0.0.{2 + k}:{srv.server_address[1]}")
    return servers, bases


def _serve(corpus_file: str, ready: Any, stop: Any) -> None:
    """Server process: one ThreadingHTTPServer per outlet, each on its own
    loopback address."""
    import pickle

    corpus: Corpus = pickle.loads(Path(corpus_file).read_bytes())
    pages = {(o, path): i for i, (o, path, *_) in enumerate(corpus.pages)}
    feeds: dict[tuple[int, int], bytes] = {}
    bases: list[str] = []

    def handler_for(outlet: int) -> type[BaseHTTPRequestHandler]:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                ctype = "text/html; charset=utf-8"
                if parts.path == "/robots.txt":
                    body, ctype = b"User-agent: *\nAllow: /\n", "text/plain"
                elif parts.path == "/feed.xml":
                    limit = int(parse_qs(parts.query).get("n", ["0"])[0])
                    key = (outlet, limit)
                    if key not in feeds:
                        feeds[key] = feed_xml(corpus, outlet, bases[outlet], limit)
                    body, ctype = feeds[key], "application/rss+xml"
                else:
                    found = pages.get((outlet, parts.path))
                    if found is None:
                        self.send_error(404)
                        return
                    body = corpus.html(found)
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        return Handler

    servers, found = loopback_servers(handler_for, OUTLETS)
    bases.extend(found)  # the handlers read their outlet's base from this list
    for srv in servers:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    ready.put(bases)
    stop.wait()
    for srv in servers:
        srv.shutdown()


def sources_toml(bases: Sequence[str], limit: int, window_pages: int) -> str:
    lines = ["allow_private_hosts = true", "", "[defaults]", "rate_limit = 200.0", "max_concurrency = 8", "",
             "[fetch]", f"max_articles_per_source = {limit}", f"window_pages = {window_pages}", ""]
    for k, base in enumerate(bases):
        lines += ["[[sources]]", f'name = "Bench outlet {k}"', f'homepage = "{base}/"',
                  f'feeds = ["{base}/feed.xml?n={limit}"]', 'language = "en"', ""]
    return "\n".join(lines)


# -- process measurement ------------------------------------------------------------


_TICK = os.sysconf("SC_CLK_TCK")


def _tree_usage(root: int) -> tuple[int, dict[int, float]]:
    """Resident bytes of ``root`` and all its descendants, and the CPU
    seconds (user + system) each of them has used so far (Linux /proc)."""
    children: dict[int, list[int]] = {}
    cpu: dict[int, float] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(int(d))
        cpu[int(d)] = (int(fields[11]) + int(fields[12])) / _TICK
    total, todo, seen = 0, [root], {}
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            with open(f"/proc/{pid}/statm", "rb") as fh:
                total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            continue
        if pid in cpu:
            seen[pid] = cpu[pid]
    return total, seen


@dataclass
class Measured:
    wall_s: float
    tree_peak_rss: int
    main_peak_rss: int
    returncode: int
    main_cpu_s: float = 0.0  # CPU seconds of the flow process, and of
    other_cpu_s: float = 0.0  # its descendants (forkserver, extraction workers); sampled every 0.1 s


def run_measured(cmd: list[str], env: dict[str, str], log_file: Path) -> Measured:
    with log_file.open("ab") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        peak = 0
        cpu: dict[int, float] = {}
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            rss, now = _tree_usage(proc.pid)
            peak = max(peak, rss)
            for p, c in now.items():
                cpu[p] = max(cpu.get(p, 0.0), c)
            time.sleep(0.1)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    # sampled too (wait4's figure would add the CPU of children it reaped)
    main_cpu = cpu.pop(proc.pid, 0.0)
    return Measured(wall, peak, usage.ru_maxrss * 1024, proc.returncode, main_cpu, sum(cpu.values()))


def run_facts(db: Path) -> dict[str, Any]:
    import duckdb

    read = db.with_name(f"{db.stem}.read{db.suffix}")
    con = duckdb.connect(str(read if read.exists() else db), read_only=True)
    try:
        row = con.execute("SELECT status, fetched, extracted, duplicates, loaded, stage_seconds FROM runs"
                          " ORDER BY started_at DESC LIMIT 1").fetchone()
        stories = con.execute("SELECT count(DISTINCT story_id), count(duplicate_of) FROM articles").fetchone()
    finally:
        con.close()
    assert row is not None and stories is not None
    return {"status": row[0], "fetched": row[1], "extracted": row[2], "duplicates": row[3], "loaded": row[4],
            "stages": dict(row[5] or {}), "stories": stories[0], "copies": stories[1]}


# -- the plain run (no Prefect) ----------------------------------------------------


def plain_run(sources: str, db: str) -> int:
    """``run_ingest`` with every Prefect task replaced by its function."""
    from types import SimpleNamespace

    from flows import ingest, tasks
    from newsflow.config import load_sources, read_toml
    from topics.taxonomy import compile_taxonomy
    from warehouse import Warehouse

    from prefect.utilities.annotations import quote

    def bare(x: Any) -> Any:
        return x.unquote() if isinstance(x, quote) else x

    def unquoted(fn: Any) -> Any:
        if not asyncio.iscoroutinefunction(fn):
            return lambda *a, **k: fn(*map(bare, a), **{n: bare(v) for n, v in k.items()})

        async def call(*a: Any, **k: Any) -> Any:
            return await fn(*map(bare, a), **{n: bare(v) for n, v in k.items()})
        return call

    plain = {name: unquoted(obj.fn) if hasattr(obj, "fn") else obj
             for name, obj in vars(tasks).items() if not name.startswith("_")}
    ingest.tasks = SimpleNamespace(**plain)  # type: ignore[assignment]
    config = load_sources(sources)
    taxonomy = compile_taxonomy(read_toml(ingest.DEFAULT_TOPICS))
    summary = asyncio.run(ingest.run_ingest(config, taxonomy, Warehouse(db)))
    return 0 if summary.status != "failed" else 1


# -- Prefect ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(home: Path, log_file: Path) -> tuple[subprocess.Popen[bytes], str, float]:
    port = free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "DO_NOT_TRACK": "1", "PREFECT_UI_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(Path(sys.executable).with_name("prefect")), "server", "start", "--host", "127.0.0.1",
                             "--port", str(port)], env=env, stdout=log_file.open("ab"), stderr=subprocess.STDOUT)
    api = f"http://127.0.0.1:{port}/api"
    import httpx

    while time.perf_counter() - t0 < 120:
        if proc.poll() is not None:
            raise RuntimeError(f"prefect server exited ({proc.returncode}); see {log_file}")
        try:
            if httpx.get(f"{api}/health", timeout=1).status_code == 200:
                return proc, api, time.perf_counter() - t0
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise RuntimeError(f"prefect server did not answer in 120 s; see {log_file}")


def _stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


NOOP_FLOW = "from prefect import flow\n@flow(name='noop')\ndef noop():\n    return 1\nnoop()\n"


def trivial_flow_s(env: dict[str, str], log_file: Path) -> float:
    return run_measured([sys.executable, "-c", NOOP_FLOW], env, log_file).wall_s


# -- the floor ----------------------------------------------------------------------------


def floor_extract(page: str, url: str) -> str:
    import trafilatura

    return trafilatura.extract(page, url=url) or ""


# -- main ---------------------------------------------------------------------------------------


def median(xs: Sequence[float]) -> float:
    return float(statistics.median(xs))


def mb(n: float) -> str:
    return f"{n / 1e6:,.0f} MB"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,2000,10000", help="pages per run (ascending)")
    ap.add_argument("--reps", type=int, default=3, help="repetitions of every run and timing (>= 3)")
    ap.add_argument("--overhead-size", type=int, default=2000, help="size for Prefect's overhead, ratios, floor and peers")
    ap.add_argument("--single-size", type=int, default=2000, help="size for the one-process extraction run (0: skip)")
    ap.add_argument("--sample", type=int, default=200, help="pages for the floor and peers (every k-th page)")
    ap.add_argument("--window-pages", type=int, default=500)
    ap.add_argument("--no-peers", action="store_true", help="skip newspaper4k and news-please")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--plain-run", nargs=2, metavar=("SOURCES", "DB"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.plain_run:
        return plain_run(*args.plain_run)
    sizes = sorted(int(s) for s in args.sizes.split(",") if s)
    if args.reps < 3:
        ap.error("--reps must be >= 3")
    if args.overhead_size not in sizes:
        ap.error("--overhead-size must be one of --sizes")

    import multiprocessing as mp
    import pickle

    peers = _load_peers()
    tmp = Path(tempfile.mkdtemp(prefix="newsflow-bench-pipeline-", dir=args.workdir))
    logs = tmp / "logs.txt"
    server = site = None
    stop = None
    try:
        t0 = time.perf_counter()
        corpus = build_corpus(max(sizes))
        kb = statistics.mean(len(corpus.html(i)) for i in range(0, len(corpus.pages), 50)) / 1e3
        log(f"corpus: {len(corpus.pages):,} pages, {len(corpus.items):,} feed items, {corpus.events:,} events,"
            f" {corpus.copies:,} wire copies, {kb:.0f} KB/page ({time.perf_counter() - t0:.0f} s)")
        corpus_file = tmp / "corpus.pickle"
        corpus_file.write_bytes(pickle.dumps(corpus))
        ctx = mp.get_context("spawn")
        ready, stop = ctx.Queue(), ctx.Event()
        site = ctx.Process(target=_serve, args=(str(corpus_file), ready, stop), daemon=True)
        site.start()
        bases: list[str] = ready.get(timeout=120)

        server, api, server_start_s = start_server(tmp / "prefect-home", logs)
        log(f"prefect server up in {server_start_s:.1f} s at {api}")
        base_env = {**os.environ, "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                    "PREFECT_HOME": str(tmp / "prefect-home"), "PREFECT_API_URL": api}
        base_env.pop("NEWSFLOW_EXTRACT_PROCESSES", None)
        eph_env = {k: v for k, v in base_env.items() if k != "PREFECT_API_URL"}
        eph_env["PREFECT_HOME"] = str(tmp / "prefect-ephemeral")
        cli = str(Path(sys.executable).with_name("newsflow"))

        results: dict[str, list[dict[str, Any]]] = {}

        def one(kind: str, size: int, rep: int) -> None:
            d = tmp / f"{kind}-{size}-{rep}"
            d.mkdir()
            src, db = d / "sources.toml", d / "w.duckdb"
            src.write_text(sources_toml(bases, size, args.window_pages), encoding="utf-8")
            env = dict(base_env)
            if kind == "plain":
                cmd = [sys.executable, str(Path(__file__).resolve()), "--plain-run", str(src), str(db)]
            else:
                cmd = [cli, "ingest", "--sources", str(src), "--db", str(db)]
                if kind == "single":
                    env["NEWSFLOW_EXTRACT_PROCESSES"] = "1"
            m = run_measured(cmd, env, logs)
            if m.returncode != 0:
                raise RuntimeError(f"{kind} run of {size} failed ({m.returncode}); see {logs}")
            facts = run_facts(db)
            r = {"kind": kind, "size": size, "wall_s": m.wall_s, "tree_peak_rss": m.tree_peak_rss,
                 "main_peak_rss": m.main_peak_rss, "main_cpu_ms_per_page": 1000 * m.main_cpu_s / max(facts["fetched"], 1),
                 "other_cpu_ms_per_page": 1000 * m.other_cpu_s / max(facts["fetched"], 1),
                 "cores_used": (m.main_cpu_s + m.other_cpu_s) / m.wall_s, **facts, "pages_per_s": facts["fetched"] / m.wall_s,
                 "articles_per_s": facts["loaded"] / m.wall_s}
            results.setdefault(f"{kind}-{size}", []).append(r)
            log(f"  {kind} {size:,} #{rep}: {m.wall_s:.1f} s, {r['pages_per_s']:.1f} pages/s, {facts['loaded']:,} loaded,"
                f" {facts['stories']:,} stories, tree RSS {mb(m.tree_peak_rss)}, stages "
                + ", ".join(f"{k} {v:.1f}" for k, v in sorted(facts["stages"].items())))
            shutil.rmtree(d)

        eph, srv = [], []
        for rep in range(args.reps):
            log(f"repetition {rep + 1}/{args.reps}")
            eph.append(trivial_flow_s(eph_env, logs))
            srv.append(trivial_flow_s(base_env, logs))
            log(f"  trivial flow: ephemeral {eph[-1]:.1f} s, against the server {srv[-1]:.1f} s")
            for size in sizes:
                one("flow", size, rep)
                if size == args.overhead_size:
                    one("plain", size, rep)
                if size == args.single_size:
                    one("single", size, rep)

        # The floor and the peers run on a quiet machine: the Prefect server
        # goes on digesting the runs' events for a while after them, and
        # measured beside it the floor came out 18% low (73.9 vs 90 pages/s).
        stop.set()
        site.join(timeout=10)
        site = None
        _stop_server(server)
        server = None
        # floor and peers on a sample of the overhead-size pages
        n = args.overhead_size
        k = max(1, n // args.sample)
        sample = [(bases[corpus.pages[i][0]] + corpus.pages[i][1], corpus.html(i)) for i in range(0, n, k)][: args.sample]
        pages_dir = tmp / "sample"
        peers.write_pages(sample, pages_dir)
        log(f"floor: bare trafilatura on {len(sample)} pages (every {k}th)")
        floor = peers.time_extractor(peers.read_pages(pages_dir), floor_extract, reps=args.reps)
        peer_results = {} if args.no_peers else peers.measure_all(pages_dir, reps=args.reps)
        for lib, res in peer_results.items():
            log(f"peer {lib}: {res.get('pages_per_s', res.get('error'))}")
    finally:
        if stop is not None:
            stop.set()
        if site is not None:
            site.join(timeout=10)
        if server is not None:
            _stop_server(server)
        if logs.exists():  # the runs' and the server's output, kept for a look after a failure
            shutil.copyfile(logs, LOG_COPY)
        shutil.rmtree(tmp, ignore_errors=True)

    print(report(results, sizes, args, floor, peer_results, eph, srv, server_start_s, len(sample)))
    return 0


def report(results: dict[str, list[dict[str, Any]]], sizes: list[int], args: argparse.Namespace,
           floor: dict[str, Any], peers: dict[str, dict[str, Any]], eph: list[float], srv: list[float],
           server_start_s: float, sample: int) -> str:
    def med(key: str, field_: str) -> float:
        return median([r[field_] for r in results[key]])

    def stage(key: str, name: str) -> float:
        return median([r["stages"].get(name, 0.0) for r in results[key]])

    stages = ("discover", "learn_rules", "fetch", "extract", "dedupe", "tag", "load", "search", "total")
    cols = [f"flow-{s}" for s in sizes] + [f"plain-{args.overhead_size}"]
    if args.single_size:
        cols.append(f"single-{args.single_size}")
    head = f"{'':34}" + "".join(f"{c:>16}" for c in cols)
    lines = [head, "-" * len(head)]

    def row(label: str, fmt: Any) -> None:
        lines.append(f"{label:34}" + "".join(f"{fmt(c):>16}" for c in cols))

    row("pages fetched", lambda c: f"{med(c, 'fetched'):,.0f}")
    row("articles loaded", lambda c: f"{med(c, 'loaded'):,.0f}")
    row("copies (duplicate_of)", lambda c: f"{med(c, 'copies'):,.0f}")
    row("stories", lambda c: f"{med(c, 'stories'):,.0f}")
    row("wall time (process)", lambda c: f"{med(c, 'wall_s'):.1f} s")
    row("pages/s end to end", lambda c: f"{med(c, 'pages_per_s'):.1f}")
    row("articles/s end to end", lambda c: f"{med(c, 'articles_per_s'):.1f}")
    for s in stages:
        row(f"  {s} (s, busy)", lambda c, s=s: f"{stage(c, s):.1f}")
    row("extract stage pages/s", lambda c: f"{med(c, 'fetched') / max(stage(c, 'extract'), 1e-9):.1f}")
    row("peak RSS, process tree", lambda c: mb(med(c, "tree_peak_rss")))
    row("peak RSS, flow process", lambda c: mb(med(c, "main_peak_rss")))
    row("CPU ms per page, flow process", lambda c: f"{med(c, 'main_cpu_ms_per_page'):.1f}")
    row("CPU ms per page, extraction workers", lambda c: f"{med(c, 'other_cpu_ms_per_page'):.1f}")
    row("cores used (of the machine's)", lambda c: f"{med(c, 'cores_used'):.2f}")

    o = f"flow-{args.overhead_size}"
    e2e = med(o, "pages_per_s")
    overhead = (med(o, "wall_s") - med(f"plain-{args.overhead_size}", "wall_s")) / med(o, "wall_s")
    rss_ratio = med(f"flow-{sizes[-1]}", "tree_peak_rss") / med(f"flow-{sizes[0]}", "tree_peak_rss")
    main_ratio = med(f"flow-{sizes[-1]}", "main_peak_rss") / med(f"flow-{sizes[0]}", "main_peak_rss")
    lines += ["", f"On {sample} of those pages (one process each, median of {args.reps} passes after a warm-up):",
              f"  bare trafilatura.extract (floor)   {floor['pages_per_s']:8.1f} pages/s"]
    out: dict[str, Any] = {
        "pages_per_s": round(e2e, 2), "articles_per_s": round(med(o, "articles_per_s"), 2),
        "trafilatura_pages_per_s": round(floor["pages_per_s"], 2),
        "ratio_to_trafilatura": round(e2e / floor["pages_per_s"], 3),
        "flow_cpu_ms_per_page": round(med(o, "main_cpu_ms_per_page"), 2),
        "worker_cpu_ms_per_page": round(med(o, "other_cpu_ms_per_page"), 2),
        "cores_used": round(med(o, "cores_used"), 2),
    }
    for lib, res in peers.items():
        key = lib.replace("-", "_")
        if "pages_per_s" in res:
            lines.append(f"  {lib + ' ' + str(res.get('version', '')):34} {res['pages_per_s']:8.1f} pages/s"
                         f"   newsflow end to end / {lib}: {e2e / res['pages_per_s']:.2f}x")
            out[f"{key}_pages_per_s"] = round(res["pages_per_s"], 2)
            out[f"ratio_to_{key}"] = round(e2e / res["pages_per_s"], 2)
        else:
            lines.append(f"  {lib}: not measured ({res.get('error')})")
    single = f"single-{args.single_size}"
    lines += [
        "",
        f"newsflow end to end at {args.overhead_size:,} pages: {e2e:.1f} pages/s = {e2e / floor['pages_per_s']:.2f}x"
        f" bare trafilatura  [>= 0.7x]",
        f"Prefect's overhead at {args.overhead_size:,}: (flow {med(o, 'wall_s'):.1f} s - plain"
        f" {med(f'plain-{args.overhead_size}', 'wall_s'):.1f} s) / flow = {overhead:.1%}  [<= 10%]",
        f"peak RSS {sizes[-1]:,} / {sizes[0]:,}: process tree {rss_ratio:.2f}x, flow process {main_ratio:.2f}x  [<= 1.2x]",
        f"Prefect start-up: trivial flow in ephemeral mode {median(eph):.1f} s vs against the server {median(srv):.1f} s"
        f" (ephemeral start-up {median(eph) - median(srv):.1f} s); `prefect server start` itself {server_start_s:.1f} s",
    ]
    if args.single_size:
        lines.append(f"extraction in worker processes vs in the flow's process at {args.single_size:,}:"
                     f" {med(o, 'pages_per_s'):.1f} vs {med(single, 'pages_per_s'):.1f} pages/s end to end"
                     f" ({med(o, 'pages_per_s') / med(single, 'pages_per_s'):.2f}x)")
        out["single_process_pages_per_s"] = round(med(single, "pages_per_s"), 2)
        out["processes_speedup"] = round(med(o, "pages_per_s") / med(single, "pages_per_s"), 3)
    lines.append(f"(medians of {args.reps} runs; window_pages {args.window_pages}; {OUTLETS} outlets on loopback)")
    out["prefect_overhead"] = round(overhead, 4)
    out["peak_rss_ratio"] = round(rss_ratio, 3)
    out["flow_process_peak_rss_ratio"] = round(main_ratio, 3)
    for s in sizes:
        key = f"flow-{s}"
        out[f"pages_per_s_{s}"] = round(med(key, "pages_per_s"), 2)
        out[f"peak_rss_mb_{s}"] = round(med(key, "tree_peak_rss") / 1e6, 1)
        out[f"stage_seconds_{s}"] = {n: round(stage(key, n), 2) for n in stages}
    out["ephemeral_startup_s"] = round(median(eph) - median(srv), 2)
    out["trivial_flow_ephemeral_s"] = round(median(eph), 2)
    out["server_start_s"] = round(server_start_s, 1)
    return "\n".join(lines) + "\n" + json.dumps(out)


if __name__ == "__main__":
    raise SystemExit(main())
