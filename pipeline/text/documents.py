"""Cleaning over a frame of extracted documents (the clean stage's step): each text cleaned by
:func:`pipeline.text.cleaning.clean_text`, its counts, and the quarantine of texts too short
to keep. One output row per input row, in order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from pipeline import schema
from pipeline.runtime.sink import quarantine_rows
from pipeline.schema import QuarantineReason
from pipeline.text.cleaning import clean_text_audited
from pipeline.text.removals import canonical_digest

STAGE = "clean"  # the stage named in the quarantine rows made here


def clean_frame(extracted: pl.DataFrame, min_chars: int) -> pl.DataFrame:
    """Cleaned text with its counts and removals; ``reason``/``detail`` set where the text is
    too short."""
    # clean_text normalises to NFC itself
    texts = [text or "" for text in extracted["text"].to_list()]
    audited = [clean_text_audited(text) for text in texts]
    removals = [
        [{"stage": STAGE, "rule": r, "position": at, "text": t} for r, at, t in removed]
        for _, removed in audited
    ]
    cleaned = extracted.with_columns(
        pl.Series("text", [text for text, _ in audited], dtype=pl.String),
        pl.Series("removals", removals, dtype=pl.List(schema.REMOVAL)),
        pl.Series("extracted_text_digest", [canonical_digest(t) for t in texts], dtype=pl.String),
    ).with_columns(
        n_chars=pl.col("text").str.len_chars().cast(pl.Int64),
        n_paragraphs=(pl.col("text").str.count_matches("\n") + 1).cast(pl.Int64),
    )
    too_short = pl.col("n_chars") < min_chars
    return cleaned.with_columns(
        reason=pl.when(too_short).then(pl.lit(QuarantineReason.TOO_SHORT.value)),
        detail=pl.when(too_short).then(
            pl.format("{} chars < clean.min_chars={}", pl.col("n_chars"), pl.lit(min_chars))
        ),
    )


def clean_documents(extracted: pl.DataFrame, min_chars: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(documents, quarantine) of a frame of extracted documents."""
    frame = clean_frame(extracted, min_chars)
    dropped = frame.filter(pl.col("reason").is_not_null()).with_columns(stage=pl.lit(STAGE))
    quarantine = quarantine_rows(dropped.select(schema.QUARANTINE.keys()).to_dicts())
    kept = frame.filter(pl.col("reason").is_null())
    return schema.conform(kept, schema.CLEANED), quarantine


@dataclass(frozen=True)
class CleanBatch:
    """Batch function for the engine: one output row (cleaned or with a reason) per input row."""

    min_chars: int

    def __call__(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        frame = pl.DataFrame(rows, schema=schema.EXTRACTED)
        columns = [*schema.CLEANED, "reason", "detail"]
        return clean_frame(frame, self.min_chars).select(columns).to_dicts()
