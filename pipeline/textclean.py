"""Pure string cleaning of extracted text (placeholder, to be replaced)."""

from __future__ import annotations

import re
import unicodedata


def clean_text(text: str) -> str:
    """NFC, collapsed whitespace, paragraph breaks kept as single "\\n"."""
    text = unicodedata.normalize("NFC", text)
    lines = (re.sub(r"\s+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
