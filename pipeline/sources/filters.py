"""Ingest filters (``ingest.filters`` in params.yaml): records out of the corpus's scope,
dropped before any parsing cost and counted by filter name, never quarantined.

Plain functions over plain data, no I/O. :class:`Filters` is built once from the checked
section and shipped to the workers (it pickles); each check answers the first filter a record
fails, or None. The checks run cheapest first, and in two steps for a WARC record:
:meth:`Filters.check_record` on the WARC header, before the payload is read, then
:meth:`Filters.check_http` on the HTTP head, before anything is decoded.

A value a check cannot know (no URL, no fetch time, no HTTP status or Content-Type) fails a
filter that keeps only what it lists (``domains_allow``, ``url_include``, the time window,
``http_statuses``, ``content_types``) and passes one that drops what it lists
(``domains_deny``, ``url_exclude``); an unknown size passes the size bounds.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import urlsplit

from pipeline.config import IngestFilters, host_key


class FilterName(StrEnum):
    """Why a record was filtered out: the count keys of the ingest metrics."""

    DOMAIN_DENIED = "domain_denied"
    DOMAIN_NOT_ALLOWED = "domain_not_allowed"
    URL_EXCLUDED = "url_excluded"
    URL_NOT_INCLUDED = "url_not_included"
    HTTP_STATUS = "http_status"
    CONTENT_TYPE = "content_type"
    FETCHED_UNKNOWN = "fetched_unknown"
    FETCHED_BEFORE_WINDOW = "fetched_before_window"
    FETCHED_AFTER_WINDOW = "fetched_after_window"
    BELOW_MIN_BYTES = "below_min_bytes"
    ABOVE_MAX_BYTES = "above_max_bytes"


def url_host(url: str | None) -> str | None:
    """The host of ``url`` as :func:`host_key` gives it (userinfo and port dropped), or None:
    no URL, no host (a relative URL) or one urllib cannot parse."""
    if not url:
        return None
    try:
        # Some WARC/1.0 writers put WARC-Target-URI in angle brackets.
        host = urlsplit(url.strip().removeprefix("<").removesuffix(">")).hostname
        return host_key(host) if host else None
    except ValueError:  # a bad IPv6 literal; UnicodeError (bad IDNA) is a ValueError
        return None


def media_type(content_type: str | None) -> str | None:
    """The media type of a Content-Type header, lowercase, parameters (``; charset=``) dropped;
    None when the header is missing or blank."""
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    return kind or None


def _listed(host: str, names: frozenset[str]) -> bool:
    """Whether ``host`` or a domain it is under is in ``names`` (``www.example.com`` is under
    ``example.com``; ``badexample.com`` is not: whole labels only)."""
    while True:
        if host in names:
            return True
        _, dot, host = host.partition(".")
        if not dot:
            return False


def _utc(moment: datetime) -> datetime:
    # Naive = UTC, as WARC-Date and the manifest are read; aware and naive do not compare.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Filters:
    """The ``ingest.filters`` section compiled for the checks; ``Filters()`` filters nothing."""

    domains_allow: frozenset[str] = frozenset()
    domains_deny: frozenset[str] = frozenset()
    url_include: tuple[re.Pattern[str], ...] = ()
    url_exclude: tuple[re.Pattern[str], ...] = ()
    http_statuses: frozenset[int] = frozenset()
    content_types: frozenset[str] = frozenset()  # whole media types
    content_type_prefixes: tuple[str, ...] = ()  # entries ending in "/"
    fetched_from: datetime | None = None  # UTC, inclusive
    fetched_until: datetime | None = None  # UTC, exclusive
    min_bytes: int = 0
    max_bytes: int | None = None

    @classmethod
    def from_params(cls, params: IngestFilters) -> Filters:
        """Compiled from the checked section (entries already normalised and valid there)."""
        kinds = params.content_types
        return cls(
            domains_allow=frozenset(params.domains_allow),
            domains_deny=frozenset(params.domains_deny),
            url_include=tuple(re.compile(p) for p in params.url_include),
            url_exclude=tuple(re.compile(p) for p in params.url_exclude),
            http_statuses=frozenset(params.http_statuses),
            content_types=frozenset(k for k in kinds if not k.endswith("/")),
            content_type_prefixes=tuple(sorted({k for k in kinds if k.endswith("/")})),
            fetched_from=params.fetched_from,
            fetched_until=params.fetched_until,
            min_bytes=params.min_bytes,
            max_bytes=params.max_bytes,
        )

    @property
    def active(self) -> bool:
        """Whether any filter is set (callers skip the checks and the counts when not)."""
        return self != Filters()  # every field's default is "no filter"

    def check_record(
        self, url: str | None, fetched_at: datetime | None, size: int | None
    ) -> FilterName | None:
        """The first filter that drops a record, from what its WARC header (or a plain file's
        manifest entry and size on disk) tells; None when it is kept. ``size`` is the record's
        Content-Length as stored (HTTP head and body), or the file's size in bytes."""
        # Cheapest first: integer compares, datetime compares, one URL parse, regex searches.
        if size is not None:
            if size < self.min_bytes:
                return FilterName.BELOW_MIN_BYTES
            if self.max_bytes is not None and size > self.max_bytes:
                return FilterName.ABOVE_MAX_BYTES
        if self.fetched_from is not None or self.fetched_until is not None:
            if fetched_at is None:
                return FilterName.FETCHED_UNKNOWN
            moment = _utc(fetched_at)
            if self.fetched_from is not None and moment < self.fetched_from:
                return FilterName.FETCHED_BEFORE_WINDOW
            if self.fetched_until is not None and moment >= self.fetched_until:
                return FilterName.FETCHED_AFTER_WINDOW
        if self.domains_allow or self.domains_deny:
            host = url_host(url)
            # Deny first, so a host on both lists is denied.
            if host is not None and _listed(host, self.domains_deny):
                return FilterName.DOMAIN_DENIED
            if self.domains_allow and (host is None or not _listed(host, self.domains_allow)):
                return FilterName.DOMAIN_NOT_ALLOWED
        if self.url_include or self.url_exclude:
            if url and any(p.search(url) for p in self.url_exclude):
                return FilterName.URL_EXCLUDED
            if self.url_include and not (url and any(p.search(url) for p in self.url_include)):
                return FilterName.URL_NOT_INCLUDED
        return None

    def check_http(self, status: int | None, content_type: str | None) -> FilterName | None:
        """The first filter that drops a WARC record from its HTTP head (status code and
        Content-Type header as sent); None when it is kept."""
        if self.http_statuses and status not in self.http_statuses:
            return FilterName.HTTP_STATUS
        if self.content_types or self.content_type_prefixes:
            kind = media_type(content_type)
            if kind is None or not (
                kind in self.content_types or kind.startswith(self.content_type_prefixes)
            ):
                return FilterName.CONTENT_TYPE
        return None

    def check_all(
        self,
        url: str | None,
        fetched_at: datetime | None,
        size: int | None,
        *,
        http: tuple[int | None, str | None] | None = None,
    ) -> FilterName | None:
        """Every filter that applies, in one call: :meth:`check_record`, then
        :meth:`check_http` on ``http`` = (status, Content-Type) when there is an HTTP head.
        A plain page file has none (``http=None``): the HTTP filters do not apply to it."""
        failed = self.check_record(url, fetched_at, size)
        if failed is None and http is not None:
            failed = self.check_http(*http)
        return failed


def merge_counts(parts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """Per-filter counts (of files, workers, batches) summed, keys as plain strings in sorted
    order: the same stats whatever order the parts came in."""
    total: Counter[str] = Counter()
    for part in parts:
        for name, count in part.items():
            total[str(name)] += count
    return {name: total[name] for name in sorted(total)}
