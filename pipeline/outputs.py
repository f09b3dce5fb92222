"""Every Parquet file the pipeline writes, declared once: its path, the stage that writes it,
its schema and row order (from :mod:`pipeline.schema`), its codec and its row-group size.

Stage defaults, the writers (:mod:`pipeline.runtime.sink`, :mod:`pipeline.corpuswide.writing`),
validation, the card and the researchers' API read paths and layouts from here; ``dvc.yaml``
spells the paths again as the stages' ``outs`` (a test holds the two together).

Invariant: a file's bytes depend on its rows and on this declaration only, so changing a codec
or a row-group size here changes the bytes of the outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from pipeline import schema

# Interim tables of whole pages are written once and read once by the next stage: LZ4 costs a
# third of zstd's CPU on both sides (measured on 186 KB pages: write 0.36 vs 0.90 ms, read 0.15 vs
# 0.47 ms per page) for files ~1.7x larger. Published tables stay zstd.
Codec = Literal["zstd", "lz4"]
FAST: Codec = "lz4"
COMPACT: Codec = "zstd"
ZSTD_LEVEL = 3
# Whole-frame writes (small tables, quarantines): one row group for any sample-sized table.
FRAME_ROW_GROUP = 50_000


@dataclass(frozen=True)
class Output:
    """One Parquet file: written by ``stage`` to ``path`` with ``table``'s declared schema."""

    name: str
    stage: str
    table: str
    path: Path
    codec: Codec
    row_group: int

    @property
    def schema(self) -> dict[str, pl.DataType]:
        return schema.TABLES[self.table]

    @property
    def sort_keys(self) -> list[str]:
        """Columns the rows are sorted by (empty: kept in input order, see schema.SORT_KEYS)."""
        return schema.SORT_KEYS.get(self.table, [])

    @property
    def compression_level(self) -> int | None:
        return ZSTD_LEVEL if self.codec == COMPACT else None


def _output(
    name: str, stage: str, folder: str, codec: Codec, row_group: int, table: str = ""
) -> Output:
    return Output(name, stage, table or name, Path(folder) / f"{name}.parquet", codec, row_group)


INTERIM = "data/interim"
PROCESSED = "data/processed"

OUTPUTS: dict[str, Output] = {
    o.name: o
    for o in (
        _output("input_files", "inventory", INTERIM, COMPACT, FRAME_ROW_GROUP),
        # Streamed tables hold whole pages per row: small row groups keep the write buffer
        # bounded, and a row group is the next stage's task (read by one worker: ~12 MB of
        # 186 KB pages).
        _output("ingested", "ingest", INTERIM, FAST, 64),
        _output("inventory", "ingest", INTERIM, COMPACT, FRAME_ROW_GROUP),
        _output("quarantine_ingest", "ingest", INTERIM, COMPACT, FRAME_ROW_GROUP, "quarantine"),
        _output("extracted", "extract", INTERIM, FAST, 256),
        _output("quarantine_extract", "extract", INTERIM, COMPACT, FRAME_ROW_GROUP, "quarantine"),
        _output("cleaned", "clean", INTERIM, FAST, 256),
        _output("quarantine_clean", "clean", INTERIM, COMPACT, FRAME_ROW_GROUP, "quarantine"),
        _output("segmented", "segment", INTERIM, FAST, 20_000),
        _output("quarantine_segment", "segment", INTERIM, COMPACT, FRAME_ROW_GROUP, "quarantine"),
        # documents carry whole texts, so their row groups are smaller than the sentences'
        _output("documents", "corpus", PROCESSED, COMPACT, 1_000),
        _output("sentences", "corpus", PROCESSED, COMPACT, 20_000),
        _output("quarantine", "corpus", PROCESSED, COMPACT, FRAME_ROW_GROUP),
        _output("dedup_map", "corpus", PROCESSED, COMPACT, FRAME_ROW_GROUP),
        _output("boilerplate_map", "corpus", PROCESSED, COMPACT, FRAME_ROW_GROUP),
    )
}

# The published corpus: what the card describes and pipeline.publish.load serves.
PUBLISHED: tuple[str, ...] = (
    "documents",
    "sentences",
    "quarantine",
    "dedup_map",
    "boilerplate_map",
)


def path(name: str) -> Path:
    """Where output ``name`` is written, relative to the repository root."""
    return OUTPUTS[name].path


def of_table(table: str) -> Output:
    """The layout a writer of ``table`` uses: the output named after the table (the per-stage
    quarantine files share the ``quarantine`` table's layout)."""
    return OUTPUTS[table]
