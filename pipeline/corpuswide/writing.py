"""The corpus stage's outputs: documents.parquet, sentences.parquet and boilerplate_map.parquet,
written one doc_id range at a time.

Invariants: the files come out sorted, in fixed row groups (declared in :mod:`pipeline.outputs`),
so their bytes do not depend on how the work was cut (batch size, worker count, ranges); each file
appears atomically; documents.text stays as cleaned, and sentence_id keeps its segmented value.
"""

from __future__ import annotations

import contextlib
import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from pipeline import schema
from pipeline.corpuswide.settings import Inputs, Outputs, Partitioning
from pipeline.corpuswide.spill import SentenceDecisions, SentenceParts, TaskParts
from pipeline.outputs import of_table
from pipeline.runtime.sink import atomic_path, write_parquet


class FrameSink:
    """Append sorted frames to a Parquet file in row groups of a fixed size, so its bytes do not
    depend on how the frames were cut; the file appears atomically on close.

    Row groups are encoded on a background thread (pyarrow's writer releases the GIL while it
    compresses), one at a time and in order, so the caller prepares the next frame meanwhile;
    at most one row group waits, so memory stays bounded."""

    def __init__(self, path: Path, table: str) -> None:
        self.path = path
        layout = of_table(table)
        self.declared = layout.schema
        self.rows_per_group = layout.row_group
        self.arrow_schema = schema.empty(self.declared).to_arrow().schema
        self.buffer: list[pl.DataFrame] = []
        self.buffered = 0
        self.rows_written = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = atomic_path(path)
        self.writer = pq.ParquetWriter(
            self.tmp,
            self.arrow_schema,
            compression=layout.codec,
            compression_level=layout.compression_level,
        )
        self.encoder = ThreadPoolExecutor(1, thread_name_prefix=f"sink-{table}")
        self.pending: Future[None] | None = None

    def write(self, frame: pl.DataFrame) -> None:
        self.buffer.append(schema.conform(frame, self.declared))
        self.buffered += frame.height
        while self.buffered >= self.rows_per_group:
            whole = pl.concat(self.buffer)
            self._flush(whole.head(self.rows_per_group))
            rest = whole.slice(self.rows_per_group)
            self.buffer, self.buffered = [rest], rest.height

    def _flush(self, frame: pl.DataFrame) -> None:
        # one chunk per column: pyarrow cuts a column's pages where a chunk ends too, so a row
        # group made of several frames (as the ranges cut them) would be encoded differently
        table = frame.to_arrow().cast(self.arrow_schema).combine_chunks()
        self._wait()  # the previous row group first: the file's order is the calls' order
        self.pending = self.encoder.submit(
            self.writer.write_table, table, row_group_size=self.rows_per_group
        )
        self.rows_written += frame.height

    def _wait(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()  # an encoding error surfaces here

    def close(self) -> None:
        if self.buffered or self.rows_written == 0:
            self._flush(pl.concat(self.buffer) if self.buffer else schema.empty(self.declared))
            self.buffer, self.buffered = [], 0
        self._wait()
        self.encoder.shutdown()
        self.writer.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        # the error that made the caller abort is the one to report, not the encoder's
        with contextlib.suppress(Exception):
            self._wait()
        self.encoder.shutdown()
        self.writer.close()
        self.tmp.unlink(missing_ok=True)


def write_outputs(
    inputs: Inputs,
    outputs: Outputs,
    facts: pl.DataFrame,
    final: pl.DataFrame,
    documents: TaskParts,
    parts: SentenceParts,
    decisions: SentenceDecisions,
    partitioning: Partitioning,
) -> dict[str, int]:
    """documents.parquet and sentences.parquet, one doc_id range at a time (sorted, fixed row
    groups), and boilerplate_map.parquet with its example texts."""
    doc_columns = facts.filter(pl.col("doc_idx").is_in(final["doc_idx"].implode())).select(
        "doc_id",
        "language_detected",
        "language_confidence",
        "cluster_id",
        "duplicate_of",
        "n_boilerplate_sentences",
        n_sentences=pl.col("n_before") - pl.col("n_boilerplate_sentences"),
    )
    # documents.parquet on a thread of its own while the sentences are written: the two files
    # are independent, and Polars and pyarrow release the GIL, so both cores work
    with ThreadPoolExecutor(1, thread_name_prefix="documents") as pool:
        documents_written = pool.submit(
            write_documents,
            outputs.documents,
            documents,
            doc_columns,
            partitioning.ranges(inputs.cleaned),
        )
        try:
            written = write_sentences(outputs, facts, final, parts, decisions)
        except BaseException:
            with contextlib.suppress(Exception):  # the first error is the one to report
                documents_written.result()
            raise
        documents_written.result()
    return written


def write_documents(
    path: Path, documents: TaskParts, doc_columns: pl.DataFrame, doc_ranges: int
) -> None:
    """documents.parquet, one doc_id range at a time (sorted, fixed row groups)."""
    sink = FrameSink(path, "documents")
    try:
        for part in range(doc_ranges):
            # n_words came with the parts (counted by the engine tasks)
            frame = documents.read(part).join(doc_columns, on="doc_id", how="inner")
            sink.write(frame.sort("doc_id"))
    except BaseException:
        sink.abort()
        documents.discard()
        raise
    sink.close()


def write_sentences(
    outputs: Outputs,
    facts: pl.DataFrame,
    final: pl.DataFrame,
    parts: SentenceParts,
    decisions: SentenceDecisions,
) -> dict[str, int]:
    """sentences.parquet, one doc_id range at a time (sorted, fixed row groups), and
    boilerplate_map.parquet with its example texts."""
    bmap = decisions.boilerplate_map
    # where each removed sentence's example text is: the first removed occurrence
    examples = (
        bmap.select("domain", "sentence_hash", doc_id="first_doc_id", sentence_index="first_index")
        .join(facts.select("doc_id", "doc_idx"), on="doc_id")
        .select("doc_idx", "sentence_index", "domain", _key="sentence_hash")
        if bmap.height
        else None
    )
    texts: list[pl.DataFrame] = []
    doc_language = facts.select("doc_idx", doc_language="language_detected")
    kept = final.select("doc_idx")
    written = {"sentences": 0, "identified": 0, "duplicates": 0}
    sink = FrameSink(outputs.sentences, "sentences")
    try:
        for part in range(parts.n_ranges):
            frame = parts.by_range.read(part)
            if examples is not None:
                found = frame.select("doc_idx", "sentence_index", "text").join(
                    examples, on=["doc_idx", "sentence_index"]
                )
                # Copied out through Arrow: a join keeps the texts as views into the part's
                # buffers, so a few examples kept from every part held them all (+0.6 GB at
                # 100k pages when a part was read as one chunk)
                texts.append(pl.DataFrame(found.to_arrow()))
            frame = (
                frame.join(kept, on="doc_idx", how="semi")
                .join(decisions.removed.read(part), on=["doc_idx", "hash"], how="anti")
                .join(
                    decisions.duplicates.read(part).with_columns(is_duplicate=True),
                    on=["doc_idx", "sentence_index"],
                    how="left",
                )
                .join(doc_language, on="doc_idx", how="left")
                .sort("doc_idx", "sentence_index")
                .with_columns(
                    language_detected=pl.coalesce("language_detected", "doc_language"),
                    is_duplicate=pl.col("is_duplicate").fill_null(False),
                    # positions 0, 1, 2... again after removals; sentence_id keeps the segmented
                    sentence_index=(pl.int_range(pl.len()).over("doc_idx")).cast(pl.Int32),
                )
            )
            written["sentences"] += frame.height
            written["identified"] += int(frame["language_confidence"].is_not_null().sum())
            written["duplicates"] += int(frame["is_duplicate"].sum())
            sink.write(frame)
    except BaseException:
        sink.abort()
        raise
    sink.close()

    if bmap.height:
        example_texts = pl.concat(texts).select("domain", "text", sentence_hash="_key")
        bmap = (
            bmap.drop("text")
            .join(example_texts, on=["domain", "sentence_hash"], how="left")
            .with_columns(
                sentence_hash=pl.col("sentence_hash").map_elements(
                    lambda h: f"{h:016x}", return_dtype=pl.String
                )
            )
        )
    else:
        bmap = schema.empty(schema.BOILERPLATE_MAP)
    write_parquet(bmap, outputs.boilerplate_map, "boilerplate_map")
    return written
