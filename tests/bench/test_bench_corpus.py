"""The synthetic benchmark corpus (benchmarks.corpus): stories varied, page chrome kept."""

from __future__ import annotations

import re
from collections import Counter

from benchmarks.corpus import (
    SYNDICATED_EVERY,
    SYNDICATED_WITHIN,
    paragraph_vocabulary,
    story_of,
    vary_story,
)

PAGE = (
    b"<html><head><title>Harbour news</title><script>var trackingIdentifier = 1;</script>"
    b"</head><body><nav>Home Sections Subscribe</nav>"
    + b"".join(
        b"<p class='story'>The harbour authority said on Monday that the northern quay would "
        b"reopen after repairs, and <a href='/x'>local fishermen</a> welcomed the news "
        b"number %d.</p>" % k
        for k in range(12)
    )
    + b"<footer>Copyright Harbour Weekly, all rights reserved</footer></body></html>"
)
VOCABULARY = sorted({b"granite", b"lantern", b"meadow", b"orchard", b"pilgrim", b"saddle"})


PARAGRAPH = re.compile(rb"<p[\s>].*?</p>", re.S)


def _paragraph_words(page: bytes) -> list[bytes]:
    return re.findall(rb"[A-Za-z]{4,}", b" ".join(PARAGRAPH.findall(page)))


def test_a_story_varies_its_paragraph_words_and_keeps_the_rest_of_the_page() -> None:
    varied = vary_story(PAGE, 3, VOCABULARY)
    before, after = _paragraph_words(PAGE), _paragraph_words(varied)
    assert len(before) == len(after)
    changed = sum(a != b for a, b in zip(before, after, strict=True))
    assert 0.1 < changed / len(before) < 0.3  # about VARIED_SHARE of the words
    assert all(b in VOCABULARY for a, b in zip(before, after, strict=True) if a != b)
    # markup, attributes, title, script, navigation and footer are untouched
    assert PARAGRAPH.sub(b"", varied) == PARAGRAPH.sub(b"", PAGE)
    assert re.findall(rb"<[^>]+>", varied) == re.findall(rb"<[^>]+>", PAGE)


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_words() -> None:
    assert vary_story(PAGE, 3, VOCABULARY) == vary_story(PAGE, 3, VOCABULARY)
    assert vary_story(PAGE, 3, VOCABULARY) != vary_story(PAGE, 4, VOCABULARY)
    assert vary_story(PAGE, 3, VOCABULARY, share=0.0) == PAGE


def test_one_page_in_eight_carries_a_recent_pages_own_story() -> None:
    n = 4000
    stories = [story_of(i) for i in range(n)]
    repeats = [i for i, s in enumerate(stories) if s != i]
    assert abs(len(repeats) / n - 1 / SYNDICATED_EVERY) < 0.01
    for i in repeats:
        assert 0 < i - stories[i] <= SYNDICATED_WITHIN * 2  # at most two hops back
        assert story_of(stories[i]) == stories[i]  # a story that some page carries as its own
    # the repeats are spread over the recent pages, not one fixed distance
    assert len(Counter(i - stories[i] for i in repeats)) > 20


def test_the_vocabulary_is_the_paragraph_words_in_a_fixed_order() -> None:
    words = paragraph_vocabulary([PAGE, PAGE])
    assert words == sorted(set(words))
    assert b"harbour" in words and b"fishermen" in words
    assert b"Copyright" not in words and b"trackingIdentifier" not in words
