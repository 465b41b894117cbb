"""No page breaks the extractor: real pages and deliberately broken ones.

Every page ends as an Article or as a Drop with a reason, and never as an
``internal_error`` drop: that reason means an exception nobody planned for
reached :func:`parsers.extract.extract_page`'s guard, which is a bug to fix
(the guard keeps a run going; this test keeps the guard idle).

The real pages are the extraction corpus beside the repository
(``../shared/data/extraction-corpus``, about 2,300 pages, plus the Fundus
dev pages); that part is skipped where the corpus is not there, as in a
user's checkout.  The mutations run everywhere, on the demo site's pages.
"""

from __future__ import annotations

import codecs
import gzip
import os
import random
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsflow.demo.site import DemoSite, load_content
from newsflow.records import Article, Drop, Page
from parsers.extract import extract_page

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
WHEN = datetime(2026, 12, 1, tzinfo=UTC)
EXPECTED_DROPS = {"no_content", "too_short", "binary_body", "unparseable_html"}


def _page(body: bytes, url: str = "https://fuzz.example/a", charset: str | None = None) -> Page:
    return Page(url=url, final_url=url, source="fuzz", status=200, content_type="text/html", charset=charset,
                body=body, fetched_at=WHEN)


def _outcome(body: bytes, url: str = "https://fuzz.example/a", charset: str | None = None) -> str:
    out = extract_page(_page(body, url, charset), "en")
    if isinstance(out, Article):
        return "article"
    assert isinstance(out, Drop) and out.reason, out
    assert out.reason != "internal_error", f"{url}: {out.detail}"
    return out.reason


# --- real pages ---------------------------------------------------------------------

def _corpus_files() -> list[Path]:
    files = sorted((SHARED / "extraction-corpus").glob("*/pages/*.html.gz"))
    return files + sorted((SHARED / "extraction-dev" / "html").glob("*.html.gz"))


def _extract_files(files: list[Path]) -> list[tuple[str, str]]:
    return [(f.name, _outcome(gzip.decompress(f.read_bytes()), f"https://corpus.example/{f.name}")) for f in files]


@pytest.mark.skipif(not (SHARED / "extraction-corpus").is_dir(), reason="the extraction corpus is not beside the repo")
def test_every_real_page_of_the_corpus_ends_as_an_article_or_a_drop() -> None:
    files = _corpus_files()
    assert len(files) > 2000
    workers = min(2, os.cpu_count() or 1)
    with ProcessPoolExecutor(workers) as pool:
        outcomes = [o for part in pool.map(_extract_files, [files[i::workers] for i in range(workers)]) for o in part]
    counts = Counter(reason for _, reason in outcomes)
    assert len(outcomes) == len(files)
    assert counts["article"] > 0.97 * len(files), counts
    assert set(counts) <= {"article"} | EXPECTED_DROPS, counts


# --- mutated pages ------------------------------------------------------------------

def _demo_pages() -> list[bytes]:
    demo = DemoSite(load_content())
    res = demo.render("http://127.0.0.1:1")
    return [res[demo.local_path(a)].body for a in demo.articles[:4]]


def _insert(html: str, anchor: str, what: str, after: bool = True) -> str:
    i = html.find(anchor)
    if i < 0:
        return html + what
    return html[:i + len(anchor)] + what + html[i + len(anchor):] if after else html[:i] + what + html[i:]


MUTATIONS: dict[str, Callable[[str], str]] = {
    "comment inside every <p>": lambda h: h.replace("<p>", "<p><!-- c -->"),
    "comment before each paragraph's text": lambda h: h.replace("<p>", "<p><!-- x -->\n"),
    "comment between <html> and <head>": lambda h: _insert(h, "<html", "<!-- between -->", after=False).replace(
        "<head>", "<!-- c --><head>"),
    "comment as the only child of <body>": lambda h: h[:h.find("<body")] + "<body><!-- only --></body></html>",
    "processing instructions in odd places": lambda h: h.replace("<p>", "<p><?php echo 1; ?>").replace(
        "<head>", "<head><?xml-stylesheet href='a'?>"),
    "CDATA inside paragraphs": lambda h: h.replace("<p>", "<p><![CDATA[ raw ]]>"),
    "the description printed after a comment": lambda h: _insert(
        h, "<body>", "<div><!-- dek -->" + _description(h) + "</div>"),
    "no <html>": lambda h: h.replace("<html", "<x-html").replace("</html>", ""),
    "no <body>": lambda h: h.replace("<body", "<div").replace("</body>", "</div>"),
    "no <html>, <head> or <body>": lambda h: h[h.find("<body"):].replace("<body", "<div"),
    "<frameset> only": lambda h: "<html><head><title>t</title></head><frameset><frame src='a.html'></frameset></html>",
    "NUL bytes in the text": lambda h: h.replace(". ", ".\x00 "),
    "unclosed tags everywhere": lambda h: h.replace("</p>", "").replace("</div>", ""),
    "stray closing tags": lambda h: h.replace("<p>", "</td></tr></table></p><p>"),
    "an encoding declaration that lies": lambda h: h.replace("<head>", '<head><meta charset="utf-16">'),
    "a declaration of an unknown encoding": lambda h: h.replace("<head>", '<head><meta charset="x-made-up-2">'),
    "an XML declaration": lambda h: '<?xml version="1.0" encoding="iso-8859-1"?>\n' + h,
    "a script that never closes": lambda h: _insert(h, "<body>", "<script>var a = '</p>';"),
    "attributes with odd values": lambda h: h.replace("<p>", '<p hidden="" class="\x01promo" style=";;;">'),
    "deeply nested inline tags": lambda h: h.replace("<p>", "<p>" + "<span>" * 300).replace("</p>", "</span>" * 300 + "</p>"),
}


def _description(html: str) -> str:
    import re

    m = re.search(r'<meta[^>]+name="description"[^>]+content="([^"]+)"', html)
    return m.group(1) if m else "A description long enough to be a standfirst of this article, more than eight words."


def _mutants() -> Iterator[tuple[str, bytes, str | None]]:
    rng = random.Random(7)
    pages = _demo_pages()
    for name, mutate in MUTATIONS.items():
        for i, body in enumerate(pages):
            yield f"{name} #{i}", mutate(body.decode("utf-8")).encode("utf-8", errors="surrogatepass"), "utf-8"
    base = pages[0]
    text = base.decode("utf-8")
    yield "invalid UTF-8 bytes", base.replace(b"</p>", b"\xff\xfe</p>", 3), "utf-8"
    yield "mixed UTF-8 and windows-1252", base + text.encode("cp1252", errors="replace"), None
    yield "latin-1 bytes declared UTF-8", text.encode("latin-1", errors="replace"), "utf-8"
    yield "a lying header charset", text.encode("utf-8"), "shift_jis"
    yield "an unknown header charset", text.encode("utf-8"), "x-nothing"
    yield "UTF-16 with a BOM", codecs.BOM_UTF16_LE + text.encode("utf-16-le"), None
    yield "UTF-16 without a BOM", text.encode("utf-16-le"), None
    yield "random bytes in the middle", base[:2000] + rng.randbytes(3000) + base[2000:], None
    yield "an empty document", b"", None
    yield "whitespace only", b"  \n\t ", None
    yield "a PNG served as HTML", b"\x89PNG\r\n\x1a\n" + rng.randbytes(5000), "utf-8"
    yield "a gzip file served as HTML", gzip.compress(base), None
    yield "random binary", rng.randbytes(20000), None
    yield "only a doctype", b"<!DOCTYPE html>", None
    yield "only a comment", b"<!-- nothing -->", None
    yield "an unclosed comment", b"<html><body><!-- " + base, None
    yield "one enormous word", b"<html><body><p>" + b"a" * 2_000_000 + b"</p></body></html>", None


@pytest.mark.parametrize(("name", "body", "charset"), list(_mutants()), ids=lambda v: v if isinstance(v, str) else "")
def test_a_broken_page_ends_as_an_article_or_a_drop(name: str, body: bytes, charset: str | None) -> None:
    _outcome(body, charset=charset)


def test_pathological_sizes_end_as_an_article_or_a_drop() -> None:
    """Nesting 10,000 levels deep, and 20 MB of text in one node."""
    paragraph = "Migrants crossed the strait at night, officials said on Tuesday. " * 12
    deep = ("<html><body>" + "<div>" * 10_000 + f"<p>{paragraph}</p>" * 5 + "</div>" * 10_000 + "</body></html>")
    assert _outcome(deep.encode()) in {"article"} | EXPECTED_DROPS
    huge = "<html><body><article><p>" + ("word " * 4_000_000) + "</p></article></body></html>"
    assert len(huge) > 20_000_000
    assert _outcome(huge.encode()) in {"article"} | EXPECTED_DROPS


def test_the_find_standfirst_comment_page_extracts() -> None:
    """The page that failed a whole run: the meta description printed as
    the tail of a comment, whose "parent" is the comment itself."""
    description = "Officials met in Rabat on Monday to discuss police cooperation against migrant smuggling networks."
    body = ("<html><head><title>Talks</title><meta name='description' content='" + description + "'></head><body>"
            "<div class='dek'><!-- standfirst -->" + description + "</div><article>"
            + "".join(f"<p>Interior ministers agreed on joint patrols along stretch {i} of the coast and on a shared"
                      f" database of boats, the {i}th measure of the plan announced on Monday.</p>" for i in range(8))
            + "</article></body></html>")
    out = extract_page(_page(body.encode()), "en")
    assert isinstance(out, Article), out
