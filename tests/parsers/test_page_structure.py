"""``parsers.page_structure._candidates`` walks the tree once and must
select exactly what the reference expressions ``PRUNE_XPATH`` and
``WIDGETS_XPATH`` select (the latter: inside ``<body>``), in document order.
Checked on hand-made cases, the demo pages, every fuzz mutant and, where it
is beside the repository, every page of the extraction corpus."""

from __future__ import annotations

import gzip

import lxml.etree
import pytest

from newsflow.errors import ExtractError
from parsers.html import decode_html, parse_tree
from parsers.page_structure import PRUNE_XPATH, WIDGETS_XPATH, _candidates, _in_body, prune_non_article
from tests.parsers.test_fuzz import SHARED, _demo_pages, _mutants

_HIDDEN = lxml.etree.XPath(" | ".join(PRUNE_XPATH))
_WIDGETS = lxml.etree.XPath(WIDGETS_XPATH)

CASES = (
    "<div hidden><p>copy</p></div><div aria-hidden='true'>x</div><div aria-hidden='false'>y</div>",
    "<div style='display: none'>a</div><span style='DISPLAY:NONE'>b</span><p style='visibility : hidden'>c</p>"
    "<p style='visibility:hidden;color:red'>d</p><p style='color:red'>e</p>",
    "<blockquote class='twitter-tweet'>t</blockquote><blockquote class='quote'>q</blockquote>"
    "<div class='twitter-tweet'>not a blockquote</div><blockquote class='instagram-media x'>i</blockquote>",
    "<figure><img src='a.jpg'><figcaption class='c'>cap</figcaption></figure><figcaption>bare</figcaption>",
    "<div class='related-posts'><article class='promo'>a</article><main class='related'>m</main>"
    "<div class='Promo'>case</div><section class='newsletter-box' hidden>n</section></div>"
    "<!-- a comment --><?pi x?><p class=''>empty class</p>",
)


def _check(tree: lxml.etree._Element) -> None:
    hidden, widgets = _candidates(tree)
    assert hidden == _HIDDEN(tree)
    assert [el for el in widgets if _in_body(el)] == _WIDGETS(tree)


@pytest.mark.parametrize("body", CASES)
def test_one_walk_selects_what_the_expressions_select(body: str) -> None:
    _check(parse_tree(f"<html><head><title>t</title><meta class='promo'></head><body>{body}</body></html>"))


def test_the_same_on_demo_pages_and_fuzz_mutants() -> None:
    texts = [decode_html(body, "utf-8")[0] for body in _demo_pages()]
    for _name, body, charset in _mutants():
        try:
            texts.append(decode_html(body, charset)[0])
        except ExtractError:  # a body that is no text at all has no tree
            continue
    for text in texts:
        try:
            tree = parse_tree(text)
        except ExtractError:  # no tree at all (an empty document): extract_page drops it before pruning
            continue
        _check(tree)


@pytest.mark.skipif(not (SHARED / "extraction-corpus").is_dir(), reason="the extraction corpus is not beside the repo")
def test_the_same_on_every_corpus_page() -> None:
    for path in sorted((SHARED / "extraction-corpus").glob("*/pages/*.html.gz")):
        _check(parse_tree(decode_html(gzip.decompress(path.read_bytes()), None)[0]))


def test_pruning_keeps_the_article_and_drops_the_rest() -> None:
    article = " ".join(["The council approved the new reception centre after a long debate."] * 20)
    tree = parse_tree(f"<html><body><div hidden><p>{article}</p></div><div class='related'>Also read</div>"
                      "<figure><figcaption>Photo: AFP</figcaption></figure></body></html>")
    assert prune_non_article(tree) == 2
    text = tree.text_content()
    assert article in text and "Also read" not in text and "AFP" not in text


ARTICLE_PARAS = ["The council approved the new reception centre on Tuesday after a debate that lasted most of the night.",
                 "Aid groups welcomed the vote but said the centre would be too small for the arrivals expected.",
                 "The mayor said the first families would move in before the summer, with a school on site."]


def test_a_table_that_lays_out_the_page_becomes_blocks() -> None:
    from parsers.page_structure import unwrap_layout_tables

    body = "".join(f"<p>{p}</p>" for p in ARTICLE_PARAS)
    tree = parse_tree("<html><body><table><tbody><tr><td class='nav'><a href='/'>Home</a></td>"
                      f"<td class='main'>{body}</td></tr></tbody></table></body></html>")
    assert unwrap_layout_tables(tree) == 1
    assert not tree.xpath("//table|//tr|//td|//tbody")
    assert [p.text for p in tree.iter("p")] == ARTICLE_PARAS
    assert tree.xpath("//div[@class='main']/p")  # cells keep their attributes and content


def test_data_tables_and_their_nested_layout_stay() -> None:
    from parsers.page_structure import unwrap_layout_tables

    data = ("<table><tr><th>Year</th><th>Arrivals</th></tr><tr><td>2023</td><td>31,400</td></tr>"
            "<tr><td>2024</td><td><p>28,900</p></td></tr></table>")
    tree = parse_tree(f"<html><body><p>{ARTICLE_PARAS[0]}</p>{data}</body></html>")
    assert unwrap_layout_tables(tree) == 0 and len(tree.xpath("//table/tr")) == 3
    # a layout table around a data table: the layout goes, the data table stays
    body = "".join(f"<p>{p}</p>" for p in ARTICLE_PARAS)
    tree = parse_tree(f"<html><body><table><tr><td>{body}{data}</td></tr></table></body></html>")
    assert unwrap_layout_tables(tree) == 1
    assert len(tree.xpath("//table")) == 1 and len(tree.xpath("//table/tr")) == 3


def test_an_article_in_a_layout_table_keeps_its_paragraphs() -> None:
    from datetime import UTC, datetime

    from newsflow.records import Article, Page
    from parsers.extract import extract_page

    body = "".join(f"<p>{p}</p>" for p in ARTICLE_PARAS * 2)
    html = ("<html><head><title>Centre approved</title></head><body><table><tr>"
            "<td><ul><li><a href='/a'>Home</a></li><li><a href='/b'>World</a></li></ul></td>"
            f"<td><h1>Centre approved</h1>{body}</td></tr></table></body></html>")
    page = Page(url="https://example.org/news/centre", final_url="https://example.org/news/centre", source="s",
                status=200, content_type="text/html", charset="utf-8", body=html.encode(),
                fetched_at=datetime(2026, 1, 1, tzinfo=UTC))
    article = extract_page(page, "en")
    assert isinstance(article, Article), article
    assert "|" not in article.text
    assert article.text.split("\n\n")[:3] == ARTICLE_PARAS
