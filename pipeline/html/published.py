"""The page's publication and modification dates: :func:`_pick_dates` weighs the page's own
evidence (JSON-LD, ``<meta>``, ``<time>``, the URL, the byline, labels, embedded page data).
Date strings themselves are read by :mod:`pipeline.html.dates`.

Invariants (the policy of ``published``, described in full in :mod:`pipeline.html.metadata`):

* evidence is taken strongest first, and a machine-readable modification date is never used as
  the publication date;
* contradicting strong evidence gives no publication date at all: a wrong date is worse than
  none; loose evidence that contradicts the rest is dropped;
* a site's home page gets no publication date, and relative dates ("2 days ago") are never
  resolved;
* every date is timezone-aware and keeps the page's own UTC offset (from
  :func:`pipeline.html.dates.parse_date`).

Names starting with "_" are internal to :mod:`pipeline.html`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import NamedTuple
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from pipeline.html.dates import find_date, looks_like_date, parse_date
from pipeline.html.jsonld import _JsonLd
from pipeline.html.page import (
    _as_list,
    _BylineArea,
    _clean,
    _elements,
    _find_each,
    _find_each_by_stem,
    _meta_source,
    _PageText,
)

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
_MAX_SEGMENT = 90  # longer segments are running text, whose dates are about other things
_DIGIT = re.compile(r"\d")

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
    for node in _elements(tree, "time")[:30]:
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
# The labels found with one search for "publi" (see _find_each_by_stem).
_PUBLI_LABELS = ("published", "publié", "publicado")
_AFTER_LABEL = re.compile(
    r"(?:\s+(?:on|at|am|le|el|em))?\s*:?\s*(?:</?[a-z][^>]*>\s*){0,4}(?P<date>[^<>]{6,50})",
    re.IGNORECASE,
)


def _labelled_date(page: _PageText) -> datetime | None:
    """A date written right after "Published"/"Posted on" anywhere in the page, when all such
    dates agree (archives and comment lists carry several)."""
    lower, _offset = page.lower_body()
    found: list[datetime] = []
    by_stem = _find_each_by_stem(lower, "publi", _PUBLI_LABELS)
    for label in _DATE_LABELS:
        for pos in by_stem[label] if label in by_stem else _find_each(lower, label):
            if len(found) >= 10:
                break
            if pos == 0 or not lower[pos - 1].isalnum():
                m = _AFTER_LABEL.match(lower, pos + len(label))
                if m is not None:
                    text = m.group("date")
                    hit = find_date(text, timestamps=False)
                    # nothing but blanks and punctuation between the label and the date
                    if hit is not None and not text[: hit[1]].strip(" \t\r\n:-–—|,.&;"):
                        found.append(hit[0])
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
    by_stem = _find_each_by_stem(html, "ubli", _EMBEDDED_DATE_KEYS)  # one scan, not nine
    for key in _EMBEDDED_DATE_KEYS:
        for pos in by_stem[key]:
            if len(found) >= 20:
                break
            end = pos + len(key)
            if not html[end : end + 1].isalnum():
                m = _EMBEDDED_VALUE.match(html, end)
                if m is not None:
                    dt = parse_date(m.group("v"))
                    if dt is not None:
                        found.append(dt)
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
