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

The fields are picked by :mod:`pipeline.html.title`, :mod:`pipeline.html.authors` and
:mod:`pipeline.html.published` (dates) over the page model of :mod:`pipeline.html.page` and
:mod:`pipeline.html.jsonld`; this module picks the descriptive fields (language, canonical
address, site name, section, tags, description) and assembles the record.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

from pipeline.html.authors import _pick_authors
from pipeline.html.jsonld import _JsonLd, _types
from pipeline.html.page import (
    _as_list,
    _BylineArea,
    _clean,
    _collect_meta,
    _elements,
    _first,
    _headline_position,
    _meta_source,
    _PageText,
    _unescaped,
)
from pipeline.html.published import _pick_dates
from pipeline.html.title import _pick_title
from pipeline.schema import METADATA_FIELDS


def empty_metadata() -> dict[str, Any]:
    """Every metadata field and its ``*_source`` set to None (lists empty)."""
    meta: dict[str, Any] = {}
    for field in METADATA_FIELDS:
        meta[field] = [] if field in ("authors", "tags") else None
        meta[f"{field}_source"] = None
    return meta


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
    for node in _elements(tree, "link"):
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
