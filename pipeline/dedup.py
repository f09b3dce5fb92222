"""Exact and near-duplicate documents, and repeated sentences, decided independently of input order.

Corpus order is ``(published, doc_id)`` with undated documents last: ``doc_id`` is a content
hash, so the order depends on the documents only, never on file names, row order or workers.

* Exact duplicates share the hash of their normalised text (:func:`normalise`).
* Near duplicates: MinHash signatures (our numpy implementation, fixed hash functions) of word
  shingles of the normalised text, candidate pairs from datasketch's LSH index, accepted when
  the estimated Jaccard similarity reaches the threshold. Clustering is greedy in corpus order:
  a text joins the most similar earlier representative (ties: the earliest), or becomes a
  representative itself. So every member is within the threshold of its representative (no
  chaining), and the representative is the cluster's earliest document.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
from datasketch import MinHash, MinHashLSH

from pipeline import schema

HASH_HEX = 16
MINHASH_SEED = 7
MINHASH_SCHEME = "affine32"  # datasketch's LSH gets our 32-bit signatures in this scheme
# LSH bands chosen to weigh missed pairs 9x more than extra candidates (every candidate is
# verified against the threshold): at threshold 0.6, a pair at 0.6 is found 87% of the time,
# at 0.68 98% (equal weights: 40% and 71%).
LSH_WEIGHTS = (0.1, 0.9)
_SHINGLE_BASE = np.uint64(0x100000001B3)  # FNV-64 prime: mixes the words of a shingle in order

# dedup_map.method values
UNIQUE = "unique"  # no duplicate in the corpus
REPRESENTATIVE = "representative"  # earliest document of a cluster with duplicates
EXACT = "exact"  # same normalised text as the representative
NEAR = "near"  # MinHash similarity to the representative >= threshold


# The decision columns of the dedup map; whether a duplicate was dropped is added by the corpus
# stage (drop switch in params).
DEDUP_COLUMNS: dict[str, pl.DataType] = {
    name: dtype for name, dtype in schema.DEDUP_MAP.items() if name != "dropped"
}


@dataclass(frozen=True)
class NearDupParams:
    threshold: float
    num_perm: int
    shingle_words: int


def normalise(column: str) -> pl.Expr:
    """Comparison key of a text: NFKC, lower case, every run of non-letters/digits one space."""
    return (
        pl.col(column)
        .str.normalize("NFKC")
        .str.to_lowercase()
        .str.replace_all(r"[^\p{L}\p{N}]+", " ")
        .str.strip_chars()
    )


def stable_hash(text: str) -> str:
    """16 hex digits of BLAKE2b: the same on every machine and Python (unlike ``hash``)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=HASH_HEX // 2).hexdigest()


def hash_column(series: pl.Series) -> pl.Series:
    """:func:`stable_hash` of every value, each distinct value hashed once."""
    unique = series.unique()
    table = pl.DataFrame(
        {"_key": unique, "_hash": [stable_hash(v) for v in unique.to_list()]},
        schema={"_key": pl.String, "_hash": pl.String},
    )
    return (
        series.to_frame("_key")
        .join(table, on="_key", how="left", maintain_order="left")["_hash"]
        .alias(series.name)
    )


def corpus_order(df: pl.DataFrame, *extra: str) -> pl.DataFrame:
    """Rows in corpus order: published (undated last), doc_id, then ``extra`` columns."""
    return df.sort(["published", "doc_id", *extra], nulls_last=True)


def _token_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")


def shingle_hashes(
    key: str, words: int, vocab: dict[str, int] | None = None
) -> npt.NDArray[np.uint64]:
    """64-bit hashes of the word ``words``-grams of a normalised text: each distinct word is
    hashed once (BLAKE2b), a shingle is a polynomial of its words' hashes (wrapping uint64
    arithmetic: the same on every machine), computed for all windows at once. ``vocab`` caches
    word hashes across calls."""
    tokens = key.split()
    if not tokens:
        return np.zeros(1, dtype=np.uint64)
    vocab = {} if vocab is None else vocab
    for t in tokens:
        if t not in vocab:
            vocab[t] = _token_hash(t)
    h = np.fromiter((vocab[t] for t in tokens), dtype=np.uint64, count=len(tokens))
    width = min(words, len(tokens))
    n = len(tokens) - width + 1
    out = np.zeros(n, dtype=np.uint64)
    for k in range(width):
        out = out * _SHINGLE_BASE + h[k : k + n]
    return np.unique(out)


def _permutations(num_perm: int) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """Fixed multiply-shift hash functions (odd multipliers), from a seeded PCG64."""
    rng = np.random.Generator(np.random.PCG64(MINHASH_SEED))
    a = rng.integers(0, 2**64 - 1, size=num_perm, dtype=np.uint64, endpoint=True) | np.uint64(1)
    b = rng.integers(0, 2**64 - 1, size=num_perm, dtype=np.uint64, endpoint=True)
    return a, b


def signatures(keys: Sequence[str], num_perm: int, shingle_words: int) -> npt.NDArray[np.uint64]:
    """MinHash signatures, one row per normalised text (picklable: runs in worker processes).

    Hash function i maps a shingle hash x to the top 32 bits of ``a_i * x + b_i`` (mod 2**64),
    a multiply-shift family; all shingles of a text go through all functions in one numpy step.
    """
    a, b = _permutations(num_perm)
    vocab: dict[str, int] = {}
    out = np.zeros((len(keys), num_perm), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i, key in enumerate(keys):
            x = shingle_hashes(key, shingle_words, vocab)
            out[i] = ((x[:, None] * a[None, :] + b[None, :]) >> np.uint64(32)).min(axis=0)
    return out


def jaccard(a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64]) -> float:
    """Estimated Jaccard similarity of two signatures, rounded for stable output."""
    return round(float(np.count_nonzero(a == b)) / len(a), 4)


def cluster(
    order: list[str], sigs: dict[str, npt.NDArray[np.uint64]], params: NearDupParams
) -> dict[str, tuple[str, float]]:
    """Greedy near-duplicate clustering of texts (by text hash) given in corpus order:
    text hash -> (representative text hash, similarity to it)."""
    lsh = MinHashLSH(threshold=params.threshold, num_perm=params.num_perm, weights=LSH_WEIGHTS)
    rank = {h: i for i, h in enumerate(order)}
    assigned: dict[str, tuple[str, float]] = {}
    for h in order:
        mh = MinHash(
            num_perm=params.num_perm,
            seed=MINHASH_SEED,
            scheme=MINHASH_SCHEME,
            hashvalues=sigs[h],
        )
        best: tuple[float, int, str] | None = None
        for candidate in lsh.query(mh):
            similarity = jaccard(sigs[h], sigs[candidate])
            if similarity < params.threshold:
                continue
            key = (-similarity, rank[candidate], candidate)
            if best is None or key < best:
                best = key
        if best is None:
            assigned[h] = (h, 1.0)
            lsh.insert(h, mh)  # only representatives are candidates
        else:
            assigned[h] = (best[2], -best[0])
    return assigned


def dedup_documents(
    docs: pl.DataFrame,
    params: NearDupParams,
    sigs: dict[str, npt.NDArray[np.uint64]],
) -> pl.DataFrame:
    """The dedup map: one row per document of ``docs`` (doc_id, published, text_hash), with
    ``sigs`` the signature of every distinct text_hash.

    Columns (DEDUP_COLUMNS): cluster_id is the representative's doc_id, duplicate_of the same
    but null for the representative itself, similarity to the representative, method."""
    ordered = corpus_order(docs.select("doc_id", "published", "text_hash"))
    # the earliest document of each distinct text stands for it
    heads = ordered.unique("text_hash", keep="first", maintain_order=True)
    head_doc = dict(zip(heads["text_hash"], heads["doc_id"], strict=True))
    assigned = cluster(heads["text_hash"].to_list(), sigs, params)
    decided = []
    for doc_id, text_hash in ordered.select("doc_id", "text_hash").iter_rows():
        rep_hash, similarity = assigned[text_hash]
        decided.append((doc_id, text_hash, head_doc[rep_hash], rep_hash, similarity))
    sizes = Counter(rep for _, _, rep, _, _ in decided)
    rows = []
    for doc_id, text_hash, rep, rep_hash, similarity in decided:
        if doc_id == rep:
            method = UNIQUE if sizes[rep] == 1 else REPRESENTATIVE
            rows.append((doc_id, text_hash, rep, None, 1.0, method, sizes[rep]))
        elif text_hash == rep_hash:
            rows.append((doc_id, text_hash, rep, rep, 1.0, EXACT, sizes[rep]))
        else:
            rows.append((doc_id, text_hash, rep, rep, similarity, NEAR, sizes[rep]))
    return pl.DataFrame(rows, schema=DEDUP_COLUMNS, orient="row")


def duplicate_sentences(sentences: pl.DataFrame) -> pl.Series:
    """``is_duplicate`` per row of ``sentences`` (needs doc_id, published, sentence_index and
    sentence_hash): the same normalised sentence occurs earlier in corpus order."""
    indexed = sentences.select("doc_id", "published", "sentence_index", "sentence_hash")
    flagged = (
        corpus_order(indexed.with_row_index("_row"), "sentence_index")
        .with_columns(is_duplicate=pl.col("sentence_hash").is_first_distinct().not_())
        .sort("_row")
    )
    return flagged["is_duplicate"]
