"""The corpus-wide decisions: those that need every document at once (they cannot be made one
document at a time in the earlier stages), in this order:

1. language of every document (:mod:`pipeline.corpuswide.langid`); with ``corpus.languages``
   set, the others are quarantined as ``language_filtered``;
2. exact and near duplicates (:mod:`pipeline.corpuswide.dedup`): flagged with ``cluster_id`` and
   ``duplicate_of``, every decision in ``dedup_map.parquet``;
3. outlet boilerplate (:mod:`pipeline.corpuswide.boilerplate`): sentences an outlet repeats across
   ``boilerplate_min_documents`` duplicate clusters within ``boilerplate_window_days`` leave
   sentences.parquet (listed in ``boilerplate_map.parquet``); ``documents.text`` stays as
   cleaned, so the remaining offsets still slice it, and ``sentence_index``/``sentence_id`` keep
   their segmented values (gaps mark removals). A document left without sentences is quarantined
   as ``boilerplate_only``;
4. with ``corpus.drop_duplicates``, duplicates go to quarantine (``duplicate_text`` or
   ``near_duplicate``); boilerplate is decided before, so it does not depend on this switch;
5. language of every sentence of ``sentence_langid_min_chars`` characters or more (shorter
   ones take their document's), and ``is_duplicate`` for sentences seen earlier in corpus order.

Invariants: every decision depends on the documents alone (ordered by ``published``,
``doc_id``), never on file names, row order, batch size or worker count; a document is kept or
quarantined with a reason, never dropped silently (kept + quarantined = input).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from pipeline import schema
from pipeline.corpuswide.boilerplate import boilerplate_map, find_boilerplate
from pipeline.corpuswide.dedup import (
    EXACT,
    NEAR,
    dedup_documents,
    duplicate_sentences,
)
from pipeline.corpuswide.settings import STAGE, CorpusParams, Inputs, Outputs, Partitioning, Result
from pipeline.corpuswide.spill import SentenceDecisions, SentenceParts, Spill, TaskParts, read_ahead
from pipeline.corpuswide.writing import write_outputs
from pipeline.runtime.sink import write_parquet


def _quarantine(docs: pl.DataFrame, reason: schema.QuarantineReason) -> pl.DataFrame:
    """Quarantine rows for ``docs`` (which carry a ``detail`` column)."""
    return schema.conform(
        docs.with_columns(stage=pl.lit(STAGE), reason=pl.lit(reason.value)), schema.QUARANTINE
    )


def language_filtered(facts: pl.DataFrame, languages: tuple[str, ...]) -> pl.DataFrame:
    if not languages:
        return schema.empty(schema.QUARANTINE)
    dropped = facts.filter(~pl.col("language_detected").is_in(list(languages))).with_columns(
        detail=pl.format(
            "detected {} ({}); corpus.languages = {}",
            "language_detected",
            "language_confidence",
            pl.lit(", ".join(languages)),
        )
    )
    return _quarantine(dropped, schema.QuarantineReason.LANGUAGE_FILTERED)


REMOVED: dict[str, pl.DataType] = {"doc_idx": pl.UInt32(), "hash": pl.UInt64()}
FLAGGED: dict[str, pl.DataType] = {"doc_idx": pl.UInt32(), "sentence_index": pl.Int32()}


def decide_sentences(
    parts: SentenceParts,
    facts: pl.DataFrame,
    examined: pl.Series,
    kept_before_boilerplate: pl.Series,
    params: CorpusParams,
    workdir: Path,
) -> SentenceDecisions:
    """Boilerplate (for the documents ``examined``: after the language filter) and
    ``is_duplicate`` (among ``kept_before_boilerplate``, after the removals), one hash part at
    a time: every occurrence of a sentence hash lies in one part.

    Documents, clusters and domains are numbered here (doc_idx sorts as doc_id does), so a
    sentence occurrence is a few integers; the boilerplate map gets its names back at the end."""
    domains = facts.select("domain").unique().drop_nulls().sort("domain").with_row_index("_id")
    numbered = facts.join(domains, on="domain", how="left", maintain_order="left")
    cluster_idx = facts.select(cluster_id="doc_id", _cluster="doc_idx")
    numbered = numbered.join(cluster_idx, on="cluster_id", how="left", maintain_order="left")
    doc_info = numbered.select(
        "doc_idx",
        "published",
        doc_id="doc_idx",
        domain="_id",
        cluster_id="_cluster",
    )
    decisions = SentenceDecisions(
        Spill(workdir, "removed", REMOVED),
        Spill(workdir, "flagged", FLAGGED),
        pl.DataFrame(),
        np.zeros(facts.height, dtype=np.int64),
        0,
    )
    to_range = (pl.col("doc_idx").cast(pl.Int64) * parts.n_ranges // max(1, facts.height)).cast(
        pl.UInt32
    )
    map_parts = []
    for hashed in read_ahead(parts.by_hash.read, 2**parts.hash_bits):
        if hashed.is_empty():
            continue
        sentences = (
            hashed.filter(pl.col("doc_idx").is_in(examined.implode()))
            .join(doc_info, on="doc_idx", how="inner")
            .rename({"hash": "sentence_hash"})
        )
        removed = find_boilerplate(
            sentences, params.boilerplate_min_documents, params.boilerplate_window_days
        )
        decisions.n_removed_keys += removed.height
        if removed.height:
            map_parts.append(boilerplate_map(sentences, removed))
        removed_sentences = sentences.join(
            removed, on=["domain", "sentence_hash", "doc_id"], how="semi"
        ).select("doc_idx", hash="sentence_hash")
        counts = removed_sentences["doc_idx"].value_counts()
        np.add.at(
            decisions.removed_per_doc, counts["doc_idx"].to_numpy(), counts["count"].to_numpy()
        )
        removed_keys = removed_sentences.unique()
        decisions.removed.write(removed_keys.with_columns(_range=to_range), "_range")
        remaining = (
            hashed.filter(pl.col("doc_idx").is_in(kept_before_boilerplate.implode()))
            .join(removed_keys, on=["doc_idx", "hash"], how="anti")
            .join(doc_info.select("doc_idx", "published"), on="doc_idx")
        )
        # doc_idx sorts as doc_id does
        is_duplicate = duplicate_sentences(
            remaining.rename({"doc_idx": "doc_id", "hash": "sentence_hash"})
        )
        flagged = remaining.filter(is_duplicate).select("doc_idx", "sentence_index")
        decisions.duplicates.write(flagged.with_columns(_range=to_range), "_range")
    if map_parts:
        # names back: domain, doc_id, 16 hex digits of the sentence hash
        doc_ids = facts["doc_id"]
        decisions.boilerplate_map = (
            pl.concat(map_parts)
            .join(domains.rename({"_id": "domain", "domain": "_name"}), on="domain", how="left")
            .with_columns(
                domain=pl.col("_name"),
                example_doc_ids=pl.col("example_doc_ids").list.eval(
                    pl.element().replace_strict(
                        pl.Series(range(len(doc_ids)), dtype=pl.UInt32), doc_ids
                    )
                ),
                first_doc_id=pl.col("first_doc_id").replace_strict(
                    pl.Series(range(len(doc_ids)), dtype=pl.UInt32), doc_ids
                ),
            )
            .drop("_name")
        )
    return decisions


def decide_and_write(
    inputs: Inputs,
    outputs: Outputs,
    params: CorpusParams,
    workdir: Path,
    partitioning: Partitioning,
    quarantined: pl.DataFrame,
    facts: pl.DataFrame,
    sigs: npt.NDArray[np.uint32],
    documents: TaskParts,
    parts: SentenceParts,
    seconds: dict[str, float],
    lap: Callable[[str], None],
) -> Result:
    """The corpus-wide decisions, in the order above, on what the engine passes returned (see
    :func:`pipeline.corpuswide.passes.engine_passes`); the published tables and the audit maps
    written to ``outputs``. ``lap(step)`` closes a step's timing in ``seconds``, the engine's
    first."""
    lap("engine")

    off_language = language_filtered(facts, params.languages)
    language_kept = facts.filter(~pl.col("doc_id").is_in(off_language["doc_id"].implode()))
    found = dedup_documents(language_kept, params.near, sigs)
    del sigs
    facts = facts.join(
        found.select("doc_id", "cluster_id", "duplicate_of"), on="doc_id", how="left"
    )
    lap("clustering")

    examined = language_kept.select("doc_id").join(facts, on="doc_id")["doc_idx"]
    losers = found.filter(pl.col("duplicate_of").is_not_null())
    dropped_duplicates = (
        losers["doc_id"] if params.drop_duplicates else pl.Series([], dtype=pl.String)
    )
    kept_ids = facts.filter(
        pl.col("doc_idx").is_in(examined.implode()),
        ~pl.col("doc_id").is_in(dropped_duplicates.implode()),
    )["doc_idx"]
    decisions = decide_sentences(parts, facts, examined, kept_ids, params, workdir)
    lap("boilerplate")

    n_before = parts.per_doc
    n_removed = decisions.removed_per_doc
    facts = facts.with_columns(
        n_before=pl.Series(n_before[facts["doc_idx"].to_numpy()]),
        n_boilerplate_sentences=pl.Series(n_removed[facts["doc_idx"].to_numpy()]),
    )
    only_boilerplate = (pl.col("n_boilerplate_sentences") > 0) & (
        pl.col("n_before") == pl.col("n_boilerplate_sentences")
    )
    language_ok = pl.col("doc_idx").is_in(examined.implode())
    boilerplate_only = _quarantine(
        facts.filter(language_ok, only_boilerplate).with_columns(
            detail=pl.format("all {} sentences are outlet boilerplate", "n_before")
        ),
        schema.QuarantineReason.BOILERPLATE_ONLY,
    )
    after_boilerplate = facts.filter(language_ok, ~only_boilerplate)

    dropped_ids: list[str] = []
    duplicates = schema.empty(schema.QUARANTINE)
    if params.drop_duplicates:
        chosen_losers = losers.filter(pl.col("doc_id").is_in(after_boilerplate["doc_id"].implode()))
        dropped_ids = chosen_losers["doc_id"].to_list()
        pieces = []
        for method, reason, what in (
            (EXACT, schema.QuarantineReason.DUPLICATE_TEXT, "same normalised text as {}"),
            (NEAR, schema.QuarantineReason.NEAR_DUPLICATE, "near duplicate of {} (similarity {})"),
        ):
            chosen = after_boilerplate.join(
                chosen_losers.filter(pl.col("method") == method).select("doc_id", "similarity"),
                on="doc_id",
            )
            args = ["duplicate_of"] if method == EXACT else ["duplicate_of", "similarity"]
            pieces.append(_quarantine(chosen.with_columns(detail=pl.format(what, *args)), reason))
        duplicates = pl.concat(pieces)
    final = after_boilerplate.filter(~pl.col("doc_id").is_in(dropped_ids))
    dedup_map = found.with_columns(dropped=pl.col("doc_id").is_in(dropped_ids))

    written = write_outputs(
        inputs, outputs, facts, final, documents, parts, decisions, partitioning
    )
    lap("write")

    quarantine = pl.concat(
        [schema.conform(quarantined, schema.QUARANTINE), off_language, boilerplate_only, duplicates]
    )
    write_parquet(quarantine, outputs.quarantine, "quarantine")
    write_parquet(dedup_map, outputs.dedup_map, "dedup_map")
    counts = {
        "language_filtered": off_language.height,
        "exact_duplicates": found.filter(pl.col("method") == EXACT).height,
        "near_duplicates": found.filter(pl.col("method") == NEAR).height,
        "duplicates_dropped": len(dropped_ids),
        "boilerplate_sentences_removed": decisions.n_removed_keys,
        "boilerplate_only": boilerplate_only.height,
        "sentences_identified": written["identified"],
        "duplicate_sentences": written["duplicates"],
    }
    return Result(
        counts=counts,
        docs_in=facts.height,
        docs_out=final.height,
        sentences=written["sentences"],
        quarantine=quarantine,
        seconds=seconds,
    )
