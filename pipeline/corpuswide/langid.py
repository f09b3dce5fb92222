"""Language identification of documents and sentences with py3langid's bundled model, batched.

py3langid walks a byte DFA one string at a time in Python (about 10k sentences/s on one core).
:class:`LanguageDetector` runs the same model on a whole batch at once: the byte strings of a
batch are stacked into a matrix and the DFA advances one byte column per numpy step for all of
them, the feature counts become one sparse score sum, and the scaling, softmax and alias folding
are py3langid's own (``LanguageIdentifier._decide``). Labels equal py3langid's ``classify``;
confidences agree to float32 rounding and are published rounded to 4 decimals, so they do not
depend on the machine's summation order.

Sentences shorter than a minimum length are not identified (too little evidence, and most of
the cost): they inherit their document's language with a null confidence.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import cache
from itertools import islice

import numpy as np
import numpy.typing as npt
import polars as pl
from py3langid.langid import MODEL_FILE, LanguageIdentifier
from scipy import sparse

CONFIDENCE_DECIMALS = 4
# Documents are identified from their first characters: enough evidence, bounded cost.
DOCUMENT_SAMPLE_CHARS = 5000
# Strings per numpy batch (similar lengths together, so padding stays small).
BATCH = 512
# Distinct texts whose result each process remembers: news repeats sentences (wire copy, outlet
# chrome, syndicated articles) and a text's result depends on the text alone. Only texts up to
# CACHE_MAX_CHARS (sentences, not document samples) are kept: about 20 MB when full.
CACHE_ENTRIES = 2**16
# Byte positions whose DFA states are held before their outputs are looked up (with BATCH
# strings: 1 MB)
STATE_BLOCK = 256
CACHE_MAX_CHARS = 2_000


def encode(text: str) -> bytes:
    """The bytes py3langid scores: all-caps text lower-cased, NFC, UTF-8."""
    if text.isupper():
        text = text.lower()
    if text.isascii():  # O(1) in CPython; ASCII text is in NFC already (nothing composes)
        return text.encode("ascii")
    return unicodedata.normalize("NFC", text).encode("utf8", errors="surrogatepass")


class LanguageDetector:
    """py3langid's model (normalised probabilities) applied to batches of strings."""

    def __init__(self) -> None:
        lid = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self.labels: list[str] = list(lid.nb_classes)
        self.alias_pairs: list[tuple[int, int]] = list(lid._alias_pairs)
        # The DFA is walked by transition index (a state's row base plus the byte) rather than
        # by state: per transition index, the row base of the state it leads to (next_base)
        # and that state's output (next_output), so a step is one addition and one gather
        # (half the numpy calls of a step by state). Two arrays of 39 MB (every worker process
        # holds them) instead of the model's one. The float16 weights are widened once (57 MB
        # instead of 28): widening the gathered rows on every call was a third of the stage's
        # CPU, and float16 -> float32 is exact.
        nextmove = np.asarray(lid.tk_nextmove)
        rowbase = np.asarray(lid._rowbase, dtype=np.uint32)
        self.start_base = rowbase[0]
        self.next_base = rowbase[nextmove]
        # and a sentinel index past the end that outputs nothing
        output = np.asarray(lid.tk_output, dtype=np.int32)
        self.next_output = np.append(output[nextmove], np.int32(-1))
        self.sentinel = np.uint32(nextmove.size)
        del nextmove
        self.ptc = np.asarray(lid.nb_ptc).astype(np.float32)
        self.pc = np.asarray(lid.nb_pc, dtype=np.float32)
        self.cache: dict[str, tuple[str, float]] = {}

    def _features(self, encoded: list[bytes]) -> tuple[npt.NDArray[np.int64], ...]:
        """(row, feature) of every DFA output, for strings sorted by decreasing length."""
        lengths = [len(b) for b in encoded]
        width = lengths[0] if encoded else 0
        # the strings as padded rows, filled at once (a boolean mask assigns in row-major
        # order: the order of the joined bytes), then one byte position per row, so each step
        # reads a contiguous run
        padded = np.zeros((len(encoded), max(width, 1)), dtype=np.uint8)
        filled = np.arange(padded.shape[1]) < np.array(lengths, dtype=np.int64)[:, None]
        padded[filled] = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        matrix = np.ascontiguousarray(padded.T)
        # The transition indices of STATE_BLOCK positions are kept and their outputs looked
        # up at once: per position only the DFA step runs (numpy calls on short rows cost
        # more than their work). Strings already ended hold the sentinel index.
        states = np.empty((STATE_BLOCK, len(encoded)), dtype=np.uint32)
        rows: list[npt.NDArray[np.int64]] = []
        feats: list[npt.NDArray[np.int32]] = []

        def emit(n: int) -> None:
            # flat indices (position * strings + row): cheaper than 2-d nonzero and indexing
            out = self.next_output[states[:n]].ravel()
            hit = np.flatnonzero(out >= 0)
            if hit.size:
                rows.append(hit % len(encoded))
                feats.append(out[hit])

        base = np.full(len(encoded), self.start_base, dtype=np.uint32)
        next_base = self.next_base
        active = len(encoded)
        for block_start in range(0, width, STATE_BLOCK):
            block_stop = min(width, block_start + STATE_BLOCK)
            states.fill(self.sentinel)
            pos = block_start
            while pos < block_stop:
                while lengths[active - 1] <= pos:
                    active -= 1
                # the positions until the shortest active string ends: the same rows step, so
                # their views are taken once (at 1k varied pages the walk 343 -> 329 ms)
                stop = min(block_stop, lengths[active - 1])
                walking = base[:active]
                moves = states[pos - block_start : stop - block_start, :active]
                for move, column in zip(moves, matrix[pos:stop, :active], strict=True):
                    np.add(walking, column, out=move)
                    np.take(next_base, move, out=walking, mode="clip")  # valid: no clipping
                pos = stop
            emit(block_stop - block_start)
        if not rows:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        return np.concatenate(rows), np.concatenate(feats).astype(np.int64)

    def _scores(self, encoded: list[bytes]) -> npt.NDArray[np.float32]:
        """Raw naive Bayes scores (rows in the order of ``encoded``, sorted by length).

        A row's score is the sum over its distinct features of ``log1p(count)`` times the
        feature's weights, plus the priors: a sparse (strings x features) matrix times the
        dense weights. scipy's product adds a row's terms one after the other in feature
        order (float32), a fixed order on every machine; gathering the weight rows of all
        features first cost twice as much."""
        n_features = self.ptc.shape[0]
        rows, feats = self._features(encoded)
        keys, counts = np.unique(rows * n_features + feats, return_counts=True)
        key_rows = keys // n_features
        weights = sparse.csr_array(
            (np.log1p(counts.astype(np.float32)), (key_rows, keys % n_features)),
            shape=(len(encoded), n_features),
        )
        scores: npt.NDArray[np.float32] = weights @ self.ptc
        # featureless rows stay 0.0: uniform after the softmax, as py3langid
        scores[np.unique(key_rows)] += self.pc
        return scores

    def detect(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        """(language, probability) per text, in the order given; each distinct text not in the
        cache is scored once."""
        cache = self.cache
        result = [cache.get(text) for text in texts]
        todo: dict[str, int] = {}  # distinct text to score -> its position in ``computed``
        for text, found in zip(texts, result, strict=True):
            if found is None and text not in todo:
                todo[text] = len(todo)
        computed = self._detect(list(todo))
        for text, found in zip(todo, computed, strict=True):
            if len(text) <= CACHE_MAX_CHARS:
                if len(cache) >= CACHE_ENTRIES:
                    # the older half goes (a dict keeps insertion order)
                    for stale in list(islice(cache, max(1, CACHE_ENTRIES // 2))):
                        del cache[stale]
                cache[text] = found
        return [computed[todo[t]] if r is None else r for t, r in zip(texts, result, strict=True)]

    def _detect(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        encoded = [encode(t) for t in texts]
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        # longest first, ties in input order (a stable sort)
        order = np.argsort(-lengths, kind="stable").tolist()
        result: list[tuple[str, float]] = [("", 0.0)] * len(encoded)
        for start in range(0, len(order), BATCH):
            batch = order[start : start + BATCH]
            batch_bytes = [encoded[i] for i in batch]
            scores = self._scores(batch_bytes)
            # 1 / sqrt(length) in float64 (both correctly rounded, as math.sqrt), then float32
            scale = (1.0 / np.sqrt(np.maximum(lengths[batch], 1))).astype(np.float32)
            scores *= scale[:, None]
            scores = np.exp(scores - scores.max(axis=1, keepdims=True))
            scores /= scores.sum(axis=1, keepdims=True)
            for i, j in self.alias_pairs:
                scores[:, i] += scores[:, j]
                scores[:, j] = 0.0
            best = scores.argmax(axis=1)
            top = scores[np.arange(len(batch)), best].tolist()
            for index, label, conf in zip(batch, best.tolist(), top, strict=True):
                result[index] = (self.labels[label], round(conf, CONFIDENCE_DECIMALS))
        return result


@cache
def detector() -> LanguageDetector:
    """One detector per process (the model takes about half a second to load)."""
    return LanguageDetector()


def detect_chunk(texts: list[str]) -> list[tuple[str, float]]:
    """Picklable entry point for worker processes."""
    return detector().detect(texts)


def document_sample(text: str) -> str:
    return text[:DOCUMENT_SAMPLE_CHARS]


def sentence_language(
    sentences: pl.DataFrame, detected: Sequence[tuple[str, float]], min_chars: int
) -> pl.DataFrame:
    """Add ``language_detected``/``language_confidence`` to sentences. ``detected`` holds the
    results for the sentences of at least ``min_chars`` characters, in frame order (see
    :func:`needs_detection`); shorter ones take the ``doc_language`` column (their document's
    detected language) with a null confidence."""
    indexed = sentences.with_row_index("_row")
    rows = indexed.filter(needs_detection(min_chars))["_row"]
    if rows.len() != len(detected):
        raise ValueError(f"{len(detected)} results for {rows.len()} sentences to identify")
    found = pl.DataFrame(
        {
            "_row": rows,
            "_lang": [lang for lang, _ in detected],
            "_conf": [conf for _, conf in detected],
        },
        schema={"_row": rows.dtype, "_lang": pl.String, "_conf": pl.Float64},
    )
    return (
        indexed.join(found, on="_row", how="left", maintain_order="left")
        .with_columns(
            language_detected=pl.coalesce("_lang", "doc_language"),
            language_confidence=pl.col("_conf"),
        )
        .drop("_row", "_lang", "_conf")
    )


def needs_detection(min_chars: int) -> pl.Expr:
    """Sentences long enough to be identified on their own."""
    return pl.col("text").str.len_chars() >= min_chars
