"""The page's title: :func:`_pick_title` picks the visible headline or a declared title
without its site part; :func:`plausible_title` is the test every title candidate passes.

Invariants: a title is never longer than :data:`pipeline.schema.MAX_TITLE_CHARS` characters and
never holds markup, CSS or script (a candidate that does is passed over for the next source);
the visible ``<h1>`` wins when it shares words with the declared titles (JSON-LD headline,
og:title, ``<title>``), else the first declared title without its " | Site" part is taken.

Names starting with "_" are internal to :mod:`pipeline.html`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from selectolax.lexbor import LexborHTMLParser

from pipeline.html.jsonld import _JsonLd
from pipeline.html.page import _clean, _elements, _first, _key, _meta_source, _unescaped
from pipeline.schema import MAX_TITLE_CHARS

_TITLE_SEPARATORS = re.compile(r"\s+(?:[|\-–—:·•»«/~]|::)\s+")


def _title_parts(title: str) -> list[str]:
    return [p for p in _TITLE_SEPARATORS.split(title) if p.strip()]


def _site_matcher(site_names: list[str]) -> Callable[[str], bool]:
    """A test "does this title part name the site?" (equal to, or inside, a site name)."""
    keys = {k for k in (_key(s) for s in site_names) if k}

    def is_site(part: str) -> bool:
        k = _key(part)
        if not k:
            return True
        for s in keys:
            if k == s or (len(k) >= 4 and k in s):
                return True
            # "Example News" for example.com; a long part merely mentioning the site is kept
            if len(s) >= 4 and s in k and len(k) <= len(s) + 10:
                return True
        return False

    return is_site


def _strip_site(title: str, site_names: list[str]) -> str:
    """``title`` without a leading or trailing " | Site" / " - Site" / "Site: " part.

    A part is removed when it looks like the site name (given, or the domain); when no part
    matches, a short last part after " | " is dropped as well ("Headline | Opinion").
    """
    is_site = _site_matcher(site_names)
    prefix = re.match(r"^([^:]{2,60}):\s+\S", title)
    if prefix is not None and is_site(prefix.group(1)):  # "Site: Headline"
        title = title[prefix.end(1) + 1 :].strip()
    if len(_title_parts(title)) < 2:
        return title
    cleaned = title
    for _ in range(3):
        parts = _title_parts(cleaned)
        if len(parts) < 2:
            break
        if is_site(parts[-1]):
            sep = _last_separator(cleaned)
            cleaned = cleaned[:sep].strip() if sep else cleaned
        elif is_site(parts[0]):
            m = _TITLE_SEPARATORS.search(cleaned)
            cleaned = cleaned[m.end() :].strip() if m else cleaned
        else:
            break
    if cleaned == title and re.search(r"\s\|\s[^|]{1,40}$", title):
        cleaned = title.rsplit(" | ", 1)[0].strip()
    return cleaned or title


def _last_separator(title: str) -> int:
    last = 0
    for m in _TITLE_SEPARATORS.finditer(title):
        last = m.start()
    return last


_SENTENCE_END = re.compile(r"[.!?]\s+[A-Z]")


def _visible_headings(tree: LexborHTMLParser) -> list[tuple[int, str]]:
    """(index among the page's <h1>, text) of the first headings with a plausible length."""
    out: list[tuple[int, str]] = []
    for i, node in enumerate(_elements(tree, "h1")[:8]):
        text = _unescaped(_clean(node.text(deep=True, separator=" ")))
        # a headline is one line: not a paragraph of several sentences
        if 2 <= len(text) <= 250 and len(_SENTENCE_END.findall(text)) < 2 and plausible_title(text):
            out.append((i, text))
    return out


_TOKEN = re.compile(r"\w+")


def _tokens(s: str) -> set[str]:
    return set(_TOKEN.findall(unicodedata.normalize("NFKC", s).casefold()))


# Element names a stray tag in a title would carry (as the suites' markup checks list them).
_TAG_NAMES = (
    "a|abbr|article|aside|audio|b|blockquote|body|br|button|canvas|caption|code|div|em|embed|"
    "figcaption|figure|font|footer|form|h[1-6]|head|header|hr|html|i|iframe|img|input|label|li|"
    "link|main|meta|nav|noscript|object|ol|option|p|picture|pre|script|section|select|small|"
    "source|span|strong|style|sub|sup|svg|table|tbody|td|textarea|th|thead|time|tr|u|ul|video"
)
_CODE_OR_MARKUP = re.compile(
    "|".join(
        (
            rf"(?i)</?(?:{_TAG_NAMES})(?:\s[^<>]*)?/?>",  # a tag: <div class="x" >
            r"<!--|-->|<!\[CDATA\[|<\?xml",
            # a CSS rule or at-rule
            r"\{[^{}]*[a-z-]+\s*:\s*[^{};]+;[^{}]*\}|@media\s*\(|[.#][A-Za-z][A-Za-z0-9_-]*\s*\{",
            # JavaScript: function literals, DOM calls, declarations, member assignments
            r"(?:^|[^A-Za-z0-9_])(?:function\s*\([^)]*\)\s*\{"
            r"|(?:document|window)\.[A-Za-z]+\s*\("
            r"|var\s+[A-Za-z0-9_]+\s*=\s*[\[{])",
            r"(?:^|[^A-Za-z0-9_$.])(?:this|window|document)\.[A-Za-z_$][\w$]*\s*=[^=]",
            r"[A-Za-z_$][\w$]*\.[A-Za-z_$][\w$]*\s*=\s*['\"\[{]",
            r"(?:^|[;{}])\s*(?:var|let|const)\s+[A-Za-z_$][\w$]*\s*=",
            r"['\"]\s*;\s*[A-Za-z_$][\w$.]*\s*(?:=|\()",  # 'x'; next.statement = / call(
        )
    )
)

# Every pattern above needs one of these characters: a text without them is checked in one
# short scan instead of trying each pattern at every position (titles rarely hold any).
_CODE_CHARS = re.compile(r"[<>{(=]")


def plausible_title(text: str | None) -> bool:
    """Whether a title candidate can be a headline: not empty, at most ``MAX_TITLE_CHARS``
    characters, and no markup, CSS or script. A ``<title>`` left open, or filled by a
    template, runs into the page's script or holds a literal tag; such a candidate is passed
    over for the next source, so no page's bad markup reaches the corpus as its title."""
    return (
        bool(text)
        and len(text or "") <= MAX_TITLE_CHARS
        and not (_CODE_CHARS.search(text or "") and _CODE_OR_MARKUP.search(text or ""))
    )


def _title_candidates(
    tree: LexborHTMLParser, meta: dict[str, list[str]], ld: _JsonLd
) -> list[tuple[str, str]]:
    """Declared titles (title, source) in order of trust: JSON-LD, OpenGraph/meta, <title>."""
    candidates: list[tuple[str, str]] = []
    for obj in ld.content_objects():
        for k in ("headline", "name"):
            v = _unescaped(_clean(obj.get(k)))
            if v:
                candidates.append((v, "jsonld"))
                break
    hit = _first(meta, "og:title", "twitter:title", "title", "dc.title", "parsely-title")
    if hit:
        candidates.append((_unescaped(hit[0]), _meta_source(hit[1])))
    node = tree.css_first("title")
    if node is not None:
        v = _unescaped(_clean(node.text(deep=True)))
        if v:
            candidates.append((v, "html"))
    return [(v, src) for v, src in candidates if plausible_title(v)]


def _pick_title(
    tree: LexborHTMLParser,
    meta: dict[str, list[str]],
    ld: _JsonLd,
    site_names: list[str],
) -> tuple[tuple[str, str] | None, int | None]:
    """((title, source), index of the <h1> used or matching it).

    The visible headline (``<h1>``) is preferred: readers and researchers know an article by
    it, while declared titles are often SEO variants. An ``<h1>`` naming the site (a logo) or
    sharing too few words with every declared title (a section name, a tagline) is passed
    over, as are paragraphs set in ``<h1>``.
    """
    candidates = _title_candidates(tree, meta, ld)
    is_site = _site_matcher(site_names)
    stripped = [(_strip_site(c, site_names), src) for c, src in candidates]
    # parts cut from declared titles name the site too ("Headline - Blog Name")
    cut_parts = {
        _key(part)
        for (c, _src), (s, _) in zip(candidates, stripped, strict=True)
        for part in _title_parts(c)[1:]
        if _key(part) and _key(part) not in _key(s)
    }
    declared_tokens = [_tokens(c) for c, _src in stripped]

    scored: list[tuple[float, int, str]] = []  # (agreement with declared titles, index, text)
    for index, heading in _visible_headings(tree):
        if " | " in heading:
            heading = _strip_site(heading, site_names)
        hk = _key(heading)
        if not hk or is_site(heading) or hk in cut_parts:
            continue
        if any(
            hk == _key(c) or hk == _key(s)
            for (c, _), (s, _) in zip(candidates, stripped, strict=True)
        ):
            return (heading, "html"), index
        ht = _tokens(heading)
        score = max((_overlap(ht, ct) for ct in declared_tokens), default=1.0)
        scored.append((score, index, heading))
    for score, index, heading in scored:
        if score >= _MIN_HEADING_OVERLAP:
            return (heading, "html"), index
    for title, src in stripped:
        if title and not is_site(title):
            return (title, src), None
    if scored:
        _score, index, heading = max(scored, key=lambda item: item[0])
        return (heading, "html"), index
    return None, None


_MIN_HEADING_OVERLAP = 0.3  # word overlap (F1) of the headline with a declared title


def _overlap(a: set[str], b: set[str]) -> float:
    """Dice/F1 overlap of two word sets (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))
