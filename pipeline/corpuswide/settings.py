"""The corpus stage's settings and paths: the ``corpus:`` params (:class:`CorpusParams`), how
the work is cut (:class:`Partitioning`), the stage's input and output paths and its result.

Invariant: the partitioning bounds memory only; the outputs never depend on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from pipeline.config import CorpusSection
from pipeline.corpuswide.dedup import (
    NearDupParams,
)

STAGE = "corpus"

MAX_RANGES = 512


@dataclass(frozen=True)
class Partitioning:
    """How the work is cut so memory stays bounded; the outputs never depend on it."""

    # uncompressed input bytes per doc_id range (a range is read whole to write the outputs)
    range_bytes: int = 16 * 2**20
    # sentences per hash part (decided whole for boilerplate and is_duplicate)
    hash_part_rows: int = 500_000
    # sentences per engine task (a task reads part of one segmented row group)
    task_rows: int = 20_000

    def ranges(self, path: Path) -> int:
        return max(1, min(MAX_RANGES, math.ceil(uncompressed_bytes(path) / self.range_bytes)))

    def hash_bits(self, rows: int) -> int:
        return max(0, math.ceil(math.log2(max(1, math.ceil(rows / self.hash_part_rows)))))


@dataclass(frozen=True)
class CorpusParams:
    """The ``corpus:`` section of params.yaml."""

    languages: tuple[str, ...] = ()
    sentence_langid_min_chars: int = 40
    near_duplicate_threshold: float = 0.6
    minhash_permutations: int = 128
    shingle_words: int = 5
    drop_duplicates: bool = False
    boilerplate_min_documents: int = 5
    boilerplate_window_days: float | None = 30.0

    @classmethod
    def from_params(cls, params: CorpusSection) -> CorpusParams:
        return cls(**params.model_dump())

    @property
    def near(self) -> NearDupParams:
        return NearDupParams(
            self.near_duplicate_threshold, self.minhash_permutations, self.shingle_words
        )

    def keeps(self, language: str) -> bool:
        return not self.languages or language in self.languages


def uncompressed_bytes(path: Path) -> int:
    meta = pq.ParquetFile(path).metadata
    return sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))


@dataclass
class Inputs:
    cleaned: Path
    segmented: Path
    quarantine: Path


@dataclass
class Outputs:
    documents: Path
    sentences: Path
    quarantine: Path
    dedup_map: Path
    boilerplate_map: Path


@dataclass
class Result:
    counts: dict[str, int]
    docs_in: int
    docs_out: int
    sentences: int
    quarantine: pl.DataFrame
    seconds: dict[str, float] = field(default_factory=dict)
