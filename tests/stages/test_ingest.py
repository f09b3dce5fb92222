"""Ingest: provenance, duplicates, limits, and files that changed after the inventory."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

from pipeline.runtime.engine import PerDocument
from pipeline.runtime.protocol import TimedOut
from pipeline.runtime.runner import mark_timeout
from pipeline.schema import QuarantineReason
from pipeline.sources.folder import take_inventory
from pipeline.sources.inputs import DOC_ID_HEX, FirstPathWins, ingest_file, ingest_row, input_items
from pipeline.sources.pages import InputPages

HTML = b"<html><body><p>The council met on Tuesday to discuss the harbour.</p></body></html>"


def _ingest_dir(root: Path, max_raw: int = 1 << 20) -> list[dict[str, Any]]:
    """Ingest's rows for ``root``, through its inventory as the pipeline takes it."""
    files = take_inventory(root, max_raw_bytes=max_raw).to_dicts()
    items = input_items(root, files, max_raw, [])
    return [ingest_row(item, str(root), max_raw, 1 << 20) for item in items]


def test_provenance_and_doc_id_is_content_hash(tmp_path: Path) -> None:
    name = "dossier spécial ü.html"
    (tmp_path / name).write_bytes(HTML)
    (row,) = _ingest_dir(tmp_path)
    digest = hashlib.sha256(HTML).hexdigest()
    assert row["source_path"] == name
    assert row["source_sha256"] == digest
    assert row["doc_id"] == digest[:DOC_ID_HEX]
    assert row["size_bytes"] == len(HTML)
    assert row["format"] == "html" and row["encoding"] == "utf-8"


def test_identical_bytes_keep_the_first_path_and_quarantine_the_rest(tmp_path: Path) -> None:
    for name in ("b.html", "a.html", "c.html"):
        (tmp_path / name).write_bytes(HTML)
    settle = FirstPathWins()
    rows = [settle(row) for row in _ingest_dir(tmp_path)]
    assert [r["source_path"] for r in rows] == ["a.html", "b.html", "c.html"]
    assert [r["reason"] for r in rows] == [None, "duplicate", "duplicate"]
    assert all("a.html" in r["detail"] for r in rows[1:])


def test_too_large_is_quarantined_without_reading(tmp_path: Path) -> None:
    (tmp_path / "big.html").write_bytes(HTML * 100)
    (row,) = _ingest_dir(tmp_path, max_raw=len(HTML))
    assert row["reason"] is QuarantineReason.TOO_LARGE
    assert row["doc_id"] is None


def test_fifo_is_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.html")  # reading it would block the run forever
    (row,) = _ingest_dir(tmp_path)
    assert row["reason"] == QuarantineReason.SPECIAL_FILE
    assert "fifo" in row["detail"]
    # Called on it directly (a file swapped for a FIFO after the inventory), ingest does not block.
    direct = ingest_file(tmp_path / "pipe.html", tmp_path, 1 << 20, 1 << 20)
    assert direct["reason"] is QuarantineReason.UNREADABLE


def test_broken_symlink_is_quarantined(tmp_path: Path) -> None:
    os.symlink(tmp_path / "missing.html", tmp_path / "dangling.html")
    (row,) = _ingest_dir(tmp_path)
    assert row["reason"] == QuarantineReason.DANGLING_SYMLINK
    assert FirstPathWins()(row) == row


def test_a_file_edited_after_the_inventory_is_quarantined_not_ingested(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_bytes(HTML)
    (tmp_path / "b.html").write_bytes(HTML.replace(b"Tuesday", b"Monday"))
    files = take_inventory(tmp_path).to_dicts()
    (tmp_path / "a.html").write_bytes(HTML.replace(b"council", b"COUNCIL"))
    items = input_items(tmp_path, files, 1 << 20, [])
    rows = [ingest_row(item, str(tmp_path), 1 << 20, 1 << 20) for item in items]
    assert [r["reason"] for r in rows] == [QuarantineReason.CHANGED_SINCE_INVENTORY, None]
    assert rows[0]["raw_text"] is None


def test_carried_files_travel_as_bytes_and_one_over_the_cap_as_its_reason(
    tmp_path: Path,
) -> None:
    """For workers that cannot see the folder (Ray on other nodes) no item names a path: the
    same rows as when the workers read the files themselves."""
    (tmp_path / "a.html").write_bytes(HTML)
    (tmp_path / "big.html").write_bytes(HTML * 40)
    files = take_inventory(tmp_path, max_raw_bytes=len(HTML) * 2).to_dicts()
    carried = list(input_items(tmp_path, files, len(HTML) * 2, [], carry=True))
    assert not any("path" in item for item in carried)
    read_here = list(input_items(tmp_path, files, len(HTML) * 2, []))
    rows = [
        [ingest_row(item, str(tmp_path), len(HTML) * 2, 1 << 20) for item in items]
        for items in (carried, read_here)
    ]
    assert rows[0] == rows[1]
    # either way the page stays in the folder, where extract reads it again
    pages = InputPages(tmp_path, len(HTML) * 2, 1 << 20)
    assert rows[0][0]["raw_text"] is None and pages.text(rows[0][0]) == HTML.decode()
    assert [r["reason"] for r in rows[0]] == [None, QuarantineReason.TOO_LARGE]


def slow_ingest(item: dict[str, Any]) -> dict[str, Any]:
    time.sleep(5)  # a page that takes too long: the engine's soft limit stops it
    return ingest_row(item, "", 1 << 20, 1 << 20)


def test_an_input_over_its_time_budget_is_quarantined_under_its_name(tmp_path: Path) -> None:
    # The engine hands back the item itself, marked; the quarantine row must still name the
    # input and its bytes (engine.max_seconds_per_doc at its minimum times out every input).
    (tmp_path / "slow.html").write_bytes(HTML)
    files = take_inventory(tmp_path, max_raw_bytes=1 << 20).to_dicts()
    (item,) = input_items(tmp_path, files, 1 << 20, [])
    marked = PerDocument(slow_ingest, 0.05).one(item)
    assert isinstance(marked, TimedOut)
    row = FirstPathWins()(mark_timeout(marked, "ingest"))
    assert row["source_path"] == "slow.html" and row["reason"] == QuarantineReason.TIMEOUT
    assert row["size_bytes"] == len(HTML)
    assert row["source_sha256"] == hashlib.sha256(HTML).hexdigest()
