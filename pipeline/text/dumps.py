"""Main text and headline of page text dumps.

A page text dump is the rendered text of a web page, one line per block element, inline elements
joined by single spaces (so links leave "Russia ’s" and "Putin ."), often with the page's CSS on the
first line and with page chrome glued onto article paragraphs.

The extractor works on general signals only, never on one site's strings:

1. drop CSS/JS residue lines, repair inline-link spacing;
2. score every line as content or chrome from its length, stop-word ratio, terminal punctuation,
   title-case ratio, repetition in the page, and the share of its words that sit in chrome
   sentences (:func:`pipeline.text.chrome.chrome_score`: reader address, calls to action, UI
   words);
3. take the densest run of content lines (maximum-sum segment of the line scores), so menus,
   teasers and footers around the article fall away while short headings inside it survive;
4. inside the run, drop captions (glued ones are split off first), and trim chrome sentences and
   "Read more" glue from the edges of each paragraph;
5. pick the headline among the lines just above the run (headline-shaped, near the body, repeated
   elsewhere on the page), and cut off a leading breadcrumb and a glued standfirst.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from pipeline.text.captions import is_caption, split_glued_caption
from pipeline.text.chrome import (
    chrome_score,
    split_sentences_simple,
    strip_leading_cta,
    trim_chrome_edges,
)
from pipeline.text.cleaning import repair_link_spacing
from pipeline.text.months import ENGLISH_MONTHS
from pipeline.text.residue import is_code_residue
from pipeline.text.words import STOP_WORDS, word_count, words_of, wordset

__all__ = ["DumpExtraction", "extract_page_dump", "looks_like_page_dump"]


@dataclass(frozen=True)
class DumpExtraction:
    title: str | None
    text: str  # article body, paragraphs separated by "\n"


_TAG_RE = re.compile(
    r"<(?:!doctype|html|head|body|div|p|span|a|meta|script|link|br|img|table)\b", re.I
)


_DOC_START_RE = re.compile(
    r"\s*(?:<!--.*?-->\s*)*<(?:\?xml|!doctype|html|head|body|script|style|meta|link|title)\b",
    re.I | re.S,
)


def looks_like_page_dump(text: str) -> bool:
    """True when ``text`` is a plain-text rendering of a web page rather than HTML markup.

    HTML opens with a doctype or a root tag, or has tags on a good share of its lines; a dump
    may still quote a tag or two in its prose or carry them inside its CSS line.
    """
    head = text[:20000].lstrip("\ufeff")
    if _DOC_START_RE.match(head[:4096]):
        return False
    lines = [line for line in head.splitlines() if line.strip()]
    prose = [line for line in lines if not is_code_residue(line)]
    tags = sum(len(_TAG_RE.findall(line)) for line in prose)
    if not prose:
        # a single long line: markup if it is dense with tags
        return len(_TAG_RE.findall(head)) < 3
    return tags < 3 or tags < 0.2 * len(prose)


# --------------------------------------------------------------------------------------------
# line features
# --------------------------------------------------------------------------------------------

_TERMINAL_RE = re.compile(r"[.!?…。！？][\"”’»)\]」』]*$")


@dataclass
class _Line:
    text: str
    words: int
    stop_ratio: float
    terminal: bool
    title_ratio: float
    chrome_frac: float
    repeated: bool
    punctuated: int
    max_chrome: float
    headline_case: int
    value: float = 0.0


def _title_ratio(words: list[str]) -> float:
    content = [w for w in words if w.lower() not in STOP_WORDS]
    if not content:
        return 0.0
    return sum(1 for w in content if w[:1].isupper()) / len(content)


def _chrome_fraction(text: str) -> tuple[float, float]:
    """Share of the words in chrome sentences (half weight for doubtful ones), and the top score."""
    sentences = split_sentences_simple(text)
    total = 0
    chrome = 0.0
    top = 0.0
    for s in sentences:
        n = max(1, word_count(s))
        total += n
        score = chrome_score(s)
        top = max(top, score)
        if score >= 1.5:
            chrome += n
        elif score >= 0.8:
            chrome += n / 2
    return (chrome / total if total else 1.0), top


_PUNCT_RE = re.compile(r"[.,;:!?。、，！？]")


_FUNCTION_WORDS = wordset(
    """in of to at for with on by from about after before into over and or but is are was be as
    its his her their will can has have off out up down than that this"""
)


def _headline_case(words: list[str]) -> int:
    """Capitalised function words inside a line ("Bill At Troy", "Fails To Rally"): headline style,
    a sign of teaser titles glued to their summaries. The first word is not counted."""
    return sum(
        1 for w in words[1:] if w[:1].isupper() and w[1:].islower() and w.lower() in _FUNCTION_WORDS
    )


def _features(lines: list[str]) -> list[_Line]:
    counts = Counter(lines)
    seen: set[str] = set()
    out = []
    for line in lines:
        words = words_of(line)
        n = word_count(line, words)
        # short lines met twice are menus and labels; a long one is content rendered twice
        # (responsive layouts), kept at its first occurrence
        repeated = counts[line] > 1 and (n < 15 or line in seen)
        seen.add(line)
        stops = sum(1 for w in words if w.lower() in STOP_WORDS)
        frac, top = _chrome_fraction(line)
        out.append(
            _Line(
                text=line,
                words=n,
                stop_ratio=stops / n if n else 0.0,
                terminal=bool(_TERMINAL_RE.search(line)),
                title_ratio=_title_ratio(words),
                chrome_frac=frac,
                max_chrome=top,
                headline_case=_headline_case(words),
                repeated=repeated,
                punctuated=len(_PUNCT_RE.findall(line)),
            )
        )
    return out


def _is_good(line: _Line, min_stop: float) -> bool:
    if line.chrome_frac >= 0.5 or line.repeated:
        return False
    if line.headline_case >= 3 and line.headline_case >= 0.04 * line.words:
        return False
    if line.words < 10 or line.stop_ratio < min_stop:
        return False
    if not line.terminal and not (line.words >= 20 and line.punctuated >= 2):
        return False
    return line.title_ratio < 0.8 or line.words >= 30


def _is_near_good(line: _Line, min_stop: float) -> bool:
    if line.chrome_frac >= 0.5 or line.repeated:
        return False
    return line.words >= 5 and line.terminal and line.stop_ratio >= min_stop * 0.7


def _is_list_item(line: _Line, min_stop: float) -> bool:
    """A prose-like line without final punctuation: checklist item, table row, step."""
    return (
        line.words >= 6
        and line.stop_ratio >= min_stop
        and line.max_chrome < 1.5
        and line.headline_case < 2
        and not line.text.endswith(":")
    )


def _score_lines(feats: list[_Line]) -> float:
    """Set each line's value for the densest-run search; returns the stop-ratio floor used."""
    prose = [f for f in feats if f.words >= 10 and f.terminal]
    total = sum(f.words for f in prose)
    stops = sum(f.stop_ratio * f.words for f in prose)
    # pages not in a language of the stop list: rely on length and punctuation only
    min_stop = 0.2 if total and stops / total >= 0.15 else 0.0
    for f in feats:
        if _is_good(f, min_stop):
            f.value = 1.0 + min(f.words, 80) / 12
        elif _is_near_good(f, min_stop):
            f.value = 0.3
        elif f.chrome_frac >= 0.5 and f.max_chrome >= 1.5:
            # a wall between runs, but a softer one for long lines half made of calls to action
            # (often product copy) and for a lone label ("Advertisement") between paragraphs
            f.value = -1.0 if f.words <= 2 or (f.words > 20 and f.chrome_frac < 0.8) else -2.5
        elif f.repeated:
            f.value = -1.0
        elif _is_list_item(f, min_stop):
            f.value = 0.0  # neutral: lists inside an article do not break its run
        else:
            f.value = -0.5
    return min_stop


def _densest_run(values: list[float], lo: int, hi: int) -> tuple[float, int, int]:
    """Maximum-sum contiguous segment of ``values[lo:hi]``: ``(sum, start, end)`` (Kadane)."""
    best, best_span = 0.0, (lo, lo)
    cur, cur_start = 0.0, lo
    for i in range(lo, hi):
        v = values[i]
        if cur <= 0:
            cur, cur_start = v, i
        else:
            cur += v
        if cur > best:
            best, best_span = cur, (cur_start, i + 1)
    return best, best_span[0], best_span[1]


def _runs(values: list[float]) -> list[tuple[float, int, int]]:
    """Disjoint dense runs: the densest one, then recursively the densest left and right of it."""
    out: list[tuple[float, int, int]] = []
    todo = [(0, len(values))]
    while todo:
        lo, hi = todo.pop()
        if hi <= lo:
            continue
        total, start, end = _densest_run(values, lo, hi)
        if total <= 0 or end <= start:
            continue
        out.append((total, start, end))
        todo.extend([(lo, start), (end, hi)])
    return sorted(out, key=lambda r: r[1])


_COMMENT_WORDS = wordset("comment comments reply replies responses response discussion")


_COMMENT_COUNT_RE = re.compile(
    r"^\W*\d+\s+(?:comments?|responses?|replies|thoughts|reactions)\b", re.I
)


def _is_comment_marker(line: _Line) -> bool:
    """A short heading that opens a reader-comment section ("Comments", "167 comments")."""
    if _COMMENT_COUNT_RE.match(line.text) and line.words <= 20:
        return True
    if line.words > 5 or line.words == 0:
        return False
    return any(w.lower() in _COMMENT_WORDS for w in words_of(line.text))


def _coherence(feats: list[_Line], start: int, end: int, min_stop: float) -> float:
    """Share of the run's good lines that touch another good line: an article's paragraphs follow
    each other, teaser lists and comment threads interleave them with titles, names and dates."""
    good = [i for i in range(start, end) if _is_good(feats[i], min_stop)]
    if len(good) <= 1:
        return 1.0
    goods = set(good)
    touching = sum(1 for i in good if i - 1 in goods or i + 1 in goods)
    return touching / len(good)


_MONTHS = "|".join(sorted(ENGLISH_MONTHS))
_DATELINE_RE = re.compile(
    rf"\b(?:{_MONTHS})\.?\s+\d{{1,2}}\b|\b\d{{1,2}}\s+(?:{_MONTHS})\b|\b\d{{1,4}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}\b"
    r"|\b\d+\s+(?:minutes?|hours?|days?)\s+ago\b|^(?:by|posted|published|updated)\b",
    re.I,
)


def _is_dateline(line: _Line) -> bool:
    """A byline or date line, as printed under a headline."""
    return line.words <= 15 and not line.terminal and bool(_DATELINE_RE.search(line.text))


def _choose_run(feats: list[_Line], min_stop: float) -> tuple[int, int]:
    """The article's run: the earliest dense run that is not much weaker than the best one,
    weighing runs by coherence and discounting those after a comment-section heading."""
    runs = _runs([f.value for f in feats])
    if not runs:
        return 0, 0
    first_marker = next((i for i, f in enumerate(feats) if _is_comment_marker(f)), len(feats))
    weighted = []
    for total, start, end in runs:
        w = total * (0.4 + 0.6 * _coherence(feats, start, end, min_stop))
        if start > first_marker:
            w *= 0.5
        weighted.append((w, start, end))
    best = max(w for w, _, _ in weighted)
    for w, start, end in weighted:
        if w >= 0.6 * best:
            # a comment section inside the run ends the article
            for i in range(start + 1, end):
                if _is_comment_marker(feats[i]):
                    end = i
                    break
            return start, end
    return 0, 0


def _suspicious(line: _Line) -> bool:
    """A line in which a sizeable share of the words sits in chrome sentences."""
    return line.chrome_frac >= 0.3


def _peel(feats: list[_Line], start: int, end: int, min_stop: float) -> tuple[int, int]:
    """Shrink the run while its first/last line is not solid content (the edges of an article
    are where appeals, standfirsts glued to headlines and sign-off prompts sit)."""
    while start < end and not _solid(feats[start], min_stop):
        start += 1
    while end > start and not _solid(feats[end - 1], min_stop):
        end -= 1
    return start, end


def _solid(line: _Line, min_stop: float) -> bool:
    if _suspicious(line):
        return False
    return _is_good(line, min_stop) or _is_near_good(line, min_stop)


def _is_inner(line: _Line) -> bool:
    """A line inside the article's run worth keeping though not prose: list item, table row."""
    return (
        line.words >= 3
        and not line.repeated
        and not _is_dateline(line)
        and line.max_chrome < 1.5
        and (line.headline_case < 2 or line.headline_case < 0.04 * line.words)
        and not is_caption(line.text)
    )


def _is_heading(line: _Line) -> bool:
    """A short line shaped like a section heading (kept between two paragraphs)."""
    return (
        1 <= line.words <= 15
        and not line.repeated
        and line.text[:1].isupper()
        and line.max_chrome < 1.5
        and not line.text.endswith((":", ",", "|"))
        and not is_caption(line.text)
    )


# --------------------------------------------------------------------------------------------
# body
# --------------------------------------------------------------------------------------------


def _clean_paragraph(text: str) -> str:
    """A kept line without glued captions, caption lines and chrome at its edges."""
    glued = split_glued_caption(text)
    while glued is not None:
        text = glued[1]
        glued = split_glued_caption(text)
    if is_caption(text):
        return ""
    return trim_chrome_edges(text).strip()


def _body(feats: list[_Line], start: int, end: int, min_stop: float) -> list[str]:
    """The paragraphs of the run: prose, list items, and headings between prose."""
    out: list[str] = []
    for i in range(start, end):
        f = feats[i]
        keep = _is_good(f, min_stop) or _is_near_good(f, min_stop)
        if not keep and _is_inner(f):
            keep = True
        elif not keep and _is_heading(f):
            nxt = feats[i + 1] if i + 1 < end else None
            prv = feats[i - 1] if i > start else None
            keep = (
                nxt is not None
                and _is_good(nxt, min_stop)
                and prv is not None
                and (_is_good(prv, min_stop) or _is_near_good(prv, min_stop))
            )
        if not keep:
            continue
        para = _clean_paragraph(f.text)
        if para:
            out.append(para)
    return out


# --------------------------------------------------------------------------------------------
# title
# --------------------------------------------------------------------------------------------

# generic section names of news sites, met in breadcrumbs before the headline
_SECTIONS = wordset(
    """news home world europe uk us usa asia africa americas australia politics business sport
    sports opinion tech technology science health culture lifestyle life travel money markets
    economy environment climate arts books film music entertainment education local national
    international latest video videos live analysis features comment world-news uk-news us-news
    middle east section sections region regions"""
)
_BREADCRUMB_SEP_RE = re.compile(r"\s*(?:[>›»/|·•]|::)\s*")
# a headline glued to its standfirst: a closing quote or "?!" followed by a capital, or a
# lower-case word followed by a capitalised function word ("... warning The energy group")
_STANDFIRST_SPLIT_RE = re.compile(
    r"(?<=[’”\"?!)])\s+(?=[A-Z][a-z])|(?<=[a-z,])\s+(?=[A-Z][a-z]*\b)"
)


def _strip_breadcrumb(title: str) -> str:
    parts = [p for p in _BREADCRUMB_SEP_RE.split(title) if p]
    if len(parts) > 1 and all(len(p.split()) <= 3 for p in parts[:-1]):
        title = parts[-1]
    words = title.split()
    i = 0
    while i < len(words) - 3 and words[i].lower().strip(":") in _SECTIONS:
        if words[i].endswith(":"):
            break
        i += 1
    return " ".join(words[i:])


def _strip_standfirst(title: str) -> str:
    words = words_of(title)
    if len(words) <= 14:
        return title
    for m in _STANDFIRST_SPLIT_RE.finditer(title):
        head, tail = title[: m.start()], title[m.end() :]
        if not (4 <= len(words_of(head)) <= 25 and len(words_of(tail)) >= 5):
            continue
        first = tail.split(None, 1)[0]
        if title[m.start() - 1] in '’”"?!)' or first.lower() in STOP_WORDS:
            return head.strip()
    return title


_BYLINE_RE = re.compile(
    r"^(?:by\b|by:|written by|words by|fact[- ]checked|reviewed by|medically reviewed|posted|"
    r"published|updated|last updated|photo|image|credit|advertisement|sponsored)",
    re.I,
)


def _title_score(feats: list[_Line], i: int, distance: int, all_text: str) -> float:
    line = feats[i]
    if line.words < 2 or line.words > 40 or line.max_chrome >= 1.5:
        return -1.0
    text = line.text
    if is_caption(text) or _BYLINE_RE.match(text) or _is_dateline(line):
        return -1.0
    score = 1.0
    if line.words >= 4:
        score += 1.0
    if line.words > 25:
        score -= 1.0
    if text.endswith("."):
        score -= 1.5
    if text.endswith((":", ",", ";")):
        score -= 1.0
    if re.search(r"\d{1,2}:\d{2}|\b(?:19|20)\d{2}\b", text) and line.words < 5:
        score -= 1.0
    if line.repeated:
        score -= 0.5
    # a heading with prose right above it is a section heading inside the article
    if any(f.value > 1.0 for f in feats[max(0, i - 2) : i]):
        score -= 1.0
    # the headline usually sits right above the byline and date
    if any(_is_dateline(f) or _BYLINE_RE.match(f.text) for f in feats[i + 1 : i + 4]):
        score += 0.7
    # the headline often recurs inside a longer line (document bar, share text, breadcrumb)
    if line.words >= 4 and all_text.count(text) > 1:
        score += 1.0
    score -= 0.1 * distance
    return score


def _find_title(feats: list[_Line], start: int) -> str | None:
    if not feats:
        return None
    all_text = "\n".join(f.text for f in feats)
    lo = max(0, start - 30)
    scored: list[tuple[float, int]] = []
    for i in range(lo, min(start + 1, len(feats))):
        if i == start and i < len(feats) and _is_good(feats[i], 0.0):
            continue
        s = _title_score(feats, i, start - i, all_text)
        if s > 0:
            scored.append((s, i))
    if not scored:
        return None
    # ties go to the earliest candidate: the headline comes before its standfirst
    top = max(s for s, _ in scored)
    best = min((i, s) for s, i in scored if s >= top - TITLE_TIE)[::-1]
    title = _strip_standfirst(_strip_breadcrumb(feats[best[1]].text))
    return title or None


TITLE_TIE = 0.0

# --------------------------------------------------------------------------------------------


def extract_page_dump(text: str) -> DumpExtraction:
    """Headline and article body of a page text dump (body paragraphs separated by "\\n")."""
    lines: list[str] = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line or is_code_residue(line):
            continue
        lines.append(strip_leading_cta(repair_link_spacing(line)))
    if not lines:
        return DumpExtraction(title=None, text="")
    feats = _features(lines)
    min_stop = _score_lines(feats)
    start, end = _choose_run(feats, min_stop)
    start, end = _peel(feats, start, end, min_stop)
    body = _body(feats, start, end, min_stop) if end > start else []
    title = _find_title(feats, start)
    return DumpExtraction(title=title, text="\n".join(body))
