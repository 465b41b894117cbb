"""Fetching with politeness, robots.txt, retries, redirects and size caps.

A :class:`Crawler` lives for one run.  It never raises for a bad page or
host: every request lands as a :class:`~newsflow.records.FetchRecord` in
``crawler.records`` (the future ``fetch_log`` rows) and every page it gives up
on as a :class:`~newsflow.records.Drop` with a reason.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from crawler.decode import CappedDecoder, TooLarge, UnsupportedEncoding
from crawler.guard import BlockedAddressError
from crawler.politeness import HostGate
from crawler.robots import RobotsRules
from newsflow import packing, progress
from newsflow.config import FetchSettings, Politeness
from newsflow.records import Drop, FeedEntry, FetchRecord, Page

HTML_TYPES = ("text/html", "application/xhtml+xml")
RETRY_STATUSES = {429, 500, 502, 503, 504}


@dataclass(frozen=True, slots=True)
class Body:
    """A response that arrived whole, within the size cap."""

    url: str
    final_url: str
    status: int
    content_type: str
    charset: str | None
    body: bytes
    fetched_at: datetime
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class _Failure(Exception):
    def __init__(self, reason: str, detail: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.status = status
        self.retry_after = retry_after


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _media_type(content_type: str) -> tuple[str, str | None]:
    parts = [p.strip() for p in content_type.split(";")]
    media = parts[0].lower()
    charset = None
    for p in parts[1:]:
        if p.lower().startswith("charset="):
            charset = p.split("=", 1)[1].strip().strip("\"'") or None
    return media, charset


class Crawler:
    def __init__(self, client: httpx.AsyncClient, settings: FetchSettings) -> None:
        self.client = client
        self.settings = settings
        self.gate = HostGate()
        self.records: list[FetchRecord] = []
        # per source: consecutive page failures, and why its breaker tripped
        # (kept for the whole run, which fetches in windows)
        self._failures_in_a_row: dict[str, int] = {}
        self._tripped: dict[str, str] = {}
        self._robots: dict[str, RobotsRules] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}

    # -- bookkeeping -----------------------------------------------------

    def _record(self, source: str, url: str, kind: str, started: float, fetched_at: datetime,
                status: int | None, error: str | None, nbytes: int,
                final_url: str | None = None, detail: str | None = None) -> None:
        self.records.append(FetchRecord(
            source=source, url=url, kind=kind, fetched_at=fetched_at, status=status, error=error,
            bytes=nbytes, elapsed_ms=round((time.monotonic() - started) * 1000, 1),
            final_url=final_url, detail=detail,
        ))

    # -- robots.txt ------------------------------------------------------

    async def robots_for(self, url: str, source: str) -> RobotsRules:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        lock = self._robots_locks.setdefault(origin, asyncio.Lock())
        async with lock:
            if origin not in self._robots:
                self._robots[origin] = await self._load_robots(origin, source)
                delay = self._robots[origin].crawl_delay(self.settings.user_agent)
                if delay:
                    self.gate.slow_down(parts.netloc, delay)
        return self._robots[origin]

    async def _load_robots(self, origin: str, source: str) -> RobotsRules:
        """RFC 9309: a 4xx means no rules; a 5xx or no answer means "disallow
        all" for now (the host is unwell; we try again next run)."""
        try:
            body = await self._get(f"{origin}/robots.txt", source, "robots", accept=None, retries=0)
        except _Failure as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                return RobotsRules(None)
            return RobotsRules(None, unavailable=exc.reason)
        return RobotsRules(body.body.decode("utf-8", errors="replace"))

    # -- one URL ---------------------------------------------------------

    async def _get(self, url: str, source: str, kind: str, *, accept: tuple[str, ...] | None,
                   retries: int | None = None, headers: dict[str, str] | None = None) -> Body:
        """GET with retries; records every attempt; raises _Failure at the end."""
        attempts = 1 + (self.settings.retries if retries is None else retries)
        last: _Failure | None = None
        for attempt in range(attempts):
            try:
                return await self._get_once(url, source, kind, accept, headers)
            except _Failure as exc:
                last = exc
                retryable = exc.status in RETRY_STATUSES or exc.reason in ("connect_error", "timeout", "read_error")
                if not retryable or attempt == attempts - 1:
                    break
                wait = self.settings.backoff_base * (2 ** attempt) * (1 + random.random() * 0.5)
                if exc.retry_after is not None:
                    if exc.retry_after > self.settings.max_retry_after:
                        break
                    wait = max(wait, exc.retry_after)
                await asyncio.sleep(wait)
        assert last is not None
        raise last

    async def _get_once(self, url: str, source: str, kind: str, accept: tuple[str, ...] | None,
                        headers: dict[str, str] | None) -> Body:
        seen = [url]
        current = url
        started = time.monotonic()
        fetched_at = datetime.now(UTC)
        for _hop in range(self.settings.max_redirects + 1):
            host = urlsplit(current).netloc
            try:
                # total_timeout bounds one request from send to last byte (not
                # the wait for a politeness slot), so a server that trickles
                # bytes cannot hold a slot forever.
                async with self.gate.slot(host), asyncio.timeout(self.settings.total_timeout):
                    started = time.monotonic()  # elapsed_ms excludes the wait for a politeness slot
                    request = self.client.build_request("GET", current, headers=headers)
                    response = await self.client.send(request, stream=True)
                    try:
                        if response.next_request is not None and response.is_redirect:
                            target = str(response.next_request.url)
                            self._record(source, current, kind, started, fetched_at, response.status_code,
                                         None, 0, final_url=target, detail="redirect")
                            if target in seen:
                                self._fail(source, url, kind, started, fetched_at, "redirect_loop",
                                           " -> ".join([*seen, target]), response.status_code)
                            seen.append(target)
                            current = target
                            continue
                        return await self._read(response, url, current, source, kind, accept, started, fetched_at)
                    finally:
                        await response.aclose()
            except BlockedAddressError as exc:
                self._fail(source, url, kind, started, fetched_at, "blocked_private_address", str(exc))
            except httpx.TimeoutException as exc:
                self._fail(source, url, kind, started, fetched_at, "timeout", f"{type(exc).__name__} after {time.monotonic() - started:.1f}s")
            except TimeoutError:
                self._fail(source, url, kind, started, fetched_at, "timeout",
                           f"no complete response within the {self.settings.total_timeout:.0f}s total timeout")
            except httpx.ConnectError as exc:
                self._fail(source, url, kind, started, fetched_at, "connect_error", str(exc) or type(exc).__name__)
            except (httpx.ReadError, httpx.RemoteProtocolError) as exc:
                self._fail(source, url, kind, started, fetched_at, "read_error", str(exc) or type(exc).__name__)
            except httpx.DecodingError as exc:
                self._fail(source, url, kind, started, fetched_at, "decoding_error", str(exc))
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                self._fail(source, url, kind, started, fetched_at, "invalid_url", str(exc))
        self._fail(source, url, kind, started, fetched_at, "too_many_redirects",
                   f"more than {self.settings.max_redirects} redirects: {' -> '.join(seen)}")
        raise AssertionError("unreachable")

    def _fail(self, source: str, url: str, kind: str, started: float, fetched_at: datetime,
              reason: str, detail: str, status: int | None = None, nbytes: int = 0,
              retry_after: float | None = None) -> None:
        self._record(source, url, kind, started, fetched_at, status, reason, nbytes, detail=detail[:500])
        raise _Failure(reason, detail, status, retry_after)

    async def _read(self, response: httpx.Response, url: str, final_url: str, source: str, kind: str,
                    accept: tuple[str, ...] | None, started: float, fetched_at: datetime) -> Body:
        status = response.status_code
        sent = response.request.headers
        if status == 304 and ("If-None-Match" in sent or "If-Modified-Since" in sent):
            self._record(source, url, kind, started, fetched_at, status, None, 0, detail="not_modified")
            return Body(url=url, final_url=final_url, status=304, content_type="", charset=None, body=b"",
                        fetched_at=fetched_at, etag=response.headers.get("ETag"),
                        last_modified=response.headers.get("Last-Modified"))
        if status >= 400 or status == 304:
            retry_after = _parse_retry_after(response.headers.get("Retry-After"))
            self._fail(source, url, kind, started, fetched_at, f"http_{status}",
                       f"HTTP {status} from {final_url}", status, retry_after=retry_after)
        media, charset = _media_type(response.headers.get("Content-Type", ""))
        if accept is not None and media and not media.startswith(accept):
            self._fail(source, url, kind, started, fetched_at, "not_html" if accept == HTML_TYPES else "bad_content_type",
                       f"Content-Type {media!r} is not one of {', '.join(accept)}", status)
        declared = response.headers.get("Content-Length")
        cap = self.settings.max_bytes
        if declared and declared.isdigit() and int(declared) > cap:
            self._fail(source, url, kind, started, fetched_at, "too_large",
                       f"Content-Length {declared} exceeds the {cap}-byte cap", status)
        chunks: list[bytes] = []
        try:
            decoder = CappedDecoder(response.headers.get("Content-Encoding", ""), cap)
            async for chunk in response.aiter_raw():
                chunks.append(decoder.feed(chunk))
            chunks.append(decoder.flush())
        except TooLarge as exc:
            self._fail(source, url, kind, started, fetched_at, "too_large", str(exc), status, nbytes=decoder.size)
        except (UnsupportedEncoding, zlib.error) as exc:
            self._fail(source, url, kind, started, fetched_at, "decoding_error", str(exc), status)
        body = b"".join(chunks)
        self._record(source, url, kind, started, fetched_at, status, None, len(body),
                     final_url=final_url if final_url != url else None,
                     detail="not_modified" if status == 304 else None)
        return Body(url=url, final_url=final_url, status=status, content_type=media,
                    charset=charset, body=body, fetched_at=fetched_at,
                    etag=response.headers.get("ETag"), last_modified=response.headers.get("Last-Modified"))

    # -- public API ------------------------------------------------------

    def register(self, url: str, politeness: Politeness) -> None:
        self.gate.register(urlsplit(url).netloc, politeness)

    async def fetch_document(self, url: str, source: str, kind: str, accept: tuple[str, ...] | None = None,
                             validators: tuple[str | None, str | None] | None = None) -> tuple[Body | None, Drop | None]:
        """Fetch one feed/sitemap/page, obeying robots.txt. Never raises for
        network or HTTP trouble: returns a Drop with the reason instead.

        ``validators`` is a stored (ETag, Last-Modified) pair: the request is
        then conditional and a 304 comes back as a Body with
        ``not_modified`` set, not as a failure."""
        stage = "discover" if kind == "feed" else "fetch"
        rules = await self.robots_for(url, source)
        if not rules.allowed(url, self.settings.user_agent):
            if rules.unavailable == "blocked_private_address":
                reason, detail = rules.unavailable, "the host resolves to a private, loopback or reserved address"
            elif rules.unavailable is not None:
                reason, detail = "robots_unavailable", f"robots.txt could not be read ({rules.unavailable}); not crawling the host this run"
            else:
                reason, detail = "robots_disallowed", "robots.txt disallows this URL for our User-Agent"
            now = datetime.now(UTC)
            self.records.append(FetchRecord(source=source, url=url, kind=kind, fetched_at=now, status=None,
                                            error=reason, bytes=0, elapsed_ms=0.0, detail=detail))
            return None, Drop(stage, source, url, reason, detail)
        headers: dict[str, str] = {}
        if validators is not None:
            etag, last_modified = validators
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
        try:
            return await self._get(url, source, kind, accept=accept, headers=headers or None), None
        except _Failure as exc:
            return None, Drop(stage, source, url, exc.reason, exc.detail)

    async def fetch_pages(self, entries: list[FeedEntry], source: str, workers: int = 2,
                          pack: bool = False) -> tuple[list[Page], list[Drop]]:
        """Fetch article pages of one source with ``workers`` concurrent
        requests (the host gate still applies); with ``pack``, each page's
        body is compressed as it arrives (see :mod:`newsflow.packing`).  After ``circuit_breaker``
        consecutive failures the rest of the source is skipped for this run
        (across calls: the flow fetches in windows), each skipped page
        recorded with reason ``circuit_open``."""
        pages: list[Page] = []
        drops: list[Drop] = []
        queue: asyncio.Queue[FeedEntry] = asyncio.Queue()
        for entry in entries:
            queue.put_nowait(entry)

        async def worker() -> None:
            while not queue.empty():
                entry = queue.get_nowait()
                tripped = self._tripped.get(source)
                if tripped is not None:
                    drops.append(Drop("fetch", source, entry.url, "circuit_open", tripped))
                    continue
                body, drop = await self.fetch_document(entry.url, source, "article", accept=HTML_TYPES)
                progress.advance("fetch")
                if drop is not None:
                    drops.append(drop)
                    if drop.reason not in ("robots_disallowed",):
                        n = self._failures_in_a_row[source] = self._failures_in_a_row.get(source, 0) + 1
                        if n >= self.settings.circuit_breaker and source not in self._tripped:
                            self._tripped[source] = f"skipped after {n} consecutive failures (last: {drop.reason})"
                    continue
                assert body is not None
                self._failures_in_a_row[source] = 0
                pages.append(Page(url=entry.url, final_url=body.final_url, source=source, status=body.status,
                                  content_type=body.content_type, charset=body.charset,
                                  body=packing.pack(body.body) if pack else body.body,
                                  fetched_at=body.fetched_at, entry=entry, packed=pack))
                # not held while the next page is fetched: with pack, the page
                # lives on as its frame, and 64 workers held 12 MB of raw bodies
                body = None

        await asyncio.gather(*(worker() for _ in range(max(1, workers))))
        return pages, drops
