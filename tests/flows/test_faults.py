"""The ingest flow against a fault-injection site: every bad page is
recorded with its reason, and the good pages of the same run still load."""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path

import pytest

from faultserver import FaultServer, Reply
from flows.ingest import ingest
from warehouse import Warehouse

pytestmark = pytest.mark.usefixtures("prefect_harness")

BODY = "<p>" + ("Rescuers brought the migrants ashore at dawn, the coastguard said in a statement. " * 6) + "</p>"


def article(title: str) -> bytes:
    return (f"<html lang='en'><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            f"<p>This is the story of {title}.</p>{BODY}{BODY}</article></body></html>").encode()


def rss(base: str, paths: list[str]) -> bytes:
    items = "".join(f"<item><title>{p}</title><link>{base}{p}</link></item>" for p in paths)
    items += "<item><title>an item without a link</title></item>"
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


BILLION_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><item><title>&lol3;</title><link>http://x.example/a</link></item></channel></rss>"""

GOOD = ["/ok1", "/ok2", "/busy", "/flaky", "/latin1", "/sjis"]
BAD = {
    "/missing": "http_404", "/gone": "http_410", "/slow": "timeout", "/reset": "read_error",
    "/loop": "redirect_loop", "/big": "too_large", "/bomb": "too_large", "/pdf": "not_html",
    "/private/secret": "robots_disallowed",
}


def build_site(server: FaultServer) -> None:
    base = server.base_url
    r = server.routes
    r["/robots.txt"] = Reply(body=b"User-agent: *\nDisallow: /private/\nCrawl-delay: 0.05\n", content_type="text/plain")
    r["/feed.xml"] = Reply(body=rss(base, GOOD + list(BAD)), content_type="application/rss+xml",
                           headers={"ETag": '"v1"'})
    r["/broken.xml"] = Reply(body=b"<rss><channel><item><title>unclosed", content_type="application/rss+xml")
    r["/lol.xml"] = Reply(body=BILLION_LAUGHS, content_type="application/rss+xml")
    for p in ("/ok1", "/ok2"):
        r[p] = Reply(body=article(f"Page {p}"))
    r["/busy"] = [Reply(429, b"busy", headers={"Retry-After": "1"}), Reply(body=article("Busy then fine"))]
    r["/flaky"] = [Reply(500, b"oops"), Reply(body=article("Flaky then fine"))]
    latin = ("<html><body><article><h1>Réfugiés</h1><p>" + "Les réfugiés arrivés à Tanger ont été accueillis. " * 12
             + "</p></article></body></html>").encode("cp1252")
    r["/latin1"] = Reply(body=latin, content_type="text/html")  # no charset anywhere
    sjis = ("<html><body><article><h1>難民</h1><p>" + "東京で新しい難民受け入れ施設が開設されました。" * 15
            + "</p></article></body></html>").encode("shift_jis")
    r["/sjis"] = Reply(body=sjis, content_type="text/html; charset=utf-8")  # the header lies
    r["/gone"] = Reply(410, b"gone")
    r["/slow"] = Reply(body=article("slow"), delay=1.5)
    r["/reset"] = Reply(body=article("reset") * 3, reset_after=200)
    r["/loop"] = Reply(302, headers={"Location": "/loop2"})
    r["/loop2"] = Reply(302, headers={"Location": "/loop"})
    big = article("big") * 400
    r["/big"] = Reply(body=big)
    r["/bomb"] = Reply(body=gzip.compress(b"<html>" + b" " * 20_000_000), headers={"Content-Encoding": "gzip"})
    r["/pdf"] = Reply(body=b"%PDF-1.4", content_type="application/pdf")
    r["/private/secret"] = Reply(body=article("secret"))


SOURCES = """allow_private_hosts = true
[defaults]
rate_limit = 100.0
max_concurrency = 4
[fetch]
read_timeout = 0.5
total_timeout = 3.0
retries = 2
backoff_base = 0.05
max_retry_after = 5
max_bytes = 300000
circuit_breaker = 100

[[sources]]
name = "Faulty"
homepage = "{base}/"
feeds = ["{base}/feed.xml"]
language = "en"

[[sources]]
name = "Broken"
homepage = "{base}/"
feeds = ["{base}/broken.xml"]
language = "en"

[[sources]]
name = "Laughs"
homepage = "{base}/"
feeds = ["{base}/lol.xml"]
language = "en"
"""


def test_every_fault_is_recorded_and_good_pages_load(server: FaultServer, tmp_path: Path) -> None:
    build_site(server)
    sources = tmp_path / "sources.toml"
    sources.write_text(SOURCES.format(base=server.base_url))
    db = tmp_path / "w.duckdb"
    first = asyncio.run(ingest(sources_file=str(sources), db=str(db)))
    wh = Warehouse(db)

    _, rows = wh.query("SELECT url FROM articles WHERE source = 'faulty'")
    assert sorted(u.replace(server.base_url, "") for (u,) in rows) == sorted(GOOD)
    _, rows = wh.query("SELECT url, reason FROM drops WHERE source = 'faulty'")
    assert {u.replace(server.base_url, ""): reason for u, reason in rows} == BAD
    _, rows = wh.query("SELECT source, reason FROM drops WHERE source <> 'faulty' ORDER BY 1")
    assert rows == [("broken", "malformed_feed"), ("laughs", "unsafe_xml")]
    assert first["status"] == "partial" and set(first["failed_sources"]) == {"broken", "laughs"}
    # the item without a link was not taken, and is counted
    assert first["per_source"]["faulty"]["unusable"] == 1 and first["per_source"]["faulty"]["over_cap"] == 0

    # text decoded right despite a missing or lying charset
    _, rows = wh.query("SELECT text FROM articles WHERE url LIKE '%/latin1' OR url LIKE '%/sjis' ORDER BY url")
    assert "réfugiés arrivés à Tanger" in rows[0][0] and "難民受け入れ施設" in rows[1][0]
    # retried statuses are in fetch_log next to the success
    _, rows = wh.query("SELECT status FROM fetch_log WHERE url LIKE '%/busy' ORDER BY fetched_at")
    assert rows == [(429,), (200,)]
    # robots.txt was asked once per host, and the disallowed page never
    assert server.hits("/robots.txt") == 1 and server.hits("/private/secret") == 0

    # the revisit: a conditional GET answered 304 is "no change", not a failure
    second = asyncio.run(ingest(sources_file=str(sources), db=str(db)))
    assert second["per_source"]["faulty"]["not_modified"] == 0  # pages failed last time: full read
    assert second["per_source"]["faulty"].get("loaded", 0) == 0
    _, rows = wh.query("SELECT count(*) FROM articles")
    assert rows == [(len(GOOD),)]
    # make the feed's pages healthy, run once to store validators, then revisit
    for path in BAD:
        server.routes[path] = Reply(body=article(path))
    asyncio.run(ingest(sources_file=str(sources), db=str(db)))
    fourth = asyncio.run(ingest(sources_file=str(sources), db=str(db)))
    assert fourth["per_source"]["faulty"]["not_modified"] == 1
    assert "faulty" not in fourth["failed_sources"]
    _, rows = wh.query("SELECT status, error, detail FROM fetch_log WHERE run_id = ? AND kind = 'feed'"
                       " AND source = 'faulty'", [fourth["run_id"]])
    assert rows == [(304, None, "not_modified")]
