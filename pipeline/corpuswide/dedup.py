"""Exact and near-duplicate documents, and repeated sentences, decided independently of input order.

Corpus order is ``(published, doc_id)`` with undated documents last: ``doc_id`` is a content
hash, so the order depends on the documents only, never on file names, row order or workers.

* Exact duplicates share the hash of their normalised text (:func:`normalise`).
* Near duplicates: MinHash signatures (our numpy implementation, fixed hash functions) of word
  shingles of the normalised text; candidate pairs are those sharing an LSH band (the bands
  datasketch's ``MinHashLSH`` chooses), found with group-bys over the signatures, accepted when
  the estimated Jaccard similarity reaches the threshold. Clustering is greedy in corpus order:
  a text joins the most similar earlier representative (ties: the earliest), or becomes a
  representative itself. So every member is within the threshold of its representative (no
  chaining), and the representative is the cluster's earliest document.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import numpy.typing as npt
import polars as pl

from pipeline import schema

HASH_HEX = 16
MINHASH_SEED = 7
# LSH bands chosen to weigh missed pairs 9x more than extra candidates (every candidate is
# verified against the threshold): at threshold 0.6, a pair at 0.6 is found 87% of the time,
# at 0.68 98% (equal weights: 40% and 71%).
LSH_WEIGHTS = (0.1, 0.9)
_SHINGLE_BASE = np.uint64(0x100000001B3)  # FNV-64 prime: mixes the words of a shingle in order
# shingles whose (shingles x permutations) hashes are taken at once: 1 MB with 128 permutations
# (2048 rows: 10% slower, out of the L2 cache)
MINHASH_BLOCK = 1024

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


# A run of anything but letters and digits (r"[^\p{L}\p{N}]+") is one space in a normalised
# text; only the runs that replacing changes are matched: all but a lone space (most runs
# between words, its own replacement). The same result (tests/corpuswide/test_fast_paths.py),
# 2.4x faster at 1k varied pages (155 -> 65 ms for the regex over the documents and distinct
# sentences): each match costs, whatever its length.
NON_WORD_RUN_TO_REWRITE = r"[^\p{L}\p{N}]{2,}|[^\p{L}\p{N} ]"


def normalise(column: str, nfkc: bool = True) -> pl.Expr:
    """Comparison key of a text: NFKC, lower case, every run of non-letters/digits one space
    (``nfkc`` False: the column is in NFKC already)."""
    text = pl.col(column).str.normalize("NFKC") if nfkc else pl.col(column)
    return text.str.to_lowercase().str.replace_all(NON_WORD_RUN_TO_REWRITE, " ").str.strip_chars()


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


# Python's str.split() separators (str.isspace) as a Rust regex class: a key split by Polars
# must give the words key.split() gives (tests check the class against every code point)
_PY_SPACE = (
    r"\t\n\x0B\x0C\r\x1C-\x1F \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}"
    r"\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}"
)
# a key Polars cannot split on single spaces as Python would: another separator, two in a row,
# or one at either end (normalised keys never: see normalise)
_NOT_SPLIT_ON_SPACES = rf"[{_PY_SPACE}--[ ]]|[{_PY_SPACE}]{{2}}|^[{_PY_SPACE}]|[{_PY_SPACE}]$"


def word_hashes(keys: Sequence[str]) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """The 64-bit hash of every word of every key (its 8-byte BLAKE2b digest, little-endian),
    the keys' words one after the other, and the number of words of each key; words as
    ``key.split()`` gives them. The keys are split and their words numbered (a Categorical) in
    Polars, and each distinct word hashed once: at 1k varied pages (1.5M words, 55k distinct)
    130 ms instead of 280 ms for a Python split and dictionary lookup per word."""
    series = pl.Series(keys, dtype=pl.String)
    odd = series.str.contains(_NOT_SPLIT_ON_SPACES).arg_true().to_list()
    if odd:
        series = series.scatter(odd, [" ".join(keys[i].split()) for i in odd])
    split = series.str.split(" ")
    # an empty key splits into one empty word, and is the only one that does: it has none
    counts = split.list.len().to_numpy().astype(np.int64) * (series.str.len_bytes() > 0).to_numpy()
    words = split.explode()
    words = words.filter(words.str.len_bytes() > 0)
    categories = pl.Categories.random()  # this call's own numbering, freed with it
    coded = words.cast(pl.Categorical(categories))  # held: the numbering lives with its data
    codes = coded.to_physical().to_numpy()
    distinct = categories.to_series().to_list()
    digests = b"".join(
        hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest() for word in distinct
    )
    return np.frombuffer(digests, dtype="<u8")[codes], counts


def shingles(
    keys: Sequence[str], words: int
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """The shingle hashes of every key (repeats included), one key after the other, and the
    offsets where each key's shingles start (``len(keys) + 1``, the last the total). A shingle
    is a polynomial of the hashes of ``words`` consecutive words (wrapping uint64 arithmetic:
    the same on every machine); a key of fewer words is one shingle of them all, a key without
    words the shingle 0. The windows of all keys are computed at once (those across two keys
    are left out)."""
    hashes, counts = word_hashes(keys)
    starts = np.concatenate(([0], np.cumsum(counts)))
    windows = max(0, hashes.size - words + 1)  # every window of `words` words, across keys too
    polynomial = hashes[:windows].copy()
    for k in range(1, words):
        polynomial *= _SHINGLE_BASE
        polynomial += hashes[k : k + windows]
    pieces: list[npt.NDArray[np.uint64]] = []
    for start, count in zip(starts[:-1].tolist(), counts.tolist(), strict=True):
        if count >= words:
            pieces.append(polynomial[start : start + count - words + 1])
        else:  # one shingle of the key's words (none: 0)
            short = np.zeros(1, dtype=np.uint64)
            for value in hashes[start : start + count]:
                short *= _SHINGLE_BASE
                short += value
            pieces.append(short)
    sizes = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
    flat = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.uint64)
    return flat, np.concatenate(([0], np.cumsum(sizes)))


def shingle_hashes(key: str, words: int) -> npt.NDArray[np.uint64]:
    """64-bit hashes of the distinct word ``words``-grams of a normalised text (see
    :func:`shingles`)."""
    return np.unique(shingles([key], words)[0])


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
    flat, offsets = shingles(keys, shingle_words)
    out = np.zeros((len(keys), num_perm), dtype=np.uint64)
    mixed = np.empty((MINHASH_BLOCK, num_perm), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i, (lo_key, hi_key) in enumerate(pairwise(offsets.tolist())):
            # Repeated shingles stay (the minimum is the same), the shift follows the minimum
            # (a shift keeps the order) and a block of shingles at a time goes through the
            # functions (it stays in cache, and memory is bounded): same result, less work.
            lowest = np.full(num_perm, np.iinfo(np.uint64).max, dtype=np.uint64)
            for lo in range(lo_key, hi_key, MINHASH_BLOCK):
                block = flat[lo : min(hi_key, lo + MINHASH_BLOCK)]
                products = np.multiply(block[:, None], a, out=mixed[: block.size])
                products += b
                np.minimum(lowest, products.min(axis=0), out=lowest)
            out[i] = lowest >> np.uint64(32)
    return out


def jaccard(a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64]) -> float:
    """Estimated Jaccard similarity of two signatures, rounded for stable output."""
    return round(float(np.count_nonzero(a == b)) / len(a), 4)


# datasketch's choice for the default params (tests check it against datasketch): importing
# datasketch brings scipy, half a second of CPU for a choice that depends on the params alone
KNOWN_LSH_BANDS: dict[tuple[float, int, tuple[float, float]], tuple[int, int]] = {
    (0.6, 128, LSH_WEIGHTS): (25, 5),
}


def lsh_bands(params: NearDupParams) -> tuple[int, int]:
    """(bands, rows per band) that datasketch's ``MinHashLSH`` picks for these params and
    :data:`LSH_WEIGHTS`: two signatures are candidates when one band is equal."""
    known = KNOWN_LSH_BANDS.get((params.threshold, params.num_perm, LSH_WEIGHTS))
    if known is not None:
        return known
    # imported here: it brings scipy (0.6 s, 45 MB), which the worker processes never need
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=params.threshold, num_perm=params.num_perm, weights=LSH_WEIGHTS)
    return int(lsh.b), int(lsh.r)


# candidate pairs whose signatures are compared at once (bounds the memory of the comparison)
PAIR_BLOCK = 20_000


def candidate_pairs(
    sigs: npt.NDArray[np.uint32], params: NearDupParams
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """(earlier, later, similarity) for every pair of rows of ``sigs`` that share an LSH band
    and reach the threshold: the pairs datasketch's index would return and the threshold keep."""
    n = sigs.shape[0]
    bands, rows = lsh_bands(params)
    found: list[npt.NDArray[np.int64]] = []
    for band in range(bands):
        block = np.ascontiguousarray(sigs[:, band * rows : (band + 1) * rows])
        keys = block.view(np.dtype((np.void, block.dtype.itemsize * rows))).ravel()
        _, group = np.unique(keys, return_inverse=True)
        order = np.argsort(group, kind="stable")
        grouped = group[order]
        bounds = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1], True])
        shared = np.flatnonzero(np.diff(bounds) >= 2)  # band values held by several texts
        for lo, hi in zip(bounds[shared].tolist(), bounds[shared + 1].tolist(), strict=True):
            members = np.sort(order[lo:hi])
            first, second = np.triu_indices(len(members), k=1)
            found.append(members[first] * n + members[second])
    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float64)
    pairs = np.unique(np.concatenate(found))
    earlier, later = pairs // n, pairs % n
    similarity = np.zeros(len(pairs), dtype=np.float64)
    for lo in range(0, len(pairs), PAIR_BLOCK):
        hi = lo + PAIR_BLOCK
        equal = np.count_nonzero(sigs[earlier[lo:hi]] == sigs[later[lo:hi]], axis=1)
        similarity[lo:hi] = np.round(equal / sigs.shape[1], 4)
    keep = similarity >= params.threshold
    return earlier[keep], later[keep], similarity[keep]


def cluster(
    sigs: npt.NDArray[np.uint32], params: NearDupParams
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Greedy near-duplicate clustering of texts whose signatures are the rows of ``sigs``, in
    corpus order: (row of each text's representative, similarity to it).

    A text joins the most similar earlier representative among its LSH candidates that reach
    the threshold (ties: the earliest), or becomes a representative itself."""
    n = sigs.shape[0]
    representative = np.arange(n, dtype=np.int64)
    similarity = np.ones(n, dtype=np.float64)
    candidates: dict[int, list[tuple[float, int]]] = {}
    for earlier, later, pair_similarity in zip(*candidate_pairs(sigs, params), strict=True):
        candidates.setdefault(int(later), []).append((-float(pair_similarity), int(earlier)))
    is_representative = np.ones(n, dtype=bool)
    for text in sorted(candidates):
        # every candidate comes earlier in corpus order, so whether it leads is already final
        leaders = [c for c in candidates[text] if is_representative[c[1]]]
        if leaders:
            negative_similarity, leader = min(leaders)  # most similar, then earliest
            representative[text] = leader
            similarity[text] = -negative_similarity
            is_representative[text] = False
    return representative, similarity


def dedup_documents(
    docs: pl.DataFrame, params: NearDupParams, sigs: npt.NDArray[np.uint32]
) -> pl.DataFrame:
    """The dedup map: one row per document of ``docs`` (doc_id, published, text_hash, sig_row),
    ``sig_row`` being the row of ``sigs`` holding the signature of the document's text.

    Columns (DEDUP_COLUMNS): cluster_id is the representative's doc_id, duplicate_of the same
    but null for the representative itself, similarity to the representative, method."""
    ordered = corpus_order(docs.select("doc_id", "published", "text_hash", "sig_row"))
    # the earliest document of each distinct text stands for it
    heads = ordered.unique("text_hash", keep="first", maintain_order=True)
    # as Int64: an empty column's numpy array would not be an integer index
    rep, similarity = cluster(sigs[heads["sig_row"].cast(pl.Int64).to_numpy()], params)
    head_hash, head_doc = heads["text_hash"], heads["doc_id"]
    assigned = pl.DataFrame(
        {
            "text_hash": head_hash,
            "rep_hash": head_hash.gather(rep),
            "cluster_id": head_doc.gather(rep),
            "_similarity": similarity,
        }
    )
    decided = ordered.select("doc_id", "text_hash").join(
        assigned, on="text_hash", how="left", maintain_order="left"
    )
    is_rep = pl.col("doc_id") == pl.col("cluster_id")
    exact = pl.col("text_hash") == pl.col("rep_hash")
    size = pl.len().over("cluster_id")
    return decided.select(
        "doc_id",
        "text_hash",
        "cluster_id",
        duplicate_of=pl.when(is_rep).then(None).otherwise(pl.col("cluster_id")),
        similarity=pl.when(is_rep | exact).then(1.0).otherwise(pl.col("_similarity")),
        method=pl.when(is_rep & (size == 1))
        .then(pl.lit(UNIQUE))
        .when(is_rep)
        .then(pl.lit(REPRESENTATIVE))
        .when(exact)
        .then(pl.lit(EXACT))
        .otherwise(pl.lit(NEAR)),
        cluster_size=size.cast(pl.Int64),
    ).cast(DEDUP_COLUMNS)  # type: ignore[arg-type]


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
