"""Pages read again by extract (pipeline.sources.pages): the text ingest decoded, exactly, from
the bytes ingest hashed; a page that changed or vanished since is quarantined with its reason."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.corpus import write_warc
from pipeline import schema
from pipeline.html.extraction import extract_document
from pipeline.sources.folder import take_inventory
from pipeline.sources.inputs import ingest_row, input_items
from pipeline.sources.pages import InputPages

MAX_RAW = MAX_INFLATED = 1 << 20
ARTICLE = (
    "<html><head><title>Harbour wall repaired</title></head><body><article>"
    "<p>Workers finished repairing the harbour wall on Tuesday, three weeks early.</p>"
    "<p>The café on the quay reopened the same afternoon, its owner said.</p>"
    "</article></body></html>"
)
# Pages whose decoding takes each path of pipeline.sources.decoding.
PAGES: dict[str, bytes] = {
    "utf8.html": ARTICLE.encode(),
    "declared-latin.html": ARTICLE.replace("<head>", '<head><meta charset="iso-8859-1">').encode(
        "cp1252"
    ),
    "bom.html": b"\xef\xbb\xbf" + ARTICLE.encode(),
    "utf16.html": ARTICLE.encode("utf-16-le"),
    "stray-byte.html": ARTICLE.encode().replace(b"three", b"thr\x92ee") + "é".encode() * 4,
    "controls.html": ARTICLE.replace("Tuesday", "Tues\x00day\x0b").encode(),
    "packed.html.gz": gzip.compress(ARTICLE.encode(), mtime=0),
    "dump.txt": (
        b"body { color: black }\nHarbour wall repaired\nHome | News | Sport\n"
        b"Workers finished repairing the harbour wall on Tuesday, three weeks early.\n"
    ),
}


def _rows(root: Path, by_reference: bool = True, carry: bool = False) -> list[dict[str, Any]]:
    """Ingest's rows of the folder; ``by_reference=False``: with the text ingest decoded."""
    files = take_inventory(root, max_raw_bytes=MAX_RAW).to_dicts()
    items = input_items(root, files, MAX_RAW, [], carry=carry)
    ingest = (str(root), MAX_RAW, MAX_INFLATED)
    return [
        ingest_row(item if by_reference else {**item, "by_reference": False}, *ingest)
        for item in items
    ]


def _text(value: Any) -> str:
    return bytes(value).decode() if isinstance(value, bytes) else str(value)


def test_a_page_read_again_is_the_text_ingest_decoded(tmp_path: Path) -> None:
    for name, raw in PAGES.items():
        (tmp_path / name).write_bytes(raw)
    write_warc(
        tmp_path / "crawl.warc.gz",
        [("https://news.example/a", datetime(2024, 3, 5, tzinfo=UTC), ARTICLE.encode("cp1252"))],
    )
    kept, by_reference = _rows(tmp_path, by_reference=False), _rows(tmp_path)
    assert len(kept) == len(PAGES) + 1
    assert all(row["reason"] is None for row in kept)
    assert all(row["raw_text"] is None for row in by_reference)
    pages = InputPages(tmp_path, MAX_RAW, MAX_INFLATED)
    for row, again in zip(kept, by_reference, strict=True):
        assert pages.text(again) == _text(row["raw_text"]), row["source_path"]
        # the rest of the row is the same either way
        assert {**row, "raw_text": None} == again


@settings(max_examples=60, deadline=None)
@given(raw=st.binary(min_size=1, max_size=400))
def test_any_bytes_ingest_keeps_read_again_give_its_text(raw: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "page.html").write_bytes(raw)
        (kept,), (again,) = _rows(root, by_reference=False), _rows(root)
        if kept["reason"] is None:
            assert InputPages(root, MAX_RAW, MAX_INFLATED).text(again) == _text(kept["raw_text"])


@pytest.mark.parametrize("change", ["edited", "removed", "folder unknown"])
def test_a_page_changed_since_ingest_is_quarantined_by_extract(tmp_path: Path, change: str) -> None:
    (tmp_path / "a.html").write_bytes(ARTICLE.encode())
    (row,) = _rows(tmp_path)
    pages = InputPages(tmp_path, MAX_RAW, MAX_INFLATED)
    if change == "edited":
        (tmp_path / "a.html").write_bytes(ARTICLE.replace("Tuesday", "Monday").encode())
    elif change == "removed":
        (tmp_path / "a.html").unlink()
    else:
        pages = InputPages(None, MAX_RAW, MAX_INFLATED)
    out = extract_document(row, 10_000, pages=pages)
    expected = {"edited": "changed_since_inventory", "removed": "unreadable"}
    assert out["reason"] == expected.get(change, "unreadable")
    assert out["detail"] and "raw_text" not in out


def test_extract_reads_the_page_it_was_not_given(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_bytes(ARTICLE.encode())
    (kept,), (again,) = _rows(tmp_path, by_reference=False), _rows(tmp_path)
    kept["raw_text"] = _text(kept["raw_text"])
    pages = InputPages(tmp_path, MAX_RAW, MAX_INFLATED)
    assert extract_document(again, 10_000, pages=pages) == extract_document(kept, 10_000)


def test_workers_that_cannot_see_the_folder_are_sent_the_pages(tmp_path: Path) -> None:
    """The Ray engine's carried rows: the driver reads the pages into ``raw_text``; a page it
    cannot read stays null (the worker finds it unreadable too)."""
    for name, raw in PAGES.items():
        (tmp_path / name).write_bytes(raw)
    kept, carried = _rows(tmp_path, by_reference=False), _rows(tmp_path, carry=True)
    assert carried == _rows(tmp_path)  # ingest's rows do not depend on the engine
    (tmp_path / "utf8.html").unlink()
    columns = [{k: row.get(k) for k in schema.INGESTED} for row in carried]
    table = pl.DataFrame(columns, schema=schema.INGESTED).to_arrow()
    filled = InputPages(tmp_path, MAX_RAW, MAX_INFLATED).fill(table)
    for row, text in zip(kept, filled["raw_text"].to_pylist(), strict=True):
        expected = None if row["source_path"] == "utf8.html" else _text(row["raw_text"])
        assert text == expected
