"""Scoring rules for main-content extraction (used by :mod:`pipeline.html.content`).

Pure functions over strings and numbers, no parsing: what counts as boilerplate markup, how much
a block of text looks like article prose, and how class/id names move a container's score.
Every rule here is generic (tag semantics, common naming conventions of page templates, text
statistics); nothing is tied to a particular site.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final


def _names(*groups: str) -> frozenset[str]:
    """A set of names from whitespace-separated strings."""
    return frozenset(name for group in groups for name in group.split())


# Elements never holding article prose; their whole subtree is skipped.
SKIP_TAGS: Final[frozenset[str]] = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "math",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "canvas",
        "video",
        "audio",
        "picture",
        "map",
        "button",
        "select",
        "option",
        "textarea",
        "input",
        "label",
        "menu",
        "dialog",
        "figcaption",
        "head",
        "title",
        "meta",
        "link",
    }
)

# Elements that are page furniture by their tag (like a furniture class/id: dropped unless they
# hold a large share of the page's text, which happens when a template leaves one unclosed).
FURNITURE_TAGS: Final[frozenset[str]] = frozenset({"nav", "aside", "header", "footer", "form"})

# Elements that start a new block (paragraph boundary) when entered and when left.
BLOCK_TAGS: Final[frozenset[str]] = _names(
    "address article aside blockquote body center dd details div dl dt fieldset figure footer",
    "form h1 h2 h3 h4 h5 h6 header hr html li main ol p pre section summary table tbody td",
    "tfoot th thead tr ul caption nav",
)

# Inline formatting that never names page furniture: walked without reading its attributes.
PLAIN_INLINE_TAGS: Final[frozenset[str]] = _names(
    "b i em strong u s sup sub small abbr code mark q cite var kbd font big tt ins del bdi bdo",
    "dfn samp data nobr",
)

# Block owners whose score goes to their parent first (they are the paragraphs themselves).
PARAGRAPH_TAGS: Final[frozenset[str]] = _names(
    "p pre blockquote li dd dt td th h1 h2 h3 h4 h5 h6 address summary caption"
)

HEADING_TAGS: Final[frozenset[str]] = _names("h1 h2 h3 h4 h5 h6")

# Structural elements never removed by the class/id boilerplate rule.
PROTECTED_TAGS: Final[frozenset[str]] = frozenset({"html", "body", "main", "article"})

# Class/id words of page furniture. A class/id string matches when one of these is a whole
# part of it (delimited by its start/end, "-", "_" or whitespace; a trailing plural "s" allowed).
_STRONG_WORDS: Final[tuple[str, ...]] = (
    # boxes that are never part of an article body, whatever their size
    "comment",
    "comments",
    "disqus",
    "share",
    "sharing",
    "social",
    "related",
    "recommend",
    "recommended",
    "newsletter",
    "subscribe",
    "subscription",
    "signup",
    "promo",
    "sponsor",
    "sponsored",
    "advert",
    "advertisement",
    "ad",
    "ads",
    "byline",
    "author",
    "caption",
    "credit",
    "credits",
    "breadcrumb",
    "breadcrumbs",
    "cookie",
    "consent",
    "gdpr",
    "popup",
    "sr-only",
    "visually-hidden",
    "screen-reader-text",
    "skip",
    "pagination",
    "pager",
    "rating",
    "reactions",
    "follow",
    "tooltip",
)
_WEAK_WORDS: Final[tuple[str, ...]] = (
    # layout regions and labels: furniture when small, but templates also use these words on
    # wrappers of the article itself ("meta_field", "page-header-content", "modal-enabled")
    "sidebar",
    "footer",
    "header",
    "masthead",
    "navbar",
    "nav",
    "menu",
    "modal",
    "overlay",
    "toolbar",
    "tags",
    "meta",
    "banner",
    "print",
    "dateline",
    "timestamp",
    "date",
    "published",
    "updated",
)

# A furniture word right after "has-", "with-", "no-", ... is a layout modifier of the element
# ("has-sidebar", "with-comments"), not the name of a furniture box.
_MODIFIERS: Final[str] = "".join(
    f"(?<!{re.escape(m)})" for m in ("has-", "with-", "w-", "no-", "and-", "show-", "hide-")
)


def _word_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))
    return re.compile(
        r"(?:^|[\s_\-])" + _MODIFIERS + r"(?:" + alternatives + r")(?:$|[\s_\-]|s\b)",
        re.IGNORECASE,
    )


# Every "-"-separated part of a furniture word, and its plural: a name with none of these
# parts cannot match (see furniture_level).
_WORD_PARTS: Final[frozenset[str]] = frozenset(
    form
    for word in (*_STRONG_WORDS, *_WEAK_WORDS)
    for part in word.split("-")
    for form in (part, part + "s")
)
# The parts of a name are what white space, "-", "_", ":" and "." separate.
_PART_SEPARATORS: Final[dict[int, int]] = str.maketrans("-_:.", "    ")
STRONG_NEGATIVE_NAME: Final[re.Pattern[str]] = _word_pattern(_STRONG_WORDS)
WEAK_NEGATIVE_NAME: Final[re.Pattern[str]] = _word_pattern(_WEAK_WORDS)
POSITIVE_NAME: Final[re.Pattern[str]] = re.compile(
    r"article|content|entry|post|story|body|text|main|blog|prose|rich|column", re.IGNORECASE
)
NEGATIVE_CONTAINER_NAME: Final[re.Pattern[str]] = re.compile(
    r"comment|sidebar|footer|related|share|social|nav|menu|promo|teaser|card|list|"
    r"sponsor|banner|header|breadcrumb|rail|recirc|more|popular|trending|newsletter",
    re.IGNORECASE,
)

# Blocks shorter than this are labels, never prose.
MIN_BLOCK_LENGTH: Final[int] = 25
JUNK_LINK_WEIGHT: Final[float] = 1.0
JUNK_TEXT_WEIGHT: Final[float] = 0.5

_SENTENCE_PUNCT: Final[re.Pattern[str]] = re.compile(r"[.,;:!?。、，]")


def may_name_furniture(name: str) -> bool:
    """False when no part of the class/id string ``name`` is a part of a furniture word: then
    it names no furniture (the cheap pre-check of :func:`furniture_level`, which most names
    fail). The parts of a name are the parts of its white-space-separated tokens."""
    return not _WORD_PARTS.isdisjoint(name.lower().translate(_PART_SEPARATORS).split())


def furniture_level(name: str) -> int:
    """How surely a class/id string names page furniture: 2 sure, 1 likely, 0 not."""
    if not name:
        return 0
    # Cheap pre-check: most names share no part with any furniture word.
    if not may_name_furniture(name):
        return 0
    if STRONG_NEGATIVE_NAME.search(name):
        return 2
    return 1 if WEAK_NEGATIVE_NAME.search(name) else 0


def is_boilerplate_name(name: str) -> bool:
    """True when a class/id string names page furniture (comments, share bar, byline, ...)."""
    return furniture_level(name) > 0


@lru_cache(maxsize=8192)  # names repeat within a page and across a site's pages
def container_name_weight(name: str) -> float:
    """Multiplier for a candidate container from its class and id (1.0 = neutral)."""
    if not name:
        return 1.0
    weight = 1.0
    if POSITIVE_NAME.search(name):
        weight *= 1.25
    if NEGATIVE_CONTAINER_NAME.search(name):
        weight *= 0.6
    return weight


# The ASCII characters of _SENTENCE_PUNCT (its others are not ASCII).
_ASCII_PUNCT: Final[bytes] = b".,;:!?"


def punctuation_count(text: str) -> int:
    """Number of sentence punctuation marks (a sign of prose rather than labels or menus):
    matches of :data:`_SENTENCE_PUNCT`, one character each. In ASCII text those are its
    characters in :data:`_ASCII_PUNCT`, counted as the bytes ``bytes.translate`` deletes
    (several times cheaper than the regex)."""
    if text.isascii():
        return len(text) - len(text.encode("ascii").translate(None, _ASCII_PUNCT))
    return len(_SENTENCE_PUNCT.findall(text))


def block_score(length: int, link_length: int, punctuation: int, tag: str) -> float:
    """How much one block of text looks like article prose (0 for short or link-made blocks).

    ``length`` is the block's character count (whitespace collapsed), ``link_length`` the part of
    it inside links, ``punctuation`` its count of sentence punctuation, ``tag`` its owner element.
    """
    if length < MIN_BLOCK_LENGTH or tag in HEADING_TAGS:
        return 0.0
    link_density = min(1.0, link_length / length)
    if link_density > 0.6:
        return 0.0
    score = min(length, 600) / 100.0 + 0.5 * min(punctuation, 12)
    if punctuation == 0:
        score *= 0.3
    score *= (1.0 - link_density) ** 2
    if tag in ("li", "td", "th", "dd", "dt"):
        score *= 0.5
    return score


def block_balance(score: float, length: int, link_length: int, tag: str) -> float:
    """A block's contribution to a container's prose-minus-boilerplate balance.

    Prose counts with its score; link lists and short labels count against the container in
    proportion to their length; headings are neutral (articles have them, so do sidebars).
    """
    if score > 0.0:
        return score
    if tag in HEADING_TAGS and link_length <= 0.5 * length:
        return 0.0
    if link_length > 0.5 * length:
        return -JUNK_LINK_WEIGHT * length / 100.0
    return -JUNK_TEXT_WEIGHT * min(length, 200) / 100.0


def looks_like_prose(length: int, link_length: int, punctuation: int) -> bool:
    """A free-standing paragraph of running text (used to admit siblings of the main block)."""
    return length >= 80 and link_length <= 0.25 * length and punctuation >= 2


def is_listing(teasers: int, text_blocks: int, longest_paragraph: int) -> bool:
    """True when the selected region reads like an index page rather than an article.

    ``teasers`` counts the region's units (children of the selected container) holding both a
    link-made block (a linked headline) and a text block, ``text_blocks`` the blocks of running
    text, ``longest_paragraph`` the longest block's unlinked characters. An index (section
    front, tag page, search results) is a run of teasers, each a linked headline with a short
    summary, and has no long paragraph; an article's paragraphs sit side by side.
    """
    if longest_paragraph < 40:
        return True
    return teasers >= 3 and teasers >= 0.5 * text_blocks and longest_paragraph < 400
