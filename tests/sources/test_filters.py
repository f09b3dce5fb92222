"""Ingest filters: ``ingest.filters`` checked as params.yaml is, compiled once, and the checks
that drop out-of-scope records (first failing filter, cheapest first)."""

from __future__ import annotations

import copy
import pickle
import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from pipeline.config import IngestFilters, ParamsError, parse_params
from pipeline.sources.filters import (
    FilterName,
    Filters,
    media_type,
    merge_counts,
    url_host,
)
from tests.dvcrepo import ROOT

COMMITTED = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
DAY = datetime(2025, 1, 1, tzinfo=UTC)

LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
DOMAIN = st.lists(LABEL, min_size=1, max_size=3).map(".".join)
URLS = st.one_of(st.none(), st.text(max_size=40), DOMAIN.map(lambda d: f"https://{d}/a?b=1"))
TIMES = st.one_of(st.none(), st.datetimes(timezones=st.just(UTC)))
SIZES = st.one_of(st.none(), st.integers(min_value=0, max_value=1 << 40))


@pytest.fixture(autouse=True)
def project_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # ingest.input_dir is checked relative to the project root
    monkeypatch.chdir(ROOT)


def section(filters: Any) -> IngestFilters:
    """``ingest.filters`` as params.yaml would give it, through the whole file's check."""
    raw = copy.deepcopy(COMMITTED)
    raw["ingest"]["filters"] = filters
    return parse_params(raw).ingest.filters


def compiled(yaml_text: str) -> Filters:
    return Filters.from_params(section(yaml.safe_load(yaml_text)))


def problems(filters: Any) -> list[str]:
    with pytest.raises(ParamsError) as caught:
        section(filters)
    return caught.value.problems


# --- defaults ---------------------------------------------------------------------------


def test_the_committed_params_and_the_defaults_filter_nothing() -> None:
    committed = parse_params(copy.deepcopy(COMMITTED)).ingest.filters
    assert committed == IngestFilters() == section({})
    assert Filters.from_params(committed) == Filters()
    assert not Filters().active


@given(URLS, TIMES, SIZES, st.one_of(st.none(), st.integers(100, 599)), st.text(max_size=30))
def test_inactive_filters_pass_every_record(
    url: str | None, at: datetime | None, size: int | None, status: int | None, kind: str
) -> None:
    assert Filters().check_all(url, at, size, http=(status, kind)) is None


@pytest.mark.parametrize(
    "yaml_text",
    [
        "domains_allow: [example.com]",
        "domains_deny: [example.com]",
        "url_include: [news]",
        "url_exclude: [news]",
        "http_statuses: [200]",
        "content_types: [text/]",
        "fetched_from: 2025-01-01",
        "fetched_until: 2025-01-01",
        "min_bytes: 1",
        "max_bytes: 100",
    ],
)
def test_any_one_filter_set_makes_them_active(yaml_text: str) -> None:
    assert compiled(yaml_text).active


# --- domains --------------------------------------------------------------------------------


@given(DOMAIN, st.lists(LABEL, max_size=3))
def test_a_listed_domain_covers_itself_and_its_subdomains(domain: str, subs: list[str]) -> None:
    host = ".".join([*subs, domain])
    allow = Filters(domains_allow=frozenset({domain}))
    deny = Filters(domains_deny=frozenset({domain}))
    for url in (f"http://{host}/x", f"HTTPS://user:pw@{host.upper()}.:8080/x?y#z"):
        assert allow.check_record(url, None, None) is None
        assert deny.check_record(url, None, None) == FilterName.DOMAIN_DENIED


@given(DOMAIN, st.from_regex(r"[a-z0-9-]{1,8}", fullmatch=True))
def test_a_lookalike_host_is_not_covered(domain: str, prefix: str) -> None:
    url = f"https://{prefix}{domain}/{domain}"  # badexample.com, and the name in the path
    assert Filters(domains_allow=frozenset({domain})).check_record(url, None, None) == (
        FilterName.DOMAIN_NOT_ALLOWED
    )
    assert Filters(domains_deny=frozenset({domain})).check_record(url, None, None) is None


def test_a_parent_domain_is_not_covered_by_a_subdomain() -> None:
    only_www = compiled("domains_allow: [www.example.com]")
    assert only_www.check_record("https://www.example.com/", None, None) is None
    for url in ("https://example.com/", "https://news.example.com/"):
        assert only_www.check_record(url, None, None) == FilterName.DOMAIN_NOT_ALLOWED


@given(DOMAIN, st.lists(LABEL, max_size=2))
def test_deny_wins_over_allow(domain: str, subs: list[str]) -> None:
    both = Filters(domains_allow=frozenset({domain}), domains_deny=frozenset({domain}))
    url = "http://" + ".".join([*subs, domain])
    assert both.check_record(url, None, None) == FilterName.DOMAIN_DENIED


def test_a_denied_subdomain_of_an_allowed_domain_is_denied() -> None:
    filters = compiled("{domains_allow: [example.com], domains_deny: [ads.example.com]}")
    assert filters.check_record("https://www.example.com/a", None, None) is None
    assert filters.check_record("https://x.ads.example.com/a", None, None) == (
        FilterName.DOMAIN_DENIED
    )


def test_entries_are_normalised_as_hosts_are() -> None:
    # case, a leading dot ("and its subdomains"), a trailing dot, IDNA either way round
    got = section({"domains_allow": ["Example.COM", ".news.example.org.", "Bücher.de"]})
    assert got.domains_allow == ("example.com", "news.example.org", "xn--bcher-kva.de")
    filters = Filters.from_params(got)
    for url in ("http://www.bücher.de/", "http://shop.XN--BCHER-KVA.DE/", "//example.com"):
        assert filters.check_record(url, None, None) is None, url


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://User:Pw@WWW.Example.COM:8443/p?q#f", "www.example.com"),
        ("<http://example.com./>", "example.com"),  # WARC/1.0 brackets, trailing dot
        ("http://[2001:db8::1]:80/", "2001:db8::1"),
        ("http://[::1/", None),  # unparseable
        ("example.com/page", None),  # relative: no host
        ("mailto:someone@example.com", None),
        ("", None),
        (None, None),
    ],
)
def test_url_host(url: str | None, host: str | None) -> None:
    assert url_host(url) == host


@pytest.mark.parametrize("url", [None, "", "not a url", "http://[::1/"])
def test_a_record_without_a_usable_url_fails_an_allow_list_and_passes_a_deny_list(
    url: str | None,
) -> None:
    assert compiled("domains_allow: [example.com]").check_record(url, None, None) == (
        FilterName.DOMAIN_NOT_ALLOWED
    )
    assert compiled("domains_deny: [example.com]").check_record(url, None, None) is None


# --- URL patterns -----------------------------------------------------------------------------


def test_url_patterns_are_searched_exclude_first() -> None:
    filters = compiled(r"{url_include: ['/news/', '/sport/'], url_exclude: ['\?page=\d+$']}")
    assert filters.check_record("https://a.org/news/x", None, None) is None
    assert filters.check_record("https://a.org/SPORT/x", None, None) == (
        FilterName.URL_NOT_INCLUDED  # case-sensitive unless the pattern says (?i)
    )
    assert filters.check_record("https://a.org/news/?page=2", None, None) == (
        FilterName.URL_EXCLUDED
    )
    assert compiled("url_include: ['(?i)/sport/']").check_record("http://a/SPORT/", None, None) is (
        None
    )


@pytest.mark.parametrize("url", [None, ""])
def test_a_record_without_a_url_fails_include_and_passes_exclude(url: str | None) -> None:
    assert compiled("url_include: [.]").check_record(url, None, None) == (
        FilterName.URL_NOT_INCLUDED
    )
    assert compiled("url_exclude: ['.*']").check_record(url, None, None) is None


# --- time window ------------------------------------------------------------------------------


def test_yaml_dates_and_timestamps_are_taken_as_utc() -> None:
    got = section(
        yaml.safe_load("{fetched_from: 2025-01-01, fetched_until: 2025-03-01T12:00:00+02:00}")
    )
    assert got.fetched_from == DAY
    assert got.fetched_until == datetime(2025, 3, 1, 10, tzinfo=UTC)
    assert got.fetched_until.tzinfo is UTC
    naive = section(yaml.safe_load("fetched_from: 2025-01-01 06:30:00"))  # no zone: UTC
    assert naive.fetched_from == DAY + timedelta(hours=6, minutes=30)
    assert section(yaml.safe_load("fetched_until: 2025-01-01T00:00:00Z")).fetched_until == DAY
    # as params.yaml writes them (DVC refuses YAML's own dates there): quoted
    quoted = section(
        yaml.safe_load("{fetched_from: '2025-01-01', fetched_until: '2025-03-01T10:00:00Z'}")
    )
    assert (quoted.fetched_from, quoted.fetched_until) == (
        DAY,
        datetime(2025, 3, 1, 10, tzinfo=UTC),
    )


MOMENTS = st.datetimes(datetime(1000, 1, 1), datetime(9000, 1, 1), timezones=st.just(UTC))
SECONDS = st.integers(-(10**6), 10**6)


@given(MOMENTS, st.integers(0, 10**6), SECONDS)
def test_the_window_is_half_open(start: datetime, width: int, offset: int) -> None:
    until = start + timedelta(seconds=width)
    at = start + timedelta(seconds=offset)
    filters = Filters(fetched_from=start, fetched_until=until)
    expected = None
    if at < start:
        expected = FilterName.FETCHED_BEFORE_WINDOW
    elif at >= until:
        expected = FilterName.FETCHED_AFTER_WINDOW
    assert filters.check_record(None, at, None) == expected
    assert filters.check_record(None, until, None) == FilterName.FETCHED_AFTER_WINDOW
    # one bound alone
    assert Filters(fetched_from=start).check_record(None, at, None) == (
        FilterName.FETCHED_BEFORE_WINDOW if at < start else None
    )
    assert Filters(fetched_until=start).check_record(None, at, None) == (
        FilterName.FETCHED_AFTER_WINDOW if at >= start else None
    )


def test_window_bounds_compare_across_zones_and_naive_times_are_utc() -> None:
    filters = compiled("{fetched_from: 2025-01-01, fetched_until: 2025-01-02}")
    plus_two = timezone(timedelta(hours=2))
    assert filters.check_record(None, datetime(2025, 1, 1, 1, tzinfo=plus_two), None) == (
        FilterName.FETCHED_BEFORE_WINDOW  # 2024-12-31T23:00Z
    )
    assert filters.check_record(None, datetime(2025, 1, 2, 1, tzinfo=plus_two), None) is None
    assert filters.check_record(None, datetime(2025, 1, 1), None) is None
    assert filters.check_record(None, datetime(2025, 1, 2), None) == (
        FilterName.FETCHED_AFTER_WINDOW
    )


@pytest.mark.parametrize("yaml_text", ["fetched_from: 2025-01-01", "fetched_until: 2025-01-01"])
def test_a_record_without_a_fetch_time_fails_a_window(yaml_text: str) -> None:
    assert compiled(yaml_text).check_record("http://a.org/", None, 10) == (
        FilterName.FETCHED_UNKNOWN
    )


# --- sizes ------------------------------------------------------------------------------------


@given(st.integers(0, 1000), st.integers(0, 1000), st.integers(0, 3000))
def test_size_bounds_are_inclusive(low: int, extra: int, size: int) -> None:
    filters = Filters(min_bytes=low, max_bytes=low + extra)
    got = filters.check_record(None, None, size)
    if size < low:
        assert got == FilterName.BELOW_MIN_BYTES
    elif size > low + extra:
        assert got == FilterName.ABOVE_MAX_BYTES
    else:
        assert got is None
    assert filters.check_record(None, None, None) is None  # an unknown size passes


# --- HTTP -------------------------------------------------------------------------------------


def test_http_statuses() -> None:
    filters = compiled("http_statuses: [200, 203]")
    assert filters.check_http(200, None) is None
    assert filters.check_http(203, None) is None
    assert filters.check_http(404, "text/html") == FilterName.HTTP_STATUS
    assert filters.check_http(None, "text/html") == FilterName.HTTP_STATUS


@pytest.mark.parametrize(
    ("content_type", "kept"),
    [
        ("text/html", True),
        ("Text/HTML; charset=ISO-8859-1", True),
        ("  application/XHTML+xml ;charset=utf-8", True),
        ("text/plain", True),  # the text/ prefix
        ("textual/html", False),
        ("application/xhtml+xml2", False),  # a whole type is matched whole
        ("application/pdf", False),
        ("", False),  # missing: fails a list that is set
        ("; charset=utf-8", False),
        (None, False),
    ],
)
def test_content_types_match_the_media_type(content_type: str | None, kept: bool) -> None:
    filters = compiled("content_types: [text/, application/xhtml+xml]")
    assert filters.check_http(200, content_type) == (None if kept else FilterName.CONTENT_TYPE)
    assert Filters().check_http(None, content_type) is None  # [] = every type, even none


def test_media_type() -> None:
    assert media_type(' TEXT/Html ; charset="utf-8"') == "text/html"
    assert media_type(None) is None
    assert media_type("  ") is None


# --- order, check_all, pickling -------------------------------------------------------------

EVERYTHING = """{domains_allow: [example.com], domains_deny: [bad.example.com],
  url_include: [/news/], url_exclude: [draft], http_statuses: [200], content_types: [text/html],
  fetched_from: 2025-01-01, fetched_until: 2026-01-01, min_bytes: 10, max_bytes: 1000}"""
GOOD_URL = "https://www.example.com/news/1"


@pytest.mark.parametrize(
    ("url", "at", "size", "http", "failed"),
    [
        (GOOD_URL, DAY, 100, (200, "text/html"), None),
        (GOOD_URL, DAY, 100, None, None),  # a plain file: no HTTP filters
        ("ftp://bad.example.com/draft", datetime(2020, 1, 1), 5, (500, "x/y"), "below_min_bytes"),
        ("ftp://bad.example.com/draft", datetime(2020, 1, 1), 5000, None, "above_max_bytes"),
        ("ftp://bad.example.com/draft", None, 100, None, "fetched_unknown"),
        ("ftp://bad.example.com/draft", datetime(2020, 1, 1), 100, None, "fetched_before_window"),
        ("ftp://bad.example.com/draft", datetime(2027, 1, 1), 100, None, "fetched_after_window"),
        ("ftp://bad.example.com/draft", DAY, 100, None, "domain_denied"),
        ("https://example.org/news/draft", DAY, 100, None, "domain_not_allowed"),
        ("https://example.com/news/draft", DAY, 100, None, "url_excluded"),
        ("https://example.com/sport/1", DAY, 100, (404, "x/y"), "url_not_included"),
        (GOOD_URL, DAY, 100, (404, "application/pdf"), "http_status"),
        (GOOD_URL, DAY, 100, (200, "application/pdf"), "content_type"),
    ],
)
def test_the_first_failing_filter_is_named_cheapest_first(
    url: str, at: datetime | None, size: int, http: tuple[int, str] | None, failed: str | None
) -> None:
    filters = compiled(EVERYTHING)
    assert filters.check_all(url, at, size, http=http) == failed
    if http is not None:
        record_first = filters.check_record(url, at, size) or filters.check_http(*http)
        assert record_first == failed


def test_every_filter_name_is_a_distinct_plain_string() -> None:
    values = [name.value for name in FilterName]
    assert len(set(values)) == len(values)
    assert all(value == value.lower() and " " not in value for value in values)
    assert {str(name) for name in FilterName} == set(values)  # as count keys


def test_the_compiled_filters_pickle_and_still_check() -> None:
    filters = compiled(EVERYTHING)
    copied = pickle.loads(pickle.dumps(filters))
    assert copied == filters
    assert copied.check_all("https://example.com/news/draft", DAY, 100) == (FilterName.URL_EXCLUDED)


# --- counts ----------------------------------------------------------------------------------

COUNTS = st.dictionaries(st.sampled_from(list(FilterName)), st.integers(0, 1000), max_size=5)


@given(st.lists(COUNTS, max_size=6), st.randoms(use_true_random=False))
def test_merged_counts_are_sums_in_sorted_order_whatever_the_order_of_parts(
    parts: list[dict[str, int]], rng: random.Random
) -> None:
    merged = merge_counts(parts)
    assert list(merged) == sorted(merged)
    assert all(type(key) is str for key in merged)
    for name in FilterName:
        assert merged.get(name.value, 0) == sum(part.get(name, 0) for part in parts)
    shuffled = parts[:]
    rng.shuffle(shuffled)
    assert list(merge_counts(shuffled).items()) == list(merged.items())


def test_merged_counts_take_enum_and_plain_keys_as_one() -> None:
    # a worker counts by the enum member, a stats file read back has plain strings
    parts: list[dict[str, int]] = [
        {FilterName.HTTP_STATUS: 2},
        {"http_status": 3, "content_type": 1},
    ]
    got = merge_counts(parts)
    assert list(got.items()) == [("content_type", 1), ("http_status", 5)]


# --- params.yaml errors ----------------------------------------------------------------------


# (ingest.filters given, the one key named, what the line says)
BAD: list[tuple[Any, str, str]] = [
    ({"url_include": ["news", "("]}, 'url_include[1] = "("', "not a regular expression"),
    ({"url_exclude": ["[a-"]}, 'url_exclude[0] = "[a-"', "not a regular expression"),
    ({"url_exclude": [""]}, "url_exclude[0]", "must not be empty"),
    ({"url_include": "news"}, "url_include", "must be a list"),
    ({"domains_allow": ["https://example.com"]}, "domains_allow[0]", "must be a host name"),
    ({"domains_deny": ["ok.org", "example.com/news"]}, "domains_deny[1]", "no scheme, path"),
    ({"domains_deny": ["example.com:8080"]}, "domains_deny[0]", "must be a host name"),
    ({"domains_allow": ["exa mple.com"]}, "domains_allow[0]", "must be a host name"),
    ({"domains_allow": [""]}, "domains_allow[0]", "must be a host name"),
    ({"domains_allow": "example.com"}, "domains_allow", "must be a list"),
    ({"http_statuses": [200, 99]}, "http_statuses[1]", "must be >= 100"),
    ({"http_statuses": [600]}, "http_statuses[0]", "must be <= 599"),
    ({"http_statuses": ["200"]}, "http_statuses[0]", "must be an integer"),
    ({"content_types": ["text/html; charset=utf-8"]}, "content_types[0]", "a media type"),
    ({"content_types": ["html"]}, "content_types[0]", "a media type"),
    ({"fetched_from": "January 2025"}, "fetched_from", "must be a quoted date"),
    ({"fetched_until": 20250101}, "fetched_until", "must be a quoted date"),
    (
        {"fetched_from": DAY, "fetched_until": DAY - timedelta(seconds=1)},
        "fetched_until",
        "must be >= fetched_from",
    ),
    ({"min_bytes": -1}, "min_bytes", "must be >= 0"),
    ({"max_bytes": 0}, "max_bytes", "must be >= 1"),
    ({"min_bytes": 10, "max_bytes": 9}, "max_bytes = 9", "must be >= min_bytes (= 10)"),
    ({"domain_allow": ["example.com"]}, "domain_allow", "unknown key (known: domains_allow,"),
    ("all", "filters", "must be a mapping of keys"),
]


@pytest.mark.parametrize(("filters", "named", "says"), BAD)
def test_a_bad_filter_is_rejected_naming_its_key(filters: Any, named: str, says: str) -> None:
    got = problems(filters)
    assert len(got) == 1, got
    key = named if named == "filters" else f"filters.{named}"
    assert got[0].startswith(f"params.yaml: ingest.{key}"), got
    assert says in got[0], got


@pytest.mark.parametrize(
    "filters",
    [
        {"fetched_from": DAY},  # a null bound is no bound, not a failed comparison
        {"fetched_until": DAY},
        {"fetched_from": DAY, "fetched_until": DAY},  # an empty window is allowed, if odd
        {"min_bytes": 10},
        {"min_bytes": 10, "max_bytes": 10},
        {"max_bytes": 1},
    ],
)
def test_a_bound_alone_or_equal_bounds_are_fine(filters: dict[str, Any]) -> None:
    assert section(filters).model_dump(exclude_defaults=True) == filters


def test_the_section_is_frozen() -> None:
    got = section({"domains_allow": ["example.com"]})
    with pytest.raises(ValueError, match="frozen"):
        got.min_bytes = 5
    assert isinstance(got.domains_allow, tuple)
