"""Property tests of the pure functions (hypothesis): invariants on arbitrary text, and no
exception on arbitrary Unicode or bytes. Bounded so the file runs in well under 30 s."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipeline.extract import extract_metadata, extract_text
from pipeline.sources.decoding import decode_bytes
from pipeline.text.cleaning import clean_text
from pipeline.text.dumps import extract_page_dump
from pipeline.text.residue import is_code_residue
from pipeline.text.sentences import split_sentences
from pipeline.text.spans import bounded_spans

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text that looks like news more often than uniform Unicode does: words, sentence ends,
# abbreviations, quotes, line breaks, odd spaces, RTL/CJK, emoji, combining marks.
PIECES = (
    "The council met on Tuesday.",
    "Mr. Smith said",
    " ",
    "  ",
    "\n",
    "\n\n",
    "\t",
    "\u00a0",
    "\u3000",
    "\u2028",
    "?",
    "!",
    "...",
    "…",
    "“Yes,” she said.",
    "(AP) —",
    "U.S.",
    "e.g.",
    "3.5",
    "www.example.com.",
    "清河镇元宵灯会。",
    "افتتحت قرية النخيل.",
    "Cafe\u0301",
    "👩‍👩‍👧",
    "\u200b",
    "\u200d",
    "Subscribe to our newsletter",
    "Read more",
    ".a{color:red}",
    "function go() { x(); }",
)
newsy_text = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=12)), max_size=40).map(
    "".join
)
any_text = st.one_of(st.text(max_size=300), newsy_text)

TAGS = (
    "<html>",
    "<head>",
    "<body>",
    "</body>",
    "<p>",
    "</p>",
    "<div class='article-body'>",
    "</div>",
    "<article>",
    "<h1>",
    "</h1>",
    "<br>",
    "<script>",
    "</script>",
    "<style>",
    "<title>",
    "</title>",
    "<!--",
    "-->",
    "<![CDATA[",
    '<meta property="og:url" content="http://x.example/a">',
    '<meta name="author" content="By Jo Bloggs">',
    '<meta property="article:published_time" content="2024-02-30T25:61:00+99:00">',
    '<script type="application/ld+json">{"@type": "NewsArticle", "headline": ',
    '{"@graph": [{"@type": ["NewsArticle"], "author": {"name": null}}]}',
    "<time datetime='0000-00-00'>",
    "<a href='javascript:x'>",
    "&amp;",
    "&#0;",
    "&#x110000;",
    "&nbsp;",
    "<",
    ">",
    "\x00",
)
html_like = st.lists(
    st.one_of(st.sampled_from(TAGS), st.sampled_from(PIECES), st.text(max_size=20)), max_size=60
).map("".join)


def _non_space(text: str) -> list[tuple[int, str]]:
    return [(i, ch) for i, ch in enumerate(text) if not ch.isspace()]


# ------------------------------------------------------------------------------------------
# invariants
# ------------------------------------------------------------------------------------------


@FAST
@given(any_text)
@example("Mr. Smith went.\n\n  Read more  \n")
@example(".a{color:red}\nThe council met.")
def test_clean_text_is_idempotent(text: str) -> None:
    once = clean_text(text)
    assert clean_text(once) == once


@FAST
@given(any_text)
def test_clean_text_gives_trimmed_single_newline_paragraphs(text: str) -> None:
    cleaned = clean_text(text)
    for paragraph in cleaned.split("\n") if cleaned else []:
        assert paragraph and paragraph == paragraph.strip()


@FAST
@given(any_text)
@example("")
@example("   \n\t ")
@example("A. B. C. Dr. No. 3.5 U.S. e.g. www.x.com. “Yes.” (No.)")
def test_split_sentences_spans_partition_the_non_space_characters(text: str) -> None:
    spans = split_sentences(text)
    previous_end = 0
    covered: list[tuple[int, str]] = []
    for start, end in spans:
        assert 0 <= previous_end <= start < end <= len(text), (spans, text)
        piece = text[start:end]
        assert piece == piece.strip(), piece  # trimmed: slices back to a clean sentence
        assert "\n" not in piece  # line breaks are always boundaries
        covered += [(start + i, ch) for i, ch in _non_space(piece)]
        previous_end = end
    # no non-space character lost, none duplicated
    assert covered == _non_space(text)


@st.composite
def cleaned_text_and_max(draw: st.DrawFn) -> tuple[str, int]:
    """bounded_spans runs on cleaned text (white space runs collapsed to one ASCII space). On
    raw text it can end a span in white space: ("aa   bbbbbbbbbb", 5) gives "aa  "."""
    text = clean_text(draw(any_text))
    return text, draw(st.integers(min_value=1, max_value=40))


@FAST
@given(cleaned_text_and_max())
@example(("aa bbbbbbbbbb", 5))
@example(("abcd efgh ijklmnopqrstuvwxyz", 4))
def test_bounded_spans_stay_within_bounds_and_lose_nothing(case: tuple[str, int]) -> None:
    text, max_chars = case
    spans = split_sentences(text)
    bounded = bounded_spans(text, spans, max_chars)
    previous_end = 0
    covered: list[tuple[int, str]] = []
    for start, end in bounded:
        assert previous_end <= start < end <= len(text)
        assert end - start <= max_chars
        piece = text[start:end]
        assert piece == piece.strip(), (piece, bounded)
        covered += [(start + i, ch) for i, ch in _non_space(piece)]
        previous_end = end
    expected = [c for s, e in spans for c in ((s + i, ch) for i, ch in _non_space(text[s:e]))]
    assert covered == expected


# ------------------------------------------------------------------------------------------
# nothing raises on arbitrary input
# ------------------------------------------------------------------------------------------


@FAST
@given(st.binary(max_size=2000))
@example(b"\x1f\x8b")
@example(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03")
@example(b"\xff\xfe\x00")
@example(b"\xfe\xff\xd8\x00")
@example(b'<meta charset="utf-16"><p>x</p>')
@example(b'<meta charset="x-unknown-codec"><p>caf\xe9</p>')
def test_decode_bytes_never_raises(raw: bytes) -> None:
    decoded = decode_bytes(raw, max_inflated_bytes=1 << 16)
    assert (decoded.text is None) == (decoded.reason is not None)
    if decoded.text is not None:
        assert decoded.text.strip()
        assert "\x00" not in decoded.text


@SLOW
@given(st.one_of(html_like, st.text(max_size=400), st.binary(max_size=600)))
def test_extract_text_and_metadata_never_raise(page: str | bytes) -> None:
    text = extract_text(page)
    assert isinstance(text, str)
    meta = extract_metadata(page, url="https://www.example.org/news/1")
    assert isinstance(meta, dict)


@FAST
@given(any_text)
def test_clean_text_and_split_sentences_never_raise_on_any_unicode(text: str) -> None:
    assert isinstance(clean_text(text), str)
    assert isinstance(split_sentences(text), list)


@SLOW
@given(st.one_of(any_text, st.lists(any_text, max_size=30).map("\n".join)))
def test_extract_page_dump_never_raises(text: str) -> None:
    dump = extract_page_dump(text)
    assert isinstance(dump.text, str)
    assert dump.title is None or isinstance(dump.title, str)


# ------------------------------------------------------------------------------------------
# found by benchmarks.fuzz
# ------------------------------------------------------------------------------------------

MALFORMED_CANONICAL = (
    '<html><head><link rel="canonical" href="http://[::1"></head>'
    "<body><p>The ferry sailed again on Thursday.</p></body></html>"
)


def test_malformed_canonical_href_with_a_base_url_does_not_raise() -> None:
    meta = extract_metadata(MALFORMED_CANONICAL, url="https://www.example.org/news/1")
    assert meta["canonical_url"] is None or meta["canonical_url"].startswith("https://")


def test_clean_text_keeps_joiners_that_carry_meaning() -> None:
    persian = "من می\u200cخواهم به بازار بروم و نان تازه بخرم."
    family = "The family emoji 👩\u200d👩\u200d👧 appeared in the council newsletter."
    assert clean_text(persian) == persian
    assert clean_text(family) == family


def test_long_word_is_linear_time_for_the_code_patterns() -> None:
    word = "serif" * 4_000  # one 20 KB "word": assignment patterns must not backtrack in it
    start = time.process_time()  # CPU seconds: a guard against blow-ups, robust to load
    clean_text(f"body {{ font-family: {word}")
    assert time.process_time() - start < 0.5


def test_unterminated_css_line_is_linear_time() -> None:
    line = "body { margin: 0; font-family: " + "serif;" * 10_000  # 60 KB, no closing brace
    start = time.process_time()
    assert is_code_residue(line)
    assert time.process_time() - start < 0.5
