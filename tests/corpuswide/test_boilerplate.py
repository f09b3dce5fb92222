"""Outlet boilerplate: per domain, per time window, counted in duplicate clusters, order-free."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from pipeline import schema
from pipeline.corpuswide.boilerplate import boilerplate_in_group, find_boilerplate
from pipeline.corpuswide.passes import build_corpus
from pipeline.corpuswide.settings import CorpusParams
from tests.frames import CHROME, TOPICS, cleaned_frame, doc_id, outlet_pages, segmented_frame


def day(n: int) -> datetime:
    return datetime(2024, 3, 1, tzinfo=UTC) + timedelta(days=n)


def test_group_needs_enough_clusters_within_the_window() -> None:
    window = timedelta(days=30)
    five = [(f"d{i}", f"c{i}", day(i)) for i in range(5)]
    assert boilerplate_in_group(five, 5, window) == {f"d{i}" for i in range(5)}
    assert boilerplate_in_group(five[:4], 5, window) == set()
    # five documents but two are one cluster (a republished article): four clusters
    republished = [*five[:4], ("d4", "c0", day(4))]
    assert boilerplate_in_group(republished, 5, window) == set()
    # spread out: each document sees at most three others within 30 days
    spread = [(f"d{i}", f"c{i}", day(20 * i)) for i in range(5)]
    assert boilerplate_in_group(spread, 5, window) == set()
    assert boilerplate_in_group(spread, 5, None) == {f"d{i}" for i in range(5)}
    # only the documents whose own window holds five clusters
    edge = [*five, ("late", "c9", day(40))]
    assert boilerplate_in_group(edge, 5, window) == {f"d{i}" for i in range(5)}
    assert boilerplate_in_group(edge, 6, window) == set()
    # an undated document is within every window, and sees the whole group
    undated = [*five[:4], ("u", "cu", None)]
    assert boilerplate_in_group(undated, 5, window) == {"d0", "d1", "d2", "d3", "u"}


def test_group_decision_does_not_depend_on_order() -> None:
    rng = random.Random(11)
    occurrences: list[tuple[str, str, datetime | None]] = [
        (f"d{i}", f"c{i % 7}", day(rng.randrange(90))) for i in range(40)
    ]
    occurrences.append(("u", "c1", None))
    expected = boilerplate_in_group(occurrences, 4, timedelta(days=10))
    assert expected and expected != {d for d, _, _ in occurrences}
    for _ in range(5):
        rng.shuffle(occurrences)
        assert boilerplate_in_group(occurrences, 4, timedelta(days=10)) == expected


@pytest.mark.parametrize("window_days", [10, None])
def test_table_decision_equals_each_groups_own(window_days: int | None) -> None:
    """find_boilerplate decides groups whose dated occurrences fit in one window at once, in
    Polars; whatever the path, its rows are exactly each group's boilerplate_in_group."""
    rng = random.Random(5)
    rows = []
    for group in range(60):
        domain, sentence = f"outlet{group % 3}.example", f"s{group}"
        first = rng.randrange(400)
        spread = rng.choice([0, 5, 10, 11, 15, 40, 300])  # 10: the window's own edge
        for i in range(rng.randrange(3, 12)):
            published = None if rng.random() < 0.1 else day(first + rng.randrange(spread + 1))
            rows.append((f"d{group}-{i}", f"c{group}-{rng.randrange(8)}", domain, sentence,
                         published))  # fmt: skip
    # six clusters 15 days apart in two threes: in no window are there four
    rows += [(f"e{i}", f"ce{i}", "outlet0.example", "split", day(15 * (i // 3))) for i in range(6)]
    sentences = pl.DataFrame(
        rows,
        schema={"doc_id": pl.String, "cluster_id": pl.String, "domain": pl.String,
                "sentence_hash": pl.String, "published": pl.Datetime("us", "UTC")},
        orient="row",
    )  # fmt: skip
    window = None if window_days is None else timedelta(days=window_days)
    expected = sorted(
        (domain, sentence, doc)
        for (domain, sentence), group in sentences.group_by("domain", "sentence_hash")
        for doc in boilerplate_in_group(
            list(group.select("doc_id", "cluster_id", "published").iter_rows()), 4, window
        )
    )
    found = find_boilerplate(sentences, 4, window_days)
    assert found.rows() == expected
    assert found.schema == sentences.select("domain", "sentence_hash", "doc_id").schema
    # both paths are taken: whole groups, and groups with only some occurrences removed
    per_group = found.group_by("sentence_hash").len()
    sizes = sentences.group_by("sentence_hash").len()
    partial = per_group.join(sizes, on="sentence_hash").filter(pl.col("len") < pl.col("len_right"))
    assert per_group.height > 10 and (window_days is None or partial.height > 0)


def test_chrome_on_one_outlet_is_removed_and_kept_elsewhere() -> None:
    cleaned = outlet_pages()
    corpus = build_corpus(
        cleaned, segmented_frame(cleaned), schema.empty(schema.QUARANTINE), CorpusParams()
    )
    sentences = corpus.sentences
    bugle = sentences.filter(pl.col("domain") == "riversidebugle.example")
    others = sentences.filter(pl.col("domain") != "riversidebugle.example")
    assert CHROME not in bugle["text"].to_list()
    assert others.filter(pl.col("text") == CHROME).height == 5
    # "More on this story soon" repeats on five pages too: the outlet's boilerplate as well
    assert bugle.group_by("doc_id").len()["len"].to_list() == [2] * 5
    # the map lists both sentences with their counts and example documents
    bmap = corpus.boilerplate_map.sort("text")
    assert bmap["text"].to_list() == ["More on this story soon, we said.", CHROME]
    assert bmap["domain"].unique().to_list() == ["riversidebugle.example"]
    chrome = bmap.row(1, named=True)
    assert chrome["n_documents"] == 6 and chrome["n_clusters"] == 6
    assert chrome["n_removed_documents"] == 6 and chrome["n_removed_sentences"] == 6
    assert chrome["example_doc_ids"] == [doc_id(100 + i) for i in range(5)]
    assert chrome["first_published"] == datetime(2024, 3, 1, tzinfo=UTC)
    # the page that was only chrome has nothing left: quarantined, not silently empty
    row = corpus.quarantine.row(0, named=True)
    assert corpus.quarantine.height == 1
    assert (row["doc_id"], row["reason"], row["stage"]) == (
        doc_id(300),
        "boilerplate_only",
        "corpus",
    )
    assert doc_id(300) not in corpus.documents["doc_id"].to_list()
    # text stays as cleaned: offsets slice it; ids keep the segmented position, indexes renumber
    texts = dict(corpus.documents.select("doc_id", "text").iter_rows())
    for row in sentences.iter_rows(named=True):
        assert texts[row["doc_id"]][row["char_start"] : row["char_end"]] == row["text"]
    first = bugle.filter(pl.col("doc_id") == doc_id(100)).sort("sentence_index")
    assert first["sentence_index"].to_list() == [0, 1]
    assert first["sentence_id"].to_list() == [f"{doc_id(100)}-00000", f"{doc_id(100)}-00001"]
    counts = dict(corpus.documents.select("doc_id", "n_boilerplate_sentences").iter_rows())
    assert counts[doc_id(100)] == 2 and counts[doc_id(200)] == 0


def test_renumbered_index_after_a_removed_sentence_in_the_middle() -> None:
    docs = [
        (doc_id(i), "bugle.example", f"2024-05-0{i + 1}", f"{TOPICS[i]} {CHROME} {TOPICS[i + 1]}")
        for i in range(5)
    ]
    cleaned = cleaned_frame(docs)
    corpus = build_corpus(
        cleaned, segmented_frame(cleaned), schema.empty(schema.QUARANTINE), CorpusParams()
    )
    one = corpus.sentences.filter(pl.col("doc_id") == doc_id(0)).sort("sentence_index")
    assert one["sentence_index"].to_list() == [0, 1]
    assert one["sentence_id"].to_list() == [f"{doc_id(0)}-00000", f"{doc_id(0)}-00002"]
    assert one["text"].to_list() == [TOPICS[0], TOPICS[1]]


def test_boilerplate_does_not_depend_on_row_order() -> None:
    cleaned = outlet_pages()
    segmented = segmented_frame(cleaned)
    sentences = segmented.with_columns(
        cluster_id=pl.col("doc_id"),
        sentence_hash=pl.col("text").str.to_lowercase(),
    )
    expected = find_boilerplate(sentences, 5, 30).sort(pl.all())
    assert expected.height == 11
    rng = random.Random(2)
    for _ in range(3):
        order = list(range(sentences.height))
        rng.shuffle(order)
        assert find_boilerplate(sentences[order], 5, 30).sort(pl.all()).equals(expected)
    assert find_boilerplate(sentences, 7, 30).height == 0
    # a one-day window: the five pages spread over five days are no longer boilerplate
    assert find_boilerplate(sentences, 5, 1).height == 0
