"""Article metadata from HTML: JSON-LD, OpenGraph, ``<meta>``, ``<time>``, visible text, URL.

:func:`extract_html_metadata` returns every field of :data:`pipeline.schema.METADATA_FIELDS` plus a
``<field>_source`` naming where the value came from:

``jsonld``  schema.org JSON-LD (``Article``/``NewsArticle``/``BlogPosting``/..., ``@graph``, lists)
``og``      OpenGraph / ``article:*`` properties (and ``twitter:*``)
``meta``    other ``<meta>`` conventions (author, date, Dublin Core, parsely, sailthru, itemprop...)
``time``    a ``<time datetime>`` element marked as the publication time
``html``    ``<title>``, ``<h1>``, ``<html lang>``, ``<link rel=canonical>``, byline elements
``text``    a byline date written in the visible text ("Published March 5, 2024")
``url``     the page address (domain, date in the path such as ``/2024/03/05/``)
``input``   the ``url`` argument itself

Conventions:

* ``published``/``modified`` are timezone-aware ``datetime`` objects keeping the page's own UTC
  offset (a value without one is UTC); dates before 1990 or in the future are dropped, and a
  modification date is never used as the publication date (see :mod:`pipeline.dates`).
* ``language`` is the lower-case primary subtag only ("en" for "en-GB", "en_US", "EN"), so that
  documents group by language whatever the regional variant.
* ``authors`` are person names; an organisation (publisher, "Staff") is kept only when no person
  is named. Job titles, "By", e-mail addresses and URLs are removed.
* ``domain`` is the lower-case host of ``url`` (or of ``canonical_url`` without ``url``) without
  a leading "www.".
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from pipeline.dates import parse_date
from pipeline.schema import METADATA_FIELDS

# --------------------------------------------------------------------------------------------
# small text helpers
# --------------------------------------------------------------------------------------------
_WS = re.compile(r"\s+")


def _clean(s: object) -> str:
    """Whitespace collapsed, stripped; "" for a non-string."""
    if not isinstance(s, str):
        return ""
    return _WS.sub(" ", s.replace("\u00a0", " ")).strip()


def _key(s: str) -> str:
    """Comparison form of a title or name: NFKC, case-folded, only letters and digits."""
    s = unicodedata.normalize("NFKC", s).casefold()
    return "".join(ch for ch in s if ch.isalnum())


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
        self.raw: list[str] = []
        for script in tree.css('script[type="application/ld+json"]'):
            text = script.text(deep=True)
            if not text or not text.strip():
                continue
            values = _loads_lenient(text)
            if not values:
                self.raw.append(text)
            for v in values:
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


def _strip_site(title: str, site_names: list[str]) -> str:
    """``title`` without a leading or trailing " | Site" / " - Site" part.

    A part is removed when it looks like the site name (given, or the domain); when the title has
    several parts and none matches, a short last part after " | " is dropped as well.
    """
    parts = _title_parts(title)
    if len(parts) < 2:
        return title
    keys = {k for k in (_key(s) for s in site_names) if k}

    def is_site(part: str) -> bool:
        k = _key(part)
        if not k:
            return True
        return any(k == s or (len(k) >= 4 and (k in s or s in k)) for s in keys)

    cleaned = title
    for _ in range(2):
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


def _visible_headings(tree: LexborHTMLParser) -> list[str]:
    out: list[str] = []
    for node in tree.css("h1")[:6]:
        text = _clean(node.text(deep=True, separator=" "))
        if 2 <= len(text) <= 300:
            out.append(text)
    return out


def _pick_title(
    tree: LexborHTMLParser,
    meta: dict[str, list[str]],
    ld: _JsonLd,
    site_names: list[str],
) -> tuple[str, str] | None:
    candidates: list[tuple[str, str]] = []  # (title, source) in order of trust
    for obj in ld.content_objects():
        for k in ("headline", "name"):
            v = _clean(obj.get(k))
            if v:
                candidates.append((v, "jsonld"))
                break
    hit = _first(meta, "og:title", "twitter:title", "title", "dc.title", "parsely-title")
    if hit:
        candidates.append((hit[0], _meta_source(hit[1])))
    node = tree.css_first("title")
    if node is not None:
        v = _clean(node.text(deep=True))
        if v:
            candidates.append((v, "html"))

    headings = _visible_headings(tree)
    # The visible headline, when the page's declared titles agree with it.
    for h in headings:
        hk = _key(h)
        if not hk or any(hk == _key(s) for s in site_names):
            continue
        for cand, _src in candidates:
            ck = _key(cand)
            if (
                hk == ck
                or (len(hk) >= 12 and hk in ck)
                or hk == _key(_strip_site(cand, site_names))
            ):
                return h, "html"
    for cand, src in candidates:
        stripped = _strip_site(cand, site_names)
        if stripped and _key(stripped) not in {_key(s) for s in site_names}:
            return stripped, src
    if headings:
        return headings[0], "html"
    return None


# --------------------------------------------------------------------------------------------
# authors
# --------------------------------------------------------------------------------------------
_BY_PREFIX = re.compile(
    r"^\s*(?:(?:written|posted|published|reported|reviewed|edited|story|words|text|photos?)\s+)?"
    r"(?:by|from|author(?:s|\(s\))?|von|par|por|door|di)\s*[:\-–—]?\s+",
    re.IGNORECASE,
)
_JOB_WORDS = re.compile(
    r"\b(?:editor|editors|editorial|writer|reporter|correspondent|contributor|contributing|"
    r"columnist|journalist|staff|desk|team|director|manager|officer|ceo|cto|cfo|founder|"
    r"co-founder|president|head|chief|senior|lead|analyst|producer|intern|freelance|"
    r"photographer|specialist|strategist|consultant|marketing|expert|author|guest|"
    r"updated|published|posted|minutes?|min read|read|share|follow|comments?)\b",
    re.IGNORECASE,
)
_NAME_SPLIT = re.compile(r"\s*(?:,|;|\||&|\band\b|\bund\b|\bet\b|\by\b|\n)\s*", re.IGNORECASE)
_CREDENTIAL = re.compile(r"^(?:[A-Z][A-Za-z]{0,3}\.?){1,4}(?:\s+\d+)?$")
_NOT_NAME = re.compile(r"https?:|www\.|@|\.com\b|\d{3,}|[<>{}=#]")


def _split_names(raw: str) -> list[str]:
    """Person-like names in an author string: "By A, Senior Editor and B" -> ["A", "B"]."""
    s = _clean(raw)
    s = _BY_PREFIX.sub("", s)
    s = re.sub(r"\s+(?:for|para|für)\s+.*$", "", s)  # "Jane Doe for The Paper"
    s = re.sub(r"\s*\((?:[^)]*)\)", "", s)  # "(Reuters)", "(she/her)"
    out: list[str] = []
    for part in _NAME_SPLIT.split(s):
        part = _BY_PREFIX.sub("", part).strip(" .:-–—·•")
        if part:
            out.append(part)
    return out


def _is_name(part: str) -> bool:
    if not part or _NOT_NAME.search(part) or len(part) > 60:
        return False
    words = part.split()
    if not 1 <= len(words) <= 6:
        return False
    if _JOB_WORDS.search(part):
        return False
    if _CREDENTIAL.match(part) and part.upper() == part:
        return False  # "MD", "PhD", "RD"
    if not any(ch.isalpha() for ch in part):
        return False
    # a name has capitalised words (lower-case particles like "van", "de" aside)
    return any(w[0].isupper() for w in words if w[0].isalpha())


def _clean_authors(raws: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for raw in raws:
        for part in _split_names(raw):
            if not _is_name(part):
                continue
            if part.isupper() and len(part) > 4:
                part = part.title()
            k = _key(part)
            if k and k not in seen:
                seen.add(k)
                out.append(part)
    return out


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


_BYLINE_SELECTORS = (
    '[rel="author"]',
    '[itemprop="author"] [itemprop="name"]',
    '[itemprop="author"]',
    '[class*="byline"] a',
    '[class*="byline"]',
    '[class*="author-name"]',
    '[class*="author_name"]',
    '[class*="authorName"]',
    '[class*="AuthorName"]',
    '[class*="post-author"]',
    '[class*="article-author"]',
    '[class*="entry-author"]',
    '[class*="author"] a',
    '[class*="author"]',
)


def _byline_authors(tree: LexborHTMLParser) -> list[str]:
    for selector in _BYLINE_SELECTORS:
        for node in tree.css(selector)[:5]:
            if node.tag in ("meta", "link", "script", "style", "img", "body", "html"):
                continue
            text = _clean(node.text(deep=True, separator=" "))
            if not text or len(text) > 80:
                continue
            names = _clean_authors([text])
            if names and len(names) <= 4:
                return names
    return []


def _pick_authors(
    tree: LexborHTMLParser, meta: dict[str, list[str]], ld: _JsonLd, site_names: list[str]
) -> tuple[list[str], str] | None:
    persons, orgs = _jsonld_authors(ld)
    names = _clean_authors(persons)
    if names:
        return names, "jsonld"
    for keys in (
        ("author", "article:author", "og:article:author", "dc.creator", "dcterms.creator"),
        ("parsely-author", "sailthru.author", "byl", "twitter:creator:name", "citation_author"),
    ):
        raws = [v for k in keys for v in meta.get(k, [])]
        names = _clean_authors(raws)
        if names:
            hit = _first(meta, *keys)
            return names, _meta_source(hit[1]) if hit else "meta"
    names = _byline_authors(tree)
    site_keys = {_key(s) for s in site_names}
    if names and not all(_key(n) in site_keys for n in names):
        return names, "html"
    org_names = _clean_authors(orgs)
    if org_names:
        return org_names, "jsonld"
    if names:
        return names, "html"
    return None


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
    "pubdate",
    "original-publish-date",
    "article.published",
    "article_date_original",
    "date",
    "dc.date",
    "dcterms.date",
)
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
)
_URL_DATE = re.compile(
    r"/((?:19|20)\d\d)[/\-_]?(0[1-9]|1[0-2])[/\-_]?(0[1-9]|[12]\d|3[01])(?:/|[-_]|\.html?|$)"
)
_UPDATE_WORDS = re.compile(r"updat|modif|edited|revised|aktualisiert|mis à jour|actualiz", re.I)
_PUBLISH_WORDS = re.compile(r"publi|posted|released|written|erschienen|veröffentlicht", re.I)


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


def _time_elements(tree: LexborHTMLParser) -> tuple[datetime | None, datetime | None]:
    """(published, modified) from ``<time>`` and ``itemprop`` elements marked as such."""
    published: datetime | None = None
    modified: datetime | None = None
    for node in tree.css('[itemprop="datePublished"], [itemprop="dateModified"]'):
        if node.tag == "meta":
            continue
        value = node.attributes.get("datetime") or node.attributes.get("content") or ""
        dt = parse_date(value or node.text(deep=True))
        prop = node.attributes.get("itemprop") or ""
        if dt is not None:
            if prop == "datePublished" and published is None:
                published = dt
            elif prop == "dateModified" and modified is None:
                modified = dt
    if published is not None:
        return published, modified
    unmarked: list[datetime] = []
    for node in tree.css("time")[:20]:
        attrs = node.attributes
        value = attrs.get("datetime") or ""
        if not value:
            continue
        dt = parse_date(value)
        if dt is None:
            continue
        context = " ".join(filter(None, [attrs.get("class"), attrs.get("id"), _context_text(node)]))
        if _UPDATE_WORDS.search(context):
            if modified is None:
                modified = dt
        elif "pubdate" in attrs or _PUBLISH_WORDS.search(context):
            if published is None:
                published = dt
        else:
            unmarked.append(dt)
    if published is None and unmarked:
        days = {d.date() for d in unmarked}
        # only one date in all the unmarked <time> elements: the article's own
        if len(days) == 1 and (modified is None or unmarked[0] <= modified):
            published = unmarked[0]
    return published, modified


def _context_text(node: LexborNode) -> str:
    """Class names and text right around a node (its parent's text, shortened)."""
    parent = node.parent
    if parent is None:
        return ""
    cls = parent.attributes.get("class") or ""
    return f"{cls} {_clean(parent.text(deep=True, separator=' '))[:80]}"


def _url_date(url: str | None) -> datetime | None:
    if not url:
        return None
    m = _URL_DATE.search(urlsplit(url).path)
    if m is None:
        return None
    return parse_date("-".join(m.groups()))


def _pick_dates(
    tree: LexborHTMLParser,
    meta: dict[str, list[str]],
    ld: _JsonLd,
    url: str | None,
) -> tuple[tuple[datetime, str] | None, tuple[datetime, str] | None]:
    published: tuple[datetime, str] | None = None
    modified: tuple[datetime, str] | None = None

    dt = _date_from_jsonld(ld, "datePublished")
    if dt is not None:
        published = (dt, "jsonld")
    mdt = _date_from_jsonld(ld, "dateModified")
    if mdt is not None:
        modified = (mdt, "jsonld")

    if published is None:
        for key in _PUBLISHED_META:
            for value in meta.get(key, []):
                dt = parse_date(value)
                if dt is not None:
                    published = (dt, _meta_source(key))
                    break
            if published is not None:
                break
    if modified is None:
        for key in _MODIFIED_META:
            for value in meta.get(key, []):
                dt = parse_date(value)
                if dt is not None:
                    modified = (dt, _meta_source(key))
                    break
            if modified is not None:
                break

    if published is None:
        tp, tm = _time_elements(tree)
        if tp is not None:
            published = (tp, "time")
        if modified is None and tm is not None:
            modified = (tm, "time")
    if published is None:
        dt = _url_date(url)
        if dt is not None:
            published = (dt, "url")
    return published, modified


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


def _domain(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def _pick_canonical(
    tree: LexborHTMLParser, meta: dict[str, list[str]], url: str | None
) -> tuple[str, str] | None:
    for node in tree.css("link[rel]"):
        if "canonical" in (node.attributes.get("rel") or "").lower().split():
            href = _clean(node.attributes.get("href"))
            if href:
                resolved = urljoin(url, href) if url else href
                if resolved.startswith(("http://", "https://")):
                    return resolved, "html"
    hit = _first(meta, "og:url")
    if hit and hit[0].startswith(("http://", "https://")):
        return hit[0], "og"
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
def extract_html_metadata(html: str, url: str | None = None) -> dict[str, Any]:
    """Metadata of the page: keys are METADATA_FIELDS plus ``<field>_source`` for each.

    ``published``/``modified`` are timezone-aware ``datetime`` objects (or None).
    """
    meta = empty_metadata()

    def put(field: str, found: tuple[Any, str] | None) -> None:
        if found is not None and found[0] not in (None, "", []):
            meta[field], meta[f"{field}_source"] = found

    url = _clean(url) or None
    if url:
        put("url", (url, "input"))
    tree = LexborHTMLParser(html or "")
    tags = _collect_meta(tree)
    ld = _JsonLd(tree)

    put("canonical_url", _pick_canonical(tree, tags, url))
    if url:
        put("domain", (_domain(url), "url"))
    elif meta["canonical_url"]:
        put("domain", (_domain(meta["canonical_url"]), "url"))
    put("site_name", _site_name(tags, ld))
    site_names = [s for s in (meta["site_name"], meta["domain"]) if s]
    if meta["domain"]:
        site_names.append(meta["domain"].rsplit(".", 1)[0])

    put("title", _pick_title(tree, tags, ld, site_names))
    put("authors", _pick_authors(tree, tags, ld, site_names))
    published, modified = _pick_dates(tree, tags, ld, url)
    put("published", published)
    put("modified", modified)
    put("description", _description(tags, ld))
    put("section", _section(tags, ld))
    put("tags", _tags(tags, ld))
    put("language", _pick_language(tree, tags, ld))
    return meta


def bench_metadata(html: str, url: str | None = None) -> dict[str, Any]:
    """Adapter for ``metadata_bench.py``: keys ``title``, ``author`` (list) and ``publish_date``
    (ISO string in the page's own offset, so its day is the day the page shows)."""
    meta = extract_html_metadata(html, url)
    published = meta["published"]
    return {
        "title": meta["title"],
        "author": meta["authors"] or None,
        "publish_date": published.isoformat() if published is not None else None,
    }
