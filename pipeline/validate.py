"""Stage 5, validate: one Great Expectations suite per stage output (``expectations/*.json``).

A failed expectation makes this stage, and so ``dvc repro``, fail with the suite, the
expectation, the column, the unexpected count and sample values and rows. Data Docs (static
HTML) are written to ``reports/data_docs``. ``python -m pipeline.validate --help``.

Memory stays flat in the corpus size: every table is read in chunks (``validate.chunk_rows``
rows, ``validate.chunk_documents`` for tables holding a document's text per row). Polars adds
the derived columns to each chunk; facts that one chunk cannot see (uniqueness over the whole
table, sentences per document, a sentence repeated across a domain, accounting) are computed
once by the driver, table by table, reading the tables in batches and grouping 64-bit hashes one
hash part at a time on large corpora (``repeated_keys``), and joined in. Great Expectations
judges every chunk, in worker processes (``engine:`` params); a task names a chunk's Parquet
rows and the worker reads them and adds the derived columns itself (``read_chunk``: the driver
reads no texts, and the facts reach each worker once, as files). The per-chunk results are
added up per expectation:
success over all rows (``mostly`` on the summed counts), counts summed, the first sample rows in
chunk order. Expectations that are not row by row (median, mean, row count) run once on the
whole of their columns, which the chunks collect narrow. One validation result per suite goes to
the Data Docs.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import io
import json
import logging
import math
import os
import statistics
import sys
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import polars as pl
import pyarrow.parquet as pq
import typer

from pipeline.config import read_params
from pipeline.quality.data_docs import write_site
from pipeline.runtime.engine import EngineConfig, map_batches
from pipeline.runtime.scratch import owned_directory
from pipeline.runtime.stats import run_cli, timed_stage, write_json
from pipeline.schema import MAX_TITLE_CHARS, QUARANTINE_REASONS, UTC_TIME, QuarantineReason

STAGE = "validate"
# What the workers import once, in their fork server, before the stage module runs in each:
# Great Expectations too (~3 s CPU in every process that imports it; the driver never does).
WORKER_PRELOAD = (
    "pipeline.quality.data_docs",
    "pipeline.runtime.stats",
    "pipeline.config",
    "typer",
    "great_expectations",
    "great_expectations.validator.v1_validator",
    "great_expectations.execution_engine.pandas_execution_engine",
    "great_expectations.expectations.metrics.map_metric_provider.map_condition_auxilliary_methods",
    "great_expectations.core.expectation_validation_result",
    "great_expectations.data_context.types.resource_identifiers",
)

# Suite name -> (Parquet file, columns identifying a row in failure reports).
SUITE_TABLES: dict[str, tuple[str, list[str]]] = {
    "ingested": ("data/interim/ingested.parquet", ["doc_id"]),
    "extracted": ("data/interim/extracted.parquet", ["doc_id"]),
    "cleaned": ("data/interim/cleaned.parquet", ["doc_id"]),
    "documents": ("data/processed/documents.parquet", ["doc_id"]),
    "sentences": ("data/processed/sentences.parquet", ["sentence_id"]),
    "quarantine": ("data/processed/quarantine.parquet", ["source_path", "stage"]),
    "accounting": ("data/interim/inventory.parquet", ["source_path"]),
}


@dataclass(frozen=True)
class Failure:
    suite: str
    expectation: str
    column: str | None
    unexpected_count: int | None
    observed: Any
    sample_values: list[Any]
    sample_rows: list[dict[str, Any]]

    def describe(self) -> str:
        where = f" on column '{self.column}'" if self.column else ""
        lines = [f"  FAILED {self.suite}: {self.expectation}{where}"]
        if self.unexpected_count is not None:
            lines.append(f"    unexpected count: {self.unexpected_count}")
        if self.observed is not None:
            lines.append(f"    observed value: {self.observed!r}")
        if self.sample_values:
            lines.append(f"    sample values: {[_short(v) for v in self.sample_values]}")
        if self.sample_rows:
            lines.append(f"    sample rows: {[_short(r) for r in self.sample_rows]}")
        return "\n".join(lines)


def _short(value: Any, limit: int = 160) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def host_of(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.removeprefix("www.") if host else None


def domain_consistent(url: str | None, domain: str | None) -> bool:
    """A domain must be the url's host (or a parent of it) whenever both are known."""
    host = host_of(url)
    if host is None or domain is None:
        return True
    return host == domain or host.endswith("." + domain)


# The stage that must report each reason; reasons not listed may come from any stage
# (``timeout`` is per stage; ``duplicate`` is found by bytes at ingest or by text later).
REASON_STAGES: dict[str, frozenset[str]] = {
    **{
        r.value: frozenset({"ingest"})
        for r in (
            QuarantineReason.EMPTY,
            QuarantineReason.BINARY,
            QuarantineReason.UNDECODABLE,
            QuarantineReason.CORRUPT_GZIP,
            QuarantineReason.TOO_LARGE,
            QuarantineReason.INFLATED_TOO_LARGE,
            QuarantineReason.UNREADABLE,
        )
    },
    **{
        r.value: frozenset({"extract"})
        for r in (
            QuarantineReason.NO_CONTENT,
            QuarantineReason.TEXT_TOO_LONG,
            QuarantineReason.EXTRACTION_ERROR,
        )
    },
    QuarantineReason.TOO_SHORT.value: frozenset({"clean"}),
    QuarantineReason.NO_SENTENCES.value: frozenset({"segment", "corpus"}),
}


def reason_fits_stage(reason: str | None, stage: str | None) -> bool:
    """False when a reason is reported by a stage that cannot have found it."""
    if reason is None or stage is None:
        return False
    allowed = REASON_STAGES.get(str(reason))
    return allowed is None or stage in allowed


# ------------------------------------------------------------------------------------------
# derived columns of one chunk (row by row, or within the documents a chunk holds whole)
# ------------------------------------------------------------------------------------------


def _text_checks(df: pl.DataFrame) -> pl.DataFrame:
    """text_length, and for cleaned text: counts that match the text, NFC normal form, the
    last character."""
    out = df.with_columns(text_length=pl.col("text").str.len_chars().cast(pl.Int64))
    if "n_chars" in df.columns:
        out = out.with_columns(
            n_chars_matches_text=pl.col("n_chars") == pl.col("text_length"),
            n_paragraphs_matches_text=pl.col("n_paragraphs")
            == pl.col("text").str.count_matches("\n", literal=True) + 1,
            text_is_nfc=pl.col("text").str.normalize("NFC") == pl.col("text"),
            # for the trailing-whitespace check: no ``$`` on multi-line text (see the suites)
            text_last_char=pl.col("text").str.slice(-1),
        )
    return out


def _domain_checks(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(
        pl.Series(
            "domain_matches_url",
            [domain_consistent(u, d) for u, d in df.select("url", "domain").iter_rows()],
            dtype=pl.Boolean,
        )
    )


FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)
_C0_CONTROLS = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"


def raw_text_facts(frame: FrameT) -> FrameT:
    """The facts the ``ingested`` suite checks about the raw pages, in place of the pages."""
    return frame.with_columns(
        raw_text_chars=pl.col("raw_text").str.len_chars().cast(pl.Int64),
        raw_text_has_controls=pl.col("raw_text").str.contains(_C0_CONTROLS),
    ).drop("raw_text")


def offsets_slice_back(sentences: pl.DataFrame, documents: pl.DataFrame) -> pl.Series:
    """True where documents.text[char_start:char_end] == sentences.text (False when the
    document is missing or an offset is negative)."""
    texts = documents.select("doc_id", _doc_text=pl.col("text")).unique(
        "doc_id", keep="first", maintain_order=True
    )
    start, end = pl.col("char_start"), pl.col("char_end")
    sliced = pl.col("_doc_text").str.slice(start, (end - start).clip(lower_bound=0))
    return (
        sentences.select("doc_id", "char_start", "char_end", "text")
        .join(texts, on="doc_id", how="left", maintain_order="left")
        .select(
            ((start >= 0) & (sliced == pl.col("text"))).fill_null(False).alias("offsets_slice_back")
        )
        .to_series()
    )


# Rows whose 64-bit hashes are grouped at once. A group_by over hashes holds one entry (with
# ``n_unique``: one hash set) per distinct hash, i.e. per sentence: on larger tables the
# (hash, value) pairs are spilled to a temporary Parquet file and grouped one hash part at a
# time, so the driver's memory is that of one part. 1k/10k corpora stay one part.
HASH_PART_ROWS = 2_000_000
# Sentences read at a time for the facts. Polars' streaming engine held far more than this
# when the texts were read (~1.2 GB at 100k documents for one filter over them).
FACT_READ_ROWS = 50_000


def hash_parts(rows: int) -> int:
    return max(1, math.ceil(rows / HASH_PART_ROWS))


def _row_count(source: Source) -> int:
    if isinstance(source, pl.DataFrame):
        return source.height
    return int(pq.ParquetFile(source).metadata.num_rows)


def repeated_keys(
    pairs: Iterable[pl.DataFrame], rows: int, count: pl.Expr, parts: int | None = None
) -> pl.DataFrame:
    """The ``_key`` (UInt64) values of the ``pairs`` frames whose group's ``count`` is over 1,
    in no particular order. ``rows`` (an upper bound of the pairs) sets the number of hash
    parts; a part holds every pair of its keys, so the keys found never depend on it."""
    parts = hash_parts(rows) if parts is None else parts

    def repeated(frame: pl.LazyFrame) -> pl.DataFrame:
        return (
            frame.group_by("_key")
            .agg(_n=count)
            .filter(pl.col("_n") > 1)
            .select("_key")
            .collect(engine="streaming")
        )

    if parts == 1:
        return repeated(pl.concat(list(pairs), how="vertical_relaxed").lazy())
    with owned_directory(prefix="newscorpus-validate-") as tmp:
        spilled = tmp / "pairs.parquet"
        writer: pq.ParquetWriter | None = None
        for frame in pairs:
            table = frame.to_arrow()
            writer = writer or pq.ParquetWriter(spilled, table.schema)
            writer.write_table(table)
        if writer is None:
            return pl.DataFrame(schema={"_key": pl.UInt64})
        writer.close()
        found = [
            repeated(pl.scan_parquet(spilled).filter(pl.col("_key") % parts == part))
            for part in range(parts)
        ]
    return pl.concat(found)


def most_clusters_within(occurrences: pl.DataFrame, window_days: float | None) -> pl.DataFrame:
    """(domain, text, domain_repeat_docs) from (domain, text, _cluster, _published) rows: per
    sentence of a domain, the most duplicate clusters holding it within ``window_days`` of one
    of its occurrences (None: at any time). An undated occurrence is within every window. This
    is how the corpus stage's boilerplate rule counts (``corpus.boilerplate_window_days``)."""
    if window_days is None:
        return occurrences.group_by("domain", "text").agg(
            domain_repeat_docs=pl.col("_cluster").n_unique().cast(pl.Int64)
        )
    window = timedelta(days=window_days)
    points = occurrences.select("domain", "text", "_cluster", "_published").unique()
    apart = pl.col("_published") - pl.col("_published_other")
    near = points.join(points, on=["domain", "text"], suffix="_other").filter(
        pl.col("_published").is_null()
        | pl.col("_published_other").is_null()
        | ((apart <= window) & (apart >= -window))
    )
    return (
        near.group_by("domain", "text", "_cluster", "_published")
        .agg(_near=pl.col("_cluster_other").n_unique())
        .group_by("domain", "text")
        .agg(domain_repeat_docs=pl.col("_near").max().cast(pl.Int64))
    )


def domain_repeats(
    sentences: Source, documents: Source, window_days: float | None = None
) -> pl.DataFrame:
    """(domain, text, domain_repeat_docs) for every sentence text found in more than one
    duplicate cluster of its domain within ``window_days`` (see ``most_clusters_within``; a
    republished story repeats its own sentences, so clusters are counted, not documents); any
    other sentence with a domain is in exactly one.

    Reads the sentences in batches twice: candidates are found on 64-bit hashes of (domain,
    text) and of the cluster (``repeated_keys``: more than one cluster at any time), and only
    the candidates' rows are counted exactly on their texts."""
    docs = _scan(documents)
    names = docs.collect_schema().names()
    cluster = pl.coalesce("cluster_id", "doc_id") if "cluster_id" in names else pl.col("doc_id")
    published = pl.col("published") if "published" in names else pl.lit(None, UTC_TIME)
    clusters = (
        docs.select("doc_id", _cluster=cluster, _published=published)
        .unique("doc_id", keep="first")
        .collect(engine="streaming")
    )

    def keyed() -> Iterator[pl.DataFrame]:
        for batch in _read_batches(sentences, ["doc_id", "domain", "text"], FACT_READ_ROWS):
            yield batch.filter(pl.col("domain").is_not_null()).with_columns(
                _key=pl.struct("domain", "text").hash()
            )

    def with_cluster(frame: pl.DataFrame) -> pl.DataFrame:
        joined = frame.join(clusters, on="doc_id", how="left", maintain_order="left")
        return joined.with_columns(_cluster=pl.coalesce("_cluster", "doc_id"))

    candidates = repeated_keys(
        (
            with_cluster(batch.select("doc_id", "_key")).select(
                "_key", _value=pl.col("_cluster").hash()
            )
            for batch in keyed()
        ),
        _row_count(sentences),
        pl.col("_value").n_unique(),
    )
    keys = candidates["_key"].implode()
    # Copied through Arrow: a filtered string column still points into the whole batch's
    # text buffers, which would keep every batch alive.
    rows = [
        _frame(with_cluster(batch.filter(pl.col("_key").is_in(keys))).to_arrow())
        for batch in keyed()
    ]
    return (
        most_clusters_within(pl.concat(rows, how="vertical_relaxed"), window_days)
        .filter(pl.col("domain_repeat_docs") > 1)
        .sort("domain", "text")
    )


def sentence_checks(
    sentences: pl.DataFrame,
    documents: pl.DataFrame,
    repeats: pl.DataFrame | None = None,
    window_days: float | None = None,
) -> pl.DataFrame:
    """Derived sentence columns of sentences that hold every sentence of their documents:
    offsets slice back into ``documents``, text length, order within the document, and in how
    many duplicate clusters of the same domain the same sentence text appears within
    ``window_days`` (page chrome that slipped through repeats across a site's pages; null when
    the domain is unknown). ``repeats`` (from ``domain_repeats``) is computed from these frames
    when not given."""
    if repeats is None:
        repeats = domain_repeats(sentences, documents, window_days)
    ordered = pl.int_range(pl.len()).over("doc_id", order_by="sentence_index")
    previous_end = pl.col("char_end").shift(1).over("doc_id", order_by="sentence_index")
    return (
        sentences.with_columns(offsets_slice_back(sentences, documents))
        .join(repeats, on=["domain", "text"], how="left", maintain_order="left")
        .with_columns(
            text_length=pl.col("text").str.len_chars().cast(pl.Int64),
            follows_previous=(pl.col("sentence_index") == ordered)
            & (previous_end.is_null() | (pl.col("char_start") >= previous_end)),
            domain_repeat_docs=pl.when(pl.col("domain").is_not_null()).then(
                pl.col("domain_repeat_docs").fill_null(1)
            ),
        )
    )


def accounting_checks(
    inventory: pl.DataFrame, documents: pl.DataFrame, quarantine: pl.DataFrame
) -> pl.DataFrame:
    """One row per input path (and per path an output names): outcomes and whether it was kept."""
    crash = QuarantineReason.EXTRACTION_ERROR.value
    outcomes = pl.concat(
        [
            documents.select("source_path", outcome=pl.lit("kept")),
            quarantine.select(
                "source_path",
                outcome=pl.when(pl.col("reason").cast(pl.String) == crash)
                .then(pl.lit(crash))
                .otherwise(pl.lit("quarantined")),
            ),
        ]
    )
    per_path = outcomes.group_by("source_path").agg(
        n_outcomes=pl.len(),
        kept=(pl.col("outcome") == "kept").any().cast(pl.Int8),
        crashed=(pl.col("outcome") == crash).any().cast(pl.Int8),
    )
    return (
        inventory.join(per_path, on="source_path", how="full", coalesce=True)
        .with_columns(
            pl.col("n_outcomes").fill_null(0),
            pl.col("kept").fill_null(0),
            pl.col("crashed").fill_null(0),
        )
        .with_columns(in_inventory=pl.col("source_path").is_in(inventory["source_path"].implode()))
        .sort("source_path")
    )


def _reason_checks(quarantine: pl.DataFrame) -> pl.DataFrame:
    return quarantine.with_columns(
        pl.Series(
            "reason_fits_stage",
            [
                reason_fits_stage(r, s)
                for r, s in quarantine.select(pl.col("reason").cast(pl.String), "stage").iter_rows()
            ],
            dtype=pl.Boolean,
        )
    )


# ------------------------------------------------------------------------------------------
# reading tables in chunks
# ------------------------------------------------------------------------------------------

# A table is a Parquet file (the stage) or a frame (tests, small derived tables).
Source = Path | pl.DataFrame

# The inputs of each suite's table; ``accounting`` is derived from inventory and the outputs.
SUITE_SOURCES: dict[str, str] = {
    "ingested": "ingested",
    "extracted": "extracted",
    "cleaned": "cleaned",
    "documents": "documents",
    "sentences": "sentences",
    "quarantine": "quarantine",
}
# Columns the derived columns of each table are computed from.
DERIVED_INPUTS: dict[str, set[str]] = {
    "ingested": {"raw_text", "source_sha256", "doc_id"},
    "extracted": {"url", "domain", "text"},
    "cleaned": {"url", "domain", "text", "n_chars", "n_paragraphs"},
    "documents": {"url", "domain", "text", "n_chars", "n_paragraphs", "doc_id"},
    "sentences": {"doc_id", "sentence_index", "char_start", "char_end", "text", "domain"},
    "quarantine": {"reason", "stage"},
}
# Tables holding whole pages or texts per row are chunked by documents, the others by rows.
DOCUMENT_TABLES = frozenset({"ingested", "extracted", "cleaned", "documents"})
# Raw pages are reduced to their facts this many rows at a time (~200 KB each).
RAW_READ_ROWS = 64
DEFAULT_CHUNK_ROWS = 50_000
DEFAULT_CHUNK_DOCUMENTS = 2_000  # see params.yaml: CPU per chunk vs a worker's memory


def _scan(source: Source) -> pl.LazyFrame:
    return source.lazy() if isinstance(source, pl.DataFrame) else pl.scan_parquet(source)


def _columns_of(source: Source) -> list[str]:
    if isinstance(source, pl.DataFrame):
        return source.columns
    return list(pq.ParquetFile(source).schema_arrow.names)


def _read_batches(source: Source, columns: list[str], rows: int) -> Iterator[pl.DataFrame]:
    """The table in row order, ``rows`` at a time, only ``columns``; at least one (maybe
    empty) frame, so an empty table is still validated."""
    if isinstance(source, pl.DataFrame):
        frame = source.select(columns)
        yield from (frame.slice(i, rows) for i in range(0, max(frame.height, 1), rows))
        return
    # Without pre-buffering, a row group's pages are read as they are decoded, not all at once.
    parquet = pq.ParquetFile(source, pre_buffer=False)
    empty = True
    for batch in parquet.iter_batches(batch_size=rows, columns=columns):
        empty = False
        yield _frame(batch)
    if empty:
        yield _frame(parquet.schema_arrow.empty_table().select(columns))


def _frame(arrow: Any) -> pl.DataFrame:
    frame = pl.from_arrow(arrow)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _rechunk(frames: Iterable[pl.DataFrame], rows: int) -> Iterator[pl.DataFrame]:
    """Frames of ``rows`` rows (the last one shorter) from frames of any size."""
    pending: list[pl.DataFrame] = []
    held = 0
    yielded = False
    for frame in frames:
        pending.append(frame)
        held += frame.height
        while held >= rows and held > 0:
            whole = pl.concat(pending, how="vertical_relaxed")
            yield whole.head(rows)
            yielded = True
            rest = whole.slice(rows)
            pending, held = ([rest] if rest.height else []), rest.height
        if not pending and not yielded:
            pending = [frame.clear()]
    if pending and (held > 0 or not yielded):
        yield pl.concat(pending, how="vertical_relaxed")


def _whole_documents(frames: Iterable[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    """Chunks cut only between documents: the rows of a document's last run in a frame wait
    for the next frame (the table is sorted by doc_id, so a document's rows are together)."""
    carry: pl.DataFrame | None = None
    for frame in frames:
        if carry is not None:
            frame = pl.concat([carry, frame], how="vertical_relaxed")
        if frame.height == 0:
            carry = frame
            continue
        last = frame["doc_id"][-1]
        other = frame.select(pl.col("doc_id").ne_missing(last).arg_true()).to_series()
        cut = int(other[-1]) + 1 if other.len() else 0
        if cut:
            yield frame.head(cut)
        carry = frame.slice(cut)
    if carry is not None:
        yield carry


class DocumentTexts:
    """documents' texts read forward in doc_id order beside the sentences (both are sorted by
    doc_id): only the documents of the current chunk, and one read batch, are held."""

    def __init__(self, source: Source, rows: int) -> None:
        self.batches = _read_batches(source, ["doc_id", "text"], rows)
        self.buffer = pl.DataFrame(schema={"doc_id": pl.String, "text": pl.String})
        self.exhausted = False

    def between(self, first: str, last: str) -> pl.DataFrame:
        while not self.exhausted and (
            self.buffer.height == 0 or (self.buffer["doc_id"][-1] or "") <= last
        ):
            batch = next(self.batches, None)
            if batch is None:
                self.exhausted = True
            else:
                self.buffer = pl.concat([self.buffer, batch], how="vertical_relaxed")
        self.buffer = self.buffer.filter(pl.col("doc_id") >= first)
        return self.buffer.filter(pl.col("doc_id") <= last)


def _in_key_order(
    frame: pl.DataFrame, keys: list[str], previous: tuple[Any, ...] | None
) -> pl.Series:
    """Whether each row's key is >= the previous row's (the previous chunk's last row for the
    first); null where the key is null."""
    prev = [
        pl.col(k).shift(1, fill_value=None if previous is None else previous[i])
        for i, k in enumerate(keys)
    ]
    order = pl.lit(False)
    for i in range(len(keys) - 1, -1, -1):
        equal_before = pl.lit(True)
        for j in range(i):
            equal_before = equal_before & (pl.col(keys[j]) == prev[j])
        # lexicographic: equal on the keys before i, and greater (or last key >=) on key i
        step = pl.col(keys[i]) >= prev[i] if i == len(keys) - 1 else pl.col(keys[i]) > prev[i]
        order = order | (equal_before & step)
    first_row = pl.int_range(pl.len()) == 0
    in_order = (order | (first_row & pl.lit(previous is None))).fill_null(True)
    return frame.select(
        pl.when(pl.col(keys[0]).is_null()).then(None).otherwise(in_order).alias("in_key_order")
    ).to_series()


# ------------------------------------------------------------------------------------------
# facts of the whole corpus (streaming queries), joined into the chunks
# ------------------------------------------------------------------------------------------


def duplicated_values(source: Source, column: str) -> pl.Series:
    """The non-null values of ``column`` occurring more than once in the whole table: grouped
    on 64-bit hashes first (bounded memory, see ``repeated_keys``), then exactly on the few
    candidate values."""
    candidates = repeated_keys(
        (
            batch.filter(pl.col(column).is_not_null()).select(_key=pl.col(column).hash())
            for batch in _read_batches(source, [column], FACT_READ_ROWS)
        ),
        _row_count(source),
        pl.len(),
    )
    values = _scan(source).select(column).filter(pl.col(column).is_not_null())
    if candidates.height == 0:
        return pl.Series(column, [], dtype=values.collect_schema()[column])
    return (
        values.filter(pl.col(column).hash().is_in(candidates["_key"].implode()))
        .group_by(column)
        .agg(_n=pl.len())
        .filter(pl.col("_n") > 1)
        .select(column)
        .sort(column)
        .collect(engine="streaming")
        .to_series()
    )


_DOC_KEYS = {"doc_id": pl.String, "source_path": pl.String, "text": pl.String}
_SENTENCE_KEYS = {"doc_id": pl.String, "domain": pl.String, "text": pl.String}


class CorpusFacts:
    """What no single chunk can see, computed from whole tables by streaming queries, each
    fact once, on first use: the stage sends the first table's chunks to the workers before
    it computes the facts of the later tables (the sentences' are most of the cost).

    ``sources``: tables keyed like ``SUITE_SOURCES`` plus ``inventory``; the facts of absent
    tables are empty."""

    def __init__(
        self,
        sources: dict[str, Source],
        unique_columns: dict[str, list[str]],
        repeat_window_days: float | None = None,
    ) -> None:
        self.sources = sources
        self.unique_columns = unique_columns
        self.repeat_window_days = repeat_window_days  # see domain_repeats
        self._duplicates: dict[str, dict[str, pl.Series]] = {}

    def _source(self, name: str, schema: dict[str, Any]) -> Source:
        return self.sources.get(name, pl.DataFrame(schema=schema))

    def duplicates_of(self, table: str) -> dict[str, pl.Series]:
        """Column -> the values duplicated in the table (columns of ``unique_columns``)."""
        if table not in self._duplicates:
            present = SUITE_SOURCES.get(table) in self.sources
            self._duplicates[table] = {
                column: duplicated_values(self.sources[SUITE_SOURCES[table]], column)
                for column in (self.unique_columns.get(table, []) if present else [])
            }
        return self._duplicates[table]

    @functools.cached_property
    def sentences_per_document(self) -> pl.DataFrame:
        """doc_id, n_sentences."""
        return (
            _scan(self._source("sentences", _SENTENCE_KEYS))
            .group_by("doc_id")
            .agg(n_sentences=pl.len().cast(pl.Int64))
            .collect(engine="streaming")
        )

    @functools.cached_property
    def repeats(self) -> pl.DataFrame:
        """domain, text, domain_repeat_docs (only those > 1; see domain_repeats)."""
        return domain_repeats(
            self._source("sentences", _SENTENCE_KEYS),
            self._source("documents", _DOC_KEYS),
            self.repeat_window_days,
        )

    @functools.cached_property
    def _inventory_paths(self) -> pl.DataFrame:
        inventory = self._source("inventory", {"source_path": pl.String})
        return _scan(inventory).select("source_path").collect()

    @functools.cached_property
    def accounting(self) -> pl.DataFrame:
        """One row per input path."""
        documents = _scan(self._source("documents", _DOC_KEYS))
        quarantine = self._source("quarantine", {"source_path": pl.String, "reason": pl.String})
        return accounting_checks(
            self._inventory_paths,
            documents.select("source_path").collect(engine="streaming"),
            _scan(quarantine).select("source_path", "reason").collect(engine="streaming"),
        )

    @property
    def input_files(self) -> int:
        return self._inventory_paths.height


def _unique_flags(frame: pl.DataFrame, duplicates: dict[str, pl.Series]) -> pl.DataFrame:
    flags = [
        pl.when(pl.col(column).is_null())
        .then(None)
        .otherwise(~pl.col(column).is_in(dups.implode()))
        .alias(f"{column}_is_unique")
        for column, dups in duplicates.items()
        if column in frame.columns
    ]
    return frame.with_columns(flags) if flags else frame


def derive_chunk(
    table: str,
    chunk: pl.DataFrame,
    duplicates: dict[str, pl.Series],
    sentences_per_document: pl.DataFrame,
    previous: tuple[Any, ...] | None,
) -> pl.DataFrame:
    """The derived columns of one chunk of a table read by rows (``ROW_READ_TABLES``);
    ``ingested`` chunks come with their raw pages already reduced by ``raw_text_facts``;
    ``previous``: the key of the row before the chunk (None for the first chunk)."""
    out = _unique_flags(chunk, duplicates)
    if table == "ingested":
        return out.with_columns(
            doc_id_is_hash_prefix=pl.col("source_sha256").str.slice(0, 16) == pl.col("doc_id")
        )
    if table == "quarantine":
        return _reason_checks(out)
    out = _text_checks(_domain_checks(out))
    if table == "documents":
        out = out.with_columns(_in_key_order(out, ["doc_id"], previous)).join(
            sentences_per_document, on="doc_id", how="left", maintain_order="left"
        )
        out = out.with_columns(pl.col("n_sentences").fill_null(0))
    return out


def derive_sentences(
    chunk: pl.DataFrame,
    duplicates: dict[str, pl.Series],
    documents: pl.DataFrame,
    repeats: pl.DataFrame,
    previous: tuple[Any, ...] | None,
) -> pl.DataFrame:
    """The derived columns of one chunk of sentences (whole documents), given the texts of
    its documents; ``previous``: the key of the row before the chunk (None for the first)."""
    out = sentence_checks(_unique_flags(chunk, duplicates), documents, repeats)
    return out.with_columns(_in_key_order(out, ["doc_id", "sentence_index"], previous))


def _chunk_columns(table: str, source: Source, wanted: set[str]) -> list[str]:
    return [c for c in _columns_of(source) if c in wanted | DERIVED_INPUTS[table]]


def derived_chunks(
    table: str,
    sources: dict[str, Source],
    facts: CorpusFacts,
    wanted: set[str],
    chunk_rows: int,
    chunk_documents: int,
) -> Iterator[pl.DataFrame]:
    """The suite's table in chunks, with every derived column; raw columns limited to
    ``wanted`` plus what the derived columns are computed from. (The stage has the tables of
    ``ROW_READ_TABLES`` read and derived in the workers instead: ``chunk_reads``.)"""
    if table == "accounting":
        yield from _read_batches(facts.accounting, facts.accounting.columns, chunk_rows)
        return
    source = sources[SUITE_SOURCES[table]]
    columns = _chunk_columns(table, source, wanted)
    rows = chunk_rows_of(table, chunk_rows, chunk_documents)
    if table == "sentences":
        yield from _sentence_chunks(source, columns, sources["documents"], facts, rows)
        return
    chunks: Iterable[pl.DataFrame] = _read_batches(source, columns, rows)
    if table == "ingested":
        facts_only = (
            raw_text_facts(b) for b in _read_batches(source, columns, min(rows, RAW_READ_ROWS))
        )
        chunks = _rechunk(facts_only, rows)
    previous: tuple[Any, ...] | None = None
    duplicates = facts.duplicates_of(table)
    for chunk in chunks:
        out = derive_chunk(table, chunk, duplicates, facts.sentences_per_document, previous)
        if table == "documents" and out.height:
            previous = (out["doc_id"][-1],)
        yield out


def chunk_rows_of(table: str, chunk_rows: int, chunk_documents: int) -> int:
    return chunk_documents if table in DOCUMENT_TABLES else chunk_rows


# ------------------------------------------------------------------------------------------
# chunks read and derived in the workers
# ------------------------------------------------------------------------------------------

# Tables whose chunks a worker reads and derives itself from a row range: the driver never
# reads their texts (raw pages: ~1.8 GB at 10k documents), and sends a few numbers instead of a
# pickled chunk. Their derived columns need only the chunk, small corpus facts and (sentences)
# the texts of the chunk's documents.
ROW_READ_TABLES = frozenset(
    {"ingested", "extracted", "cleaned", "documents", "sentences", "quarantine"}
)


def parquet_rows(
    path: Path, start: int, stop: int, columns: list[str], batch: int
) -> Iterator[pl.DataFrame]:
    """Rows ``start`` to ``stop`` (exclusive) of a Parquet file in row order, at most
    ``batch`` rows a frame, only ``columns``; only the row groups holding them are read. At
    least one (maybe empty) frame."""
    parquet = pq.ParquetFile(path, pre_buffer=False)
    meta = parquet.metadata
    groups: list[int] = []
    at = first = 0
    for group in range(meta.num_row_groups):
        size = meta.row_group(group).num_rows
        if at < stop and at + size > start:
            first = at if not groups else first
            groups.append(group)
        at += size
    empty = True
    if groups:
        at = first
        for part in parquet.iter_batches(batch_size=batch, row_groups=groups, columns=columns):
            low, high = max(start - at, 0), min(stop - at, part.num_rows)
            at += part.num_rows
            if high > low:
                empty = False
                yield _frame(part.slice(low, high - low))
    if empty:
        yield _frame(parquet.schema_arrow.empty_table().select(columns))


def _row_ranges(table: str, source: Path, rows: int) -> Iterator[tuple[int, int]]:
    """The (start, stop) rows of each chunk ``derived_chunks`` cuts: ``rows`` at a time, and
    sentences only between documents (found on their doc_ids alone)."""
    if table == "sentences":
        start = 0
        for chunk in _whole_documents(_read_batches(source, ["doc_id"], rows)):
            yield start, start + chunk.height
            start += chunk.height
        return
    total = _row_count(source)
    for start in range(0, max(total, 1), rows):
        yield start, min(start + rows, total)


def chunk_reads(
    table: str,
    sources: dict[str, Source],
    wanted: set[str],
    rows: int,
    facts_dir: Path,
) -> Iterator[dict[str, Any]]:
    """The chunks of ``table`` (the same boundaries as ``derived_chunks``) as row ranges for
    ``read_chunk``; its sources must be Parquet files."""
    source = sources[SUITE_SOURCES[table]]
    assert isinstance(source, Path)
    documents = sources.get("documents") if table == "sentences" else None
    assert documents is None or isinstance(documents, Path)
    columns = _chunk_columns(table, source, wanted)
    for start, stop in _row_ranges(table, source, rows):
        yield {
            "table": table,
            "path": str(source.resolve()),  # a worker may run elsewhere (Ray)
            "documents": str(documents.resolve()) if documents else None,
            "start": start,
            "stop": stop,
            "columns": columns,
            "wanted": sorted(wanted),
            "facts_dir": str(facts_dir.resolve()),
        }


def write_chunk_facts(facts: CorpusFacts, table: str, facts_dir: Path) -> None:
    """The facts ``read_chunk`` joins into the chunks of ``table``, written once for every
    worker to read once."""
    for column, dups in facts.duplicates_of(table).items():
        dups.to_frame(column).write_ipc(facts_dir / f"duplicates.{table}.{column}.arrow")
    if table == "documents":
        facts.sentences_per_document.write_ipc(facts_dir / "sentences_per_document.arrow")
    if table == "sentences":
        facts.repeats.write_ipc(facts_dir / "repeats.arrow")


# The facts files a worker process has read: path -> frame (one facts_dir at a time).
_FACTS: dict[str, pl.DataFrame] = {}


def _facts_file(path: Path) -> pl.DataFrame:
    key = str(path)
    if key not in _FACTS:
        if any(Path(k).parent != path.parent for k in _FACTS):
            _FACTS.clear()  # a later run in this process: drop the earlier run's facts
        # Read whole, not memory-mapped: the driver deletes the files at the end of its run.
        _FACTS[key] = pl.read_ipc(io.BytesIO(path.read_bytes()))
    return _FACTS[key]


def _document_texts(documents: Path, sentences: pl.DataFrame) -> pl.DataFrame:
    """(doc_id, text) of the documents whose doc_id is in the range of the sentences' (as
    ``DocumentTexts.between``); the row groups' statistics skip the other documents."""
    ids = sentences["doc_id"].drop_nulls()
    if not ids.len():
        return pl.DataFrame(schema={"doc_id": pl.String, "text": pl.String})
    return (
        pl.scan_parquet(documents)
        .select("doc_id", "text")
        .filter(pl.col("doc_id").is_between(pl.lit(str(ids.min())), pl.lit(str(ids.max()))))
        .collect()
    )


def read_chunk(read: dict[str, Any]) -> pl.DataFrame:
    """In a worker: the chunk a ``chunk_reads`` item names, with its derived columns, only the
    wanted columns; equal to the driver's ``derived_chunks`` chunk."""
    table, path, start, stop = read["table"], Path(read["path"]), read["start"], read["stop"]
    facts_dir = Path(read["facts_dir"])
    # Raw pages are reduced to their facts a few at a time, as on the driver.
    batch = RAW_READ_ROWS if table == "ingested" else max(stop - start, 1)
    frames: Iterable[pl.DataFrame] = parquet_rows(path, start, stop, read["columns"], batch)
    if table == "ingested":
        frames = (raw_text_facts(frame) for frame in frames)
    chunk = pl.concat(list(frames), how="vertical_relaxed")
    found = (_facts_file(f).to_series() for f in facts_dir.glob(f"duplicates.{table}.*.arrow"))
    duplicates = {series.name: series for series in sorted(found, key=lambda s: s.name)}
    keys = {"documents": ["doc_id"], "sentences": ["doc_id", "sentence_index"]}.get(table)
    previous: tuple[Any, ...] | None = None
    if keys and start > 0:  # the last key of the chunk before, for the key order
        (before,) = parquet_rows(path, start - 1, start, keys, FACT_READ_ROWS)
        previous = before.row(0)
    if table == "sentences":
        out = derive_sentences(
            chunk,
            duplicates,
            _document_texts(Path(read["documents"]), chunk),
            _facts_file(facts_dir / "repeats.arrow"),
            previous,
        )
    else:
        per_document = (
            _facts_file(facts_dir / "sentences_per_document.arrow")
            if table == "documents"
            else pl.DataFrame()
        )
        out = derive_chunk(table, chunk, duplicates, per_document, previous)
    wanted = set(read["wanted"])
    return out.select(c for c in out.columns if c in wanted)


def _sentence_chunks(
    source: Source, columns: list[str], documents: Source, facts: CorpusFacts, rows: int
) -> Iterator[pl.DataFrame]:
    texts = DocumentTexts(documents, max(rows // 20, 1))
    previous: tuple[Any, ...] | None = None
    duplicates = facts.duplicates_of("sentences")
    for chunk in _whole_documents(_read_batches(source, columns, rows)):
        ids = chunk["doc_id"].drop_nulls()
        docs = texts.between(str(ids.min()), str(ids.max())) if ids.len() else texts.buffer.clear()
        out = derive_sentences(chunk, duplicates, docs, facts.repeats, previous)
        if out.height:
            previous = (out["doc_id"][-1], out["sentence_index"][-1])
        yield out


def with_derived_checks(
    frames: dict[str, pl.DataFrame],
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    chunk_documents: int = DEFAULT_CHUNK_DOCUMENTS,
    repeat_window_days: float | None = None,
) -> dict[str, pl.DataFrame]:
    """Each suite's whole table with its derived columns (the chunks put together), from
    in-memory tables keyed like ``SUITE_TABLES`` (``accounting`` holds the inventory)."""
    sources: dict[str, Source] = {k: v for k, v in frames.items() if k != "accounting"}
    if "accounting" in frames:
        sources["inventory"] = frames["accounting"]
    unique: dict[str, list[str]] = {
        t: [c for c in ("doc_id", "source_path", "sentence_id") if c in f.columns]
        for t, f in frames.items()
        if t in SUITE_SOURCES
    }
    facts = CorpusFacts(sources, unique, repeat_window_days)
    everything = set().union(*(f.columns for f in frames.values()))
    needs = {"accounting": ("inventory", "documents", "quarantine"), "sentences": ("documents",)}
    return {
        table: pl.concat(
            list(derived_chunks(table, sources, facts, everything, chunk_rows, chunk_documents)),
            how="vertical_relaxed",
        )
        for table in SUITE_TABLES
        if all(t in sources for t in (*needs.get(table, ()), SUITE_SOURCES.get(table, "inventory")))
    }


# ------------------------------------------------------------------------------------------
# Great Expectations: suites, one context per worker process, results added up over chunks
# ------------------------------------------------------------------------------------------

# Expectations judged row by row: over chunks, their counts add up and ``mostly`` applies to
# the sums, which is what one run on the whole table gives. Every other type (median, mean,
# row count, ...) runs once on the whole of its columns.
ROW_EXPECTATIONS = frozenset(
    {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_null",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_not_match_regex",
        "expect_column_values_to_match_regex_list",
        "expect_column_values_to_not_match_regex_list",
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_in_set",
        "expect_column_value_lengths_to_be_between",
        "expect_column_value_lengths_to_equal",
        "expect_column_values_to_be_of_type",
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_column_pair_values_to_be_equal",
    }
)
SAMPLE_ROWS = 5  # sample values and rows kept per failed expectation
WHOLE = "__whole"  # suffix of the suite holding a suite's whole-table expectations
_ROW_MARKER = "_row"  # a column for whole-table expectations that name none (row count)


def load_suite_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True)
class SuiteSpec:
    """A suite file, each expectation with an id fixed by its position (results come back in
    no particular order, and from several processes), split into row-by-row and whole-table
    expectations."""

    name: str
    expectations: list[dict[str, Any]]
    meta: dict[str, Any]

    @classmethod
    def load(cls, suites_dir: Path, name: str) -> SuiteSpec:
        spec = load_suite_json(suites_dir / f"{name}.json")
        expectations = [
            {**e, "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"newscorpus/{name}/{i}"))}
            for i, e in enumerate(spec["expectations"])
        ]
        return cls(name, expectations, dict(spec.get("meta") or {}))

    def part(self, whole: bool) -> list[dict[str, Any]]:
        return [e for e in self.expectations if (e["type"] not in ROW_EXPECTATIONS) == whole]

    def json(self, whole: bool) -> dict[str, Any]:
        return {
            "name": self.name + (WHOLE if whole else ""),
            "expectations": self.part(whole),
            "meta": self.meta,
        }

    def json_all(self) -> dict[str, Any]:
        return {"name": self.name, "expectations": self.expectations, "meta": self.meta}

    def columns(self, whole: bool) -> set[str]:
        names: set[str] = set()
        for e in self.part(whole):
            kwargs = e["kwargs"]
            names.update(str(kwargs[k]) for k in ("column", "column_A", "column_B") if k in kwargs)
            names.update(str(c) for c in kwargs.get("column_list") or [])
        return names

    def unique_columns(self) -> list[str]:
        """Columns whose ``<column>_is_unique`` flag an expectation checks."""
        return sorted(
            c.removesuffix("_is_unique")
            for c in self.columns(False) | self.columns(True)
            if c.endswith("_is_unique")
        )


def _gx_suite(gx: Any, spec: dict[str, Any]) -> Any:
    suite = gx.ExpectationSuite(**spec)
    # GX drops an invalid expectation silently (only logs): refuse to validate with fewer.
    if len(suite.expectations) != len(spec["expectations"]):
        raise ValueError(
            f"suite {spec['name']}: {len(spec['expectations'])} expectations in file, "
            f"{len(suite.expectations)} loaded"
        )
    return suite


def _gx_context() -> Any:
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    return ctx


# One context per process, and one batch definition per suite part, made on first use.
_WORKER: dict[str, Any] = {}


@dataclass(frozen=True)
class _SuitePart:
    positions: dict[str, int]  # GX's expectation id -> position in the suite file
    suite: Any  # gx.ExpectationSuite
    batch_definition: Any
    result_format: dict[str, Any]


# GX's function (in map_condition_auxilliary_methods) giving the id columns of failing rows.
GX_ROW_ID_LOOKUP = "compute_unexpected_pandas_indices"


def _sample_rows_only(compute: Any) -> Any:
    """GX's ``compute_unexpected_pandas_indices``, given only the failing rows a result keeps.

    GX (1.24) looks up the id columns of *every* failing row, one ``DataFrame.at`` per row and
    column, then keeps the first ``partial_unexpected_count`` of them (every format but
    COMPLETE, which this stage never asks for). On the sentence-length quantile checks, where up
    to half the rows fail by design, that was ~12 s CPU of validate's ~56 s at 10k documents.
    The kept rows, and so the results, are the same."""

    @functools.wraps(compute)
    def first_rows(*, domain_records_df: Any, result_format: dict[str, Any], **kwargs: Any) -> Any:
        if result_format.get("result_format") != "COMPLETE":
            keep = int(result_format.get("partial_unexpected_count", SAMPLE_ROWS))
            domain_records_df = domain_records_df.head(keep)
        return compute(domain_records_df=domain_records_df, result_format=result_format, **kwargs)

    first_rows.sample_rows_only = True  # type: ignore[attr-defined]
    return first_rows


def _worker_context() -> None:
    """This process's GX context and pandas data source, made once."""
    if "ctx" not in _WORKER:
        from great_expectations.execution_engine import pandas_execution_engine
        from great_expectations.expectations.metrics.map_metric_provider import (
            map_condition_auxilliary_methods as map_conditions,
        )
        from great_expectations.validator import v1_validator  # noqa: F401  (warm-up: import)

        # GX fingerprints every batch (md5 over pandas' row hashes) for the result's meta only,
        # and skips it itself above this many bytes: never here. It cost CPU on every chunk and,
        # on the 11.5M sentence lengths of a 100k corpus, +437 MB in the worker.
        pandas_execution_engine.HASH_THRESHOLD = 0
        compute = getattr(map_conditions, GX_ROW_ID_LOOKUP)
        if not getattr(compute, "sample_rows_only", False):
            setattr(map_conditions, GX_ROW_ID_LOOKUP, _sample_rows_only(compute))
        _WORKER["ctx"] = _gx_context()
        _WORKER["source"] = _WORKER["ctx"].data_sources.add_pandas("newscorpus")
        _WORKER["parts"] = {}


def _suite_part(spec: dict[str, Any], id_columns: list[str]) -> _SuitePart:
    """The GX objects a suite part is validated with, made once per process."""
    import great_expectations as gx

    _worker_context()
    key = json.dumps([spec, id_columns], sort_keys=True, default=str)
    parts: dict[str, _SuitePart] = _WORKER["parts"]
    if key not in parts:
        ctx, name = _WORKER["ctx"], f"{spec['name']}#{len(parts)}"
        # Suite names are unique per process (a context may outlive one validation).
        suite = ctx.suites.add(_gx_suite(gx, {**spec, "name": name}))
        batch = (
            _WORKER["source"].add_dataframe_asset(name).add_batch_definition_whole_dataframe("all")
        )
        result_format: dict[str, Any] = {
            "result_format": "SUMMARY",
            "partial_unexpected_count": SAMPLE_ROWS,
            # A pandas "query" listing every failing row: dropped from the results anyway.
            "return_unexpected_index_query": False,
        }
        if id_columns:
            result_format["unexpected_index_column_names"] = id_columns
        # GX gives the expectations ids of its own; results come back in no particular order.
        positions = {str(e.id): i for i, e in enumerate(suite.expectations)}
        parts[key] = _SuitePart(positions, suite, batch, result_format)
    return parts[key]


# A task that only makes a worker's GX context (and, where no fork server preloaded GX, imports
# it), sent first so workers get ready while the driver computes the corpus facts.
WARM_UP = "warm_up"


def validate_chunks(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run in a worker: each task's frame (given, or read by ``read_chunk``) through its suite
    part; -> the validation result as plain JSON data (the driver then needs no GX import to
    add results up), and the suite file's expectation id of each result.

    GX's Validator is called directly, not through a Checkpoint: ``ValidationDefinition.run``
    keeps every result in the context's in-memory results store (a worker's memory grew with
    the number of chunks it validated), and its freshness checks cost CPU on every chunk. The
    result's meta gets what that run would add."""
    from great_expectations.constants import DATAFRAME_REPLACEMENT_STR
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.validator.v1_validator import Validator

    out = []
    for task in tasks:
        if task.get(WARM_UP):
            _worker_context()
            continue
        part = _suite_part(task["suite"], task["id_columns"])
        frame: pl.DataFrame = task["frame"] if "frame" in task else read_chunk(task["read"])
        validator = Validator(
            batch_definition=part.batch_definition,
            batch_parameters={"dataframe": frame.to_pandas()},
            result_format=part.result_format,
        )
        # Any: GX's result types are only partly annotated
        run: Any = validator.validate_expectation_suite(part.suite, task["parameters"])
        run_id = RunIdentifier(run_time=datetime.now(UTC))
        run.meta.update(
            run_id=run_id,
            validation_time=run_id.run_time,
            batch_parameters={"dataframe": DATAFRAME_REPLACEMENT_STR},
        )
        expectations = task["suite"]["expectations"]
        ids = [
            expectations[part.positions[str(i.expectation_config.id)]]["id"] for i in run.results
        ]
        out.append(
            {
                "table": task["table"],
                "whole": task["whole"],
                "run": run.to_json_dict(),
                "ids": ids,
                "key": {
                    "run_name": run_id.run_name,
                    "run_time": run_id.run_time.isoformat(),
                    "batch_identifier": validator.active_batch_id,
                },
            }
        )
    return out


def _counts_key(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return json.dumps(value, sort_keys=True, default=str)
    return value


@dataclass
class Tally:
    """One expectation's results (GX result JSON) added up over the chunks, in chunk order."""

    first: dict[str, Any]  # the first chunk's result: config and meta
    success: bool = True
    element_count: int = 0
    missing_count: int | None = 0
    unexpected_count: int | None = 0
    sample_values: list[Any] = field(default_factory=list)
    sample_rows: list[Any] = field(default_factory=list)
    value_counts: dict[Any, int] = field(default_factory=dict)
    exception_info: dict[str, Any] | None = None

    def add(self, item: dict[str, Any]) -> None:
        res: dict[str, Any] = item.get("result") or {}
        self.success = self.success and bool(item.get("success"))
        info = item.get("exception_info") or {}
        if info.get("raised_exception") and self.exception_info is None:
            self.exception_info = info
        self.element_count += int(res.get("element_count") or 0)
        missing, unexpected = res.get("missing_count"), res.get("unexpected_count")
        self.missing_count = (
            None if missing is None or self.missing_count is None else self.missing_count + missing
        )
        self.unexpected_count = (
            None
            if unexpected is None or self.unexpected_count is None
            else self.unexpected_count + unexpected
        )
        room = max(SAMPLE_ROWS - len(self.sample_values), 0)
        self.sample_values += list(res.get("partial_unexpected_list") or [])[:room]
        room = max(SAMPLE_ROWS - len(self.sample_rows), 0)
        self.sample_rows += list(res.get("partial_unexpected_index_list") or [])[:room]
        for entry in res.get("partial_unexpected_counts") or []:
            value = _counts_key(entry.get("value"))
            self.value_counts[value] = self.value_counts.get(value, 0) + int(entry.get("count", 0))

    def merged(self, chunks: int) -> dict[str, Any]:
        """The expectation's result over the whole table."""
        item = copy.deepcopy(self.first)
        if chunks == 1:
            return item
        res: dict[str, Any] = dict(item.get("result") or {})
        res.pop("unexpected_index_query", None)
        elements, unexpected, missing = (
            self.element_count,
            self.unexpected_count,
            self.missing_count,
        )
        considered = elements - (missing or 0)
        if "element_count" in res:
            res["element_count"] = elements
        if unexpected is not None:
            res["unexpected_count"] = unexpected
            if elements > 0:
                percent = unexpected / considered * 100 if considered > 0 else None
                res["unexpected_percent"] = percent
                if missing is not None:
                    res["missing_count"] = missing
                    res["missing_percent"] = missing / elements * 100
                    res["unexpected_percent_total"] = unexpected / elements * 100
                    res["unexpected_percent_nonmissing"] = percent
        if "partial_unexpected_list" in res:
            res["partial_unexpected_list"] = self.sample_values
        if "partial_unexpected_index_list" in res:
            res["partial_unexpected_index_list"] = self.sample_rows
        if "partial_unexpected_counts" in res:
            ranked = sorted(self.value_counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
            res["partial_unexpected_counts"] = [{"value": v, "count": c} for v, c in ranked[:20]]
        item["result"] = res
        if self.exception_info is not None:
            item["exception_info"], item["success"] = self.exception_info, False
        elif unexpected is not None:
            # GX's own rule (``_mostly_success``), on the whole table's counts.
            mostly = float(item["expectation_config"]["kwargs"].get("mostly", 1.0))
            item["success"] = considered <= 0 or (considered - unexpected) / considered >= mostly
        else:
            item["success"] = self.success
        return item


# ------------------------------------------------------------------------------------------
# distribution gates: a share of rows may fail, with a tolerance that makes sense at any size
# ------------------------------------------------------------------------------------------

GATE = "gate"  # an expectation's meta key: {"max_share": number or {"$PARAMETER": name}}
DEFAULT_GATE_FALSE_ALARM = 0.001


def allowed_unexpected(rows: int, share: float, false_alarm: float) -> int:
    """The most rows of ``rows`` a gate lets fail: the (1 - ``false_alarm``) quantile of
    Binomial(rows, share), i.e. the count a corpus whose true rate of bad rows is exactly
    ``share`` stays within, but for a ``false_alarm`` chance. At 13 rows and a share of 1 %
    that is 2 rows (one document quoting ``<script>`` is no sign of a broken extractor); at
    10 million rows, 1 % plus about three standard deviations (~100,970). Share 0: none; 1:
    all."""
    if rows <= 0 or share <= 0:
        return 0
    if share >= 1:
        return rows
    mean = rows * share
    sd = math.sqrt(mean * (1 - share))
    if sd > 30:  # the normal approximation is within a row or two of the exact quantile here
        z = statistics.NormalDist().inv_cdf(1 - false_alarm)
        return min(rows, math.floor(mean + z * sd))
    # exact: the probabilities of the counts within 12 standard deviations of the mean (the
    # rest is below 1e-30), scaled by the largest so that none underflows
    low, high = max(0, math.floor(mean - 12 * sd - 10)), min(rows, math.ceil(mean + 12 * sd + 10))
    log_p, log_q = math.log(share), math.log1p(-share)
    log_n = math.lgamma(rows + 1)
    logs = [
        log_n - math.lgamma(k + 1) - math.lgamma(rows - k + 1) + k * log_p + (rows - k) * log_q
        for k in range(low, high + 1)
    ]
    top = max(logs)
    weights = [math.exp(v - top) for v in logs]
    total, cumulative = sum(weights), 0.0
    for k, weight in zip(range(low, high + 1), weights, strict=True):
        cumulative += weight
        if cumulative / total >= 1 - false_alarm:
            return k
    return high


def gate_share(expectation: dict[str, Any], parameters: dict[str, Any]) -> float | None:
    """A gated expectation's share of rows allowed to fail (None: not a gate)."""
    gate = (expectation.get("meta") or {}).get(GATE)
    if not isinstance(gate, dict):
        return None
    share = gate.get("max_share")
    if isinstance(share, dict):
        name = str(share.get("$PARAMETER"))
        if name not in parameters:
            raise KeyError(f"validate.{name}: not set (the gate of a {expectation['type']})")
        share = parameters[name]
    if not isinstance(share, int | float | str):
        raise ValueError(f"gate share {share!r} is not a number")
    value = float(share)
    if not 0 <= value <= 1:
        raise ValueError(f"gate share {value} is not between 0 and 1")
    return value


def judge_gate(item: dict[str, Any], share: float, false_alarm: float) -> dict[str, Any]:
    """The expectation's result over the whole table, judged as a gate: it passes when at
    most ``allowed_unexpected`` rows fail. The result shows the share this came to as its
    ``mostly`` (so the Data Docs state the rule that was applied) and the gate's figures in
    its meta."""
    item = copy.deepcopy(item)
    res = item.get("result") or {}
    unexpected = res.get("unexpected_count")
    considered = int(res.get("element_count") or 0) - int(res.get("missing_count") or 0)
    if unexpected is None or (item.get("exception_info") or {}).get("raised_exception"):
        return item
    allowed = allowed_unexpected(considered, share, false_alarm)
    item["success"] = int(unexpected) <= allowed
    if considered > 0:
        item["expectation_config"]["kwargs"]["mostly"] = 1 - allowed / considered
    item["meta"] = {
        **(item.get("meta") or {}),
        GATE: {
            "rows": considered,
            "unexpected": int(unexpected),
            "allowed": allowed,
            "max_share": share,
            "false_alarm": false_alarm,
        },
    }
    return item


@dataclass
class SuiteResult:
    """A suite's chunk results, added up as they arrive; -> one suite validation result."""

    spec: SuiteSpec
    id_columns: list[str]
    rows: int = 0
    chunks: int = 0
    template: dict[str, Any] | None = None  # the first row chunk's result (meta) and key
    key: dict[str, Any] = field(default_factory=dict)
    tallies: dict[str, Tally] = field(default_factory=dict)

    def add(self, run: dict[str, Any], key: dict[str, Any], whole: bool, ids: list[str]) -> None:
        """A chunk's ``run``; ``ids[i]`` is the suite file's id of ``run["results"][i]``."""
        if self.template is None:  # rows come before the whole part
            self.template, self.key = run, key
        if not whole:
            self.chunks += 1
        for item, expectation_id in zip(run["results"], ids, strict=True):
            tally = self.tallies.get(expectation_id)
            if tally is None:
                tally = self.tallies[expectation_id] = Tally(first=item)
            tally.add(item)

    def merged(self, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
        """The suite's validation result (GX JSON), expectations in file order; gates (see
        ``judge_gate``) are judged with ``parameters``."""
        parameters = parameters or {}
        false_alarm = float(parameters.get("gate_false_alarm", DEFAULT_GATE_FALSE_ALARM))
        items = []
        for e in self.spec.expectations:
            item = self.tallies[e["id"]].merged(
                1 if e["type"] not in ROW_EXPECTATIONS else self.chunks
            )
            share = gate_share(e, parameters)
            items.append(item if share is None else judge_gate(item, share, false_alarm))
        passed = sum(1 for i in items if i["success"])
        return {
            **copy.deepcopy(self.template or {}),
            "results": items,
            "suite_name": self.spec.name,
            "success": passed == len(items),
            "statistics": {
                "evaluated_expectations": len(items),
                "successful_expectations": passed,
                "unsuccessful_expectations": len(items) - passed,
                "success_percent": passed / len(items) * 100 if items else None,
            },
        }


def suite_parameters(params: dict[str, Any], input_files: int) -> dict[str, Any]:
    """Values the suites refer to as ``{"$PARAMETER": name}``: the validate section of
    params.yaml, plus facts of this run."""
    return {
        **params,
        "now": datetime.now(UTC).isoformat(),
        "input_files": input_files,
        "quarantine_reasons": list(QUARANTINE_REASONS),
        # extraction passes over longer titles: an invariant, not a setting
        "max_title_chars": MAX_TITLE_CHARS,
        # the kept-share gate counts the inputs not kept
        "max_not_kept_share": 1 - float(params.get("min_kept_share") or 0.0),
    }


def _summarise(
    name: str, rows: int, id_columns: list[str], run: dict[str, Any], failures: list[Failure]
) -> dict[str, Any]:
    expectations: list[dict[str, Any]] = []
    for item in run["results"]:
        config = item["expectation_config"]
        column = config["kwargs"].get("column")
        res = item.get("result") or {}
        exc = (item.get("exception_info") or {}).get("exception_message")
        expectations.append(
            {
                "expectation": config["type"],
                "column": column,
                "success": bool(item["success"]),
                "unexpected_count": res.get("unexpected_count"),
                "error": exc,
            }
        )
        if not item["success"]:
            index_rows = res.get("partial_unexpected_index_list") or []
            gate = (item.get("meta") or {}).get(GATE)
            observed = res.get("observed_value")
            if gate:
                observed = (
                    f"{gate['unexpected']} of {gate['rows']} rows; the gate allows "
                    f"{gate['allowed']} (max_share {gate['max_share']})"
                )
            failures.append(
                Failure(
                    suite=name,
                    expectation=config["type"] + (f" [{exc}]" if exc else ""),
                    column=column,
                    unexpected_count=res.get("unexpected_count"),
                    observed=observed,
                    sample_values=list(res.get("partial_unexpected_list") or [])[:SAMPLE_ROWS],
                    sample_rows=[
                        {k: v for k, v in row.items() if k in id_columns}
                        for row in index_rows[:SAMPLE_ROWS]
                    ],
                )
            )
    expectations.sort(key=lambda e: (e["expectation"], str(e["column"])))
    return {
        "rows": rows,
        "success": all(e["success"] for e in expectations),
        "expectations": expectations,
        # which expectation failed on which rows (ids only: page text stays in the Data Docs)
        "failures": [failure_record(f) for f in failures if f.suite == name],
    }


def failure_record(failure: Failure) -> dict[str, Any]:
    """A failure as ``reports/validation.json`` and the metrics give it."""
    return {
        "expectation": failure.expectation,
        "column": failure.column,
        "unexpected_count": failure.unexpected_count,
        "observed": None if failure.observed is None else _short(failure.observed),
        "sample_rows": failure.sample_rows,
    }


def write_data_docs(
    docs_dir: Path,
    specs: dict[str, SuiteSpec],
    runs: dict[str, tuple[dict[str, Any], Any]],
    rows: dict[str, int],
) -> None:
    """Static Data Docs (``pipeline.quality.data_docs``) with one page per suite; ``runs``: suite ->
    (key parts, merged result JSON), ``rows``: suite -> rows validated. Only the suites and the
    results go in, never the run ids or times, so a rerun writes the same bytes."""
    write_site(
        docs_dir,
        [(name, spec.expectations, runs[name][1], rows[name]) for name, spec in specs.items()],
    )


def table_sources(root: Path = Path(".")) -> dict[str, Source]:
    """The stage's input files, by table name."""
    files = {name: path for name, (path, _) in SUITE_TABLES.items() if name != "accounting"}
    return {
        **{name: root / path for name, path in files.items()},
        "inventory": root / SUITE_TABLES["accounting"][0],
    }


def _smallest_ints(frame: pl.DataFrame) -> pl.DataFrame:
    """Integer columns in the smallest signed type holding their values: the whole-table
    columns (a sentence length per sentence) are held for the whole table, then copied to a
    worker and into pandas. Medians and means are computed in floats, so they do not change."""
    casts = []
    for name, dtype in frame.schema.items():
        if dtype.is_integer() and frame.height:
            low, high = frame.select(
                pl.col(name).min().alias("lo"), pl.col(name).max().alias("hi")
            ).row(0)
            for small, bits in ((pl.Int8, 8), (pl.Int16, 16), (pl.Int32, 32)):
                if low is None or -(2 ** (bits - 1)) <= low <= high < 2 ** (bits - 1):
                    casts.append(pl.col(name).cast(small))
                    break
    return frame.with_columns(casts) if casts else frame


def repeat_window_days(params: dict[str, Any]) -> float | None:
    """``sentence_repeat_window_days``: days, or None (no time limit, also when not set)."""
    value = params.get("sentence_repeat_window_days")
    return None if value is None else float(value)


def validate_tables(
    sources: dict[str, Source],
    suites_dir: Path,
    params: dict[str, Any],
    docs_dir: Path | None,
    engine: EngineConfig,
) -> tuple[list[Failure], dict[str, Any]]:
    """Validate every table with its suite, chunk by chunk on ``engine``; -> the failures and
    a JSON-able summary (one entry per suite, as ``reports/validation.json``)."""
    chunk_rows = int(params.get("chunk_rows") or DEFAULT_CHUNK_ROWS)
    chunk_documents = int(params.get("chunk_documents") or DEFAULT_CHUNK_DOCUMENTS)
    specs = {name: SuiteSpec.load(suites_dir, name) for name in SUITE_TABLES}
    results = {name: SuiteResult(specs[name], SUITE_TABLES[name][1]) for name in SUITE_TABLES}
    # ``validate.workers`` may override the engine's: 0 runs GX in this process, which saves
    # each worker's GX start-up (~3 s CPU, ~300 MB) on small corpora.
    workers = params.get("workers")
    if workers is not None:
        engine = dataclasses.replace(engine, workers=int(workers))
        if int(workers) == 0:
            engine = dataclasses.replace(engine, name="serial")

    def worker_read(name: str) -> bool:
        """Whether the workers read the table's chunks: its inputs are files (frames, in
        tests, are chunked by the driver) and its suite has no whole-table part."""
        files = [sources.get(SUITE_SOURCES.get(name, "")), sources.get("documents")]
        readable = all(isinstance(f, Path) for f in files[: 2 if name == "sentences" else 1])
        # A remote Ray cluster sees neither the driver's temporary facts files nor, maybe, its
        # data: its chunks travel from the driver as before.
        remote = engine.name == "ray" and engine.ray_address is not None
        return name in ROW_READ_TABLES and readable and not remote and not specs[name].part(True)

    def tasks(
        facts: CorpusFacts, written: dict[str, Future[None]], facts_dir: Path
    ) -> Iterator[dict[str, Any]]:
        if engine.name == "local":
            # Workers make their GX context while the driver computes the facts, not after.
            yield from ({WARM_UP: True} for _ in range(engine.n_workers))
        parameters = suite_parameters(params, facts.input_files)
        for name, spec in specs.items():
            id_columns = SUITE_TABLES[name][1]
            row_part, whole_part = spec.part(False), spec.part(True)
            wanted = spec.columns(False) | set(id_columns)
            whole_columns = sorted(spec.columns(True))
            task = {
                "table": name,
                "whole": False,
                "suite": spec.json(False),
                "id_columns": id_columns,
                "parameters": parameters,
            }
            if worker_read(name):
                written[name].result()
                rows = chunk_rows_of(name, chunk_rows, chunk_documents)
                for read in chunk_reads(name, sources, wanted, rows, facts_dir):
                    results[name].rows += read["stop"] - read["start"]
                    if row_part:
                        yield {**task, "read": read}
                continue
            narrow: list[pl.DataFrame] = []
            for chunk in derived_chunks(
                name, sources, facts, wanted | set(whole_columns), chunk_rows, chunk_documents
            ):
                results[name].rows += chunk.height
                if whole_part:
                    present = [c for c in whole_columns if c in chunk.columns]
                    narrow.append(
                        _smallest_ints(chunk.select(present))
                        if present
                        # one row per row (a literal alone would be a single row)
                        else pl.DataFrame(
                            {_ROW_MARKER: pl.zeros(chunk.height, pl.Int8, eager=True)}
                        )
                    )
                if row_part:
                    yield {**task, "frame": chunk.select(c for c in chunk.columns if c in wanted)}
            if whole_part:
                yield {
                    **task,
                    "whole": True,
                    "suite": spec.json(True),
                    "id_columns": [],
                    "frame": pl.concat(narrow, how="vertical_relaxed"),
                }

    one_task = dataclasses.replace(engine, batch_size=1, max_seconds_per_doc=0)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")  # before any process imports GX
    with owned_directory(prefix="newscorpus-validate-facts-") as facts_dir:
        facts = CorpusFacts(
            sources,
            {name: spec.unique_columns() for name, spec in specs.items()},
            repeat_window_days(params),
        )
        # A thread computes the facts table by table (Polars releases the GIL), from before the
        # workers start (their fork server imports GX meanwhile): a table's chunks go to the
        # workers as soon as its facts are written, not after all the facts.
        facts_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="facts")
        written = {
            name: facts_thread.submit(write_chunk_facts, facts, name, facts_dir)
            for name in specs
            if worker_read(name)
        }
        facts_thread.shutdown(wait=False)
        chunks = tasks(facts, written, facts_dir)
        for batch in map_batches(validate_chunks, chunks, one_task, preload=WORKER_PRELOAD):
            for done in batch:
                results[done["table"]].add(done["run"], done["key"], done["whole"], done["ids"])
    failures: list[Failure] = []
    summary: dict[str, Any] = {}
    parameters = suite_parameters(params, facts.input_files)
    runs = {name: (result.key, result.merged(parameters)) for name, result in results.items()}
    for name, result in results.items():
        summary[name] = _summarise(name, result.rows, result.id_columns, runs[name][1], failures)
    if docs_dir is not None:
        write_data_docs(docs_dir, specs, runs, {name: r.rows for name, r in results.items()})
    return failures, summary


def main(
    suites_dir: Path = typer.Option(Path("expectations")),
    summary_out: Path = typer.Option(Path("reports/validation.json")),
    docs_dir: Path = typer.Option(Path("reports/data_docs")),
) -> None:
    config = read_params()  # the whole file, before any input is read
    # The suites read the thresholds by name ({"$PARAMETER": key}): checked values, as a mapping.
    params, engine = config.validate_.model_dump(), EngineConfig.from_params(config.engine)
    on_failure = config.validate_.on_failure  # fail | warn, checked with the rest
    with timed_stage(STAGE) as stats:
        failures, summary = validate_tables(table_sources(), suites_dir, params, docs_dir, engine)
        write_json(summary, summary_out)
        stats.docs_in = stats.docs_out = summary["documents"]["rows"]
        stats.extra["failed_expectations"] = len(failures)
        stats.extra["validation_failed"] = int(bool(failures))
    if failures:
        print("Data validation failed (see reports/data_docs/index.html):", file=sys.stderr)
        for failure in failures:
            print(failure.describe(), file=sys.stderr)
        if on_failure == "fail":
            raise typer.Exit(code=1)
        print(
            "validate.on_failure is warn: the run goes on; the metrics and the dataset card "
            "say validation failed",
            file=sys.stderr,
        )
        return
    print(f"validation passed: {len(SUITE_TABLES)} suites")


if __name__ == "__main__":
    run_cli(main)
