"""Remote inputs (``ingest.input_urls``) as inventory rows, and the command that turns a
``warc.paths``-style listing into that list.

A remote row records the object's size and version (ETag or VersionId) as the inventory saw
it: the inventory table, which DVC hashes, then names exactly what went in, and ingest
quarantines an object whose version changed since (``changed_since_inventory``).

``python -m pipeline.sources.listing URL --first N --prefix P`` reads a listing (one path per
line, gzip or plain, local or remote; Common Crawl publishes ``warc.paths.gz`` for every
CC-NEWS month) and writes its first N entries, each prefixed, into ``params.yaml`` as
``ingest.input_urls``, with ``ingest.input_dir: null`` (comments and the rest of the file
kept). ``make ccnews MONTH=2025/01 FIRST=5`` runs it on CC-NEWS, then ``dvc repro``."""

from __future__ import annotations

import gzip
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import typer

from pipeline.schema import QuarantineReason
from pipeline.sources.remote import (
    DEFAULT_RETRY,
    ObjectInfo,
    RemoteAccessError,
    Retry,
    is_remote,
    object_info,
    read_remote,
)

REMOTE = "remote"  # file_type of an inventory row read from a URL
MAX_LISTING_BYTES = 64 << 20
Row = dict[str, Any]
# CC-NEWS files are named for the crawl time (CC-NEWS-20250101012345-00001.warc.gz), CC-MAIN
# files sit under their crawl's folder (crawl-data/CC-MAIN-2025-05/...).
_CC_NEWS = re.compile(r"CC-NEWS-(\d{4})(\d{2})\d{8}-\d+")
_CC_CRAWL = re.compile(r"\b(CC-MAIN-\d{4}-\d{2})\b")


def crawl_of(location: str, declared: str | None = None) -> str | None:
    """The crawl an input belongs to: ``declared`` (``ingest.crawl``) if set, else what a
    Common Crawl file name says (``CC-NEWS-2025-01``, ``CC-MAIN-2025-05``), else None."""
    if declared:
        return declared
    news = _CC_NEWS.search(location)
    if news:
        return f"CC-NEWS-{news.group(1)}-{news.group(2)}"
    main = _CC_CRAWL.search(location)
    return main.group(1) if main else None


def remote_row(url: str, retry: Retry = DEFAULT_RETRY) -> Row:
    """The inventory row of one remote object: its size and version, or, when it cannot be
    read (missing, refused), an ``unreadable`` row. No credentials at all raises."""
    row: Row = {
        "source_path": url,
        "file_type": REMOTE,
        "size_bytes": None,
        "source_sha256": None,
        "source_version": None,
        "source_url": None,
        "fetched_at": None,
        "reason": None,
        "detail": None,
    }
    try:
        info: ObjectInfo = object_info(url, retry)
    except RemoteAccessError:
        raise
    except Exception as exc:
        row["reason"] = QuarantineReason.UNREADABLE.value
        row["detail"] = f"{type(exc).__name__}: {exc}"[:300]
        return row
    row["size_bytes"], row["source_version"] = info.size, info.version
    return row


def remote_rows(urls: Sequence[str], threads: int = 8, retry: Retry = DEFAULT_RETRY) -> list[Row]:
    """Inventory rows of ``urls`` (asked in parallel: each is one request, mostly waiting)."""
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        return list(pool.map(lambda url: remote_row(url, retry), urls))


def read_listing(location: str, limit: int = MAX_LISTING_BYTES) -> list[str]:
    """The entries of a listing file (one per line, blank lines skipped), gzip or plain."""
    raw = read_remote(location, limit) if is_remote(location) else Path(location).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return [line.strip() for line in raw.decode("utf-8").splitlines() if line.strip()]


def listing_urls(entries: Sequence[str], prefix: str, first: int | None) -> list[str]:
    """The first ``first`` entries (all when None) as URLs: relative ones joined to ``prefix``."""
    chosen = list(entries if first is None else entries[:first])
    base = prefix if not prefix or prefix.endswith("/") else prefix + "/"
    return [e if is_remote(e) else base + e.lstrip("/") for e in chosen]


def write_input_urls(params_file: Path, urls: Sequence[str], keep_input_dir: bool) -> None:
    """Set ``ingest.input_urls`` in ``params_file`` (and ``ingest.input_dir: null`` unless
    ``keep_input_dir``), keeping its comments and layout (ruamel, as ``dvc exp run
    --set-param`` does)."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # one URL a line, never folded
    data = yaml.load(params_file.read_text(encoding="utf-8"))
    data["ingest"]["input_urls"] = list(urls)
    if not keep_input_dir:
        data["ingest"]["input_dir"] = None
    with params_file.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh)


def main(
    listing: str = typer.Argument(..., help="warc.paths(.gz)-style listing: a path or URL"),
    first: int | None = typer.Option(None, min=1, help="take only the first N entries"),
    prefix: str = typer.Option(
        "https://data.commoncrawl.org/",
        help="joined to relative entries (s3://commoncrawl/ with AWS credentials)",
    ),
    params: Path = typer.Option(Path("params.yaml"), help="the params file to write"),
    keep_input_dir: bool = typer.Option(
        False, help="read ingest.input_dir too (default: the URLs only, input_dir: null)"
    ),
    dry_run: bool = typer.Option(False, help="print the URLs instead of writing them"),
) -> None:
    """Put a listing's first N files into params.yaml as ingest.input_urls."""
    try:
        entries = read_listing(listing)
    except Exception as error:  # network, missing file, not a listing: one line, no traceback
        typer.echo(f"cannot read the listing {listing}: {type(error).__name__}: {error}", err=True)
        raise typer.Exit(2) from None
    urls = listing_urls(entries, prefix, first)
    if dry_run:
        typer.echo("\n".join(urls))
        return
    write_input_urls(params, urls, keep_input_dir)
    typer.echo(f"{params}: ingest.input_urls = {len(urls)} URLs from {listing}", err=True)


if __name__ == "__main__":
    typer.run(main)
