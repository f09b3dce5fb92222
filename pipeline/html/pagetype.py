"""What kind of page a page is: an article, or a listing, collection, product, service, forum
or documentation page (the seven types of the WCXB benchmark's labels).

The decision is a small multinomial logistic regression (:data:`MODEL_FILE`, trained by
``benchmarks/page_types.py`` on labelled pages, weights committed) over general signals only,
never site lists:

* what the page declares: ``og:type`` and JSON-LD ``@type`` (articles, products, forum posts,
  FAQ and collection pages...);
* the shape of its address: a date or a long slug in the path, ``/tag/``, ``/category/``,
  ``/search``, ``?page=``, product, forum, help and documentation paths;
* what the text extractor's walk measured (:class:`pipeline.html.content.PageShape`): link
  density of the page and of the main region, teaser blocks, list items, headings, tables,
  code blocks, form controls;
* the main text itself: its length, paragraphs, sentence punctuation, prices, questions,
  code-like lines.

Page text dumps (no markup) get the same decision from their lines alone, with a model of
their own trained on dumps of the same pages.

Everything here is cheap next to the extraction it follows: the page is parsed once, and the
walk's measurements come for free.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from itertools import repeat
from operator import mul
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

from pipeline.html.content import MAX_CHARS, PageShape
from pipeline.html.scoring import _names

PAGE_TYPES: Final[tuple[str, ...]] = (
    "article",
    "listing",
    "collection",
    "product",
    "service",
    "forum",
    "documentation",
)
MODEL_FILE: Final[Path] = Path(__file__).with_name("page_type_model.json")
MIN_LINKS_WITHOUT_TEXT: Final[int] = 3

# Declared types, grouped (lower-case schema.org / OpenGraph names).
_DECLARED_GROUPS: Final[dict[str, frozenset[str]]] = {
    "article": frozenset(
        {
            "og:article",
            "ld:article",
            "ld:newsarticle",
            "ld:blogposting",
            "ld:liveblogposting",
            "ld:reportagenewsarticle",
            "ld:analysisnewsarticle",
            "ld:opinionnewsarticle",
            "ld:reviewnewsarticle",
            "ld:backgroundnewsarticle",
            "ld:scholarlyarticle",
            "ld:report",
        }
    ),
    "tech": frozenset({"ld:techarticle", "ld:apireference", "ld:howto"}),
    "product": frozenset(
        {
            "og:product",
            "og:product.item",
            "og:og:product",
            "ld:product",
            "ld:productgroup",
            "ld:individualproduct",
            "ld:offer",
            "ld:aggregateoffer",
            "ld:softwareapplication",
            "ld:mobileapplication",
            "ld:videogame",
            "ld:book",
            "ld:vehicle",
        }
    ),
    "forum": frozenset(
        {
            "ld:discussionforumposting",
            "ld:qapage",
            "ld:question",
            "ld:answer",
            "ld:socialmediaposting",
            "ld:comment",
        }
    ),
    "collection": frozenset(
        {"ld:collectionpage", "ld:itemlist", "ld:searchresultspage", "ld:blog", "ld:mediagallery"}
    ),
    "service": frozenset(
        {
            "ld:faqpage",
            "ld:contactpage",
            "ld:aboutpage",
            "ld:service",
            "ld:localbusiness",
            "ld:store",
            "ld:event",
            "ld:jobposting",
            "ld:course",
            "ld:recipe",
        }
    ),
    "webpage": frozenset({"ld:webpage", "ld:itempage", "og:website"}),
}
# A type list is short: bounded, so that a list left open does not send every later "@type"
# to the end of the text (100,000 of them in 1.5 MB took 83 s; now linear).
_LD_TYPE: Final[re.Pattern[str]] = re.compile(r'"@type"\s*:\s*(\[[^\]]{0,500}\]|"[^"]*")')
_QUOTED: Final[re.Pattern[str]] = re.compile(r'"([^"]+)"')
_LD_KEY: Final[re.Pattern[str]] = re.compile(r'"([A-Za-z]{3,30})"\s*:')
_WORD_SPLIT: Final[re.Pattern[str]] = re.compile(r"[^a-z]+")
_TEXT_TOKEN_CHARS: Final[int] = 3000  # of a dump's main text, for its words
_TITLE_SEPARATOR: Final[re.Pattern[str]] = re.compile(r"\s+[|–—·:»/-]\s+|\s*\|\s*")
_DUMP_TOKEN_CHARS: Final[int] = 20000  # of a page text dump's lines, for its words
_FEATURE_TEXT_CHARS: Final[int] = 2000  # of the main text, for the pattern counts
_FEATURE_PARAGRAPHS: Final[int] = 30  # ... and the paragraphs checked for code


# Address shapes. Path segments are matched whole, lower-case.
_DATE_PATH: Final[re.Pattern[str]] = re.compile(
    r"/(?:19|20)\d\d[/-](?:0?[1-9]|1[0-2])(?:[/-]|$)|/(?:19|20)\d\d(?:0[1-9]|1[0-2])[0-3]\d"
)
_PATH_WORDS: Final[dict[str, frozenset[str]]] = {
    "listing": _names(
        "tag tags category categories topic topics section sections archive archives author "
        "authors search page latest index list lists browse hub series label labels"
    ),
    "news": _names(
        "news article articles story stories blog blogs post posts opinion column columns "
        "features feature world politics business sport sports analysis press"
    ),
    "product": _names(
        "product products p dp item items shop store buy app apps sku pd gp itm listing"
    ),
    "forum": _names(
        "forum forums thread threads t questions question q discussion discussions community "
        "communities r comments board boards topic viewtopic showthread answers"
    ),
    "docs": _names(
        "docs doc documentation api apis reference manual guide guides wiki library tutorial "
        "tutorials learn sdk developer developers en-us latest stable v1 v2 v3 man"
    ),
    "service": _names(
        "help support contact about about-us faq faqs pricing login signin sign-in register "
        "account terms privacy careers jobs services service legal policies policy "
        "customer-service returns shipping booking"
    ),
}
_LONG_NUMBER: Final[re.Pattern[str]] = re.compile(r"\d{5,}")
# A price: r"[$€£¥₹]\s?\d|\d\s?(?:€|£|USD|EUR|GBP)\b", the same matches (tests/html/
# test_fast_paths.py), spelled to start with a character set (a currency sign or a digit, then
# a look-behind tells which): the regex engine skips to the next one instead of trying both
# alternatives everywhere (56 -> 9 us a page).
_PRICE: Final[re.Pattern[str]] = re.compile(
    r"[$€£¥₹\d](?:(?<=[$€£¥₹])\s?\d|(?<=\d)\s?(?:€|£|USD|EUR|GBP)\b)"
)
_SENTENCE_END: Final[tuple[str, ...]] = (".", "!", "?", '."', ".”", "?”", "!”", ".'", ":")
# A code-like line: ends with ";", "{" or "}" (trailing white space aside), starts with a Python
# keyword, or holds "()". Tested with str methods and an anchored match (see _is_code_line):
# searching one pattern with all three at every position was most of text_features' time.
_CODE_START: Final[re.Pattern[str]] = re.compile(r"\s*(?:def|class|import|return)\b")
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
# A date as pages show it (numeric, with a month's name, "3 hours ago"; any case, whole words):
# the same matches as the plain alternation in tests/html/test_fast_paths.py, spelled to start
# with a character set: the first character of every match (a digit, or the first letter of a month
# in either case, "ſ" being an "s" to re.IGNORECASE) is taken first, and each alternative goes
# on from it (a look-behind tells which it was). The regex engine then skips to the next such
# character instead of trying every word boundary: 2x faster on the lead (55 -> 27 us a page).
_MONTH_REST = (
    r"(?:(?<=j)(?:an|un|ul)|(?<=f)eb|(?<=m)(?:ar|ay)|(?<=a)(?:pr|ug)|(?<=s)(?:ep|ept)"
    r"|(?<=o)ct|(?<=n)ov|(?<=d)ec)[a-z]*\.?"
)
_SHOWN_DATE: Final[re.Pattern[str]] = re.compile(
    r"[\dJFMASONDjfmasondſ](?<!\w.)(?i:(?<=\d)(?:"
    r"\d?[./-]\d{1,2}[./-](?:19|20)\d\d"
    r"|(?:(?<=1)9|(?<=2)0)\d\d[./-]\d{1,2}[./-]\d{1,2}"
    rf"|\d?(?:st|nd|rd|th)?\.?\s+(?:of\s+)?{_MONTH},?\s+(?:19|20)\d\d"
    r"|\d?\s+(?:minutes?|hours?|days?|weeks?)\s+ago)"
    rf"|{_MONTH_REST}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d\d)\b"
)
# A byline's word before a capital: whether r"(?:^|\s)(?:by|von|par|por|di|door)\s+[A-Z]"
# (re.M) finds a match (tests/html/test_fast_paths.py). Each word is spelled to start with its
# first letter, the white space (or start) before it checked by a look-behind, so that the
# regex engine skips ahead to each "b", "v", "p" or "d" (15 -> 4 us a page).
_BY: Final[re.Pattern[str]] = re.compile(
    r"(?:b(?<!\Sb)y|v(?<!\Sv)on|p(?<!\Sp)(?:ar|or)|d(?<!\Sd)(?:i|oor))\s+[A-Z]"
)
# "you", "your", "yours", any case, as whole words. Spelled as character classes (exactly the
# characters re.IGNORECASE lets match each letter, "ſ" for "s" included) and with the leading
# word boundary as a look-behind, so that the pattern starts with a character set: the regex
# engine then skips ahead to each "y" instead of trying every position.
_YOU: Final[re.Pattern[str]] = re.compile(r"[yY](?<!\w[yY])[oO][uU](?:[rR]|[rR][sSſ])?\b")
# Every match of _PRICE holds one of these: a text without any has no price (a cheap test).
_PRICE_MARKS: Final[tuple[str, ...]] = ("$", "€", "£", "¥", "₹", "USD", "EUR", "GBP")


@dataclass(frozen=True)
class PageType:
    """The decision: the type, the model's probability for it, and what decided it
    (``declared``: the page declares that type and the model agrees; ``model``)."""

    page_type: str
    confidence: float
    source: str


@dataclass(frozen=True)
class PageHead:
    """What a page says about itself: declared types (``og:type`` values as "og:article",
    JSON-LD ``@type`` names as "ld:newsarticle"), the keys of its ``<meta>`` tags and of its
    JSON-LD objects, its canonical address and its ``<title>``."""

    declared: frozenset[str] = frozenset()
    meta_keys: frozenset[str] = frozenset()
    ld_keys: frozenset[str] = frozenset()
    canonical: str | None = None
    title: str = ""


def _head_tag_ids() -> tuple[int, int, int]:
    """The tag ids lexbor gives ``<meta>``, ``<link>`` and ``<title>``, read off a parsed
    head: an id is one cheap read, a tag's name a string made anew on every read (read_head
    on the 1k varied pages, index aside: 55 -> 51 ms)."""
    head = LexborHTMLParser("<head><meta><link><title></title></head>").head
    nodes = list(head.iter()) if head is not None else []
    if [node.tag for node in nodes] != ["meta", "link", "title"]:
        raise RuntimeError("selectolax no longer parses a head as expected")
    meta, link, title = (int(node.tag_id) for node in nodes)
    return meta, link, title


_META_ID, _LINK_ID, _TITLE_ID = _head_tag_ids()


_LD_JSON_TYPE: Final[str] = "application/ld+json"
_SCRIPT_END: Final[re.Pattern[str]] = re.compile(r"</script", re.IGNORECASE)
_TAG_REACH: Final[int] = 2000  # how far before the type its start tag may begin


def json_ld_texts(html: str) -> list[str]:
    """The contents of the page's ``<script type="application/ld+json">`` elements, read off
    the markup: wherever the type is written inside a ``<script`` start tag, what follows the
    tag up to the next ``</script``, within the first :data:`MAX_CHARS` characters (what
    :func:`parse_html` parses). A scan of the string (~50-70 us on a 190 KB page of non-Latin
    text), not a query of the parsed tree: lexbor's query visits every node (~110-170 us, most
    of the head's reading when the page's metadata is not wanted). The same texts as the query
    on the pages tested, except that a script the parser keeps as text (in ``<noscript>``, say)
    counts here too."""
    texts: list[str] = []
    size = min(len(html), MAX_CHARS)
    at = html.find(_LD_JSON_TYPE, 0, size)
    while at >= 0:
        # each look-back is bounded, and a look ahead is made only from a script's start tag,
        # and the next search starts past its end: linear in the page, however hostile
        opening = html.rfind("<", max(0, at - _TAG_REACH), at)
        if (
            opening >= 0
            and html[opening + 1 : opening + 7].lower() == "script"
            and html[opening + 7 : opening + 8] in (" ", "\t", "\n", "\r", "\f", "/")
            and html.find(">", opening, at) < 0
        ):
            tag_end = html.find(">", at, size)
            if tag_end < 0:
                break
            end = _SCRIPT_END.search(html, tag_end + 1, size)
            stop = end.start() if end else size
            text = html[tag_end + 1 : stop]
            if "\r" in text:  # as the parser reads line ends
                text = text.replace("\r\n", "\n").replace("\r", "\n")
            texts.append(text)
            at = html.find(_LD_JSON_TYPE, stop, size)
        else:
            at = html.find(_LD_JSON_TYPE, at + 1, size)
    return texts


def read_head(tree: LexborHTMLParser, html: str) -> PageHead:
    """The page's :class:`PageHead`: ``<meta>``, canonical ``<link>`` and ``<title>`` of the
    ``<head>`` of ``tree``, JSON-LD wherever it is in ``html`` (the page ``tree`` was parsed
    from). JSON-LD is scanned, not parsed (it is often broken)."""
    declared: set[str] = set()
    meta_keys: set[str] = set()
    canonical = None
    og_url = None
    title = ""
    head = tree.head
    for node in head.iter() if head is not None else ():
        tag = node.tag_id
        if tag == _META_ID:
            attrs = node.attributes
            key = (
                attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or ""
            ).lower()
            if not key or len(key) > 60:
                continue
            meta_keys.add(key)
            if key == "og:type" and attrs.get("content"):
                declared.add("og:" + (attrs.get("content") or "").strip().lower())
            elif key == "og:url":
                og_url = (attrs.get("content") or "").strip()
        elif tag == _LINK_ID and canonical is None:
            attrs = node.attributes
            if (attrs.get("rel") or "").lower() == "canonical":
                href = (attrs.get("href") or "").strip()
                if href.startswith(("http://", "https://", "/")):
                    canonical = href
        elif tag == _TITLE_ID and not title:
            title = node.text(deep=True)
    if canonical is None and og_url and og_url.startswith(("http://", "https://")):
        canonical = og_url
    ld_keys: set[str] = set()
    for text in json_ld_texts(html):
        for match in _LD_TYPE.finditer(text):
            for name in _QUOTED.findall(match.group(1)):
                declared.add("ld:" + name.rsplit("/", 1)[-1].strip().lower())
        ld_keys.update(map(str.lower, _LD_KEY.findall(text)))
    return PageHead(
        frozenset(declared), frozenset(meta_keys), frozenset(ld_keys), canonical, title[:300]
    )


# The page's words, by kind (see :func:`page_words`): raw distinct words, before the filters
# of :data:`_WORD_RULES`. The model's vocabulary holds filtered words only, so a page's words
# can be matched against it directly (a set intersection, in C).
Words = dict[str, frozenset[str]]
# kind -> (shortest, longest, letters only); kinds not listed are taken whole
_WORD_RULES: Final[dict[str, tuple[int, int, bool]]] = {
    "c": (3, 20, False),
    "u": (3, 20, False),
    "t": (3, 20, False),
    "x": (3, 20, True),
    "w": (2, 15, True),  # dumps only
}


def _split_words(text: str) -> frozenset[str]:
    """Distinct runs of letters a-z (lower-cased text split at everything else)."""
    return frozenset(_WORD_SPLIT.split(text.lower()))


def _path_words(address: str | None) -> frozenset[str]:
    if address:
        with suppress(ValueError):  # an unparsable address has no path words
            return _split_words(urlsplit(address).path)
    return frozenset()


def page_words(head: PageHead, shape: PageShape, address: str | None) -> Words:
    """The page's words for the model's vocabulary: class/id words of its elements ("c"),
    words of its address path ("u"), title ("t"), the start of the page's text, furniture
    included ("x", split at white space), its meta keys ("m"), JSON-LD keys ("l") and declared
    types ("d"). The main text's own words are not among them: they taught the model the topics
    of its training pages (article F1 by domain, mean of 5 splits: 0.895 with them, 0.902
    without)."""
    return {
        "c": _split_words(" ".join(shape.names) + " " + " ".join(shape.dropped_names)),
        "u": _path_words(address),
        "t": _split_words(head.title),
        "x": frozenset(shape.page_text.lower().split()),
        "m": head.meta_keys,
        "l": head.ld_keys,
        "d": head.declared,
    }


# str.translate table: ASCII letters to lower case, every other ASCII character to a space.
_ASCII_LETTERS: Final[dict[int, str]] = {
    i: chr(i).lower() if chr(i).isalpha() else " " for i in range(128)
}


def _letter_runs(text: str) -> list[str]:
    """The words of :func:`_split_words` ("" aside), in a list; for ASCII text, found with
    str.translate and str.split, several times cheaper than the regex split."""
    if text.isascii():
        return text.translate(_ASCII_LETTERS).split()
    return [word for word in _WORD_SPLIT.split(text.lower()) if word]


def _model_words(head: PageHead, shape: PageShape, address: str | None) -> Words:
    """:func:`page_words` cut to the html model's vocabulary: all :func:`probabilities` uses of
    them (the same result), found without building the page's whole word sets."""
    vocabulary = _models()["html"].words
    found: dict[str, Iterable[str]] = {
        # each distinct class/id string once (66 of 222 on average: 57 -> 41 us a page)
        "c": _letter_runs(" ".join(set(shape.names + shape.dropped_names))),
        "u": _path_words(address),
        "t": _split_words(head.title),
        "x": shape.page_text.lower().split(),
        "m": head.meta_keys,
        "l": head.ld_keys,
        "d": head.declared,
    }
    empty: frozenset[str] = frozenset()
    return {kind: vocabulary.get(kind, empty).intersection(w) for kind, w in found.items()}


def tokens_of(words: Words) -> frozenset[str]:
    """Every word that passes its kind's rule, as "<kind>:<word>" (the model's tokens)."""
    tokens: set[str] = set()
    for kind, found in words.items():
        rule = _WORD_RULES.get(kind)
        if rule is None:
            tokens.update(f"{kind}:{w}" for w in found)
            continue
        shortest, longest, letters = rule
        tokens.update(
            f"{kind}:{w}"
            for w in found
            if shortest <= len(w) <= longest and (not letters or w.isalpha())
        )
    return frozenset(tokens)


def _log(x: float) -> float:
    return math.log1p(max(x, 0.0))


def address_features(address: str | None) -> list[float]:
    """Shape of the page's address (all zero when it is unknown)."""
    if not address:
        return [0.0] * 14
    try:
        parts = urlsplit(address)
    except ValueError:
        return [0.0] * 14
    path = parts.path.lower()
    segments = [s for s in path.split("/") if s]
    words = {s.rsplit(".", 1)[0] for s in segments}
    last = segments[-1].rsplit(".", 1)[0] if segments else ""
    query = parts.query.lower()
    return [
        1.0,
        float(not segments),
        float(bool(_DATE_PATH.search(path))),
        _log(last.count("-") + last.count("_")),
        _log(len(segments)),
        float(bool(words & _PATH_WORDS["listing"]) or "page=" in query or "q=" in query),
        float(bool(words & _PATH_WORDS["news"])),
        float(bool(words & _PATH_WORDS["product"])),
        float(bool(words & _PATH_WORDS["forum"])),
        float(bool(words & _PATH_WORDS["docs"]) or parts.netloc.startswith(("docs.", "developer"))),
        float(
            bool(words & _PATH_WORDS["service"]) or parts.netloc.startswith(("help.", "support."))
        ),
        float(bool(_LONG_NUMBER.search(last))),
        float(bool(query)),
        float(path.endswith("/")),
    ]


def declared_features(declared: frozenset[str]) -> list[float]:
    """One indicator per group of declared types, and one for "declares something else"."""
    known = set().union(*_DECLARED_GROUPS.values())
    values = [float(bool(declared & group)) for group in _DECLARED_GROUPS.values()]
    values.append(float(bool(declared - known)))
    return values


def _price_count(text: str) -> int:
    """How many prices (``_PRICE`` matches) ``text`` holds."""
    if not any(mark in text for mark in _PRICE_MARKS):
        return 0
    return len(_PRICE.findall(text))


def _is_code_line(line: str) -> bool:
    r"""Whether ``line`` looks like code: ``[;{}]\s*$|^\s*(?:def|class|import|return)\b|\(\)``
    matches it (``\s`` and ``str.rstrip`` strip the same characters)."""
    return (
        "()" in line
        or line.rstrip().endswith((";", "{", "}"))
        or _CODE_START.match(line) is not None
    )


def _ascii_digits(text: str) -> int:
    """How many of the characters of ``text`` are ASCII digits. Counted in its UTF-8 bytes (the
    bytes of other characters are never ASCII): one deletion instead of ten counts, 14 -> 5 us
    on 5,000 characters."""
    data = text.encode("utf-8", "surrogatepass")
    return len(data) - len(data.translate(None, b"0123456789"))


def text_features(text: str) -> list[float]:
    """The main text: length, paragraphs, sentence punctuation, prices, questions, code (the
    pattern counts over its first :data:`_FEATURE_TEXT_CHARS` characters)."""
    # The per-paragraph tests are mapped str methods and int comparisons, not generator
    # expressions: a Python frame per paragraph made them most of this function's time.
    # (A paragraph is a line with anything but white space, right-stripped.)
    paragraphs = list(filter(None, map(str.rstrip, text.split("\n"))))
    n = len(paragraphs)
    if not n:
        return [0.0] * 11
    chars = len(text)
    lengths = list(map(len, paragraphs))
    head = text[:_FEATURE_TEXT_CHARS]
    words = max(1, head.count(" ") + head.count("\n") + 1)
    first = paragraphs[:_FEATURE_PARAGRAPHS]
    return [
        _log(chars),
        _log(n),
        _log(chars / n),
        sum(map((150).__le__, lengths)) / n,  # length >= 150
        sum(map(str.endswith, paragraphs, repeat(_SENTENCE_END))) / n,
        sum(map(str.endswith, paragraphs, repeat("?"))) / n,
        _log(_price_count(head)),
        _ascii_digits(head) / len(head),
        sum(map(_is_code_line, first)) / len(first),
        len(_YOU.findall(head)) / words * 100,
        sum(map((40).__gt__, lengths)) / n,  # length < 40
    ]


def shape_features(shape: PageShape) -> list[float]:
    """The walk's measurements: link density, teasers, lists, headings, tables, controls."""
    counts = shape.tag_counts
    blocks = max(1, sum(counts.values()))
    body = max(1, shape.body_chars)
    region = max(1, shape.region_chars)
    headings = sum(counts.get(h, 0) for h in ("h2", "h3", "h4", "h5", "h6"))
    return [
        _log(shape.body_chars),
        shape.body_link_chars / body,
        _log(shape.blocks),
        shape.region_chars / body,
        shape.region_link_chars / region,
        _log(shape.teasers),
        _log(shape.text_blocks),
        _log(shape.longest_paragraph),
        float(shape.listing),
        _log(shape.links),
        shape.links / (body / 1000),
        _log(shape.controls),
        _log(shape.media),
        counts.get("li", 0) / blocks,
        counts.get("p", 0) / blocks,
        headings / blocks,
        _log(counts.get("pre", 0)),
        (counts.get("td", 0) + counts.get("th", 0)) / blocks,
        (counts.get("dt", 0) + counts.get("dd", 0)) / blocks,
        _log(counts.get("article", 0)),
        float(counts.get("article", 0) == 1),
        _log(counts.get("blockquote", 0)),
        _log(counts.get("h1", 0)),
        _log(shape.times),
        _log(len(_SHOWN_DATE.findall(shape.lead))),
        float(bool(_BY.search(shape.lead))),
    ]


def title_features(title: str) -> list[float]:
    """A headline reads like a sentence (many words, most in lower case); the title of a
    shop, service or section page is a short name, often with the site's name after a bar."""
    parts = _TITLE_SEPARATOR.split(title.strip())
    first = max(parts, key=len) if parts else ""
    words = first.split()
    lower = sum(w[:1].islower() for w in words)
    return [
        _log(len(words)),
        lower / len(words) if words else 0.0,
        float(len(parts) > 1),
        float(first.rstrip().endswith("?")),
        float(bool(re.search(r"\d", first))),
    ]


def html_features(
    text: str, shape: PageShape, declared: frozenset[str], address: str | None, title: str = ""
) -> list[float]:
    """Every feature of an HTML page, in the model's order."""
    return (
        title_features(title)
        + declared_features(declared)
        + address_features(address)
        + shape_features(shape)
        + text_features(text)
        + [_log(len(text)) - _log(shape.body_chars)]
    )


def dump_features(page: str, text: str, address: str | None) -> list[float]:
    """Every feature of a page text dump (its lines stand in for the markup)."""
    lines = [line.strip() for line in page.split("\n")[1:] if line.strip()]
    n = max(1, len(lines))
    lengths = [len(line) for line in lines]
    total = max(1, sum(lengths))
    return (
        address_features(address)
        + text_features(text)
        + [
            _log(len(lines)),
            _log(total),
            sum(length < 30 for length in lengths) / n,
            sum(length >= 150 for length in lengths) / n,
            len(text) / total,
            _log(_price_count(page)),
            sum(line.endswith(_SENTENCE_END) for line in lines) / n,
        ]
    )


@dataclass(frozen=True)
class _Model:
    classes: tuple[str, ...]
    # one row per class, over the raw features: the training's standardisation is folded in
    # (w / scale, and intercept - sum(w * mean / scale))
    coef: tuple[tuple[float, ...], ...]
    intercept: tuple[float, ...]
    vocabulary: dict[str, dict[str, tuple[float, ...]]]  # kind -> word -> weight per class
    article_threshold: float  # P(article) at or above which the page is an article
    words: dict[str, frozenset[str]]  # kind -> the vocabulary's words (its keys)
    packed: dict[str, dict[str, int]]  # kind -> word -> its weights as one int (_pack_weights)
    unit_bits: int  # a packed weight counts units of 2 ** -unit_bits
    field_bits: int  # ... in fields this wide, the first class in the lowest bits


def _folded(m: dict[str, Any]) -> _Model:
    mean, scale = m["mean"], m["scale"]
    coef = tuple(tuple(w / s for w, s in zip(row, scale, strict=True)) for row in m["coef"])
    intercept = tuple(
        b - sum(w * x for w, x in zip(row, mean, strict=True))
        for row, b in zip(coef, m["intercept"], strict=True)
    )
    vocabulary = _by_kind(m["vocabulary"])
    unit_bits, field_bits = _packing(vocabulary)
    return _Model(
        classes=tuple(m["classes"]),
        coef=coef,
        intercept=intercept,
        vocabulary=vocabulary,
        article_threshold=float(m["article_threshold"]),
        words={kind: frozenset(table) for kind, table in vocabulary.items()},
        packed={
            kind: {w: _pack_weights(ws, unit_bits, field_bits) for w, ws in table.items()}
            for kind, table in vocabulary.items()
        },
        unit_bits=unit_bits,
        field_bits=field_bits,
    )


def _by_kind(vocabulary: dict[str, list[float]]) -> dict[str, dict[str, tuple[float, ...]]]:
    out: dict[str, dict[str, tuple[float, ...]]] = {}
    for token, weights in vocabulary.items():
        kind, word = token.split(":", 1)
        out.setdefault(kind, {})[word] = tuple(weights)
    return out


# The page's words add up their vocabulary weights, class by class. Summed as floats, the
# result would depend on the (set) order of the words; math.fsum is exact but needs the
# weights transposed into one sequence per class (~85 us a page, most of probabilities').
# Instead every weight is an exact integer count of 2 ** -unit_bits (a float is a binary
# fraction), and a word's weights for all classes are packed into one int, a field of
# field_bits bits per class: one sum of ints adds every class at once, exactly, and each
# field, divided by 2 ** unit_bits (int / int is correctly rounded), is what math.fsum of
# that class's weights gives (correctly rounded too) - bit for bit.
def _packing(vocabulary: dict[str, dict[str, tuple[float, ...]]]) -> tuple[int, int]:
    """(unit_bits, field_bits) for the weights of ``vocabulary``: the finest binary fraction
    among them, and room for the sum of all their magnitudes, sign included."""
    rows = [ws for table in vocabulary.values() for ws in table.values()]
    if not rows:
        return 0, 2
    unit_bits = max(w.as_integer_ratio()[1].bit_length() - 1 for ws in rows for w in ws)
    largest = max(
        sum(abs(int(w * 2**unit_bits)) for w in column) for column in zip(*rows, strict=True)
    )
    return unit_bits, largest.bit_length() + 2


def _pack_weights(weights: tuple[float, ...], unit_bits: int, field_bits: int) -> int:
    """``weights`` as one int: class i's weight, in units of 2 ** -unit_bits, times
    2 ** (i * field_bits) (a field may be negative: the sum stays exact)."""
    return sum(int(w * 2**unit_bits) << (i * field_bits) for i, w in enumerate(weights))


def _unpack_sums(total: int, classes: int, unit_bits: int, field_bits: int) -> list[float]:
    """The per-class sums of packed weights whose packed sum is ``total``, as floats."""
    half = 1 << (field_bits - 1)
    mask = (1 << field_bits) - 1
    unit = 1 << unit_bits
    sums: list[float] = []
    for _ in range(classes):
        field = ((total + half) & mask) - half  # the lowest field, as a signed number
        sums.append(field / unit)
        total = (total - field) >> field_bits
    return sums


@cache
def _models() -> dict[str, _Model]:
    raw = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    return {kind: _folded(m) for kind, m in raw["models"].items()}


def probabilities(features: list[float], kind: str, words: Words | None = None) -> dict[str, float]:
    """P(type) for each of the seven types, by the ``kind`` model ("html" or "dump"), from
    the page's features and its :data:`Words`."""
    model = _models()[kind]
    empty: frozenset[str] = frozenset()
    hits = {k: model.words.get(k, empty).intersection(found) for k, found in (words or {}).items()}
    return _probabilities(model, kind, features, hits)


def _probabilities(
    model: _Model, kind: str, features: list[float], hits: Words
) -> dict[str, float]:
    """:func:`probabilities` given the page's words that are in the model's vocabulary
    (``hits``, as :func:`_model_words` finds them: no second intersection)."""
    if len(features) != len(model.coef[0]):
        raise ValueError(f"{kind} page-type model wants {len(model.coef[0])} features")
    logits = [
        b + sum(map(mul, row, features)) for row, b in zip(model.coef, model.intercept, strict=True)
    ]
    total = found = 0
    for word_kind, words_of_kind in hits.items():
        if words_of_kind:
            found += len(words_of_kind)
            total += sum(map(model.packed[word_kind].__getitem__, words_of_kind))
    if found:  # exact sums (see _packing), so the (set) order of the words cannot change a bit
        sums = _unpack_sums(total, len(logits), model.unit_bits, model.field_bits)
        logits = [v + s for v, s in zip(logits, sums, strict=True)]
    top = max(logits)
    exp = [math.exp(v - top) for v in logits]
    total_exp = sum(exp)
    return {c: e / total_exp for c, e in zip(model.classes, exp, strict=True)}


# When P(article) is under the threshold but no other type reaches this either, the model
# cannot tell what the page is, and the page is kept as an article (losing an article costs
# more than keeping a listing). No labelled page falls here out of fold; a short plain page
# with nothing declared and no address can (P 0.17 article, no other type above 0.25).
MIN_OTHER_TYPE_PROBABILITY: Final[float] = 0.3


def chosen_type(probs: dict[str, float], threshold: float) -> str:
    """Article when P(article) reaches ``threshold`` (set for a high article recall), else the
    most probable other type if it reaches :data:`MIN_OTHER_TYPE_PROBABILITY`, else article."""
    if probs["article"] >= threshold:
        return "article"
    other = max((c for c in probs if c != "article"), key=lambda c: (probs[c], c))
    return other if probs[other] >= MIN_OTHER_TYPE_PROBABILITY else "article"


def decide(probs: dict[str, float], kind: str, declared: frozenset[str] = frozenset()) -> PageType:
    """The type (:func:`chosen_type` at the ``kind`` model's threshold), its probability and
    what decided it."""
    chosen = chosen_type(probs, _models()[kind].article_threshold)
    group = _DECLARED_GROUPS.get(chosen, frozenset())
    source = "declared" if declared & group else "model"
    return PageType(chosen, round(probs[chosen], 4), source)


def _read_page(
    html: str, tree: LexborHTMLParser, text: str, shape: PageShape, url: str | None
) -> tuple[PageHead, str | None, list[float]]:
    """(head, address, features) of an HTML page, parsed into ``tree``."""
    head = read_head(tree, html)
    address = url or head.canonical
    return head, address, html_features(text, shape, head.declared, address, head.title)


def html_inputs(
    html: str, tree: LexborHTMLParser, text: str, shape: PageShape, url: str | None = None
) -> tuple[list[float], Words, PageHead]:
    """(features, words, head) of an HTML page, parsed into ``tree``."""
    head, address, features = _read_page(html, tree, text, shape, url)
    return features, page_words(head, shape, address), head


def has_a_type(text: str, shape: PageShape) -> bool:
    """Whether a page shows enough to have a type: a main text, or at least
    :data:`MIN_LINKS_WITHOUT_TEXT` links (an index page). A page with neither (an empty shell,
    stray CSS, a lone cookie banner) is simply without content."""
    return bool(text.strip()) or shape.links >= MIN_LINKS_WITHOUT_TEXT


def html_page_type(
    html: str, tree: LexborHTMLParser, text: str, shape: PageShape, url: str | None = None
) -> PageType:
    """The type of an HTML page, parsed into ``tree``, given its main text and the walk's
    :class:`PageShape`."""
    head, address, features = _read_page(html, tree, text, shape, url)
    hits = _model_words(head, shape, address)
    probs = _probabilities(_models()["html"], "html", features, hits)
    return decide(probs, "html", head.declared)


def dump_words(page: str, text: str, url: str | None) -> Words:
    """Words of a dump's main text ("w"), of all its lines ("x") and of its address path."""
    lines = page.split("\n", 1)  # the first line is the page's CSS
    rest = lines[1][:_DUMP_TOKEN_CHARS] if len(lines) > 1 else ""
    return {
        "w": frozenset(text[:_TEXT_TOKEN_CHARS].lower().split()),
        "x": frozenset(rest.lower().split()),
        "u": _path_words(url),
    }


def dump_page_type(page: str, text: str, url: str | None = None) -> PageType:
    """The type of a page text dump, given the main text its extractor found."""
    probs = probabilities(dump_features(page, text, url), "dump", dump_words(page, text, url))
    return decide(probs, "dump")
