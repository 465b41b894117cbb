"""Boilerplate removal on extracted text, paragraph by paragraph.

Every removal is returned as a :class:`Removal` naming its rule, so
``newsflow explain`` (and the warehouse) can show what was cut and why.

Rules, in order:

``headline_repeat``
    a leading paragraph equal to the title.
``share_widget``
    share-widget headings ("Spread the love", "Partagez cet article") are
    never article text: the phrase is cut wherever it appears, together with a
    widget date label glued before it ("date 2021-04-11"); what remains of
    the paragraph is dropped if it is only a few tokens.
``call_to_action``
    a short paragraph (at most ``CTA_MAX_WORDS`` words) containing a
    newsletter, app, follow or share prompt.
``teaser``
    a short paragraph starting with "Read more:", "Lire aussi :" etc.
``credit``
    a short photo-credit or copyright line, or an author contact line with an
    e-mail address.
"""

from __future__ import annotations

import re
import unicodedata

from newsflow.records import Removal

CTA_MAX_WORDS = 40
TEASER_MAX_WORDS = 30
CREDIT_MAX_WORDS = 20

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
    # French
    r"abonnez[- ]vous",
    r"inscrivez[- ]vous (?:a|à) (?:\w+\W+){0,3}(?:newsletter|lettre)",
    r"suivez[- ]nous sur",
    r"rejoignez[- ]nous sur",
    r"telechargez (?:l'application|notre application|l'appli)",
    r"recevez (?:\w+\W+){0,4}newsletter",
    r"soutenez (?:notre|le) journalisme",
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

CREDIT_PATTERNS = (
    r"^(?:photo|image|picture|video|illustration|credit|photo credit|image credit|credit photo|photographie)s?\s*[:©/]",
    r"^\(?(?:photo|image)s? (?:by|courtesy|credit|:)",
    r"^©",
    r"^copyright\b",
    r"\b(?:all rights reserved|tous droits reserves)\b",
)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_SHARE_RE = re.compile(
    r"(?:\bdate\s+\d{4}-\d{2}-\d{2}\s*)?\b(?:" + "|".join(SHARE_PHRASES) + r")\b[\s:.!]*",
    re.IGNORECASE,
)
_CTA_RE = re.compile(r"\b(?:" + "|".join(CTA_PHRASES) + r")", re.IGNORECASE)
_TEASER_RE = re.compile(r"^(?:" + "|".join(TEASER_PREFIXES) + r")\s*(?::|–|—|-|\||»|>)", re.IGNORECASE)
_CREDIT_RE = re.compile("|".join(CREDIT_PATTERNS), re.IGNORECASE)


def _fold_char(ch: str) -> str:
    if ch in "’ʼ‘`´":
        return "'"
    base = unicodedata.normalize("NFD", ch)[0]
    low = base.lower()
    return low if len(low) == 1 else base


# Latin-1, Latin Extended-A/B and the typographic apostrophes, precomputed.
_FOLD_TABLE = {cp: _fold_char(chr(cp)) for cp in range(0x80, 0x250)}
_FOLD_TABLE.update({ord(c): "'" for c in "’ʼ‘`´"})


def fold(text: str) -> str:
    """Lower-case, accents stripped, typographic apostrophes made plain.
    Keeps one output character per input character, so offsets line up."""
    if text.isascii():
        return text.lower()
    out = text.translate(_FOLD_TABLE).lower()
    if len(out) == len(text):
        return out
    return "".join(_fold_char(ch) for ch in text)  # a character whose lower case is longer


def norm_line(text: str) -> str:
    """Folded, punctuation removed, whitespace collapsed: the form lines are
    compared in."""
    return " ".join(re.sub(r"[^\w\s]", " ", fold(text)).split())


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


def clean_paragraphs(paragraphs: list[str], title: str | None) -> tuple[list[str], list[Removal]]:
    kept: list[str] = []
    removed: list[Removal] = []
    title_norm = norm_line(title) if title else None
    for para in paragraphs:
        text = para.strip()
        if not text:
            continue
        if not kept and title_norm and norm_line(text) == title_norm:
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
        n = _words(text)
        if n <= TEASER_MAX_WORDS and _TEASER_RE.search(folded):
            removed.append(Removal("teaser", text))
            continue
        if n <= CTA_MAX_WORDS and _CTA_RE.search(folded):
            removed.append(Removal("call_to_action", text))
            continue
        if n <= CREDIT_MAX_WORDS and (_CREDIT_RE.search(folded) or _EMAIL.search(text)):
            removed.append(Removal("credit", text))
            continue
        kept.append(text)
    return kept, removed


def clean_text(text: str, title: str | None) -> tuple[str, list[Removal]]:
    """Clean newline-separated paragraphs; returns the text and what went."""
    kept, removed = clean_paragraphs(text.split("\n"), title)
    return "\n\n".join(kept), removed


def contains_cta(text: str) -> list[str]:
    """The call-to-action phrases found anywhere in ``text`` (for checks)."""
    return [m.group(0) for m in _CTA_RE.finditer(fold(text))]
