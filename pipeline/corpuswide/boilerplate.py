"""Outlet boilerplate: sentences an outlet repeats across many of its documents.

A sentence (compared by its normalised hash, see :func:`pipeline.corpuswide.dedup.normalise`) is
boilerplate in document *d* of domain *D* when at least ``min_documents`` distinct duplicate
clusters of *D* contain it within ``window_days`` of *d*'s publication time (*d* included).
Counting clusters, not documents, keeps an article that an outlet republished (or that was
crawled several times) from turning its own sentences into "boilerplate". Undated documents are
within the window of every document (their time is unknown); documents without a domain are
never examined (their outlet is unknown). ``window_days`` null means no time limit.

The decision depends only on the set of occurrences, never on their order.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

import polars as pl

EXAMPLE_DOCS = 5


def boilerplate_in_group(
    occurrences: Sequence[tuple[str, str, datetime | None]],
    min_documents: int,
    window: timedelta | None,
) -> set[str]:
    """Documents whose occurrence of one sentence is boilerplate, from the (doc_id, cluster_id,
    published) occurrences of that sentence in one domain."""
    clusters_all = {c for _, c, _ in occurrences}
    if len(clusters_all) < min_documents:
        return set()
    if window is None:
        return {d for d, _, _ in occurrences}
    undated = [(d, c) for d, c, t in occurrences if t is None]
    dated = sorted((t, c, d) for d, c, t in occurrences if t is not None)
    hits = {d for d, _ in undated}  # an undated occurrence is near every other one
    times = [t for t, _, _ in dated]
    counts: Counter[str] = Counter(c for _, c in undated)
    lo = hi = 0
    for t, _, d in dated:
        # slide [lo, hi) over the occurrences within the window of t (both bounds only grow)
        end = bisect_right(times, t + window, lo=hi)
        for _, c, _ in dated[hi:end]:
            counts[c] += 1
        hi = end
        start = bisect_left(times, t - window, lo=lo, hi=hi)
        for _, c, _ in dated[lo:start]:
            counts[c] -= 1
            if counts[c] == 0:
                del counts[c]
        lo = start
        if len(counts) >= min_documents:
            hits.add(d)
    return hits


def find_boilerplate(
    sentences: pl.DataFrame, min_documents: int, window_days: float | None
) -> pl.DataFrame:
    """The (domain, sentence_hash, doc_id) triples to remove. ``sentences`` needs doc_id,
    cluster_id, domain, published and sentence_hash (any comparable type: a hex string, or the
    integer the corpus stage spills); the result keeps the input's column types. Every
    (domain, sentence_hash) is decided on its own occurrences, so the sentences can be cut into
    parts by sentence_hash and each part decided alone."""
    window = None if window_days is None else timedelta(days=window_days)
    occurrences = (
        sentences.filter(pl.col("domain").is_not_null())
        .select("domain", "sentence_hash", "doc_id", "cluster_id", "published")
        .unique(["domain", "sentence_hash", "doc_id"])
    )
    # cheap pre-filter: only sentences that reach the threshold domain-wide can be boilerplate
    candidates = (
        occurrences.group_by("domain", "sentence_hash")
        .agg(pl.col("cluster_id").n_unique().alias("n"))
        .filter(pl.col("n") >= min_documents)
        .drop("n")
    )
    grouped = (
        occurrences.join(candidates, on=["domain", "sentence_hash"], how="semi")
        .sort("domain", "sentence_hash", "doc_id")
        .group_by("domain", "sentence_hash", maintain_order=True)
        .agg(
            "doc_id",
            "cluster_id",
            "published",
            _span=pl.col("published").max() - pl.col("published").min(),
        )
    )
    # Most candidates' dated occurrences all lie within one window (null span: none is dated):
    # then each occurrence has every cluster in its window, so all of them are boilerplate,
    # decided here at once; only the others are slid over one by one.
    within = (
        pl.lit(True) if window is None else pl.col("_span").is_null() | (pl.col("_span") <= window)
    )
    keys = ["domain", "sentence_hash", "doc_id"]
    columns = {name: occurrences.schema[name] for name in keys}
    removed: list[tuple[object, object, str]] = []
    spread = grouped.filter(~within).drop("_span")
    for domain, sentence_hash, docs, clusters, times in spread.iter_rows():
        hits = boilerplate_in_group(
            list(zip(docs, clusters, times, strict=True)), min_documents, window
        )
        removed.extend((domain, sentence_hash, d) for d in hits)
    return pl.concat(
        [
            grouped.filter(within).select(keys).explode("doc_id"),
            pl.DataFrame(removed, schema=columns, orient="row"),
        ]
    ).sort(keys)


def boilerplate_map(sentences: pl.DataFrame, removed: pl.DataFrame) -> pl.DataFrame:
    """One row per (domain, sentence_hash) removed somewhere: how often the outlet used it,
    where it was removed, an example text and the first removed documents in corpus order.

    ``sentences`` needs doc_id, cluster_id, domain, published, sentence_index and sentence_hash;
    without a ``text`` column the example is left null and ``first_doc_id``/``first_index`` say
    which sentence it is (the corpus stage fills it in when it reads the texts)."""
    flagged = sentences.join(removed, on=["domain", "sentence_hash", "doc_id"], how="semi").sort(
        ["published", "doc_id", "sentence_index"], nulls_last=True
    )
    in_domain = (
        sentences.filter(pl.col("domain").is_not_null())
        .join(removed.select("domain", "sentence_hash").unique(), on=["domain", "sentence_hash"])
        .group_by("domain", "sentence_hash")
        .agg(
            n_documents=pl.col("doc_id").n_unique().cast(pl.Int64),
            n_clusters=pl.col("cluster_id").n_unique().cast(pl.Int64),
        )
    )
    text = pl.col("text").first() if "text" in sentences.columns else pl.lit(None, pl.String)
    per_key = flagged.group_by("domain", "sentence_hash", maintain_order=True).agg(
        text=text,
        n_removed_documents=pl.col("doc_id").n_unique().cast(pl.Int64),
        n_removed_sentences=pl.len().cast(pl.Int64),
        example_doc_ids=pl.col("doc_id").unique(maintain_order=True).head(EXAMPLE_DOCS),
        first_published=pl.col("published").min(),
        last_published=pl.col("published").max(),
        first_doc_id=pl.col("doc_id").first(),
        first_index=pl.col("sentence_index").first(),
    )
    return per_key.join(in_domain, on=["domain", "sentence_hash"], how="left").sort(
        "domain", "sentence_hash"
    )
