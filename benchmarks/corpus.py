"""Synthetic corpora for benchmarks: N pages recombined from the bundled sample and the
benchmark HTML, with varied ids, dates and domains, written as HTML files and as WARC.

``python -m benchmarks.corpus N OUT_DIR [--warc]`` (``make bench-data N=...``)."""

from __future__ import annotations

import argparse
import gzip
import io
import os
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


def pages(n: int) -> Iterator[tuple[str, datetime, bytes]]:
    bases = base_pages()
    for i in range(n):
        yield variant(bases[i % len(bases)], i)


def write_warc(path: Path, records: list[tuple[str, datetime, bytes]]) -> None:
    """A gzip WARC with one HTTP response record per (url, fetch time, html)."""
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for url, fetched, html in records:
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
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


def build(n: int, out: Path, warc: bool, per_warc: int = 1000) -> None:
    out.mkdir(parents=True, exist_ok=True)
    if not warc:
        for i, (_, _, html) in enumerate(pages(n)):
            (out / f"{i // 1000:04d}").mkdir(exist_ok=True)
            (out / f"{i // 1000:04d}" / f"page-{i:07d}.html").write_bytes(html)
        return
    batch: list[tuple[str, datetime, bytes]] = []
    for i, record in enumerate(pages(n)):
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
    args = parser.parse_args()
    build(args.n, args.out, args.warc)


if __name__ == "__main__":
    main()
