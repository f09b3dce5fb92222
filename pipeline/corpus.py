"""Stage 5, corpus: the published corpus from the cleaned documents and their sentences.
``python -m pipeline.corpus --help``.

Corpus-level decisions that need every document at once belong here (they cannot be made one
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

Every decision depends on the documents alone (ordered by ``published``, ``doc_id``), never on
file names, row order, batch size or worker count.

Memory stays bounded whatever the corpus size: no table is read whole and no text is held
longer than one batch. The work runs in passes:

* documents, on the engine (:func:`pipeline.runtime.engine.map_batches`): each task reads one
  row group of cleaned.parquet itself and returns, per document, language, normalised-text hash and
  MinHash signature; it also writes its documents to a temporary part file cut by doc_id range
  (for the sorted output). Only the facts reach the driver (no text), and a worker does not
  redo a text or sentence it has seen (per-process caches: a corpus repeats them);
* duplicate clustering from the facts (LSH band group-bys, then the greedy assignment);
* sentences, on the engine: each task reads rows of one segmented row group itself, adds the
  sentence hash and, for long ones, the language, and writes them to its part files, cut by
  ``doc_id`` range (for the sorted output) and, as a few bytes per sentence, by sentence-hash
  prefix (for the corpus-wide counts); the driver gets back part numbers and counts;
* boilerplate and ``is_duplicate``, one hash part at a time (a sentence's every occurrence is in
  one part);
* output: each ``doc_id`` range is read, finished, sorted and appended, so the files come out
  sorted, in fixed row groups, byte-identical for any batch size and worker count. This tail
  runs on the driver alone, so it uses threads (Polars and pyarrow release the GIL):
  documents.parquet and sentences.parquet are written at once, each encoding its row groups on
  a thread of its own while the next range is prepared.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import math
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import typer

from pipeline import schema
from pipeline.config import CorpusSection, read_params
from pipeline.corpuswide.boilerplate import boilerplate_map, find_boilerplate
from pipeline.corpuswide.dedup import (
    EXACT,
    NEAR,
    NearDupParams,
    dedup_documents,
    duplicate_sentences,
    normalise,
    signatures,
    stable_hash,
)
from pipeline.corpuswide.langid import detect_chunk, document_sample
from pipeline.runtime.engine import EngineConfig, Row, map_batches
from pipeline.runtime.protocol import READ_KEY, TIMEOUT_KEY
from pipeline.runtime.reader import read_task_rows, read_task_table, task_size
from pipeline.runtime.scratch import owned_directory
from pipeline.runtime.sink import atomic_path, write_parquet
from pipeline.runtime.stats import run_cli, timed_stage

STAGE = "corpus"
# What the workers import once, in their fork server, before the stage module runs in each.
WORKER_PRELOAD = (
    "pipeline.corpuswide.boilerplate",
    "pipeline.corpuswide.dedup",
    "pipeline.corpuswide.langid",
    "pipeline.runtime.reader",
    "pipeline.runtime.stats",
    "pipeline.config",
    "numpy",
    "typer",
)

# Rows per row group of the outputs: documents carry whole texts, so theirs are smaller.
OUTPUT_ROW_GROUP = {"documents": 1_000, "sentences": 20_000}
SPILL_COMPRESSION = "lz4"


def spill_options() -> pa.ipc.IpcWriteOptions:
    # made where used: Ray pickles this module's objects by value when it runs as __main__,
    # and an IpcWriteOptions cannot be pickled
    return pa.ipc.IpcWriteOptions(compression=SPILL_COMPRESSION)


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


# ---------------------------------------------------------------------------------------------
# Work done on the engine (picklable batch functions)


def normalised_keys(texts: list[str]) -> list[str]:
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.String})
    return frame.select(normalise("text")).to_series().to_list()


# Per process, the results of texts seen before: a corpus repeats documents (syndication,
# mirrors), and the results depend on the text alone. Bounded: ~4 MB and ~10 MB when full.
TEXT_CACHE_ENTRIES = 2**14
SIGNATURE_CACHE_ENTRIES = 2**14
# 128-bit digest of a text -> (hash of its normalised text, language, confidence)
_text_cache: dict[bytes, tuple[str, str, float]] = {}
# (permutations, shingle words, hash of a normalised text) -> signature (uint32 bytes)
_signature_cache: dict[tuple[int, int, str], bytes] = {}


def _remember(cache: dict[Any, Any], key: Any, value: Any, entries: int) -> None:
    if len(cache) >= entries:
        # the older half goes (a dict keeps insertion order)
        for stale in list(islice(cache, max(1, entries // 2))):
            del cache[stale]
    cache[key] = value


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


@dataclass(frozen=True)
class DocumentFacts:
    """Per document (rows with ``doc_id`` and ``text``, read by the worker itself): hash of the
    normalised text, language detected from its sample, and the MinHash signature as uint32
    bytes. A text (or normalised text) this process has seen before is not worked on again."""

    num_perm: int
    shingle_words: int

    def __call__(self, rows: list[Row]) -> list[Row]:
        digests = [_digest(row["text"]) for row in rows]
        # this batch's results, taken before the caches change (an insertion may evict)
        known = {d: _text_cache[d] for d in digests if d in _text_cache}
        fresh = {d: row["text"] for d, row in zip(digests, rows, strict=True) if d not in known}
        texts = list(fresh.values())
        keys = dict(zip(fresh, normalised_keys(texts), strict=True))
        detected = detect_chunk([document_sample(text) for text in texts])
        for digest, (language, confidence) in zip(fresh, detected, strict=True):
            known[digest] = (stable_hash(keys[digest]), language, confidence)
            _remember(_text_cache, digest, known[digest], TEXT_CACHE_ENTRIES)
        signed: dict[str, bytes] = {}
        to_sign: dict[str, str] = {}  # hash of a normalised text -> that text
        for digest, row in zip(digests, rows, strict=True):
            text_hash = known[digest][0]
            if text_hash in signed or text_hash in to_sign:
                continue
            cached = _signature_cache.get((self.num_perm, self.shingle_words, text_hash))
            if cached is not None:
                signed[text_hash] = cached
            else:
                key = keys.get(digest)
                to_sign[text_hash] = normalised_keys([row["text"]])[0] if key is None else key
        sigs = signatures(list(to_sign.values()), self.num_perm, self.shingle_words)
        for text_hash, sig in zip(to_sign, sigs.astype(np.uint32), strict=True):
            signed[text_hash] = sig.tobytes()
            cache_key = (self.num_perm, self.shingle_words, text_hash)
            _remember(_signature_cache, cache_key, signed[text_hash], SIGNATURE_CACHE_ENTRIES)
        out: list[Row] = []
        for row, digest in zip(rows, digests, strict=True):
            text_hash, language, confidence = known[digest]
            out.append(
                {
                    "doc_id": row["doc_id"],
                    "text_hash": text_hash,
                    "language_detected": language,
                    "language_confidence": confidence,
                    "signature": signed[text_hash],
                }
            )
        return out


def read_task(item: Row, columns: dict[str, pl.DataType]) -> pl.DataFrame:
    """The rows an engine task names (``READ_KEY``: path, row group, row numbers), read by the
    worker itself."""
    if READ_KEY not in item:
        # the engine retries a task that overran its hard limit row by row: a corpus-wide
        # decision cannot leave rows out, so the stage stops (see finished)
        raise RuntimeError("corpus: an engine task overran engine.max_seconds_per_doc")
    frame = pl.from_arrow(read_task_table(item))
    assert isinstance(frame, pl.DataFrame)
    return schema.conform(frame, columns)


@dataclass(frozen=True)
class DocumentTask:
    """On the engine: the documents of some rows of one cleaned row group (read here): their
    :class:`DocumentFacts`, and the rows themselves written to this task's part file by doc_id
    range (``boundaries``: the first doc_id of every range but the first) for the output."""

    facts: DocumentFacts
    workdir: str
    boundaries: tuple[str, ...]

    def __call__(self, items: list[Row]) -> list[Row]:
        return [self.one(item) for item in items]

    def one(self, item: Row) -> Row:
        frame = read_task(item, schema.CLEANED)
        ids, texts = frame["doc_id"].to_list(), frame["text"].to_list()
        rows = [{"doc_id": d, "text": t} for d, t in zip(ids, texts, strict=True)]
        bounds = pl.Series(self.boundaries, dtype=pl.String)
        ranges = bounds.search_sorted(frame["doc_id"], side="right").cast(pl.UInt32)
        append_parts(
            frame.with_columns(_range=ranges),
            "_range",
            Path(self.workdir),
            "documents",
            schema.CLEANED,
            item["task"],
        )
        return {"facts": self.facts(rows)}


_doc_index_cache: dict[tuple[str, int], pl.DataFrame] = {}


def _doc_index(path: str) -> pl.DataFrame:
    """The driver's (doc_id, doc_idx, detect) table, read once per process and run."""
    key = (path, os.stat(path).st_mtime_ns)
    if key not in _doc_index_cache:
        _doc_index_cache.clear()
        _doc_index_cache[key] = pl.read_ipc(path)
    return _doc_index_cache[key]


SENTENCE_CACHE_ENTRIES = 2**16
# sentence -> hash of the normalised sentence (per process, as the language in langid's cache,
# which holds the same string objects: ~10 MB more when full)
_sentence_cache: dict[str, str] = {}


def sentence_facts(frame: pl.DataFrame, min_chars: int) -> pl.DataFrame:
    """Per sentence: hash of the normalised sentence and, for sentences of at least
    ``min_chars`` characters of a document whose language is kept (``detect``), language."""
    texts = frame["text"].to_list()
    # taken before the cache changes (an insertion may evict)
    known = {text: _sentence_cache[text] for text in texts if text in _sentence_cache}
    misses = list(dict.fromkeys(text for text in texts if text not in known))
    for text, key in zip(misses, normalised_keys(misses), strict=True):
        known[text] = stable_hash(key)
        _remember(_sentence_cache, text, known[text], SENTENCE_CACHE_ENTRIES)
    wanted = (frame["detect"] & (frame["text"].str.len_chars() >= min_chars)).to_numpy()
    rows = np.flatnonzero(wanted).tolist()
    detected = detect_chunk([texts[row] for row in rows])
    languages: list[str | None] = [None] * frame.height
    confidences: list[float | None] = [None] * frame.height
    for row, (language, confidence) in zip(rows, detected, strict=True):
        languages[row], confidences[row] = language, confidence
    return frame.with_columns(
        sentence_hash=pl.Series([known[text] for text in texts], dtype=pl.String),
        language_detected=pl.Series(languages, dtype=pl.String),
        language_confidence=pl.Series(confidences, dtype=pl.Float64),
    )


@dataclass(frozen=True)
class SentenceTask:
    """On the engine: the sentences of some rows of one segmented row group (read here),
    enriched by :func:`sentence_facts` and written to this task's part files, by doc_id range
    and by hash prefix. Only the part numbers and per-document counts go back to the driver."""

    min_chars: int
    doc_index: str
    workdir: str
    n_ranges: int
    n_docs: int
    hash_bits: int

    def __call__(self, items: list[Row]) -> list[Row]:
        return [self.one(item) for item in items]

    def one(self, item: Row) -> Row:
        frame = read_task(item, schema.SEGMENTED).join(
            _doc_index(self.doc_index), on="doc_id", how="inner", maintain_order="left"
        )
        frame = sentence_facts(frame, self.min_chars).with_columns(
            _range=(pl.col("doc_idx").cast(pl.Int64) * self.n_ranges // self.n_docs).cast(
                pl.UInt32
            ),
            hash=pl.col("sentence_hash").str.to_integer(base=16, dtype=pl.UInt64),
        )
        bits = self.hash_bits
        part = pl.col("hash") // pl.lit(2 ** (64 - bits), pl.UInt64) if bits else pl.lit(0)
        workdir = Path(self.workdir)
        append_parts(frame, "_range", workdir, "sentences", SPILLED_SENTENCE, item["task"])
        hashed = frame.select(*HASHED_SENTENCE, _part=part)
        append_parts(hashed, "_part", workdir, "hashes", HASHED_SENTENCE, item["task"])
        counts = frame["doc_idx"].value_counts()
        return {"doc_idx": counts["doc_idx"].to_list(), "count": counts["count"].to_list()}


def finished(rows: list[Row]) -> list[Row]:
    """The engine's results, unless one overran its time limit: a corpus-wide decision cannot
    leave a document out, so the stage stops and says where."""
    for row in rows:
        if TIMEOUT_KEY in row:
            what = row.get("doc_id") or f"the sentences of document {row.get('doc_id_of', '?')}"
            raise RuntimeError(f"corpus: {what} took over {row[TIMEOUT_KEY]} s on the engine")
    return rows


# ---------------------------------------------------------------------------------------------
# Temporary parts


class Spill:
    """Frames appended to numbered temporary Arrow IPC streams (lz4), read back one at a time."""

    def __init__(self, directory: Path, name: str, columns: dict[str, pl.DataType]) -> None:
        self.directory = directory
        self.name = name
        self.columns = columns
        self.arrow_schema = schema.empty(columns).to_arrow().schema
        self.writers: dict[int, tuple[Any, Any]] = {}

    def path(self, part: int) -> Path:
        return self.directory / f"{self.name}-{part:05d}.arrows"

    def write(self, frame: pl.DataFrame, part_column: str) -> None:
        for (part,), piece in frame.partition_by(part_column, as_dict=True).items():
            number = int(part)
            if number not in self.writers:
                sink = pa.OSFile(str(self.path(number)), "wb")
                writer = pa.ipc.new_stream(sink, self.arrow_schema, options=spill_options())
                self.writers[number] = (sink, writer)
            table = piece.select(list(self.columns)).cast(self.columns).to_arrow()  # type: ignore[arg-type]
            self.writers[number][1].write_table(table.cast(self.arrow_schema))

    def close(self) -> None:
        for part in list(self.writers):
            self.close_part(part)

    def read(self, part: int) -> pl.DataFrame:
        self.close_part(part)
        if not self.path(part).exists():
            return schema.empty(self.columns)
        with pa.OSFile(str(self.path(part)), "rb") as source:
            table = pa.ipc.open_stream(source).read_all()
        self.path(part).unlink()
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        return frame

    def close_part(self, part: int) -> None:
        if part in self.writers:
            sink, writer = self.writers.pop(part)
            writer.close()
            sink.close()


def append_parts(
    frame: pl.DataFrame,
    part_column: str,
    directory: Path,
    name: str,
    columns: dict[str, pl.DataType],
    task: int,
) -> None:
    """Append each part of ``frame`` (cut by ``part_column``) to ``<name>-<part>.parts`` as one
    Arrow IPC stream (lz4) behind its size and ``task``, the number of the engine task (in input
    order). The engine's workers append to the same files, each under an exclusive lock: one
    file per part, whatever the number of tasks, so reading a part back opens one file."""
    arrow_schema = schema.empty(columns).to_arrow().schema
    for (part,), piece in frame.partition_by(part_column, as_dict=True).items():
        table = piece.select(list(columns)).cast(columns).to_arrow()  # type: ignore[arg-type]
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, arrow_schema, options=spill_options()) as writer:
            writer.write_table(table.cast(arrow_schema))
        blob = sink.getvalue().to_pybytes()
        header = len(blob).to_bytes(8, "little") + task.to_bytes(8, "little")
        with (directory / f"{name}-{int(part):05d}.parts").open("ab") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            fh.write(header + blob)


class TaskParts:
    """The parts :func:`append_parts` wrote under ``name``, read back one at a time (the file
    goes once read), rows in input order: the tasks' pieces in task order."""

    def __init__(self, directory: Path, name: str, columns: dict[str, pl.DataType]) -> None:
        self.directory = directory
        self.name = name
        self.columns = columns

    def read(self, part: int) -> pl.DataFrame:
        path = self.directory / f"{self.name}-{part:05d}.parts"
        if not path.exists():
            return schema.empty(self.columns)
        data = memoryview(path.read_bytes())
        path.unlink()
        pieces: list[tuple[int, memoryview]] = []
        at = 0
        while at < len(data):
            size = int.from_bytes(data[at : at + 8], "little")
            task = int.from_bytes(data[at + 8 : at + 16], "little")
            pieces.append((task, data[at + 16 : at + 16 + size]))
            at += 16 + size
        pieces.sort(key=lambda piece: piece[0])  # one piece per task and part
        tables = [pa.ipc.open_stream(pa.py_buffer(blob)).read_all() for _, blob in pieces]
        frame = pl.from_arrow(pa.concat_tables(tables))
        assert isinstance(frame, pl.DataFrame)
        return frame

    def discard(self) -> None:
        for path in self.directory.glob(f"{self.name}-*.parts"):
            path.unlink(missing_ok=True)


T = TypeVar("T")


def read_ahead(read: Callable[[int], T], parts: int) -> Iterator[T]:
    """``read(0)``, ``read(1)``, ... in order, each next part read on a thread while the caller
    works on the one before (reading decompresses, in pyarrow, without the GIL). At most one
    part is held ahead, so memory stays bounded: for small parts (a range of texts ahead costs
    more memory than it saves time)."""
    with ThreadPoolExecutor(1, thread_name_prefix="read-ahead") as pool:
        ahead = pool.submit(read, 0) if parts else None
        for part in range(parts):
            assert ahead is not None
            current = ahead.result()
            ahead = pool.submit(read, part + 1) if part + 1 < parts else None
            yield current


class FrameSink:
    """Append sorted frames to a Parquet file in row groups of a fixed size, so its bytes do not
    depend on how the frames were cut; the file appears atomically on close.

    Row groups are encoded on a background thread (pyarrow's writer releases the GIL while it
    compresses), one at a time and in order, so the caller prepares the next frame meanwhile;
    at most one row group waits, so memory stays bounded."""

    def __init__(self, path: Path, table: str) -> None:
        self.path = path
        self.declared = schema.TABLES[table]
        self.rows_per_group = OUTPUT_ROW_GROUP[table]
        self.arrow_schema = schema.empty(self.declared).to_arrow().schema
        self.buffer: list[pl.DataFrame] = []
        self.buffered = 0
        self.rows_written = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = atomic_path(path)
        self.writer = pq.ParquetWriter(
            self.tmp, self.arrow_schema, compression="zstd", compression_level=3
        )
        self.encoder = ThreadPoolExecutor(1, thread_name_prefix=f"sink-{table}")
        self.pending: Future[None] | None = None

    def write(self, frame: pl.DataFrame) -> None:
        self.buffer.append(schema.conform(frame, self.declared))
        self.buffered += frame.height
        while self.buffered >= self.rows_per_group:
            whole = pl.concat(self.buffer)
            self._flush(whole.head(self.rows_per_group))
            rest = whole.slice(self.rows_per_group)
            self.buffer, self.buffered = [rest], rest.height

    def _flush(self, frame: pl.DataFrame) -> None:
        table = frame.to_arrow().cast(self.arrow_schema)
        self._wait()  # the previous row group first: the file's order is the calls' order
        self.pending = self.encoder.submit(
            self.writer.write_table, table, row_group_size=self.rows_per_group
        )
        self.rows_written += frame.height

    def _wait(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()  # an encoding error surfaces here

    def close(self) -> None:
        if self.buffered or self.rows_written == 0:
            self._flush(pl.concat(self.buffer) if self.buffer else schema.empty(self.declared))
            self.buffer, self.buffered = [], 0
        self._wait()
        self.encoder.shutdown()
        self.writer.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        # the error that made the caller abort is the one to report, not the encoder's
        with contextlib.suppress(Exception):
            self._wait()
        self.encoder.shutdown()
        self.writer.close()
        self.tmp.unlink(missing_ok=True)


def uncompressed_bytes(path: Path) -> int:
    meta = pq.ParquetFile(path).metadata
    return sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))


# ---------------------------------------------------------------------------------------------
# The passes


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


DOC_META = ["doc_id", "source_path", "source_sha256", "size_bytes", "domain", "published"]
SPILLED_SENTENCE: dict[str, pl.DataType] = {
    **schema.SEGMENTED,
    "sentence_hash": pl.String(),
    "language_detected": pl.String(),
    "language_confidence": pl.Float64(),
    "doc_idx": pl.UInt32(),
}
HASHED_SENTENCE: dict[str, pl.DataType] = {
    "hash": pl.UInt64(),
    "doc_idx": pl.UInt32(),
    "sentence_index": pl.Int32(),
}


@dataclass(frozen=True)
class CorpusTask:
    """Both engine passes in one pool (one start-up, one set of worker processes): an item
    names a row group of cleaned.parquet (``kind`` documents) or rows of one of
    segmented.parquet (sentences)."""

    documents: DocumentTask
    sentences: SentenceTask

    def __call__(self, items: list[Row]) -> list[Row]:
        return [
            self.documents.one(item)
            if item.get("kind") == "documents"
            else self.sentences.one(item)
            for item in items
        ]


def engine_passes(
    inputs: Inputs,
    lost: set[str],
    params: CorpusParams,
    engine: EngineConfig,
    workdir: Path,
    partitioning: Partitioning,
) -> tuple[pl.DataFrame, npt.NDArray[np.uint32], TaskParts, SentenceParts]:
    """The work on the engine, documents then sentences in one pool. The workers read their own
    input (a row group per task) and write the texts to part files themselves: only facts,
    part numbers and counts reach the driver.

    Returns the facts of every document (no text), sorted by doc_id with ``doc_idx`` its
    position; the signature matrix (row ``sig_row``: one per distinct normalised text); the
    documents cut by doc_id range; the sentences, enriched, by doc_id range and hash prefix."""
    cleaned, segmented = inputs.cleaned, inputs.segmented
    # doc_idx is known before any document is read: the rank of its doc_id (segment-stage
    # losses left out), so the sentences need not wait for the documents
    ids = pl.read_parquet(cleaned, columns=["doc_id"])["doc_id"]
    ids = ids.filter(~ids.is_in(pl.Series(list(lost), dtype=pl.String).implode())).sort()
    n_docs = ids.len()
    if ids.n_unique() != n_docs:
        raise ValueError(f"{cleaned} holds a doc_id twice")
    doc_index = workdir / "doc_index.arrow"
    # every document's sentences are identified: with corpus.languages set, those of the
    # documents filtered out are identified in vain, but never published
    pl.DataFrame({"doc_id": ids}).with_row_index("doc_idx").with_columns(
        pl.col("doc_idx").cast(pl.UInt32), detect=pl.lit(True)
    ).write_ipc(doc_index)
    # The documents' ranges (doc_idx * ranges // documents) as doc_id boundaries: the first
    # doc_id of every range but the first. The range cuts set the output's Arrow chunks, and
    # so its Parquet pages: they must not move.
    doc_ranges = partitioning.ranges(cleaned)
    starts = (-(-k * n_docs // doc_ranges) for k in range(1, doc_ranges))  # ceil: first doc_idx
    boundaries = tuple(ids[start] for start in starts if start < n_docs)  # past the end: empty
    del ids

    doc_meta = pq.ParquetFile(cleaned).metadata
    sentence_meta = pq.ParquetFile(segmented).metadata
    ranges = partitioning.ranges(segmented)
    bits = partitioning.hash_bits(sentence_meta.num_rows)
    sigs = np.zeros((doc_meta.num_rows, params.minhash_permutations), dtype=np.uint32)
    sig_row: dict[str, int] = {}  # text hash -> its signature's row
    columns: dict[str, list[Any]] = {
        k: [] for k in ("doc_id", "language_detected", "language_confidence", "text_hash")
    }
    documents = TaskParts(workdir, "documents", schema.CLEANED)
    parts = SentenceParts(
        TaskParts(workdir, "sentences", SPILLED_SENTENCE),
        TaskParts(workdir, "hashes", HASHED_SENTENCE),
        ranges,
        bits,
        np.zeros(n_docs, dtype=np.int64),
    )
    task = CorpusTask(
        DocumentTask(
            DocumentFacts(params.minhash_permutations, params.shingle_words),
            str(workdir),
            boundaries,
        ),
        SentenceTask(
            params.sentence_langid_min_chars,
            str(doc_index),
            str(workdir),
            ranges,
            max(1, n_docs),
            bits,
        ),
    )

    def tasks() -> Iterator[Row]:
        path = str(cleaned.resolve())
        for group in range(doc_meta.num_row_groups):
            todo = list(range(doc_meta.row_group(group).num_rows))
            yield {READ_KEY: (path, group, todo), "kind": "documents", "task": group}
        path = str(segmented.resolve())
        step = partitioning.task_rows
        number = 0
        for group in range(sentence_meta.num_row_groups):
            rows = sentence_meta.row_group(group).num_rows
            for lo in range(0, rows, step):
                todo = list(range(lo, min(rows, lo + step)))
                yield {READ_KEY: (path, group, todo), "task": number}
                number += 1

    one_task = dataclasses.replace(engine, batch_size=1)
    try:
        preload = WORKER_PRELOAD
        for batch in map_batches(task, tasks(), one_task, read_task_rows, task_size, preload):
            for done in finished(batch):
                if "facts" not in done:
                    np.add.at(parts.per_doc, done["doc_idx"], done["count"])
                    continue
                for row in done["facts"]:
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
    facts = pl.DataFrame(
        columns,
        schema={
            "doc_id": pl.String,
            "language_detected": pl.String,
            "language_confidence": pl.Float64,
            "text_hash": pl.String,
        },
    )
    facts = facts.with_columns(
        sig_row=pl.col("text_hash").replace_strict(sig_row, return_dtype=pl.Int64)
    )
    meta_columns = pl.read_parquet(cleaned, columns=DOC_META)
    facts = (
        facts.join(meta_columns, on="doc_id", how="left")
        .sort("doc_id")
        .with_row_index("doc_idx")
        .with_columns(pl.col("doc_idx").cast(pl.UInt32))
    )
    return facts, sigs, documents, parts


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


@dataclass
class SentenceParts:
    """The sentences, enriched and spilled: by doc_id range and by hash prefix."""

    by_range: TaskParts
    by_hash: TaskParts
    n_ranges: int
    hash_bits: int
    per_doc: npt.NDArray[np.int64]  # sentences of each document (by doc_idx)


@dataclass
class SentenceDecisions:
    removed: Spill  # (doc_idx, hash) of boilerplate sentences, by doc_id range
    duplicates: Spill  # (doc_idx, sentence_index) of sentences seen earlier, by doc_id range
    boilerplate_map: pl.DataFrame
    removed_per_doc: npt.NDArray[np.int64]
    n_removed_keys: int


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
    decisions.removed.close()
    decisions.duplicates.close()
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


def run_corpus(
    inputs: Inputs,
    outputs: Outputs,
    params: CorpusParams,
    engine: EngineConfig,
    workdir: Path,
    partitioning: Partitioning = Partitioning(),
) -> Result:
    """The published tables and the audit maps, written to ``outputs``."""
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
    facts, sigs, documents, parts = engine_passes(
        inputs, lost, params, engine, workdir, partitioning
    )
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


def write_outputs(
    inputs: Inputs,
    outputs: Outputs,
    facts: pl.DataFrame,
    final: pl.DataFrame,
    documents: TaskParts,
    parts: SentenceParts,
    decisions: SentenceDecisions,
    partitioning: Partitioning,
) -> dict[str, int]:
    """documents.parquet and sentences.parquet, one doc_id range at a time (sorted, fixed row
    groups), and boilerplate_map.parquet with its example texts."""
    doc_columns = facts.filter(pl.col("doc_idx").is_in(final["doc_idx"].implode())).select(
        "doc_id",
        "language_detected",
        "language_confidence",
        "cluster_id",
        "duplicate_of",
        "n_boilerplate_sentences",
    )
    # documents.parquet on a thread of its own while the sentences are written: the two files
    # are independent, and Polars and pyarrow release the GIL, so both cores work
    with ThreadPoolExecutor(1, thread_name_prefix="documents") as pool:
        documents_written = pool.submit(
            write_documents,
            outputs.documents,
            documents,
            doc_columns,
            partitioning.ranges(inputs.cleaned),
        )
        try:
            written = write_sentences(outputs, facts, final, parts, decisions)
        except BaseException:
            with contextlib.suppress(Exception):  # the first error is the one to report
                documents_written.result()
            raise
        documents_written.result()
    return written


def write_documents(
    path: Path, documents: TaskParts, doc_columns: pl.DataFrame, doc_ranges: int
) -> None:
    """documents.parquet, one doc_id range at a time (sorted, fixed row groups)."""
    sink = FrameSink(path, "documents")
    try:
        for part in range(doc_ranges):
            frame = documents.read(part).join(doc_columns, on="doc_id", how="inner")
            sink.write(frame.sort("doc_id"))
    except BaseException:
        sink.abort()
        documents.discard()
        raise
    sink.close()


def write_sentences(
    outputs: Outputs,
    facts: pl.DataFrame,
    final: pl.DataFrame,
    parts: SentenceParts,
    decisions: SentenceDecisions,
) -> dict[str, int]:
    """sentences.parquet, one doc_id range at a time (sorted, fixed row groups), and
    boilerplate_map.parquet with its example texts."""
    bmap = decisions.boilerplate_map
    # where each removed sentence's example text is: the first removed occurrence
    examples = (
        bmap.select("domain", "sentence_hash", doc_id="first_doc_id", sentence_index="first_index")
        .join(facts.select("doc_id", "doc_idx"), on="doc_id")
        .select("doc_idx", "sentence_index", "domain", _key="sentence_hash")
        if bmap.height
        else None
    )
    texts: list[pl.DataFrame] = []
    doc_language = facts.select("doc_idx", doc_language="language_detected")
    kept = final.select("doc_idx")
    written = {"sentences": 0, "identified": 0, "duplicates": 0}
    sink = FrameSink(outputs.sentences, "sentences")
    try:
        for part in range(parts.n_ranges):
            frame = parts.by_range.read(part)
            if examples is not None:
                texts.append(
                    frame.select("doc_idx", "sentence_index", "text").join(
                        examples, on=["doc_idx", "sentence_index"]
                    )
                )
            frame = (
                frame.join(kept, on="doc_idx", how="semi")
                .with_columns(hash=pl.col("sentence_hash").str.to_integer(base=16, dtype=pl.UInt64))
                .join(decisions.removed.read(part), on=["doc_idx", "hash"], how="anti")
                .join(
                    decisions.duplicates.read(part).with_columns(is_duplicate=True),
                    on=["doc_idx", "sentence_index"],
                    how="left",
                )
                .join(doc_language, on="doc_idx", how="left")
                .sort("doc_idx", "sentence_index")
                .with_columns(
                    language_detected=pl.coalesce("language_detected", "doc_language"),
                    is_duplicate=pl.col("is_duplicate").fill_null(False),
                    # positions 0, 1, 2... again after removals; sentence_id keeps the segmented
                    sentence_index=(pl.int_range(pl.len()).over("doc_idx")).cast(pl.Int32),
                )
            )
            written["sentences"] += frame.height
            written["identified"] += int(frame["language_confidence"].is_not_null().sum())
            written["duplicates"] += int(frame["is_duplicate"].sum())
            sink.write(frame)
    except BaseException:
        sink.abort()
        raise
    sink.close()

    if bmap.height:
        example_texts = pl.concat(texts).select("domain", "text", sentence_hash="_key")
        bmap = (
            bmap.drop("text")
            .join(example_texts, on=["domain", "sentence_hash"], how="left")
            .with_columns(
                sentence_hash=pl.col("sentence_hash").map_elements(
                    lambda h: f"{h:016x}", return_dtype=pl.String
                )
            )
        )
    else:
        bmap = schema.empty(schema.BOILERPLATE_MAP)
    write_parquet(bmap, outputs.boilerplate_map, "boilerplate_map")
    return written


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


def find_duplicates(docs: pl.DataFrame, params: CorpusParams) -> pl.DataFrame:
    """The dedup map of ``docs`` (doc_id, published, text), in-process (without ``dropped``)."""
    rows = [{"doc_id": d, "text": t} for d, t in docs.select("doc_id", "text").iter_rows()]
    facts = DocumentFacts(params.minhash_permutations, params.shingle_words)(rows)
    sigs = np.stack([np.frombuffer(f["signature"], dtype=np.uint32) for f in facts])
    keyed = docs.select("doc_id", "published").with_columns(
        text_hash=pl.Series([f["text_hash"] for f in facts], dtype=pl.String),
        sig_row=pl.int_range(pl.len(), dtype=pl.Int64),
    )
    return dedup_documents(keyed, params.near, sigs)


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
    config = read_params()  # the whole file, before any input is read
    params = CorpusParams.from_params(config.corpus)
    engine = EngineConfig.from_params(config.engine)
    inputs = Inputs(cleaned, segmented, quarantine_in)
    outputs = Outputs(
        documents_out, sentences_out, quarantine_out, dedup_map_out, boilerplate_map_out
    )
    documents_out.parent.mkdir(parents=True, exist_ok=True)
    with (
        timed_stage(STAGE) as stats,
        # beside the outputs (same file system); a killed run's is swept by the next
        owned_directory(documents_out.parent, ".corpus-") as work,
    ):
        result = run_corpus(inputs, outputs, params, engine, work)
        stats.docs_in, stats.docs_out = result.docs_in, result.docs_out
        stats.extra["sentences"] = result.sentences
        stats.extra.update(result.counts)
        stats.count_drops(result.quarantine.filter(pl.col("stage") == STAGE))
        for step, seconds in sorted(result.seconds.items()):
            stats.time_step(step, seconds)  # run log only: timings are not tracked outputs


if __name__ == "__main__":
    run_cli(main)
