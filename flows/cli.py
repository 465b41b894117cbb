"""The ``newsflow`` command line.  Each command parses its arguments and
calls one library function; the only printing in newsflow happens here."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sys
from pathlib import Path
from typing import Annotated, Any

# Prefect reads these at import time: no telemetry, ever.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

import typer  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.markup import escape  # noqa: E402
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn  # noqa: E402
from rich.table import Table  # noqa: E402
from rich.text import Text  # noqa: E402

from newsflow.errors import NewsflowError  # noqa: E402

DEFAULT_DB = "data/newsflow.duckdb"
app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="newsflow: scheduled news ingestion into DuckDB, orchestrated by Prefect.")
# Piped output gets a wide table rather than one folded to 80 columns.
console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)


def error(exc: BaseException | str) -> None:
    """Print an error for the user.  The message is escaped: it often holds
    brackets (a config table such as ``[fetch]``, a SQL subscript) that rich
    would otherwise take for markup and drop."""
    err.print(f"[red]error:[/red] {escape(str(exc))}")


def db_path(db: str | None) -> str:
    return db or os.environ.get("NEWSFLOW_DB") or DEFAULT_DB


def data_path_of(data_path: str | None) -> str | None:
    return data_path or os.environ.get("NEWSFLOW_DATA_PATH") or None


def open_warehouse(db: str | None, data_path: str | None) -> Any:
    """The warehouse of ``--db`` (a DuckDB file or a ``ducklake:postgres:...``
    location) with the lake's ``--data-path``."""
    from warehouse import Warehouse

    return Warehouse(db_path(db), data_path=data_path_of(data_path),
                     pages_path=os.environ.get("NEWSFLOW_PAGES_PATH") or None)


DbOption = Annotated[str | None, typer.Option(
    "--db", help="Warehouse: a DuckDB file, or a lake ducklake:postgres:... [env NEWSFLOW_DB, default ./data/newsflow.duckdb].")]
DataPathOption = Annotated[str | None, typer.Option(
    "--data-path", help="A lake's data folder or s3:// prefix, needed when it is created [env NEWSFLOW_DATA_PATH].")]


class _ProgressHandler(logging.Handler):
    """Draws newsflow.progress events as rich progress bars."""

    def __init__(self, bar: Progress) -> None:
        super().__init__(logging.DEBUG)
        self.bar = bar
        self.ids: dict[str, Any] = {}

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "nf_event", None)
        stage = getattr(record, "nf_stage", "")
        if event == "start":
            self.ids[stage] = self.bar.add_task(stage, total=getattr(record, "nf_total", None))
        elif event == "advance" and stage in self.ids:
            self.bar.advance(self.ids[stage], getattr(record, "nf_n", 1))
        elif event == "done" and stage in self.ids:
            task_id = self.ids[stage]
            total = next((t.total for t in self.bar.tasks if t.id == task_id), None)
            self.bar.update(task_id, completed=total, total=total)


def _with_progress(fn: Any, *args: Any, **kwargs: Any) -> Any:
    from newsflow import progress

    bar = Progress(SpinnerColumn(), TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=err, transient=False, disable=not err.is_terminal)
    handler = _ProgressHandler(bar)
    progress.logger.addHandler(handler)
    try:
        with bar:
            return fn(*args, **kwargs)
    finally:
        progress.logger.removeHandler(handler)


def _reader(db: str | None, data_path: str | None = None) -> Any:
    """The warehouse people read: the read copy published after the last run,
    else the writer file (upgraded in place first if an older newsflow wrote it).
    A lake is read where it is (committed snapshots, attached read-only)."""
    wh = open_warehouse(db, data_path)
    if wh.is_lake:
        return wh
    if not wh.read_path.exists():
        wh.ensure_current()
    return wh.reader()


def print_table(columns: list[str], rows: list[tuple[Any, ...]], title: str | None = None, limit: int | None = None) -> None:
    table = Table(title=title, show_lines=False)
    for i, c in enumerate(columns):
        table.add_column(c, overflow="fold", no_wrap=(i == 0))
    shown = rows if limit is None else rows[:limit]
    for row in shown:
        table.add_row(*(Text("" if v is None else str(v)) for v in row))  # values as written: no markup
    console.print(table)
    if limit is not None and len(rows) > limit:
        console.print(f"({len(rows) - limit} more rows not shown; use LIMIT or --max-rows)")


def print_summary(summary: dict[str, Any], db: str, data_path: str | None = None) -> None:
    console.print(f"\n[bold]Run {escape(summary['run_id'])}[/bold]: {summary['status']} — {escape(summary['message'])}")
    stages = {"discovered": "feed items", "known": "known", "fetched": "fetched", "fetch_failures": "fetch fail",
              "extracted": "extracted", "extract_failures": "rejected", "duplicates": "dupes", "loaded": "loaded"}
    rows = [(sid, *(c.get(k, 0) for k in stages)) for sid, c in sorted(summary["per_source"].items())]
    print_table(["source", *stages.values()], rows, title="This run, per source")
    if summary["failures"]:
        print_table(["stage:reason", "count"], sorted(summary["failures"].items(), key=lambda kv: -kv[1]),
                    title="Dropped, by reason")
    wh = open_warehouse(db, data_path)
    cols, data = wh.query("SELECT source, count(*) AS articles, count(duplicate_of) AS copies FROM articles GROUP BY 1 ORDER BY 1")
    print_table(cols, data, title=f"Warehouse {db}: articles per source")
    cols, data = wh.query("SELECT count(*) AS stories, count(*) FILTER (WHERE source_count > 1) AS multi_outlet FROM stories")
    print_table(cols, data, title="Stories")
    cols, data = wh.query("SELECT topic, count(*) AS articles FROM article_topics GROUP BY 1 ORDER BY 2 DESC, 1")
    print_table(cols, data, title="Topics")


@app.command()
def ingest(
    sources: Annotated[Path, typer.Option("--sources", help="Sources file.")] = Path("config/sources.toml"),
    db: DbOption = None,
    data_path: DataPathOption = None,
    only: Annotated[list[str] | None, typer.Option("--only", help="Source id to run (repeatable).")] = None,
    topics: Annotated[Path | None, typer.Option("--topics", help="Taxonomy file [default config/topics.toml].")] = None,
    refetch: Annotated[bool, typer.Option("--refetch", help="Fetch URLs already stored.")] = False,
) -> None:
    """Run the ingest flow once."""
    from flows.ingest import DEFAULT_TOPICS
    from flows.ingest import ingest as ingest_flow
    from newsflow.config import load_sources, read_toml
    from topics.taxonomy import compile_taxonomy

    path = db_path(db)
    try:
        # Check the files before Prefect starts, so a typo costs no server start-up.
        load_sources(sources).select(only)
        compile_taxonomy(read_toml(topics or DEFAULT_TOPICS))
        summary = _with_progress(asyncio.run, ingest_flow(
            sources_file=str(sources), db=path, only=only, topics_file=str(topics) if topics else None,
            refetch=refetch, data_path=data_path_of(data_path)))
    except NewsflowError as exc:
        error(exc)
        raise typer.Exit(1) from exc
    print_summary(summary, path, data_path)


@app.command()
def demo(db: DbOption = None) -> None:
    """Serve the bundled demo news site on 127.0.0.1 and ingest it."""
    from flows.demo import EXAMPLE_QUERIES, run_demo

    path = db_path(db)
    console.print("Serving the demo site on 127.0.0.1 and running the ingest flow "
                  "(Prefect starts a temporary server first; this takes ~15 s)...")
    try:
        summary = _with_progress(run_demo, path)
    except NewsflowError as exc:
        error(exc)
        raise typer.Exit(1) from exc
    print_summary(summary, path)
    console.print("\n[bold]Try next:[/bold]")
    flag = f" --db {path}" if path != DEFAULT_DB else ""
    # Suggest a command that works from here: newsflow on PATH, else ./dev.
    exe = "newsflow" if shutil.which("newsflow") else ("./dev" if Path("dev").exists() else sys.argv[0])
    for q in EXAMPLE_QUERIES:
        console.print(f'  {exe} sql{flag} "{q}"', soft_wrap=True, highlight=False)


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="One SQL statement; the warehouse is opened read-only.")],
    db: DbOption = None,
    data_path: DataPathOption = None,
    max_rows: Annotated[int, typer.Option("--max-rows", help="Rows to print.")] = 200,
) -> None:
    """Run a read-only SQL query against the warehouse and print a table."""

    try:
        cols, rows = _reader(db, data_path).query(query)
    except NewsflowError as exc:
        error(exc)
        raise typer.Exit(1) from exc
    if cols:
        print_table(cols, rows, limit=max_rows)


@app.command()
def sources(
    sources_file: Annotated[Path, typer.Option("--sources", help="Sources file (lists sources never run too).")] = Path("config/sources.toml"),
    db: DbOption = None,
    data_path: DataPathOption = None,
) -> None:
    """Show each source's health over its last 10 runs: last success, error
    rate, median latency, new articles per run and recent error classes."""
    from newsflow.config import load_sources

    try:
        cols, rows = _reader(db, data_path).query(
            "SELECT source, runs, strftime(last_success, '%Y-%m-%d %H:%M') AS last_success,"
            " round(error_rate * 100, 1) AS error_pct, round(median_latency_ms) AS median_ms,"
            " round(new_per_run, 1) AS new_per_run, recent_errors FROM source_health ORDER BY source")
    except NewsflowError as exc:
        error(exc)
        raise typer.Exit(1) from exc
    if sources_file.exists():
        seen = {r[0] for r in rows}
        rows += [(s.id, 0, "never", None, None, None, None) for s in load_sources(sources_file).sources if s.id not in seen]
    print_table(cols, rows, title="Source health (last 10 runs)")


@app.command()
def explain(
    url: Annotated[str, typer.Argument(help="An article's URL, canonical URL or any URL that led to it.")],
    db: DbOption = None,
    data_path: DataPathOption = None,
) -> None:
    """Show what the cleaner removed from a stored article, and which rule removed it."""
    from parsers.boilerplate import RULE_DOCS
    from parsers.site_boilerplate import RULE as SITE_RULE
    from parsers.site_boilerplate import explain_paragraph
    from warehouse import pages

    try:
        wh = _reader(db, data_path)
        _, rows = wh.query(
            "SELECT article_id, source, title, canonical_url, extractor, removed FROM articles"
            " WHERE url = ? OR canonical_url = ? OR article_id IN (SELECT article_id FROM article_urls WHERE url = ?)"
            " LIMIT 1", [url, url, url])
        if not rows:
            raise NewsflowError(f"no stored article for {url}")
        aid, source, title, canonical, extractor, removed = rows[0]
        rules = pages.site_rules(wh, [source]).get(source)
    except NewsflowError as exc:
        error(exc)
        raise typer.Exit(1) from exc
    console.print(f"[bold]{escape(title or '')}[/bold]\n{escape(canonical)}\narticle {aid} from {source},"
                  f" extracted by {extractor}")
    if not removed:
        console.print("Nothing was removed from this article's text.")
        return
    out = []
    for r in removed:
        why = (explain_paragraph(r["text"], rules) if r["rule"] == SITE_RULE and rules else None) or RULE_DOCS.get(r["rule"], "")
        out.append((r["rule"], r["text"], why))
    print_table(["rule", "removed text", "why"], out, title=f"{len(out)} removals")


@app.command()
def reprocess(
    db: DbOption = None,
    data_path: DataPathOption = None,
    only: Annotated[list[str] | None, typer.Option("--only", help="Source id (repeatable).")] = None,
    everything: Annotated[bool, typer.Option("--all", help="Every stored page, not only those from an older extractor.")] = False,
    topics: Annotated[Path | None, typer.Option("--topics", help="Taxonomy file for re-tagging changed texts.")] = None,
) -> None:
    """Re-extract stored pages with the current extractor (no refetch)."""
    from flows.reprocess import reprocess as reprocess_flow

    try:
        summary = reprocess_flow(db=db_path(db), sources=only, everything=everything,
                                 topics_file=str(topics) if topics else None, data_path=data_path_of(data_path))
    except NewsflowError as exc:
        error(exc)
        raise typer.Exit(1) from exc
    console.print(f"reprocessed {summary['pages']} pages with {summary['extractor']}: {summary['changed']} texts "
                  f"changed, {summary['unchanged']} unchanged, {summary['failed']} failed")
    if summary["not_kept"]:
        console.print(f"{summary['not_kept']} articles left as they are: their HTML is no longer kept"
                      " ([raw_pages] keep_days)")


@app.command()
def compact(
    db: DbOption = None,
    data_path: DataPathOption = None,
    keep_days: Annotated[float | None, typer.Option("--keep-days", help="Give up the HTML of pages fetched more than this many days ago first (0: keep it all). Default: [raw_pages] keep_days of the sources file.")] = None,
    min_waste: Annotated[float | None, typer.Option("--min-waste", help="Rewrite a pack when at least this share of its bytes is unreferenced. Default: [raw_pages] min_waste, else 0.25.")] = None,
    sources: Annotated[Path, typer.Option("--sources", help="Sources file whose [raw_pages] table gives the defaults (if it exists).")] = Path("config/sources.toml"),
) -> None:
    """Give back the disk space of stored pages no article points at any
    more (pages fetched again since, rolled-back loads, HTML older than the
    retention): packs nothing points at are removed, packs with enough
    waste are rewritten."""
    from flows.compact import run_compact
    from newsflow.config import RawPagesSettings, load_sources
    from warehouse import Warehouse

    try:
        settings = load_sources(sources).raw_pages if sources.exists() else RawPagesSettings()
        result = run_compact(open_warehouse(db, data_path), settings.keep_days if keep_days is None else keep_days,
                             settings.min_waste if min_waste is None else min_waste)
    except NewsflowError as exc:
        error(exc)
        raise typer.Exit(1) from exc
    acted = [c for c in result.changes if c.action != "kept"]
    if acted:
        print_table(["pack", "action", "MB before", "MB after", "pages", "detail"],
                    [(c.pack, c.action, f"{c.bytes_before / 1e6:.1f}", f"{c.bytes_after / 1e6:.1f}", c.pages, c.detail)
                     for c in acted], title="Packs changed or left alone")
    for line in result.lines():
        if not line.startswith("pack "):  # the table above has those
            console.print(line, markup=False)


@app.command()
def storage(db: DbOption = None, data_path: DataPathOption = None) -> None:
    """Where the disk goes: the warehouse file and its read copy, the pack
    files of stored HTML (and how much of them no row points at), the
    search index; and how many pages' HTML is kept."""
    from warehouse import pages

    wh = open_warehouse(db, data_path)
    try:
        usage = pages.pack_usage(_reader(db, data_path))
    except NewsflowError as exc:
        error(exc)
        raise typer.Exit(1) from exc

    def size(path: Path) -> int:
        if path.is_dir():
            return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        return path.stat().st_size if path.exists() else 0

    unused = usage["pack_bytes"] - usage["referenced_bytes"]
    share = f" ({unused / usage['pack_bytes']:.0%} of them)" if usage["pack_bytes"] else ""
    oldest = f"{usage['oldest_kept']:%Y-%m-%d %H:%M}" if usage["oldest_kept"] else "none"
    packs = ("packs", str(wh.pages_dir), f"{usage['pack_bytes'] / 1e6:,.1f}",
             f"{usage['packs']} file{'' if usage['packs'] == 1 else 's'}; {unused / 1e6:,.1f} MB no row points at{share}: newsflow compact gives it back")
    search_dir = wh.search_dir
    if wh.is_lake:
        lake_files = Path(wh.data_path) if "://" not in wh.data_path else None
        rows = [("lake data", wh.data_path, f"{(size(lake_files) - usage['pack_bytes']) / 1e6:,.1f}" if lake_files else "?",
                 "Parquet files of every table (catalog in PostgreSQL)")]
    else:
        rows = [
            ("warehouse", str(wh.path), f"{(size(wh.path) + size(wh.path.with_name(wh.path.name + '.wal'))) / 1e6:,.1f}",
             f"of which {usage['inline_bytes'] / 1e6:,.1f} MB HTML stored inline before migration 009"
             if usage["inline_bytes"] else ""),
            ("read copy", str(wh.read_path), f"{size(wh.read_path) / 1e6:,.1f}", "what readers open; replaced after each run")]
    print_table(["what", "where", "MB", "detail"], [
        *rows, packs, ("search index", str(search_dir), f"{size(search_dir) / 1e6:,.1f}", "newsflow search"),
    ], title="Storage")
    console.print(f"HTML kept for {usage['pages_kept']:,} pages (oldest fetched {oldest}),"
                  f" given up for {usage['pages_given_up']:,} ([raw_pages] keep_days)", markup=False)


@app.command()
def shell(db: DbOption = None, data_path: DataPathOption = None) -> None:
    """Open the DuckDB CLI (the pinned version) on the read copy, read-only,
    with every view ready."""
    wh = _reader(db, data_path)
    exe = shutil.which("duckdb", path=str(Path(sys.executable).parent)) or shutil.which("duckdb")
    if exe is None:
        err.print("[red]error:[/red] the duckdb CLI is not installed (pip install duckdb-cli==1.4.4.post2)")
        raise typer.Exit(1)
    if wh.is_lake:  # an in-memory DuckDB with the lake attached read-only, the same extensions
        from warehouse import lake

        os.execv(exe, [exe, "-cmd", lake.cli_setup(wh.lake)])
    os.execv(exe, [exe, "-readonly", str(wh.path)])


@app.command()
def export(
    directory: Annotated[Path, typer.Argument(help="Folder to write Parquet into.")],
    db: DbOption = None,
    data_path: DataPathOption = None,
) -> None:
    """Write Parquet for other tools: articles partitioned by publication day,
    article_topics and stories."""
    try:
        counts = _reader(db, data_path).export(directory)
    except NewsflowError as exc:
        error(exc)
        raise typer.Exit(1) from exc
    console.print(", ".join(f"{n} {name}" for name, n in counts.items()) + f" written to {directory}")


@app.command()
def retag(
    db: DbOption = None,
    data_path: DataPathOption = None,
    topics: Annotated[Path | None, typer.Option("--topics", help="Taxonomy file [default config/topics.toml].")] = None,
) -> None:
    """Re-tag every stored article with the current taxonomy and report the
    tags added and removed per topic."""
    import time

    from flows.ingest import DEFAULT_TOPICS
    from flows.retag import run_retag
    from warehouse import Warehouse

    started = time.perf_counter()
    try:
        result = _with_progress(run_retag, open_warehouse(db, data_path), str(topics or DEFAULT_TOPICS))
    except NewsflowError as exc:
        error(exc)
        raise typer.Exit(1) from exc
    elapsed = time.perf_counter() - started
    console.print(f"retagged {result['articles']} articles with taxonomy {result['taxonomy_version']} in "
                  f"{elapsed:.1f} s: {result['tags']} tags")
    rows = [(t, c["added"], c["removed"]) for t, c in result["changes"].items()]
    if rows:
        print_table(["topic", "added", "removed"], rows, title="What changed")
    else:
        console.print("No tag changed.")


@app.command()
def search(
    terms: Annotated[str, typer.Argument(help='Words, "a phrase", +must, -not, OR.')] = "",
    db: DbOption = None,
    data_path: DataPathOption = None,
    limit: Annotated[int, typer.Option("--limit", help="Results to show.")] = 20,
    all_terms: Annotated[bool, typer.Option("--all", help="Require every term.")] = False,
    language: Annotated[str | None, typer.Option("--language", help="Only this language code.")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Rebuild the index from the warehouse first.")] = False,
) -> None:
    """Full-text search over titles and texts, ranked by BM25; results join
    the views by article_id.  On a lake, the index is this machine's own
    (~/.cache/newsflow/search), brought up to date from the lake's new
    snapshots before each search."""
    from warehouse.search import SearchIndex, hits_table

    wh = open_warehouse(db, data_path)
    index = SearchIndex(wh.search_dir)
    try:
        if rebuild and wh.is_lake:
            index.reset()
            console.print(f"rebuilt the search index at {index.path}: {index.catch_up(wh):,} articles")
        elif rebuild:
            n = index.rebuild_from(wh)
            console.print(f"rebuilt the search index at {index.path}: {n:,} articles")
        elif wh.is_lake:  # this reader's own index, brought up to the lake's latest snapshot
            index.catch_up(wh)
        if not terms:
            return
        hits = index.search(terms, limit, match_all=all_terms, language=language)
        with _reader(db, data_path).connect(read_only=True) as con:
            con.register("hits", hits_table(hits))
            rows = con.execute(
                "SELECT h.rank, a.title, a.source, a.published_at, h.score, a.article_id"
                " FROM hits h JOIN articles a USING (article_id) ORDER BY h.rank").fetchall()
    except NewsflowError as exc:
        error(exc)
        raise typer.Exit(1) from exc
    print_table(["#", "title", "source", "published", "score", "article_id"],
                [(rank, title or "", source, f"{published:%Y-%m-%d}" if published else "", f"{score:.2f}", aid)
                 for rank, title, source, published, score, aid in rows])
    if rows:
        console.print("Join to any view by article_id, e.g. "
                      f"newsflow sql \"SELECT topics FROM articles_with_topics WHERE article_id = '{rows[0][5]}'\"")


@app.command()
def serve(
    sources: Annotated[Path, typer.Option("--sources", help="Sources file.")] = Path("config/sources.toml"),
    db: DbOption = None,
    data_path: DataPathOption = None,
) -> None:
    """Serve the ingest flow on the schedules in the sources file (one
    deployment per distinct cron schedule).  Needs a Prefect API
    (`prefect server start`, then set PREFECT_API_URL) to be useful."""
    from flows.schedule import serve_schedules

    try:
        serve_schedules(str(sources), db_path(db), data_path_of(data_path))
    except NewsflowError as exc:
        error(exc)
        raise typer.Exit(1) from exc


@app.command()
def deploy(
    sources: Annotated[Path, typer.Option("--sources", help="Sources file.")] = Path("config/sources.toml"),
    db: DbOption = None,
    data_path: DataPathOption = None,
    groups: Annotated[int, typer.Option("--groups", help="Split each schedule's sources into this many deployments, for as many workers.")] = 1,
    pool: Annotated[str, typer.Option("--pool", help="Process work pool (created if missing).")] = "newsflow",
    home: Annotated[str | None, typer.Option("--home", help="The checkout the workers run flows from (same path on every machine) [default: this one].")] = None,
    schedule: Annotated[bool, typer.Option("--schedule/--no-schedule", help="Attach each source's cron schedule (--no-schedule: runs only when started).")] = True,
) -> None:
    """Create the work pool and one ingest deployment per source group, for
    `prefect worker start --pool newsflow` on each machine.  Needs
    PREFECT_API_URL (a `prefect server start`)."""
    from flows.schedule import deploy_to_pool

    try:
        names = deploy_to_pool(str(sources), db_path(db), data_path_of(data_path), groups, pool, home,
                               schedule=schedule)
    except NewsflowError as exc:
        error(exc)
        raise typer.Exit(1) from exc
    for name in names:
        console.print(f"deployed {name} to work pool {pool}", markup=False)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
