"""Extraction-only throughput of two peer libraries, newspaper4k and news-please.

The pipeline benchmark (``bench/pipeline.py``) compares newsflow's throughput
with these figures; this module only measures the peers.

What is measured
    For each page of a page folder, the library's *extraction* call on HTML
    already in memory, with no network and no optional extras:

    * newspaper4k: ``Article(url, fetch_images=False, follow_meta_refresh=False)``,
      ``article.download(input_html=html)``, ``article.parse()`` (no ``nlp()``);
      text = ``article.text``.
    * news-please: ``NewsPlease.from_html(html, url=url, fetch_images=False)``;
      text = ``article.maintext``.  (news-please runs newspaper4k, readability,
      a date extractor and langdetect on every page and then picks the best
      candidate, so it is expected to be slower than newspaper4k alone.)

    Reading the files and decoding bytes to text (both libraries take ``str``)
    happen before the clock starts.  The whole page set is first extracted
    once as a warm-up that is not timed (imports, lazy regex compilation,
    caches, tldextract's suffix list), then ``--reps`` timed passes over the
    whole set run in the same process; the figure is the median of the
    passes' pages/s.  A page whose extraction raises counts as a page done
    with empty text (the time spent is kept); ``ok`` counts the pages that
    gave non-empty text in the last pass and ``chars`` their total length.

    One process on one core, no threads or process pools: that is how the
    peers are normally used (one ``from_html``/``parse`` call at a time) and
    how newsflow's single-process figure should be read against them.
    Sockets are disabled in the worker, so an accidental network access in a
    library fails at once instead of waiting on a time-out; the count of such
    attempts is reported as ``network_attempts`` (expected 0 or a handful
    from tldextract trying to refresh its suffix list during the warm-up).

Why a separate virtualenv
    news-please and newspaper4k pin and pull in a lot (Scrapy, Twisted,
    elasticsearch, redis, psycopg2, their own lxml and requests ranges...)
    that may conflict with newsflow's own environment (prefect,
    trafilatura 2.3.1, lxml).  So they live in ``bench/.peers-venv``, built
    once from the exact pins of ``bench/peers-requirements.txt`` and reused
    while that file is unchanged (a stamp file inside the venv holds the
    hash of the requirements file and of the Python version).  The main
    benchmark never imports the peers: it calls :func:`measure` /
    :func:`measure_all`, which run this file in worker mode in that venv.

Page folder format (``DIR``)
    ``DIR/*.html`` holds the raw page bytes; ``DIR/manifest.json`` maps each
    file name to the page's URL: ``{"00000.html": "https://...", ...}``.
    :func:`write_pages` writes it from ``(url, html)`` pairs.

Usage (from the repository root)::

    # dump the extraction-dev set into the page-folder format
    .venv/bin/python bench/peers.py --write-dev-pages /tmp/peer-pages
    # build the peers venv if needed, measure both libraries
    .venv/bin/python bench/peers.py --pages /tmp/peer-pages --reps 3
    # the worker itself (what measure() runs)
    bench/.peers-venv/bin/python bench/peers.py --worker --lib newspaper4k --pages DIR --reps 3

The human CLI prints a small table and, as its last line, one JSON object
(``newspaper4k_pages_per_s``, ``news_please_pages_per_s``, ...).  The worker
prints exactly one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import codecs
import fcntl
import gzip
import hashlib
import json
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
VENV_DIR = HERE / ".peers-venv"
REQUIREMENTS = HERE / "peers-requirements.txt"
STAMP_NAME = ".newsflow-peers-stamp"
MANIFEST = "manifest.json"
LIBS = ("newspaper4k", "news-please")
DEFAULT_DEV_DATA = REPO.parent / "shared" / "data" / "extraction-dev"

# An extractor takes (html text, url) and returns the article's main text.
Extractor = Callable[[str, str], "str | None"]


class PeerError(RuntimeError):
    """The peers venv could not be built, or a worker failed."""


# --- page folder ------------------------------------------------------------

@dataclass(frozen=True)
class PeerPage:
    name: str
    url: str
    html: str


def write_pages(pairs: Iterable[tuple[str, bytes | str]], directory: Path | str) -> int:
    """Write ``(url, html)`` pairs as a page folder; return the number written.

    Pages become ``00000.html``, ``00001.html``, ... (raw bytes; ``str`` is
    written as UTF-8) and ``manifest.json`` maps each name to its URL.  Any
    ``*.html`` and manifest already in ``directory`` are removed first, so
    the folder holds exactly this set.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.html"):
        old.unlink()
    (directory / MANIFEST).unlink(missing_ok=True)
    manifest: dict[str, str] = {}
    for i, (url, html) in enumerate(pairs):
        if not isinstance(url, str):
            raise TypeError(f"page {i}: url must be str, got {type(url).__name__}")
        body = html.encode("utf-8") if isinstance(html, str) else bytes(html)
        name = f"{i:05d}.html"
        (directory / name).write_bytes(body)
        manifest[name] = url
    tmp = directory / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    tmp.replace(directory / MANIFEST)
    return len(manifest)


def dev_pairs(data: Path = DEFAULT_DEV_DATA) -> list[tuple[str, bytes]]:
    """``(url, html bytes)`` of the extraction-dev set, in ground_truth.json order."""
    truth = json.loads((data / "ground_truth.json").read_text(encoding="utf-8"))
    pairs = []
    for page_id, entry in truth.items():
        path = data / "html" / f"{page_id}.html.gz"
        if path.is_file():
            pairs.append((entry["url"], gzip.decompress(path.read_bytes())))
    if not pairs:
        raise PeerError(f"no pages found in {data}")
    return pairs


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def decode_html(body: bytes) -> str:
    """HTML bytes to text: BOM, else strict UTF-8, else a <meta> charset, else cp1252."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                     (codecs.BOM_UTF16_BE, "utf-16-be")):
        if body.startswith(bom):
            return body[len(bom):].decode(enc, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    m = _META_CHARSET.search(body[:8192])
    if m:
        try:
            enc = codecs.lookup(m.group(1).decode("ascii")).name
            return body.decode(enc, errors="replace")
        except (LookupError, UnicodeDecodeError):
            pass
    return body.decode("cp1252", errors="replace")


def read_pages(directory: Path | str) -> list[PeerPage]:
    """Every ``*.html`` of a page folder (sorted by name) with its manifest URL."""
    directory = Path(directory)
    manifest_file = directory / MANIFEST
    if not manifest_file.is_file():
        raise PeerError(f"{manifest_file} not found (a page folder needs *.html plus {MANIFEST}; "
                        "see write_pages)")
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    files = sorted(directory.glob("*.html"))
    if not files:
        raise PeerError(f"no *.html pages in {directory}")
    missing = [f.name for f in files if f.name not in manifest]
    if missing:
        raise PeerError(f"{len(missing)} pages have no URL in {manifest_file}: {', '.join(missing[:5])}")
    return [PeerPage(f.name, manifest[f.name], decode_html(f.read_bytes())) for f in files]


# --- the timing loop (no library imports here) ------------------------------

def _one_pass(pages: list[PeerPage], extract: Extractor) -> tuple[float, int, int, int]:
    """Extract every page once: (seconds, pages ok, chars, errors)."""
    ok = chars = errors = 0
    clock = time.perf_counter
    start = clock()
    for page in pages:
        try:
            text = extract(page.html, page.url) or ""
        except Exception:  # noqa: BLE001 - a page that breaks the library counts as empty
            text = ""
            errors += 1
        if text.strip():
            ok += 1
            chars += len(text)
    return clock() - start, ok, chars, errors


def time_extractor(pages: list[PeerPage], extract: Extractor, reps: int = 3) -> dict:
    """One untimed warm-up pass, then ``reps`` timed passes over all pages."""
    if reps < 1:
        raise ValueError("reps must be >= 1")
    if not pages:
        raise ValueError("no pages")
    _one_pass(pages, extract)  # warm-up, not timed
    runs = []
    ok = chars = errors = 0
    for _ in range(reps):
        seconds, ok, chars, errors = _one_pass(pages, extract)
        runs.append(len(pages) / seconds if seconds > 0 else float("inf"))
    return {
        "pages": len(pages),
        "pages_per_s_runs": [round(r, 3) for r in runs],
        "pages_per_s": round(statistics.median(runs), 3),
        "ok": ok,
        "chars": chars,
        "errors": errors,
    }


# --- worker mode (runs inside the peers venv) -------------------------------

_network_attempts = 0


def _block_network() -> None:
    """Make any socket connection or DNS lookup fail at once (and count it)."""
    import socket

    def refuse(*_args, **_kwargs):
        global _network_attempts
        _network_attempts += 1
        raise OSError("network disabled in the peers benchmark worker")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = refuse  # type: ignore[method-assign]
    socket.getaddrinfo = refuse  # type: ignore[assignment]
    socket.create_connection = refuse  # type: ignore[assignment]


def load_extractor(lib: str) -> tuple[Extractor, str]:
    """Import a peer library (worker mode only) and return (extract, version)."""
    from importlib.metadata import version

    if lib == "newspaper4k":
        import warnings

        with warnings.catch_warnings():  # "nltk is not installed": NLP is not used
            warnings.simplefilter("ignore")
            from newspaper import Article

        def extract(html: str, url: str) -> str | None:
            article = Article(url, fetch_images=False, follow_meta_refresh=False)
            article.download(input_html=html)
            article.parse()
            return article.text

        return extract, version("newspaper4k")
    if lib == "news-please":
        import logging

        from newsplease import NewsPlease

        # news-please logs each page's extractor choices at INFO; that is not
        # part of extraction and would only add I/O to the timing.
        logging.disable(logging.WARNING)

        def extract(html: str, url: str) -> str | None:
            article = NewsPlease.from_html(html, url=url, fetch_images=False)
            return getattr(article, "maintext", None)

        return extract, version("news-please")
    raise PeerError(f"unknown lib {lib!r} (expected one of {', '.join(LIBS)})")


def run_worker(lib: str, pages_dir: Path | str, reps: int = 3,
               extractor: tuple[Extractor, str] | None = None) -> dict:
    """The worker's result dict; ``extractor`` = (callable, version) replaces the real library."""
    pages = read_pages(pages_dir)
    extract, lib_version = extractor if extractor is not None else load_extractor(lib)
    result = {"lib": lib, "version": lib_version}
    result.update(time_extractor(pages, extract, reps))
    result["network_attempts"] = _network_attempts
    return result


def write_texts(lib: str, pages_dir: Path | str, out: Path | str) -> int:
    """Worker mode: extract every page once and write one JSON line per page
    (``name``, ``title``, ``text``, ``error``) to ``out``; returns the count."""
    pages = read_pages(pages_dir)
    if lib != "newspaper4k":
        raise PeerError("titles and texts are written for newspaper4k only")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from newspaper import Article
    with open(out, "w", encoding="utf-8") as fh:
        for page in pages:
            row: dict = {"name": page.name, "title": None, "text": "", "error": None}
            try:
                article = Article(page.url, fetch_images=False, follow_meta_refresh=False)
                article.download(input_html=page.html)
                article.parse()
                row.update(title=article.title or None, text=article.text or "")
            except Exception as exc:  # noqa: BLE001 - a page that breaks the library is an empty page, with its error
                row["error"] = f"{type(exc).__name__}: {exc}"
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(pages)


def worker_main(args: argparse.Namespace) -> int:
    if args.lib is None or args.pages is None:
        print("--worker needs --lib and --pages", file=sys.stderr)
        return 2
    _block_network()
    if args.texts is not None:
        n = write_texts(args.lib, args.pages, args.texts)
        sys.stdout.write(json.dumps({"lib": args.lib, "pages": n}) + "\n")
        return 0
    result = run_worker(args.lib, args.pages, args.reps)
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


# --- the venv and the library API for bench/pipeline.py ---------------------

def venv_python(venv: Path = VENV_DIR) -> Path:
    return venv / "bin" / "python"


def _requirements_hash(requirements: Path) -> str:
    h = hashlib.sha256(requirements.read_bytes())
    h.update(sys.version.encode())
    return h.hexdigest()


def _tail(text: str, lines: int = 25) -> str:
    # the machine's pip config names some local index folders that may not
    # exist; those warnings are noise in an error message
    kept = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("WARNING: Location ")]
    return "\n".join(kept[-lines:])


def ensure_venv(venv: Path = VENV_DIR, requirements: Path = REQUIREMENTS,
                quiet: bool = True) -> Path:
    """Build the peers venv once (cached by a stamp) and return its python.

    Raises :class:`PeerError` with the tail of pip's output if the install
    fails.  Concurrent callers are serialised with a lock on the
    requirements file.
    """
    venv = Path(venv)
    requirements = Path(requirements)
    if not requirements.is_file():
        raise PeerError(f"requirements file not found: {requirements}")
    want = _requirements_hash(requirements)
    stamp = venv / STAMP_NAME
    python = venv_python(venv)

    def ready() -> bool:
        return python.exists() and stamp.is_file() and stamp.read_text().strip() == want

    if ready():
        return python
    with open(requirements, "rb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if ready():  # built by another process while we waited
                return python
            if venv.exists():
                shutil.rmtree(venv)
            if not quiet:
                print(f"building {venv} from {requirements.name} (once) ...", file=sys.stderr, flush=True)
            started = time.monotonic()
            steps = [
                [sys.executable, "-m", "venv", str(venv)],
                # --no-deps: the file pins the complete set to install (see its comments)
                [str(python), "-m", "pip", "install", "--no-deps", "--no-input",
                 "--disable-pip-version-check", "-r", str(requirements)],
            ]
            for cmd in steps:
                proc = subprocess.run(cmd, check=False, capture_output=True, text=True,
                                      stdin=subprocess.DEVNULL)
                if proc.returncode != 0:
                    shutil.rmtree(venv, ignore_errors=True)
                    raise PeerError(
                        f"building the peers venv failed (exit {proc.returncode}): {' '.join(cmd)}\n"
                        + _tail(proc.stderr + "\n" + proc.stdout))
            stamp.write_text(want + "\n")
            if not quiet:
                print(f"peers venv ready in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
            return python
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def measure(lib: str, pages_dir: Path | str, reps: int = 3, timeout: float = 1800,
            python: Path | None = None) -> dict:
    """Run the worker for ``lib`` in the peers venv and return its JSON result.

    Raises :class:`PeerError` if the venv cannot be built, the worker fails
    or times out, or prints no JSON.
    """
    if lib not in LIBS:
        raise PeerError(f"unknown lib {lib!r} (expected one of {', '.join(LIBS)})")
    python = python or ensure_venv()
    # -I: the script's folder (bench/) is not put on sys.path, user site and
    # PYTHON* variables are ignored
    cmd = [str(python), "-I", str(Path(__file__).resolve()), "--worker", "--lib", lib,
           "--pages", str(Path(pages_dir).resolve()), "--reps", str(reps)]
    try:
        proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise PeerError(f"{lib} worker timed out after {timeout:.0f} s") from None
    if proc.returncode != 0:
        raise PeerError(f"{lib} worker failed (exit {proc.returncode}):\n{_tail(proc.stderr)}")
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    try:
        return json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        raise PeerError(f"{lib} worker printed no JSON result; stdout tail:\n{_tail(proc.stdout)}\n"
                        f"stderr tail:\n{_tail(proc.stderr)}") from None


def extract_texts(lib: str, pages_dir: Path | str, out: Path | str, timeout: float = 3600) -> dict[str, dict]:
    """Titles and texts of every page of a page folder, by ``lib`` in the
    peers venv (for quality benchmarks): ``{file name: {"title", "text", "error"}}``."""
    python = ensure_venv()
    cmd = [str(python), "-I", str(Path(__file__).resolve()), "--worker", "--lib", lib,
           "--pages", str(Path(pages_dir).resolve()), "--texts", str(Path(out).resolve())]
    try:
        proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise PeerError(f"{lib} worker timed out after {timeout:.0f} s") from None
    if proc.returncode != 0:
        raise PeerError(f"{lib} worker failed (exit {proc.returncode}):\n{_tail(proc.stderr)}")
    rows = [json.loads(line) for line in Path(out).read_text(encoding="utf-8").splitlines() if line.strip()]
    return {r["name"]: r for r in rows}


def measure_all(pages_dir: Path | str, reps: int = 3, timeout: float = 1800,
                quiet: bool = True) -> dict[str, dict]:
    """Both peers; a lib that cannot be installed or run gives ``{"error": ...}``."""
    results: dict[str, dict] = {}
    try:
        python: Path | None = ensure_venv(quiet=quiet)
    except Exception as exc:  # noqa: BLE001 - the benchmark must go on
        return {lib: {"lib": lib, "error": str(exc)} for lib in LIBS}
    for lib in LIBS:
        try:
            results[lib] = measure(lib, pages_dir, reps=reps, timeout=timeout, python=python)
        except Exception as exc:  # noqa: BLE001
            results[lib] = {"lib": lib, "error": str(exc)}
    return results


def summary(results: dict[str, dict]) -> dict:
    """The flat snake_case summary printed as the CLI's last line."""
    out: dict = {}
    for lib in LIBS:
        key = lib.replace("-", "_")
        r = results.get(lib, {})
        out[f"{key}_pages_per_s"] = r.get("pages_per_s")
        out[f"{key}_version"] = r.get("version")
        if "error" in r:
            out[f"{key}_error"] = r["error"].splitlines()[0][:300] if r["error"] else "error"
    pages = [r["pages"] for r in results.values() if "pages" in r]
    out["pages"] = pages[0] if pages else None
    return out


def format_table(results: dict[str, dict]) -> str:
    head = f"{'lib':<12} {'version':<9} {'pages':>5} {'pages/s':>8}  {'ok':>4} {'chars':>9}  runs"
    rows = [head, "-" * len(head)]
    for lib in LIBS:
        r = results.get(lib, {})
        if "error" in r:
            rows.append(f"{lib:<12} ERROR: {r['error'].splitlines()[0] if r['error'] else ''}")
            continue
        runs = ", ".join(f"{x:.2f}" for x in r["pages_per_s_runs"])
        rows.append(f"{lib:<12} {r['version']:<9} {r['pages']:>5} {r['pages_per_s']:>8.2f}  "
                    f"{r['ok']:>4} {r['chars']:>9}  [{runs}]")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=Path, help="page folder (*.html + manifest.json)")
    ap.add_argument("--reps", type=int, default=3, help="timed passes over the page set (default 3)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per library (default 1800)")
    ap.add_argument("--worker", action="store_true", help="worker mode (inside the peers venv)")
    ap.add_argument("--lib", choices=LIBS, help="worker mode: which library")
    ap.add_argument("--texts", type=Path, default=None,
                    help="worker mode: write each page's title and text to this JSONL file instead of timing")
    ap.add_argument("--write-dev-pages", type=Path, metavar="DIR",
                    help="write the extraction-dev set as a page folder in DIR and exit")
    ap.add_argument("--dev-data", type=Path, default=DEFAULT_DEV_DATA,
                    help=f"extraction-dev data folder (default {DEFAULT_DEV_DATA})")
    args = ap.parse_args(argv)
    if args.reps < 1:
        ap.error("--reps must be >= 1")
    if args.worker:
        return worker_main(args)
    if args.write_dev_pages is not None:
        n = write_pages(dev_pairs(args.dev_data), args.write_dev_pages)
        print(f"wrote {n} pages to {args.write_dev_pages}")
        return 0
    if args.pages is None:
        ap.error("--pages DIR is required (or --write-dev-pages DIR)")
    results = measure_all(args.pages, args.reps, args.timeout, quiet=False)
    print(format_table(results))
    print(json.dumps(summary(results)))
    return 0


if __name__ == "__main__":
    if "--worker" in sys.argv[1:] and sys.path and Path(sys.path[0] or ".").resolve() == HERE:
        # run without -I: keep bench/'s own modules from shadowing the peers' imports
        sys.path.pop(0)
    sys.exit(main())
