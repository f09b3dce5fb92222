"""The page model shared by the metadata pickers: text helpers, the ``<meta>`` tags, the raw page
text and the text segments around the headline.

Invariants:

* everything here only reads the page: the parsed tree, the ``<meta>`` map and the HTML string
  are never changed, so every picker sees the same page;
* :func:`_clean` is total (any value; "" for a non-string) and collapses whitespace;
  :func:`_key` is the comparison form of titles and names (NFKC, case-folded, letters and
  digits only);
* :class:`_PageText` lower-cases ASCII letters only, so every character stays at its offset in
  the page;
* :class:`_BylineArea` looks at a bounded window of HTML around the headline (scripts, styles
  and comments removed); a ``<time>`` whose shown date contradicts its ``datetime`` value is
  made unreadable there, never guessed.

Names starting with "_" are internal to :mod:`pipeline.html`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from html import escape as html_escape
from html import unescape as html_unescape
from typing import Any, Final

from selectolax.lexbor import LexborHTMLParser, LexborNode

from pipeline.html.dates import find_date, parse_date, read_ambiguous


# --------------------------------------------------------------------------------------------
# small text helpers
# --------------------------------------------------------------------------------------------
def collapsed(text: str) -> str:
    """``" ".join(text.split())``: white space runs made one space, the ends stripped. Text
    that is printable (``str.isprintable``: no white space but the ASCII space, see
    tests/html/test_fast_paths.py), does not start or end with a space and has no two in a
    row is returned as it is, without splitting it into words and joining them again."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


def _clean(s: object) -> str:
    """Whitespace (any Unicode space, no-break space included) collapsed, stripped; "" for a
    non-string."""
    if not isinstance(s, str):
        return ""
    return collapsed(s)


@lru_cache(maxsize=8192)  # the same titles and names are compared many times per page
def _key(s: str) -> str:
    """Comparison form of a title or name: NFKC, case-folded, only letters and digits."""
    return _NON_WORD.sub("", unicodedata.normalize("NFKC", s).casefold())


_NON_WORD = re.compile(r"[\W_]+")


def _as_list(v: Any) -> list[Any]:
    if v is None:
        return []
    return list(v) if isinstance(v, list | tuple) else [v]


def _unescaped(s: str) -> str:
    """Text once more HTML-unescaped: pages often escape twice ("&amp;#038;" -> "&")."""
    return _clean(html_unescape(s)) if "&" in s else s


# --------------------------------------------------------------------------------------------
# elements several readers look for, found in one query
# --------------------------------------------------------------------------------------------
# tag -> the query for it. Every query is a pass over the whole tree, and the page type and the
# metadata pickers ask for each of these, so they are found in one pass (a selector list). A
# selector list yields each node once per selector it matches, in document order; these match
# disjoint tags, so the result split by tag is each selector's own result.
_INDEXED: Final[dict[str, str]] = {
    "meta": "meta",
    "link": "link[rel]",
    "script": 'script[type="application/ld+json"]',
    "time": "time",
    "h1": "h1",
}
_INDEX_QUERY: Final[str] = ", ".join(_INDEXED.values())
# The elements of the last tree asked about (its pickers ask one after another).
_last_index: tuple[LexborHTMLParser, dict[str, list[LexborNode]]] | None = None


def _index(tree: LexborHTMLParser) -> dict[str, list[LexborNode]]:
    by_tag: dict[str, list[LexborNode]] = {tag: [] for tag in _INDEXED}
    for node in tree.css(_INDEX_QUERY):
        found = by_tag.get(node.tag or "")
        if found is None:  # not expected: then one query per selector, as they read
            return {tag: tree.css(query) for tag, query in _INDEXED.items()}
        found.append(node)
    return by_tag


def _elements(tree: LexborHTMLParser, tag: str) -> list[LexborNode]:
    """``tree.css(_INDEXED[tag])``: the ``<meta>``, ``<link rel>``, JSON-LD ``<script>``,
    ``<time>`` or ``<h1>`` elements of the page, in document order (do not change the list)."""
    global _last_index
    last = _last_index
    if last is None or last[0] is not tree:
        last = (tree, _index(tree))
        _last_index = last
    return last[1][tag]


# --------------------------------------------------------------------------------------------
# <meta> tags
# --------------------------------------------------------------------------------------------
def _collect_meta(tree: LexborHTMLParser) -> dict[str, list[str]]:
    """Lower-case name/property/itemprop/http-equiv -> non-empty contents, in page order."""
    out: dict[str, list[str]] = {}
    for node in _elements(tree, "meta"):
        attrs = node.attributes
        content = _clean(attrs.get("content") or attrs.get("value") or "")
        if not content:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = attrs.get(attr)
            if key:
                for k in key.lower().split():
                    out.setdefault(k.strip(), []).append(content)
    return out


def _first(meta: dict[str, list[str]], *keys: str) -> tuple[str, str] | None:
    """(value, key) of the first key present."""
    for k in keys:
        values = meta.get(k)
        if values:
            return values[0], k
    return None


def _meta_source(key: str) -> str:
    return "og" if key.startswith(("og:", "article:", "twitter:")) else "meta"


# --------------------------------------------------------------------------------------------
# the page's text: segments around the headline, the lower-cased body
# --------------------------------------------------------------------------------------------
_H1_TAG = re.compile(r"<h1[\s>]", re.IGNORECASE)
_SCRIPT_STYLE = re.compile(
    r"<(script|style|noscript|svg|template)\b[^>]*>.*?</\1\s*>|<!--.*?-->",
    re.IGNORECASE | re.DOTALL,
)
_TAG = re.compile(r"<[^>]*>")
_TEXT_WINDOW_BEFORE = 4_000  # characters of HTML before the headline
_TEXT_WINDOW_AFTER = 8_000  # and after it
_SEGMENTS_BEFORE = 12  # text segments (between tags) looked at before the headline
_SEGMENTS_AFTER = 30  # and after it


# A <time> element with a machine-readable value and a short shown text.
_TIME_TAG = re.compile(
    r"(<time\b[^>]*?\bdatetime\s*=\s*[\"']([^\"'<>]{8,40})[\"'][^>]*>)([^<]{6,60})(</time)",
    re.IGNORECASE,
)


# Written in place of a shown date that its own ``datetime`` value contradicts: still a date to
# the byline rules (so nothing else nearby is taken for it), but one nobody can read.
_CONTRADICTED_DATE = "00/00/2000"


def _read_time_tag(m: re.Match[str]) -> str:
    """The ``<time>`` tag with an ambiguous shown date ("03/01/2017") rewritten in ISO form when
    its ``datetime`` value settles which reading the page means; a shown date on another day
    than the ``datetime`` value (more than a time zone apart) made unreadable; else unchanged."""
    hint = parse_date(m.group(2))
    if hint is None:
        return m.group(0)
    shown_date = find_date(m.group(3), timestamps=False)
    if shown_date is not None:
        if abs((shown_date[0].date() - hint.date()).days) < 2:
            return m.group(0)
        return f"{m.group(1)}{_CONTRADICTED_DATE}{m.group(4)}"
    read = read_ambiguous(m.group(3), hint)
    if read is None:
        return m.group(0)
    dt, start, end = read
    shown = m.group(3)
    return f"{m.group(1)}{shown[:start]}{dt.date().isoformat()}{shown[end:]}{m.group(4)}"


def _segments(fragment: str) -> list[str]:
    fragment = _SCRIPT_STYLE.sub(" ", fragment)
    if "<time" in fragment or "<TIME" in fragment:
        fragment = _TIME_TAG.sub(_read_time_tag, fragment)
    out: list[str] = []
    for piece in _TAG.split(fragment):
        if piece.isspace() or not piece:
            continue
        text = _clean(html_unescape(piece)) if "&" in piece else _clean(piece)
        if text:
            out.append(text)
    return out


class _BylineArea:
    """Short text segments around the page's headline, where bylines and dates are written.

    The HTML right before and after the headline (at offset ``pos``) is cut at tags into text
    segments (scripts, styles and comments removed); ``before`` keeps the last ones before it,
    ``after`` the first ones from it on. Without a headline both are empty.
    """

    def __init__(self, html: str, pos: int | None) -> None:
        self.before: list[str] = []
        self.after: list[str] = []
        if pos is None:
            return
        start = max(0, pos - _TEXT_WINDOW_BEFORE)
        fragment = html[start:pos]
        if start > 0:  # the window may begin inside a tag: start after the first ">"
            fragment = fragment[fragment.find(">") + 1 :]
        self.before = _segments(fragment)[-_SEGMENTS_BEFORE:]
        self.after = _segments(html[pos : pos + _TEXT_WINDOW_AFTER])[:_SEGMENTS_AFTER]


_BODY_TAG = re.compile(r"<body[\s>]", re.IGNORECASE)


class _PageText:
    """The raw page and, computed once on demand, its lower-cased body (2 MB at most) for the
    label searches ("Published", "Written by")."""

    def __init__(self, html: str) -> None:
        self.html = html
        self._lower: tuple[str, int] | None = None

    def lower_body(self) -> tuple[str, int]:
        """(text from ``<body>`` on with its ASCII letters lower-cased, its offset in ``html``).

        Only ASCII letters: every character stays at its offset (``str.lower`` turns "İ" into
        two characters, shifting everything after it), and it is about 4x faster than
        ``str.lower`` on pages with any non-ASCII character. Labels are matched lower-case, so a
        label written in capitals with non-ASCII letters ("VERÖFFENTLICHT") is not found."""
        if self._lower is None:
            body = _BODY_TAG.search(self.html, 0, _MAX_SCAN)
            offset = body.start() if body is not None else 0
            text = self.html[offset:_MAX_SCAN]
            if text.isascii():
                lowered = text.lower()
            else:  # bytes.lower() changes only ASCII letters; UTF-8 keeps the rest intact
                raw = text.encode("utf-8", "surrogatepass")
                lowered = raw.lower().decode("utf-8", "surrogatepass")
            self._lower = (lowered, offset)
        return self._lower


def _find_each(text: str, label: str) -> Iterator[int]:
    """Offsets of ``label`` in ``text``, each search starting where the last match ended."""
    pos = text.find(label)
    while pos >= 0:
        yield pos
        pos = text.find(label, pos + len(label))


def _find_each_by_stem(text: str, stem: str, labels: tuple[str, ...]) -> dict[str, list[int]]:
    """``list(_find_each(text, label))`` for each of ``labels`` (which all hold ``stem``), from
    one scan of ``text`` for ``stem`` instead of one per label: every match of a label is a
    match of the stem at the label's offset of it, and of those each label takes the first at
    or after the end of its last match (exactly what :func:`_find_each` finds)."""
    found: dict[str, list[int]] = {label: [] for label in labels}
    offsets = [(label, label.index(stem)) for label in labels]
    end = dict.fromkeys(labels, 0)
    pos = text.find(stem)
    while pos >= 0:
        for label, offset in offsets:
            start = pos - offset
            if start >= end[label] and text.startswith(label, start):
                found[label].append(start)
                end[label] = start + len(label)
        pos = text.find(stem, pos + 1)
    return found


_MAX_SCAN = 2_000_000  # characters of a page searched for labels ("Published", "Written by")


def _headline_position(html: str, heading_index: int | None, title: str | None) -> int | None:
    """Offset in ``html`` of the headline: the ``heading_index``-th ``<h1>``, else the first
    element of the body whose text starts with the title."""
    if heading_index is not None:
        for i, m in enumerate(_H1_TAG.finditer(html, 0, 3_000_000)):
            if i == heading_index:
                return m.start()
        return None
    if not title or len(title) < 8:
        return None
    body = _BODY_TAG.search(html, 0, 3_000_000)
    start = body.end() if body is not None else 0
    for variant in dict.fromkeys((title, html_escape(title, quote=False))):
        pos = html.find(">" + variant, start, 3_000_000)
        if pos < 0:
            pos = html.find("> " + variant, start, 3_000_000)
        if pos >= 0:
            tag_start = html.rfind("<", start, pos)
            return tag_start if tag_start >= 0 else pos
    return None
