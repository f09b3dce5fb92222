"""Words: the one word pattern, word counts and the general stop-word lexicon of text cleaning.

Shared by :mod:`pipeline.text.chrome`, :mod:`pipeline.text.captions` and
:mod:`pipeline.text.dumps`, so they all count the same words. A word is a run of letters (no
digits, no underscore) with inner apostrophes; CJK text counts one word per two characters.
Every function here is total on arbitrary Unicode."""

from __future__ import annotations

import re

__all__ = [
    "CJK_RE",
    "PUBLISHED_WORD_PATTERN",
    "STOP_WORDS",
    "WORD_RE",
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

# A word: letters, with inner apostrophes ("it's", "l’homme" are one word each).
WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uff00-\uffef]")


# WORD_RE restricted to ASCII, where its letters are [A-Za-z]: a plain character set is much
# faster to match than the Unicode categories of "[^\W\d_]"
_ASCII_WORD_RE = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")


def words_of(text: str) -> list[str]:
    """The words (runs of letters with inner apostrophes) of ``text``."""
    return (_ASCII_WORD_RE if text.isascii() else WORD_RE).findall(text)


def word_count(text: str, words: list[str] | None = None) -> int:
    """Number of words of ``text``; CJK characters count one word per two characters."""
    if words is None:
        words = words_of(text)
    if text.isascii():  # (no CJK character is)
        return len(words)
    cjk = len(CJK_RE.findall(text))
    if not cjk:
        return len(words)
    return sum(1 for w in words if not CJK_RE.search(w)) + (cjk + 1) // 2


# The words counted in the published tables (``n_words``; Polars/Rust regex syntax, counted with
# ``str.count_matches``): runs of letters, marks and digits with inner apostrophes, and each
# Chinese or Japanese character on its own (those scripts write no spaces between words).
_CJK_CLASS = r"[\p{Han}\p{Hiragana}\p{Katakana}]"
_WORD_CLASS = rf"[[\p{{L}}\p{{M}}\p{{N}}]--{_CJK_CLASS}]"
PUBLISHED_WORD_PATTERN = rf"{_CJK_CLASS}|{_WORD_CLASS}+(?:['’]{_WORD_CLASS}+)*"
