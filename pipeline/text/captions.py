"""Photo captions: captions glued in front of a paragraph, and caption/photo-credit detection.

A caption is recognised by its photo credit: a parenthetical credit at its end ("(Getty Images)",
"(The Independent)") that looks like the name of an agency or of people, not a phrase or an
abbreviation of the words before it ("Union (EU)"), or a credit label ("Photo:", "AP Photo").
Used by :mod:`pipeline.text.cleaning` and :mod:`pipeline.text.dumps`. Every function here is total
on arbitrary Unicode; :func:`split_glued_caption` loses no character but the white space at the cut.
"""

from __future__ import annotations

import re

from pipeline.text.words import STOP_WORDS, words_of, wordset

__all__ = ["is_caption", "split_glued_caption"]

# agencies and words of photo credits
_CREDIT_WORDS: frozenset[str] = wordset(
    """photo photos photograph photographs image images picture pictures getty reuters afp ap pa
    epa shutterstock alamy credit courtesy handout file supplied via istock istockphoto
    bloomberg xinhua dpa anadolu sipa zuma wireimage filmmagic rex"""
)

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
