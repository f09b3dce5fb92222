"""The corpus stage's work on the engine: the picklable task classes its workers run
(:class:`CorpusTask`: :class:`DocumentTask`, :class:`SentenceTask`), the per-document and
per-sentence facts they compute, and the driver's helpers that prepare and collect them.

Invariants: a task reads its own input (the rows its item names) and writes its rows to part
files itself: only facts (no text), part numbers and counts go back to the driver. Workers that
cannot see the driver's files (a Ray cluster) are instead sent their rows and send back their
part records, for the driver to write (see :func:`corpus_task`): the same bytes either way.
Every fact depends on the text alone, so the per-process caches (bounded) never change a
result.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from pipeline import schema
from pipeline.corpuswide.dedup import (
    dedup_documents,
    normalise,
    signatures,
    stable_hash,
)
from pipeline.corpuswide.langid import detect_chunk, document_sample
from pipeline.corpuswide.settings import CorpusParams, Partitioning
from pipeline.corpuswide.spill import PartRecord, append_records, part_records
from pipeline.runtime.engine import Row
from pipeline.runtime.protocol import CarriedRows
from pipeline.runtime.reader import RowsItem, carried, read_task_rows, read_task_table, task_size
from pipeline.text.words import PUBLISHED_WORD_PATTERN


def word_count(column: str) -> pl.Expr:
    """The published ``n_words`` of a text column. Counted by the engine tasks, beside the
    text they spill, so the driver's output pass (serial) does not run the regex."""
    return pl.col(column).str.count_matches(PUBLISHED_WORD_PATTERN).fill_null(0).cast(pl.Int64)


# The characters besides ASCII that NFKC leaves alone in any text of them (blocks of Latin,
# Greek, Cyrillic, punctuation, kana, CJK and Hangul; inclusive ranges): each is assigned, its
# own NFKC, of combining class 0, and neither it nor the first character of its canonical
# decomposition is ever the second of a pair that composes (the second of a two-character
# canonical decomposition, a Hangul vowel or final consonant). So none decomposes in a way
# that composes differently next to another, nor reorders: a text of them is its own NFKC.
# Those properties never change for an assigned character (Unicode's normalization
# stability), whatever the Unicode version of Polars. Tests derive the ranges again.
# fmt: off
NFKC_STABLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x0080, 0x009F), (0x00A1, 0x00A7), (0x00A9, 0x00A9), (0x00AB, 0x00AE), (0x00B0, 0x00B1),
    (0x00B6, 0x00B7), (0x00BB, 0x00BB), (0x00BF, 0x0131), (0x0134, 0x013E), (0x0141, 0x0148),
    (0x014A, 0x017E), (0x0180, 0x01C3), (0x01CD, 0x01F0), (0x01F4, 0x02AF), (0x02B9, 0x02D7),
    (0x02DE, 0x02DF), (0x02E5, 0x02FF), (0x034F, 0x034F), (0x0370, 0x0373), (0x0375, 0x0377),
    (0x037B, 0x037D), (0x037F, 0x037F), (0x0386, 0x0386), (0x0388, 0x038A), (0x038C, 0x038C),
    (0x038E, 0x03A1), (0x03A3, 0x03CF), (0x03D7, 0x03EF), (0x03F3, 0x03F3), (0x03F6, 0x03F8),
    (0x03FA, 0x0482), (0x0488, 0x052F), (0x200B, 0x2010), (0x2012, 0x2016), (0x2018, 0x2023),
    (0x2027, 0x202E), (0x2030, 0x2032), (0x2035, 0x2035), (0x2038, 0x203B), (0x203D, 0x203D),
    (0x203F, 0x2046), (0x204A, 0x2056), (0x2058, 0x205E), (0x2060, 0x2064), (0x2066, 0x206F),
    (0x3001, 0x3029), (0x3030, 0x3035), (0x3037, 0x3037), (0x303B, 0x303F), (0x3041, 0x3096),
    (0x309D, 0x309E), (0x30A0, 0x30FE), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3),
)
# fmt: on
_NEEDS_NFKC = "[^\\x00-\\x7F{}]".format(
    "".join(f"\\x{{{lo:X}}}-\\x{{{hi:X}}}" for lo, hi in NFKC_STABLE_RANGES)
)


def normalised_keys(texts: list[str]) -> list[str]:
    """:func:`~pipeline.corpuswide.dedup.normalise` of each text. NFKC changes no text of ASCII
    and :data:`NFKC_STABLE_RANGES` only, so only the other texts go through it: at 1k varied
    pages 211 of 995 documents and 896 of 79k distinct sentences (keys 158 -> 117 ms and
    95 -> 77 ms; ASCII alone let 901 documents through)."""
    series = pl.Series("text", texts, dtype=pl.String)
    non_ascii = (series.str.len_bytes() != series.str.len_chars()).arg_true()
    other = non_ascii.filter(series.gather(non_ascii).str.contains(_NEEDS_NFKC))
    series = series.scatter(other, series.gather(other).str.normalize("NFKC"))
    return series.to_frame().select(normalise("text", nfkc=False)).to_series().to_list()


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


@dataclass(frozen=True)
class DocumentsDone:
    """What a documents task sends the driver: the facts of its documents (no text), and the
    part records for the driver to write when the worker cannot (see :func:`spilled`)."""

    facts: list[Row]
    parts: list[PartRecord] = field(default_factory=list)


@dataclass(frozen=True)
class SentencesDone:
    """What a sentences task sends the driver: how many sentences each document
    (``doc_idx``) had in its rows, and the part records for the driver to write when the
    worker cannot (see :func:`spilled`)."""

    doc_idx: list[int]
    count: list[int]
    parts: list[PartRecord] = field(default_factory=list)


def spilled(records: list[PartRecord], workdir: str | None) -> list[PartRecord]:
    """Part records appended to the part files in ``workdir`` by the worker (-> none left), or,
    without a ``workdir`` (workers that cannot see the driver's files), left for the driver to
    append (the same bytes: the output does not change)."""
    if workdir is None:
        return records
    append_records(Path(workdir), records)
    return []


@dataclass(frozen=True)
class CorpusItem:
    """An engine task of the corpus stage: the rows it reads (of cleaned.parquet for
    ``documents``, of segmented.parquet for ``sentences``) and its number ``task`` (which names
    its part files)."""

    read: RowsItem
    task: int
    kind: Literal["documents", "sentences"]


def item_rows(item: CorpusItem | Row) -> list[Row]:
    """The rows an item stands for (the engine's retry, one row at a time, after a hard
    timeout)."""
    return read_task_rows(item.read) if isinstance(item, CorpusItem) else [item]


def item_size(item: CorpusItem | Row) -> int:
    return task_size(item.read) if isinstance(item, CorpusItem) else 1


def corpus_item(item: CorpusItem | Row) -> CorpusItem:
    """The task an engine item is, or an error for a row."""
    if not isinstance(item, CorpusItem):
        # the engine retries a task that overran its hard limit row by row: a corpus-wide
        # decision cannot leave rows out, so the stage stops (see pipeline.runtime.runner.run_tasks)
        raise RuntimeError("corpus: an engine task overran engine.max_seconds_per_doc")
    return item


def read_task(item: CorpusItem | Row, columns: dict[str, pl.DataType]) -> pl.DataFrame:
    """The rows an engine task names, read by the worker itself."""
    frame = pl.from_arrow(read_task_table(corpus_item(item).read))
    assert isinstance(frame, pl.DataFrame)
    return schema.conform(frame, columns)


@dataclass(frozen=True)
class DocumentTask:
    """On the engine: the documents of some rows of one cleaned row group (read here): their
    :class:`DocumentFacts`, and the rows themselves written to this task's part file by doc_id
    range (``boundaries``: the first doc_id of every range but the first) for the output."""

    facts: DocumentFacts
    workdir: str | None  # None: the parts go back to the driver (see spilled)
    boundaries: tuple[str, ...]

    def __call__(self, items: list[CorpusItem | Row]) -> list[DocumentsDone]:
        return [self.one(item) for item in items]

    def one(self, item: CorpusItem | Row) -> DocumentsDone:
        frame = read_task(item, schema.CLEANED)
        ids, texts = frame["doc_id"].to_list(), frame["text"].to_list()
        rows = [{"doc_id": d, "text": t} for d, t in zip(ids, texts, strict=True)]
        bounds = pl.Series(self.boundaries, dtype=pl.String)
        ranges = bounds.search_sorted(frame["doc_id"], side="right").cast(pl.UInt32)
        task = corpus_item(item).task
        spilled_frame = frame.with_columns(_range=ranges, n_words=word_count("text"))
        records = part_records(spilled_frame, "_range", "documents", SPILLED_DOCUMENT, task)
        return DocumentsDone(self.facts(rows), spilled(records, self.workdir))


_doc_index_cache: dict[tuple[str, int], pl.DataFrame] = {}


def _doc_index(path: str) -> pl.DataFrame:
    """The driver's (doc_id, doc_idx, detect) table, read once per process and run."""
    key = (path, os.stat(path).st_mtime_ns)
    if key not in _doc_index_cache:
        _doc_index_cache.clear()
        _doc_index_cache[key] = pl.read_ipc(path)
    return _doc_index_cache[key]


def forget_doc_index() -> None:
    """Drop this process's copy of the doc index (the driver's, once the tasks are made)."""
    _doc_index_cache.clear()


def indexed(frame: pl.DataFrame, doc_index: str) -> pl.DataFrame:
    """Sentences with their document's ``doc_idx`` and ``detect`` (from the driver's doc index
    at ``doc_index``); those of documents not in it left out."""
    return frame.join(_doc_index(doc_index), on="doc_id", how="inner", maintain_order="left")


def carried_item(item: CorpusItem, doc_index: Path) -> CorpusItem:
    """An item as a worker that cannot see the driver's files needs it (see
    :func:`corpus_task`'s ``carry``): its rows read here, a sentences item's joined to the doc
    index, as the worker would have."""
    if item.kind == "documents":
        return replace(item, read=carried(item.read))
    frame = indexed(read_task(item, schema.SEGMENTED), str(doc_index))
    return replace(item, read=CarriedRows(frame.to_arrow()))


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
    hashed = list(zip(misses, map(stable_hash, normalised_keys(misses)), strict=True))
    known.update(hashed)
    if len(_sentence_cache) + len(hashed) <= SENTENCE_CACHE_ENTRIES:
        _sentence_cache.update(hashed)  # at once while there is room
    else:
        for text, sentence_hash in hashed:
            _remember(_sentence_cache, text, sentence_hash, SENTENCE_CACHE_ENTRIES)
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
    doc_index: str | None  # None: the driver joined it to the rows (see carried_item)
    workdir: str | None  # None: the parts go back to the driver (see spilled)
    n_ranges: int
    n_docs: int
    hash_bits: int

    def __call__(self, items: list[CorpusItem | Row]) -> list[SentencesDone]:
        return [self.one(item) for item in items]

    def one(self, item: CorpusItem | Row) -> SentencesDone:
        if self.doc_index is None:
            frame = read_task(item, INDEXED_SENTENCE)
        else:
            frame = indexed(read_task(item, schema.SEGMENTED), self.doc_index)
        frame = sentence_facts(frame, self.min_chars).with_columns(
            _range=(pl.col("doc_idx").cast(pl.Int64) * self.n_ranges // self.n_docs).cast(
                pl.UInt32
            ),
            hash=pl.col("sentence_hash").str.to_integer(base=16, dtype=pl.UInt64),
            n_words=word_count("text"),
        )
        bits = self.hash_bits
        part = pl.col("hash") // pl.lit(2 ** (64 - bits), pl.UInt64) if bits else pl.lit(0)
        task = corpus_item(item).task
        records = part_records(frame, "_range", "sentences", SPILLED_SENTENCE, task)
        hashed = frame.select(*HASHED_SENTENCE, _part=part)
        records += part_records(hashed, "_part", "hashes", HASHED_SENTENCE, task)
        counts = frame["doc_idx"].value_counts()
        parts = spilled(records, self.workdir)
        return SentencesDone(counts["doc_idx"].to_list(), counts["count"].to_list(), parts)


DOC_META = [
    "doc_id",
    "source_path",
    "source_sha256",
    "size_bytes",
    "domain",
    "published",
    "page_type",
]
# The spilled parts carry what the output pass would otherwise compute on the driver: the
# word counts and the sentence hash as an integer
SPILLED_DOCUMENT: dict[str, pl.DataType] = {**schema.CLEANED, "n_words": pl.Int64()}
SPILLED_SENTENCE: dict[str, pl.DataType] = {
    **schema.SEGMENTED,
    "sentence_hash": pl.String(),
    "language_detected": pl.String(),
    "language_confidence": pl.Float64(),
    "doc_idx": pl.UInt32(),
    "hash": pl.UInt64(),
    "n_words": pl.Int64(),
}
INDEXED_SENTENCE: dict[str, pl.DataType] = {  # a sentence task's rows, as indexed() makes them
    **schema.SEGMENTED,
    "doc_idx": pl.UInt32(),
    "detect": pl.Boolean(),
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

    def __call__(self, items: list[CorpusItem | Row]) -> list[DocumentsDone | SentencesDone]:
        return [
            self.documents.one(item)
            if isinstance(item, CorpusItem) and item.kind == "documents"
            else self.sentences.one(item)
            for item in items
        ]


def corpus_task(
    params: CorpusParams,
    workdir: Path,
    doc_index: Path,
    boundaries: tuple[str, ...],
    ranges: int,
    n_docs: int,
    bits: int,
    carry: bool = False,
) -> CorpusTask:
    """The task of both engine passes: documents cut at ``boundaries``, sentences cut into
    ``ranges`` doc_id ranges and ``2**bits`` hash parts. ``carry``: the workers cannot see
    ``workdir`` (a Ray cluster): their items carry their rows (see :func:`carried_item`) and
    their part records come back for the driver to write."""
    return CorpusTask(
        DocumentTask(
            DocumentFacts(params.minhash_permutations, params.shingle_words),
            None if carry else str(workdir),
            boundaries,
        ),
        SentenceTask(
            params.sentence_langid_min_chars,
            None if carry else str(doc_index),
            None if carry else str(workdir),
            ranges,
            max(1, n_docs),
            bits,
        ),
    )


def write_doc_index(
    cleaned: Path, lost: set[str], workdir: Path, partitioning: Partitioning
) -> tuple[int, Path, tuple[str, ...]]:
    """The number of documents, the (doc_id, doc_idx, detect) table :class:`SentenceTask` reads,
    written to ``workdir``, and the doc_id boundaries of the documents' output ranges."""
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
    return n_docs, doc_index, boundaries


def facts_table(
    columns: dict[str, list[Any]], sig_row: dict[str, int], cleaned: Path
) -> pl.DataFrame:
    """The facts the document tasks returned (``columns``), with each one's signature row and
    the documents' metadata from ``cleaned``: sorted by doc_id, ``doc_idx`` the position."""
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
    return facts


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
