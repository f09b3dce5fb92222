"""Synthetic corpora for benchmarks: N pages recombined from the bundled sample and the
benchmark HTML, with varied ids, dates and domains, written as HTML files and as WARC.

Each page is one of the ~700 base pages with a unique opening paragraph. By default its story
is varied too (:func:`vary_story`): about a fifth of the words of its ``<p>`` paragraphs are
replaced by words drawn from the pool's paragraphs, so every story is its own text while the
page around it (markup, menus, footers, scripts) stays as it was; and one page in
``SYNDICATED_EVERY`` carries the story of a page shortly before it, as syndicated and reposted
news does. Without the variation (``--repeated``) a 10k corpus is each base page about 14
times over: nine documents in ten are exact duplicates and most sentences repeat, which no
crawl looks like, and which flatters any per-process cache of the pipeline (one worker then
sees every repeat, two workers each see most texts once).

``python -m benchmarks.corpus N OUT_DIR [--warc] [--repeated]`` (``make bench-data N=...``)."""

from __future__ import annotations

import argparse
import gzip
import io
import os
import random
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = Path(os.environ.get("NEWSCORPUS_BENCH_DIR", ROOT.parent / "shared" / "bench"))
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
_BODY_OPEN = re.compile(rb"<body[^>]*>", re.IGNORECASE)
_PARAGRAPH = re.compile(rb"<p[\s>].*?</p>", re.IGNORECASE | re.DOTALL)
_TEXT_NODE = re.compile(rb">([^<]+)<")
_WORD = re.compile(rb"[A-Za-z]{4,}")  # ASCII words for ASCII words: UTF-8 stays valid UTF-8
VARIED_SHARE = 0.2  # of a paragraph's words: ~15 per sentence, so nearly every sentence changes
SYNDICATED_EVERY = 8  # one page in eight repeats a recent page's story
SYNDICATED_WITHIN = 50  # ... from at most this many pages before it


def base_pages() -> list[bytes]:
    """HTML pages to recombine: the sample's pages, then the benchmark pages when present."""
    pages = []
    for path in sorted((ROOT / "data" / "sample").iterdir()):
        raw = path.read_bytes()
        if raw.startswith(b"\x1f\x8b"):
            raw = gzip.decompress(raw)
        if b"<p" in raw:
            pages.append(raw)
    for folder in ("extraction/scrapinghub/html", "extraction/wcxb-dev/html"):
        for path in sorted((BENCH_DIR / folder).glob("*.html.gz")):
            pages.append(gzip.decompress(path.read_bytes()))
    return pages


def variant(page: bytes, i: int) -> tuple[str, datetime, bytes]:
    """(url, fetch time, html) of page number ``i``: a unique opening paragraph and a date."""
    fetched = EPOCH + timedelta(hours=7 * i)
    domain = f"outlet{i % 97:02d}.example"
    url = f"https://www.{domain}/{fetched:%Y/%m/%d}/story-{i:07d}"
    lead = (
        f"<p>Story {i} was filed from desk {i % 13} of {domain} on {fetched:%d %B %Y}, "
        f"and this sentence makes its text unique in the corpus.</p>"
    ).encode()
    match = _BODY_OPEN.search(page)
    cut = match.end() if match else 0
    return url, fetched, page[:cut] + lead + page[cut:]


def paragraph_vocabulary(pages: list[bytes]) -> list[bytes]:
    """The distinct words of the pages' ``<p>`` paragraphs, sorted (a deterministic list)."""
    return sorted(
        {word for page in pages for p in _PARAGRAPH.finditer(page) for word in _WORD.findall(p[0])}
    )


def vary_story(
    page: bytes, seed: int, vocabulary: list[bytes], share: float = VARIED_SHARE
) -> bytes:
    """``page`` with about ``share`` of the words in the text of its ``<p>`` paragraphs replaced
    by words of ``vocabulary``, chosen by ``seed`` alone (the same seed gives the same bytes)."""
    rng = random.Random(seed)

    def word(match: re.Match[bytes]) -> bytes:
        return vocabulary[rng.randrange(len(vocabulary))] if rng.random() < share else match[0]

    def text(match: re.Match[bytes]) -> bytes:
        return b">" + _WORD.sub(word, match[1]) + b"<"

    return _PARAGRAPH.sub(lambda p: _TEXT_NODE.sub(text, p[0]), page)


def story_of(i: int) -> int:
    """Which page's story page ``i`` carries: its own, or for one page in ``SYNDICATED_EVERY``
    the story of a page up to ``SYNDICATED_WITHIN`` before it (further back when that page
    itself carries an older story)."""
    if i % SYNDICATED_EVERY != SYNDICATED_EVERY - 1 or i <= SYNDICATED_WITHIN:
        return i
    # 7919, a prime, scatters the distance; that page may itself carry an older story
    return story_of(i - 1 - (i * 7919) % SYNDICATED_WITHIN)


def pages(
    n: int, varied: bool = True, bases: list[bytes] | None = None
) -> Iterator[tuple[str, datetime, bytes]]:
    """The ``n`` pages from ``bases`` (default :func:`base_pages`)."""
    bases = bases if bases is not None else base_pages()
    vocabulary = paragraph_vocabulary(bases) if varied else []
    for i in range(n):
        if not varied:
            yield variant(bases[i % len(bases)], i)
            continue
        story = story_of(i)
        yield variant(vary_story(bases[story % len(bases)], story, vocabulary), i)


def write_warc(
    path: Path,
    records: list[tuple[str, datetime, bytes]],
    heads: dict[str, tuple[str, str]] | None = None,
) -> None:
    """A gzip WARC with one HTTP response record per (url, fetch time, html); ``heads``: the
    (status line, Content-Type) of some URLs, instead of a 200 of UTF-8 HTML."""
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for url, fetched, html in records:
            status, kind = (heads or {}).get(url, ("200 OK", "text/html; charset=utf-8"))
            headers = StatusAndHeaders(status, [("Content-Type", kind)], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(html),
                http_headers=headers,
                warc_headers_dict={
                    "WARC-Date": fetched.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    # Derived, not random, so the same records give the same WARC bytes.
                    "WARC-Record-ID": f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, url)}>",
                },
            )
            writer.write_record(record)


def build(
    n: int,
    out: Path,
    warc: bool,
    per_warc: int = 1000,
    varied: bool = True,
    bases: list[bytes] | None = None,
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    if not warc:
        for i, (_, _, html) in enumerate(pages(n, varied, bases)):
            (out / f"{i // 1000:04d}").mkdir(exist_ok=True)
            (out / f"{i // 1000:04d}" / f"page-{i:07d}.html").write_bytes(html)
        return
    batch: list[tuple[str, datetime, bytes]] = []
    for i, record in enumerate(pages(n, varied, bases)):
        batch.append(record)
        if len(batch) == per_warc:
            write_warc(out / f"crawl-{i // per_warc:05d}.warc.gz", batch)
            batch = []
    if batch:
        write_warc(out / f"crawl-{n // per_warc:05d}.warc.gz", batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("n", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--warc", action="store_true", help="write WARC files, not HTML files")
    parser.add_argument(
        "--repeated", action="store_true", help="base pages as they are: no story variation"
    )
    args = parser.parse_args()
    build(args.n, args.out, args.warc, varied=not args.repeated)


if __name__ == "__main__":
    main()
