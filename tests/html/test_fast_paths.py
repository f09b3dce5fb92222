"""The extract stage's shortcuts give exactly what the plain forms give: string tests instead of
regex passes, the page type's words cut to the model's vocabulary, one query for the elements
several readers look for, the furniture pre-check."""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborNode

from pipeline.html.authors import _AUTHOR_LABELS, _AUTHOR_STEM_LABELS, _BY_STEM_LABELS
from pipeline.html.content import (
    _CONTROL_TAGS,
    _DESCEND,
    _GENERAL,
    _IGNORE,
    _LINE_BREAK,
    _MEDIA_TAGS,
    _SKIP,
    _SKIP_CONTROL,
    _SKIP_MEDIA,
    _TAG_ACTION,
    _TEXT_ID,
    _action,
    _furniture,
    extract_main_content,
    parse_html,
)
from pipeline.html.dates import find_date, parse_date
from pipeline.html.jsonld import (
    _ARTICLE_TYPES,
    _NO_DATE_PAGE_TYPES,
    _OTHER_CONTENT_TYPES,
    _PAGE_TYPES,
    _JsonLd,
    _types,
)
from pipeline.html.page import (
    _INDEXED,
    _elements,
    _find_each,
    _find_each_by_stem,
    _PageText,
    collapsed,
)
from pipeline.html.pagetype import (
    _BY,
    _MONTH,
    _PRICE,
    _SHOWN_DATE,
    _YOU,
    _ascii_digits,
    _is_code_line,
    _letter_runs,
    _model_words,
    _models,
    _pack_weights,
    _price_count,
    _split_words,
    _unpack_sums,
    html_features,
    json_ld_texts,
    page_words,
    probabilities,
    read_head,
)
from pipeline.html.published import (
    _AFTER_LABEL,
    _DATE_LABELS,
    _EMBEDDED_DATE_KEYS,
    _EMBEDDED_VALUE,
    _PUBLI_LABELS,
    _embedded_json_date,
    _labelled_date,
    _one_day,
)
from pipeline.html.scoring import (
    _SENTENCE_PUNCT,
    _WORD_PARTS,
    PLAIN_INLINE_TAGS,
    SKIP_TAGS,
    STRONG_NEGATIVE_NAME,
    WEAK_NEGATIVE_NAME,
    furniture_level,
    punctuation_count,
)
from pipeline.html.title import _CODE_OR_MARKUP, plausible_title
from pipeline.schema import MAX_TITLE_CHARS

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "data" / "sample").glob("*.html")) + sorted(
    (ROOT / "tests" / "fixtures" / "pagetypes").glob("*.html")
)
_CODE_LINE = re.compile(r"[;{}]\s*$|^\s*(?:def|class|import|return)\b|\(\)")
_YOU_PLAIN = re.compile(r"\byou(?:r|rs)?\b", re.IGNORECASE)
_PRICE_PLAIN = re.compile(r"[$€£¥₹]\s?\d|\d\s?(?:€|£|USD|EUR|GBP)\b")
_SHOWN_DATE_PLAIN = re.compile(
    r"\b(?:\d{1,2}[./-]\d{1,2}[./-](?:19|20)\d\d|(?:19|20)\d\d[./-]\d{1,2}[./-]\d{1,2}"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d\d"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\.?\s+(?:of\s+)?{_MONTH},?\s+(?:19|20)\d\d"
    r"|\d{1,2}\s+(?:minutes?|hours?|days?|weeks?)\s+ago)\b",
    re.IGNORECASE,
)
_BY_PLAIN = re.compile(r"(?:^|\s)(?:by|von|par|por|di|door)\s+[A-Z]", re.M)
# Characters that make the shortcuts' edge cases: case variants ("ſ" is an "s" to
# re.IGNORECASE), Unicode spaces, separators, prices, code.
_PIECES = st.sampled_from(
    ["you", "YOUR", "yourS", "yourſ", "y", "ou", "rs", "_", "-", ":", ".", " ", "\t", "\n", "\xa0",
     "\u2003", "é", "İ", "K", "x1", "$", "5", "€", "USD", "GBP", ";", "{", "}", "()", "(", ")",
     "def", "class", "import", "return", "nav", "ads", "has-", "menu", "sr-only", "Comment",
     "  ", "\x1f", "\x85", "\u2028", "。", "，", "、", "!", "?", ",", "author", "authored by",
     "author:", "authors:", "aauthor", "ab", " by", "written by", "posted by", "article by",
     "by", "publi", "published", "publié", "publicado", "Published", "datePublished",
     "publishedDate", "publishDate", "first_publication_date", "date_published", "ubli"]
)  # fmt: skip
_TEXTS = st.lists(_PIECES | st.text(max_size=3), max_size=12).map("".join)


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
def test_string_tests_match_their_regexes(text: str) -> None:
    assert _is_code_line(text) == bool(_CODE_LINE.search(text))
    assert _YOU.findall(text) == _YOU_PLAIN.findall(text)
    assert _price_count(text) == len(_PRICE.findall(text))
    assert _spans(_PRICE, text) == _spans(_PRICE_PLAIN, text)
    assert _ascii_digits(text) == sum(map(text.count, "0123456789"))
    assert set(_letter_runs(text)) == _split_words(text) - {""}
    assert collapsed(text) == " ".join(text.split())
    assert punctuation_count(text) == len(_SENTENCE_PUNCT.findall(text))


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)]


# Dates as the lead shows them, in pieces: every alternative of _SHOWN_DATE_PLAIN, near misses,
# case variants ("ſ" is an "s" to re.IGNORECASE), other digits, the characters around them.
_DATE_PIECES = st.sampled_from(
    ["jan", "January", "JUNE", "Jul", "sept", "Sept.", "ſep", "ſeptember", "May", "mayo", "Dec.",
     "oct", "NOV", "aug", "Apr", "feb", "march", "julx", "mon", "ja", "se", "1", "2", "19", "20",
     "05", "12", "31", "123", "2024", "1999", "20245", "1899", "٣", "٢٠٢٤", "st", "nd", "rd",
     "th", "TH", "of", "/", ".", "-", ",", " ", "  ", "\n", "\xa0", "minutes", "hour", "days",
     "Week", "ago", "AGO", "x", "_", "é", "İ", "K", "a", "by", "von", "par", "por", "di",
     "door", "By", "Anna", "Éva", "s", "d", "$", "€", "USD", "5"]
)  # fmt: skip
_DATES = st.lists(_DATE_PIECES, max_size=16).map("".join)


@settings(max_examples=1500, deadline=None)
@given(_DATES)
def test_lead_patterns_find_what_their_plain_forms_find(text: str) -> None:
    assert _spans(_SHOWN_DATE, text) == _spans(_SHOWN_DATE_PLAIN, text)
    assert bool(_BY.search(text)) == bool(_BY_PLAIN.search(text))
    assert _spans(_PRICE, text) == _spans(_PRICE_PLAIN, text)
    assert _ascii_digits(text) == sum(map(text.count, "0123456789"))  # "٣" is no ASCII digit


def test_lead_patterns_on_written_dates() -> None:
    found = [
        "03/01/2017", "2024-05-06", "March 5, 2024", "Sept. 12th 2023", "ſeptember 3 1999",
        "5th of June, 2021", "12. Mai 2020", "3 hours ago", "٣/١/٢٠٢٤",
    ]  # fmt: skip
    missed = ["2024", "March 2024", "x3/01/2017", "5 hours agox", "Mayo 3, 2024x"]
    for text in found + missed:
        assert _spans(_SHOWN_DATE, text) == _spans(_SHOWN_DATE_PLAIN, text)
    assert all(_SHOWN_DATE.search(text) for text in found[:-3])
    assert not any(_SHOWN_DATE.search(text) for text in missed)
    for text in ("by Anna", "Text von Max", "\npar Jean", "door Piet", "Standby Anna", "by anna"):
        assert bool(_BY.search(text)) == bool(_BY_PLAIN.search(text))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_packed_word_weights_sum_as_fsum_does(data: st.DataObject) -> None:
    # probabilities adds a page's word weights as packed exact integers: each class's sum must
    # be what math.fsum of that class's weights gives, bit for bit
    for model in _models().values():
        tokens = sorted((kind, word) for kind, table in model.vocabulary.items() for word in table)
        chosen = data.draw(st.lists(st.sampled_from(tokens), min_size=1, max_size=400, unique=True))
        weights = [model.vocabulary[kind][word] for kind, word in chosen]
        expected = [math.fsum(column) for column in zip(*weights, strict=True)]
        total = sum(model.packed[kind][word] for kind, word in chosen)
        sums = _unpack_sums(total, len(model.classes), model.unit_bits, model.field_bits)
        assert sums == expected
        assert [math.fsum(column) for column in zip(*weights[::-1], strict=True)] == expected


def test_packed_weights_hold_extreme_sums() -> None:
    # every weight of a class with the same sign, all at once: the widest sum a field holds
    for model in _models().values():
        rows = [ws for table in model.vocabulary.values() for ws in table.values()]
        for sign in (1, -1):
            picked = [tuple(w if w * sign > 0 else 0.0 for w in ws) for ws in rows]
            total = sum(_pack_weights(ws, model.unit_bits, model.field_bits) for ws in picked)
            sums = _unpack_sums(total, len(model.classes), model.unit_bits, model.field_bits)
            assert sums == [math.fsum(column) for column in zip(*picked, strict=True)]


def test_split_white_space_is_not_printable() -> None:
    # collapsed returns printable text unsplit: str.split's white space other than " " must
    # all be non-printable, in this Python's Unicode database
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    assert " " in spaces and len(spaces) > 20
    assert not any(c.isprintable() for c in spaces if c != " ")


def _find_each_as_written_first(text: str, label: str) -> list[int]:
    found = []
    pos = text.find(label)
    while pos >= 0:
        found.append(pos)
        pos = text.find(label, pos + len(label))
    return found


_LABELS = ("authored by", "author:", "authors:", "author", "authorauthor", "aa")


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
def test_one_search_by_stem_finds_what_each_search_finds(text: str) -> None:
    expected = {label: _find_each_as_written_first(text, label) for label in _LABELS}
    assert {label: list(_find_each(text, label)) for label in _LABELS} == expected
    by_stem = _find_each_by_stem(text, "author", _LABELS[:5])
    assert by_stem == {label: expected[label] for label in _LABELS[:5]}
    assert _find_each_by_stem(text, "a", ("aa", "ab")) == {
        "aa": expected["aa"],
        "ab": _find_each_as_written_first(text, "ab"),
    }
    # a stem inside the labels, at different offsets in each (the labels the pickers use)
    for stem, labels in (
        (" by", _BY_STEM_LABELS),
        ("publi", _PUBLI_LABELS),
        ("ubli", _EMBEDDED_DATE_KEYS),
        ("b", ("ab", "bb", "abab", "b")),
    ):
        assert _find_each_by_stem(text, stem, labels) == {
            label: _find_each_as_written_first(text, label) for label in labels
        }


def test_stem_searches_cover_every_label() -> None:
    assert set(_AUTHOR_LABELS) == set(_AUTHOR_STEM_LABELS) | set(_BY_STEM_LABELS)
    assert set(_PUBLI_LABELS) <= set(_DATE_LABELS)
    assert all("ubli" in key for key in _EMBEDDED_DATE_KEYS)


def test_tag_actions_are_the_tag_tests() -> None:
    # the walk's one look-up stands for: plain inline tag? skipped tag (a form control, media)?
    # "br"? -- which must be disjoint for the order of the tests not to matter
    assert not PLAIN_INLINE_TAGS & SKIP_TAGS and "br" not in PLAIN_INLINE_TAGS | SKIP_TAGS
    assert _CONTROL_TAGS <= SKIP_TAGS and _MEDIA_TAGS <= SKIP_TAGS
    assert not _CONTROL_TAGS & _MEDIA_TAGS
    for tag in {*PLAIN_INLINE_TAGS, *SKIP_TAGS, "br", "div", "a", "p", "span", "-text"}:
        if tag in PLAIN_INLINE_TAGS:
            expected = _DESCEND
        elif tag in _CONTROL_TAGS:
            expected = _SKIP_CONTROL
        elif tag in _MEDIA_TAGS:
            expected = _SKIP_MEDIA
        elif tag in SKIP_TAGS:
            expected = _SKIP
        elif tag == "br":
            expected = _LINE_BREAK
        else:
            expected = None
        assert _TAG_ACTION.get(tag) == expected, tag


def _furniture_level_as_written_first(name: str) -> int:
    if not name:
        return 0
    parts = name.lower().replace("_", "-").replace(":", "-").replace(".", "-").split("-")
    if not any(part in _WORD_PARTS for chunk in parts for part in chunk.split()):
        return 0
    if STRONG_NEGATIVE_NAME.search(name):
        return 2
    return 1 if WEAK_NEGATIVE_NAME.search(name) else 0


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
def test_furniture_precheck_is_the_first_one(text: str) -> None:
    assert furniture_level(text) == _furniture_level_as_written_first(text)


# ... and case changes that are not one letter for one ("İ", the Kelvin sign, final sigma)
_NAMES = st.lists(
    _PIECES
    | st.sampled_from(["\u212a", "s\u212aip", "ΣΣ", "ς", "skip", "sidebar", "\u0130"])
    | st.text(max_size=3),
    max_size=12,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(_NAMES)
def test_furniture_precheck_on_the_whole_name_is_the_token_by_token_form(text: str) -> None:
    # a class/id string is furniture as its most furniture-like white-space-separated token
    by_token = max((furniture_level(token) for token in text.split()), default=0)
    assert _furniture.__wrapped__(text) == by_token


def test_model_words_give_the_same_probabilities() -> None:
    assert PAGES
    for path in PAGES:
        html = path.read_text(encoding="utf-8", errors="replace")
        tree = parse_html(html)
        text, shape = extract_main_content(html, tree)
        head = read_head(tree, html)
        address = head.canonical
        features = html_features(text, shape, head.declared, address, head.title)
        full = page_words(head, shape, address)
        cut = _model_words(head, shape, address)
        assert all(cut[kind] <= full[kind] for kind in full)
        assert probabilities(features, "html", cut) == probabilities(features, "html", full)


def _json_ld_by_query(html: str) -> list[str]:
    query = 'script[type="application/ld+json"]'
    return [node.text(deep=True) for node in parse_html(html).css(query)]


def test_json_ld_scan_finds_what_the_tree_query_finds() -> None:
    crafted = [
        '<html><head><SCRIPT id="a" type="application/ld+json">{"@type": "NewsArticle"}'
        '</SCRIPT><script>var t = "application/ld+json"; if (a<b) {}</script></head><body>'
        '<p>application/ld+json in the text</p><div><script\ntype="application/ld+json">'
        '{"@type": ["Product"]}</script></div><script type="application/ld+json"></script>'
        "<scripts type='application/ld+json'>x</scripts></body></html>",
        '<script type="application/ld+json">{\r\n"@type":\r"Thing"}</script>',
        '<script type="application/ld+json">{"unclosed": true',
        "<p>" + "application/ld+json " * 2000 + "</p>",
        "application/ld+json " * 2000 + ">",  # no tag: found in no tag
        ("<p " + "application/ld+json " * 50) * 40 + ">",
        '<script type="application/ld+json"' + " application/ld+json" * 2000 + ">{}</script>",
    ]
    pages = crafted + [p.read_text(encoding="utf-8", errors="replace") for p in PAGES]
    assert sum(bool(_json_ld_by_query(page)) for page in pages) >= 5
    for page in pages:
        assert json_ld_texts(page) == _json_ld_by_query(page)


def test_one_query_finds_what_each_query_finds() -> None:
    html = (
        '<html><head><META name="a" content="b"><link rel="canonical" href="/x"><link href="/y">'
        '<script type="application/ld+json">{}</script><script>var a;</script><title>t</title>'
        '</head><body><h1>A</h1><svg><script type="application/ld+json">{}</script><title>s'
        '</title></svg><time datetime="2024-01-02">x</time><div><meta itemprop="x" content="y">'
        "<h1>B</h1><TIME>y</TIME></div><template><h1>C</h1></template></body></html>"
    )
    pages = [html] + [p.read_text(encoding="utf-8", errors="replace") for p in PAGES]
    for page in pages:
        tree = parse_html(page)
        for tag, query in _INDEXED.items():
            expected = [node.mem_id for node in tree.css(query)]
            assert [node.mem_id for node in _elements(tree, tag)] == expected


def _walked_nodes(body: LexborNode) -> list[LexborNode]:
    """The nodes the walk may visit: all under ``body`` but inside skipped subtrees (<svg>,
    <math>, <template>, ...)."""
    nodes: list[LexborNode] = []
    stack = [body]
    while stack:
        for node in stack.pop().iter(include_text=True):
            nodes.append(node)
            if _TAG_ACTION.get(node.tag or "") not in (_SKIP, _SKIP_CONTROL, _SKIP_MEDIA):
                stack.append(node)
    return nodes


_MARKUP = st.lists(
    st.sampled_from(
        ["<div>", "</div>", "<p>", "<span class=a>", "</span>", "<a href=x>", "</a>", "<b>",
         "<DIV>", "<x-card>", "</x-card>", "<my-el id=m>", "<foreignobject>", "<svg>", "</svg>",
         "<foreignObject>", "<math>", "<mi>", "<table>", "<td>", "<br>", "<script>", "</script>",
         "<template>", "<time>", "<nav>", "<!-- c -->", "<!doctype html>", "<?pi x?>",
         "<![CDATA[x]]>", "text", " ", "\n", "&nbsp;", "\x00"]
    ),
    max_size=30,
).map("".join)  # fmt: skip


def _assert_tag_ids_stand_for_tags(html: str) -> None:
    # the walk reads a node's tag id and looks its tag up per page, instead of reading its tag
    body = parse_html(html).body
    if body is None:
        return
    names: dict[int, str | None] = {}
    for node in _walked_nodes(body):
        tag = node.tag
        assert (node.tag_id == _TEXT_ID) == (tag == "-text"), tag
        assert names.setdefault(node.tag_id, tag) == tag
        if tag != "-text":
            old = _TAG_ACTION.get(tag or "")
            expected = _IGNORE if not tag or tag[0] == "-" else _GENERAL if old is None else old
            assert _action(tag) == expected


def test_tag_ids_stand_for_tags_on_pages() -> None:
    assert PAGES
    for path in PAGES:
        _assert_tag_ids_stand_for_tags(path.read_text(encoding="utf-8", errors="replace"))


@settings(max_examples=300, deadline=None)
@given(_MARKUP)
def test_tag_ids_stand_for_tags(html: str) -> None:
    _assert_tag_ids_stand_for_tags(html)


def _embedded_json_date_as_written_first(html: str) -> datetime | None:
    found: list[datetime] = []
    for key in _EMBEDDED_DATE_KEYS:
        pos = html.find(key)
        while pos >= 0 and len(found) < 20:
            end = pos + len(key)
            if not html[end : end + 1].isalnum():
                m = _EMBEDDED_VALUE.match(html, end)
                if m is not None:
                    dt = parse_date(m.group("v"))
                    if dt is not None:
                        found.append(dt)
            pos = html.find(key, end)
    return _one_day(found)


def _labelled_date_as_written_first(page: _PageText) -> datetime | None:
    lower, _offset = page.lower_body()
    found: list[datetime] = []
    for label in _DATE_LABELS:
        pos = lower.find(label)
        while pos >= 0 and len(found) < 10:
            end = pos + len(label)
            if pos == 0 or not lower[pos - 1].isalnum():
                m = _AFTER_LABEL.match(lower, end)
                if m is not None:
                    text = m.group("date")
                    hit = find_date(text, timestamps=False)
                    if hit is not None and not text[: hit[1]].strip(" \t\r\n:-–—|,.&;"):
                        found.append(hit[0])
            pos = lower.find(label, end)
    return _one_day(found)


_DATED = st.lists(
    st.sampled_from(
        ['"datePublished":"2024-03-05T10:00:00Z"', '"publishedDate": "2023-01-02"',
         "publishDate='2024-03-06'", '\\"published_at\\":\\"2024-03-05 08:00\\"', "Published",
         "publié le 5 mars 2024", "Posted on March 5, 2024", "published: 2024-03-07",
         "date_published", "first_publication_date", ":", " ", "<b>", "</b>", "x", "2024-03-05"]
    ) | _PIECES,
    max_size=30,
).map("".join)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(_DATED)
def test_date_label_searches_by_stem_are_the_label_by_label_forms(text: str) -> None:
    assert _embedded_json_date(text) == _embedded_json_date_as_written_first(text)
    page = f"<html><body>{text}</body></html>"
    assert _labelled_date(_PageText(page)) == _labelled_date_as_written_first(_PageText(page))


def test_date_label_searches_by_stem_on_pages() -> None:
    for path in PAGES:
        html = path.read_text(encoding="utf-8", errors="replace")
        assert _embedded_json_date(html) == _embedded_json_date_as_written_first(html)
        assert _labelled_date(_PageText(html)) == _labelled_date_as_written_first(_PageText(html))


_TITLES = st.lists(
    st.sampled_from(
        ["Headline", " | Site", "<b>", "</div>", "<!--", "-->", "{ color: red; }", "@media (",
         ".nav {", "function () {", "document.write(", "var x = [", "this.x = 1", "a.b = '",
         "let y =", "'; go(", "<", ">", "{", "(", "=", "==", ";", "\u212a", "İ", "x" * 40]
    ) | _PIECES,
    max_size=12,
).map("".join)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(_TITLES)
def test_title_check_with_its_character_precheck_is_the_regex(text: str) -> None:
    as_written = bool(text) and len(text) <= MAX_TITLE_CHARS and not _CODE_OR_MARKUP.search(text)
    assert plausible_title(text) == as_written


def _first_of_type(ld: _JsonLd, wanted: set[str]) -> dict[str, Any] | None:
    return next((obj for obj in ld.objects if _types(obj) & wanted), None)


_LD_TYPES = st.sampled_from(
    ["NewsArticle", "WebPage", "https://schema.org/Article", "CollectionPage", "Recipe",
     "Organization", "Person", "BlogPosting", "VideoObject", "", "ProfilePage"]
)  # fmt: skip
_LD_OBJECT = st.fixed_dictionaries(
    {"@type": _LD_TYPES | st.lists(_LD_TYPES, max_size=3)}, optional={"name": st.just("x")}
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_LD_OBJECT, max_size=4), max_size=3))
def test_jsonld_picks_with_types_read_once_are_the_first_of_each_type(
    scripts: list[list[dict[str, Any]]],
) -> None:
    body = "".join(
        f'<script type="application/ld+json">{json.dumps({"@graph": objects})}</script>'
        for objects in scripts
    )
    ld = _JsonLd(parse_html(f"<html><head>{body}</head><body></body></html>"))
    assert ld.article is _first_of_type(ld, _ARTICLE_TYPES)
    assert ld.page is _first_of_type(ld, _PAGE_TYPES)
    assert ld.other is _first_of_type(ld, _OTHER_CONTENT_TYPES)
    assert ld.index_page == any(_types(obj) & _NO_DATE_PAGE_TYPES for obj in ld.objects)
