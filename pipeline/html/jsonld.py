"""schema.org JSON-LD of a page: every object of every ``application/ld+json`` script, with
the main article-like one picked out (:class:`_JsonLd`).

Invariants: reading never raises (malformed JSON, comment wrappers, trailing commas and
concatenated values are tolerated; what cannot be read is skipped), a script is read up to
:data:`_MAX_JSONLD_CHARS` characters and nested values to a bounded depth, and objects keep
document order, so the first article-like object is the page's main one.

Names starting with "_" are internal to :mod:`pipeline.html`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from pipeline.html.page import _as_list, _elements

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
        for script in _elements(tree, "script"):
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
        # each object's types, read once for the four questions below
        types = [_types(o) for o in self.objects]
        self.article = self._pick(types, _ARTICLE_TYPES)
        self.page = self._pick(types, _PAGE_TYPES)
        self.other = self._pick(types, _OTHER_CONTENT_TYPES)
        self.index_page = any(t & _NO_DATE_PAGE_TYPES for t in types)

    def _pick(self, types: list[set[str]], wanted: set[str]) -> dict[str, Any] | None:
        """The first object with one of the ``wanted`` types (``types``: each object's)."""
        for obj, obj_types in zip(self.objects, types, strict=True):
            if obj_types & wanted:
                return obj
        return None

    def resolve(self, v: Any) -> Any:
        if isinstance(v, dict) and set(v) <= {"@id", "@type"} and isinstance(v.get("@id"), str):
            return self.by_id.get(v["@id"], v)
        return v

    def content_objects(self) -> list[dict[str, Any]]:
        """Article, then other content types, then the web page itself."""
        return [o for o in (self.article, self.other, self.page) if o is not None]
