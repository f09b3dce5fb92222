"""Every table's chunks with their derived columns, on the driver or in a worker.

Memory stays flat in the corpus size: every table is read in chunks (``validate.chunk_rows``
rows, ``validate.chunk_documents`` for tables holding a document's text per row). Polars adds
the derived columns to each chunk; facts that one chunk cannot see (uniqueness over the whole
table, sentences per document, a sentence repeated across a domain, accounting) are computed
once by the driver (``CorpusFacts``), table by table, and joined in. A task names a chunk's
Parquet rows and the worker reads them and adds the derived columns itself (``read_chunk``:
the driver reads no texts, and the facts reach each worker once, as files); the chunk a worker
reads equals the one the driver would cut (``derived_chunks``).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import polars as pl

from pipeline.quality.checks import (
    _domain_checks,
    _in_key_order,
    _reason_checks,
    _text_checks,
    _unique_flags,
    accounting_checks,
    raw_text_facts,
    removals_rebuild_extracted_text,
    sentence_checks,
)
from pipeline.quality.repeats import FACT_READ_ROWS, domain_repeats, duplicated_values
from pipeline.quality.tables import (
    DEFAULT_CHUNK_DOCUMENTS,
    DEFAULT_CHUNK_ROWS,
    DERIVED_INPUTS,
    SUITE_SOURCES,
    SUITE_TABLES,
    DocumentTexts,
    Source,
    _columns_of,
    _read_batches,
    _rechunk,
    _row_count,
    _scan,
    _whole_documents,
    chunk_rows_of,
    parquet_rows,
)

# Raw pages are reduced to their facts this many rows at a time (~200 KB each).
RAW_READ_ROWS = 64


# Tables whose chunks a worker reads and derives itself from a row range: the driver never
# reads their texts (raw pages: ~1.8 GB at 10k documents), and sends a few numbers instead of a
# pickled chunk. Their derived columns need only the chunk, small corpus facts and (sentences)
# the texts of the chunk's documents.
ROW_READ_TABLES = frozenset(
    {"ingested", "extracted", "cleaned", "documents", "sentences", "quarantine"}
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
        """doc_id, sentences_in_table (the document's rows in sentences.parquet)."""
        return (
            _scan(self._source("sentences", _SENTENCE_KEYS))
            .group_by("doc_id")
            .agg(sentences_in_table=pl.len().cast(pl.Int64))
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


def repeat_window_days(params: dict[str, Any]) -> float | None:
    """``sentence_repeat_window_days``: days, or None (no time limit, also when not set)."""
    value = params.get("sentence_repeat_window_days")
    return None if value is None else float(value)


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
    if table == "cleaned":
        out = out.with_columns(removals_rebuild_extracted_text(out))
    if table == "documents":
        out = out.with_columns(_in_key_order(out, ["doc_id"], previous)).join(
            sentences_per_document, on="doc_id", how="left", maintain_order="left"
        )
        out = out.with_columns(pl.col("sentences_in_table").fill_null(0))
        if "n_sentences" in out.columns:  # a frame without it fails the suite's column check
            out = out.with_columns(
                n_sentences_matches_table=pl.col("n_sentences") == pl.col("sentences_in_table")
            )
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
