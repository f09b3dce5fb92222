"""The corpus stage's output writer and read-ahead: a row group encoded on a background thread
gives the same file, byte for byte, as one written in the caller's thread, however the frames
are cut; a failed write leaves no file; parts read ahead come back in order."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from pipeline import schema
from pipeline.corpuswide.spill import read_ahead
from pipeline.corpuswide.writing import FrameSink
from pipeline.outputs import OUTPUTS


def sentences(n: int) -> pl.DataFrame:
    """``n`` sentence rows of the published schema (a little repetition, as in a corpus)."""
    return schema.conform(
        pl.DataFrame(
            {
                "doc_id": [f"{i // 7:016x}" for i in range(n)],
                "sentence_id": [f"{i // 7:016x}-{i % 7}" for i in range(n)],
                "sentence_index": [i % 7 for i in range(n)],
                "paragraph_index": [i % 3 for i in range(n)],
                "char_start": [10 * (i % 7) for i in range(n)],
                "char_end": [10 * (i % 7) + 9 for i in range(n)],
                # ~140 characters: a row group's texts then fill more than one Parquet page
                # (1 MB), where the page cuts could follow how the frames were cut
                "text": [f"Sentence {i} of the story, told once more. " * 3 for i in range(n)],
                "url": [f"https://example.org/{i // 7}" for i in range(n)],
                "domain": ["example.org"] * n,
                "title": [None] * n,
                "published": [datetime(2025, 5, 1 + i % 28, tzinfo=UTC) for i in range(n)],
                "language": ["en"] * n,
                "language_detected": ["en" if i % 2 else None for i in range(n)],
                "language_confidence": [0.9 if i % 2 else None for i in range(n)],
                "sentence_hash": [f"{i % 1_000:016x}" for i in range(n)],
                "is_duplicate": [i >= 1_000 for i in range(n)],
                "n_words": [7] * n,
            }
        ),
        schema.SENTENCES,
    )


def written(path: Path, pieces: list[pl.DataFrame]) -> bytes:
    sink = FrameSink(path, "sentences")
    for piece in pieces:
        sink.write(piece)
    sink.close()
    return path.read_bytes()


def test_background_encoding_gives_the_bytes_of_one_serial_write(tmp_path: Path) -> None:
    group = OUTPUTS["sentences"].row_group
    frame = sentences(2 * group + 1_234)
    # the reference: the same row groups written by pyarrow in this thread
    reference = tmp_path / "reference.parquet"
    arrow_schema = schema.empty(schema.SENTENCES).to_arrow().schema
    with pq.ParquetWriter(
        reference, arrow_schema, compression="zstd", compression_level=3
    ) as writer:
        for start in range(0, frame.height, group):
            table = frame.slice(start, group).to_arrow().cast(arrow_schema)
            writer.write_table(table, row_group_size=group)
    whole = written(tmp_path / "whole.parquet", [frame])
    assert whole == reference.read_bytes()
    cuts = [0, 7, 5_000, group, group + 1, 2 * group + 3, frame.height]
    pieces = [frame.slice(lo, hi - lo) for lo, hi in itertools.pairwise(cuts)]
    assert written(tmp_path / "cut.parquet", pieces) == whole
    meta = pq.ParquetFile(tmp_path / "cut.parquet").metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [
        group,
        group,
        1_234,
    ]
    assert pl.read_parquet(tmp_path / "cut.parquet").equals(frame)


def test_an_empty_sink_writes_an_empty_file_with_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "empty.parquet"
    written(path, [])
    assert pl.read_parquet(path).schema == pl.Schema(schema.SENTENCES)


def test_a_failed_encoding_surfaces_and_abort_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    sink = FrameSink(path, "sentences")
    sink.write(sentences(10))  # buffered: under a row group
    sink.writer.close()  # so the encoding on the background thread fails
    with pytest.raises(AssertionError):  # pyarrow's: the writer is not open
        sink.close()  # the last row group is encoded, and its error raised here
    sink.abort()
    assert not path.exists()
    assert not list(tmp_path.iterdir()), "temporary file left behind"


def test_read_ahead_keeps_order_and_reads_at_most_one_part_ahead() -> None:
    read: list[int] = []
    lock = threading.Lock()

    def reader(part: int) -> int:
        with lock:
            read.append(part)
        return part * 10

    seen = []
    for value in read_ahead(reader, 5):
        seen.append(value)
        # the caller holds part k; parts up to k + 1 may have been read, never k + 2
        assert max(read) <= value // 10 + 1
    assert seen == [0, 10, 20, 30, 40]
    assert read == [0, 1, 2, 3, 4]
    assert list(read_ahead(reader, 0)) == []
