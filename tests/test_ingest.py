"""Ingest: stable walk, provenance, duplicates, limits, unreadable files."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from pipeline.ingest import DOC_ID_HEX, FirstPathWins, ingest_file, walk_files
from pipeline.schema import QuarantineReason

HTML = b"<html><body><p>The council met on Tuesday to discuss the harbour.</p></body></html>"


def _ingest_dir(root: Path, max_raw: int = 1 << 20) -> list[dict[str, object]]:
    return [ingest_file(p, root, max_raw, 1 << 20) for p in walk_files(root)]


def test_walk_is_sorted_and_survives_a_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.html").write_bytes(HTML)
    (tmp_path / "a.html").write_bytes(HTML)
    os.symlink(tmp_path, tmp_path / "b" / "loop")
    paths = [p.relative_to(tmp_path).as_posix() for p in walk_files(tmp_path)]
    assert paths == ["a.html", "b/z.html"]


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
    assert row["reason"] is QuarantineReason.UNREADABLE
    assert row["detail"] == "not a regular file"


def test_broken_symlink_is_unreadable(tmp_path: Path) -> None:
    os.symlink(tmp_path / "missing.html", tmp_path / "dangling.html")
    (row,) = _ingest_dir(tmp_path)
    assert row["reason"] is QuarantineReason.UNREADABLE
    assert FirstPathWins()(row) == row
