"""The derived columns the suites check, row by row or within the documents a chunk holds
whole: text facts, a domain consistent with the url, offsets that slice back into the
document, key order, uniqueness flags, the stage that may report each quarantine reason, and
the accounting of every input path (kept + quarantined = input).

Each check is a plain function of its frames: the same chunk gives the same columns on the
driver and in a worker.
"""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import urlsplit

import numpy as np
import polars as pl
import pyarrow as pa

from pipeline.quality.repeats import domain_repeats
from pipeline.schema import QuarantineReason
from pipeline.text.removals import canonical_digest, reconstruct


# Not ``pipeline.html.metadata.domain_of``, which makes the domain this checks: that one also
# strips the url, drops a trailing "." and gives None for a host that is not a hostname
# ("a.com%2fpath"), so the two differ on such urls; this check reads the url on its own.
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


def removals_rebuild_extracted_text(cleaned: pl.DataFrame) -> pl.Series:
    """True where the cleaned text with its removals put back is the extracted text (up to
    white space and NFC: the removal audit, checked against the extracted text's digest)."""
    rows = cleaned.select("text", "removals", "extracted_text_digest").iter_rows()
    return pl.Series(
        "removals_rebuild_extracted_text",
        [canonical_digest(reconstruct(t or "", r or [])) == d for t, r, d in rows],
        dtype=pl.Boolean,
    )


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
# The same characters as bytes: UTF-8 writes each of them as the one byte of its code point,
# and no other character's bytes are below 0x80.
_C0_BYTES = np.zeros(256, dtype=np.bool_)
_C0_BYTES[[*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)]] = True


# Bytes of text scanned at a time (a longer text alone): the copies stay small.
_SCAN_BYTES = 1 << 20


def has_c0_controls(texts: pl.Series) -> pl.Series:
    """``texts.str.contains(_C0_CONTROLS)`` (null where the text is), found on the UTF-8 bytes
    of the texts with NumPy, ``_SCAN_BYTES`` at a time: the regex ran at ~450 MB/s over the
    raw pages (~0.4 s CPU per 1k pages, a fifth of reading and deriving every table's chunks)."""
    if texts.dtype != pl.String:
        return texts.str.contains(_C0_CONTROLS)  # what the regex does with any other type
    found = np.zeros(texts.len(), dtype=np.bool_)
    ends = np.cumsum(texts.str.len_bytes().fill_null(0).to_numpy(), dtype=np.int64)
    start = 0
    while start < texts.len():
        done = int(ends[start - 1]) if start else 0
        stop = max(int(np.searchsorted(ends, done + _SCAN_BYTES, side="right")), start + 1)
        found[start:stop] = _c0_rows(texts.slice(start, stop - start))
        start = stop
    series = pl.Series(texts.name, found, dtype=pl.Boolean)
    if not texts.null_count():
        return series
    return pl.select(pl.when(pl.lit(texts).is_not_null()).then(pl.lit(series))).to_series()


def _c0_rows(texts: pl.Series) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Whether each (non-null) text holds a byte of ``_C0_BYTES``."""
    arrow = texts.to_arrow()
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    if not pa.types.is_large_string(arrow.type):
        arrow = arrow.cast(pa.large_string())
    found = np.zeros(len(arrow), dtype=np.bool_)
    _, offsets_buffer, data_buffer = arrow.buffers()
    if len(arrow) and offsets_buffer is not None and data_buffer is not None:
        offsets = np.frombuffer(offsets_buffer, dtype=np.int64)
        offsets = offsets[arrow.offset : arrow.offset + len(arrow) + 1]
        data = np.frombuffer(data_buffer, dtype=np.uint8)
        low = np.flatnonzero(data[offsets[0] : offsets[-1]] < 0x20) + offsets[0]
        hits = low[_C0_BYTES[data[low]]]
        # the row of each byte: the last row starting at or before it (an empty row holds none)
        found[np.searchsorted(offsets, hits, side="right") - 1] = True
    return found


def raw_text_facts(frame: FrameT) -> FrameT:
    """The facts the ``ingested`` suite checks about the raw pages, in place of the pages."""
    return frame.with_columns(
        raw_text_chars=pl.col("raw_text").str.len_chars().cast(pl.Int64),
        raw_text_has_controls=pl.col("raw_text").map_batches(
            has_c0_controls, return_dtype=pl.Boolean
        ),
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
