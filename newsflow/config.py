"""Typed configuration, read once from TOML and passed down as arguments.

Only the entry points (CLI, flows) call :func:`load_sources`; no stage reads
files or environment variables on its own.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newsflow import USER_AGENT
from newsflow.errors import ConfigError

DEFAULT_SCHEDULE = "*/30 * * * *"


@dataclass(frozen=True, slots=True)
class Politeness:
    """How hard we may hit one host."""

    rate_limit: float = 1.0  # requests per second per host
    max_concurrency: int = 2  # requests in flight per host


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """Network limits shared by every source."""

    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_bytes: int = 5_000_000  # per response, after decompression
    max_redirects: int = 5
    retries: int = 2  # extra attempts on 429, 5xx and connection errors
    backoff_base: float = 0.5  # seconds; doubled per attempt, plus jitter
    max_retry_after: float = 30.0  # longest Retry-After we wait for in a run
    circuit_breaker: int = 5  # consecutive failed pages before a source is skipped
    max_articles_per_source: int = 500  # per run
    window_pages: int = 500  # pages fetched, extracted and loaded together (bounds a run's memory)
    user_agent: str = USER_AGENT


DEFAULT_COMPACT_SCHEDULE = "17 3 * * *"


DEFAULT_PAGE_CPU_SECONDS = 20.0


@dataclass(frozen=True, slots=True)
class ExtractSettings:
    """How extraction treats one page."""

    # CPU seconds a page may take in an extraction worker: past it the page
    # is dropped (extract_timeout); at twice it the worker is ended with it
    # (a page stuck in C code), and the page is dropped as worker_crashed
    page_cpu_seconds: float = DEFAULT_PAGE_CPU_SECONDS


@dataclass(frozen=True, slots=True)
class RawPagesSettings:
    """How long the fetched HTML is kept, and when ``newsflow serve`` tidies it."""

    keep_days: float = 0.0  # HTML of pages fetched longer ago is given up by compaction; 0: kept for ever
    compact_schedule: str = DEFAULT_COMPACT_SCHEDULE  # cron of the served compaction; "": none
    min_waste: float = 0.25  # a pack with at least this share of its bytes unused is rewritten


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    name: str
    homepage: str
    feeds: tuple[str, ...]
    language: str
    schedule: str = DEFAULT_SCHEDULE
    politeness: Politeness = field(default_factory=Politeness)
    sitemaps: tuple[str, ...] = ()  # XML sitemaps or sitemap indexes (Google News sitemaps too)
    sections: tuple[str, ...] = ()  # listing pages whose article links are followed
    robots_sitemaps: bool = False  # also read the Sitemap: lines of robots.txt
    sitemap_max_age_days: float = 3.0  # sitemap URLs older than this (by date) are ignored

    @property
    def autodiscover(self) -> bool:
        """No feed, sitemap or section given: find feeds on the homepage."""
        return not (self.feeds or self.sitemaps or self.sections or self.robots_sitemaps)

    @property
    def site(self) -> str:
        return urlsplit(self.homepage).hostname or self.id


@dataclass(frozen=True, slots=True)
class SourcesConfig:
    sources: tuple[Source, ...]
    allow_private_hosts: bool = False
    fetch: FetchSettings = field(default_factory=FetchSettings)
    path: str | None = None
    raw_pages: RawPagesSettings = field(default_factory=RawPagesSettings)
    extract: ExtractSettings = field(default_factory=ExtractSettings)

    def select(self, ids: list[str] | None) -> SourcesConfig:
        """The same config restricted to the given source ids (all if None)."""
        if not ids:
            return self
        known = {s.id for s in self.sources}
        unknown = sorted(set(ids) - known)
        if unknown:
            raise ConfigError(
                f"unknown source id(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        return SourcesConfig(
            sources=tuple(s for s in self.sources if s.id in ids),
            allow_private_hosts=self.allow_private_hosts,
            fetch=self.fetch,
            path=self.path,
            raw_pages=self.raw_pages,
            extract=self.extract,
        )


def slugify(name: str) -> str:
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def _need(table: dict[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in table:
        raise ConfigError(f"{where}: missing required key '{key}'")
    value = table[key]
    if not isinstance(value, kind):
        raise ConfigError(f"{where}: '{key}' must be a {kind.__name__}, got {type(value).__name__}")
    return value


def _check_url(url: str, where: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where}: '{url}' is not an http(s) URL")
    return url


def _check_cron(expr: str, where: str) -> str:
    if len(expr.split()) != 5:
        raise ConfigError(f"{where}: schedule '{expr}' is not a 5-field cron expression")
    return expr


def _politeness(table: dict[str, Any], base: Politeness, where: str) -> Politeness:
    rate = table.get("rate_limit", base.rate_limit)
    conc = table.get("max_concurrency", base.max_concurrency)
    if not isinstance(rate, (int, float)) or rate <= 0:
        raise ConfigError(f"{where}: rate_limit must be a positive number (requests/s per host)")
    if not isinstance(conc, int) or conc < 1:
        raise ConfigError(f"{where}: max_concurrency must be a positive integer")
    return Politeness(rate_limit=float(rate), max_concurrency=conc)


def parse_sources(data: dict[str, Any], path: str | None = None) -> SourcesConfig:
    """Validate a parsed sources file (see README, "The sources file")."""
    where = path or "sources"
    allow_private = data.get("allow_private_hosts", False)
    if not isinstance(allow_private, bool):
        raise ConfigError(f"{where}: allow_private_hosts must be true or false")
    defaults = data.get("defaults", {})
    base = _politeness(defaults, Politeness(), f"{where} [defaults]")
    default_schedule = _check_cron(defaults.get("schedule", DEFAULT_SCHEDULE), f"{where} [defaults]")

    fetch_table = data.get("fetch", {})
    try:
        fetch = FetchSettings(**fetch_table)
    except TypeError as exc:
        raise ConfigError(f"{where} [fetch]: {exc}") from exc

    raw_pages = _raw_pages(data.get("raw_pages", {}), f"{where} [raw_pages]")
    extract = _extract(data.get("extract", {}), f"{where} [extract]")

    raw_sources = data.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise ConfigError(f"{where}: needs at least one [[sources]] table")
    sources: list[Source] = []
    seen: set[str] = set()
    for i, table in enumerate(raw_sources, 1):
        here = f"{where} [[sources]] #{i}"
        name = _need(table, "name", str, here)
        here = f"{where} source '{name}'"
        sid = table.get("id") or slugify(name)
        if sid in seen:
            raise ConfigError(f"{here}: duplicate source id '{sid}'; set a distinct 'id'")
        seen.add(sid)
        lists = {}
        for key in ("feeds", "sitemaps", "sections"):
            value = table.get(key, [])
            if not isinstance(value, list):
                raise ConfigError(f"{here}: '{key}' must be a list of URLs")
            lists[key] = tuple(_check_url(str(u), here) for u in value)
        robots_sitemaps = table.get("robots_sitemaps", False)
        if not isinstance(robots_sitemaps, bool):
            raise ConfigError(f"{here}: robots_sitemaps must be true or false")
        max_age = table.get("sitemap_max_age_days", 3.0)
        if not isinstance(max_age, (int, float)) or max_age <= 0:
            raise ConfigError(f"{here}: sitemap_max_age_days must be a positive number")
        sources.append(
            Source(
                id=sid,
                name=name,
                homepage=_check_url(_need(table, "homepage", str, here), here),
                feeds=lists["feeds"],
                language=_need(table, "language", str, here),
                schedule=_check_cron(table.get("schedule", default_schedule), here),
                politeness=_politeness(table, base, here),
                sitemaps=lists["sitemaps"],
                sections=lists["sections"],
                robots_sitemaps=robots_sitemaps,
                sitemap_max_age_days=float(max_age),
            )
        )
    return SourcesConfig(
        sources=tuple(sources), allow_private_hosts=allow_private, fetch=fetch, path=path, raw_pages=raw_pages,
        extract=extract,
    )


def _extract(table: Any, where: str) -> ExtractSettings:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table")
    unknown = sorted(set(table) - {"page_cpu_seconds"})
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}")
    cpu = table.get("page_cpu_seconds", DEFAULT_PAGE_CPU_SECONDS)
    if isinstance(cpu, bool) or not isinstance(cpu, (int, float)) or cpu <= 0:
        raise ConfigError(f"{where}: page_cpu_seconds must be a number of seconds > 0")
    return ExtractSettings(float(cpu))


def _raw_pages(table: Any, where: str) -> RawPagesSettings:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table")
    unknown = sorted(set(table) - {"keep_days", "compact_schedule", "min_waste"})
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}")
    keep = table.get("keep_days", 0.0)
    if isinstance(keep, bool) or not isinstance(keep, (int, float)) or keep < 0:
        raise ConfigError(f"{where}: keep_days must be a number of days >= 0 (0 keeps the HTML for ever)")
    waste = table.get("min_waste", 0.25)
    if isinstance(waste, bool) or not isinstance(waste, (int, float)) or not 0 <= waste <= 1:
        raise ConfigError(f"{where}: min_waste must be a share between 0 and 1")
    cron = table.get("compact_schedule", DEFAULT_COMPACT_SCHEDULE)
    if not isinstance(cron, str):
        raise ConfigError(f"{where}: compact_schedule must be a cron expression, or \"\" for none")
    return RawPagesSettings(float(keep), _check_cron(cron, where) if cron else "", float(waste))


def read_toml(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    try:
        with p.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"{p}: file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: invalid TOML: {exc}") from exc


def load_sources(path: str | Path) -> SourcesConfig:
    return parse_sources(read_toml(path), str(path))
