"""Month names: the one lexicon of them, lower case and without a trailing dot.

:mod:`pipeline.html.dates` reads written dates in every language listed here ("5. März 2024");
:mod:`pipeline.text.dumps` spots English date lines under a headline ("Nov 25, 2024");
:mod:`pipeline.text.chrome` does not end a sentence after an abbreviated month ("Jan.").
"""

from __future__ import annotations

__all__ = ["ENGLISH_MONTHS", "ENGLISH_MONTH_ABBREVIATIONS", "MONTHS"]

# English names and abbreviations (name first), one entry a month from January.
_ENGLISH = (
    "january jan",
    "february feb",
    "march mar",
    "april apr",
    "may",
    "june jun",
    "july jul",
    "august aug",
    "september sep sept",
    "october oct",
    "november nov",
    "december dec",
)
# The other languages most often met in news pages (German, French, Spanish, Portuguese,
# Italian, Dutch), one entry a month from January.
_OTHERS = (
    "januar janvier enero janeiro gennaio januari jänner janv ene gen",
    "februar février fevrier febrero fevereiro febbraio februari févr fevr fev",
    "märz maerz mars marzo março maart mär",
    "avril abril aprile avr abr",
    "mai mayo maio maggio mei mag",
    "juni juin junio junho giugno giu",
    "juli juillet julio julho luglio juil lug",
    "août aout agosto augustus ago",
    "septembre septiembre setembro settembre",
    "oktober octobre octubre outubro ottobre okt ott",
    "novembre noviembre novembro",
    "dezember décembre decembre diciembre dezembro dicembre dez déc dic",
)

ENGLISH_MONTHS: frozenset[str] = frozenset(" ".join(_ENGLISH).split())
"""The English month names and abbreviations."""

ENGLISH_MONTH_ABBREVIATIONS: frozenset[str] = frozenset(
    abbreviation for entry in _ENGLISH for abbreviation in entry.split()[1:]
)
"""The English abbreviations ("jan", "sept"), which are written with a period ("may" is none)."""

MONTHS: dict[str, int] = {
    name: number
    for number, (english, others) in enumerate(zip(_ENGLISH, _OTHERS, strict=True), start=1)
    for name in (english + " " + others).split()
}
"""Month number (1-12) of every name and abbreviation, in all the languages above."""
