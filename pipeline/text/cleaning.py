"""Pure string cleaning of extracted text, and the shared page-chrome scorer.

:func:`clean_text` is applied by the clean stage to every extracted document (from HTML or from a
page text dump). Besides Unicode and whitespace normalisation it repairs the spacing damage left by
inline links, drops CSS/JS residue lines, splits image captions glued in front of a paragraph, and
trims page chrome (notification prompts, donation appeals, sign-in and comment prompts, "Read more"
glue) from the start and the end of paragraphs.

The chrome decision is made per sentence by :func:`chrome_score`, from general signals only: how the
sentence addresses the reader (second person, imperative call-to-action verbs, "please"), the
publisher speaking of itself ("our journalism", "we need"), a small lexicon of generic web-UI words
(subscribe, newsletter, log in, cookie, notification, comment...), length and terminal punctuation.
Reported speech (quotation marks, "said") counts against chrome. The same scorer is used by
:mod:`pipeline.text.dumps` to classify the lines of page text dumps.

Every function here is total on arbitrary Unicode and :func:`clean_text` is idempotent.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from itertools import pairwise

from pipeline.text.months import ENGLISH_MONTH_ABBREVIATIONS

__all__ = [
    "STOP_WORDS",
    "chrome_score",
    "clean_text",
    "is_caption",
    "is_chrome_sentence",
    "is_code_residue",
    "repair_link_spacing",
    "sentence_spans",
    "split_glued_caption",
    "split_sentences_simple",
    "strip_leading_cta",
    "trim_chrome_edges",
    "word_count",
    "words_of",
    "wordset",
]


def wordset(words: str) -> frozenset[str]:
    """A frozen set of the white-space separated words of ``words``."""
    return frozenset(words.split())


# --------------------------------------------------------------------------------------------
# small general lexicons
# --------------------------------------------------------------------------------------------

STOP_WORDS: frozenset[str] = wordset(
    """a about above after again against all also although am among an and any are as at be
    because been before being below between both but by can could did do does doing down during
    each either even ever every few for from further had has have having he her here hers herself
    him himself his how however i if in into is it its itself just least less like made make many
    may me might more most much must my myself neither no nor not now of off often on once only
    or other others our ours ourselves out over own per perhaps rather same several shall she
    should since so some still such than that the their theirs them themselves then there these
    they this those though through thus to too toward under until up upon us very was we were
    what when where whether which while who whom whose why will with within without would yet you
    your yours yourself yourselves said says according told
    de la le les des du un une et est en que qui pour dans par sur pas au aux ce cette il elle
    el los las del y es por con para una lo se su al como más pero sus o da do dos das em um uma
    os não mais ao na no nas nos ser foi der die das und ist den dem ein eine nicht mit sich auf
    für von zu im auch es sie er aber vor bei nach wenn ihre ihr als wie noch nur oder zum zur
    über unter wird werden hat haben sind dass kann am vom aus durch
    il di che è per non si sono gli della nel alla les leur ont été sont mais aussi avec comme
    plus ses son sa lui très entre sans sous"""
    "и в не на что с он как по но это из у за от то так же все она бы был"
)

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

# agencies and words of photo credits
_CREDIT_WORDS: frozenset[str] = wordset(
    """photo photos photograph photographs image images picture pictures getty reuters afp ap pa
    epa shutterstock alamy credit courtesy handout file supplied via istock istockphoto
    bloomberg xinhua dpa anadolu sipa zuma wireimage filmmagic rex"""
)

_ABBREVIATIONS: frozenset[str] = ENGLISH_MONTH_ABBREVIATIONS | wordset(
    """mr mrs ms dr prof st jr sr gen sen rep gov lt col capt sgt cpl adm maj rev hon no vs etc
    inc ltd co corp dept univ est fig approx
    mt ft pp vol ed eds u.s u.k e.g i.e a.m p.m"""
)

_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uff00-\uffef]")
_QUOTED_RE = re.compile(r"“[^”]*”?|«[^»]*»?|\"[^\"]*\"?")


def words_of(text: str) -> list[str]:
    """The words (runs of letters, with inner apostrophes) of ``text``."""
    return _WORD_RE.findall(text)


def word_count(text: str, words: list[str] | None = None) -> int:
    """Number of words of ``text``; CJK characters count one word per two characters."""
    if words is None:
        words = words_of(text)
    cjk = len(_CJK_RE.findall(text))
    if not cjk:
        return len(words)
    return sum(1 for w in words if not _CJK_RE.search(w)) + (cjk + 1) // 2


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
# captions
# --------------------------------------------------------------------------------------------

_GLUED_CAPTION_RE = re.compile(
    r"^(?P<cap>[^()\n]{30,700}?[^\s.!?:;,\"”’])\s*\((?P<credit>[^()\n]{2,60})\)\s+"
    r"(?=[\"“‘]?[A-Z])"
)
_END_CREDIT_RE = re.compile(r"[^.!?:;,\s\"”’]\s*\((?P<credit>[^()\n]{2,60})\)$")
_CREDIT_LABEL_RE = re.compile(
    r"(?:\b(?:Photo|Photograph|Image|Picture|Credit|Photos)\s*(?::|…|\.\.\.|by\b)"
    r"|\b(?:Getty Images|Shutterstock|AFP|Reuters|AP Photo)\s*$"
    r"|\((?:[^()]*\b(?:Photo|Getty|Reuters|AFP|Shutterstock|Credit|Courtesy|Image|Images)\b[^()]*)\)\s*$"
    r"|\b(?:file|handout) (?:photo|image|picture)\b|\bin this (?:photo|image|picture)\b)",
    re.I,
)


_CREDIT_GLUE = wordset("via of and the for by")


def _looks_like_credit(credit: str, before: str) -> bool:
    words = credit.split()
    if not words or len(words) > 7:
        return False
    low = {w.lower().strip(".,/") for w in re.split(r"[\s/]+", credit)}
    if low & _CREDIT_WORDS:
        return True
    letters = [w for w in words if w[:1].isalpha()]
    capitalised = all(
        w[:1].isupper() or w.lower() in ("via", "of", "and", "the", "for") for w in letters
    )
    if not letters or not capitalised or len(words) > 5:
        return False
    # names of people and agencies, not phrases: "(and How It Works)" is no credit
    if any(w.lower() in STOP_WORDS and w.lower() not in _CREDIT_GLUE for w in letters):
        return False
    if len(words) == 1:
        token = words[0]
        # an acronym of the words just before it is an abbreviation, not a credit: "Union (EU)"
        initials = "".join(w[0] for w in before.split()[-len(token) :] if w[:1].isalpha())
        if token.isupper() and initials.upper() == token:
            return False
        return "/" in token or token.isupper() is False
    return True


def split_glued_caption(paragraph: str) -> tuple[str, str] | None:
    """``(caption, rest)`` when a caption ending in a parenthetical credit opens the paragraph.

    The general pattern: text without final punctuation, "(Credit)", then directly a new sentence
    ("... regions highlighted (The Independent) Mr Lukashenko claims ...").
    """
    if "(" not in paragraph[:800]:  # the pattern needs "(" within its first 30-700 characters
        return None
    m = _GLUED_CAPTION_RE.match(paragraph)
    if not m:
        return None
    cap, credit = m.group("cap"), m.group("credit")
    if len(words_of(cap)) < 6 or cap.isupper():
        return None
    if not _looks_like_credit(credit, cap):
        return None
    rest = paragraph[m.end() :]
    if len(words_of(rest)) < 5:
        return None
    return paragraph[: m.end()].rstrip(), rest


def is_caption(paragraph: str) -> bool:
    """True for a photo caption: ends in a parenthetical credit, or carries a credit label."""
    p = paragraph.strip()
    m = _END_CREDIT_RE.search(p)
    if m and _looks_like_credit(m.group("credit"), p[: m.start("credit")]):
        return True
    return bool(_CREDIT_LABEL_RE.search(p)) and len(words_of(p)) <= 60


# --------------------------------------------------------------------------------------------
# residue and spacing
# --------------------------------------------------------------------------------------------

# The first run stops at the first ":" or ";", so an unclosed "{" costs linear time, not quadratic.
_CSS_RULE_RE = re.compile(r"[\w\-\]\)*]\s*\{[^{}:;]*[:;][^{}]*\}")
# "\b" before the assignment pattern: started inside a long word it would backtrack quadratically.
_JS_RE = re.compile(
    r"\bfunction\s*\(|=>|\bvar\s+\w+\s*=|\bwindow\.\w|\bdocument\.\w|\breturn\s*[!(]|\breturn\s+\w+\s*;|"
    r"\b\w+\s*=\s*\w+\s*\|\||\)\s*\{|\};|!important|@media|@font-face|@import|@keyframes"
)


# A sentence of prose around one CSS rule (an article about the web quoting it) keeps at
# least this many words outside the rule; residue keeps a selector or two.
_PROSE_AROUND_A_RULE = 8
_WORD_RE = re.compile(r"[^\W\d_]{2,}")


def _quotes_a_rule(line: str) -> bool:
    return len(_WORD_RE.findall(_CSS_RULE_RE.sub(" ", line))) >= _PROSE_AROUND_A_RULE


def is_code_residue(line: str) -> bool:
    """True for a line of CSS or JavaScript (or similar markup residue) rather than prose."""
    s = line.strip()
    if not s:
        return False
    n = len(s)
    syms = sum(s.count(c) for c in "{};=<>|&")
    if syms or "@" in s or "(" in s:
        css_rules = len(_CSS_RULE_RE.findall(s)) if "{" in s else 0
        quoted = css_rules == 1 and _quotes_a_rule(s)  # its braces are no sign of code
        if css_rules >= 2 or (css_rules == 1 and n < 200 and not quoted):
            return True
        js = len(_JS_RE.findall(s))
        if js >= 2 or (js == 1 and syms >= 3):
            return True
        if n >= 40 and syms / n > 0.04 and not quoted:
            return True
    if n >= 60 and not _CJK_RE.search(s):
        spaces = s.count(" ")
        if spaces == 0 or n / (spaces + 1) > 25:
            return True
    return False


_SPACE_BEFORE_PUNCT_RE = re.compile(r"(?<=[^\s.,;:!?])[ \t]+([.,;:!?]+)(?=[\s\"”’»)\]]|$)")
_SPACE_BEFORE_POSSESSIVE_RE = re.compile(
    r"(?<=\w)[ \t]+(['’](?:s|d|ll|re|ve|m|t)?)(?=[\s.,;:!?)\]]|$)"
)
_SPACE_AFTER_OPEN_RE = re.compile(r"([(\[“])[ \t]+(?=\S)")
_SPACE_BEFORE_CLOSE_RE = re.compile(r"(?<=\S)[ \t]+([)\]”])")


# Every repair below needs one of these pairs; most paragraphs have none (a quick pre-check
# halves the cleaning time: the patterns open with look-behinds, tried at every position).
_SPACING_CANDIDATE_RE = re.compile(r"[ \t][.,;:!?'’)\]”]|[(\[“][ \t]")


def repair_link_spacing(text: str) -> str:
    """Undo the spaces that inline links leave behind.

    ``Russia ’s`` -> ``Russia’s``, ``Putin .`` -> ``Putin.``, ``Belarus ’ southern`` ->
    ``Belarus’ southern``, ``( x )`` -> ``(x)``.
    """
    if not _SPACING_CANDIDATE_RE.search(text):
        return text
    text = _SPACE_BEFORE_POSSESSIVE_RE.sub(r"\1", text)
    text = _SPACE_BEFORE_PUNCT_RE.sub(r"\1", text)
    text = _SPACE_AFTER_OPEN_RE.sub(r"\1", text)
    text = _SPACE_BEFORE_CLOSE_RE.sub(r"\1", text)
    return text


# --------------------------------------------------------------------------------------------
# paragraph-level cleaning
# --------------------------------------------------------------------------------------------


def trim_chrome_edges(paragraph: str) -> str:
    """Remove chrome sentences from the start and the end of a paragraph ("" if all chrome).

    Also strips a "Read more"-style fragment glued before the first kept sentence.
    """
    prev = None
    while prev != paragraph:
        prev = paragraph
        sentences = split_sentences_simple(paragraph)
        while sentences and is_chrome_sentence(sentences[0]):
            sentences.pop(0)
        while sentences and is_chrome_sentence(sentences[-1]):
            sentences.pop()
        paragraph = " ".join(sentences)
        paragraph = strip_leading_cta(paragraph)
    return paragraph


_WS_RE = re.compile(r"[^\S\n]+")
# Zero-width joiner and non-joiner (U+200D, U+200C) carry meaning in Persian, Indic scripts
# and emoji sequences, so they stay.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u2060\ufeff]")


def _paragraphs(text: str) -> Iterator[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    text = text.replace("\u2029", "\n").replace("\x0b", "\n").replace("\x0c", "\n")
    text = text.replace("\x85", "\n")
    text = _CONTROL_RE.sub("", text)
    for line in text.split("\n"):
        line = _WS_RE.sub(" ", line).strip()
        if line:
            yield line


def _clean_paragraph(para: str) -> list[str]:
    """One cleaning pass over one paragraph (already white-space normalised)."""
    if is_code_residue(para):
        return []
    para = repair_link_spacing(para)
    parts: list[str] = []
    glued = split_glued_caption(para)
    while glued is not None:
        parts.append(glued[0])
        para = glued[1]
        glued = split_glued_caption(para)
    parts.append(para)
    out = []
    for part in parts:
        kept = _WS_RE.sub(" ", trim_chrome_edges(part)).strip()
        if kept:
            out.append(kept)
    return out


def _stable_paragraph(para: str) -> list[str]:
    """Clean one paragraph until a fixed point (every step is designed to be stable in one pass;
    the loop guards against interactions)."""
    current = [para]
    for _ in range(5):
        nxt = [q for p in current for q in _clean_paragraph(p)]
        if nxt == current:
            break
        current = nxt
    return current


def clean_text(text: str) -> str:
    """Clean one extracted document; paragraphs separated by exactly one "\\n".

    NFC, white space collapsed, CSS/JS residue lines dropped, inline-link spacing repaired,
    glued photo captions split into their own paragraph, chrome sentences trimmed from paragraph
    starts and ends. Idempotent; never raises on a ``str``.
    """
    text = unicodedata.normalize("NFC", text)
    out: list[str] = []
    for para in _paragraphs(text):
        out.extend(_stable_paragraph(para))
    return "\n".join(out)
