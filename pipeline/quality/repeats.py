"""Facts over whole tables that no chunk can see: values duplicated in a table, and sentences
repeated across the duplicate clusters of a domain.

Memory stays flat in the corpus size: the tables are read in batches, and 64-bit hashes are
grouped first, one hash part at a time on large corpora (``repeated_keys``); only the few
candidates are then counted exactly on their values. The number of hash parts never changes
the facts found.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from datetime import timedelta

import polars as pl
import pyarrow.parquet as pq

from pipeline.quality.tables import Source, _frame, _read_batches, _row_count, _scan
from pipeline.runtime.scratch import owned_directory
from pipeline.schema import UTC_TIME

# Rows whose 64-bit hashes are grouped at once. A group_by over hashes holds one entry (with
# ``n_unique``: one hash set) per distinct hash, i.e. per sentence: on larger tables the
# (hash, value) pairs are spilled to a temporary Parquet file and grouped one hash part at a
# time, so the driver's memory is that of one part. 1k/10k corpora stay one part. (100k varied
# pages, 11.5M sentences: 2M rows a part -> 1M, the stage's peak PSS ~1.06 -> ~1.03 GB.)
HASH_PART_ROWS = 1_000_000
# Sentences read at a time for the facts. Polars' streaming engine held far more than this
# when the texts were read (~1.2 GB at 100k documents for one filter over them).
FACT_READ_ROWS = 50_000


def hash_parts(rows: int) -> int:
    return max(1, math.ceil(rows / HASH_PART_ROWS))


def repeated_keys(
    pairs: Iterable[pl.DataFrame], rows: int, count: pl.Expr, parts: int | None = None
) -> pl.DataFrame:
    """The ``_key`` (UInt64) values of the ``pairs`` frames whose group's ``count`` is over 1,
    in no particular order. ``rows`` (an upper bound of the pairs) sets the number of hash
    parts; a part holds every pair of its keys, so the keys found never depend on it."""
    parts = hash_parts(rows) if parts is None else parts

    def repeated(frame: pl.LazyFrame) -> pl.DataFrame:
        return (
            frame.group_by("_key")
            .agg(_n=count)
            .filter(pl.col("_n") > 1)
            .select("_key")
            .collect(engine="streaming")
        )

    if parts == 1:
        return repeated(pl.concat(list(pairs), how="vertical_relaxed").lazy())
    with owned_directory(prefix="newscorpus-validate-") as tmp:
        spilled = tmp / "pairs.parquet"
        writer: pq.ParquetWriter | None = None
        for frame in pairs:
            table = frame.to_arrow()
            writer = writer or pq.ParquetWriter(spilled, table.schema)
            writer.write_table(table)
        if writer is None:
            return pl.DataFrame(schema={"_key": pl.UInt64})
        writer.close()
        found = [
            repeated(pl.scan_parquet(spilled).filter(pl.col("_key") % parts == part))
            for part in range(parts)
        ]
    return pl.concat(found)


def most_clusters_within(occurrences: pl.DataFrame, window_days: float | None) -> pl.DataFrame:
    """(domain, text, domain_repeat_docs) from (domain, text, _cluster, _published) rows: per
    sentence of a domain, the most duplicate clusters holding it within ``window_days`` of one
    of its occurrences (None: at any time). An undated occurrence is within every window. This
    is how the corpus stage's boilerplate rule counts (``corpus.boilerplate_window_days``)."""
    if window_days is None:
        return occurrences.group_by("domain", "text").agg(
            domain_repeat_docs=pl.col("_cluster").n_unique().cast(pl.Int64)
        )
    window = timedelta(days=window_days)
    points = occurrences.select("domain", "text", "_cluster", "_published").unique()
    apart = pl.col("_published") - pl.col("_published_other")
    near = points.join(points, on=["domain", "text"], suffix="_other").filter(
        pl.col("_published").is_null()
        | pl.col("_published_other").is_null()
        | ((apart <= window) & (apart >= -window))
    )
    return (
        near.group_by("domain", "text", "_cluster", "_published")
        .agg(_near=pl.col("_cluster_other").n_unique())
        .group_by("domain", "text")
        .agg(domain_repeat_docs=pl.col("_near").max().cast(pl.Int64))
    )


def domain_repeats(
    sentences: Source, documents: Source, window_days: float | None = None
) -> pl.DataFrame:
    """(domain, text, domain_repeat_docs) for every sentence text found in more than one
    duplicate cluster of its domain within ``window_days`` (see ``most_clusters_within``; a
    republished story repeats its own sentences, so clusters are counted, not documents); any
    other sentence with a domain is in exactly one.

    Reads the sentences in batches twice: candidates are found on 64-bit hashes of (domain,
    text) and of the cluster (``repeated_keys``: more than one cluster at any time), and only
    the candidates' rows are counted exactly on their texts."""
    docs = _scan(documents)
    names = docs.collect_schema().names()
    cluster = pl.coalesce("cluster_id", "doc_id") if "cluster_id" in names else pl.col("doc_id")
    published = pl.col("published") if "published" in names else pl.lit(None, UTC_TIME)
    clusters = (
        docs.select("doc_id", _cluster=cluster, _published=published)
        .unique("doc_id", keep="first")
        .collect(engine="streaming")
    )

    def keyed() -> Iterator[pl.DataFrame]:
        for batch in _read_batches(sentences, ["doc_id", "domain", "text"], FACT_READ_ROWS):
            yield batch.filter(pl.col("domain").is_not_null()).with_columns(
                _key=pl.struct("domain", "text").hash()
            )

    def with_cluster(frame: pl.DataFrame) -> pl.DataFrame:
        joined = frame.join(clusters, on="doc_id", how="left", maintain_order="left")
        return joined.with_columns(_cluster=pl.coalesce("_cluster", "doc_id"))

    candidates = repeated_keys(
        (
            with_cluster(batch.select("doc_id", "_key")).select(
                "_key", _value=pl.col("_cluster").hash()
            )
            for batch in keyed()
        ),
        _row_count(sentences),
        pl.col("_value").n_unique(),
    )
    keys = candidates["_key"].implode()
    # Copied through Arrow: a filtered string column still points into the whole batch's
    # text buffers, which would keep every batch alive.
    rows = [
        _frame(with_cluster(batch.filter(pl.col("_key").is_in(keys))).to_arrow())
        for batch in keyed()
    ]
    return (
        most_clusters_within(pl.concat(rows, how="vertical_relaxed"), window_days)
        .filter(pl.col("domain_repeat_docs") > 1)
        .sort("domain", "text")
    )


def duplicated_values(source: Source, column: str) -> pl.Series:
    """The non-null values of ``column`` occurring more than once in the whole table: grouped
    on 64-bit hashes first (bounded memory, see ``repeated_keys``), then exactly on the few
    candidate values."""
    candidates = repeated_keys(
        (
            batch.filter(pl.col(column).is_not_null()).select(_key=pl.col(column).hash())
            for batch in _read_batches(source, [column], FACT_READ_ROWS)
        ),
        _row_count(source),
        pl.len(),
    )
    values = _scan(source).select(column).filter(pl.col(column).is_not_null())
    if candidates.height == 0:
        return pl.Series(column, [], dtype=values.collect_schema()[column])
    return (
        values.filter(pl.col(column).hash().is_in(candidates["_key"].implode()))
        .group_by(column)
        .agg(_n=pl.len())
        .filter(pl.col("_n") > 1)
        .select(column)
        .sort(column)
        .collect(engine="streaming")
        .to_series()
    )
