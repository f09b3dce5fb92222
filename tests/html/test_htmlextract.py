"""Scoring rules of the HTML main-content extractor, on small hand-written pages."""

from __future__ import annotations

import time

import pytest

from pipeline.html.content import extract_main_text, parse_html
from pipeline.html.scoring import (
    block_score,
    container_name_weight,
    is_boilerplate_name,
    is_listing,
)

PARAS = [
    "The city council voted on Tuesday to expand the bicycle lane network, a plan that "
    "supporters say will cut traffic and critics call too expensive for a small town.",
    "Council member Ana Ortiz said the vote followed two years of public meetings, surveys and "
    "a pilot project on Main Street, where accidents fell by a third.",
    "Work on the first new lanes is due to start in the spring, and the whole network should "
    "be finished by the end of next year, according to the transport department.",
    "Local shop owners, who had worried about losing parking, will get loading zones on every "
    "block, and the council promised to review the plan after one year of use.",
]


def page(article: str, *, before: str = "", after: str = "", head: str = "") -> str:
    return (
        f"<!doctype html><html><head><title>T</title>{head}</head><body>"
        f"{before}<main><article>{article}</article></main>{after}</body></html>"
    )


def paragraphs(items: list[str] = PARAS) -> str:
    return "".join(f"<p>{p}</p>" for p in items)


def test_article_paragraphs_one_per_line() -> None:
    out = extract_main_text(page(paragraphs()))
    assert out.split("\n") == PARAS


def test_inline_markup_keeps_words_and_spaces() -> None:
    html = page(
        "<p>The <b>council</b> voted, and <a href='/x'>Ana Ortiz</a>'s plan won by "
        "seven votes to two after a long night.</p>" + paragraphs()
    )
    out = extract_main_text(html)
    assert out.split("\n")[0] == (
        "The council voted, and Ana Ortiz's plan won by seven votes to two after a long night."
    )


def test_br_splits_lines_within_a_block() -> None:
    html = page("<div>" + "<br>".join(PARAS) + "</div>")
    assert extract_main_text(html).split("\n") == PARAS


def test_navigation_header_footer_and_cookie_banner_dropped() -> None:
    nav = "<nav><ul>" + "".join(f"<li><a href='/{i}'>Section {i}</a></li>" for i in range(8))
    nav += "</ul></nav>"
    header = "<header class='site-header'><a href='/'>Daily Town News</a></header>"
    cookie = (
        "<div class='cookie-consent'>We use cookies to improve your experience on our site, "
        "and by continuing to browse you agree to our use of cookies.</div>"
    )
    footer = "<footer><p>Copyright 2024 Daily Town News, all rights reserved.</p></footer>"
    out = extract_main_text(page(paragraphs(), before=header + nav + cookie, after=footer))
    assert out.split("\n") == PARAS
    for word in ("Section", "cookies", "Copyright", "Daily Town"):
        assert word not in out


def test_scripts_styles_forms_and_hidden_elements_dropped() -> None:
    article = (
        "<script>var tracking = 'do not show';</script><style>p { color: red }</style>"
        + paragraphs(PARAS[:2])
        + "<div style='display: none'>Hidden text that should never show up here.</div>"
        + "<div hidden>Also hidden, with enough words to look like a real sentence.</div>"
        + "<form><input name='q'><button>Search the site now</button></form>"
        + paragraphs(PARAS[2:])
    )
    out = extract_main_text(page(article))
    assert out.split("\n") == PARAS


def test_comments_section_dropped() -> None:
    comments = "<section id='comments' class='comments-area'><h3>12 comments</h3>" + "".join(
        f"<div class='comment'><p>Reader {i}: I really disagree with this decision, "
        f"it is a waste of money and nobody will use these lanes.</p></div>"
        for i in range(3)
    )
    comments += "</section>"
    out = extract_main_text(page(paragraphs() + comments))
    assert out.split("\n") == PARAS
    assert "Reader" not in out


def test_headings_inside_body_kept_title_dropped() -> None:
    article = (
        "<h1>Council expands bike lanes</h1>"
        + paragraphs(PARAS[:2])
        + "<h2>What happens next</h2>"
        + paragraphs(PARAS[2:])
    )
    out = extract_main_text(page(article)).split("\n")
    assert out == [*PARAS[:2], "What happens next", *PARAS[2:]]


def test_captions_bylines_and_share_bars_dropped() -> None:
    article = (
        "<div class='byline'>By Jane Doe, Staff Writer</div>"
        "<div class='share-buttons'><a href='#'>Share on Facebook</a> <a href='#'>Tweet</a></div>"
        "<figure><img src='a.jpg'><figcaption>Cyclists on Main Street last May, "
        "photographed by the town.</figcaption></figure>"
        + paragraphs(PARAS[:2])
        + "<p class='wp-caption-text'>A map of the planned lanes, shown at the meeting.</p>"
        + paragraphs(PARAS[2:])
    )
    out = extract_main_text(page(article))
    assert out.split("\n") == PARAS


def test_link_heavy_blocks_dropped() -> None:
    related = "<ul>" + "".join(
        f"<li><a href='/story/{i}'>Another story about the town budget number {i}</a></li>"
        for i in range(5)
    )
    related += "</ul>"
    out = extract_main_text(page(paragraphs() + "<p>Read more:</p>" + related))
    assert "Another story" not in out
    assert out.startswith(PARAS[0])


def test_related_and_newsletter_blocks_dropped() -> None:
    boxes = (
        "<div class='newsletter-signup'><p>Get our morning briefing, with the news that "
        "matters to you, in your inbox every day.</p></div>"
        "<div class='related-posts'><p>You may also like these stories, picked for you by "
        "our editors this week.</p></div>"
    )
    out = extract_main_text(page(paragraphs(PARAS[:2]) + boxes + paragraphs(PARAS[2:])))
    assert out.split("\n") == PARAS


def test_article_chosen_over_sidebar_and_siblings_merged() -> None:
    sidebar = "<aside><h3>Most read</h3>" + paragraphs(["A short teaser about the weather."])
    sidebar += "</aside>"
    html = (
        "<html><body><div class='layout'><div class='story-body'>"
        + paragraphs(PARAS[:2])
        + "</div><div class='ad-slot'>Advertisement</div><div class='story-body'>"
        + paragraphs(PARAS[2:])
        + "</div>"
        + sidebar
        + "</div></body></html>"
    )
    assert extract_main_text(html).split("\n") == PARAS


def test_index_page_gives_empty_string() -> None:
    teasers = "".join(
        f"<div class='teaser'><h2><a href='/story/{i}'>Headline of story number {i} "
        f"in the town</a></h2><p>A short summary of story {i}, with a few words.</p></div>"
        for i in range(12)
    )
    html = f"<html><body><main><div class='stories'>{teasers}</div></main></body></html>"
    assert extract_main_text(html) == ""


def test_page_without_text_gives_empty_string() -> None:
    assert extract_main_text("<html><body><nav><a href='/'>Home</a></nav></body></html>") == ""
    assert extract_main_text("") == ""
    assert extract_main_text("<html><body></body></html>") == ""


@pytest.mark.parametrize(
    "junk",
    [
        "not html at all",
        "<<<>>>&&&;;",
        "<p" * 1000,
        "</div>" * 1000,
        "\x00\ufffd\ud800 <p>\x00</p>",
        "<table><tr><td><table>" * 200,
        "<html><body><p>" + "x" * 100_000,
    ],
)
def test_never_raises(junk: str) -> None:
    assert isinstance(extract_main_text(junk), str)


def test_non_str_input_gives_empty_string() -> None:
    assert extract_main_text(b"<p>bytes</p>") == ""  # type: ignore[arg-type]
    assert extract_main_text(None) == ""  # type: ignore[arg-type]


def test_deep_nesting_fast() -> None:
    html = "<html><body>" + "<div>" * 10_000 + paragraphs() + "</div>" * 10_000 + "</body></html>"
    start = time.process_time()  # CPU seconds: a guard against blow-ups, robust to load
    out = extract_main_text(html)
    assert time.process_time() - start < 3.0
    assert out.split("\n") == PARAS


def test_many_siblings_fast() -> None:
    html = "<html><body><article>" + paragraphs(PARAS * 25_000) + "</article></body></html>"
    start = time.process_time()
    out = extract_main_text(html)
    assert time.process_time() - start < 5.0
    assert out.count("\n") >= 99_999


def test_big_page_fast() -> None:
    filler = "<div class='x'><span>menu item</span></div>" * 20_000
    html = page(paragraphs(), before=filler) + "<!-- " + "z" * 10_000_000 + " -->"
    start = time.process_time()
    out = extract_main_text(html)
    assert time.process_time() - start < 5.0
    assert PARAS[0] in out


# --- the scoring rules themselves ------------------------------------------------------------


def test_block_score_prefers_prose() -> None:
    prose = block_score(300, 0, 8, "p")
    assert prose > block_score(300, 0, 0, "p")  # same length without punctuation
    assert prose > block_score(300, 120, 8, "p")  # partly linked
    assert block_score(300, 250, 8, "p") == 0.0  # mostly linked
    assert block_score(15, 0, 1, "p") == 0.0  # a label
    assert block_score(300, 0, 8, "h2") == 0.0  # headings do not choose the container
    assert prose > block_score(300, 0, 8, "li")


@pytest.mark.parametrize(
    "name",
    ["comments", "post-comment", "share-bar", "related-posts", "byline", "wp-caption-text",
     "newsletter_signup", "cookie-consent", "sidebar left", "ad", "top ad-slot", "sr-only"],
)  # fmt: skip
def test_furniture_names(name: str) -> None:
    assert is_boilerplate_name(name)


@pytest.mark.parametrize(
    "name", ["article-body", "entry-content", "story", "headline", "loaded", "shadowed", ""]
)
def test_content_names_are_not_furniture(name: str) -> None:
    assert not is_boilerplate_name(name)


def test_container_name_weight() -> None:
    assert container_name_weight("article-body") > 1.0
    assert container_name_weight("sidebar") < 1.0
    assert container_name_weight("") == 1.0


def test_is_listing() -> None:
    assert is_listing(teasers=10, text_blocks=10, longest_paragraph=120)
    assert not is_listing(teasers=0, text_blocks=10, longest_paragraph=120)
    assert not is_listing(teasers=10, text_blocks=10, longest_paragraph=900)
    assert is_listing(teasers=0, text_blocks=0, longest_paragraph=10)


def test_a_tree_parsed_once_for_text_and_metadata_gives_the_same_text() -> None:
    html = page(paragraphs(), before="<nav><a href='/'>Home</a></nav>")
    tree = parse_html(html)
    assert extract_main_text(html, tree) == extract_main_text(html)
    assert extract_main_text(html, tree).split("\n") == PARAS
    # the tree is only read: a second use gives the same again
    assert extract_main_text(html, tree).split("\n") == PARAS
