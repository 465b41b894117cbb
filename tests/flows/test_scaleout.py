"""Scale-out for real: a Prefect server (`prefect server start`), two
`prefect worker start` processes pulling from the `newsflow` process pool,
deployments made by `newsflow deploy`, and one DuckLake on a real
PostgreSQL cluster.  Everything on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from newsflow.demo.site import DemoSite, load_content, serve_resources
from newsflow.localprefect import LocalPrefect, local_prefect
from warehouse import Warehouse

REPO = Path(__file__).resolve().parents[2]
NEWSFLOW = str(Path(sys.executable).with_name("newsflow"))
VIEWS = ("articles_with_topics", "daily_topic_counts", "daily_source_counts", "stories", "stories_across_outlets",
         "source_health", "latest_run", "fetch_log", "runs", "article_topics")


@pytest.fixture(scope="module")
def prefect(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPrefect]:
    root = tmp_path_factory.mktemp("prefect")
    with local_prefect(root / "home", root / "logs") as running:
        for name in ("worker-a", "worker-b"):
            running.start_worker(name, NEWSFLOW_EXTRACT_PROCESSES="1")
        yield running


@pytest.fixture(scope="module")
def site() -> Iterator[Any]:
    demo = DemoSite(load_content())
    with serve_resources(demo.render) as server:
        server.demo = demo  # type: ignore[attr-defined]
        yield server


def _sources(site: Any, tmp_path: Path, name: str, keys: list[str]) -> Path:
    """A sources file with the demo outlets ``keys`` only."""
    text = site.demo.sources_toml(site.base_url)
    head, *blocks = text.split("[[sources]]")
    keep = [b for b in blocks if any(f"/{k}/" in b for k in keys)]
    path = tmp_path / f"{name}.toml"
    path.write_text(head + "".join("[[sources]]" + b for b in keep), encoding="utf-8")
    return path


def _deploy(prefect: LocalPrefect, sources: Path, lake: tuple[str, str]) -> list[str]:
    done = subprocess.run([NEWSFLOW, "deploy", "--sources", str(sources), "--db", lake[0], "--data-path", lake[1],
                           "--no-schedule", "--home", str(REPO)], env=prefect.env(), capture_output=True, text=True,
                          timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr
    return [line.split()[1] for line in done.stdout.splitlines() if line.startswith("deployed ")]


def _api(method: str, url: str, **kwargs: Any) -> Any:
    """A Prefect API call, again on a 503 (its SQLite database answers slowly on a busy machine)."""
    for attempt in range(6):
        response = httpx.request(method, url, timeout=60, **kwargs)
        if response.status_code < 500:
            response.raise_for_status()
            return response.json()
        time.sleep(1 + attempt)
    raise AssertionError(f"{method} {url}: HTTP {response.status_code} {response.text[:300]}")


def _start(prefect: LocalPrefect, deployment: str) -> str:
    flow_name, name = deployment.split("/")
    dep = _api("GET", f"{prefect.api}/deployments/name/{flow_name}/{name}")
    return str(_api("POST", f"{prefect.api}/deployments/{dep['id']}/create_flow_run", json={})["id"])


def _state(prefect: LocalPrefect, run_id: str) -> tuple[str, dict[str, Any]]:
    run = _api("GET", f"{prefect.api}/flow_runs/{run_id}")
    return run["state"]["type"], run


def _wait(prefect: LocalPrefect, run_ids: list[str], timeout: float = 240.0,
          meanwhile: Any = None) -> dict[str, dict[str, Any]]:
    deadline = time.monotonic() + timeout
    final: dict[str, dict[str, Any]] = {}
    while len(final) < len(run_ids):
        assert time.monotonic() < deadline, f"flow runs not finished in {timeout:.0f} s: see {prefect.logs}"
        for rid in run_ids:
            if rid not in final:
                state, run = _state(prefect, rid)
                if state in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
                    final[rid] = run
        if meanwhile is not None:
            meanwhile()
        time.sleep(0.5)
    return final


def _duplicate_ids(wh: Warehouse) -> int:
    _, rows = wh.query("SELECT count(*) - count(DISTINCT article_id) FROM articles")
    return int(rows[0][0])


def test_two_workers_ingest_overlapping_sources_into_one_lake(prefect: LocalPrefect, site: Any,
                                                             lake: tuple[str, str], tmp_path: Path) -> None:
    keys = list(site.demo.outlets)
    first = _deploy(prefect, _sources(site, tmp_path, "first", keys[:3]), lake)
    second = _deploy(prefect, _sources(site, tmp_path, "second", keys[1:]), lake)
    assert len(first) == len(second) == 1
    runs = [_start(prefect, first[0]), _start(prefect, second[0])]
    answers: list[str] = []

    def read_while_writing() -> None:  # `newsflow sql` against the lake while the workers write
        if len(answers) >= 3:
            return
        done = subprocess.run([NEWSFLOW, "sql", "SELECT count(*) AS n FROM articles_with_topics", "--db", lake[0]],
                              capture_output=True, text=True, timeout=60, cwd=REPO)
        assert done.returncode == 0, done.stderr
        answers.append(done.stdout)

    final = _wait(prefect, runs, meanwhile=read_while_writing)
    assert all(r["state"]["type"] == "COMPLETED" for r in final.values()), [r["state"] for r in final.values()]
    assert len(answers) >= 2 and all("n" in a for a in answers)

    wh = Warehouse(lake[0])
    assert _duplicate_ids(wh) == 0
    _, rows = wh.query("SELECT canonical_url FROM articles")
    assert {u for (u,) in rows} == {site.demo.stable_url(a) for a in site.demo.articles}  # no page lost
    _, rows = wh.query("SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL")
    assert rows == [(1,)]  # the wire copy, linked whichever worker stored it
    for view in VIEWS:
        wh.query(f"SELECT count(*) FROM {view}")
    _, rows = wh.query("SELECT status, worker FROM runs ORDER BY started_at")
    assert [r[0] for r in rows] == ["completed", "completed"]
    assert {r[1] for r in rows} == {"worker-a", "worker-b"}  # which worker ran which run


def _blocked_commits(dsn: str) -> int:
    with psycopg.connect(dsn, autocommit=True) as con:
        row = con.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                          " AND wait_event_type = 'Lock' AND application_name <> 'test-holder'").fetchone()
    return int(row[0]) if row else 0


def test_a_worker_killed_inside_its_load_leaves_no_partial_window(prefect: LocalPrefect, site: Any,
                                                                 lake: tuple[str, str], tmp_path: Path,
                                                                 pg_cluster: Any) -> None:
    """The load's commit is held at the catalog (the test locks the table
    every load's commit writes to: the fence's delete file) while its data
    files are written; the flow's process is SIGKILLed there.  Nothing of
    the window shows, the next run marks the run crashed and stores it all."""
    deployment = _deploy(prefect, _sources(site, tmp_path, "all", list(site.demo.outlets)), lake)
    wh = Warehouse(lake[0])
    wh.load("seed", [_seed()], [], [], [], [], "v0")  # articles has table stats now (locked below)
    tables = ("articles", "story_members", "raw_pages", "article_topics", "article_urls", "fetch_log", "drops")
    before = {t: wh.query(f"SELECT count(*) FROM {t}")[1] for t in tables}
    dsn = lake[0].removeprefix("ducklake:postgres:")
    holder = psycopg.connect(dsn + " application_name=test-holder")
    # every load's commit updates the articles table's stats row: it waits here
    holder.execute("SELECT * FROM ducklake_table_stats WHERE table_id = (SELECT table_id FROM ducklake_table"
                   " WHERE table_name = 'articles' AND end_snapshot IS NULL) FOR UPDATE")
    files_before = set(Path(lake[1]).rglob("*.parquet"))
    try:
        doomed = _start(prefect, deployment[0])
        deadline = time.monotonic() + 180
        while _blocked_commits(dsn) == 0:
            assert time.monotonic() < deadline, f"the load never reached its commit; see {prefect.logs}"
            assert _state(prefect, doomed)[0] not in ("COMPLETED", "FAILED", "CRASHED")
            time.sleep(0.2)
        _, rows = wh.query("SELECT run_id, pid FROM runs WHERE status = 'running'")
        assert len(rows) == 1
        killed_run, pid = rows[0]
        os.kill(pid, signal.SIGKILL)
        time.sleep(2.5)  # PostgreSQL notices the client is gone (client_connection_check_interval)
    finally:
        holder.rollback()
        holder.close()
    _wait(prefect, [doomed], timeout=60)

    assert {t: wh.query(f"SELECT count(*) FROM {t}")[1] for t in tables} == before  # nothing of the window
    assert set(Path(lake[1]).rglob("*.parquet")) - files_before  # though the killed load had written its files

    after = _wait(prefect, [_start(prefect, deployment[0])])
    assert [r["state"]["type"] for r in after.values()] == ["COMPLETED"]
    _, rows = wh.query("SELECT status, message FROM runs WHERE run_id = ?", [killed_run])
    assert rows[0][0] == "failed" and rows[0][1].startswith("crashed:")
    assert _duplicate_ids(wh) == 0
    _, rows = wh.query("SELECT count(DISTINCT canonical_url) FROM articles WHERE run_id <> 'seed'")
    assert rows == [(len(site.demo.articles),)]


def _seed() -> Any:
    from datetime import UTC, datetime

    from newsflow.records import Article

    at = datetime(2026, 1, 1, tzinfo=UTC)
    return Article(article_id="seed", url="https://seed.example/1", canonical_url="https://seed.example/1",
                   source="seed", site="seed.example", title="Seed", authors=(), published_at=at, language="en",
                   text="seed text", fetched_at=at, http_status=200, extractor="t", content_hash="h-seed",
                   story_id="seed")
