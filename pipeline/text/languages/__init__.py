"""Per-language data for the sentence segmenter (:mod:`pipeline.text.sentences`).

Each language is a module ``pipeline.text.languages.<code>`` that exposes ``RULES``, a
:class:`LanguageRules` value holding only *data* (abbreviation lists, sentence starters, ...).
The segmentation engine is shared; adding a language means adding a data module.  Unknown
languages get :data:`GENERIC`, which knows no abbreviations and therefore only splits at
paragraph breaks and plain terminal punctuation followed by a non-lowercase start.

To add a language (say German, ``de``): create ``pipeline/text/languages/de.py`` defining
``RULES = LanguageRules(code="de", ...)`` with its abbreviations (``"z.B"``, ``"usw"``,
``"Nr"`` ... mapped to :data:`TITLE` / :data:`GENERAL` / :data:`NUMERIC` / :data:`TIME`), its
sentence starters (``Der``, ``Die``, ``Das``, ``Er`` ...) and, if wanted, its first-person
forms, speech verbs, bylines and letter closings; turn ``lowercase_sentence_starts`` on only
once the abbreviation list is good enough that a period after an unknown lower-case word is
nearly always a sentence end.  ``split_sentences(text, "de")`` then picks it up.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from functools import cache

# Abbreviation kinds (bit flags).
TITLE = 1
"""Written before a name (``Mr.``, ``Gen.``, ``e.g.``): never ends a sentence before a capital."""
GENERAL = 2
"""May end a sentence (``Inc.``, ``U.S.``): split only before a typical sentence starter."""
NUMERIC = 4
"""Usually followed by a number (``No.``, ``p.``, ``Jan.``): never split before a digit."""
TIME = 8
"""Clock-time suffix (``a.m.``): also splits before a title once the clause is long enough."""

_LANG_CODE = re.compile(r"[a-z]{2,3}")


@dataclass(frozen=True)
class LanguageRules:
    """Data driving the segmenter for one language.

    ``abbreviations`` maps an abbreviation written without its final period (inner periods
    kept: ``"U.S"``, ``"a.m"``) to a bit set of kinds.  Keys are matched exactly first, then
    lower-cased against ``abbreviations_anycase``; so a case-sensitive entry (``"Sun"`` the
    weekday, not ``"sun."`` the star) belongs in ``abbreviations`` only.
    """

    code: str
    abbreviations: dict[str, int] = field(default_factory=dict)
    abbreviations_anycase: dict[str, int] = field(default_factory=dict)
    sentence_starters: frozenset[str] = frozenset()
    """Words that are capitalised mostly because they open a sentence (``The``, ``He``...)."""
    final_abbreviations: frozenset[str] = frozenset()
    """Abbreviations that end the sentence before any capitalised word (``etc.``)."""
    first_person: frozenset[str] = frozenset()
    """Capitalised first-person forms (``I``, ``I'm``): no sentence start after an ellipsis."""
    ellipsis_continuations: frozenset[str] = frozenset()
    """Capitalised words that continue a sentence after an ellipsis (``... But``)."""
    speech_verbs: frozenset[str] = frozenset()
    """Verbs of saying: ``“Why?” Smith asked`` keeps the attribution with its quote."""
    street_titles: frozenset[str] = frozenset()
    """Titles that are street suffixes after a capitalised word (``Main St.``)."""
    valedictions: tuple[str, ...] = ()
    """Letter closings that end a unit when followed by a comma and a name (``Regards,``)."""
    byline_prefixes: tuple[str, ...] = ()
    """How a byline starts (``By ``): a dateline may follow it on the same line."""
    greetings: tuple[str, ...] = ()
    """Salutations that end a unit at the start of a line (``Hi John,``, ``Dear All,``)."""
    lowercase_sentence_starts: bool = False
    """Informal text: a period after a plain lower-case word ends a sentence even before a
    lower-case word (only for words that are not known abbreviations)."""
    question_before_lowercase: bool = False
    """A question mark ends a sentence even when the next word is lower case."""
    title_min_words: int = 4
    """Clause length (words) from which a time suffix before a title ends the sentence."""

    def kind(self, token: str) -> int:
        """Abbreviation kind of ``token`` (without its final period), 0 when not known."""
        k = self.abbreviations.get(token)
        if k is None:
            k = self.abbreviations_anycase.get(token.lower(), 0)
        return k


GENERIC = LanguageRules(code="und")
"""Rules for languages without a data module: no abbreviations, conservative splitting."""


@cache
def get_rules(language: str) -> LanguageRules:
    """Rules for an ISO 639 code (``"en"``, ``"en-GB"`` → ``en``); :data:`GENERIC` if unknown."""
    code = language.strip().lower().replace("_", "-").split("-", 1)[0]
    if not _LANG_CODE.fullmatch(code):
        return GENERIC
    try:
        module = importlib.import_module(f"{__name__}.{code}")
    except ModuleNotFoundError:
        return GENERIC
    rules = getattr(module, "RULES", None)
    return rules if isinstance(rules, LanguageRules) else GENERIC
