"""Main-content extraction from HTML with selectolax (placeholder, to be replaced)."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser


def extract_main_text(html: str) -> str:
    """The article body of ``html``, paragraphs separated by "\\n"; "" when there is none."""
    tree = LexborHTMLParser(html)
    for node in tree.css("script, style, nav, header, footer, aside, form, noscript"):
        node.decompose()
    paragraphs = [p.text(separator=" ", strip=True) for p in tree.css("p, h1, h2, h3, li")]
    return "\n".join(p for p in paragraphs if p)
