"""The shortcuts of text cleaning equal the plain computations they stand for: the facts of
Unicode they rest on (checked over every code point of this Python), and each shortcut against
its plain form on arbitrary text."""

from __future__ import annotations

import re
import sys
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.text import chrome, cleaning, removals, residue, words

_ALL_CHARACTERS = [chr(i) for i in range(sys.maxunicode + 1)]

# text rich in what the shortcuts look at: cased and final-sigma letters, apostrophes and
# elisions, white space of every kind, controls, quotes, closing and terminal marks, CJK,
# code symbols
_PIECES = [
    "ΟΔΟΣ",
    "Σ",
    "AΣ",
    "İstanbul",
    "l'abonnement",
    "L’Abonnement",
    "dell'app",
    "It's",
    "SUBSCRIBE",
    "Cookiebeleid",
    "sign-up",
    "pay-per-click",
    "-x-",
    "Abonnez-vous",
    "utilizamos",
    "Your",
    "donation",
    "Mr.",
    "U.S.",
    "A.",
    "中文字",
    "42",
    "a_b",
    "window.x",
    "@media",
    "color: red;",
    "jQuery",
    "gtag(",
    "{",
    "}",
    ";",
    "=",
    "'",
    "’",
    '"',
    "“",
    "”",
    "«",
    "»",
    ")",
    "]",
    "」",
    ".",
    "!",
    "?",
    "…",
    ":",
    "。",
    " ",
    "  ",
    "\t",
    "\n",
    "\r",
    "\xa0",
    "\u2003",
    "\x0b",
    "\x85",
    "\u200b",
    "\ufeff",
    "\x00",
]
_TEXT = st.one_of(
    st.text(),
    st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=8)), max_size=30).map("".join),
)


def test_white_space_other_than_a_space_is_unprintable() -> None:
    """What cleaning._collapse_spaces and removals.canonical rest on: "\\s" is str.isspace,
    and every white space character but " " (and every control canonical drops) is
    unprintable."""
    for c in _ALL_CHARACTERS:
        assert (re.match(r"\s", c) is not None) == c.isspace(), hex(ord(c))
        if c.isspace() and c != " ":
            assert not c.isprintable(), hex(ord(c))
        if removals._CONTROL_RE.match(c):
            assert not c.isprintable(), hex(ord(c))


def test_no_character_lowers_to_a_space() -> None:
    """What chrome._lowered rests on (with the final sigma stopping at a space)."""
    assert [c for c in _ALL_CHARACTERS if " " in c.lower() and c != " "] == []
    assert "ΟΔΟΣ ΟΔΟΣ".lower().split(" ") == ["ΟΔΟΣ".lower()] * 2


@settings(max_examples=500, deadline=None)
@given(_TEXT)
def test_shortcuts_equal_their_plain_forms(text: str) -> None:
    found = words.WORD_RE.findall(text)
    assert words.words_of(text) == found
    cjk = len(words.CJK_RE.findall(text))
    plain_count = (
        len(found)
        if not cjk
        else (sum(1 for w in found if not words.CJK_RE.search(w)) + (cjk + 1) // 2)
    )
    assert words.word_count(text) == plain_count

    low = [chrome._unelided(w.lower().replace("’", "'")) for w in found]
    assert chrome._lowered(found) == (low, " ".join(low))

    assert cleaning._collapse_spaces(text) == cleaning._WS_RE.sub(" ", text)
    normal = unicodedata.normalize("NFC", text)
    assert removals.canonical(text) == removals._NOT_CONTENT_RE.sub("", normal)

    terminal = re.compile(r"[.!?…:。！？][\"”’»)\]」』]*$")
    assert chrome._ends_terminally(text) == bool(terminal.search(text.strip()))

    boundary = re.compile(r"(?<=[.!?…])[\"”’»)\]]*(\s+)(?=[\"“‘«(\[]?[0-9A-ZÀ-ÖØ-ÞĀ-ſА-ЯЁ])")
    assert [m.span(1) for m in chrome._BOUNDARY_RE.finditer(text)] == [
        m.span(1) for m in boundary.finditer(text)
    ]

    compound = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)+")
    assert chrome._COMPOUND_RE.findall(text) == compound.findall(text)

    declarations = len(residue._CSS_DECLARATION_RE.findall(text))
    page_script = bool(residue._PAGE_SCRIPT_RE.search(text))
    assert residue._web_residue_marks(text) == (declarations >= 2 or page_script)


# sentences that reach each branch of the score: UI words and phrases, owned nouns, calls to
# action, terse fragments, quotations, reporting verbs, long prose
_SENTENCES = [
    "Subscribe to our newsletter.",
    "Sign up for free",
    "Support our journalism today and make a donation.",
    "Your support keeps us independent.",
    "Read more",
    "Not now",
    "Back to top",
    "Share this article on Facebook, Twitter and WhatsApp",
    "We use cookies to improve your experience; see our cookie policy.",
    "Cookiebeleid",
    "© 2026 Example Media. All rights reserved.",
    '"We will not support this plan," the minister said on Tuesday.',
    "The council voted 7-2 to approve the budget after a long debate about roads and schools.",
    "Please click here to continue",
    "Start by entering your number in the box below",
    "Keep Your Systems Updated",
    "Abonnez-vous à notre newsletter",
    "Hemos actualizado nuestra política de cookies",
    "Ayúdanos a seguir informando: hazte socio",
]


@settings(max_examples=400, deadline=None)
@given(st.one_of(_TEXT, st.lists(st.sampled_from(_SENTENCES + _PIECES), max_size=6).map(" ".join)))
def test_the_chrome_verdict_is_the_score_against_its_threshold(text: str) -> None:
    """is_chrome_sentence stops once the final cap has made a sentence prose."""
    assert chrome.is_chrome_sentence(text) == (chrome.chrome_score(text) >= 1.5)


def test_the_chrome_verdict_on_sentences_of_each_kind() -> None:
    verdicts = [chrome.is_chrome_sentence(s) for s in _SENTENCES]
    assert verdicts == [chrome.chrome_score(s) >= 1.5 for s in _SENTENCES]
    assert any(verdicts) and not all(verdicts)  # both outcomes are exercised
