"""Page text dumps (one line per rendered block, CSS residue, chrome glued on): placeholder."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DumpExtraction:
    title: str | None
    text: str  # article body, paragraphs separated by "\n"


def looks_like_page_dump(text: str) -> bool:
    """True when ``text`` is a plain-text rendering of a web page rather than HTML."""
    return "<html" not in text[:4096].lower() and "<body" not in text[:4096].lower()


def extract_page_dump(text: str) -> DumpExtraction:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return DumpExtraction(title=None, text="\n".join(lines))
