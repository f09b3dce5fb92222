"""Article metadata from HTML: JSON-LD, OpenGraph, ``<meta>``, ``<time>``, visible text, URL.

:func:`extract_html_metadata` returns every field of :data:`pipeline.schema.METADATA_FIELDS` plus a
``<field>_source`` naming where the value came from:

``jsonld``  schema.org JSON-LD (``Article``/``NewsArticle``/``BlogPosting``/..., ``@graph``, lists,
            ``@id`` references), or the same schema.org keys in page data embedded in scripts
``og``      OpenGraph / ``article:*`` properties (and ``twitter:*``)
``meta``    other ``<meta>`` conventions (author, date, Dublin Core, parsely, sailthru, itemprop...)
``time``    ``<time datetime>`` and ``itemprop``/``property="datePublished"`` elements
``html``    ``<title>``, ``<h1>``, ``<html lang>``, ``<link rel=canonical>``, byline elements
``text``    the visible text: the byline and date under the headline, "Published March 5, 2024",
            "Written by Jane Doe"
``url``     the page address (domain, date in the path such as ``/2024/03/05/``)
``input``   the ``url`` argument itself

Conventions:

* ``title`` is the visible headline (``<h1>``) when it shares words with the declared titles
  (JSON-LD headline, og:title, ``<title>``), else the first declared title without its
  " | Site" / " - Site" / "Site: " part.
* ``published``/``modified`` are timezone-aware ``datetime`` objects keeping the page's own UTC
  offset (a value without one is UTC); dates before 1990 or in the future are dropped (see
  :mod:`pipeline.html.dates`). Evidence is taken strongest first: JSON-LD, specific ``<meta>``,
  marked ``<time>`` elements, the URL, the byline under the headline, labelled dates, embedded
  page data, generic ``date`` metas. A machine-readable modification date (``dateModified``,
  ``article:modified_time``) is never used as the publication date. Only when the page declares
  no publication date anywhere and its one date, shown right under (or over) the headline, is
  labelled "Updated ...", is that shown date the publication date: the date the page gives
  itself. Loose evidence is dropped when it contradicts the rest (an unlabelled date equal to
  the update date away from the byline, a month other than the URL's, several different dates
  in a list). Strong evidence that contradicts itself gives no publication date at all: JSON-LD
  and a publication ``<meta>`` naming days more than one apart, a later day shown under the
  headline that is not the update date either, a ``<time>`` showing another day than its
  ``datetime`` value. A site's home page gets no publication date. Relative dates ("2 days ago") are
  never resolved.
* ``language`` is the lower-case primary subtag only ("en" for "en-GB", "en_US", "EN"), so that
  documents group by language whatever the regional variant.
* ``authors`` are person names; an organisation, a team or "Staff" is kept only when no person
  is named anywhere. Job titles, credentials, "By", e-mail addresses and URLs are removed;
  reviewers and photographers are not authors.
* ``domain`` is the lower-case host of ``url`` (or of ``canonical_url`` without ``url``) without
  a leading "www.".

:func:`bench_metadata` adapts the output to ``metadata_bench.py`` (keys ``title``, ``author``,
``publish_date``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import lru_cache
from html import escape as html_escape
from html import unescape as html_unescape
from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from pipeline.html.dates import find_date, looks_like_date, parse_date, read_ambiguous
from pipeline.schema import MAX_TITLE_CHARS, METADATA_FIELDS


# --------------------------------------------------------------------------------------------
# small text helpers
# --------------------------------------------------------------------------------------------
def _clean(s: object) -> str:
    """Whitespace (any Unicode space, no-break space included) collapsed, stripped; "" for a
    non-string."""
    if not isinstance(s, str):
        return ""
    return " ".join(s.split())


@lru_cache(maxsize=8192)  # the same titles and names are compared many times per page
def _key(s: str) -> str:
    """Comparison form of a title or name: NFKC, case-folded, only letters and digits."""
    return _NON_WORD.sub("", unicodedata.normalize("NFKC", s).casefold())


_NON_WORD = re.compile(r"[\W_]+")


def _as_list(v: Any) -> list[Any]:
    if v is None:
        return []
    return list(v) if isinstance(v, list | tuple) else [v]


def empty_metadata() -> dict[str, Any]:
    """Every metadata field and its ``*_source`` set to None (lists empty)."""
    meta: dict[str, Any] = {}
    for field in METADATA_FIELDS:
        meta[field] = [] if field in ("authors", "tags") else None
        meta[f"{field}_source"] = None
    return meta


# --------------------------------------------------------------------------------------------
# <meta> tags
# --------------------------------------------------------------------------------------------
def _collect_meta(tree: LexborHTMLParser) -> dict[str, list[str]]:
    """Lower-case name/property/itemprop/http-equiv -> non-empty contents, in page order."""
    out: dict[str, list[str]] = {}
    for node in tree.css("meta"):
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
# JSON-LD
# --------------------------------------------------------------------------------------------
_ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "blogposting",
    "liveblogposting",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "reviewnewsarticle",
    "backgroundnewsarticle",
    "askpublicnewsarticle",
    "satiricalarticle",
    "scholarlyarticle",
    "techarticle",
    "medicalscholarlyarticle",
    "advertisercontentarticle",
    "socialmediaposting",
    "discussionforumposting",
    "report",
    "posting",
}
_PAGE_TYPES = {"webpage", "itempage", "medicalwebpage", "qapage", "faqpage", "aboutpage"}
_OTHER_CONTENT_TYPES = {
    "recipe",
    "howto",
    "review",
    "creativework",
    "videoobject",
    "podcastepisode",
}
_NO_DATE_PAGE_TYPES = {"collectionpage", "searchresultspage", "profilepage", "contactpage"}
_ORG_TYPES = {
    "organization",
    "newsmediaorganization",
    "corporation",
    "localbusiness",
    "educationalorganization",
    "governmentorganization",
    "ngo",
    "website",
    "brand",
}
_JSON_FIXES = (
    (re.compile(r"^\s*(?:<!--|/\*\s*<!\[CDATA\[\s*\*/|//\s*<!\[CDATA\[)"), ""),
    (re.compile(r"(?:-->|/\*\s*\]\]>\s*\*/|//\s*\]\]>|\]\]>)\s*$"), ""),
    (re.compile(r",\s*([}\]])"), r"\1"),
)
_MAX_JSONLD_CHARS = 500_000


def _loads_lenient(text: str) -> list[Any]:
    """Every JSON value in a script body; tolerates comments wrappers, trailing commas, control
    characters in strings and several concatenated values. Unparseable input gives []."""
    text = text.strip()[:_MAX_JSONLD_CHARS]
    for attempt in range(2):
        decoder = json.JSONDecoder(strict=False)
        values: list[Any] = []
        pos = 0
        try:
            while pos < len(text):
                while pos < len(text) and text[pos] in " \t\r\n;":
                    pos += 1
                if pos >= len(text):
                    break
                value, pos = decoder.raw_decode(text, pos)
                values.append(value)
            return values
        except (ValueError, RecursionError):
            if values:
                return values
            if attempt == 0:
                for pattern, repl in _JSON_FIXES:
                    text = pattern.sub(repl, text).strip()
    return []


def _types(obj: dict[str, Any]) -> set[str]:
    return {str(t).rsplit("/", 1)[-1].lower() for t in _as_list(obj.get("@type")) if t}


def _walk(value: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every dict in a JSON value (depth-first, document order), to a bounded depth."""
    if depth > 12:
        return
    if isinstance(value, dict):
        yield value
        for v in value.values():
            if isinstance(v, dict | list):
                yield from _walk(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v, depth + 1)


class _JsonLd:
    """The schema.org objects of a page, with the main article-like one picked out."""

    def __init__(self, tree: LexborHTMLParser) -> None:
        self.objects: list[dict[str, Any]] = []
        for script in tree.css('script[type="application/ld+json"]'):
            text = script.text(deep=True)
            if not text or not text.strip():
                continue
            for v in _loads_lenient(text):
                self.objects.extend(_walk(v))
        self.by_id: dict[str, dict[str, Any]] = {}
        for obj in self.objects:
            oid = obj.get("@id")
            if isinstance(oid, str) and len(obj) > 1:
                self.by_id.setdefault(oid, obj)
        self.article = self._pick(_ARTICLE_TYPES)
        self.page = self._pick(_PAGE_TYPES)
        self.other = self._pick(_OTHER_CONTENT_TYPES)
        self.index_page = any(_types(o) & _NO_DATE_PAGE_TYPES for o in self.objects)

    def _pick(self, wanted: set[str]) -> dict[str, Any] | None:
        for obj in self.objects:
            if _types(obj) & wanted:
                return obj
        return None

    def resolve(self, v: Any) -> Any:
        if isinstance(v, dict) and set(v) <= {"@id", "@type"} and isinstance(v.get("@id"), str):
            return self.by_id.get(v["@id"], v)
        return v

    def content_objects(self) -> list[dict[str, Any]]:
        """Article, then other content types, then the web page itself."""
        return [o for o in (self.article, self.other, self.page) if o is not None]


# --------------------------------------------------------------------------------------------
# titles
# --------------------------------------------------------------------------------------------
_TITLE_SEPARATORS = re.compile(r"\s+(?:[|\-–—:·•»«/~]|::)\s+")


def _title_parts(title: str) -> list[str]:
    return [p for p in _TITLE_SEPARATORS.split(title) if p.strip()]


def _site_matcher(site_names: list[str]) -> Callable[[str], bool]:
    """A test "does this title part name the site?" (equal to, or inside, a site name)."""
    keys = {k for k in (_key(s) for s in site_names) if k}

    def is_site(part: str) -> bool:
        k = _key(part)
        if not k:
            return True
        for s in keys:
            if k == s or (len(k) >= 4 and k in s):
                return True
            # "Example News" for example.com; a long part merely mentioning the site is kept
            if len(s) >= 4 and s in k and len(k) <= len(s) + 10:
                return True
        return False

    return is_site


def _strip_site(title: str, site_names: list[str]) -> str:
    """``title`` without a leading or trailing " | Site" / " - Site" / "Site: " part.

    A part is removed when it looks like the site name (given, or the domain); when no part
    matches, a short last part after " | " is dropped as well ("Headline | Opinion").
    """
    is_site = _site_matcher(site_names)
    prefix = re.match(r"^([^:]{2,60}):\s+\S", title)
    if prefix is not None and is_site(prefix.group(1)):  # "Site: Headline"
        title = title[prefix.end(1) + 1 :].strip()
    if len(_title_parts(title)) < 2:
        return title
    cleaned = title
    for _ in range(3):
        parts = _title_parts(cleaned)
        if len(parts) < 2:
            break
        if is_site(parts[-1]):
            sep = _last_separator(cleaned)
            cleaned = cleaned[:sep].strip() if sep else cleaned
        elif is_site(parts[0]):
            m = _TITLE_SEPARATORS.search(cleaned)
            cleaned = cleaned[m.end() :].strip() if m else cleaned
        else:
            break
    if cleaned == title and re.search(r"\s\|\s[^|]{1,40}$", title):
        cleaned = title.rsplit(" | ", 1)[0].strip()
    return cleaned or title


def _last_separator(title: str) -> int:
    last = 0
    for m in _TITLE_SEPARATORS.finditer(title):
        last = m.start()
    return last


def _unescaped(s: str) -> str:
    """Text once more HTML-unescaped: pages often escape twice ("&amp;#038;" -> "&")."""
    return _clean(html_unescape(s)) if "&" in s else s


_SENTENCE_END = re.compile(r"[.!?]\s+[A-Z]")


def _visible_headings(tree: LexborHTMLParser) -> list[tuple[int, str]]:
    """(index among the page's <h1>, text) of the first headings with a plausible length."""
    out: list[tuple[int, str]] = []
    for i, node in enumerate(tree.css("h1")[:8]):
        text = _unescaped(_clean(node.text(deep=True, separator=" ")))
        # a headline is one line: not a paragraph of several sentences
        if 2 <= len(text) <= 250 and len(_SENTENCE_END.findall(text)) < 2 and plausible_title(text):
            out.append((i, text))
    return out


_TOKEN = re.compile(r"\w+")


def _tokens(s: str) -> set[str]:
    return set(_TOKEN.findall(unicodedata.normalize("NFKC", s).casefold()))


# Element names a stray tag in a title would carry (as the suites' markup checks list them).
_TAG_NAMES = (
    "a|abbr|article|aside|audio|b|blockquote|body|br|button|canvas|caption|code|div|em|embed|"
    "figcaption|figure|font|footer|form|h[1-6]|head|header|hr|html|i|iframe|img|input|label|li|"
    "link|main|meta|nav|noscript|object|ol|option|p|picture|pre|script|section|select|small|"
    "source|span|strong|style|sub|sup|svg|table|tbody|td|textarea|th|thead|time|tr|u|ul|video"
)
_CODE_OR_MARKUP = re.compile(
    "|".join(
        (
            rf"(?i)</?(?:{_TAG_NAMES})(?:\s[^<>]*)?/?>",  # a tag: <div class="x" >
            r"<!--|-->|<!\[CDATA\[|<\?xml",
            # a CSS rule or at-rule
            r"\{[^{}]*[a-z-]+\s*:\s*[^{};]+;[^{}]*\}|@media\s*\(|[.#][A-Za-z][A-Za-z0-9_-]*\s*\{",
            # JavaScript: function literals, DOM calls, declarations, member assignments
            r"(?:^|[^A-Za-z0-9_])(?:function\s*\([^)]*\)\s*\{"
            r"|(?:document|window)\.[A-Za-z]+\s*\("
            r"|var\s+[A-Za-z0-9_]+\s*=\s*[\[{])",
            r"(?:^|[^A-Za-z0-9_$.])(?:this|window|document)\.[A-Za-z_$][\w$]*\s*=[^=]",
            r"[A-Za-z_$][\w$]*\.[A-Za-z_$][\w$]*\s*=\s*['\"\[{]",
            r"(?:^|[;{}])\s*(?:var|let|const)\s+[A-Za-z_$][\w$]*\s*=",
            r"['\"]\s*;\s*[A-Za-z_$][\w$.]*\s*(?:=|\()",  # 'x'; next.statement = / call(
        )
    )
)


def plausible_title(text: str | None) -> bool:
    """Whether a title candidate can be a headline: not empty, at most ``MAX_TITLE_CHARS``
    characters, and no markup, CSS or script. A ``<title>`` left open, or filled by a
    template, runs into the page's script or holds a literal tag; such a candidate is passed
    over for the next source, so no page's bad markup reaches the corpus as its title."""
    return (
        bool(text) and len(text or "") <= MAX_TITLE_CHARS and not _CODE_OR_MARKUP.search(text or "")
    )


def _title_candidates(
    tree: LexborHTMLParser, meta: dict[str, list[str]], ld: _JsonLd
) -> list[tuple[str, str]]:
    """Declared titles (title, source) in order of trust: JSON-LD, OpenGraph/meta, <title>."""
    candidates: list[tuple[str, str]] = []
    for obj in ld.content_objects():
        for k in ("headline", "name"):
            v = _unescaped(_clean(obj.get(k)))
            if v:
                candidates.append((v, "jsonld"))
                break
    hit = _first(meta, "og:title", "twitter:title", "title", "dc.title", "parsely-title")
    if hit:
        candidates.append((_unescaped(hit[0]), _meta_source(hit[1])))
    node = tree.css_first("title")
    if node is not None:
        v = _unescaped(_clean(node.text(deep=True)))
        if v:
            candidates.append((v, "html"))
    return [(v, src) for v, src in candidates if plausible_title(v)]


def _pick_title(
    tree: LexborHTMLParser,
    meta: dict[str, list[str]],
    ld: _JsonLd,
    site_names: list[str],
) -> tuple[tuple[str, str] | None, int | None]:
    """((title, source), index of the <h1> used or matching it).

    The visible headline (``<h1>``) is preferred: readers and researchers know an article by
    it, while declared titles are often SEO variants. An ``<h1>`` naming the site (a logo) or
    sharing too few words with every declared title (a section name, a tagline) is passed
    over, as are paragraphs set in ``<h1>``.
    """
    candidates = _title_candidates(tree, meta, ld)
    is_site = _site_matcher(site_names)
    stripped = [(_strip_site(c, site_names), src) for c, src in candidates]
    # parts cut from declared titles name the site too ("Headline - Blog Name")
    cut_parts = {
        _key(part)
        for c, _src in candidates
        for part in _title_parts(c)[1:]
        if _key(part) and _key(part) not in _key(_strip_site(c, site_names))
    }
    declared_tokens = [_tokens(c) for c, _src in stripped]

    scored: list[tuple[float, int, str]] = []  # (agreement with declared titles, index, text)
    for index, heading in _visible_headings(tree):
        if " | " in heading:
            heading = _strip_site(heading, site_names)
        hk = _key(heading)
        if not hk or is_site(heading) or hk in cut_parts:
            continue
        if any(
            hk == _key(c) or hk == _key(s)
            for (c, _), (s, _) in zip(candidates, stripped, strict=True)
        ):
            return (heading, "html"), index
        ht = _tokens(heading)
        score = max((_overlap(ht, ct) for ct in declared_tokens), default=1.0)
        scored.append((score, index, heading))
    for score, index, heading in scored:
        if score >= _MIN_HEADING_OVERLAP:
            return (heading, "html"), index
    for title, src in stripped:
        if title and not is_site(title):
            return (title, src), None
    if scored:
        _score, index, heading = max(scored, key=lambda item: item[0])
        return (heading, "html"), index
    return None, None


_MIN_HEADING_OVERLAP = 0.3  # word overlap (F1) of the headline with a declared title


def _overlap(a: set[str], b: set[str]) -> float:
    """Dice/F1 overlap of two word sets (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


# --------------------------------------------------------------------------------------------
# authors
# --------------------------------------------------------------------------------------------
_BY_PREFIX = re.compile(
    r"^\s*(?:(?:written|posted|published|reported|story|words|text|article|compiled|analysis|"
    r"opinion|commentary|column|interview|reporting)\s+)?"
    r"(?:by|from|authors?|author\(s\)|von|par|por|door|di)(?=\W|$)\s*[:\-–—]?\s*",
    re.IGNORECASE,
)
# Credits that are not authorship: reviewers, editors, photographers, illustrators.
_NOT_AUTHOR_CREDIT = re.compile(
    r"^\s*(?:(?:medically|fact|expert|peer)[\s-]*)?(?:reviewed|checked|edited|photos?|"
    r"photography|illustrations?|images?|video|graphics?|design|code|translated)\b",
    re.IGNORECASE,
)
_URLISH = re.compile(r"(?:https?://|www\.)\S*|\S+@\S+\.\S+", re.IGNORECASE)
_JOB_WORDS = re.compile(
    r"\b(?:editor|writer|reporter|correspondent|contributor|contributing|columnist|journalist|"
    r"director|manager|officer|ceo|cto|cfo|coo|founder|co-founder|president|head of|chief|"
    r"senior|lead|analyst|producer|intern|freelance|photographer|specialist|strategist|"
    r"consultant|marketing|expert|professor|student|researcher|scientist|engineer|developer|"
    r"designer|dietitian|nutritionist|physician|doctor|nurse|coach|trainer|owner|partner|"
    r"associate|assistant|coordinator|fellow|member|representative|advisor|adviser|"
    r"reviewed|fact|checked|updated|published|posted|min(?:ute)?s? read|read more|share|follow|"
    r"comments?)\b",
    re.IGNORECASE,
)
# Words of collective or organisation bylines: kept only when no person is named.
_COLLECTIVE = re.compile(
    r"\b(?:team|staff|editors|editorial|desk|newsroom|bureau|contributors|admin|webmaster|"
    r"media|news|press|agency|magazine|newspaper|network|wire|inc|ltd|llc|gmbh|corp|group|"
    r"company|institute|university|foundation|association|society|department|clinic|"
    r"hospital|reuters|afp|bloomberg|associated)\b",
    re.IGNORECASE,
)
_NOT_A_NAME = {
    "by",
    "author",
    "authors",
    "bio",
    "full bio",
    "about",
    "about the author",
    "more",
    "read more",
    "view profile",
    "profile",
    "history",
    "home",
    "contact",
    "menu",
    "share",
    "follow",
    "subscribe",
    "guest",
    "anonymous",
    "unknown",
    "admin",
    "administrator",
    "null",
    "none",
    "n/a",
}
# Where a byline stops: a date ("June 12", "12 Jun", "2025"), a time ("21:47"), a weekday.
_BYLINE_END = re.compile(
    r"(?:\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d"
    r"|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b"
    r"|\b(?:mon|tue|tues|wed|thu|thurs|fri|sat|sun)(?:day|nesday|rsday|urday)?\b,?\s"
    r"|\b\d{1,2}:\d\d|\b(?:19|20)\d\d\b|\bupdated\b|\bpublished\b|\bposted\b|\bon\s+\d)",
    re.IGNORECASE,
)
# "and" in a few languages; the short ones only between words ("Bruce Y. Lee" is one name)
_NAME_SPLIT = re.compile(r"\s*(?:\band\b|&|\+)\s*|\s(?:und|et|y|e|i)\s(?=[A-Z])", re.IGNORECASE)
_CHUNK_SPLIT = re.compile(r"\s*(?:[,;|/•·\n]|\s[-–—]\s)\s*")
_CREDENTIAL = re.compile(r"^(?:[A-Z][A-Za-z]{0,3}\.?){1,4}(?:\s+\d+)?$")
# URLs, e-mail, digits, markup, template placeholders ("page.head.extra.author", "{{author}}")
_NOT_NAME = re.compile(r"https?:|www\.|@|\.com\b|\d|[<>{}=#?!:*$]|[a-z]\.[a-z]{2,}\.[a-z]")


def _split_names(raw: str) -> list[str]:
    """Name-like parts of an author string: "By A, Senior Editor and B" -> ["A", "B"].

    The string is cut where a date or time starts; comma-separated chunks that hold a job title
    ("Senior Editor", "Head of Marketing") are dropped, the rest split on "and"/"&".
    """
    s = _clean(html_unescape(raw) if "&" in raw else raw)
    s = _URLISH.sub(" ", s)
    s = _BY_PREFIX.sub("", s)
    m = _BYLINE_END.search(s)
    if m is not None:
        s = s[: m.start()]
    s = re.sub(r"\s*\([^)]*\)", "", s)  # "(Reuters)", "(she/her)"
    out: list[str] = []
    for chunk in _CHUNK_SPLIT.split(s):
        if _NOT_AUTHOR_CREDIT.match(chunk):
            continue
        chunk = _BY_PREFIX.sub("", chunk).strip(" .:-–—·•")
        # "Jane Doe for The Paper", "Jane Doe of Example Inc"
        cut = re.match(r"^(\S+(?:\s+\S+){1,3}?)\s+(?:for|of|at|from|para|für)\s+[A-Z]", chunk)
        if cut is not None and not _COLLECTIVE.search(chunk):
            chunk = cut.group(1)
        if not chunk or (_JOB_WORDS.search(chunk) and not _COLLECTIVE.search(chunk)):
            continue
        for part in _NAME_SPLIT.split(chunk):
            part = part.strip(" .:-–—·•'\"")
            if part:
                out.append(part)
    return out


def _name_kind(part: str, strict: bool) -> str | None:
    """ "person", "collective" (a team, staff, desk) or None when ``part`` is no author name.

    ``strict`` (visible text) asks for capitalised words; structured fields (JSON-LD, meta) may
    hold user names such as "jdoe".
    """
    if not part or len(part) > 60 or _NOT_NAME.search(part):
        return None
    if part.casefold() in _NOT_A_NAME:
        return None
    words = part.split()
    if not 1 <= len(words) <= 6 or not any(ch.isalpha() for ch in part):
        return None
    if _CREDENTIAL.match(part) and part.upper() == part and len(words) == 1 and len(part) <= 5:
        return None  # "MD", "PhD", "RD"
    if _COLLECTIVE.search(part):
        capitalised = words[0][0].isupper() or words[0].lower() in ("the", "our")
        return "collective" if not strict or capitalised else None
    if _JOB_WORDS.search(part):
        return None
    # visible text: capitalised words, no longer than a name usually is
    if strict and (
        len(words) > 4
        or not words[0][0].isupper()
        or not all(w[0].isupper() for w in words if len(w) > 3)
    ):
        return None
    return "person"


def _clean_authors(raws: list[str], strict: bool = False) -> tuple[list[str], list[str]]:
    """(person names, collective names) found in author strings, deduplicated."""
    seen: set[str] = set()
    persons: list[str] = []
    collectives: list[str] = []
    for raw in raws:
        for part in _split_names(raw):
            kind = _name_kind(part, strict)
            if kind is None:
                continue
            if part.isupper() and len(part) > 4:
                part = part.title()
            k = _key(part)
            if k and k not in seen:
                seen.add(k)
                (persons if kind == "person" else collectives).append(part)
    return persons, collectives


def _jsonld_authors(ld: _JsonLd) -> tuple[list[str], list[str]]:
    """(person names, organisation names) of the main content object's author field."""
    persons: list[str] = []
    orgs: list[str] = []
    for obj in ld.content_objects():
        for a in _as_list(obj.get("author")) + _as_list(obj.get("creator")):
            a = ld.resolve(a)
            if isinstance(a, str):
                persons.append(a)
            elif isinstance(a, dict):
                name = a.get("name")
                if isinstance(name, list):
                    name = name[0] if name else None
                if not isinstance(name, str):
                    given, family = a.get("givenName"), a.get("familyName")
                    if isinstance(given, str) and isinstance(family, str):
                        name = f"{given} {family}"
                if isinstance(name, str):
                    (orgs if _types(a) & _ORG_TYPES else persons).append(name)
        if persons or orgs:
            break
    return persons, orgs


_BYLINE_QUERY = (
    '[rel="author"], [itemprop="author"], [class*="byline"], [class*="Byline"], '
    '[class*="author"], [class*="Author"]'
)
_SPECIFIC_AUTHOR_CLASS = re.compile(r"author[-_]?name|(?:post|article|entry)[-_]author", re.I)
_SKIPPED_TAGS = frozenset(("meta", "link", "script", "style", "img", "body", "html", "svg"))


def _byline_rank(node: LexborNode) -> int:
    """How explicitly an element is marked as the byline: 0 (rel=author) to 4 (any "author")."""
    attrs = node.attributes
    if "author" in (attrs.get("rel") or "").lower().split():
        return 0
    if attrs.get("itemprop") == "author":
        return 1
    cls = attrs.get("class") or ""
    if "byline" in cls.lower():
        return 2
    return 3 if _SPECIFIC_AUTHOR_CLASS.search(cls) else 4


def _byline_elements(tree: LexborHTMLParser) -> tuple[list[str], list[str]]:
    """Names in the most explicitly marked author/byline element (rel, itemprop, class) that
    holds some; inside a container, a link's text (the author page) is tried first."""
    ranked: list[tuple[int, bool, int, LexborNode, LexborNode | None]] = []
    for order, node in enumerate(tree.css(_BYLINE_QUERY)[:60]):
        if node.tag in _SKIPPED_TAGS or "comment" in (node.attributes.get("class") or "").lower():
            continue  # comment authors and comment-form labels are not the byline
        inner = node.css_first('[itemprop="name"]') or node.css_first("a")
        ranked.append((_byline_rank(node), inner is None, order, node, inner))
    ranked.sort(key=lambda item: item[:3])  # explicit marking, then holding a name/link
    tried: dict[int, int] = {}
    for rank, _no_inner, _order, node, inner in ranked:
        if tried.get(rank, 0) >= 5:
            continue
        tried[rank] = tried.get(rank, 0) + 1
        texts: list[str] = []
        if inner is not None:
            texts.append(_clean(inner.text(deep=True, separator=" ")))
        if node.css_first("style, script") is None:
            texts.append(_clean(node.text(deep=True, separator=" ")))
        for text in texts:
            if not text or len(text) > 80:
                continue
            persons, collectives = _clean_authors([text], strict=True)
            if (persons or collectives) and len(persons) <= 4:
                return persons, collectives
    return [], []


_BYLINE_LABEL = re.compile(
    r"^(?:(?:written|posted|published|reported|story|words|article|text)\s+)?"
    r"(?:by|author|authors|von|par|por|door)\s*:?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)


def _text_byline(segments: list[str]) -> tuple[list[str], list[str]]:
    """Names after a "By" / "Written by" / "Author:" label in text segments (next segment too)."""
    for i, seg in enumerate(segments):
        if len(seg) > 120:
            continue
        m = _BYLINE_LABEL.match(seg)
        if m is None:
            continue
        if (
            i > 0
            and seg[:3].lower() == "by" + seg[2:3]
            and _NOT_AUTHOR_CREDIT.search(
                segments[i - 1].split()[-1] if segments[i - 1].split() else ""
            )
        ):
            continue  # "Medically reviewed" + "by X": a reviewer, not the author
        rest = m.group("rest").strip()
        if not rest and i + 1 < len(segments):
            rest = segments[i + 1]
            if i + 2 < len(segments) and segments[i + 2] in (",", "&", "and", "und"):
                rest = " and ".join((rest, segments[i + 3] if i + 3 < len(segments) else ""))
        persons, collectives = _clean_authors([rest], strict=True)
        if persons or collectives:
            return persons, collectives
    return [], []


def _citation_name(value: str) -> str:
    """'Doe, Jane' (the citation_author convention) -> 'Jane Doe'."""
    parts = [p.strip() for p in value.split(",")]
    if len(parts) == 2 and all(parts) and len(parts[0].split()) <= 3:
        return f"{parts[1]} {parts[0]}"
    return value


_AUTHOR_META = (
    "author",
    "article:author",
    "og:article:author",
    "dc.creator",
    "dcterms.creator",
    "parsely-author",
    "sailthru.author",
    "byl",
    "citation_author",
)


def _pick_authors(
    tree: LexborHTMLParser,
    meta: dict[str, list[str]],
    ld: _JsonLd,
    site_names: list[str],
    area: _BylineArea,
    page: _PageText,
) -> tuple[list[str], str] | None:
    """Authors with their source. Persons win; an organisation, a team or the site itself is
    kept only when no person is named anywhere."""
    is_site = _site_matcher(site_names)
    fallback: tuple[list[str], str] | None = None

    def consider(persons: list[str], others: list[str], source: str) -> list[str]:
        nonlocal fallback
        real = [p for p in persons if not is_site(p)]
        rest = others + [p for p in persons if is_site(p)]
        if rest and fallback is None:
            fallback = (rest, source)
        return real

    ld_persons, ld_orgs = _jsonld_authors(ld)
    persons, collectives = _clean_authors(ld_persons)
    org_persons, org_collectives = _clean_authors(ld_orgs)
    names = consider(persons, collectives + org_persons + org_collectives, "jsonld")
    if names:
        return names, "jsonld"
    raws: list[str] = []
    source = "meta"
    for key in _AUTHOR_META:
        values = meta.get(key, [])
        if key == "citation_author":
            values = [_citation_name(v) for v in values]
        if values and not raws:
            source = _meta_source(key)
        raws.extend(values)
    persons, collectives = _clean_authors(raws)
    names = consider(persons, collectives, source)
    if names:
        return names, source
    persons, collectives = _text_byline(area.after + area.before)
    names = consider(persons, collectives, "text")
    if names:
        return names, "text"
    persons, collectives = _labelled_author(page)
    names = consider(persons, collectives, "text")
    if names:
        return names, "text"
    persons, collectives = _byline_elements(tree)
    names = consider(persons, collectives, "html")
    if names:
        return names, "html"
    return fallback


_AUTHOR_LABELS = ("written by", "posted by", "authored by", "article by", "author:", "authors:")
_LABEL_TAIL = re.compile(r"\s*(?:<[^>]*>\s*){0,6}([^<>]{2,80})")


def _labelled_author(page: _PageText) -> tuple[list[str], list[str]]:
    """Names right after "Written by" / "Posted by" / "Author:" anywhere in the page's text,
    when every such label names the same people (archives list several authors)."""
    lower, offset = page.lower_body()
    html = page.html
    found: list[tuple[tuple[str, ...], list[str], list[str]]] = []
    for label in _AUTHOR_LABELS:
        pos = lower.find(label)
        while pos >= 0 and len(found) < 10:
            end = pos + len(label)
            if pos == 0 or not lower[pos - 1].isalnum():
                m = _LABEL_TAIL.match(lower, end)
                if m is not None:
                    start, stop = m.span(1)
                    text = html[offset + start : offset + stop]
                    persons, collectives = _clean_authors([text], strict=True)
                    if persons or collectives:
                        key = tuple(_key(n) for n in persons + collectives)
                        found.append((key, persons, collectives))
            pos = lower.find(label, end)
    if not found or len({key for key, _, _ in found}) > 1:
        return [], []
    return found[0][1], found[0][2]


# --------------------------------------------------------------------------------------------
# dates
# --------------------------------------------------------------------------------------------
_PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "article:published",
    "datepublished",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date.created",
    "dcterms.created",
    "citation_publication_date",
    "citation_date",
    "publish-date",
    "publish_date",
    "publishdate",
    "published-date",
    "published_date",
    "publication_date",
    "publication-date",
    "published",
    "pubdate",
    "original-publish-date",
    "article.published",
    "article_date_original",
    "article:first_published_time",
    "article-published_time",
    "og:publish_date",
    "og:pubdate",
    "og:datepublished",
    "pub_date",
    "published_at",
    "published-time",
    "publisheddate",
    "date-pub",
    "cxenseparse:publishtime",
    "shareaholic:article_published_time",
    "dcsext.articlefirstpublished",
)
# Generic "date" fields: a page's date of some kind (often the last change), weakest evidence.
_GENERIC_DATE_META = ("date", "dc.date", "dcterms.date")
_MODIFIED_META = (
    "article:modified_time",
    "og:updated_time",
    "article:modified",
    "datemodified",
    "dc.date.modified",
    "dcterms.modified",
    "last-modified",
    "lastmod",
    "revised",
    "og:modified_time",
    "og:article:modified_time",
    "article.updated",
    "article_date_updated",
    "updated_time",
    "updated-date",
    "modified-date",
    "modified-time",
    "shareaholic:article_modified_time",
    "updated",
)
_URL_DATE = re.compile(r"/((?:19|20)\d\d)([/\-_]?)(0[1-9]|1[0-2])\2(0[1-9]|[12]\d|3[01])(?!\d)")
_URL_DATE_MONTH_NAME = re.compile(r"/((?:19|20)\d\d)/([a-z]{3,9})/([0-3]?\d)(?:/|$)", re.I)
_UPDATE_WORDS = re.compile(
    r"updat|modif|edited|revised|reviewed|changed|refreshed|aktualisiert|geändert|mis à jour|"
    r"actualiz|bijgewerkt",
    re.IGNORECASE,
)
_PUBLISH_WORDS = re.compile(
    r"publi|posted|released|written|erschienen|veröffentlicht|publié|publicado", re.IGNORECASE
)
# Labels of dates that are not the article's: events, offers, copyright, life dates...
_OTHER_DATE_WORDS = re.compile(
    r"event|deadline|expir|valid|until|through|offer|sale|ends?\b|starts?\b|©|copyright|since|"
    r"founded|established|born|died|date of birth|accessed|retrieved|archived|issue|volume|"
    r"webinar|register|join|when:|date:|closing|opens?\b|due\b",
    re.IGNORECASE,
)
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
_MAX_SEGMENT = 90  # longer segments are running text, whose dates are about other things


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


_DIGIT = re.compile(r"\d")


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


_BYLINE_SEGMENTS = 8  # segments right after the headline that make its byline
_SHOWN_NEAR = 4  # segments from the headline within which a date is the one shown under it
# A news-agency dateline opening the lead paragraph: "RAJSHAHI, Dec 20, 2025 (BSS) - ..."
_DATELINE = re.compile(
    r"^[A-Z][A-Z.'’ \-]{1,30}(?:, [A-Z][A-Za-z.]{1,15})?,\s+(?P<date>[^\-–—:]{6,40}?)"
    r"\s*[\-–—:]\s"
)


class _TextDates(NamedTuple):
    """Dates written around the headline (see :func:`_text_dates`)."""

    published: datetime | None
    labelled: bool  # the published date stands after a "Published"/"Posted" label
    modified: datetime | None
    near: bool  # the published date stands right under (or over) the headline
    shown_update: datetime | None  # an update date shown under the headline, the only day there


def _text_dates(area: _BylineArea, near_before: int = 4, near_after: int = 20) -> _TextDates:
    """Publication and update dates written in the byline area.

    A date in a segment is classed by the label before it ("Published", "Updated", "Event:"...);
    the headline itself is no label. Without a "published" label, the unlabelled date nearest
    the headline (after it on a tie) counts, if it stands within ``near_before`` segments before
    or ``near_after`` after it; an unreadable date there ("03/05/2024") or a list of many dates
    (events, posts) gives None. A "published" label beyond the byline (a book's "Released:")
    gives way to an unlabelled date in it. A dateline opening the lead paragraph counts as an
    unlabelled date. ``shown_update`` is an update date within :data:`_SHOWN_NEAR` segments of
    the headline when no other day is written in the byline.
    """
    segments = area.before + area.after
    n_before = len(area.before)
    published: datetime | None = None
    published_at = (0, 0)
    modified: datetime | None = None
    # ((distance from the headline, 0 after / 1 before), date or None when unreadable)
    unlabelled: list[tuple[tuple[int, int], datetime | None]] = []
    updates_near: list[datetime] = []
    byline_days: set[object] = set()  # days written in the byline (None: an unreadable date)
    dateline_seen = False
    previous = ""
    for i, seg in enumerate(segments):
        distance = (n_before - i, 1) if i < n_before else (i - n_before, 0)
        in_byline = distance[0] <= (near_before if distance[1] else _BYLINE_SEGMENTS)
        if len(seg) > _MAX_SEGMENT:
            previous = ""
            if i > n_before and in_byline and not dateline_seen:  # "RAJSHAHI, Dec 20, 2025 -"
                m = _DATELINE.match(seg)
                found = find_date(m.group("date"), timestamps=False) if m else None
                if found is not None and found[1] == 0:
                    dateline_seen = True
                    unlabelled.append((distance, found[0]))
                    byline_days.add(found[0].date())
            continue
        found = find_date(seg, timestamps=False) if _DIGIT.search(seg) else None
        dt: datetime | None = None
        start = 0
        if found is not None:
            dt, start = found
        elif not _DIGIT.search(seg) or not looks_like_date(seg):
            previous = seg if len(seg) <= 40 and i != n_before else ""
            continue
        # else "03/05/2024": a date stands here, but which one is unknown (dt stays None)
        label = f"{previous} {seg[:start]}"
        previous = ""
        if _UPDATE_WORDS.search(label):
            modified = modified or dt
            if dt is not None and distance[0] <= (near_before if distance[1] else _SHOWN_NEAR):
                updates_near.append(dt)
        elif _OTHER_DATE_WORDS.search(label):
            continue
        elif _PUBLISH_WORDS.search(label):
            if published is None:
                published, published_at = dt, distance
            if dt is None:
                if in_byline:
                    byline_days.add(None)
                break  # the publication date is there but unreadable: no guessing
        elif i < n_before:
            if distance[0] <= near_before:
                unlabelled.append((distance, dt))
        elif distance[0] <= near_after:
            unlabelled.append((distance, dt))
        if in_byline:
            byline_days.add(dt.date() if dt is not None else None)
    shown_update: datetime | None = None
    if updates_near and byline_days == {updates_near[0].date()}:
        shown_update = updates_near[0]
    # the unlabelled date nearest the headline (after it on a tie): the byline's
    nearest = min(unlabelled, key=lambda item: item[0]) if unlabelled else None
    # a list of dated items (events, posts) on the nearest date's side of the headline, or on
    # either side for a date over it, is no byline
    side = [d for at, d in unlabelled if nearest is not None and (nearest[0][1] or not at[1])]
    if len({d.date() for d in side if d is not None}) > 2:
        nearest = None
    if published is not None and not (
        published_at[1] == 0
        and published_at[0] > _BYLINE_SEGMENTS
        and nearest is not None
        and nearest[1] is not None
        and nearest[0][0] <= (near_before if nearest[0][1] else _BYLINE_SEGMENTS)
    ):
        return _TextDates(published, True, modified, _is_near(published_at), shown_update)
    if nearest is None:
        return _TextDates(None, False, modified, False, shown_update)
    return _TextDates(nearest[1], False, modified, _is_near(nearest[0]), shown_update)


def _is_near(distance: tuple[int, int]) -> bool:
    """Whether a (distance, before) position is in the byline right under or over the headline."""
    return distance[0] <= (_SHOWN_NEAR if distance[1] else _BYLINE_SEGMENTS)


def _date_from_jsonld(ld: _JsonLd, key: str) -> datetime | None:
    for obj in ld.content_objects():
        if obj is ld.page and ld.article is not None:
            break
        for v in _as_list(obj.get(key)):
            if isinstance(v, str):
                dt = parse_date(v)
                if dt is not None:
                    return dt
    return None


def _one_day(dates: list[datetime]) -> datetime | None:
    """The first date when all fall on one day; None when empty or when they disagree (a list
    of posts, each with its date, is no evidence for the article's own)."""
    if not dates or len({d.date() for d in dates}) > 1:
        return None
    return dates[0]


def _time_elements(tree: LexborHTMLParser) -> tuple[datetime | None, bool, datetime | None]:
    """(published, whether it was marked as such, modified) from ``itemprop``/``property`` and
    ``<time>`` elements."""
    marked: dict[str, list[datetime]] = {"datePublished": [], "dateModified": []}
    selector = ", ".join(
        f'[{attr}="{prop}"]' for attr in ("itemprop", "property") for prop in marked
    )
    for node in tree.css(selector)[:30]:
        if node.tag == "meta":
            continue
        value = node.attributes.get("datetime") or node.attributes.get("content") or ""
        dt = parse_date(value or node.text(deep=True))
        prop = node.attributes.get("itemprop") or node.attributes.get("property") or ""
        if dt is not None and prop in marked:
            marked[prop].append(dt)
    published = _one_day(marked["datePublished"])
    modified = _one_day(marked["dateModified"])
    if marked["datePublished"]:
        return published, True, modified
    publish_marked: list[datetime] = []
    update_marked: list[datetime] = []
    unmarked: list[datetime] = []
    for node in tree.css("time")[:30]:
        attrs = node.attributes
        dt = parse_date(attrs.get("datetime") or "")
        if dt is None:
            continue
        shown = _clean(node.text(deep=True))
        shown_date = find_date(shown, timestamps=False) if shown else None
        if shown and shown_date is None and _MONTH_YEAR.search(shown):
            continue  # the page shows a month only ("April 2025"): the day is filler
        if shown_date is not None and abs((shown_date[0].date() - dt.date()).days) >= 2:
            continue  # it shows another day than its value says: neither can be trusted
        kind = "publish" if "pubdate" in attrs else _time_kind(node, shown)
        if kind == "update":
            update_marked.append(dt)
        elif kind == "publish":
            publish_marked.append(dt)
        else:
            unmarked.append(dt)
    modified = modified or (update_marked[0] if update_marked else None)
    published = _one_day(publish_marked) if publish_marked else _one_day(unmarked)
    if published is not None and modified is not None and published > modified:
        published = None  # contradicts the page's own update time: something is misread
    return published, bool(publish_marked), modified


_MONTH_YEAR = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+(?:19|20)\d\d\b", re.I
)


def _label_kind(text: str) -> str | None:
    """ "update", "publish" or None for a label ("Updated:", "Published on", "post-date")."""
    if _UPDATE_WORDS.search(text):
        return "update"
    if _PUBLISH_WORDS.search(text):
        return "publish"
    return None


def _time_kind(node: LexborNode, shown: str) -> str | None:
    """Whether a ``<time>`` is marked as an update or a publication time, from the nearest
    marking: the words in the element before its date ("Updated April 10, 2025"), its own
    class/id, then for its parent and grandparent the label written just before it in their
    text, then their class."""
    found = find_date(shown, timestamps=False) if shown else None
    kind = _label_kind(shown[: found[1]] if found is not None else shown[:40])
    if kind is None:
        own = [node.attributes.get("class"), node.attributes.get("id")]
        kind = _label_kind(" ".join(filter(None, own)))
    level: LexborNode | None = node
    for _ in range(2):
        if kind is not None:
            return kind
        level = level.parent if level is not None else None
        if level is None or level.tag in ("body", "html"):
            return None
        text = _clean(level.text(deep=True, separator=" "))[:300]
        at = text.find(shown) if shown else -1
        kind = _label_kind(text[max(0, at - 40) : at] if at >= 0 else text[:80])
        if kind is None:
            kind = _label_kind(level.attributes.get("class") or "")
    return kind


def _url_date(url: str | None) -> datetime | None:
    if not url:
        return None
    path = urlsplit(url).path
    m = _URL_DATE.search(path)
    if m is not None:
        return parse_date(f"{m.group(1)}-{m.group(3)}-{m.group(4)}")
    m = _URL_DATE_MONTH_NAME.search(path)
    if m is not None:  # /2023/october/03/
        return parse_date(f"{m.group(3)} {m.group(2)} {m.group(1)}")
    return None


def _first_meta_date(
    meta: dict[str, list[str]], keys: tuple[str, ...]
) -> tuple[datetime, str] | None:
    for key in keys:
        for value in meta.get(key, []):
            dt = parse_date(value)
            if dt is not None:
                return dt, _meta_source(key)
    return None


def _pick_dates(
    tree: LexborHTMLParser,
    page: _PageText,
    meta: dict[str, list[str]],
    ld: _JsonLd,
    url: str | None,
    area: _BylineArea | None,
) -> tuple[tuple[datetime, str] | None, tuple[datetime, str] | None]:
    """(published, source), (modified, source); strongest evidence first, a modification date
    never standing in for the publication date."""
    published: tuple[datetime, str] | None = None
    modified: tuple[datetime, str] | None = None
    weak = False  # found in a loosely marked place: checked against the other evidence

    dt = _date_from_jsonld(ld, "datePublished")
    if dt is not None:
        published = (dt, "jsonld")
    mdt = _date_from_jsonld(ld, "dateModified")
    if mdt is not None:
        modified = (mdt, "jsonld")
    declared = _first_meta_date(meta, _PUBLISHED_META)
    if published is not None and declared is not None and _days_apart(published, declared) >= 2:
        # the article's JSON-LD and the page's publication <meta> name different days: one of
        # them is a reset or a draft date, and nothing says which; a wrong date is worse than none
        return None, modified or _first_meta_date(meta, _MODIFIED_META)
    published = published or declared
    modified = modified or _first_meta_date(meta, _MODIFIED_META)
    if published is None:
        tp, marked, tm = _time_elements(tree)
        if tp is not None:
            published, weak = (tp, "time"), not marked
        if modified is None and tm is not None:
            modified = (tm, "time")
    if published is None:
        dt = _url_date(url)
        if dt is not None:
            published = (dt, "url")
    texts = _text_dates(area) if area is not None and published is None else None
    near_text = False  # the publication date is the one written right under the headline
    if published is None and texts is not None:
        if texts.published is not None:
            published, weak = (texts.published, "text"), not texts.labelled
            near_text = texts.near
        if modified is None and texts.modified is not None:
            modified = (texts.modified, "text")
    elif area is not None and published is not None:
        # An earlier day in the byline under the headline is the original publication date of a
        # page republished or migrated since: its structured dates were reset.
        tp = _text_dates(area, near_before=0, near_after=_BYLINE_SEGMENTS).published
        if tp is not None and (published[0].date() - tp.date()).days >= 2:
            published = (tp, "text")  # (one day apart is a matter of time zones)
        elif (
            tp is not None
            and (tp.date() - published[0].date()).days >= 2
            and (modified is None or _days_apart(modified, (tp, "text")) >= 2)
        ):
            # a later day shown under the headline that is not the update date either: the page
            # contradicts its declared publication date, and nothing says which is right
            return None, modified
    if published is None:
        dt = _labelled_date(page)
        if dt is not None:
            published = (dt, "text")
    if published is None:
        dt = _embedded_json_date(page.html)
        if dt is not None:
            published = (dt, "jsonld")
    if published is None and not ld.index_page:
        published, weak = _first_meta_date(meta, _GENERIC_DATE_META), True
    shown_update = texts.shown_update if texts is not None else None
    # The page's only date, shown under the headline as "Updated ...", with no publication date
    # declared anywhere: the date the page gives itself, the one readers cite.
    if (
        published is None
        and shown_update is not None
        and not ld.index_page
        and not _declares_published(tree, meta, ld)
    ):
        published, weak = (shown_update, "text"), False
    if published is not None and ld.article is None and _is_site_root(url):
        published = None  # a site's home page is an index, not a publication
    if published is not None and (weak or published[1] in ("time", "text")):
        if not _agrees_with_url(published[0], url):
            published = None
        elif (
            weak
            and modified is not None
            and published[0].date() == modified[0].date()
            and (not near_text or _declares_published(tree, meta, ld))
        ):
            # an unlabelled date equal to the update date is the update date, unless it is the
            # date shown under the headline of a page declaring no publication date
            published = None
    return published, modified


def _days_apart(a: tuple[datetime, str], b: tuple[datetime, str]) -> int:
    """Calendar days between two dated findings, each on its own page-local day."""
    return abs((a[0].date() - b[0].date()).days)


def _declares_published(tree: LexborHTMLParser, meta: dict[str, list[str]], ld: _JsonLd) -> bool:
    """Whether the page declares a publication date in machine-readable form anywhere (JSON-LD
    of any object, a publication-date ``<meta>``, ``itemprop="datePublished"``), readable or not."""
    for obj in ld.objects:
        if any(isinstance(v, str) and v.strip() for v in _as_list(obj.get("datePublished"))):
            return True
    if any(meta.get(key) for key in _PUBLISHED_META):
        return True
    return tree.css_first('[itemprop="datePublished"]') is not None


_DATE_LABELS = (
    "published",
    "posted",
    "released",
    "erschienen",
    "veröffentlicht",
    "publié",
    "publicado",
)
_AFTER_LABEL = re.compile(
    r"(?:\s+(?:on|at|am|le|el|em))?\s*:?\s*(?:</?[a-z][^>]*>\s*){0,4}(?P<date>[^<>]{6,50})",
    re.IGNORECASE,
)


def _labelled_date(page: _PageText) -> datetime | None:
    """A date written right after "Published"/"Posted on" anywhere in the page, when all such
    dates agree (archives and comment lists carry several)."""
    lower, _offset = page.lower_body()
    found: list[datetime] = []
    for label in _DATE_LABELS:
        pos = lower.find(label)
        while pos >= 0 and len(found) < 10:
            end = pos + len(label)
            if pos == 0 or not lower[pos - 1].isalnum():
                m = _AFTER_LABEL.match(lower, end)
                if m is not None:
                    text = m.group("date")
                    hit = find_date(text, timestamps=False)
                    # nothing but blanks and punctuation between the label and the date
                    if hit is not None and not text[: hit[1]].strip(" \t\r\n:-–—|,.&;"):
                        found.append(hit[0])
            pos = lower.find(label, end)
    return _one_day(found)


# Publication-date keys of schema.org and of common site frameworks' page data (JSON in scripts).
_EMBEDDED_DATE_KEYS = (
    "datePublished",
    "publishedDate",
    "publishDate",
    "published_at",
    "publishedAt",
    "first_publication_date",
    "published_on",
    "date_published",
    "publicationDate",
)
_EMBEDDED_VALUE = re.compile(r"""\\?["']?\s*:\s*\\?["'](?P<v>[0-9][0-9T:.+\-Z ]{7,34})\\?["']""")


def _embedded_json_date(html: str) -> datetime | None:
    """A publication date from page data in scripts (``"datePublished":"2024-03-05..."``,
    escaped JSON included), when every such value in the page falls on one day."""
    found: list[datetime] = []
    for key in _EMBEDDED_DATE_KEYS:
        pos = html.find(key)
        while pos >= 0 and len(found) < 20:
            end = pos + len(key)
            if not html[end : end + 1].isalnum():
                m = _EMBEDDED_VALUE.match(html, end)
                if m is not None:
                    dt = parse_date(m.group("v"))
                    if dt is not None:
                        found.append(dt)
            pos = html.find(key, end)
    return _one_day(found)


_URL_MONTH = re.compile(r"/((?:19|20)\d\d)[/\-_](0[1-9]|1[0-2])(?:/|[-_])")


def _is_site_root(url: str | None) -> bool:
    if not url:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return bool(parts.netloc) and parts.path in ("", "/") and not parts.query


def _agrees_with_url(dt: datetime, url: str | None) -> bool:
    """False when the address carries a year and month (/2024/03/) that ``dt`` does not match."""
    if not url:
        return True
    m = _URL_MONTH.search(urlsplit(url).path)
    if m is None:
        return True
    return (dt.year, dt.month) == (int(m.group(1)), int(m.group(2)))


# --------------------------------------------------------------------------------------------
# language, urls, descriptive fields
# --------------------------------------------------------------------------------------------
_LANG = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*\s*$")


def _norm_language(v: object) -> str | None:
    if not isinstance(v, str):
        return None
    m = _LANG.match(v.split(",")[0])
    if m is None:
        return None
    code = m.group(1).lower()
    return None if code in ("und", "mul", "zxx", "xx") else code


def _pick_language(
    tree: LexborHTMLParser, meta: dict[str, list[str]], ld: _JsonLd
) -> tuple[str, str] | None:
    html = tree.css_first("html")
    if html is not None:
        code = _norm_language(html.attributes.get("lang") or html.attributes.get("xml:lang"))
        if code:
            return code, "html"
    for key in ("content-language", "language", "dc.language", "og:locale"):
        for v in meta.get(key, []):
            code = _norm_language(v)
            if code:
                return code, _meta_source(key)
    for obj in ld.content_objects():
        lang = obj.get("inLanguage")
        if isinstance(lang, dict):
            lang = lang.get("alternateName") or lang.get("name")
        code = _norm_language(lang)
        if code:
            return code, "jsonld"
    return None


_HOSTNAME = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")


def domain_of(url: str | None) -> str | None:
    """Host of ``url``, lower case, without "www." (None when there is none)."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.lower().rstrip(".")
    host = host[4:] if host.startswith("www.") else host
    # Relative or mangled URLs yield "hosts" like "my-blog" or "a.com%2fpath": no domain at all.
    return host if _HOSTNAME.fullmatch(host) else None


def _pick_canonical(
    tree: LexborHTMLParser, meta: dict[str, list[str]], ld: _JsonLd, url: str | None
) -> tuple[str, str] | None:
    for node in tree.css("link[rel]"):
        if "canonical" in (node.attributes.get("rel") or "").lower().split():
            href = _clean(node.attributes.get("href"))
            if href:
                try:
                    resolved = urljoin(url, href) if url else href
                except ValueError:  # e.g. an unclosed IPv6 host: "http://[::1"
                    continue
                if resolved.startswith(("http://", "https://")):
                    return resolved, "html"
    hit = _first(meta, "og:url")
    if hit and hit[0].startswith(("http://", "https://")):
        return hit[0], "og"
    for obj in ld.content_objects():
        for key in ("url", "mainEntityOfPage", "@id"):
            value = obj.get(key)
            value = value.get("@id") if isinstance(value, dict) else value
            # An "@id" fragment ("...#article") names the node, not a page.
            if isinstance(value, str) and value.startswith(("http://", "https://")):
                return value.split("#", 1)[0], "jsonld"
    return None


def _site_name(meta: dict[str, list[str]], ld: _JsonLd) -> tuple[str, str] | None:
    hit = _first(meta, "og:site_name", "application-name", "apple-mobile-web-app-title")
    if hit:
        return hit[0], _meta_source(hit[1])
    for obj in ld.content_objects():
        pub = ld.resolve(obj.get("publisher"))
        if isinstance(pub, dict) and isinstance(pub.get("name"), str) and _clean(pub["name"]):
            return _clean(pub["name"]), "jsonld"
    for obj in ld.objects:
        if _types(obj) & {"website"} and _clean(obj.get("name")):
            return _clean(obj.get("name")), "jsonld"
    return None


def _tags(meta: dict[str, list[str]], ld: _JsonLd) -> tuple[list[str], str] | None:
    tags = [t for t in meta.get("article:tag", []) if t]
    if tags:
        return _dedup(tags), "og"
    for obj in ld.content_objects():
        kw = obj.get("keywords")
        items = [x for k in _as_list(kw) if isinstance(k, str) for x in k.split(",")]
        items = [_clean(x) for x in items if _clean(x)]
        if items:
            return _dedup(items), "jsonld"
    for key in ("news_keywords", "keywords", "parsely-tags", "sailthru.tags"):
        for v in meta.get(key, []):
            items = [_clean(x) for x in v.split(",") if _clean(x)]
            if items:
                return _dedup(items), "meta"
    return None


def _dedup(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for it in items:
        k = it.casefold()
        if k not in seen and len(it) <= 100:
            seen.add(k)
            out.append(it)
    return out[:50]


def _section(meta: dict[str, list[str]], ld: _JsonLd) -> tuple[str, str] | None:
    hit = _first(meta, "article:section")
    if hit:
        return hit[0], "og"
    for obj in ld.content_objects():
        for v in _as_list(obj.get("articleSection")):
            if isinstance(v, str) and _clean(v):
                return _clean(v), "jsonld"
    hit = _first(meta, "parsely-section", "sailthru.section", "section")
    if hit:
        return hit[0], "meta"
    return None


def _description(meta: dict[str, list[str]], ld: _JsonLd) -> tuple[str, str] | None:
    hit = _first(meta, "og:description", "description", "twitter:description", "dc.description")
    if hit:
        return hit[0], _meta_source(hit[1])
    for obj in ld.content_objects():
        v = _clean(obj.get("description"))
        if v:
            return v, "jsonld"
    return None


# --------------------------------------------------------------------------------------------
# public entry points
# --------------------------------------------------------------------------------------------
# Free-text fields, HTML-unescaped once more: pages often escape twice ("&amp;amp;").
_TEXT_FIELDS = ("title", "description", "site_name", "section")


def extract_html_metadata(
    html: str, url: str | None = None, tree: LexborHTMLParser | None = None
) -> dict[str, Any]:
    """Metadata of the page: keys are METADATA_FIELDS plus ``<field>_source`` for each.

    ``published``/``modified`` are timezone-aware ``datetime`` objects (or None). ``tree`` is
    ``html`` already parsed (shared with the text extractor; it is only read).
    """
    meta = empty_metadata()

    def put(field: str, found: tuple[Any, str] | None) -> None:
        if found is None or found[0] in (None, "", []):
            return
        value = found[0]
        if isinstance(value, str) and field in _TEXT_FIELDS:
            value = _unescaped(value)
        elif isinstance(value, list):
            value = [_unescaped(v) for v in value]
        meta[field], meta[f"{field}_source"] = value, found[1]

    url = _clean(url) or None
    if url:
        put("url", (url, "input"))
    if tree is None:
        tree = LexborHTMLParser(html or "")
    tags = _collect_meta(tree)
    ld = _JsonLd(tree)

    put("canonical_url", _pick_canonical(tree, tags, ld, url))
    if not url and meta["canonical_url"]:
        put("url", (meta["canonical_url"], meta["canonical_url_source"]))
    if url:
        put("domain", (domain_of(url), "url"))
    elif meta["canonical_url"]:  # its source: where the canonical address was found
        put("domain", (domain_of(meta["canonical_url"]), meta["canonical_url_source"]))
    put("site_name", _site_name(tags, ld))
    site_names = [s for s in (meta["site_name"], meta["domain"]) if s]
    if meta["domain"]:
        site_names.append(meta["domain"].rsplit(".", 1)[0])

    title, heading_index = _pick_title(tree, tags, ld, site_names)
    put("title", title)
    anchor = _headline_position(html, heading_index, meta["title"])
    area = _BylineArea(html, anchor)
    if anchor is None:  # for bylines, the first <h1> will do
        area = _BylineArea(html, _headline_position(html, 0, None))
    page = _PageText(html)
    put("authors", _pick_authors(tree, tags, ld, site_names, area, page))
    published, modified = _pick_dates(tree, page, tags, ld, url, area if anchor else None)
    put("published", published)
    put("modified", modified)
    put("description", _description(tags, ld))
    put("section", _section(tags, ld))
    put("tags", _tags(tags, ld))
    put("language", _pick_language(tree, tags, ld))
    return meta


def bench_metadata(html: str, url: str | None = None) -> dict[str, Any]:
    """Adapter for ``metadata_bench.py``: the pipeline's own
    :func:`pipeline.extract.extract_metadata` with its keys renamed: ``title``, ``author``
    (list) and ``publish_date`` (ISO string in the page's own offset, so its day is the day
    the page shows)."""
    from pipeline.extract import extract_metadata  # imported here: extract imports this module

    meta = extract_metadata(html, url)
    published = meta.get("published")
    return {
        "title": meta.get("title"),
        "author": meta.get("authors") or None,
        "publish_date": published.isoformat() if isinstance(published, datetime) else None,
    }
