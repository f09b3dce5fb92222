"""Sentence boundary detection with exact character spans (placeholder, to be replaced)."""

from __future__ import annotations

import re

_SPLIT = re.compile(r"[^\n]*?(?:[.!?]+[\"”’)]*(?=\s)|$)", re.M)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Half-open, whitespace-trimmed spans of the sentences of ``text``, in order."""
    spans: list[tuple[int, int]] = []
    for m in _SPLIT.finditer(text):
        start, end = m.start(), m.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans
