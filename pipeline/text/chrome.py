"""Page chrome: the per-sentence chrome scorer and the trimming of chrome from paragraph edges.

The chrome decision is made per sentence by :func:`chrome_score`, from general signals only: how the
sentence addresses the reader (second person, imperative call-to-action verbs, "please"), the
publisher speaking of itself ("our journalism", "we need"), a small lexicon of generic web-UI words
(subscribe, newsletter, log in, cookie, notification, comment...), length and terminal punctuation.
Reported speech (quotation marks, "said") counts against chrome. The sentences scored are those of
:func:`sentence_spans`, a light language-free splitter cutting only at white space. The scorer is
used by :mod:`pipeline.text.cleaning` and by :mod:`pipeline.text.dumps` to classify the lines of
page text dumps.

Every function here is total on arbitrary Unicode; :func:`trim_chrome_edges` only removes
sentences (and a leading fragment) from the edges, and rejoins the kept ones with one space.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise

from pipeline.text.months import ENGLISH_MONTH_ABBREVIATIONS
from pipeline.text.words import word_count, words_of, wordset

__all__ = [
    "chrome_score",
    "is_chrome_sentence",
    "sentence_spans",
    "split_sentences_simple",
    "strip_leading_cta",
    "trim_chrome_edges",
    "trim_chrome_edges_audited",
]


# words of web user interfaces; weight 1 = strong, smaller = weak (also frequent in prose)
_UI_WORDS: dict[str, float] = {
    "subscribe": 1.0,
    "subscribed": 0.6,
    "subscription": 0.8,
    "subscriptions": 0.8,
    "subscriber": 0.6,
    "subscribers": 0.5,
    "newsletter": 1.0,
    "newsletters": 1.0,
    "signup": 1.0,
    "login": 1.0,
    "logged": 0.8,
    "register": 0.7,
    "registering": 1.0,
    "registration": 0.7,
    "donate": 1.0,
    "donation": 1.0,
    "donations": 0.8,
    "cookie": 1.0,
    "cookies": 1.0,
    "notification": 1.0,
    "notifications": 1.0,
    "comment": 0.6,
    "comments": 0.8,
    "commenting": 1.0,
    "reply": 0.5,
    "replies": 0.5,
    "browser": 1.0,
    "refresh": 0.8,
    "advertisement": 1.0,
    "advertising": 0.5,
    "sponsored": 0.8,
    "unlock": 0.8,
    "paywall": 0.8,
    "paywalls": 0.8,
    "copyright": 1.0,
    "inbox": 0.8,
    "email": 0.5,
    "app": 0.4,
    "download": 0.6,
    "click": 1.0,
    "tap": 0.6,
    "share": 0.5,
    "follow": 0.4,
    "account": 0.3,
    "premium": 0.5,
    "preferences": 0.6,
    "settings": 0.4,
    "privacy": 0.5,
    "support": 0.4,
    "journalism": 0.4,
    "podcast": 0.4,
    "video": 0.3,
    "read": 0.3,
    "more": 0.2,
    "continue": 0.3,
    "forum": 0.4,
    "website": 0.3,
    "site": 0.3,
    "page": 0.3,
    "twitter": 0.5,
    "facebook": 0.5,
    "instagram": 0.5,
    "linkedin": 0.5,
    "whatsapp": 0.5,
    "youtube": 0.4,
    "tiktok": 0.5,
    # "advertisement" in a few other languages
    "anzeige": 1.0,
    "werbung": 1.0,
    "publicité": 1.0,
    "publicidad": 1.0,
    "publicidade": 1.0,
    "pubblicità": 1.0,
    "реклама": 1.0,
    "©": 1.0,
}

# base-form verbs that open a call to action
_CTA_VERBS: frozenset[str] = wordset(
    """subscribe sign log join follow share click tap read continue download get try watch listen
    register donate support enable refresh navigate explore discover learn check see visit
    contact enter stay find view sign-up signup login upgrade unlock become give help save
    like tell send manage accept allow skip go start keep opt choose"""
)
_SECOND_PERSON: frozenset[str] = wordset("you your yours yourself you're you've you'll you'd youre")
_FIRST_PLURAL: frozenset[str] = wordset("we us our ours we're we've we'll")
# nouns which, owned by the reader ("your ...") or the publisher ("our ..."), mark chrome
_OWNED_NOUNS: frozenset[str] = wordset(
    """support donation donations contribution contributions subscription account inbox email
    browser privacy consent preferences settings data journalism reporting reporters journalists
    newsletter newsletters site website app readers community team coverage partners terms
    policy newsroom independence comments membership"""
)
_REPORTING: frozenset[str] = wordset(
    "said says told according added explained stated reported announced wrote"
)

# small words that, together with a CTA verb, form a "Read more" style fragment
_FRAGMENT_WORDS: frozenset[str] = wordset(
    """read more continue reading see also related advertisement ad watch listen share skip story
    full article next previous now here sponsored click expand show less close menu subscribe
    sign up in log top video audio image photo gallery story: more: also:"""
)

_ABBREVIATIONS: frozenset[str] = ENGLISH_MONTH_ABBREVIATIONS | wordset(
    """mr mrs ms dr prof st jr sr gen sen rep gov lt col capt sgt cpl adm maj rev hon no vs etc
    inc ltd co corp dept univ est fig approx
    mt ft pp vol ed eds u.s u.k e.g i.e a.m p.m"""
)

_QUOTED_RE = re.compile(r"“[^”]*”?|«[^»]*»?|\"[^\"]*\"?")


# --------------------------------------------------------------------------------------------
# sentences
# --------------------------------------------------------------------------------------------

_BOUNDARY_RE = re.compile(r"(?<=[.!?…])[\"”’»)\]]*(\s+)(?=[\"“‘«(\[]?[0-9A-ZÀ-ÖØ-ÞĀ-ſА-ЯЁ])")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Half-open spans of the sentences of one paragraph (a light splitter for classification).

    Splits after ``.!?…`` (and closing quotes) followed by white space and an upper-case letter,
    a digit or an opening quote, except after common abbreviations and single initials.

    This is deliberately not :func:`pipeline.text.sentences.split_sentences`, the corpus
    segmenter: its units are what chrome is scored and trimmed by, and that needs other cuts.

    * It cuts only at a run of white space. :func:`trim_chrome_edges` joins the kept sentences
      with one space, which rebuilds a white-space normalised paragraph exactly; the segmenter
      also cuts where no space is (``。`` in CJK text, ``quality.You'll``), and the join would
      then insert spaces into the text.
    * Its units are whole prose sentences. The segmenter also cuts off layout (a dateline, a
      lead credit such as ``(The Independent)``, an emoji, a list number), and such short
      pieces score differently as chrome: with its units ``Great! 😀 See you soon.`` would
      lose "See you soon.".
    * It needs no language: cleaning runs before language identification, and the clean stage
      does not rerun when the segmenter's per-language data changes.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY_RE.finditer(text):
        end = m.start(1)
        head = text[start:end].rstrip('"”’»)]')
        last = head.rsplit(None, 1)[-1] if head.split() else ""
        token = last.rstrip(".").lstrip('("“‘').lower()
        if head.endswith(".") and (
            token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()) or "." in token
        ):
            continue
        if text[start:end].strip():
            spans.append((start, end))
        start = m.end(1)
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    out: list[tuple[int, int]] = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def split_sentences_simple(text: str) -> list[str]:
    """The sentences of one paragraph, as strings (see :func:`sentence_spans`)."""
    return [text[s:e] for s, e in sentence_spans(text)]


# --------------------------------------------------------------------------------------------
# chrome scoring
# --------------------------------------------------------------------------------------------

_TERMINAL_RE = re.compile(r"[.!?…:。！？][\"”’»)\]」』]*$")


def _has_reported_speech(sentence: str) -> bool:
    return any(len(m.group(0)) >= 12 for m in _QUOTED_RE.finditer(sentence))


@lru_cache(maxsize=1 << 16)
def chrome_score(sentence: str) -> float:
    """How much ``sentence`` looks like page chrome rather than article prose (>= 1.5: chrome).

    Additive, general signals: web-UI lexicon, second-person address and reader-owned nouns
    ("your support"), the publisher speaking of itself ("our journalism"), an imperative
    call-to-action first word, "please", shortness and missing terminal punctuation. Reported
    speech and reporting verbs count against it.
    """
    words = words_of(sentence)
    if not words:
        return 1.0 if sentence.strip() else 0.0
    outside = _QUOTED_RE.sub(" ", sentence)
    low = [w.lower().replace("’", "'") for w in words_of(outside)]
    n = word_count(sentence, words)
    score = 0.0
    ui = sum(_UI_WORDS.get(w, 0.0) for w in low)
    if "©" in sentence:
        ui += 1.0
    joined = " ".join(low)
    for phrase in ("sign up", "sign in", "log in", "log out", "opt out", "all rights reserved"):
        if phrase in joined:
            ui += 1.0
    score += min(ui, 2.5)
    second = any(w in _SECOND_PERSON for w in low)
    first_plural = any(w in _FIRST_PLURAL for w in low)
    if second:
        score += 0.6
    if first_plural:
        score += 0.4
    owned = any(a in ("your", "our") and b in _OWNED_NOUNS for a, b in pairwise(low))
    if owned:
        score += 0.8
    if low and low[0] in _CTA_VERBS and words[0][:1].isupper():
        score += 1.0
    if "please" in low:
        score += 0.7
    if n <= 4:
        score += 0.5
    if not _TERMINAL_RE.search(sentence.strip()):
        score += 0.3
    # chrome is terse; a long descriptive sentence needs more evidence, unless the publisher
    # speaks of itself ("we", "our journalism": appeals are long-winded)
    if not (owned or first_plural):
        score -= 0.8 if n > 30 else 0.4 if n >= 15 else 0.0
    if _has_reported_speech(sentence):
        score -= 1.5
    if any(w in _REPORTING for w in low):
        score -= 1.5
    # instructions ("Start by ...", "Enter the number ...") are prose in a guide: without a web-UI
    # word, a reader- or publisher-owned noun or extreme shortness a sentence is never chrome
    if not (ui >= 0.8 or owned or n <= 4):
        score = min(score, 1.4)
    return score


def is_chrome_sentence(sentence: str) -> bool:
    """True when :func:`chrome_score` classifies ``sentence`` as page chrome."""
    return chrome_score(sentence) >= 1.5


_LEADING_FRAGMENT_RE = re.compile(r"^((?:[\w:]+\s+){1,3}?)(?=[\"“‘]?[A-Z])")


def strip_leading_cta(paragraph: str) -> str:
    """Drop a short call-to-action fragment glued before a sentence ("Read more Belarusian ...").

    Only when the fragment is 1-3 words from the generic fragment lexicon, the first one a
    call-to-action verb or UI word, and what follows is a long sentence.
    """
    m = _LEADING_FRAGMENT_RE.match(paragraph)
    if not m:
        return paragraph
    frag = m.group(1).split()
    low = [w.lower() for w in frag]
    if not all(w in _FRAGMENT_WORDS for w in low):
        return paragraph
    if not (low[0] in _CTA_VERBS or _UI_WORDS.get(low[0].rstrip(":"), 0.0) >= 1.0):
        return paragraph
    if len(frag) == 1 and not (low[0] == "advertisement" or low[0].endswith(":")):
        # a lone verb may well open a real sentence ("Read ...", "See ...")
        return paragraph
    rest = paragraph[m.end() :]
    if len(words_of(rest)) < 8:
        return paragraph
    return rest


# --------------------------------------------------------------------------------------------
# paragraph edges
# --------------------------------------------------------------------------------------------


# the removal rules named in the audit (documents.removals): a chrome sentence at a paragraph
# edge, and a "Read more"-style fragment glued before the first kept sentence
CHROME_SENTENCE = "chrome_sentence"
LEADING_FRAGMENT = "leading_fragment"
Removed = tuple[str, str]  # (rule, removed text)


def trim_chrome_edges_audited(paragraph: str) -> tuple[list[Removed], str, list[Removed]]:
    """:func:`trim_chrome_edges`, with what it removed: (removed before the kept text, the
    kept text, removed after it), each removal as (rule, text) in text order."""
    head: list[Removed] = []
    tail: list[Removed] = []
    prev = None
    while prev != paragraph:
        prev = paragraph
        sentences = split_sentences_simple(paragraph)
        while sentences and is_chrome_sentence(sentences[0]):
            head.append((CHROME_SENTENCE, sentences.pop(0)))
        while sentences and is_chrome_sentence(sentences[-1]):
            # each later pop lies before the ones already taken
            tail.insert(0, (CHROME_SENTENCE, sentences.pop()))
        paragraph = " ".join(sentences)
        rest = strip_leading_cta(paragraph)
        if rest != paragraph:
            head.append((LEADING_FRAGMENT, paragraph[: len(paragraph) - len(rest)].strip()))
        paragraph = rest
    return head, paragraph, tail


def trim_chrome_edges(paragraph: str) -> str:
    """Remove chrome sentences from the start and the end of a paragraph ("" if all chrome).

    Also strips a "Read more"-style fragment glued before the first kept sentence.
    """
    return trim_chrome_edges_audited(paragraph)[1]
