"""pipeline.html.metadata: metadata of small hand-written pages."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.extract import extract_metadata
from pipeline.html.authors import MAX_AUTHOR_STRING_CHARS, _split_names
from pipeline.html.metadata import empty_metadata, extract_html_metadata
from pipeline.schema import METADATA_FIELDS


def bench_metadata(html: str, url: str | None = None) -> dict[str, Any]:
    """The pipeline's own :func:`pipeline.extract.extract_metadata` with the keys of
    ``metadata_bench.py``: ``title``, ``author`` (list) and ``publish_date`` (ISO string in the
    page's own offset, so its day is the day the page shows). Lives here, not in
    ``pipeline.html``, because it needs the extract stage (the benchmark's own adapter is
    ``benchmarks.extraction.bench_metadata``)."""
    meta = extract_metadata(html, url)
    published = meta.get("published")
    return {
        "title": meta.get("title"),
        "author": meta.get("authors") or None,
        "publish_date": published.isoformat() if isinstance(published, datetime) else None,
    }


def page(head: str = "", body: str = "", lang: str = "en") -> str:
    return f'<!doctype html><html lang="{lang}"><head>{head}</head><body>{body}</body></html>'


def jsonld(obj: Any) -> str:
    return f'<script type="application/ld+json">{json.dumps(obj)}</script>'


GRAPH = {
    "@context": "https://schema.org",
    "@graph": [
        {"@type": "Organization", "@id": "https://ex.com/#org", "name": "Example News"},
        {"@type": "WebSite", "@id": "https://ex.com/#site", "name": "Example News"},
        {
            "@type": "WebPage",
            "@id": "https://ex.com/a/#webpage",
            "datePublished": "2019-01-01T00:00:00Z",
        },
        {
            "@type": "NewsArticle",
            "headline": "Rivers rise after storm",
            "datePublished": "2024-03-05T08:00:00+01:00",
            "dateModified": "2024-03-07T10:00:00+01:00",
            "author": [
                {"@id": "https://ex.com/#/person/1"},
                {"@type": "Person", "name": "Bob Jones"},
            ],
            "publisher": {"@id": "https://ex.com/#org"},
            "inLanguage": "en-GB",
            "articleSection": "Weather",
            "keywords": "floods, rivers",
        },
        {"@type": "Person", "@id": "https://ex.com/#/person/1", "name": "Alice Smith"},
    ],
}


def test_every_field_and_source_is_present() -> None:
    meta = extract_html_metadata(page())
    for field in METADATA_FIELDS:
        assert field in meta and f"{field}_source" in meta
    assert meta["authors"] == [] and meta["tags"] == []
    assert set(empty_metadata()) == set(meta)


def test_jsonld_graph_with_referenced_and_several_authors() -> None:
    html = page(
        "<title>Rivers rise after storm | Example News</title>" + jsonld(GRAPH),
        "<h1>Rivers rise after storm</h1><p>Text.</p>",
    )
    meta = extract_html_metadata(html, "https://www.Ex.com/a/")
    assert meta["title"] == "Rivers rise after storm"
    assert meta["authors"] == ["Alice Smith", "Bob Jones"]
    assert meta["authors_source"] == "jsonld"
    assert meta["published"] == datetime(2024, 3, 5, 8, tzinfo=timezone(timedelta(hours=1)))
    assert meta["published_source"] == "jsonld"  # the article's date, not the WebPage's
    assert meta["modified"] == datetime(2024, 3, 7, 10, tzinfo=timezone(timedelta(hours=1)))
    assert meta["domain"] == "ex.com" and meta["domain_source"] == "url"
    assert meta["url"] == "https://www.Ex.com/a/" and meta["url_source"] == "input"
    assert meta["site_name"] == "Example News"
    assert meta["section"] == "Weather"
    assert meta["tags"] == ["floods", "rivers"]
    assert meta["language"] == "en"


def test_only_opengraph() -> None:
    head = (
        '<meta property="og:title" content="Solar farm opens - The Daily">'
        '<meta property="og:site_name" content="The Daily">'
        '<meta property="og:description" content="A new farm.">'
        '<meta property="og:url" content="https://daily.example.org/solar">'
        '<meta property="og:locale" content="fr_FR">'
        '<meta property="article:published_time" content="2023-06-01T09:30:00Z">'
        '<meta property="article:section" content="Energy">'
        '<meta property="article:tag" content="solar"><meta property="article:tag" content="power">'
    )
    meta = extract_html_metadata(page(head, "<p>Body</p>", lang=""))
    assert meta["title"] == "Solar farm opens" and meta["title_source"] == "og"
    assert meta["published"] == datetime(2023, 6, 1, 9, 30, tzinfo=UTC)
    assert meta["published_source"] == "og"
    assert meta["canonical_url"] == "https://daily.example.org/solar"
    assert meta["domain"] == "daily.example.org"  # from canonical_url when no url is given
    assert meta["domain_source"] == "og"
    assert meta["description"] == "A new farm."
    assert meta["site_name"] == "The Daily"
    assert meta["section"] == "Energy" and meta["tags"] == ["solar", "power"]
    assert meta["language"] == "fr" and meta["language_source"] == "og"


def test_only_time_element() -> None:
    body = (
        "<article><h1>Council approves budget</h1>"
        '<time datetime="2022-11-15T18:00:00-05:00">Nov 15, 2022</time>'
        "<p>The council approved the budget.</p></article>"
    )
    meta = extract_html_metadata(page("<title>Council approves budget</title>", body))
    assert meta["published"] == datetime(2022, 11, 15, 18, tzinfo=timezone(timedelta(hours=-5)))
    assert meta["published_source"] == "time"
    assert meta["title"] == "Council approves budget"


def test_future_date_is_dropped() -> None:
    future = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    head = f'<meta property="article:published_time" content="{future}">'
    meta = extract_html_metadata(page(head, "<h1>Tomorrow's news</h1>"))
    assert meta["published"] is None and meta["published_source"] is None


def test_date_before_1990_is_dropped() -> None:
    head = jsonld({"@type": "Article", "headline": "Old", "datePublished": "1970-01-01T00:00:00Z"})
    meta = extract_html_metadata(page(head, "<h1>Old</h1>"))
    assert meta["published"] is None


def test_modified_date_never_becomes_published() -> None:
    head = jsonld(
        {
            "@type": "BlogPosting",
            "headline": "Garden tips",
            "datePublished": "2020-04-01",
            "dateModified": "2024-09-10",
        }
    )
    meta = extract_html_metadata(page(head, "<h1>Garden tips</h1>"))
    assert meta["published"] == datetime(2020, 4, 1, tzinfo=UTC)
    assert meta["modified"] == datetime(2024, 9, 10, tzinfo=UTC)

    # a machine-readable update date alone is no publication date
    only_modified = '<meta property="article:modified_time" content="2024-09-10T10:00:00Z">'
    body = "<h1>Garden tips</h1><p>Plant in spring.</p>"
    meta = extract_html_metadata(page(only_modified, body))
    assert meta["published"] is None
    assert meta["modified"] == datetime(2024, 9, 10, 10, tzinfo=UTC)
    # nor is a visible update date when the page declares a publication date elsewhere (here
    # on the WebPage object beside the article), even one we do not use
    webpage = jsonld(
        {
            "@graph": [
                {"@type": "WebPage", "datePublished": "12/08/2021"},
                {"@type": "Article", "headline": "Garden tips"},
            ]
        }
    )
    body = "<h1>Garden tips</h1><p>Updated September 10, 2024</p><p>Plant in spring.</p>"
    meta = extract_html_metadata(page(only_modified + webpage, body))
    assert meta["published"] is None
    assert meta["modified"] == datetime(2024, 9, 10, 10, tzinfo=UTC)


def test_an_update_date_shown_alone_under_the_headline_is_the_pages_date() -> None:
    only_modified = '<meta property="article:modified_time" content="2024-09-10T10:00:00Z">'
    body = (
        "<h1>Garden tips</h1><p>By Ann Lee</p><p>Updated September 10, 2024</p>"
        "<p>Plant in spring.</p>"
    )
    meta = extract_html_metadata(page(only_modified, body))
    assert meta["published"] == datetime(2024, 9, 10, tzinfo=UTC)
    assert meta["published_source"] == "text"
    assert meta["modified"] == datetime(2024, 9, 10, 10, tzinfo=UTC)
    # also over the headline, and without any machine-readable date
    body = "<p>Last updated:</p><p>Dec 12, 2025</p><h1>Garden tips</h1><p>Plant in spring.</p>"
    meta = extract_html_metadata(page(body=body))
    assert meta["published"] == datetime(2025, 12, 12, tzinfo=UTC)
    assert meta["modified"] == datetime(2025, 12, 12, tzinfo=UTC)


def test_an_update_date_is_no_publication_date_beside_another_date_or_far_down() -> None:
    # another day written in the byline: which one the page is dated by is unclear
    body = (
        "<h1>Garden tips</h1><p>Updated September 10, 2024</p><p>Dec 1, 2019</p>"
        "<p>Plant in spring.</p>"
    )
    meta = extract_html_metadata(page(body=body))
    assert meta["published"] == datetime(2019, 12, 1, tzinfo=UTC)  # the unlabelled one
    body = (
        "<h1>Garden tips</h1><p>Updated September 10, 2024</p><p>First published</p>"
        "<p>03/05/2019</p><p>Plant in spring.</p>"
    )
    assert extract_html_metadata(page(body=body))["published"] is None
    # not right under the headline: a subtitle, credits, photo captions come first
    credits = "".join(f"<p>Credit {i}</p>" for i in range(5))
    body = f"<h1>Garden tips</h1>{credits}<p>Updated September 10, 2024</p><p>Plant.</p>"
    meta = extract_html_metadata(page(body=body))
    assert meta["published"] is None
    assert meta["modified"] == datetime(2024, 9, 10, tzinfo=UTC)
    # a listing page gets none either
    index = jsonld({"@type": "CollectionPage", "name": "Garden tips"})
    body = "<h1>Garden tips</h1><p>Updated September 10, 2024</p><p>Plant in spring.</p>"
    assert extract_html_metadata(page(index, body))["published"] is None


def test_unlabelled_byline_date_equal_to_the_update_date() -> None:
    head = '<meta property="og:updated_time" content="2025-07-27T00:28:47-07:00">'
    body = "<h1>Oral care</h1><p>West Dental</p><p>July 27, 2025</p><p>Brush twice.</p>"
    meta = extract_html_metadata(page(head, body))
    assert meta["published"] == datetime(2025, 7, 27, tzinfo=UTC)
    # with a publication date declared (unreadable here) it stays the update date
    declared = '<meta property="article:published_time" content="last week">'
    assert extract_html_metadata(page(head + declared, body))["published"] is None


def test_title_suffix_and_prefix_stripping() -> None:
    for title in (
        "Markets fall sharply | Example Times",
        "Markets fall sharply - Example Times",
        "Markets fall sharply — Example Times",
        "Example Times: Markets fall sharply",
    ):
        head = f'<title>{title}</title><meta property="og:site_name" content="Example Times">'
        meta = extract_html_metadata(page(head, "<p>No heading here.</p>"))
        assert meta["title"] == "Markets fall sharply", title
    # the domain names the site too
    meta = extract_html_metadata(
        page("<title>Budget news - Newsville</title>"), "https://newsville.com/x"
    )
    assert meta["title"] == "Budget news"


def test_visible_headline_beats_seo_title_but_not_a_logo() -> None:
    head = "<title>10 Best Tents 2024: Reviews &amp; Buying Guide | Camp Site</title>"
    body = "<h1>Camp Site</h1><h1>The 10 best tents of 2024, reviewed</h1>"
    meta = extract_html_metadata(page(head, body), "https://campsite.com/tents")
    assert meta["title"] == "The 10 best tents of 2024, reviewed"
    assert meta["title_source"] == "html"


def test_double_escaped_entities_in_titles() -> None:
    head = '<meta property="og:title" content="Salt &amp;amp; Pepper &#038;amp; more">'
    meta = extract_html_metadata(page(head))
    assert meta["title"] == "Salt & Pepper & more"


def test_author_cleaning() -> None:
    cases = {
        "By Jane Doe": ["Jane Doe"],
        "BY JANE DOE": ["Jane Doe"],
        "Jane Doe, Senior Editor": ["Jane Doe"],
        "Jane Doe and John Roe": ["Jane Doe", "John Roe"],
        "Jane Doe, MD": ["Jane Doe"],
        "Jane Doe for The Example Post": ["Jane Doe"],
        "https://www.facebook.com/janedoe": [],
        "Jane Doe; Jane Doe": ["Jane Doe"],
    }
    for raw, expected in cases.items():
        meta = extract_html_metadata(page(f'<meta name="author" content="{raw}">'))
        assert meta["authors"] == expected, raw
        if expected:
            assert meta["authors_source"] == "meta"


def test_person_beats_organisation() -> None:
    head = jsonld(
        {
            "@type": "Article",
            "headline": "Rates hold",
            "author": {"@type": "Organization", "name": "Example Bank"},
        }
    )
    body = "<h1>Rates hold</h1><p class='byline'>By Maria Lopez</p><p>Text of the article.</p>"
    meta = extract_html_metadata(page(head, body))
    assert meta["authors"] == ["Maria Lopez"]
    # with no person named anywhere the organisation is kept
    meta = extract_html_metadata(page(head, "<h1>Rates hold</h1><p>Text.</p>"))
    assert meta["authors"] == ["Example Bank"] and meta["authors_source"] == "jsonld"


def test_text_byline_and_date_near_the_headline() -> None:
    body = (
        "<nav>Home</nav><h1>Bridge reopens after repairs</h1>"
        "<div><span>By</span> <a href='/staff/ann'>Ann Lee</a></div>"
        "<div>Published: 12 January 2021</div><div>Updated: 14 January 2021</div>"
        "<p>The bridge reopened on Tuesday after months of repairs.</p>"
    )
    meta = extract_html_metadata(page("<title>Bridge reopens after repairs</title>", body))
    assert meta["authors"] == ["Ann Lee"] and meta["authors_source"] == "text"
    assert meta["published"] == datetime(2021, 1, 12, tzinfo=UTC)
    assert meta["published_source"] == "text"
    assert meta["modified"] == datetime(2021, 1, 14, tzinfo=UTC)


def test_url_date() -> None:
    meta = extract_html_metadata(page(body="<h1>Hello</h1>"), "https://ex.com/2024/03/05/hello/")
    assert meta["published"] == datetime(2024, 3, 5, tzinfo=UTC)
    assert meta["published_source"] == "url"


def test_index_page_without_article() -> None:
    body = (
        "<h1>Latest news</h1><ul>"
        "<li><a href='/a'>Story A</a> <time datetime='2024-01-02'>Jan 2</time></li>"
        "<li><a href='/b'>Story B</a> <time datetime='2024-01-05'>Jan 5</time></li>"
        "<li><a href='/c'>Story C</a> <time datetime='2024-01-09'>Jan 9</time></li>"
        "</ul>"
    )
    head = jsonld({"@type": "CollectionPage", "name": "Latest news"}) + "<title>Latest news</title>"
    meta = extract_html_metadata(page(head, body), "https://ex.com/news/")
    assert meta["published"] is None
    assert meta["authors"] == []
    assert meta["title"] == "Latest news"


def test_malformed_jsonld_is_tolerated() -> None:
    broken = (
        '<script type="application/ld+json">{"@type": "Article", "headline": "Broken",'
        ' "datePublished": "2021-05-06", "author": {"name": "Kim Park"},}</script>'
        '<script type="application/ld+json">{"@type": "Article", "headline": </script>'
        '<script type="application/ld+json"></script>'
        '<script type="application/ld+json">[1, 2, "x"]</script>'
    )
    meta = extract_html_metadata(page(broken, "<h1>Broken</h1>"))
    assert meta["published"] == datetime(2021, 5, 6, tzinfo=UTC)
    assert meta["authors"] == ["Kim Park"]


def test_language_and_canonical() -> None:
    head = (
        '<link rel="canonical" href="/story/1"><meta http-equiv="content-language" content="de-AT">'
    )
    meta = extract_html_metadata(page(head, lang="EN-gb"), "https://news.example.com/story/1?x=1")
    assert meta["language"] == "en" and meta["language_source"] == "html"
    assert meta["canonical_url"] == "https://news.example.com/story/1"
    meta = extract_html_metadata(page(head, lang=""))
    assert meta["language"] == "de" and meta["language_source"] == "meta"


def test_garbage_input_does_not_raise() -> None:
    for html in ("", "<<<>>>", "\x00\x01", "<html><head><script type='application/ld+json'>{{{"):
        meta = extract_html_metadata(html, "not a url")
        assert meta["published"] is None


def test_bench_adapter() -> None:
    html = page(jsonld(GRAPH), "<h1>Rivers rise after storm</h1>")
    out = bench_metadata(html, "https://ex.com/a/")
    assert out == {
        "title": "Rivers rise after storm",
        "author": ["Alice Smith", "Bob Jones"],
        "publish_date": "2024-03-05T08:00:00+01:00",
    }
    assert bench_metadata("", None) == {"title": None, "author": None, "publish_date": None}


_FRAGMENTS = [
    "<html lang='xx-YY'>",
    "<h1>Head</h1>",
    "<h1>",
    "<time datetime='2024-02-30'>",
    "<time datetime='2021-04-05T10:00:00+02:00'>April 5</time>",
    "<meta property='article:published_time' content='not a date'>",
    "<meta name='author' content='By , and &amp;'>",
    '<script type="application/ld+json">{"@graph": [{"@id": "x"}, {"author": {"@id": "x"}}]}',
    '<script type="application/ld+json">{"@type": ["Article", null], "author": [[], {}]}</script>',
    "<p>Published: 31/31/2023</p>",
    "<p>By</p>",
    "<!--",
    "<script>",
    "</script>",
    "<body>",
    "Written by ",
    'datePublished\\":\\"2023-01-01',
    "\x00",
    "<a rel='author'>",
]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(_FRAGMENTS) | st.text(max_size=20), max_size=25),
    st.sampled_from([None, "", "https://ex.com/", "https://ex.com/2020/01/02/x", "::::"]),
)
def test_random_markup_never_raises(parts: list[str], url: str | None) -> None:
    meta = extract_html_metadata("".join(parts), url)
    assert set(meta) == set(empty_metadata())
    for field in ("published", "modified"):
        value = meta[field]
        assert value is None or (isinstance(value, datetime) and value.tzinfo is not None)
    assert isinstance(meta["authors"], list) and isinstance(meta["tags"], list)


def test_earlier_byline_date_beats_a_reset_structured_date() -> None:
    head = jsonld(
        {
            "@type": "Article",
            "headline": "Old essay, new home",
            "datePublished": "2024-08-07T12:00:00Z",
        }
    )
    body = "<h1>Old essay, new home</h1><p>Ann Lee</p><p>Dec 30, 2013</p><p>Text.</p>"
    meta = extract_html_metadata(page(head, body))
    assert meta["published"] == datetime(2013, 12, 30, tzinfo=UTC)
    assert meta["published_source"] == "text"
    # one day apart is a time-zone matter: the structured value stays
    body = "<h1>Old essay, new home</h1><p>Aug 6, 2024</p><p>Text.</p>"
    meta = extract_html_metadata(page(head, body))
    assert meta["published"] == datetime(2024, 8, 7, 12, tzinfo=UTC)


def test_time_elements_take_their_nearest_label() -> None:
    body = (
        "<h1>Stadia reviews are in</h1><div class='meta'>"
        "<span class='published'>"
        "<time datetime='2019-11-18 17:19:53 GMT'>Nov 18, 2019</time></span>"
        " · Updated: <time datetime='2019-11-19 08:00:00 GMT'>Nov 19, 2019</time></div>"
    )
    meta = extract_html_metadata(page(body=body))
    assert meta["published"] == datetime(2019, 11, 18, 17, 19, 53, tzinfo=UTC)
    assert meta["modified"] == datetime(2019, 11, 19, 8, tzinfo=UTC)
    # the words inside the element beat a generic class name
    body = (
        "<h1>Car checklist</h1><time class='published-date' datetime='2025-04-10T06:00'>"
        "<span>Updated April 10, 2025</span></time>"
    )
    meta = extract_html_metadata(page(body=body))
    assert meta["modified"] == datetime(2025, 4, 10, 6, tzinfo=UTC)
    # (the only date shown under the headline: the page's date, see below)
    assert meta["published"] == datetime(2025, 4, 10, tzinfo=UTC)
    assert meta["published_source"] == "text"


def test_written_by_anywhere_when_consistent() -> None:
    text = "".join(f"<p>Paragraph {i} about pipes.</p>" for i in range(40))
    body = (
        f"<h1>Choosing pipes</h1>{text}"  # far from the headline: not its byline area
        "<footer><p>Written by <a href='/a/jo'>Jo Marsh</a></p></footer>"
    )
    meta = extract_html_metadata(page(body=body))
    assert meta["authors"] == ["Jo Marsh"] and meta["authors_source"] == "text"
    # two different "Written by" (a list of posts): nobody is picked from them
    body += "<aside><p>Written by Sam Reed</p></aside>"
    assert extract_html_metadata(page(body=body))["authors"] == []


def test_no_publication_date_for_a_home_page_or_a_month_only_time() -> None:
    head = '<meta property="article:published_time" content="2021-05-24T15:24:38Z">'
    meta = extract_html_metadata(page(head, "<h1>Welcome</h1>"), "https://www.example.com/")
    assert meta["published"] is None
    body = "<h1>Oral health</h1><time datetime='2025-04-14T12:00:00Z'>April 2025</time>"
    assert extract_html_metadata(page(body=body))["published"] is None


def test_dates_from_embedded_page_data_when_consistent() -> None:
    data = '{"post": {"title": "Lean", "publishedAt": "2025-12-15T00:00:00.000Z"}}'
    body = f"<h1>Lean</h1><script>window.__DATA__ = {data}</script>"
    meta = extract_html_metadata(page(body=body))
    assert meta["published"] == datetime(2025, 12, 15, tzinfo=UTC)
    assert meta["published_source"] == "jsonld"
    other = '{"related": {"publishedAt": "2024-01-02T00:00:00Z"}}'
    body += f"<script>window.__MORE__ = {other}</script>"
    assert extract_html_metadata(page(body=body))["published"] is None


def test_a_list_of_dated_items_under_the_headline_gives_no_date() -> None:
    items = "".join(f"<li>Talk {d}</li><li>March {d}, 2026</li>" for d in (16, 17, 18, 19))
    body = f"<h1>Conferences in 2026</h1><ul>{items}</ul>"
    assert extract_html_metadata(page(body=body))["published"] is None


def test_the_headline_is_no_label_for_the_date_under_it() -> None:
    # "through" labels validity periods ("valid through May 1"), but here it is a headline word
    body = "<h1>Understanding mathematics through Lean</h1><p>December 15, 2025</p><p>Text.</p>"
    meta = extract_html_metadata(page(body=body))
    assert meta["published"] == datetime(2025, 12, 15, tzinfo=UTC)
    assert meta["published_source"] == "text"


def test_time_element_settles_an_ambiguous_shown_date() -> None:
    news = "".join(
        f"<li><a href='/n{i}'>News {i}</a></li><li><time datetime='{iso}'>{d}</time></li>"
        for i, (d, iso) in enumerate(
            (
                ("12/17/2025", "2025-12-17"),
                ("12/16/2025", "2025-12-16"),
                ("12/04/2025", "2025-12-04"),
            )
        )
    )
    body = (
        f"<ul>{news}</ul><h1>Consulting firm or carrier?</h1>"
        "<div class='meta'><time datetime='2017-03-01T12:00:00Z'>03/01/2017</time></div>"
        "<p>by Agatha Caleo</p><p>Text.</p>"
    )
    meta = extract_html_metadata(page(body=body))
    assert meta["published"] == datetime(2017, 3, 1, tzinfo=UTC)
    assert meta["published_source"] == "text"
    # a machine value matching neither reading settles nothing
    body = body.replace("2017-03-01T12", "2017-03-02T12")
    assert extract_html_metadata(page(body=body))["published"] is None


def test_dateline_of_the_lead_paragraph() -> None:
    lead = (
        "RAJSHAHI, Dec 20, 2025 (BSS) - Homestead gardening has been contributing to making "
        "rural communities more self-reliant across the region."
    )
    body = f"<h1>Gardens feed villages</h1><p>By</p><p>Md Haque</p><p>{lead}</p><p>More.</p>"
    meta = extract_html_metadata(page(body=body))
    assert meta["published"] == datetime(2025, 12, 20, tzinfo=UTC)
    # a date inside running text is no dateline
    lead = (
        "Homestead gardening grew fast after Dec 20, 2025 - the day the new programme started "
        "in the villages of the region."
    )
    body = f"<h1>Gardens feed villages</h1><p>{lead}</p><p>More.</p>"
    assert extract_html_metadata(page(body=body))["published"] is None


def test_a_labelled_date_beyond_the_byline_gives_way_to_the_bylines() -> None:
    book = "".join(f"<p>Note {i}</p>" for i in range(8))
    body = (
        "<h1>Book Beat: gothic romance</h1><p>by</p><p>Amanda</p>"
        "<p>· Dec 20, 2025 at 3:00 am ·</p>"
        f"{book}<p>Released:</p><p>June 17, 2025 by Tor Books</p>"
    )
    meta = extract_html_metadata(page(body=body), "https://ex.com/2025/12/book-beat/")
    assert meta["published"] == datetime(2025, 12, 20, 3, tzinfo=UTC)
    # right in the byline the label wins
    body = "<h1>Book Beat</h1><p>Released:</p><p>June 17, 2025</p><p>Dec 20, 2025</p>"
    assert extract_html_metadata(page(body=body))["published"] == datetime(2025, 6, 17, tzinfo=UTC)


def test_less_common_date_meta_conventions() -> None:
    for key in (
        "og:pubdate",
        "pub_date",
        "cxenseParse:publishtime",
        "article:first_published_time",
    ):
        head = f'<meta name="{key}" content="2019-11-19T21:57:01Z">'
        meta = extract_html_metadata(page(head, "<h1>Markets</h1>"))
        assert meta["published"] == datetime(2019, 11, 19, 21, 57, 1, tzinfo=UTC), key
    for key in ("og:article:modified_time", "article.updated", "updated-date"):
        head = f'<meta property="{key}" content="2019-11-20T08:00:00Z">'
        meta = extract_html_metadata(page(head, "<h1>Markets</h1>"))
        assert meta["published"] is None, key
        assert meta["modified"] == datetime(2019, 11, 20, 8, tzinfo=UTC), key


def test_publication_dates_declared_on_different_days_give_no_date() -> None:
    article = {"@type": "Article", "headline": "Tax tools", "datePublished": "2025-11-29T12:00:00Z"}
    og = '<meta property="article:published_time" content="2025-08-08T00:00:00-04:00">'
    meta = extract_html_metadata(page(jsonld(article) + og, "<h1>Tax tools</h1><p>Text.</p>"))
    assert meta["published"] is None
    # the declared modification date is still reported as such
    article["dateModified"] = "2025-12-01T09:00:00Z"
    meta = extract_html_metadata(page(jsonld(article) + og, "<h1>Tax tools</h1><p>Text.</p>"))
    assert meta["published"] is None
    assert meta["modified"] == datetime(2025, 12, 1, 9, tzinfo=UTC)
    # one day apart is a time-zone matter: JSON-LD stays
    og = og.replace("2025-08-08T00:00:00-04:00", "2025-11-28T22:00:00-04:00")
    meta = extract_html_metadata(page(jsonld(article) + og, "<h1>Tax tools</h1><p>Text.</p>"))
    assert meta["published"] == datetime(2025, 11, 29, 12, tzinfo=UTC)


def test_a_later_day_under_the_headline_contradicts_the_declared_date() -> None:
    og = (
        '<meta property="article:published_time" content="2013-03-11T11:11:07-07:00">'
        '<meta property="article:modified_time" content="2026-02-18T07:49:16-08:00">'
    )
    body = "<h1>Nine food myths</h1><p>March 20, 2023 | Wellness</p><p>Text.</p>"
    assert extract_html_metadata(page(og, body))["published"] is None
    # the update date shown under the headline contradicts nothing
    shown_update = body.replace("March 20, 2023", "February 18, 2026")
    meta = extract_html_metadata(page(og, shown_update))
    pacific = timezone(-timedelta(hours=7))
    assert meta["published"] == datetime(2013, 3, 11, 11, 11, 7, tzinfo=pacific)
    # nor does the same day shown under the headline
    same_day = body.replace("March 20, 2023", "March 11, 2013")
    assert extract_html_metadata(page(og, same_day))["published_source"] == "og"


def test_a_time_element_showing_another_day_than_its_value_gives_no_date() -> None:
    body = (
        "<h1>Get that tech stack</h1><div><time datetime='2024-12-20'>{}</time></div><p>Text.</p>"
    )
    assert extract_html_metadata(page(body=body.format("August 28, 2024")))["published"] is None
    meta = extract_html_metadata(page(body=body.format("December 20, 2024")))
    assert meta["published"] is not None
    assert meta["published"].date() == datetime(2024, 12, 20).date()


def test_labels_found_after_characters_that_lower_case_into_two() -> None:
    # "İ".lower() is two characters: a label's place must not shift by them
    filler = "<p>The line runs along the coast and stops in every town on its way.</p>" * 60
    body = (
        "<h1>İzmir İstanbul İzmit: a Turkish rail line</h1><p>İİİİİİİİ İİİİİİİİ</p>"
        f"{filler}<p>Written by Jane Doe</p><p>Published March 5, 2024</p>"
    )
    meta = extract_html_metadata(page(body=body))
    assert meta["authors"] == ["Jane Doe"]
    assert meta["published"] == datetime(2024, 3, 5, tzinfo=UTC)


def test_an_author_string_is_read_up_to_its_cap() -> None:
    # page text caught as a byline: only its start is read for names (the e-mail pattern
    # backtracks over long runs without spaces; make fuzz found a 78 KB string taking 8.6 s)
    filler = "x" * MAX_AUTHOR_STRING_CHARS
    assert "John Roe" in _split_names("Jane Doe, John Roe")
    names = _split_names(f"Jane Doe, {filler}, John Roe")
    assert "Jane Doe" in names and "John Roe" not in names
    assert _split_names("a@" * 50_000 + " Jane Doe") == _split_names(("a@" * 50_000)[:1000])
