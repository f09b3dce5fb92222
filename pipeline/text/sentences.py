"""Sentence boundary detection with exact character spans.

``split_sentences(text, language="en")`` returns half-open ``(start, end)`` spans into
``text``: whitespace-trimmed, in order, non-overlapping, and together covering every
non-space character.  Line breaks (paragraphs) always end a sentence.

Design (fast enough for tens of MB/s of news text):

1. compiled regexes find *candidate* boundaries: runs of terminal punctuation with their
   closing quotes/brackets, plus a few structural cues (line breaks, bullets, numbered-list
   chains, e-mail timestamps, separator rules, emoticons, news datelines, letter closings);
2. each punctuation candidate is decided by cheap rules on the token before it and the
   word after it, driven by per-language data (:mod:`pipeline.text.languages`): abbreviation
   kinds, sentence starters, first-person forms;
3. the text is cut at the accepted positions and every piece is whitespace-trimmed, so
   nothing but whitespace is ever dropped.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache

from pipeline.text.languages import GENERAL, TIME, TITLE, LanguageRules, get_rules

__all__ = ["split_sentence_texts", "split_sentences"]

_INITIAL = 16  # single capital letter before the period (an initial, or the pronoun "I")

_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_HSPACE = r"[^\S\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]"

# A run of terminal punctuation (a spaced ellipsis ". . ." is one run), its closing quotes
# and brackets, then whitespace or a glued capitalised word ("quality.You'll").  Every
# pattern below starts with a plain character class so that the regex engine can skip
# quickly to the positions worth trying.
_TERMINALS = ".!?…‼⁇⁈⁉؟۔।॥"
_CANDIDATE_REST = (
    f"(?:[{_TERMINALS}]|[ \u00a0](?=[.…]))*"
    r"(?P<c>[\"'”’»›)\]}]*)(?=[^\S\n\r]|[A-Z][a-z])"  # a line break is a boundary anyway
)
# Roman numerals that can number a list ("iii. The third item"): never on the fast path.
_ROMAN_LOOKBEHINDS = r"(?<!\b[ivx][ivx][ivx]\.)(?<!\b[ivx][ivx][ivx][ivx]\.)"


def _candidate_pattern(rules: LanguageRules) -> re.Pattern[str]:
    """Candidate boundaries, with a fast path for the usual sentence end.

    The first alternative accepts ``word. The`` outright: a single terminal after three
    lower-case letters, one space and a capital, unless the token is a known abbreviation
    (excluded by fixed-width look-behinds built from the language data).  Everything else is
    a general candidate decided in Python.
    """
    words: set[str] = set()
    for key in rules.abbreviations:
        words.add(key)
    for key in rules.abbreviations_anycase:
        words.update((key, key.capitalize()))
    by_width: dict[int, list[str]] = {}
    for w in words:
        if len(w) >= 3 and w[-3:].isascii() and w[-3:].isalpha() and w[-3:].islower():
            by_width.setdefault(len(w), []).append(re.escape(w))
    # One look-behind per token width (alternatives in a look-behind must share a width).
    excluded = "".join(
        r"(?<!\b(?:" + "|".join(sorted(ws)) + r")\.)" for _, ws in sorted(by_width.items())
    )
    fast = r"(?<=[a-z][a-z][a-z][.!?])" + _ROMAN_LOOKBEHINDS + excluded + r"(?=[ ][A-Z])(?P<fast>)"
    return re.compile(f"[{_TERMINALS}](?:{fast}|{_CANDIDATE_REST})")


# What follows a candidate: horizontal space, opening quotes/brackets, the next word.
_NEXT = re.compile(_HSPACE + r"*(?P<o>[\"'“‘«‹(\[{¿¡]*)(?P<w>[^\W_](?:[\w]|['’.](?=\w))*)?")
_OPENERS = "\"'“‘«‹([{"
_QUOTES_BRACKETS = frozenset("\"'”’»›)]}")
# Punctuation that continues a sentence: no boundary in front of it.
_CONTINUATION = frozenset(",;:)]}%.!?…")
_MULTI_DOT_ABBR = re.compile(r"(?:[A-Za-z]{1,2}\.)+[A-Za-z]{1,2}")
# Emoticons close the sentence they follow (":)", ";-)", ":P", "<3", "^^").
_EMOTICON = re.compile(r"[:;=](?:['-]?[)(\]\[DPpOo3/\\|*])(?=\s|$)|<3(?=\s|$)|\^_*\^(?=\s|$)")
_EMOTICON_START = frozenset(":;=<^")
_CLOSING_MARKS = "\"'”’»›)]}"
_CLOSING_QUOTES = frozenset("\"'”’»›")
# Up to three capitalised words then a lower-case word: "Mr. Smith asked", "Jones said".
# The attribution must then end within a few words ("Smith asked.", "Smith asked again,").
_ATTRIBUTION = re.compile(
    r"([A-Z][\w'’.-]*)(?:[ \t]+[A-Z][\w'’.-]*){0,2}[ \t]+([a-z]+)(?:[ \t]+[\w'’-]+){0,3}[.,;:!?]"
)
# Emoji (and dingbats) with their modifiers, joiners and the spaces between them.
_EMOJI_RUN = re.compile(
    r"[\u2600-\u27bf\U0001f000-\U0001faff](?:[\u2600-\u27bf\U0001f000-\U0001faff"
    r"\u200d\ufe0f\U0001f3fb-\U0001f3ff]|[ \t](?=[\u2600-\u27bf\U0001f000-\U0001faff]))*"
)
_DASHES = frozenset("-–—")
_DASH_NEXT = re.compile(r"[-–—]+[ \t\u00a0]+(\S)")
_TLDS = frozenset({"com", "net", "org", "edu", "gov", "info", "biz", "co", "uk", "io", "tv"})
_LIST_TOKEN = re.compile(r"\d{1,2}|[a-z]|[ivx]{1,4}")
_BULLETS = "•▪◦‣●⁃"
_SEGMENT_LEAD = " \t\u00a0\u3000*-–—" + _LINE_BREAKS + _BULLETS
_SPACE_OR_BULLET = frozenset(" \t\u00a0\u3000" + _LINE_BREAKS + _BULLETS)

# Structural cues (cut positions that do not come from terminal punctuation), found in one
# scan: line breaks, bullets, full-width CJK terminators, horizontal rules ("-----", "=====",
# "*****", "_____") and a "--" signature mark, emoticons, list numbers ("2. ", "2) ", "2.) ")
# and mail/forum timestamps ("Kay Mann 04/26/2001 07:17 AM Will you ...").  Every alternative
# ends with an empty named group, so ``match.lastgroup`` tells which cue matched.
_CUES = re.compile(
    f"(?P<f>[{_LINE_BREAKS}{_BULLETS}。！？｡=_*~#+:;<^0-9-])"
    f"(?:(?<=[{_LINE_BREAKS}])(?P<nl>)"
    f"|(?<=[{_BULLETS}])(?P<bullet>)"
    r"|(?<=[。！？｡])[。！？｡」』”’）)\]]*(?P<cjk>)"
    r"|(?<=[-=_*~#+])(?:(?P=f){2,}|(?<=-)-(?!-))(?!\S)(?P<rule>)"
    r"|(?<=[:;=])['-]?[)(\]\[DPpOo3/\\|*](?=\s|$)(?P<emo>)"
    r"|(?<=<)3(?=\s|$)(?P<heart>)"
    r"|(?<=\^)_*\^(?=\s|$)(?P<caret>)"
    r"|(?<=[0-9])[0-9]?(?:(?P<s>\.\)|\)|\.)" + _HSPACE + r"+(?=\S)(?P<num>)"
    r"|/[0-9][0-9]?/[0-9][0-9](?:[0-9][0-9])?" + _HSPACE + r"+[0-9][0-9]?:[0-9][0-9]"
    r"(?::[0-9][0-9])?(?:" + _HSPACE + r"*[AaPp]\.?[Mm]\.?)?(?!\w)(?P<ts>)))"
)
_LETTER_MARKER = re.compile(r"\s(?P<v>[a-z])(?P<s>\.\)|\)|\.)" + _HSPACE + r"+(?=\S)")
# News datelines: "KYIV (Reuters) -", "LONDON, Nov 25 (Reuters) -", "TEHRAN (AFP) -".
_DATELINE = re.compile(
    r"[A-Z][A-Z'’.-]+(?:[ ][A-Z][A-Z'’.-]+)*(?:,[ ][A-Z][\w.]*(?:[ ][0-9]{1,2})?)*"
    r"[ ]?\([A-Z][\w&.' /-]{0,30}\)[ ]?(?:[-–—]{1,2}|:)(?=\s)"
)
_DATELINE_AFTER = frozenset('.!?:;"”’)')
# Web addresses and e-mail addresses: a boundary after one when a sentence starter or
# another address follows ("... pages.html It is ...", "a.html http://b ...").
_URL = re.compile(r"https?://[^\s<>\"]+")
_WWW = re.compile(r"www\.[^\s<>\"]+")
_EMAIL = re.compile(r"@[\w-]+(?:\.[\w-]+)+>?")
_ADDRESS_START = ("http://", "https://", "www.")
# A short parenthetical that opens a sentence and is followed by one: a source or credit
# ("(BBC) The ...", "(New Scientist Space) NASA ...", "(CNN) — The ...").
_LEAD_PAREN = re.compile(
    r"\([^()\n.!?]{1,40}\)(?:" + _HSPACE + r"*(?:—|–|--?)(?=[ \t]))?(?=" + _HSPACE + r"+[\"“(A-Z])"
)
# Without an agency, only at the start of a line: "WASHINGTON — The Senate ...".
_DATELINE_BARE = re.compile(
    r"^[A-Z]{3,}(?:[ ][A-Z]{2,})*(?:,[ ][A-Z][a-z.]+)?[ ](?:—|–|--)(?=[ ][\"“A-Z])", re.M
)


def _free_before(text: str, pos: int) -> bool:
    """True when ``pos`` starts the text or follows whitespace or a bullet."""
    return pos == 0 or text[pos - 1] in _SPACE_OR_BULLET or text[pos - 1].isspace()


@dataclass(frozen=True)
class _Compiled:
    rules: LanguageRules
    valediction: re.Pattern[str] | None
    greeting: re.Pattern[str] | None
    valediction_hints: tuple[str, ...]
    greeting_initials: frozenset[str]
    candidate: re.Pattern[str]


@cache
def _compiled(language: str) -> _Compiled:
    rules = get_rules(language)
    val = None
    if rules.valedictions:
        # Literal alternatives only: the engine then skips ahead on their first letters.
        alts = "|".join(re.escape(v) for v in sorted(rules.valedictions, key=len, reverse=True))
        val = re.compile(r"(?:" + alts + r")," + r"(?=" + _HSPACE + r"+[A-Z])")
    greet = None
    if rules.greetings:
        alts = "|".join(re.escape(v) for v in sorted(rules.greetings, key=len, reverse=True))
        greet = re.compile(
            r"(?:" + alts + r")(?:[ ][A-Z][\w'’-]*){0,2}," + r"(?=" + _HSPACE + r"+[A-Z])"
        )
    # Cheap substring tests ("egards,") that must hold before the valediction scan is worth it.
    hints = tuple(sorted({v.split()[-1][1:] + "," for v in rules.valedictions}))
    initials = frozenset(g[0] for g in rules.greetings)
    return _Compiled(rules, val, greet, hints, initials, _candidate_pattern(rules))


def _structural_cuts(text: str, comp: _Compiled) -> list[int]:
    """Cut positions implied by layout rather than punctuation."""
    cuts: list[int] = []
    lines: list[int] = []
    markers: list[tuple[int, int, str]] = []
    for m in _CUES.finditer(text):
        cue = m.lastgroup
        start = m.start()
        if cue == "nl":
            cuts.append(start)
            lines.append(start + 1)
            continue
        if cue == "cjk":
            cuts.append(m.end())
            continue
        before_ch = text[start - 1] if start else " "
        if not (before_ch in _SPACE_OR_BULLET or before_ch.isspace()):
            if cue == "ts" and before_ch in "(<>[":
                cuts.append(m.end())
            continue
        if cue == "bullet":
            cuts.append(start)
        elif cue == "rule":
            size = m.end() - start
            head = text[max(0, start - 4) : start].rstrip(" \t\"'”’")
            opens = not head or head[-1] in _LINE_BREAKS or head[-1] in ".!?:"
            if size == 2:  # "--" only when it opens a line or follows a finished sentence
                after = text[m.end() : m.end() + 3].lstrip(" \t")
                if opens and not after[:1].islower():
                    cuts.append(m.end())
            elif (size >= 10 or opens) and (text[start] != "-" or size > 3):
                # A rule, not a blank to fill in ("the _____ position") or a dash ("---").
                cuts.append(start)
                cuts.append(m.end())
        elif cue == "num":
            value = int(text[start : m.start("s")])
            head = text[max(0, start - 8) : start].rstrip(" \t\u00a0")
            if head and head[-1] in _BULLETS:  # "• 9. The first item": starts at the bullet
                start -= min(start, 8) - len(head) + 1
            markers.append((start, value, "n" + m.group("s")))
        elif cue == "ts":
            cuts.append(m.end())
            before = text[max(0, start - 40) : start].split()
            if not (before and before[-1].isalpha() and before[-1].islower()):
                cuts.append(start)  # not "sent on 04/26/2001 07:17 AM"
        else:  # emoticon
            cuts.append(m.end())
    if "b. " in text or "b) " in text or "b.) " in text:
        for m in _LETTER_MARKER.finditer(" " + text):  # the space lets offset 0 match
            markers.append((m.start(), ord(m.group("v")) - 96, "a" + m.group("s")))
        markers.sort()
    if markers:
        _list_chain_cuts(text, markers, cuts)
    if "(" in text and (") -" in text or ") —" in text or ") –" in text or "):" in text):
        for m in _DATELINE.finditer(text):
            # Datelines open a paragraph (or follow a finished sentence or a colon), so
            # "the WHO (World Health Organization) - led ..." mid-sentence is left alone.
            start = m.start()
            head = text[max(0, start - 3) : start].rstrip(" \t\u00a0")
            if not head or head[-1] in _LINE_BREAKS or head[-1] in _DATELINE_AFTER:
                cuts.append(start)
                cuts.append(m.end())
            elif comp.rules.byline_prefixes:  # "By Jane Doe KYIV (AP) -"
                line_start = text.rfind("\n", max(0, start - 120), start) + 1
                line = text[line_start:start] if line_start or start <= 120 else ""
                if line.startswith(comp.rules.byline_prefixes) and line.count(" ") <= 8:
                    cuts.append(start)
                    cuts.append(m.end())
    if "—" in text or "–" in text or "--" in text:
        cuts.extend(m.end() for m in _DATELINE_BARE.finditer(text))
    if comp.valediction is not None:
        for hint in comp.valediction_hints:
            if hint in text:
                for m in comp.valediction.finditer(text):
                    if _free_before(text, m.start()):
                        cuts.append(m.end())
                break
    if comp.greeting is not None:
        greeting = comp.greeting.match
        first = comp.greeting_initials
        for start in (0, *lines):
            if text[start : start + 1] in first:
                g = greeting(text, start)
                if g is not None:
                    cuts.append(g.end())
    if "@" in text or ("/" in text and "://" in text) or "www." in text:
        _address_cuts(text, comp.rules, cuts)
    return cuts


def _address_cuts(text: str, rules: LanguageRules, cuts: list[int]) -> None:
    """Cut after a web or mail address that ends a unit without punctuation.

    After a URL when a sentence starter or another address follows; after an e-mail address
    (headers, signatures) before any capitalised word.
    """
    ends: list[tuple[int, bool]] = []
    if "://" in text:
        ends.extend((m.end(), False) for m in _URL.finditer(text))
    if "www." in text:
        ends.extend((m.end(), False) for m in _WWW.finditer(text) if _free_before(text, m.start()))
    if "@" in text:
        ends.extend((m.end(), True) for m in _EMAIL.finditer(text))
    for end, email in ends:
        nx = _NEXT.match(text, end)
        if nx is None or nx.start("o") == end or nx.end("o") != nx.start("o"):
            continue  # glued to more text, or followed by a quote/bracket
        word = nx.group("w") or ""
        if (
            word in rules.sentence_starters
            or (email and word[:1].isupper())
            or text.startswith(_ADDRESS_START, nx.start("o"))
        ):
            cuts.append(end)


def _list_chain_cuts(text: str, markers: list[tuple[int, int, str]], cuts: list[int]) -> None:
    """Cut before numbered/lettered list items that form a chain (1 … 2 …, a … b …).

    Not inside a running enumeration: "three parts: 1) cut taxes, 2) raise spending and 3) ...".
    """
    last: dict[str, tuple[int, int]] = {}
    for start, value, style in markers:
        prev = last.get(style)
        if prev is not None and prev[0] + 1 == value and start - prev[1] < 400:
            for pos in (prev[1], start):
                head = text[max(0, pos - 6) : pos].rstrip(" \t\u00a0")
                if not (head.endswith((",", ";", ":", " and", " or")) or head == "and"):
                    cuts.append(pos)
        last[style] = (value, start)


def _token_before(text: str, pos: int) -> str:
    chunk = text[max(0, pos - 40) : pos]
    if not chunk or chunk[-1].isspace():
        return ""
    return chunk.rsplit(None, 1)[-1].lstrip(_OPENERS)


def _word_before(text: str, pos: int) -> str:
    """The whitespace-delimited token ending before the token that ends at ``pos``."""
    parts = text[max(0, pos - 60) : pos].split()
    return parts[-2] if len(parts) >= 2 else ""


def _is_url_or_email(token: str) -> bool:
    return "@" in token or "://" in token or token[:4].lower() == "www."


def _is_attribution(text: str, pos: int, rules: LanguageRules) -> bool:
    """``“Why?” Mr. Smith asked.``: capitalised name words, then a speech verb."""
    a = _ATTRIBUTION.match(text, pos)
    if a is None or a.group(2) not in rules.speech_verbs:
        return False
    return a.group(1) not in rules.sentence_starters


def _opens_segment(text: str, seg_start: int, pos: int) -> bool:
    """Only whitespace, bullets or dashes between the sentence start and ``pos``."""
    return pos - seg_start < 32 and not text[seg_start:pos].strip(_SEGMENT_LEAD)


def _segment_start(extra: list[int], last_cut: int, pos: int) -> int:
    """Start of the sentence containing ``pos``: the last cut at or before it."""
    i = bisect_right(extra, pos)
    return max(last_cut, extra[i - 1] if i else 0)


def _cut_positions(text: str, comp: _Compiled) -> list[int]:
    """Sorted positions where ``text`` is cut into sentences (before trimming)."""
    rules = comp.rules
    extra = sorted(_structural_cuts(text, comp))
    cuts: list[int] = []
    last_cut = 0
    n = len(text)
    starters = rules.sentence_starters
    next_match = _NEXT.match
    for m in comp.candidate.finditer(text):
        end = m.end()
        if m.lastgroup == "fast":
            cuts.append(end)
            last_cut = end
            continue
        nx = next_match(text, end)
        assert nx is not None  # the pattern can match the empty string
        opos = nx.start(1)
        if opos >= n or text[opos] in _LINE_BREAKS:
            continue  # the line break (or the end of the text) is the boundary already
        wpos = nx.end(1)
        ch = text[wpos] if wpos < n else ""
        glued = opos == end
        tstart = m.start()
        t = text[tstart : m.start("c")]
        cut = end
        if ch in _EMOTICON_START and _EMOTICON.match(text, opos):
            continue  # the emoticon belongs to this sentence and ends it
        if ch >= "\u2600" and _EMOJI_RUN.match(text, opos):
            # "Great! 😀 See you": the emoji closes this sentence; cut after it instead.
            run = _EMOJI_RUN.match(text, opos)
            assert run is not None
            run_end = run.end()
            if run_end < n and text[run_end].isspace():
                nxt = text[run_end : run_end + 4].lstrip(" \t\u00a0")
                if nxt and nxt[0] not in _LINE_BREAKS and not nxt[0].islower():
                    cuts.append(run_end)
                    last_cut = run_end
            continue
        if ch in _DASHES:
            dash = _DASH_NEXT.match(text, wpos)
            if dash is not None and dash.group(1).islower():
                continue  # "lots of it! -- to wonder": the dash carries the sentence on
        if t[0] in "!?‼⁇⁈⁉؟":
            if glued or (tstart and text[tstart - 1] == ":"):
                ok = False  # "foo!Bar", "Fax:? 203" (a mangled space)
            elif ch.islower():
                closers = m.group("c")
                if closers and closers[-1] in _QUOTES_BRACKETS:
                    ok = False
                elif "?" in t or "⁇" in t or "؟" in t:
                    ok = rules.question_before_lowercase
                else:
                    tok = _token_before(text, tstart)
                    ok = (
                        rules.lowercase_sentence_starts
                        and tok.isalpha()
                        and tok.islower()
                        and tok.isascii()
                    )
            else:
                closers = m.group("c")
                ok = not (
                    closers
                    and closers[-1] in _CLOSING_QUOTES
                    and ch.isupper()
                    and _is_attribution(text, wpos, rules)
                )
        elif len(t) > 1 or t == "…":
            prev = text[tstart - 1] if tstart else ""
            word = nx.group("w") or ""
            if text.startswith(_ADDRESS_START, opos):
                ok = True  # "... http://...": an address is a unit of its own
            elif (
                prev in "[("
                or ch.islower()
                or word in rules.first_person
                or word in rules.ellipsis_continuations
                or _opens_segment(text, _segment_start(extra, last_cut, tstart), tstart)
            ):
                ok = False  # "[...]", "... and", "... I mean", "... But", a leading "..."
            elif ch.isalnum() or wpos > opos:
                ok = True
                if (
                    t[0] == "."
                    and len(t) > 2
                    and t[1] == " "
                    and t.count(".") >= 4
                    and prev
                    and not prev.isspace()
                ):
                    cut = tstart + 1  # "words. . . . Next": the period ends, ". . ." opens
            else:
                ok = False
        else:
            ok = _decide_period(text, m, nx, ch, glued, extra, last_cut, rules, starters)
        if ok:
            cuts.append(cut)
            last_cut = cut
    if extra:
        cuts.extend(extra)
        cuts = sorted(set(cuts))
    if "(" in text:
        _lead_paren_cuts(text, cuts)
    return cuts


def _lead_paren_cuts(text: str, cuts: list[int]) -> None:
    """Cut after a short parenthetical that opens a sentence ("(BBC) The ...")."""
    found: list[int] = []
    cut_set: set[int] | None = None
    for m in _LEAD_PAREN.finditer(text):
        j = m.start()
        while j and text[j - 1] in " \t\u00a0":
            j -= 1
        if j and text[j - 1] not in _LINE_BREAKS:
            if cut_set is None:
                cut_set = set(cuts).union(found)
            if j not in cut_set:
                continue
        if m.group().count(" ") < 6:
            found.append(m.end())
            if cut_set is not None:
                cut_set.add(m.end())  # "(Hat Tip: X) (BBC) The ...": credits can follow each other
    if found:
        cuts.extend(found)
        cuts.sort()


def _decide_period(
    text: str,
    m: re.Match[str],
    nx: re.Match[str],
    ch: str,
    glued: bool,
    extra: list[int],
    last_cut: int,
    rules: LanguageRules,
    starters: frozenset[str],
) -> bool:
    tstart = m.start()
    tok = _token_before(text, tstart)
    if not tok:
        return not (ch.islower() or ch in _CONTINUATION)
    if _is_url_or_email(tok):
        kind = 0
    else:
        kind = rules.abbreviations.get(tok) or rules.abbreviations_anycase.get(tok.lower(), 0)
        if not kind:
            if len(tok) == 1 and tok.isalpha():
                kind = _INITIAL if tok.isupper() else GENERAL
            elif "." in tok and _MULTI_DOT_ABBR.fullmatch(tok):
                kind = GENERAL
    if len(tok) <= 6 and _LIST_TOKEN.fullmatch(tok.lstrip(_SEGMENT_LEAD)):
        seg_start = _segment_start(extra, last_cut, tstart)
        if _opens_segment(text, seg_start, tstart - len(tok)):
            return False  # "2. The second item": a list number, not a sentence end
    if glued:
        if kind or len(tok) < 2 or not tok[-2:].isalpha() or not tok[-2:].islower():
            return False
        tail = text[tstart : tstart + 60].split(None, 1)
        if not tail or _is_url_or_email(tok + tail[0]):
            return False
        word = nx.group("w") or ""
        return word.lower() not in _TLDS  # "Newsfeed.Com"
    # The word itself, without brackets or quotes closed before the period: "(5 combined)."
    bare = tok.rstrip(_CLOSING_MARKS) if tok[-1] in _CLOSING_MARKS else tok
    if ch.islower():
        closers = m.group("c")
        return (
            not (closers and closers[-1] in _QUOTES_BRACKETS)
            and not kind
            and rules.lowercase_sentence_starts
            and len(bare) >= 2
            and bare.isalpha()
            and bare.islower()
            and bare.isascii()
        )
    if ch.isdigit():  # "this week. 2005 is ...", but not "hal. 41" (an unknown abbreviation)
        return not kind and bare.isalpha() and (len(bare) > 3 or bare[0].isupper())
    word = nx.group("w") or ""
    if not ch.isalpha():
        if nx.end("o") > nx.start("o") and not word:
            return not kind  # an opening quote/bracket before a non-letter
        if kind:
            return False
        return ch not in _CONTINUATION
    # A capitalised (or uncased) word follows.
    if not kind:
        return True
    if kind & TITLE:
        if tok.lower() in rules.street_titles:
            before = _word_before(text, tstart)
            if before[:1].isupper() or before[:1].isdigit():
                return _starts_sentence(text, nx, word, starters)  # "Main St. The ..."
        return False
    if kind == _INITIAL:
        if tok in rules.first_person:
            before = _word_before(text, tstart)
            if before[:1].islower():
                return True  # "you and I. Did ..."
        return _starts_sentence(text, nx, word, starters)
    if _starts_sentence(text, nx, word, starters) or tok.lower() in rules.final_abbreviations:
        return True
    if kind & TIME and rules.kind(word) & TITLE:
        seg_start = max(_segment_start(extra, last_cut, tstart), tstart - 200)
        return text.count(" ", seg_start, tstart) + 1 >= rules.title_min_words
    return False


def _starts_sentence(text: str, nx: re.Match[str], word: str, starters: frozenset[str]) -> bool:
    if word not in starters:
        return False
    after = nx.end("w")
    # "A. A. Milne": a single letter followed by a period is an initial, not the article.
    return not (len(word) == 1 and text[after : after + 1] == ".")


def split_sentences(text: str, language: str = "en") -> list[tuple[int, int]]:
    """Half-open, whitespace-trimmed spans of the sentences of ``text``, in order.

    Every non-whitespace character of ``text`` lies in exactly one span.  Line breaks are
    always boundaries.  ``language`` is an ISO 639 code; languages without a data module in
    :mod:`pipeline.text.languages` only split at line breaks and plain terminal punctuation.
    """
    if not text:
        return []
    comp = _compiled(language)
    spans: list[tuple[int, int]] = []
    prev = 0
    for cut in [*_cut_positions(text, comp), len(text)]:
        if cut <= prev:
            continue
        a, b = prev, cut
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            spans.append((a, b))
        prev = cut
    return spans


def split_sentence_texts(text: str, language: str = "en") -> list[str]:
    """The sentence strings of ``text`` (see :func:`split_sentences`)."""
    return [text[a:b] for a, b in split_sentences(text, language)]
