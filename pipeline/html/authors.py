"""The page's authors: :func:`_pick_authors` reads JSON-LD, author ``<meta>`` tags, the byline
under the headline, "Written by" labels and byline elements, strongest first.

Invariants: authors are person names; an organisation, a team or "Staff" (or the site itself)
is kept only when no person is named anywhere. Job titles, credentials, "By", e-mail addresses
and URLs are removed; reviewers and photographers are not authors; names are deduplicated by
their comparison form, in the order found.

Names starting with "_" are internal to :mod:`pipeline.html`.
"""

from __future__ import annotations

import re
from html import unescape as html_unescape
from typing import Final

from selectolax.lexbor import LexborHTMLParser, LexborNode

from pipeline.html.jsonld import _ORG_TYPES, _JsonLd, _types
from pipeline.html.page import (
    _as_list,
    _BylineArea,
    _clean,
    _find_each_by_stem,
    _key,
    _meta_source,
    _PageText,
)
from pipeline.html.title import _site_matcher

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


# Of an author string, what is read for names. The longest seen on 1,650 benchmark pages is 128
# characters; a longer one is page text caught as a byline, and _URLISH's e-mail pattern
# backtracks over a long run without spaces (a 78 KB string took 8.6 s, found by make fuzz).
MAX_AUTHOR_STRING_CHARS: Final[int] = 1000


def _split_names(raw: str) -> list[str]:
    """Name-like parts of an author string: "By A, Senior Editor and B" -> ["A", "B"].

    The string (its first :data:`MAX_AUTHOR_STRING_CHARS` characters) is cut where a date or
    time starts; comma-separated chunks that hold a job title ("Senior Editor", "Head of
    Marketing") are dropped, the rest split on "and"/"&".
    """
    raw = raw[:MAX_AUTHOR_STRING_CHARS]
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
# The labels found with one search for "author", and those with one for " by" (see
# _find_each_by_stem): two scans of the page instead of six.
_AUTHOR_STEM_LABELS = ("authored by", "author:", "authors:")
_BY_STEM_LABELS = ("written by", "posted by", "article by")
_LABEL_TAIL = re.compile(r"\s*(?:<[^>]*>\s*){0,6}([^<>]{2,80})")


def _labelled_author(page: _PageText) -> tuple[list[str], list[str]]:
    """Names right after "Written by" / "Posted by" / "Author:" anywhere in the page's text,
    when every such label names the same people (archives list several authors)."""
    lower, offset = page.lower_body()
    html = page.html
    found: list[tuple[tuple[str, ...], list[str], list[str]]] = []
    by_stem = _find_each_by_stem(lower, "author", _AUTHOR_STEM_LABELS)
    by_stem.update(_find_each_by_stem(lower, " by", _BY_STEM_LABELS))
    for label in _AUTHOR_LABELS:
        if len(found) >= 10:
            break
        for pos in by_stem[label]:
            if len(found) >= 10:
                break
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
    if not found or len({key for key, _, _ in found}) > 1:
        return [], []
    return found[0][1], found[0][2]
