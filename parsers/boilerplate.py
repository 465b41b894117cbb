"""Boilerplate removal on extracted text, paragraph by paragraph.

Every removal is returned as a :class:`Removal` naming its rule, so
``newsflow explain`` (and the warehouse) can show what was cut and why.

Rules, in order:

``headline_repeat``
    a leading paragraph (before any kept one) equal to the headline as the
    page states it anywhere: the extracted title, ``og:title``, ``<h1>`` or
    ``<title>`` (the caller passes these as ``headlines``).
``share_widget``
    share-widget headings ("Spread the love", "Partagez cet article") are
    never article text: the phrase is cut wherever it appears, together with a
    widget date label glued before it ("date 2021-04-11"); what remains of
    the paragraph is dropped if it is only a few tokens.
``teaser``
    a short paragraph (at most ``TEASER_MAX_WORDS`` words) starting with
    "Read more:", "Lire aussi :", "Related:" etc.
``call_to_action``
    a short paragraph (at most ``CTA_MAX_WORDS`` words) containing a
    newsletter, app, follow, share or comment-forum prompt.
``trust_line``
    a short line pointing at the publisher's standards ("Our Standards: The
    Thomson Reuters Trust Principles.", "Read our editorial policy").
``label``
    a line that is only a page label: an advertising slot ("Advertisement",
    "Skip advertisement", "Publicité") or a reading time ("8 min read",
    "3 min de lecture").
``byline``
    a short line that is only a byline or a dateline ("By Jane Doe",
    "Published 3 March 2024, 10:02", "Mis à jour le ...").
``related_link``
    a paragraph of at most ``LINK_MAX_WORDS`` words that is exactly the text
    of one of the page's links: a related-story card or in-body headline
    link.  Prose never consists of one whole link.
``author_bio``
    one of the last ``BIO_TAIL`` paragraphs, at most ``BIO_MAX_WORDS`` words,
    that opens with a byline author's name (or "Name Surname is a reporter /
    writer / editor ...") and describes who they are.
``related_section``
    a short heading such as "More from The Nation", "Most read", "You may
    also like", "Les plus lus", found in the second half of the text (by
    words): it and what follows, a block of teasers, up to a paragraph of
    ``BLOCK_END_WORDS`` words or more (a related box set inside the article,
    which then goes on).
``comments_section``
    the heading of the readers' comments ("12 Comments", "3 Responses to
    “…”", "Leave a Reply", "Comments are closed", "Laisser un commentaire")
    once the article has had ``MIN_ARTICLE_WORDS`` words: it and everything
    after it are the comment form and the comments, which trafilatura leaves
    in when the page does not mark them as comments.  A singular "Comment"
    alone is a heading of opinion pieces, not of comments, and is kept.
``blog_sidebar``
    the heading of a blog's sidebar widget ("Popular Posts", "Recent
    Comments", "Blogroll", "Blog Archive", "Search this blog", "Articles
    récents") once the article has had ``MIN_ARTICLE_WORDS`` words: it and
    what follows, up to a paragraph of ``BLOCK_END_WORDS`` words or more
    (a sidebar printed before the article ends where the article's prose
    starts).  trafilatura's recall mode takes a sidebar in when a post is
    short (its wild-text pass reads every ``<div>`` and list of the page);
    these headings never head a part of an article.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Sequence

from newsflow.records import Removal

CTA_MAX_WORDS = 40
TEASER_MAX_WORDS = 30
TRUST_MAX_WORDS = 15
BYLINE_MAX_WORDS = 12
LABEL_MAX_WORDS = 5
LINK_MAX_WORDS = 30
BIO_TAIL = 3  # author bios sit among the last paragraphs
BIO_MAX_WORDS = 120
SECTION_MAX_WORDS = 6  # a section heading is a few words
SECTION_MIN_SHARE = 0.5  # ...and starts a teaser block only in the second half of the text
MIN_ARTICLE_WORDS = 40  # the article before a comments heading (extract.MIN_WORDS: a page's minimum)
BLOCK_END_WORDS = 40  # teaser blocks and widgets are lists and short teasers; a paragraph this long is the article again
COPYRIGHT_TAIL = 3  # a site's copyright notice sits among the last paragraphs
COPYRIGHT_MAX_WORDS = 40

# Share-widget headings: boilerplate wherever they appear.
SHARE_PHRASES = (
    r"spread the love",
    r"share this (?:article|story|post|page)",
    r"share (?:on|via) (?:facebook|twitter|x|whatsapp|linkedin|telegram|email)",
    r"partage[rz]? cet article",
    r"partager sur (?:facebook|twitter|x|whatsapp|linkedin)",
    r"partagez sur (?:facebook|twitter|x|whatsapp|linkedin)",
)

# Prompts that end a short paragraph's claim to be article text.
CTA_PHRASES = (
    # English
    r"sign up (?:for|to) (?:\w+\W+){0,5}newsletters?",
    r"subscribe (?:to|for) (?:\w+\W+){0,5}(?:newsletters?|channel|podcast|updates)",
    r"(?:get|receive) (?:\w+\W+){0,4}newsletters?",
    r"follow us on",
    r"like us on facebook",
    r"join (?:us|our (?:\w+\W+){0,2}channel) on (?:telegram|whatsapp|facebook|twitter)",
    r"click here to (?:get|download|subscribe|read|join|sign up)",
    r"download (?:the|our) (?:\w+\W+){0,4}app",
    r"get the (?:\w+\W+){0,4}app",
    r"support (?:our|independent) journalism",
    r"become a (?:member|subscriber|patron)",
    r"(?:continue|keep) reading (?:with|for) ",
    r"join (?:our|the) (?:\w+\W+){0,2}(?:forum|conversation|discussion|community)",
    r"swipe (?:left|right) (?:below )?to (?:view|see)",
    r"(?:sign up|subscribe) (?:for|to) (?:\w+\W+){0,6}(?:delivered|sent) to your inbox",
    r"join (?:our|the) (?:\w+\W+){0,3}newsletter",
    r"subscribe to (?:get|receive) ",
    r"subscribe to (?:this|our) (?:site|blog)\b",
    r"(?:get|receive) (?:\w+\W+){0,5}delivered (?:straight |right )?(?:to|into) your inbox",
    r"receive notifications (?:about|of|for) new (?:posts|articles|stories)",
    # French
    r"abonnez[- ]vous",
    r"inscrivez[- ]vous (?:a|à) (?:\w+\W+){0,3}(?:newsletter|lettre)",
    r"suivez[- ]nous sur",
    r"rejoignez[- ]nous sur",
    r"telechargez (?:l'application|notre application|l'appli)",
    r"recevez (?:\w+\W+){0,4}newsletter",
    r"soutenez (?:notre|le) journalisme",
    r"rejoignez (?:la|notre) (?:discussion|communaute)",
) + SHARE_PHRASES

TEASER_PREFIXES = (
    r"read (?:more|also)",
    r"also read",
    r"see also",
    r"related(?: (?:stories|articles|story|article|news|content))?",
    r"recommended(?: for you)?",
    r"more on this(?: story)?",
    r"watch",
    r"(?:a )?lire (?:aussi|egalement|la suite)",
    r"voir aussi",
    r"sur le meme sujet",
)

TRUST_PATTERNS = (
    r"^our (?:editorial )?standards\b",
    r"\btrust principles\b",
    r"^(?:read|learn more about|see) our (?:editorial |ethics |corrections )?(?:standards|policy|policies|guidelines)\b",
    r"^nos (?:engagements|principes) (?:editoriaux|deontologiques)",
)

# A page label alone on its line (matched on the folded line, whole).
LABEL_PATTERNS = (
    r"(?:skip )?advertisement|sponsored|publicite|annonce|anzeige|publicidad",
    r"(?:[-–·|•]\s*)?\d+\s*(?:min(?:ute)?s?|mn)\.?\s*(?:read|de lecture)",
    r"(?:temps de )?lecture\s*:?\s*\d+\s*(?:min(?:ute)?s?|mn)\.?",
)

# A byline or dateline alone on its line.
BYLINE_PATTERNS = (
    r"^(?:by|par|written by|reporting by|words by)\s+[\w'’.-]+(?:\s+[\w'’.-]+){0,3}"
    r"(?:\s*(?:,|and|et|&|\||-|–)\s*[\w'’.-]+(?:\s+[\w'’.-]+){0,3})*\s*$",
    r"^(?:published|updated|posted|last updated|first published|publie|mis a jour)\b(?:\s*(?:on|at|le|:))?"
    r"[\s\w,:.|/-]{0,40}\d{1,4}[\s\w,:.|/()+-]{0,30}$",
)

SECTION_HEADINGS = (
    r"more (?:from|on) [\w .'’-]{2,40}",
    r"more (?:stories|articles|news|coverage|to read)",
    r"related (?:stories|articles|coverage|content|reading|news)",
    r"most (?:read|popular|viewed|shared|commented)",
    r"(?:popular|trending) (?:now|stories|today|articles)",
    r"recommended (?:for you|reading|stories|articles)",
    r"you (?:may|might) (?:also )?(?:like|enjoy|be interested in)",
    r"(?:read|up) next",
    r"read this next",
    r"explore related (?:content|stories|articles)",
    r"also on [\w .'’-]{2,30}",
    r"(?:latest|top) (?:stories|news|headlines|articles)",
    r"(?:les )?plus (?:lus|partages|commentes)",
    r"(?:dans la meme rubrique|sur le meme (?:sujet|theme)|a lire (?:aussi|egalement|ensuite))",
    r"(?:nos|vous aimerez aussi|articles similaires|d'autres articles)(?: [\w' ]{0,30})?",
)

# The heading of the readers' comments (matched on the folded line, whole).
COMMENT_HEADINGS = (
    # "3 Responses to “…”", "One thought on “…”": the post's title in quotes
    r"(?:\d+|one) (?:responses?|comments?|thoughts?|replies|reactions?) (?:to|on) [\"'“‘«].{0,150}",
    # the form's heading alone ("Add a comment" inside a how-to is a step, with more words)
    r"(?:leave|post|add|write) (?:a |your )?(?:reply|comment|response)(?: cancel reply)?",
    r"\d+ (?:reader |user )?comments?",
    r"(?:reader |user )?comments(?: \(\d+\))?",
    r"(?:the )?comments (?:to this entry |for this (?:post|article) )?are closed\.?",
    # WordPress's lines under a post, before its comments
    r"no comments(?: yet)?(?: \W)?",
    r"you can follow any responses to this entry.{0,200}",
    r"(?:both )?comments and pings are (?:currently )?closed\.?",
    r"(?:\d+ )?commentaires|laisser un commentaire(?: annuler la reponse)?|reagir a cet article",
)

# The heading of a blog's sidebar widget (matched on the folded line, whole,
# a colon allowed).  Only headings that name the widget: "Archives",
# "Categories", "Tags" or "Links" alone also head sections of articles.
SIDEBAR_HEADINGS = (
    r"(?:popular|recent|latest) (?:posts|entries|comments)",
    r"blogroll|blog archive|twitter updates|followers|search this blog|subscribe to|about me",
    r"(?:articles|commentaires|billets) (?:recents|populaires)",
)

BIO_ROLES = (r"(?:an? |the )(?:[\w-]+ ){0,4}(?:reporter|writer|editor|correspondent|journalist|columnist|"
             r"contributor|author|producer|critic|analyst|host|fellow)")

_SHARE_RE = re.compile(
    r"(?:\bdate\s+\d{4}-\d{2}-\d{2}\s*)?\b(?:" + "|".join(SHARE_PHRASES) + r")\b[\s:.!]*",
    re.IGNORECASE,
)
_CTA_RE = re.compile(r"\b(?:" + "|".join(CTA_PHRASES) + r")", re.IGNORECASE)
_TEASER_RE = re.compile(r"^(?:" + "|".join(TEASER_PREFIXES) + r")\s*(?::|–|—|-|\||»|>)", re.IGNORECASE)
_TRUST_RE = re.compile("|".join(TRUST_PATTERNS), re.IGNORECASE)
_BYLINE_RE = re.compile("|".join(BYLINE_PATTERNS), re.IGNORECASE)
_LABEL_RE = re.compile(r"^(?:" + "|".join(LABEL_PATTERNS) + r")$", re.IGNORECASE)
_SECTION_RE = re.compile(r"^(?:" + "|".join(SECTION_HEADINGS) + r")\s*[:.!»>]?$", re.IGNORECASE)
_COMMENTS_RE = re.compile(r"^(?:" + "|".join(COMMENT_HEADINGS) + r")\s*:?$", re.IGNORECASE)
# "© 2012 The Associated Press. All rights reserved. ...", "Copyright 2011
# Thomson Reuters": opens with the sign or the word, and gives a year or the
# reservation (so a heading "Copyright law in Europe" stays).
_SIDEBAR_RE = re.compile(r"^(?:" + "|".join(SIDEBAR_HEADINGS) + r")\s*:?$", re.IGNORECASE)
_COPYRIGHT_RE = re.compile(r"^\s*(?:©|\(c\)|copyright\b)", re.IGNORECASE)
_COPYRIGHT_CLAIM_RE = re.compile(r"\b(?:19|20)\d\d\b|all rights reserved|tous droits reserves", re.IGNORECASE)
_BIO_ROLE_ANYWHERE_RE = re.compile(r"\b(?:is|was|has been|serves as) " + BIO_ROLES, re.IGNORECASE)
_BIO_VERB_RE = re.compile(r"\b(?:covers|writes (?:about|for)|reports on|based in|follow (?:him|her|them|\w+) on)\b",
                          re.IGNORECASE)
_BIO_ROLE_RE = re.compile(r"^(?:[\w'’.-]+\s+){1,4}(?:is|was|has been|serves as) " + BIO_ROLES, re.IGNORECASE)


def _fold_char(ch: str) -> str:
    if ch in "’ʼ‘`´":
        return "'"
    base = unicodedata.normalize("NFD", ch)[0] if ord(ch) > 127 else ch
    low = base.lower()
    return low if len(low) == 1 else base


class _FoldMap(dict[int, str]):
    """Code point -> folded character, for ``str.translate``: each character
    is folded once, on first sight, then looked up in C (3-4x faster than
    joining per-character calls on accented text)."""

    def __missing__(self, cp: int) -> str:
        folded = self[cp] = _fold_char(chr(cp))
        return folded


_FOLD_MAP = _FoldMap()


def fold(text: str) -> str:
    """Lower-case, accents stripped, typographic apostrophes made plain.
    Keeps one output character per input character, so offsets line up."""
    if text.isascii():
        return text.lower()
    return text.translate(_FOLD_MAP)


def norm_line(text: str) -> str:
    """Folded, punctuation removed, whitespace collapsed: the form lines are
    compared in."""
    return " ".join(re.sub(r"[^\w\s]", " ", fold(text)).split())


_NON_WORD = re.compile(r"[\W_]+")


def quick_key(text: str) -> str:
    """A cheap comparison form for matching extracted text to the page's
    elements: lower case, runs of non-word characters made one space."""
    return _NON_WORD.sub(" ", text.lower()).strip()


def _words(text: str) -> int:
    return len(text.split())


def _residue_is_junk(text: str) -> bool:
    """What is left after cutting a widget phrase: junk if it is a handful of
    tokens with no sentence in it."""
    stripped = text.strip(" \t-–—|:·•")
    return _words(stripped) <= 3 and not re.search(r"[a-zà-ÿ]{3,}.*[.!?]$", stripped, re.IGNORECASE)


def _cut_share_phrases(text: str, folded: str, removed: list[Removal]) -> str:
    """Cut share-widget headings from a paragraph.  In a short paragraph they
    go wherever they are; in a long one only at its start or end (where a
    widget gets glued to the text), so prose that mentions sharing stays."""
    short = _words(text) <= CTA_MAX_WORDS
    pieces = []
    last = 0
    for m in _SHARE_RE.finditer(folded):
        at_edge = not folded[:m.start()].strip() or not folded[m.end():].strip()
        if not (short or at_edge):
            continue
        pieces.append(text[last:m.start()])
        removed.append(Removal("share_widget", text[m.start():m.end()].strip()))
        last = m.end()
    pieces.append(text[last:])
    return " ".join(p.strip() for p in pieces if p.strip())


def _is_bio(text: str, folded: str, author_names: Sequence[str]) -> bool:
    """An author bio: "Name Surname is a reporter / writer / editor ..."
    (``BIO_ROLES``), or a paragraph opening with a byline author's name
    (within the first five words) that names a role or says what the person
    covers ("covers", "writes about", "based in", "follow her on")."""
    if _words(text) > BIO_MAX_WORDS:
        return False
    if _BIO_ROLE_RE.search(folded):
        return True
    head = " ".join(folded.split()[:20])
    describes = _BIO_ROLE_ANYWHERE_RE.search(head) or _BIO_VERB_RE.search(head)
    return describes is not None and _opens_with_author(text, author_names)


def _opens_with_author(text: str, author_names: Sequence[str]) -> bool:
    """Whether a byline author's full name or surname is among the first
    five words of ``text``."""
    opening = " ".join(norm_line(" ".join(text.split()[:6])).split()[:5])
    return any(name and re.search(rf"\b{re.escape(name)}\b", opening) for name in author_names)


def _author_names(authors: Sequence[str]) -> list[str]:
    """Full names and surnames (of two letters or more) of the byline
    authors, normalised."""
    names: list[str] = []
    for author in authors:
        full = norm_line(author)
        parts = full.split()
        if len(parts) >= 2:
            names += [full, parts[-1]]
    return [n for n in names if len(n) >= 2]


def clean_paragraphs(paragraphs: Sequence[str], title: str | None, *,
                     headlines: Collection[str] = (), links: Collection[str] = frozenset(),
                     authors: Sequence[str] = ()) -> tuple[list[str], list[Removal]]:
    """Apply the rules of this module to ``paragraphs``; returns the kept
    paragraphs and the removals, in order.

    ``headlines`` are normalised (:func:`norm_line`) headline forms besides
    ``title``; ``links`` the :func:`quick_key` forms of the page's link texts;
    ``authors`` the byline names."""
    kept: list[str] = []
    removed: list[Removal] = []
    heads = set(headlines)
    if title:
        heads.add(norm_line(title))
    heads.discard("")
    author_names = _author_names(authors)
    for para in paragraphs:
        text = para.strip()
        if not text:
            continue
        norm = norm_line(text)
        if not kept and norm in heads:
            removed.append(Removal("headline_repeat", text))
            continue
        folded = fold(text)
        if _SHARE_RE.search(folded):
            text = _cut_share_phrases(text, folded, removed)
            if not text:
                continue
            if _residue_is_junk(text):
                removed.append(Removal("share_widget", text))
                continue
            folded = fold(text)
            norm = norm_line(text)
        n = _words(text)
        if n <= TEASER_MAX_WORDS and _TEASER_RE.search(folded):
            removed.append(Removal("teaser", text))
            continue
        if n <= CTA_MAX_WORDS and _CTA_RE.search(folded):
            removed.append(Removal("call_to_action", text))
            continue
        if n <= LABEL_MAX_WORDS and _LABEL_RE.search(folded):
            removed.append(Removal("label", text))
            continue
        if n <= TRUST_MAX_WORDS and _TRUST_RE.search(folded):
            removed.append(Removal("trust_line", text))
            continue
        if n <= BYLINE_MAX_WORDS and _BYLINE_RE.search(folded):
            removed.append(Removal("byline", text))
            continue
        if n <= LINK_MAX_WORDS and links and quick_key(text) in links:
            removed.append(Removal("related_link", text))
            continue
        kept.append(text)
    kept = _cut_sidebar(_cut_comments(_cut_related_section(kept, removed), removed), removed)
    return _drop_tail_copyright(_drop_tail_bios(kept, removed, author_names), removed), removed


def _drop_tail_copyright(kept: list[str], removed: list[Removal]) -> list[str]:
    """The site's copyright notice among the last ``COPYRIGHT_TAIL``
    paragraphs (never the first paragraph)."""
    tail_start = max(len(kept) - COPYRIGHT_TAIL, 1)
    out = kept[:tail_start]
    for text in kept[tail_start:]:
        if _words(text) <= COPYRIGHT_MAX_WORDS and _COPYRIGHT_RE.search(text) \
                and _COPYRIGHT_CLAIM_RE.search(fold(text)):
            removed.append(Removal("copyright_line", text))
        else:
            out.append(text)
    return out


def _drop_tail_bios(kept: list[str], removed: list[Removal], author_names: Sequence[str]) -> list[str]:
    """Bios among the last ``BIO_TAIL`` paragraphs; and an author box printed
    before the article: a first paragraph naming a byline author *and*
    stating their role ("Jane Doe is a senior editor at ...")."""
    if len(kept) > 1 and author_names:
        first = fold(kept[0])
        if _BIO_ROLE_RE.search(first) and _opens_with_author(kept[0], author_names) \
                and _words(kept[0]) <= BIO_MAX_WORDS:
            removed.append(Removal("author_bio", kept[0]))
            kept = kept[1:]
    tail_start = max(len(kept) - BIO_TAIL, 1)  # never the whole text
    out = kept[:tail_start]
    for text in kept[tail_start:]:
        if _is_bio(text, fold(text), author_names):
            removed.append(Removal("author_bio", text))
        else:
            out.append(text)
    return out


def _cut_related_section(kept: list[str], removed: list[Removal]) -> list[str]:
    share = SECTION_MIN_SHARE * sum(_words(t) for t in kept)
    return _cut_blocks(kept, removed, "related_section", lambda seen, text: (
        seen >= share and _words(text) <= SECTION_MAX_WORDS and bool(_SECTION_RE.search(norm_line(text)))))


def _cut_blocks(kept: list[str], removed: list[Removal], rule: str,
                is_heading: Callable[[int, str], bool], end_words: int | None = BLOCK_END_WORDS) -> list[str]:
    """``kept`` without the blocks that start at a paragraph
    ``is_heading(words before it, paragraph)`` says heads one and run up to
    the next paragraph of ``end_words`` words or more (teaser lists,
    widgets: the article's prose resumes there), or to the end of the text
    when ``end_words`` is None; those go as ``rule``."""
    out: list[str] = []
    seen = 0
    cutting = False
    for text in kept:
        words = _words(text)
        if cutting and end_words is not None and words >= end_words:
            cutting = False
        if not cutting and is_heading(seen, text):
            cutting = True
        if cutting:
            removed.append(Removal(rule, text))
        else:
            out.append(text)
        seen += words
    return out


def _cut_comments(kept: list[str], removed: list[Removal]) -> list[str]:
    return _cut_blocks(kept, removed, "comments_section", lambda seen, text: (
        seen >= MIN_ARTICLE_WORDS and bool(_COMMENTS_RE.search(fold(text.strip())))), end_words=None)


def _cut_sidebar(kept: list[str], removed: list[Removal]) -> list[str]:
    return _cut_blocks(kept, removed, "blog_sidebar", lambda seen, text: (
        seen >= MIN_ARTICLE_WORDS and bool(_SIDEBAR_RE.search(fold(text.strip())))))


def clean_text(text: str, title: str | None, **context: Collection[str]) -> tuple[str, list[Removal]]:
    """Clean newline-separated paragraphs; returns the text and what went.
    ``context`` is passed to :func:`clean_paragraphs`."""
    kept, removed = clean_paragraphs(text.split("\n"), title, **context)  # type: ignore[arg-type]
    return "\n\n".join(kept), removed


def contains_cta(text: str) -> list[str]:
    """The call-to-action phrases found anywhere in ``text`` (for checks)."""
    return [m.group(0) for m in _CTA_RE.finditer(fold(text))]


# What each rule means, for `newsflow explain`.
RULE_DOCS = {
    "headline_repeat": "the headline (or the og:title / h1) repeated as the first paragraph",
    "share_widget": "a social-share widget heading such as 'Spread the love', with its date label",
    "teaser": f"a paragraph of at most {TEASER_MAX_WORDS} words starting with 'Read more:', 'Lire aussi :' or the like",
    "call_to_action": f"a paragraph of at most {CTA_MAX_WORDS} words with a newsletter, app, follow or share prompt",
    "credit": "a photo credit, copyright line or contact e-mail (a rule of cleaner versions before 4)",
    "trust_line": "a publisher's standards or trust-principles line",
    "label": "a line that is only 'Advertisement' or a reading time ('8 min read')",
    "byline": "a line that is only a byline or a dateline",
    "related_link": "a paragraph that is exactly the text of a link (a related-story card)",
    "author_bio": "an author biography around the article",
    "related_section": "a 'More from …' / 'Most read' block of teasers, up to where the article's prose resumes",
    "copyright_line": "the site's copyright notice ('© 2012 The Associated Press. All rights reserved.') among the last paragraphs",
    "comments_section": "the readers' comments and the comment form, from their heading ('12 Comments', 'Leave a Reply') on",
    "blog_sidebar": "a blog's sidebar widgets ('Popular Posts', 'Recent Comments', 'Blogroll'), from their heading up to where the article's prose resumes",
    "no_prose": "trafilatura's text had no sentences (a link list, a menu, a sidebar); readability's article was taken instead",
    "site_boilerplate": "a paragraph repeated across many articles of this source (learned per site)",
}
