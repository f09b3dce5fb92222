"""The corpus stage's driver: the engine passes (:func:`engine_passes`, the stage's one call of
the runner, :func:`pipeline.runtime.runner.run_tasks`) and :func:`run_corpus`, which hands
their results to the corpus-wide decisions (:mod:`pipeline.corpuswide.decisions` states
them and their order). Every decision depends on the documents alone (ordered by
``published``, ``doc_id``), never on file names, row order, batch size or worker count.

Memory stays bounded whatever the corpus size: no table is read whole and no text is held
longer than one batch. The work runs in passes:

* documents, on the engine: each task (:mod:`pipeline.corpuswide.tasks`) reads one row group
  of cleaned.parquet itself and returns, per document, language, normalised-text hash and
  MinHash signature; it also writes its documents to a temporary part file cut by doc_id range
  (:mod:`pipeline.corpuswide.spill`, for the sorted output). Only the facts reach the driver
  (no text), and a worker does not redo a text or sentence it has seen (per-process caches: a
  corpus repeats them);
* duplicate clustering from the facts (LSH band group-bys, then the greedy assignment);
* sentences, on the engine: each task reads rows of one segmented row group itself, adds the
  sentence hash, the word count and, for long ones, the language, and writes them to its part
  files, cut by ``doc_id`` range (for the sorted output) and, as a few bytes per sentence, by
  sentence-hash prefix (for the corpus-wide counts); the driver gets back part numbers and
  counts;
* boilerplate and ``is_duplicate``, one hash part at a time (a sentence's every occurrence is in
  one part);
* output (:mod:`pipeline.corpuswide.writing`): each ``doc_id`` range is read, finished, sorted
  and appended, so the files come out sorted, in fixed row groups, byte-identical for any batch
  size and worker count. This tail runs on the driver alone, so it uses threads (Polars and
  pyarrow release the GIL): documents.parquet and sentences.parquet are written at once, each
  encoding its row groups on a thread of its own while the next range is prepared.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow.parquet as pq

from pipeline.corpuswide.decisions import decide_and_write
from pipeline.corpuswide.settings import CorpusParams, Inputs, Outputs, Partitioning, Result
from pipeline.corpuswide.spill import SentenceParts, TaskParts, append_records
from pipeline.corpuswide.tasks import (
    HASHED_SENTENCE,
    SPILLED_DOCUMENT,
    SPILLED_SENTENCE,
    CorpusItem,
    SentencesDone,
    carried_item,
    corpus_task,
    facts_table,
    forget_doc_index,
    item_rows,
    item_size,
    write_doc_index,
)
from pipeline.runtime.engine import EngineConfig, Row, stop_fork_server, tasks_carry_data
from pipeline.runtime.protocol import ReadRows
from pipeline.runtime.runner import run_tasks


def describe_item(item: Row) -> str:
    """What a task that overran its time budget was working on (a document, or the sentences
    of one)."""
    return str(item.get("doc_id") or f"the sentences of document {item.get('doc_id_of', '?')}")


def engine_passes(
    inputs: Inputs,
    lost: set[str],
    params: CorpusParams,
    engine: EngineConfig,
    workdir: Path,
    partitioning: Partitioning,
    preload: Sequence[str] = (),
) -> tuple[pl.DataFrame, npt.NDArray[np.uint32], TaskParts, SentenceParts]:
    """The work on the engine, documents then sentences in one pool. The workers read their own
    input (a row group per task) and write the texts to part files themselves: only facts,
    part numbers and counts reach the driver (workers that cannot see its files are sent
    their rows and send back their parts: see :func:`pipeline.corpuswide.tasks.corpus_task`).

    Returns the facts of every document (no text), sorted by doc_id with ``doc_idx`` its
    position; the signature matrix (row ``sig_row``: one per distinct normalised text); the
    documents cut by doc_id range; the sentences, enriched, by doc_id range and hash prefix."""
    cleaned, segmented = inputs.cleaned, inputs.segmented
    n_docs, doc_index, boundaries = write_doc_index(cleaned, lost, workdir, partitioning)

    doc_meta = pq.ParquetFile(cleaned).metadata
    sentence_meta = pq.ParquetFile(segmented).metadata
    ranges = partitioning.ranges(segmented)
    bits = partitioning.hash_bits(sentence_meta.num_rows)
    sigs = np.zeros((doc_meta.num_rows, params.minhash_permutations), dtype=np.uint32)
    sig_row: dict[str, int] = {}  # text hash -> its signature's row
    columns: dict[str, list[Any]] = {
        k: [] for k in ("doc_id", "language_detected", "language_confidence", "text_hash")
    }
    documents = TaskParts(workdir, "documents", SPILLED_DOCUMENT)
    parts = SentenceParts(
        TaskParts(workdir, "sentences", SPILLED_SENTENCE),
        TaskParts(workdir, "hashes", HASHED_SENTENCE),
        ranges,
        bits,
        np.zeros(n_docs, dtype=np.int64),
    )
    carry = tasks_carry_data(engine)
    task = corpus_task(params, workdir, doc_index, boundaries, ranges, n_docs, bits, carry)

    # a sentence task reads up to task_rows rows of one row group: (row group, rows) each
    step = partitioning.task_rows
    sentence_slices: list[tuple[int, range]] = []
    for group in range(sentence_meta.num_row_groups):
        rows = sentence_meta.row_group(group).num_rows
        sentence_slices += [(group, range(lo, min(rows, lo + step))) for lo in range(0, rows, step)]

    def named() -> Iterator[CorpusItem]:
        path = str(cleaned.resolve())
        for group in range(doc_meta.num_row_groups):
            todo = tuple(range(doc_meta.row_group(group).num_rows))
            yield CorpusItem(ReadRows(path, group, todo), group, "documents")
        path = str(segmented.resolve())
        for number, (group, span) in enumerate(sentence_slices):
            yield CorpusItem(ReadRows(path, group, tuple(span)), number, "sentences")

    def tasks() -> Iterator[CorpusItem | Row]:
        # read here, a task at a time as the engine asks, when the workers cannot read it
        for item in named():
            yield carried_item(item, doc_index) if carry else item

    try:
        done_tasks = run_tasks(
            "corpus",
            task,
            tasks(),
            engine,
            preload,
            item_rows,
            item_size,
            describe_item,
            total=doc_meta.num_row_groups + len(sentence_slices),
        )
        for done in done_tasks:
            append_records(workdir, done.parts)  # none unless the workers could not
            if isinstance(done, SentencesDone):
                np.add.at(parts.per_doc, done.doc_idx, done.count)
                continue
            for row in done.facts:
                # a document the segment stage quarantined (a timeout) has no sentences
                if row["doc_id"] in lost:
                    continue
                text_hash = row["text_hash"]
                if text_hash not in sig_row:
                    sig_row[text_hash] = len(sig_row)
                    sigs[sig_row[text_hash]] = np.frombuffer(row["signature"], np.uint32)
                for name, values in columns.items():
                    values.append(row[name])
    except BaseException:
        for spilled in (documents, parts.by_range, parts.by_hash):
            spilled.discard()
        raise
    finally:
        doc_index.unlink()
        forget_doc_index()  # read by the driver when the items carry their rows
    # the workers are done: the decisions and the sorted writes run on the driver alone
    stop_fork_server()
    facts = facts_table(columns, sig_row, cleaned)
    return facts, sigs, documents, parts


def run_corpus(
    inputs: Inputs,
    outputs: Outputs,
    params: CorpusParams,
    engine: EngineConfig,
    workdir: Path,
    partitioning: Partitioning = Partitioning(),
    preload: Sequence[str] = (),
) -> Result:
    """The published tables and the audit maps, written to ``outputs`` (``preload``: what the
    local workers import once, see :func:`pipeline.runtime.engine.process_context`)."""
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = seconds.get(name, 0.0) + now - clock
        clock = now

    quarantined = pl.read_parquet(inputs.quarantine)
    # A document the segment stage quarantined (a timeout) has no sentences: leave it out.
    lost = set(quarantined.filter(pl.col("stage") == "segment")["doc_id"].to_list())
    # the passes' results go straight to the decisions, which hold the only reference: the
    # signature matrix is freed once clustered
    return decide_and_write(
        inputs,
        outputs,
        params,
        workdir,
        partitioning,
        quarantined,
        *engine_passes(inputs, lost, params, engine, workdir, partitioning, preload),
        seconds,
        lap,
    )


# ---------------------------------------------------------------------------------------------
# Frames in, frames out (tests, notebooks): the same passes, on temporary files


@dataclass
class Corpus:
    documents: pl.DataFrame
    sentences: pl.DataFrame
    quarantine: pl.DataFrame
    dedup_map: pl.DataFrame
    boilerplate_map: pl.DataFrame
    counts: dict[str, int]


SERIAL = EngineConfig(name="serial")


def build_corpus(
    cleaned: pl.DataFrame,
    segmented: pl.DataFrame,
    quarantine: pl.DataFrame,
    params: CorpusParams,
    engine: EngineConfig = SERIAL,
    partitioning: Partitioning = Partitioning(),
) -> Corpus:
    """:func:`run_corpus` on frames: written to a temporary directory, run, read back."""
    with tempfile.TemporaryDirectory(prefix="corpus-") as tmp:
        root = Path(tmp)
        inputs = Inputs(root / "cleaned.parquet", root / "segmented.parquet", root / "q.parquet")
        cleaned.write_parquet(inputs.cleaned)
        segmented.write_parquet(inputs.segmented)
        quarantine.write_parquet(inputs.quarantine)
        names = ("documents", "sentences", "quarantine", "dedup_map", "boilerplate_map")
        outputs = Outputs(*(root / "out" / f"{n}.parquet" for n in names))
        work = root / "work"
        work.mkdir()
        result = run_corpus(inputs, outputs, params, engine, work, partitioning)
        frames = {n: pl.read_parquet(getattr(outputs, n)) for n in names}
        return Corpus(**frames, counts=result.counts)
