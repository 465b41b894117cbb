"""``parsers.html.parse_tree`` builds the tree trafilatura would build
(``trafilatura.load_html``: the same repairs, the same parser settings), with
lxml's C element-class lookup.  Checked here on the demo pages, every mutant
of the fuzz test and, where it is beside the repository, every page of the
extraction corpus: the same serialisation, element for element."""

from __future__ import annotations

import gzip

import lxml.html
import pytest
import trafilatura

from newsflow.errors import ExtractError
from parsers.html import _trafilatura_tree, decode_html, parse_tree
from tests.parsers.test_fuzz import SHARED, _demo_pages, _mutants


def _texts() -> list[tuple[str, str]]:
    out = [(f"demo #{i}", decode_html(body, "utf-8")[0]) for i, body in enumerate(_demo_pages())]
    for name, body, charset in _mutants():
        try:
            out.append((name, decode_html(body, charset)[0]))
        except ExtractError:  # a body that is no text at all (binary_body) has no tree to compare
            continue
    return out


def _same(text: str) -> None:
    """Our tree is trafilatura's, or both give up (parse_tree then falls back
    to lxml's document parser)."""
    theirs = trafilatura.load_html(text)
    ours = _trafilatura_tree(text)
    if theirs is None:
        assert ours is None
        return
    assert isinstance(ours, lxml.html.HtmlElement)
    assert lxml.html.tostring(ours) == lxml.html.tostring(theirs)
    if len(theirs):
        assert lxml.html.tostring(parse_tree(text)) == lxml.html.tostring(theirs)


@pytest.mark.parametrize(("name", "text"), _texts(), ids=lambda v: v if len(v) < 80 else "")
def test_the_tree_is_trafilaturas(name: str, text: str) -> None:
    _same(text)


@pytest.mark.skipif(not (SHARED / "extraction-corpus").is_dir(), reason="the extraction corpus is not beside the repo")
def test_the_tree_is_trafilaturas_on_every_corpus_page() -> None:
    for path in sorted((SHARED / "extraction-corpus").glob("*/pages/*.html.gz")):
        _same(decode_html(gzip.decompress(path.read_bytes()), None)[0])


def test_elements_are_html_elements_with_their_methods() -> None:
    tree = parse_tree("<html><head><title>t</title></head><body><form><input name='a'></form>"
                      "<p>One <b>two</b></p></body></html>")
    p = tree.find(".//p")
    assert isinstance(p, lxml.html.HtmlElement) and p.text_content() == "One two"
    p.find("b").drop_tag()
    assert lxml.html.tostring(p) == b"<p>One two</p>"


def _head(tags: str) -> lxml.html.HtmlElement:
    tree = parse_tree(f"<html><head>{tags}</head><body><p>text</p></body></html>")
    assert tree is not None
    return tree


def test_canonical_link_is_the_page_s_own_address() -> None:
    from parsers.html import canonical_link

    post = "https://blog.example/2025/05/post"
    assert canonical_link(_head('<link rel="canonical" href="/2025/05/post">'), post) == post
    assert canonical_link(_head(f'<meta property="og:url" content="{post}">'), "http://127.0.0.1:8080/p") == post
    # a theme that gives every post the home page: the next candidate, else the page's own URL
    assert canonical_link(_head(f'<link rel="canonical" href="https://blog.example">'
                                f'<meta property="og:url" content="{post}">'), post) == post
    assert canonical_link(_head('<link rel="canonical" href="https://blog.example/">'), post) is None
    assert canonical_link(_head('<link rel="canonical" href="https://blog.example/">'),
                          "https://blog.example/") == "https://blog.example/"  # the front page itself
    # the blog's home printed before the post's own link
    assert canonical_link(_head('<link rel="canonical" href="https://blog.example/tom/">'
                                '<link rel="canonical" href="https://blog.example/tom/windows/hotspot.asp">'),
                          "https://blog.example/x") == "https://blog.example/tom/windows/hotspot.asp"
    # the same path with and without its trailing slash is one page, not a folder above it
    assert canonical_link(_head('<link rel="canonical" href="https://site.example/guide">'
                                '<meta property="og:url" content="https://site.example/guide/">'),
                          "https://site.example/guide") == "https://site.example/guide"
    # hosts a broken template makes up
    for bad in ("http://packing-list-backpacking-trip", "https://localhost:3000/post",
                "https://blog.example%2Farticles%2F2025-post"):
        assert canonical_link(_head(f'<link rel="canonical" href="{bad}">'), post) is None, bad
    # a relative canonical names the host the page came from, whatever it is (an intranet, a test server)
    fetched = "http://localhost:8080/news/post?utm_source=x"
    assert canonical_link(_head('<link rel="canonical" href="/news/post">'), fetched) == "http://localhost:8080/news/post"


def test_plausible_host() -> None:
    from parsers.html import plausible_host

    for host in ("163.com", "news.example", "127.0.0.1", "::1", "xn--mller-kva.de", "müller.de", "example.com."):
        assert plausible_host(host), host
    for host in (None, "", "localhost", "packing-list-backpacking-trip", "blog.example%2farticles",
                 "-bad.example", "a..example"):
        assert not plausible_host(host), host
