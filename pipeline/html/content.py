"""Main-content extraction from HTML with selectolax (lexbor backend).

:func:`extract_main_text` returns the article body of a page, one paragraph per line, or ""
when the page has no article (an index page, an empty page, a page that is all navigation).

How it works, in one pass over the parsed tree plus a few passes over flat arrays:

1. *Walk* the ``<body>`` iteratively (no recursion, so any nesting depth is safe), skipping
   subtrees that never hold prose (scripts, styles, form controls, media, captions). Text is
   collected into *blocks*: runs of text between block-level tag boundaries, each owned by its
   innermost block element, with its link text counted; ``<br>`` splits a block into lines.
   *Furniture* (``nav``/``header``/``footer``/``aside``/``form``, hidden elements, class/id
   names such as comments, share bars, bylines, related links, newsletter boxes; see
   :mod:`pipeline.html.scoring`) is dropped at once when small; big furniture is decided after the
   walk: dropped unless it holds a large share of the page's text or (for names that only
   *likely* mean furniture) most of its prose, since templates and streaming renderers wrap
   the article itself in such elements.
2. *Score* each block for prose (length, sentence punctuation, link density) and add the
   score to its container and, decreasingly, the container's ancestors. A container's final
   score is weighted by its link density and its class/id names. The best container is the
   *anchor*.
3. *Select*: the anchor grows to the ancestor with the best prose-minus-boilerplate balance
   (an article split into sections by a page builder), as long as the text this adds is not
   link-heavy (teaser lists); otherwise the anchor's siblings holding prose join it.
4. *Render* the selected blocks in document order, without link lists and the leading
   ``<h1>`` (the title, which is metadata); a selection made of teasers (linked headline plus
   short summary, no long paragraph) is an index page and gives "".

Limits (so pathological input stays fast and never raises): at most ``MAX_CHARS`` characters
are parsed, ``MAX_NODES`` nodes are walked, and block elements deeper than ``MAX_DEPTH`` are
read as lines of their ancestor's block at that depth.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

from selectolax.lexbor import LexborHTMLParser, LexborNode

from pipeline.html.page import collapsed
from pipeline.html.scoring import (
    BLOCK_TAGS,
    FURNITURE_TAGS,
    MIN_BLOCK_LENGTH,
    PARAGRAPH_TAGS,
    PLAIN_INLINE_TAGS,
    PROTECTED_TAGS,
    SKIP_TAGS,
    block_balance,
    block_score,
    container_name_weight,
    furniture_level,
    is_listing,
    looks_like_prose,
    may_name_furniture,
    punctuation_count,
)

MAX_CHARS: Final[int] = 20_000_000
MAX_NODES: Final[int] = 400_000
MAX_DEPTH: Final[int] = 200

# Share of the page's text above which a subtree is kept even if its class/id look like furniture
# (templates put words like "post-meta" or "has-sidebar" on the article wrapper itself).
_PROTECT_SHARE: Final[float] = 0.4
_SIBLING_SHARE: Final[float] = 0.2
_MIN_SIBLING_SCORE: Final[float] = 3.0
# An ancestor replaces the best container when its balance is this much higher.
_GROW_MARGIN: Final[float] = 1.3
# ... and when the text it adds is not link-heavy (teaser lists are: linked headlines).
_GROW_LINK_DENSITY: Final[float] = 0.15
# ... or, whatever its links, when it adds more prose than this multiple of the anchor's own
# (the anchor was one section or paragraph of a long article, not the article).
_GROW_PROSE_RATIO: Final[float] = 3.0

_PROTECT_MIN: Final[int] = 1000
# Characters of text above the selected region (and half as many of its start) that PageShape
# keeps as the page's lead: where bylines and dates sit.
_LEAD_CHARS: Final[int] = 1000
# Of the walked text that PageShape keeps (for the page-type model's words). More was no
# better (by domain, 4,000 and 20,000 characters scored alike; 8,000 a little worse) and
# splitting 40,000 characters into words was a quarter of the page type's time.
_PAGE_TEXT_CHARS: Final[int] = 4000
# Big furniture below this share of the body's raw text is not walked (see _walk).
_OPAQUE_SHARE: Final[float] = 0.3
_OPAQUE: Final[int] = 3  # furniture level of such an unwalked subtree
_PROTECT_PROSE_SHARE: Final[float] = 0.5
_MIN_SCORED: Final[int] = MIN_BLOCK_LENGTH
_BR: Final[str] = "\x00"  # line-break marker inside a block (the parser never leaves NUL in text)
_EXIT_BLOCK: Final[int] = 1
_EXIT_LINK: Final[int] = 2
_EXIT_LINE: Final[int] = 4

_CONTROL_TAGS: Final[frozenset[str]] = frozenset(
    {"button", "input", "select", "option", "textarea", "label"}
)
_MEDIA_TAGS: Final[frozenset[str]] = frozenset(
    {"video", "audio", "iframe", "picture", "embed", "object"}
)

_HIDDEN_STYLE: Final[re.Pattern[str]] = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE
)


@lru_cache(maxsize=65536)
def _token_furniture(token: str) -> int:
    return furniture_level(token)


@lru_cache(maxsize=32768)
def _furniture(name: str) -> int:
    """:func:`furniture_level` of a class/id string, cached per name and per class token
    (utility-class frameworks make whole names unique, but their tokens repeat)."""
    if not may_name_furniture(name):  # most names; no token of theirs can name furniture then
        return 0
    level = 0
    for token in name.split():
        token_level = _token_furniture(token)
        if token_level > level:
            level = token_level
            if level == 2:
                break
    return level


class _Page:
    """The walked page: elements as parallel arrays (preorder), and the text blocks."""

    __slots__ = (
        "block_len",
        "block_lines",
        "block_link",
        "block_owner",
        "block_punct",
        "controls",
        "dropped_chars",
        "dropped_names",
        "dropped_text",
        "furniture",
        "links",
        "media",
        "names",
        "parents",
        "tags",
        "times",
    )

    def __init__(self) -> None:
        self.parents: list[int] = []
        self.tags: list[str] = []
        self.names: list[str] = []
        # 0 content, 1 likely furniture, 2 sure furniture, 3 furniture recorded unwalked
        self.furniture: list[int] = []
        self.block_owner: list[int] = []
        self.block_lines: list[list[str]] = []
        self.block_len: list[int] = []
        self.block_link: list[int] = []
        self.block_punct: list[int] = []
        self.links = 0  # <a> elements walked (small furniture is not walked)
        self.controls = 0  # form controls: button, input, select, option, textarea, label
        self.media = 0  # video, audio, iframe, picture, embed, object
        self.times = 0  # <time> elements
        self.dropped_names: list[str] = []  # class/id of small furniture dropped unwalked
        self.dropped_text: list[str] = []  # ... and its text, up to _PAGE_TEXT_CHARS
        self.dropped_chars = 0


# What the walk does with an element by its tag, before reading its attributes (tags not
# listed: the general case). Plain inline, skipped and "br" tags are disjoint sets.
_DESCEND: Final[int] = 1  # plain inline: its text goes to the enclosing block
_SKIP: Final[int] = 2  # a subtree without prose
_SKIP_CONTROL: Final[int] = 3  # ... that is a form control (counted)
_SKIP_MEDIA: Final[int] = 4  # ... that is media (counted)
_LINE_BREAK: Final[int] = 5  # <br>
_TAG_ACTION: Final[dict[str, int]] = {
    **{tag: _SKIP for tag in SKIP_TAGS},
    **{tag: _SKIP_CONTROL for tag in _CONTROL_TAGS & SKIP_TAGS},
    **{tag: _SKIP_MEDIA for tag in _MEDIA_TAGS & SKIP_TAGS},
    **{tag: _DESCEND for tag in PLAIN_INLINE_TAGS},
    "br": _LINE_BREAK,
}


_GENERAL: Final[int] = 0  # any other element: its attributes are read
_IGNORE: Final[int] = 6  # not an element (a comment, the doctype)


def _text_tag_id() -> int:
    """The tag id lexbor gives text nodes (its LXB_TAG__TEXT), read off a parsed text."""
    body = LexborHTMLParser("text").body
    node = body.first_child if body is not None else None
    if node is None or node.tag != "-text":
        raise RuntimeError("selectolax no longer parses text as a text node")
    return int(node.tag_id)


_TEXT_ID: Final[int] = _text_tag_id()


def _action(tag: str | None) -> int:
    """What the walk does with a node by its ``tag`` (the ``LexborNode.tag`` of a node that is
    not text)."""
    if not tag or tag[0] == "-":
        return _IGNORE
    return _TAG_ACTION.get(tag, _GENERAL)


def _is_hidden(attrs: dict[str, str | None]) -> bool:
    if "hidden" in attrs:
        return True
    if (attrs.get("aria-hidden") or "").strip().lower() == "true":
        return True
    style = (attrs.get("style") or "").lower()
    return ("none" in style or "hidden" in style) and _HIDDEN_STYLE.search(style) is not None


def _walk(body: LexborNode) -> _Page:
    """Collect the text blocks under ``body`` (see the module docstring)."""
    page = _Page()
    parents, tags, names = page.parents, page.tags, page.names
    parts: list[str] = []
    link_chars = 0
    link_depth = 0
    owners: list[int] = [0]
    parents.append(-1)
    tags.append("body")
    names.append("")
    page.furniture.append(0)

    add_owner, add_lines = page.block_owner.append, page.block_lines.append
    add_len, add_link, add_punct = (
        page.block_len.append,
        page.block_link.append,
        page.block_punct.append,
    )

    def flush() -> None:
        nonlocal link_chars
        text = "".join(parts)
        parts.clear()
        if _BR in text:
            lines = [" ".join(line.split()) for line in text.split(_BR)]
            lines = [line for line in lines if line]
            length = sum(map(len, lines))
            punct = sum(map(punctuation_count, lines)) if length >= _MIN_SCORED else 0
        else:
            line = collapsed(text)
            if not line:
                link_chars = 0
                return
            lines = [line]
            length = len(line)
            punct = punctuation_count(line) if length >= _MIN_SCORED else 0
        if lines:
            add_owner(owners[-1])
            add_lines(lines)
            add_len(length)
            add_link(min(link_chars, length))
            add_punct(punct)
        link_chars = 0

    # Stack of open elements: (children iterator, exit flags, index of the nearest recorded
    # element). Iterative, so nesting depth is no limit. Only block-level elements and big
    # furniture are recorded; inline elements pass their text to the enclosing block.
    # The children of the element on top are read by an inner ``for`` loop that only breaks
    # out to descend (most nodes are leaves: text, skipped subtrees).
    stack: list[tuple[Iterator[LexborNode], int, int]] = [(body.iter(include_text=True), 0, 0)]
    block_tags = BLOCK_TAGS
    # Tag id -> what to do and the tag's name, filled as the page's tags are first met: the
    # id is one cheap read, the name a string made anew on every read. Per page, since lexbor
    # numbers custom elements per document; within one the name of an id is one (the walk
    # never enters <svg> and <math>, where names are spelled otherwise).
    actions: dict[int, int] = {}
    tag_names: dict[int, str] = {}
    text_id = _TEXT_ID
    furniture_tags, protected_tags = FURNITURE_TAGS, PROTECTED_TAGS
    furniture_list = page.furniture
    visited = 0
    body_size = -1
    while stack:
        it, exit_flags, parent = stack[-1]
        for node in it:
            visited += 1
            if visited > MAX_NODES:
                break
            tag_id = node.tag_id
            if tag_id == text_id:
                text = node.text_content
                # White space opening a block is dropped by flush() anyway: not kept, so a
                # run of it between block elements makes no block to flush.
                if text and (parts or not text.isspace()):
                    parts.append(text)
                    if link_depth:
                        link_chars += len(text.strip())
                continue
            action = actions.get(tag_id)
            if action is None:  # the first node of its tag on this page
                tag = node.tag
                action = actions[tag_id] = _action(tag)
                if tag:
                    tag_names[tag_id] = tag
            if action:
                if action == _DESCEND:
                    stack.append((node.iter(include_text=True), 0, parent))
                    break
                if action == _LINE_BREAK:
                    parts.append(_BR)
                elif action == _SKIP_CONTROL:
                    page.controls += 1
                elif action == _SKIP_MEDIA:
                    page.media += 1
                continue
            tag = tag_names[tag_id]
            attrs = node.attributes
            name = ""
            hidden = False
            if attrs:
                hidden = (
                    "hidden" in attrs or "aria-hidden" in attrs or "style" in attrs
                ) and _is_hidden(attrs)
                cls, ident = attrs.get("class"), attrs.get("id")
                if cls or ident:
                    name = f"{cls or ''} {ident or ''}"
            furniture = _furniture(name) if name and tag not in protected_tags else 0
            if furniture and hidden:  # a closed dialog, banner or menu
                continue
            if not furniture and (hidden or tag in furniture_tags):
                # Hidden is likely furniture too: streaming renderers park the article itself
                # in a hidden element until a script moves it into place.
                furniture = 1
            if furniture:
                # Small furniture goes at once. Big furniture that is still a minor part of
                # the page is not walked: it is recorded as one opaque block, which counts in
                # the page's text totals but is never selected. Only furniture big enough to
                # be the article's wrapper is walked, and decided after the walk (see _select).
                raw = node.text(deep=True)
                if len(raw) < _PROTECT_MIN:
                    if name:
                        page.dropped_names.append(name)
                    if page.dropped_chars < _PAGE_TEXT_CHARS:
                        page.dropped_text.append(raw)
                        page.dropped_chars += len(raw)
                    continue
                if body_size < 0:
                    body_size = len(body.text(deep=True))
                if len(raw) < _OPAQUE_SHARE * body_size and node.css_first("p") is None:
                    if parts:
                        flush()
                    parents.append(parent)
                    tags.append(tag)
                    names.append(name)
                    furniture_list.append(_OPAQUE)
                    text = " ".join(raw.split())
                    page.block_owner.append(len(tags) - 1)
                    page.block_lines.append([text])
                    page.block_len.append(len(text))
                    page.block_link.append(len(text))
                    page.block_punct.append(0)
                    continue
            flags = 0
            child_parent = parent
            is_block = tag in block_tags
            if is_block or furniture:
                idx = len(tags)
                parents.append(parent)
                tags.append(tag)
                names.append(name)
                furniture_list.append(furniture)
                if is_block:
                    if len(stack) < MAX_DEPTH:
                        if parts:
                            flush()
                        owners.append(idx)
                        flags = _EXIT_BLOCK
                    else:  # too deep to be a block of its own: a line of its ancestor's block
                        parts.append(_BR)
                        flags = _EXIT_LINE
                child_parent = idx
            if tag == "time":
                page.times += 1
            elif tag == "a":
                page.links += 1
                link_depth += 1
                flags |= _EXIT_LINK
            stack.append((node.iter(include_text=True), flags, child_parent))
            break
        else:  # the element on top has no more children: leave it
            stack.pop()
            if exit_flags:
                if exit_flags & _EXIT_BLOCK:
                    if parts:
                        flush()
                    owners.pop()
                elif exit_flags & _EXIT_LINE:
                    parts.append(_BR)
                if exit_flags & _EXIT_LINK:
                    link_depth -= 1
            continue
        if visited > MAX_NODES:
            break
    if parts:
        flush()
    return page


def _select(page: _Page) -> tuple[list[bool], list[int]]:
    """Which elements are inside the main content, and the *unit* of each element.

    Both lists are indexed like ``page.tags``. An element's unit is its ancestor-or-self that
    is a direct child of a selected root (-1 for the roots themselves): on an index page each
    teaser is one unit.
    """
    n = len(page.tags)
    parents, tags = page.parents, page.tags
    # Big furniture subtrees (by tag or class/id) are dropped unless they hold a large share of
    # the text (templates put words like "modal" or "has-sidebar" on the article's wrapper).
    # Also kept: one holding most of the page's prose.
    scores = [
        block_score(length, link, punct, tags[owner])
        for owner, length, link, punct in zip(
            page.block_owner, page.block_len, page.block_link, page.block_punct, strict=True
        )
    ]
    sub_len = [0] * n
    sub_prose = [0.0] * n
    for owner, length, score in zip(page.block_owner, page.block_len, scores, strict=True):
        sub_len[owner] += length
        sub_prose[owner] += score
    for i in range(n - 1, 0, -1):
        sub_len[parents[i]] += sub_len[i]
        sub_prose[parents[i]] += sub_prose[i]
    protect = max(_PROTECT_MIN, _PROTECT_SHARE * sub_len[0])
    protect_prose = _PROTECT_PROSE_SHARE * sub_prose[0]
    excluded = [False] * n
    furniture = page.furniture
    for i in range(1, n):
        excluded[i] = excluded[parents[i]] or (
            furniture[i] == _OPAQUE
            or (
                furniture[i] > 0
                and sub_len[i] < protect
                and (furniture[i] > 1 or sub_prose[i] <= protect_prose)
            )
        )
    raw = [0.0] * n
    text_len = [0] * n
    link_len = [0] * n
    balance = [0.0] * n
    prose = [0.0] * n
    for owner, length, link, score in zip(
        page.block_owner, page.block_len, page.block_link, scores, strict=True
    ):
        if excluded[owner]:
            continue
        text_len[owner] += length
        link_len[owner] += link
        balance[owner] += block_balance(score, length, link, tags[owner])
        prose[owner] += score
        if score <= 0.0:
            continue
        level = parents[owner] if tags[owner] in PARAGRAPH_TAGS else owner
        share = 1.0
        for _ in range(3):
            if level < 0:
                break
            raw[level] += score * share
            share *= 0.5
            level = parents[level]
    for i in range(n - 1, 0, -1):
        p = parents[i]
        text_len[p] += text_len[i]
        link_len[p] += link_len[i]
        balance[p] += balance[i]
        prose[p] += prose[i]
    final = [0.0] * n
    best, best_score = -1, 0.0
    for i in range(n):
        if raw[i] <= 0.0:
            continue
        density = link_len[i] / text_len[i] if text_len[i] else 1.0
        final[i] = raw[i] * (1.0 - density) * container_name_weight(page.names[i])
        if final[i] > best_score:
            best, best_score = i, final[i]
    inside = [False] * n
    unit = [-1] * n
    if best < 0:
        return inside, unit
    # Grow the selection to the ancestor with the best prose-minus-boilerplate balance: an
    # article split into many sections (page builders) is one subtree above all of them.
    chosen, level = best, parents[best]
    while level >= 0:
        extra_text = text_len[level] - text_len[best]
        extra_links = link_len[level] - link_len[best]
        if balance[level] > _GROW_MARGIN * balance[chosen] and (
            extra_links <= _GROW_LINK_DENSITY * extra_text
            or prose[level] - prose[best] > _GROW_PROSE_RATIO * prose[best]
        ):
            chosen = level
        level = parents[level]
    roots = {chosen}
    top = parents[best] if chosen == best else -1
    if top >= 0:
        threshold = max(_MIN_SIBLING_SCORE, _SIBLING_SHARE * best_score)
        for i in range(top + 1, n):
            if parents[i] == top and (final[i] >= threshold):
                roots.add(i)
    for i in range(n):
        p = parents[i]
        inside[i] = not excluded[i] and (i in roots or (p >= 0 and inside[p]))
        if inside[i] and i not in roots:
            unit[i] = i if p in roots else unit[p]
    # Paragraphs of prose directly next to the selection (siblings that are paragraphs).
    if top >= 0:
        prose_owner = set()
        for owner, length, link, punct in zip(
            page.block_owner, page.block_len, page.block_link, page.block_punct, strict=True
        ):
            if (
                parents[owner] == top
                and not excluded[owner]
                and looks_like_prose(length, link, punct)
            ):
                prose_owner.add(owner)
        for i in range(top + 1, n):
            if not inside[i] and (i in prose_owner or inside[parents[i]]):
                inside[i] = i in prose_owner or inside[parents[i]]
    return inside, unit


@dataclass(frozen=True)
class PageShape:
    """What the walk saw of a page, for the page-type model (:mod:`pipeline.html.pagetype`):
    text and link characters of the whole body and of the selected region, its teasers, and
    how many of each recorded block element the body has."""

    body_chars: int = 0
    body_link_chars: int = 0
    blocks: int = 0
    region_chars: int = 0  # selected region, link-made blocks included
    region_link_chars: int = 0
    teasers: int = 0  # units of the region with a linked headline and a text block
    text_blocks: int = 0  # blocks of the region with >= 40 characters of text
    longest_paragraph: int = 0  # unlinked characters of the region's longest block
    listing: bool = False  # the region reads as an index page (the text is then "")
    links: int = 0  # <a> elements outside small furniture
    controls: int = 0  # form controls (buttons, inputs, selects, labels)
    media: int = 0  # video, audio, iframes, pictures, embeds
    times: int = 0  # <time> elements
    names: tuple[str, ...] = ()  # class/id strings of the recorded elements, in page order
    dropped_names: tuple[str, ...] = ()  # ... and of the small furniture dropped unwalked
    lead: str = ""  # the text just above the selected region and its start (bylines, dates)
    page_text: str = ""  # the start of the page's text, furniture included (the page's words)
    tag_counts: dict[str, int] = field(default_factory=dict)


def _page_text(page: _Page) -> str:
    """The first :data:`_PAGE_TEXT_CHARS` characters of the walked text, blocks joined, and
    as much of the small furniture's text (menus, buttons, bylines)."""
    parts: list[str] = [" ".join(page.dropped_text)[:_PAGE_TEXT_CHARS]]
    size = 0
    for lines in page.block_lines:
        for line in lines:
            parts.append(line)
            size += len(line) + 1
        if size >= _PAGE_TEXT_CHARS:
            break
    return " ".join(parts)[: 2 * _PAGE_TEXT_CHARS]


def _render(page: _Page, inside: list[bool], unit: list[int]) -> tuple[str, PageShape]:
    out: list[str] = []
    tags = page.tags
    text_blocks = longest = region_chars = region_links = 0
    link_units: set[int] = set()
    text_units: set[int] = set()
    before: list[str] = []  # blocks above the region, kept while they are near it
    before_chars = 0
    for owner, lines, length, link in zip(
        page.block_owner, page.block_lines, page.block_len, page.block_link, strict=True
    ):
        if not inside[owner]:
            if not region_chars:
                before.append(" ".join(lines))
                before_chars += length
                while before_chars > _LEAD_CHARS and len(before) > 1:
                    before_chars -= len(before.pop(0))
            continue
        region_chars += length
        region_links += link
        if link > 0.5 * length:
            link_units.add(unit[owner])
            continue
        if tags[owner] == "h1" and not out:
            continue
        if length >= 40:
            text_blocks += 1
            text_units.add(unit[owner])
        longest = max(longest, length - link)
        out.extend(lines)
    link_units.discard(-1)
    teasers = len(link_units & text_units)
    listing = is_listing(teasers, text_blocks, longest)
    lead = " ".join(before)[-_LEAD_CHARS:] + "\n" + "\n".join(out)[: _LEAD_CHARS // 2]
    page_text = _page_text(page)
    shape = PageShape(
        body_chars=sum(page.block_len),
        body_link_chars=sum(page.block_link),
        blocks=len(page.block_len),
        region_chars=region_chars,
        region_link_chars=region_links,
        teasers=teasers,
        text_blocks=text_blocks,
        longest_paragraph=longest,
        listing=listing,
        lead=lead,
        page_text=page_text,
        **_walk_counts(page),
    )
    return ("" if listing else "\n".join(out)), shape


def _walk_counts(page: _Page) -> dict[str, Any]:
    """The PageShape fields the walk counted on its way, selection or not."""
    return {
        "links": page.links,
        "controls": page.controls,
        "media": page.media,
        "times": page.times,
        "names": tuple(page.names),
        "dropped_names": tuple(page.dropped_names),
        "tag_counts": dict(Counter(page.tags)),
    }


def parse_html(html: str) -> LexborHTMLParser:
    """The parsed page (its first :data:`MAX_CHARS` characters), to share between the text and
    the metadata extractors: parsing is about a third of the cost of each."""
    return LexborHTMLParser(html[:MAX_CHARS] if len(html) > MAX_CHARS else html)


def _extract(html: str, tree: LexborHTMLParser | None) -> tuple[str, PageShape]:
    if tree is None:
        tree = parse_html(html)
    body = tree.body
    if body is None:
        return "", PageShape()
    page = _walk(body)
    if not page.block_owner:
        return "", PageShape(**_walk_counts(page))
    return _render(page, *_select(page))


def extract_main_content(html: str, tree: LexborHTMLParser | None = None) -> tuple[str, PageShape]:
    """:func:`extract_main_text` and the :class:`PageShape` the walk measured on the way."""
    if not isinstance(html, str) or not html:
        return "", PageShape()
    try:
        return _extract(html, tree)
    except Exception:
        return "", PageShape()


def extract_main_text(html: str, tree: LexborHTMLParser | None = None) -> str:
    """The article body of ``html``, paragraphs separated by "\\n"; "" when there is none.
    ``tree`` is ``html`` already parsed with :func:`parse_html` (it is only read).

    Never raises: input that is not a ``str`` or that the parser cannot handle gives "".
    """
    return extract_main_content(html, tree)[0]
