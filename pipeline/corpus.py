"""Stage 5, corpus: the published corpus from the cleaned documents and their sentences.
``python -m pipeline.corpus --help``.

Corpus-level decisions that need every document at once belong here (they cannot be made one
document at a time in the earlier stages), in this order:

1. language of every document (:mod:`pipeline.langid`); with ``corpus.languages`` set, the
   others are quarantined as ``language_filtered``;
2. exact and near duplicates (:mod:`pipeline.dedup`): flagged with ``cluster_id`` and
   ``duplicate_of``, every decision in ``dedup_map.parquet``;
3. outlet boilerplate (:mod:`pipeline.boilerplate`): sentences an outlet repeats across
   ``boilerplate_min_documents`` duplicate clusters within ``boilerplate_window_days`` leave
   sentences.parquet (listed in ``boilerplate_map.parquet``); ``documents.text`` stays as
   cleaned, so the remaining offsets still slice it, and ``sentence_index``/``sentence_id`` keep
   their segmented values (gaps mark removals). A document left without sentences is quarantined
   as ``boilerplate_only``;
4. with ``corpus.drop_duplicates``, duplicates go to quarantine (``duplicate_text`` or
   ``near_duplicate``); boilerplate is decided before, so it does not depend on this switch;
5. language of every sentence of ``sentence_langid_min_chars`` characters or more (shorter
   ones take their document's), and ``is_duplicate`` for sentences seen earlier in corpus order.

Every decision depends on the documents alone (ordered by ``published``, ``doc_id``), never on
file names, row order or ``corpus.workers``: work is cut into batches of a fixed size and the
results are put back in batch order.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl
import typer

from pipeline import schema
from pipeline.boilerplate import boilerplate_map, find_boilerplate
from pipeline.dedup import (
    EXACT,
    NEAR,
    NearDupParams,
    dedup_documents,
    duplicate_sentences,
    hash_column,
    normalise,
    signatures,
)
from pipeline.langid import detect_chunk, document_sample, needs_detection, sentence_language
from pipeline.stage import load_params, run_cli, timed_stage, write_parquet

STAGE = "corpus"

T = TypeVar("T")
R = TypeVar("R")


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
    workers: int = 0
    batch_size: int = 2000

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> CorpusParams:
        unknown = set(params) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown corpus params: {sorted(unknown)}")
        values = dict(params)
        values["languages"] = tuple(str(v) for v in values.get("languages") or ())
        return cls(**values)

    @property
    def near(self) -> NearDupParams:
        return NearDupParams(
            self.near_duplicate_threshold, self.minhash_permutations, self.shingle_words
        )


@dataclass
class Batches:
    """Apply a function to fixed-size batches of items, in-process or on a process pool; the
    results come back in item order either way, so outputs never depend on ``workers``."""

    workers: int = 0
    batch_size: int = 2000
    seconds: dict[str, float] = field(default_factory=dict)
    _pool: ProcessPoolExecutor | None = None

    def map(self, name: str, fn: Callable[[list[T]], Sequence[R]], items: list[T]) -> list[R]:
        start = time.perf_counter()
        batches = [items[i : i + self.batch_size] for i in range(0, len(items), self.batch_size)]
        n_workers = self.workers if self.workers > 0 else os.cpu_count() or 1
        out: list[R] = []
        if n_workers > 1 and len(batches) > 1:
            if self._pool is None:
                # spawn, not fork: Polars' thread pool does not survive a fork
                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(max_workers=n_workers, mp_context=context)
            for result in self._pool.map(fn, batches):
                out.extend(result)
        else:
            for batch in batches:
                out.extend(fn(batch))
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start
        return out

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


def _signature_rows(keys: list[str], num_perm: int, shingle_words: int) -> list[Any]:
    return list(signatures(keys, num_perm, shingle_words))


@dataclass
class Corpus:
    documents: pl.DataFrame
    sentences: pl.DataFrame
    quarantine: pl.DataFrame
    dedup_map: pl.DataFrame
    boilerplate_map: pl.DataFrame
    counts: dict[str, int]


def _quarantine(docs: pl.DataFrame, reason: schema.QuarantineReason) -> pl.DataFrame:
    """Quarantine rows for ``docs`` (which carry a ``detail`` column)."""
    return schema.conform(
        docs.with_columns(stage=pl.lit(STAGE), reason=pl.lit(reason.value)), schema.QUARANTINE
    )


def detect_documents(docs: pl.DataFrame, runner: Batches) -> pl.DataFrame:
    samples = [document_sample(t) for t in docs["text"].to_list()]
    found = runner.map("langid_documents", detect_chunk, samples)
    return docs.with_columns(
        language_detected=pl.Series([lang for lang, _ in found], dtype=pl.String),
        language_confidence=pl.Series([conf for _, conf in found], dtype=pl.Float64),
    )


def filter_languages(
    docs: pl.DataFrame, languages: tuple[str, ...]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(kept, quarantined) by detected language; no languages keeps everything."""
    if not languages:
        return docs, schema.empty(schema.QUARANTINE)
    keep = pl.col("language_detected").is_in(list(languages))
    dropped = docs.filter(~keep).with_columns(
        detail=pl.format(
            "detected {} ({}); corpus.languages = {}",
            "language_detected",
            "language_confidence",
            pl.lit(", ".join(languages)),
        )
    )
    return docs.filter(keep), _quarantine(dropped, schema.QuarantineReason.LANGUAGE_FILTERED)


def find_duplicates(docs: pl.DataFrame, params: CorpusParams, runner: Batches) -> pl.DataFrame:
    """The dedup map of ``docs`` (without the ``dropped`` column)."""
    keyed = docs.select("doc_id", "published", key=normalise("text"))
    keyed = keyed.with_columns(text_hash=hash_column(keyed["key"]))
    distinct = keyed.unique("text_hash").sort("text_hash")
    compute = partial(
        _signature_rows, num_perm=params.minhash_permutations, shingle_words=params.shingle_words
    )
    rows: list[npt.NDArray[np.uint64]] = runner.map("minhash", compute, distinct["key"].to_list())
    sigs = dict(zip(distinct["text_hash"].to_list(), rows, strict=True))
    start = time.perf_counter()
    found = dedup_documents(keyed, params.near, sigs)
    runner.seconds["clustering"] = time.perf_counter() - start
    return found


def build_corpus(
    cleaned: pl.DataFrame,
    segmented: pl.DataFrame,
    quarantine: pl.DataFrame,
    params: CorpusParams,
    runner: Batches | None = None,
) -> Corpus:
    """The published tables and the audit maps, from the cleaned documents and sentences."""
    if runner is None:
        own = Batches(params.workers, params.batch_size)
        try:
            return build_corpus(cleaned, segmented, quarantine, params, own)
        finally:
            own.close()
    docs = detect_documents(cleaned.sort("doc_id"), runner)
    docs, off_language = filter_languages(docs, params.languages)

    found = find_duplicates(docs, params, runner)
    docs = docs.join(found.select("doc_id", "cluster_id", "duplicate_of"), on="doc_id")

    doc_info = docs.select("doc_id", "cluster_id", doc_language="language_detected")
    sentences = segmented.join(doc_info, on="doc_id", how="inner", maintain_order="left")
    sentences = sentences.with_columns(
        sentence_hash=hash_column(sentences.select(normalise("text")).to_series())
    )
    removed = find_boilerplate(
        sentences, params.boilerplate_min_documents, params.boilerplate_window_days
    )
    bmap = boilerplate_map(sentences, removed)
    n_sentences = sentences.group_by("doc_id").len("n_before")
    sentences = sentences.join(removed, on=["domain", "sentence_hash", "doc_id"], how="anti")
    per_doc = n_sentences.join(
        sentences.group_by("doc_id").len("n_after"), on="doc_id", how="left"
    ).with_columns(pl.col("n_after").fill_null(0))
    docs = docs.join(per_doc, on="doc_id", how="left").with_columns(
        n_boilerplate_sentences=(pl.col("n_before") - pl.col("n_after")).fill_null(0)
    )
    only_boilerplate = (pl.col("n_boilerplate_sentences") > 0) & (pl.col("n_after") == 0)
    boilerplate_only = _quarantine(
        docs.filter(only_boilerplate).with_columns(
            detail=pl.format("all {} sentences are outlet boilerplate", "n_before")
        ),
        schema.QuarantineReason.BOILERPLATE_ONLY,
    )
    docs = docs.filter(~only_boilerplate)

    dropped_ids: list[str] = []
    duplicates = schema.empty(schema.QUARANTINE)
    if params.drop_duplicates:
        losers = found.filter(
            pl.col("duplicate_of").is_not_null(), pl.col("doc_id").is_in(docs["doc_id"].implode())
        )
        dropped_ids = losers["doc_id"].to_list()
        parts = []
        for method, reason, what in (
            (EXACT, schema.QuarantineReason.DUPLICATE_TEXT, "same normalised text as {}"),
            (NEAR, schema.QuarantineReason.NEAR_DUPLICATE, "near duplicate of {} (similarity {})"),
        ):
            chosen = docs.join(
                losers.filter(pl.col("method") == method).select("doc_id", "similarity"),
                on="doc_id",
            )
            args = ["duplicate_of"] if method == EXACT else ["duplicate_of", "similarity"]
            parts.append(_quarantine(chosen.with_columns(detail=pl.format(what, *args)), reason))
        duplicates = pl.concat(parts)
        docs = docs.filter(~pl.col("doc_id").is_in(dropped_ids))
    dedup_map = found.with_columns(dropped=pl.col("doc_id").is_in(dropped_ids))

    sentences = sentences.join(docs.select("doc_id"), on="doc_id", how="semi")
    long_texts = sentences.filter(needs_detection(params.sentence_langid_min_chars))["text"]
    detected = runner.map("langid_sentences", detect_chunk, long_texts.to_list())
    sentences = sentence_language(sentences, detected, params.sentence_langid_min_chars)
    sentences = sentences.with_columns(is_duplicate=duplicate_sentences(sentences))
    # positions 0, 1, 2... again after removals; sentence_id keeps the segmented position
    sentences = sentences.with_columns(
        sentence_index=pl.col("sentence_index").rank("ordinal").over("doc_id").cast(pl.Int32) - 1
    )

    counts = {
        "language_filtered": off_language.height,
        "exact_duplicates": found.filter(pl.col("method") == EXACT).height,
        "near_duplicates": found.filter(pl.col("method") == NEAR).height,
        "duplicates_dropped": len(dropped_ids),
        "boilerplate_sentences_removed": removed.height,
        "boilerplate_only": boilerplate_only.height,
        "sentences_identified": long_texts.len(),
        "duplicate_sentences": int(sentences["is_duplicate"].sum()),
    }
    return Corpus(
        documents=schema.conform(docs, schema.DOCUMENTS),
        sentences=schema.conform(sentences, schema.SENTENCES),
        quarantine=pl.concat(
            [
                schema.conform(quarantine, schema.QUARANTINE),
                off_language,
                boilerplate_only,
                duplicates,
            ]
        ),
        dedup_map=schema.conform(dedup_map, schema.DEDUP_MAP),
        boilerplate_map=schema.conform(bmap, schema.BOILERPLATE_MAP),
        counts=counts,
    )


def main(
    cleaned: Path = typer.Option(Path("data/interim/cleaned.parquet")),
    segmented: Path = typer.Option(Path("data/interim/segmented.parquet")),
    quarantine_in: Path = typer.Option(Path("data/interim/quarantine_segment.parquet")),
    documents_out: Path = typer.Option(Path("data/processed/documents.parquet")),
    sentences_out: Path = typer.Option(Path("data/processed/sentences.parquet")),
    quarantine_out: Path = typer.Option(Path("data/processed/quarantine.parquet")),
    dedup_map_out: Path = typer.Option(Path("data/processed/dedup_map.parquet")),
    boilerplate_map_out: Path = typer.Option(Path("data/processed/boilerplate_map.parquet")),
) -> None:
    params = CorpusParams.from_params(load_params(STAGE))
    runner = Batches(params.workers, params.batch_size)
    with timed_stage(STAGE) as stats:
        quarantined = pl.read_parquet(quarantine_in)
        # A document the segment stage quarantined (a timeout) has no sentences: leave it out.
        lost = quarantined.filter(pl.col("stage") == "segment")["doc_id"].implode()
        cleaned_df = pl.read_parquet(cleaned).filter(~pl.col("doc_id").is_in(lost))
        try:
            corpus = build_corpus(
                cleaned_df,
                pl.read_parquet(segmented),
                quarantined,
                params,
                runner,
            )
        finally:
            runner.close()
        write_parquet(corpus.documents, documents_out, "documents")
        write_parquet(corpus.sentences, sentences_out, "sentences")
        write_parquet(corpus.quarantine, quarantine_out, "quarantine")
        write_parquet(corpus.dedup_map, dedup_map_out, "dedup_map")
        write_parquet(corpus.boilerplate_map, boilerplate_map_out, "boilerplate_map")
        stats.docs_in, stats.docs_out = cleaned_df.height, corpus.documents.height
        stats.extra["sentences"] = corpus.sentences.height
        stats.extra.update(corpus.counts)
        stats.count_drops(corpus.quarantine.filter(pl.col("stage") == STAGE))
        for step, seconds in sorted(runner.seconds.items()):
            stats.extra[f"ms_{step}"] = round(seconds * 1000)


if __name__ == "__main__":
    run_cli(main)
