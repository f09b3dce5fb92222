"""Every Parquet schema of the pipeline, and the closed set of quarantine reasons.

No stage invents a column: each stage builds its frame and passes it through
:func:`conform`, which selects, orders and casts the columns declared here.
"""

from __future__ import annotations

from enum import StrEnum

import polars as pl


class QuarantineReason(StrEnum):
    """Why a raw input did not become a kept document. Closed set: add here, document in README."""

    EMPTY = "empty"  # zero bytes or only whitespace
    BINARY = "binary"  # magic number of a non-text format, or too many control bytes
    UNDECODABLE = "undecodable"  # no encoding decodes it into plausible text
    CORRUPT_GZIP = "corrupt_gzip"  # truncated or invalid gzip stream
    TOO_LARGE = "too_large"  # raw bytes over ingest.max_raw_bytes
    INFLATED_TOO_LARGE = "inflated_too_large"  # gzip inflates past ingest.max_inflated_bytes
    UNREADABLE = "unreadable"  # the file could not be read (permissions, broken link)
    NO_CONTENT = "no_content"  # extraction found no main text (index page, only chrome)
    TOO_SHORT = "too_short"  # cleaned text under clean.min_chars
    TEXT_TOO_LONG = "text_too_long"  # extracted text over extract.max_text_chars
    EXTRACTION_ERROR = "extraction_error"  # the extractor raised: a bug to report, not a crash
    NO_SENTENCES = "no_sentences"  # segmentation produced nothing usable
    DUPLICATE = "duplicate"  # same raw bytes as an earlier input (same doc_id)


QUARANTINE_REASONS: tuple[str, ...] = tuple(r.value for r in QuarantineReason)

# Metadata fields produced by extraction; each has a "<field>_source" column naming its origin
# (jsonld, og, meta, time, url, text, html, dump, path...).
METADATA_FIELDS: tuple[str, ...] = (
    "url",
    "canonical_url",
    "domain",
    "title",
    "authors",
    "published",
    "modified",
    "description",
    "site_name",
    "section",
    "tags",
    "language",
)

UTC_TIME = pl.Datetime("us", "UTC")

PROVENANCE: dict[str, pl.DataType] = {
    "doc_id": pl.String(),
    "source_path": pl.String(),
    "source_sha256": pl.String(),
    "size_bytes": pl.Int64(),
    "format": pl.String(),
    "encoding": pl.String(),
}

METADATA: dict[str, pl.DataType] = {
    "url": pl.String(),
    "canonical_url": pl.String(),
    "domain": pl.String(),
    "title": pl.String(),
    "authors": pl.List(pl.String()),
    "published": UTC_TIME,
    "modified": UTC_TIME,
    "description": pl.String(),
    "site_name": pl.String(),
    "section": pl.String(),
    "tags": pl.List(pl.String()),
    "language": pl.String(),
}
METADATA_SOURCES: dict[str, pl.DataType] = {f"{f}_source": pl.String() for f in METADATA_FIELDS}

# ingest -> data/interim/ingested.parquet: decoded text of every readable input.
INGESTED: dict[str, pl.DataType] = {**PROVENANCE, "raw_text": pl.String()}

# extract -> data/interim/extracted.parquet: main text (paragraphs joined by "\n") + metadata.
EXTRACTED: dict[str, pl.DataType] = {
    **PROVENANCE,
    **METADATA,
    **METADATA_SOURCES,
    "extractor": pl.String(),
    "text": pl.String(),
}

# clean -> data/processed/documents.parquet: one row per kept document.
DOCUMENTS: dict[str, pl.DataType] = {
    **PROVENANCE,
    **METADATA,
    **METADATA_SOURCES,
    "extractor": pl.String(),
    "text": pl.String(),
    "n_chars": pl.Int64(),
    "n_paragraphs": pl.Int64(),
}

# segment -> data/processed/sentences.parquet: one row per sentence, denormalised for filtering.
SENTENCES: dict[str, pl.DataType] = {
    "doc_id": pl.String(),
    "sentence_id": pl.String(),
    "sentence_index": pl.Int32(),
    "paragraph_index": pl.Int32(),
    "char_start": pl.Int64(),
    "char_end": pl.Int64(),
    "text": pl.String(),
    "url": pl.String(),
    "domain": pl.String(),
    "title": pl.String(),
    "published": UTC_TIME,
    "language": pl.String(),
}

# every stage appends its drops -> data/processed/quarantine.parquet
QUARANTINE: dict[str, pl.DataType] = {
    "doc_id": pl.String(),
    "source_path": pl.String(),
    "source_sha256": pl.String(),
    "size_bytes": pl.Int64(),
    "stage": pl.String(),
    "reason": pl.Enum(list(QUARANTINE_REASONS)),
    "detail": pl.String(),
}

# ingest -> data/interim/inventory.parquet: every file seen under the input directory.
INVENTORY: dict[str, pl.DataType] = {"source_path": pl.String()}

TABLES: dict[str, dict[str, pl.DataType]] = {
    "inventory": INVENTORY,
    "ingested": INGESTED,
    "extracted": EXTRACTED,
    "documents": DOCUMENTS,
    "sentences": SENTENCES,
    "quarantine": QUARANTINE,
}

SORT_KEYS: dict[str, list[str]] = {
    "inventory": ["source_path"],
    "ingested": ["doc_id"],
    "extracted": ["doc_id"],
    "documents": ["doc_id"],
    "sentences": ["doc_id", "sentence_index"],
    "quarantine": ["source_path", "stage"],
}


def empty(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """An empty frame with exactly the declared columns."""
    return pl.DataFrame(schema=schema)


def conform(df: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Select, order and cast to the declared schema; a missing column is an error, not a null."""
    missing = [c for c in schema if c not in df.columns]
    if missing:
        raise KeyError(f"frame lacks declared columns {missing}")
    return df.select([pl.col(c).cast(t) for c, t in schema.items()])
