"""Scale-out benchmark: one lake (DuckLake on PostgreSQL), one Prefect worker
against two, the real pages of ../shared/data/extraction-corpus.

    .venv/bin/python bench/scaleout.py [--reps 3] [--corpus DIR] [--ecb FILE]

What it runs, all on this machine and 127.0.0.1:

* a throw-away PostgreSQL 15 cluster with its defaults (fsync on), a
  ``prefect server start``, and ``prefect worker start --pool newsflow
  --limit 1`` processes with ``NEWSFLOW_EXTRACT_PROCESSES=1`` (a worker
  stands for a one-core machine);
* the 2,313 pages of the extraction corpus, gzipped as stored, served as 16
  outlets, each on its own loopback address with an RSS feed and
  robots.txt; every 20th page is also republished by an outlet of the other
  group (a syndicated copy, at another URL);
* two source groups (outlets 0-7 and 8-15), deployed with ``newsflow
  deploy``; into a fresh lake each time: one worker runs both groups' flow
  runs (one after the other), then two workers run them side by side.
  Wall time is from starting the flow runs to both finished; medians of
  ``--reps``;
* the ECB+ dev set (462 articles, 43 topics' events) served as pages of 16
  outlets: loaded by one flow run of one worker, then split into the two
  groups on two workers; pairwise F1 of the stored stories against the
  gold events (``bench/stories.py``'s measure);
* ``Warehouse.load`` of the same batches of 500 stored articles into a
  DuckDB file and into a lake; and the catalog's commits per second.

Prints a table, then as its last line one JSON object.
"""

from __future__ import annotations

import argparse
import email.utils
import html
import json
import multiprocessing as mp
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # before bench/, whose warehouse.py and stories.py would hide the packages

import httpx  # noqa: E402

from newsflow.localprefect import LocalPrefect, local_prefect  # noqa: E402
from newsflow.pgcluster import Cluster, temporary_cluster  # noqa: E402
from warehouse import Warehouse  # noqa: E402

import pipeline  # noqa: E402  bench/pipeline.py: a bench script's own folder is on sys.path

SHARED = ROOT.parent / "shared" / "data"
OUTLETS = 16
GROUPS = (range(0, 8), range(8, 16))
SYNDICATE_EVERY = 20
NEWSFLOW = str(Path(sys.executable).with_name("newsflow"))


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# -- the pages --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    outlet: int
    path: str
    body: bytes  # as served
    gzipped: bool  # served with Content-Encoding: gzip (the corpus's own bytes)
    title: str
    published: datetime


def corpus_items(corpus: Path) -> list[Item]:
    """Every page of the extraction corpus, gzipped as stored; every 20th
    also at a second URL on an outlet of the other group."""
    items: list[Item] = []
    base = datetime.now(UTC) - timedelta(days=2)
    n = 0
    for part in sorted(p for p in corpus.iterdir() if (p / "gold.jsonl").exists()):
        for line in (part / "gold.jsonl").open(encoding="utf-8"):
            row = json.loads(line)
            body = (part / "pages" / f"{row['id']}.html.gz").read_bytes()
            outlet = n % OUTLETS
            at = base + timedelta(seconds=60 * n)
            title = row.get("title") or f"{part.name} {row['id']}"
            items.append(Item(outlet, f"/{part.name}/{row['id']}.html", body, True, title, at))
            if n % SYNDICATE_EVERY == 0:
                other = (outlet + OUTLETS // 2) % OUTLETS
                items.append(Item(other, f"/syndicated/{part.name}/{row['id']}.html", body, True, title, at))
            n += 1
    return items


def ecb_items(path: Path) -> tuple[list[Item], dict[str, str], dict[str, int]]:
    """The ECB+ articles as plain news pages; (items, gold event and topic
    by page path)."""
    items, event, topic = [], {}, {}
    for i, line in enumerate(path.open(encoding="utf-8")):
        row = json.loads(line)
        at = datetime.fromisoformat(row["published"])
        paras = "".join(f"<p>{html.escape(p)}</p>" for p in row["text"].split("\n") if p.strip())
        page = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(row['title'])}</title>"
                f"<meta property='article:published_time' content='{at.isoformat()}'></head><body>"
                f"<header><a href='/'>Home</a></header><article><h1>{html.escape(row['title'])}</h1>"
                f"<time datetime='{at.isoformat()}'>{at:%B %d, %Y}</time>{paras}</article>"
                "<footer>Copyright Example News</footer></body></html>").encode()
        item = Item(i % OUTLETS, f"/ecb/{row['id']}.html", page, False, row["title"], at)
        items.append(item)
        event[item.path], topic[item.path] = row["event"], row["topic"]
    return items, event, topic


def _feed(items: Sequence[Item], base: str, outlet: int) -> bytes:
    rows = [f"<item><title>{html.escape(it.title)}</title><link>{base}{it.path}</link><guid>{base}{it.path}</guid>"
            f"<pubDate>{email.utils.format_datetime(it.published)}</pubDate></item>"
            for it in sorted(items, key=lambda it: it.published, reverse=True) if it.outlet == outlet]
    return ("<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel>"
            f"<title>Outlet {outlet}</title><link>{base}/</link><description>bench</description>"
            + "".join(rows) + "</channel></rss>").encode()


def _serve(items: list[Item], ready: Any, stop: Any) -> None:
    """Server process: one ThreadingHTTPServer per outlet on 127.0.0.(2+k)."""
    by_path = {(it.outlet, it.path): it for it in items}
    feeds: dict[int, bytes] = {}

    def handler_for(outlet: int) -> type[BaseHTTPRequestHandler]:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?", 1)[0]
                headers = {"Content-Type": "text/html; charset=utf-8"}
                if path == "/robots.txt":
                    body, headers = b"User-agent: *\nAllow: /\n", {"Content-Type": "text/plain"}
                elif path == "/feed.xml":
                    body, headers = feeds[outlet], {"Content-Type": "application/rss+xml"}
                else:
                    item = by_path.get((outlet, path))
                    if item is None:
                        self.send_error(404)
                        return
                    body = item.body
                    if item.gzipped:
                        headers = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
                self.send_response(200)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        return Handler

    servers, bases = pipeline.loopback_servers(handler_for, OUTLETS)
    for k, base in enumerate(bases):
        feeds[k] = _feed(items, base, k)
        threading.Thread(target=servers[k].serve_forever, daemon=True).start()
    ready.put(bases)
    stop.wait()
    for srv in servers:
        srv.shutdown()


class Sites:
    """The outlets served by a child process (so serving costs the
    measured processes nothing but the CPU it really takes)."""

    def __init__(self, items: list[Item]) -> None:
        ctx = mp.get_context("fork")
        self.ready, self.stop = ctx.Queue(), ctx.Event()
        self.proc = ctx.Process(target=_serve, args=(items, self.ready, self.stop), daemon=True)
        self.proc.start()
        self.bases: list[str] = self.ready.get(timeout=60)
        self.items = items

    def url(self, it: Item) -> str:
        return self.bases[it.outlet] + it.path

    def sources(self, path: Path, outlets: Sequence[int]) -> Path:
        lines = ["allow_private_hosts = true", "", "[defaults]", "rate_limit = 500.0", "max_concurrency = 8", "",
                 "[fetch]", "max_articles_per_source = 1000", "window_pages = 500", ""]
        for k in outlets:
            lines += ["[[sources]]", f'name = "Bench outlet {k:02d}"', f'homepage = "{self.bases[k]}/"',
                      f'feeds = ["{self.bases[k]}/feed.xml"]', 'language = "en"', ""]
        path.write_text("\n".join(lines), encoding="utf-8")
        return path

    def close(self) -> None:
        self.stop.set()
        self.proc.join(timeout=10)


# -- Prefect: deploy, run, wait ------------------------------------------------------


def deploy(prefect: LocalPrefect, sources: Path, lake: str, data: str) -> str:
    done = subprocess.run([NEWSFLOW, "deploy", "--sources", str(sources), "--db", lake, "--data-path", data,
                           "--no-schedule", "--home", str(ROOT)], env=prefect.env(), capture_output=True,
                          text=True, timeout=300, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"newsflow deploy failed: {done.stderr[-2000:]}")
    names = [line.split()[1] for line in done.stdout.splitlines() if line.startswith("deployed ")]
    assert len(names) == 1, names
    return names[0]


def _api(method: str, url: str, attempts: int = 5, **kwargs: Any) -> Any:
    """One call to the Prefect API, again on a 5xx or a connection error
    (its SQLite database answers slowly on a busy machine)."""
    for attempt in range(1, attempts + 1):
        try:
            response = httpx.request(method, url, timeout=60, **kwargs)
            if response.status_code < 500:
                response.raise_for_status()
                return response.json()
            problem = f"HTTP {response.status_code}: {response.text[:300]}"
        except httpx.TransportError as exc:
            problem = repr(exc)
        log(f"  Prefect API {method} {url}: {problem} (attempt {attempt} of {attempts})")
        time.sleep(2 * attempt)
    raise RuntimeError(f"the Prefect API kept failing: {method} {url}: {problem}")


def run_deployments(prefect: LocalPrefect, names: Sequence[str], timeout: float = 1800) -> float:
    """Start a flow run of each deployment at once; wait for all; the wall
    seconds from starting them to the last one finished."""
    ids = []
    t0 = time.perf_counter()
    for name in names:
        flow_name, dep = name.split("/")
        dep_id = _api("GET", f"{prefect.api}/deployments/name/{flow_name}/{dep}")["id"]
        ids.append(_api("POST", f"{prefect.api}/deployments/{dep_id}/create_flow_run", json={})["id"])
    pending = set(ids)
    while pending:
        if time.perf_counter() - t0 > timeout:
            raise RuntimeError(f"flow runs not finished in {timeout:.0f} s; see {prefect.logs}")
        for rid in list(pending):
            state = _api("GET", f"{prefect.api}/flow_runs/{rid}")["state"]
            if state["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
                if state["type"] != "COMPLETED":
                    raise RuntimeError(f"flow run {rid} ended {state['type']}: {state.get('message')}")
                pending.discard(rid)
        time.sleep(1.0)  # (the wall time is known to a second; polling costs the server CPU)
    return time.perf_counter() - t0


@dataclass
class Lakes:
    cluster: Cluster
    tmp: Path

    def fresh(self) -> tuple[str, str]:
        name = f"lake_{uuid.uuid4().hex[:10]}"
        self.cluster.create_database(name)
        return self.cluster.lake(name), str(self.tmp / name)


def with_workers(prefect: LocalPrefect, n: int) -> list[str]:
    """Exactly ``n`` workers running (the others stopped)."""
    wanted = [f"worker-{k + 1}" for k in range(n)]
    for name in list(prefect.workers):
        if name not in wanted:
            prefect.stop_worker(name)
    for name in wanted:
        if name not in prefect.workers:
            prefect.start_worker(name, NEWSFLOW_EXTRACT_PROCESSES="1")
    time.sleep(3)  # registered and polling
    return wanted


# -- what a lake holds after a measurement -------------------------------------------


def facts(lake: str, sites: Sites, items: Sequence[Item]) -> dict[str, Any]:
    wh = Warehouse(lake)
    _, rows = wh.query("SELECT count(*), count(DISTINCT article_id) FROM articles")
    articles, distinct = rows[0]
    urls = [sites.url(it) for it in items]
    wh_urls = {u for (u,) in wh.query("SELECT url FROM article_urls")[1]}
    dropped = {u for (u,) in wh.query("SELECT url FROM drops")[1]}
    failed = {u for (u,) in wh.query("SELECT url FROM fetch_log WHERE error IS NOT NULL")[1]}
    lost = [u for u in urls if u not in wh_urls and u not in dropped and u not in failed]
    _, rows = wh.query("SELECT coalesce(sum(commit_conflicts), 0), coalesce(sum(commit_retries), 0),"
                       " count(*) FILTER (WHERE status <> 'completed'), count(DISTINCT worker) FROM runs")
    conflicts, retries, not_completed, workers = rows[0]
    _, rows = wh.query("SELECT sum(fetched), sum(extracted), sum(loaded),"
                       " sum(stage_seconds['fetch']), sum(stage_seconds['extract']), sum(stage_seconds['load']),"
                       " sum(stage_seconds['dedupe']), sum(stage_seconds['total']) FROM runs")
    fetched, extracted, loaded, s_fetch, s_extract, s_load, s_dedupe, s_total = rows[0]
    _, rows = wh.query("SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL")
    return {"articles": int(articles), "duplicate_article_ids": int(articles - distinct), "lost_pages": len(lost),
            "lost_sample": lost[:3], "commit_conflicts": int(conflicts), "commit_retries": int(retries),
            "runs_not_completed": int(not_completed), "workers": int(workers), "copies": int(rows[0][0]),
            "fetched": int(fetched or 0), "extracted": int(extracted or 0), "loaded": int(loaded or 0),
            "fetch_s": float(s_fetch or 0), "extract_s": float(s_extract or 0), "load_s": float(s_load or 0),
            "dedupe_s": float(s_dedupe or 0), "total_s": float(s_total or 0)}


def story_f1(lake: str, sites: Sites, items: Sequence[Item], event: dict[str, str], topic: dict[str, int]) -> float:
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_stories", ROOT / "bench" / "stories.py")
    assert spec is not None and spec.loader is not None
    bench_stories = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_stories)  # its pairwise F1, the measure of bench/stories.py
    pairwise = bench_stories.pairwise
    wh = Warehouse(lake)
    url_to_path = {sites.url(it): it.path for it in items}
    _, rows = wh.query("SELECT u.url, a.story_id FROM article_urls u JOIN articles a USING (article_id)")
    assign = {url_to_path[u]: sid for u, sid in rows if u in url_to_path}
    missing = len(url_to_path) - len(assign)
    if missing:
        log(f"  {missing} ECB+ pages have no stored article (dropped); scored over the {len(assign)} stored")
    return float(pairwise(assign, {k: event[k] for k in assign}, {k: topic[k] for k in assign})["f1"])


# -- load and commit rates ----------------------------------------------------------------


def stored_batches(lake: str, size: int = 500) -> list[tuple[list[Any], list[Any]]]:
    """The lake's articles and their topics, as load() batches of ``size``."""
    from newsflow.records import Article, Evidence, Removal, TopicTag

    wh = Warehouse(lake)
    cols, rows = wh.query("SELECT * FROM articles ORDER BY fetched_at, article_id")
    _, tag_rows = wh.query("SELECT article_id, topic, score, evidence FROM article_topics")
    tags: dict[str, list[TopicTag]] = {}
    for aid, topic_, score, evidence in tag_rows:
        tags.setdefault(aid, []).append(TopicTag(aid, topic_, score, tuple(
            Evidence(e["phrase"], e["field"], e["start"], e["end"]) for e in evidence or [])))
    fields = set(Article.__dataclass_fields__)
    arts = []
    for row in rows:
        rec = dict(zip(cols, row, strict=True))
        rec["authors"] = tuple(rec["authors"] or ())
        rec["removed"] = tuple(Removal(r["rule"], r["text"]) for r in rec["removed"] or [])
        arts.append(Article(**{k: v for k, v in rec.items() if k in fields}))
    return [(arts[i:i + size], [t for a in arts[i:i + size] for t in tags.get(a.article_id, [])])
            for i in range(0, len(arts), size)]


def load_rate(wh: Warehouse, batches: list[tuple[list[Any], list[Any]]]) -> float:
    wh.migrate()
    n, busy = 0, 0.0
    for k, (arts, tags) in enumerate(batches):
        t0 = time.perf_counter()
        n += wh.load(f"bench-{k}", arts, tags, [], [], [], "bench").articles
        busy += time.perf_counter() - t0
    return n / busy


def search_costs(lakes: Lakes, batches: list[tuple[list[Any], list[Any]]], tmp: Path) -> dict[str, float]:
    """A reader's own search index on a lake: the first catch-up over every
    article but the last batch, the catch-up after one more batch, a
    catch-up with nothing new (what every search pays), a search."""
    from warehouse.search import SearchIndex

    lake, data = lakes.fresh()
    wh = Warehouse(lake, data_path=data)
    wh.migrate()
    for k, (arts, tags) in enumerate(batches[:-1]):
        wh.load(f"s-{k}", arts, tags, [], [], [], "bench")
    index = SearchIndex(tmp / f"search-{uuid.uuid4().hex[:6]}")
    t0 = time.perf_counter()
    first = index.catch_up(wh)
    t1 = time.perf_counter()
    wh.load("s-last", *batches[-1], [], [], [], "bench")
    t2 = time.perf_counter()
    more = index.catch_up(wh)
    t3 = time.perf_counter()
    index.catch_up(wh)
    t4 = time.perf_counter()
    index.search("election government", 10)
    t5 = time.perf_counter()
    return {"first_articles": first, "first_s": t1 - t0, "more_articles": more, "more_s": t3 - t2,
            "noop_s": t4 - t3, "query_s": t5 - t4}


def commit_rate(lakes: Lakes, n: int = 200) -> float:
    lake, data = lakes.fresh()
    wh = Warehouse(lake, data_path=data)
    wh.write(lambda con: con.execute("CREATE TABLE ticks (n INTEGER)"), "scratch table")
    t0 = time.perf_counter()
    for i in range(n):
        wh.write(lambda con, i=i: con.execute("INSERT INTO ticks VALUES (?)", [i]), "tick")
    return n / (time.perf_counter() - t0)


# -- the benchmark ----------------------------------------------------------------------


def median(xs: Sequence[float]) -> float:
    return float(statistics.median(xs))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--corpus", type=Path, default=SHARED / "extraction-corpus")
    ap.add_argument("--ecb", type=Path, default=SHARED / "stories-dev" / "ecbplus.jsonl")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--sample", type=int, default=0, help="only this many corpus pages (a quick try; not the benchmark)")
    args = ap.parse_args(argv)
    os.environ.setdefault("DO_NOT_TRACK", "1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the servers and the cluster on the way out
    tmp = Path(tempfile.mkdtemp(prefix="newsflow-scaleout-", dir=args.workdir))
    log(f"work folder {tmp}")
    items = corpus_items(args.corpus)
    if args.sample:
        items = items[:: max(1, len(items) // args.sample)]
    ecb, event, topic = ecb_items(args.ecb)
    log(f"{len(items)} corpus page URLs ({sum(1 for it in items if it.path.startswith('/syndicated/'))} syndicated"
        f" copies), {len(ecb)} ECB+ pages")
    out: dict[str, Any] = {"one": [], "two": []}
    with temporary_cluster(durable=True) as cluster, local_prefect(tmp / "prefect", tmp / "logs") as prefect:
        lakes = Lakes(cluster, tmp)
        sites = Sites(items)
        try:
            groups = [sites.sources(tmp / f"group-{g}.toml", outlets) for g, outlets in enumerate(GROUPS)]
            for rep in range(args.reps):
                for workers in (1, 2):
                    with_workers(prefect, workers)
                    lake, data = lakes.fresh()
                    names = [deploy(prefect, g, lake, data) for g in groups]
                    wall = run_deployments(prefect, names)
                    got = facts(lake, sites, items) | {"wall_s": wall, "lake": lake}
                    out["one" if workers == 1 else "two"].append(got)
                    log(f"rep {rep + 1}, {workers} worker(s): {wall:.1f} s, {got['articles']} articles,"
                        f" {got['duplicate_article_ids']} duplicate ids, {got['lost_pages']} lost pages,"
                        f" {got['commit_conflicts']} conflicts")
        finally:
            sites.close()
        # stories: ECB+ by one writer, then split over two
        sites = Sites(ecb)
        try:
            with_workers(prefect, 2)
            lake1, data1 = lakes.fresh()
            everything = sites.sources(tmp / "ecb-all.toml", range(OUTLETS))
            run_deployments(prefect, [deploy(prefect, everything, lake1, data1)])
            f1_one = story_f1(lake1, sites, ecb, event, topic)
            lake2, data2 = lakes.fresh()
            halves = [sites.sources(tmp / f"ecb-{g}.toml", outlets) for g, outlets in enumerate(GROUPS)]
            run_deployments(prefect, [deploy(prefect, h, lake2, data2) for h in halves])
            f1_two = story_f1(lake2, sites, ecb, event, topic)
            ecb_two = facts(lake2, sites, ecb)
            log(f"ECB+: pairwise F1 {f1_one:.4f} one writer, {f1_two:.4f} two writers")
        finally:
            sites.close()
        for name in list(prefect.workers):
            prefect.stop_worker(name)
        # load() of the same batches into a DuckDB file and into a lake; catalog commits
        batches = stored_batches(out["one"][0]["lake"])
        lake_rates, file_rates = [], []
        for rep in range(args.reps):
            file_rates.append(load_rate(Warehouse(tmp / f"file-{rep}.duckdb"), batches))
            lake, data = lakes.fresh()
            lake_rates.append(load_rate(Warehouse(lake, data_path=data), batches))
        commits = median([commit_rate(lakes) for _ in range(args.reps)])
        searches = [search_costs(lakes, batches, tmp) for _ in range(args.reps)]
        search = {k: median([r[k] for r in searches]) for k in searches[0]}
    report(out, f1_one, f1_two, ecb_two, median(lake_rates), median(file_rates), commits, search, args)
    return 0


def report(out: dict[str, list[dict[str, Any]]], f1_one: float, f1_two: float, ecb_two: dict[str, Any],
           lake_rate: float, file_rate: float, commits: float, search: dict[str, float],
           args: argparse.Namespace) -> None:
    one, two = out["one"], out["two"]
    wall1, wall2 = median([r["wall_s"] for r in one]), median([r["wall_s"] for r in two])
    pages = one[0]["fetched"]

    def med(runs: list[dict[str, Any]], key: str) -> float:
        return median([r[key] for r in runs])

    print(f"Scale-out: {len(one)} reps, extraction corpus ({pages} pages fetched per measurement), 2 source groups,"
          " NEWSFLOW_EXTRACT_PROCESSES=1 per worker; medians")
    print(f"{'':<60}{'1 worker':>18}{'2 workers':>18}")
    rows = [
        ("wall time, flow runs started to both finished (s)", f"{wall1:.1f}", f"{wall2:.1f}"),
        ("pages/s end to end", f"{pages / wall1:.1f}", f"{pages / wall2:.1f}"),
        ("articles stored", f"{med(one, 'articles'):.0f}", f"{med(two, 'articles'):.0f}"),
        ("copies stored with duplicate_of", f"{med(one, 'copies'):.0f}", f"{med(two, 'copies'):.0f}"),
        ("duplicate article_ids (all reps)", str(sum(r["duplicate_article_ids"] for r in one)),
         str(sum(r["duplicate_article_ids"] for r in two))),
        ("lost pages (all reps)", str(sum(r["lost_pages"] for r in one)), str(sum(r["lost_pages"] for r in two))),
        ("commit conflicts / retries (all reps)", f"{sum(r['commit_conflicts'] for r in one)} / "
         f"{sum(r['commit_retries'] for r in one)}", f"{sum(r['commit_conflicts'] for r in two)} / "
         f"{sum(r['commit_retries'] for r in two)}"),
        ("busy s, summed over runs: fetch / extract / dedupe / load",
         f"{med(one, 'fetch_s'):.0f}/{med(one, 'extract_s'):.0f}/{med(one, 'dedupe_s'):.0f}/{med(one, 'load_s'):.0f}",
         f"{med(two, 'fetch_s'):.0f}/{med(two, 'extract_s'):.0f}/{med(two, 'dedupe_s'):.0f}/{med(two, 'load_s'):.0f}"),
    ]
    for label, a, b in rows:
        print(f"{label:<60}{a:>18}{b:>18}")
    print(f"\nper-core rates (1 worker): extract {med(one, 'extracted') / med(one, 'extract_s'):.1f} pages/s,"
          f" fetch {med(one, 'fetched') / med(one, 'fetch_s'):.1f} pages/s per busy second,"
          f" load {med(one, 'loaded') / med(one, 'load_s'):.1f} articles/s in the flow,"
          f" dedupe {med(one, 'loaded') / med(one, 'dedupe_s'):.1f} articles/s")
    print(f"load() of the same {med(one, 'articles'):.0f} articles in batches of 500: DuckDB file {file_rate:.0f}/s,"
          f" lake {lake_rate:.0f}/s; catalog commits {commits:.1f}/s (one writer, PostgreSQL with fsync)")
    print(f"search on a lake (a reader's own index): first catch-up {search['first_articles']:.0f} articles in"
          f" {search['first_s']:.2f} s, then {search['more_articles']:.0f} new in {search['more_s']:.2f} s;"
          f" with nothing new {search['noop_s'] * 1000:.0f} ms; a query {search['query_s'] * 1000:.1f} ms")
    print(f"ECB+ stories, pairwise F1: one writer {f1_one:.4f}, two writers {f1_two:.4f}"
          f" ({ecb_two['commit_conflicts']} conflicts, {ecb_two['duplicate_article_ids']} duplicate ids)")
    result = {
        "workers_speedup": round(wall1 / wall2, 3),
        "duplicate_article_ids": sum(r["duplicate_article_ids"] for r in one + two) + ecb_two["duplicate_article_ids"],
        "lost_pages": sum(r["lost_pages"] for r in one + two) + ecb_two["lost_pages"],
        "commit_conflicts": sum(r["commit_conflicts"] for r in two) + ecb_two["commit_conflicts"],
        "commit_retries": sum(r["commit_retries"] for r in two) + ecb_two["commit_retries"],
        "story_pairwise_f1_single_writer": round(f1_one, 4),
        "story_pairwise_f1_two_writers": round(f1_two, 4),
        "lake_load_articles_per_s": round(lake_rate, 1),
        "file_load_articles_per_s": round(file_rate, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
