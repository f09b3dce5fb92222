"""The removal audit: every span a stage removes from a document's text is recorded as
(rule, position, text), where ``position`` is the character offset in the stage's output
text at which the removed text stood. Putting each removal back at its position rebuilds the
stage's input, up to white space, Unicode normal form and control characters (the cleaning
normalises those, and removes nothing else without recording it): :func:`reconstructs`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["canonical", "canonical_digest", "reconstruct", "reconstructs"]

# white space, C0/C1 controls, zero-width and format characters the cleaning drops or rewrites
_NOT_CONTENT_RE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u200b\u2060\ufeff]+")
# the same without the white space (which str.split removes faster: it splits at exactly the
# characters of "\s"); each of these is unprintable
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b\u2060\ufeff]+")


def canonical(text: str) -> str:
    """``text`` without what cleaning may change silently: NFC, no white space or controls.

    That is ``_NOT_CONTENT_RE.sub("", ...)``, done as white space, then controls, removed."""
    text = "".join(unicodedata.normalize("NFC", text).split())
    return text if text.isprintable() else _CONTROL_RE.sub("", text)


def canonical_digest(text: str) -> str:
    """sha256 of :func:`canonical` (what the audit check compares, in place of the text)."""
    return hashlib.sha256(canonical(text).encode("utf-8", "surrogatepass")).hexdigest()


def reconstruct(after: str, removals: Iterable[Mapping[str, Any]]) -> str:
    """``after`` with every removal put back at its position (in list order where several
    share a position), separated by a space."""
    pieces: list[str] = []
    at = 0
    for removal in sorted(removals, key=lambda r: int(r["position"])):  # stable: list order
        position = min(max(int(removal["position"]), at), len(after))
        pieces += [after[at:position], " ", str(removal["text"]), " "]
        at = position
    pieces.append(after[at:])
    return "".join(pieces)


def reconstructs(before: str, after: str, removals: Iterable[Mapping[str, Any]]) -> bool:
    """True when ``after`` plus ``removals`` is ``before`` (up to :func:`canonical`)."""
    return canonical(reconstruct(after, removals)) == canonical(before)
