"""Stage 4, segment: one row per sentence with exact offsets into the cleaned text.
``python -m pipeline.segment --help``."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import typer

from pipeline import schema
from pipeline.config import read_params
from pipeline.outputs import OUTPUTS
from pipeline.runtime.engine import EngineConfig
from pipeline.runtime.protocol import Packed, TimedOut
from pipeline.runtime.runner import map_parquet, mark_timeout
from pipeline.runtime.sink import (
    ParquetSink,
    merge_quarantine,
    quarantine_rows,
    to_arrow,
    write_parquet,
)
from pipeline.runtime.stats import run_cli, timed_stage
from pipeline.runtime.transport import arrow_payload, read_payload, spill_directory
from pipeline.text.sentences import split_sentences

STAGE = "segment"
# What the workers import once, in their fork server, before the stage module runs in each.
WORKER_PRELOAD = (
    "pipeline.runtime.runner",
    "pipeline.text.sentences",
    "pipeline.config",
    "typer",
)
DOC_COLUMNS = ("url", "domain", "title", "published", "language")
INPUT_COLUMNS = (  # what the workers read of each document
    "doc_id",
    "source_path",
    "source_sha256",
    "size_bytes",
    "text",
    *DOC_COLUMNS,
)
_WHITESPACE = re.compile(r"\s+")


def bounded_spans(text: str, spans: list[tuple[int, int]], max_chars: int) -> list[tuple[int, int]]:
    """Cut any span longer than ``max_chars`` at its last whitespace before the limit, so a run-on
    "sentence" (a table, a list without punctuation) stays within the validated length bound.
    Every piece stays trimmed."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        while end - start > max_chars:
            window = text[start + 1 : start + max_chars + 1]
            gaps = [m.start() for m in _WHITESPACE.finditer(window)]
            cut = start + 1 + gaps[-1] if gaps else start + max_chars
            piece_end = cut
            while piece_end > start and text[piece_end - 1].isspace():
                piece_end -= 1
            out.append((start, piece_end))
            start = cut
            while start < end and text[start].isspace():
                start += 1
        if end > start:
            out.append((start, end))
    return out


def newline_positions(text: str) -> list[int]:
    """Offsets of the newlines (paragraph ends) of ``text``: found by ``str.find``, not by
    looking at every character in Python (that loop was the stage's largest cost)."""
    found: list[int] = []
    at = text.find("\n")
    while at != -1:
        found.append(at)
        at = text.find("\n", at + 1)
    return found


def sentence_columns(
    docs: list[dict[str, Any]], max_chars: int, default_language: str = "en"
) -> dict[str, list[Any]]:
    """Sentences of the documents, in order, column by column (``schema.SEGMENTED``), with
    sentence and paragraph indexes. A page's declared language picks the segmenter's rules; a
    language without rules splits conservatively."""
    columns: dict[str, list[Any]] = {name: [] for name in schema.SEGMENTED}
    for doc in docs:
        text: str = doc["text"]
        found = split_sentences(text, doc.get("language") or default_language)
        spans = bounded_spans(text, found, max_chars)
        newlines = newline_positions(text)
        doc_id, n = doc["doc_id"], len(spans)
        columns["doc_id"].extend([doc_id] * n)
        columns["sentence_id"].extend(f"{doc_id}-{index:05d}" for index in range(n))
        columns["sentence_index"].extend(range(n))
        columns["paragraph_index"].extend(bisect.bisect_left(newlines, a) for a, _ in spans)
        columns["char_start"].extend(a for a, _ in spans)
        columns["char_end"].extend(b for _, b in spans)
        columns["text"].extend(text[a:b] for a, b in spans)
        for column in DOC_COLUMNS:
            columns[column].extend([doc[column]] * n)
    return columns


def sentence_rows(
    doc: dict[str, Any], max_chars: int, default_language: str = "en"
) -> list[dict[str, Any]]:
    """Sentences of one document as rows (see :func:`sentence_columns`)."""
    columns = sentence_columns([doc], max_chars, default_language)
    return [
        dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]


@dataclass(frozen=True)
class SegmentBatch:
    """Batch function for the engine: the sentences of the batch's documents, in order, as one
    Arrow payload (the driver writes it without converting a value), with the documents they
    came from (their doc_id). A document that overruns its time budget comes back from the
    engine as its :class:`TimedOut` outcome instead."""

    max_chars: int
    default_language: str = "en"
    spill_dir: str | None = None  # see arrow_payload

    def __call__(self, docs: list[dict[str, Any]]) -> list[Packed]:
        columns = sentence_columns(docs, self.max_chars, self.default_language)
        table = to_arrow(columns, "segmented")
        documents: list[dict[str, Any] | TimedOut] = [{"doc_id": doc["doc_id"]} for doc in docs]
        return [Packed(documents, arrow_payload(table, self.spill_dir))]


def segment_documents(documents: pl.DataFrame, max_chars: int) -> pl.DataFrame:
    """All sentences of a frame of cleaned documents (in memory; the stage streams)."""
    columns = sentence_columns(list(documents.iter_rows(named=True)), max_chars)
    if not columns["doc_id"]:
        return schema.empty(schema.SEGMENTED)
    return pl.DataFrame(columns, schema=schema.SEGMENTED)


def quarantined(outcome: TimedOut) -> dict[str, Any]:
    """The quarantine row of a document that overran its time budget: only the quarantine
    columns, so the text and sentences are not held until the stage ends."""
    marked = {**mark_timeout(outcome, STAGE), "stage": STAGE}
    return {column: marked.get(column) for column in schema.QUARANTINE}


def main(
    input: Path = typer.Option(OUTPUTS["cleaned"].path),
    quarantine_in: Path = typer.Option(OUTPUTS["quarantine_clean"].path),
    output: Path = typer.Option(OUTPUTS["segmented"].path),
    quarantine_out: Path = typer.Option(OUTPUTS["quarantine_segment"].path),
) -> None:
    config = read_params()  # the whole file, before any input is read
    params, engine = config.segment, EngineConfig.from_params(config.engine)
    with timed_stage(STAGE) as stats:
        dropped: list[dict[str, Any]] = []
        with spill_directory(engine) as spill, ParquetSink(output, "segmented") as sink:
            max_chars, language = params.max_sentence_chars, params.language
            fn = SegmentBatch(max_chars, language, spill)
            # Workers read the documents themselves: the pages never pass through the driver.
            for batch in map_parquet(fn, input, engine, INPUT_COLUMNS, WORKER_PRELOAD):
                for item in batch:
                    if isinstance(item, TimedOut):
                        # The corpus stage leaves out documents quarantined here.
                        dropped.append(quarantined(item))
                        stats.docs_in += 1
                    else:
                        sink.write_arrow(read_payload(item.payload))
                        stats.docs_in += len(item.rows)
        new_quarantine = quarantine_rows(dropped)
        write_parquet(
            merge_quarantine(pl.read_parquet(quarantine_in), new_quarantine),
            quarantine_out,
            "quarantine",
        )
        stats.docs_out = stats.docs_in - len(dropped)
        stats.count_drops(new_quarantine)
        stats.extra["sentences"] = sink.rows_written


if __name__ == "__main__":
    run_cli(main)
