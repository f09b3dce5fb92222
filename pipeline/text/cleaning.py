"""Pure string cleaning of extracted text: :func:`clean_text` and its paragraph pipeline.

:func:`clean_text` is applied by the clean stage to every extracted document (from HTML or from a
page text dump). Besides Unicode and whitespace normalisation it repairs the spacing damage left by
inline links, drops CSS/JS residue lines (:mod:`pipeline.text.residue`), splits image captions glued
in front of a paragraph (:mod:`pipeline.text.captions`), and trims page chrome (notification
prompts, donation appeals, sign-in and comment prompts, "Read more" glue) from the start and the end
of paragraphs (:mod:`pipeline.text.chrome`).

Every function here is total on arbitrary Unicode and :func:`clean_text` is idempotent.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

from pipeline.text.captions import split_glued_caption
from pipeline.text.chrome import trim_chrome_edges_audited
from pipeline.text.residue import is_code_residue

__all__ = ["clean_text", "clean_text_audited", "repair_link_spacing"]


# --------------------------------------------------------------------------------------------
# spacing
# --------------------------------------------------------------------------------------------

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


_WS_RE = re.compile(r"[^\S\n]+")


def _collapse_spaces(text: str) -> str:
    """``text`` with every run of white space but line breaks made one space."""
    # White space other than " " is unprintable (tests check this over all of Unicode), so a
    # printable text without "  " has nothing to collapse; most paragraphs are such, and
    # isprintable() is far cheaper than the substitution.
    if "  " not in text and text.isprintable():
        return text
    return _WS_RE.sub(" ", text)


# Zero-width joiner and non-joiner (U+200D, U+200C) carry meaning in Persian, Indic scripts
# and emoji sequences, so they stay.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u2060\ufeff]")


def _paragraphs(text: str) -> Iterator[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    text = text.replace("\u2029", "\n").replace("\x0b", "\n").replace("\x0c", "\n")
    text = text.replace("\x85", "\n")
    # NFC once the control characters are gone: one between a letter and its combining mark
    # ("S", U+0019, U+0307) kept them apart, and a second cleaning composed them (make fuzz)
    text = unicodedata.normalize("NFC", _CONTROL_RE.sub("", text))
    for line in text.split("\n"):
        line = _collapse_spaces(line).strip()
        if line:
            yield line


# a piece of a cleaned paragraph: (None, kept text) or (rule, removed text)
Piece = tuple[str | None, str]
CODE_RESIDUE = "code_residue"  # the audit's name for a dropped CSS/JS residue line


def _clean_paragraph(para: str) -> list[Piece]:
    """One cleaning pass over one paragraph (already white-space normalised)."""
    if is_code_residue(para):
        return [(CODE_RESIDUE, para)]
    para = repair_link_spacing(para)
    parts: list[str] = []
    glued = split_glued_caption(para)
    while glued is not None:
        parts.append(glued[0])
        para = glued[1]
        glued = split_glued_caption(para)
    parts.append(para)
    out: list[Piece] = []
    for part in parts:
        head, kept, tail = trim_chrome_edges_audited(part)
        out.extend(head)
        kept = _collapse_spaces(kept).strip()
        if kept:
            out.append((None, kept))
        out.extend(tail)
    return out


# Pages of one site repeat paragraphs (bylines, appeals, notes), and the cleaning of a
# paragraph depends on nothing but its text: the recent ones are remembered.
@lru_cache(maxsize=1 << 14)
def _stable_paragraph(para: str) -> tuple[Piece, ...]:
    """Clean one paragraph until a fixed point (every step is designed to be stable in one pass;
    the loop guards against interactions)."""
    current: list[Piece] = [(None, para)]
    for _ in range(5):
        nxt = [q for p in current for q in (_clean_paragraph(p[1]) if p[0] is None else [p])]
        if nxt == current:
            break
        current = nxt
    return tuple(current)


def clean_text_audited(text: str) -> tuple[str, list[tuple[str, int, str]]]:
    """:func:`clean_text` and what it removed: (rule, position in the cleaned text, removed
    text), in text order (see :mod:`pipeline.text.removals`)."""
    kept: list[str] = []
    removed: list[tuple[str, int, str]] = []
    length = 0
    for para in _paragraphs(text):
        for rule, piece in _stable_paragraph(para):
            if rule is not None:
                removed.append((rule, length, piece))
                continue
            length += len(piece) + (1 if kept else 0)
            kept.append(piece)
    return "\n".join(kept), removed


def clean_text(text: str) -> str:
    """Clean one extracted document; paragraphs separated by exactly one "\\n".

    NFC, white space collapsed, CSS/JS residue lines dropped, inline-link spacing repaired,
    glued photo captions split into their own paragraph, chrome sentences trimmed from paragraph
    starts and ends. Idempotent; never raises on a ``str``.
    """
    return clean_text_audited(text)[0]
