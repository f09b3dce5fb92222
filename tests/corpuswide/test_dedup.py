"""Exact and near-duplicate documents and repeated sentences: clusters, order independence."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

from pipeline import schema
from pipeline.corpuswide import tasks
from pipeline.corpuswide.dedup import (
    KNOWN_LSH_BANDS,
    MINHASH_BLOCK,
    NearDupParams,
    _permutations,
    dedup_documents,
    duplicate_sentences,
    hash_column,
    lsh_bands,
    normalise,
    shingle_hashes,
    signatures,
)
from pipeline.corpuswide.passes import build_corpus
from pipeline.corpuswide.settings import CorpusParams
from pipeline.corpuswide.tasks import find_duplicates
from tests.frames import OTHER, cleaned_frame, doc_id, segmented_frame, story


@pytest.fixture
def syndicated() -> pl.DataFrame:
    return cleaned_frame(
        [
            (doc_id(9), "riverdalepost.example", "2025-05-08", story()),
            # the same text, shouted and re-punctuated: an exact duplicate after normalising
            (doc_id(3), "kestrelbaynews.example", "2025-05-09", story(shout=True)),
            (doc_id(5), "moorlandecho.example", "2025-05-08", story(changed=True)),
            (doc_id(1), "northfieldledger.example", "2025-05-01", "\n".join(OTHER)),
            # undated copy: last in corpus order, so never the representative
            (doc_id(0), None, None, story()),
        ]
    )


def test_normalised_hash_ignores_case_punctuation_and_spacing() -> None:
    texts = pl.Series("t", ["Sign up  to our Newsletter!", "sign up to our newsletter", "Sign-up"])
    keys = texts.to_frame().select(normalise("t")).to_series()
    hashes = hash_column(keys).to_list()
    assert hashes[0] == hashes[1] != hashes[2]
    assert all(len(h) == 16 for h in hashes)


def test_shingle_hashes_follow_word_order_and_short_texts_are_one_shingle() -> None:
    assert shingle_hashes("a b c", 5).size == 1
    assert shingle_hashes("", 5).size == 1
    abcd = shingle_hashes("a b c d", 2)
    assert abcd.size == 3
    assert set(shingle_hashes("c d a b", 2).tolist()) & set(abcd.tolist()) == set(
        shingle_hashes("a b", 2).tolist() + shingle_hashes("c d", 2).tolist()
    )
    assert shingle_hashes("a b a b a b", 2).size == 2  # "a b" and "b a", each once


def test_signatures_estimate_jaccard() -> None:
    words = [f"w{i}" for i in range(400)]
    half = words[:300] + [f"x{i}" for i in range(100)]  # 3-gram Jaccard = 298 / 498 = 0.6
    sigs = signatures([" ".join(words), " ".join(half), " ".join(words)], 256, 3)
    assert (sigs[0] == sigs[2]).all()
    assert abs(float((sigs[0] == sigs[1]).mean()) - 298 / 498) < 0.08
    assert sigs.max() < 2**32


def test_signatures_are_the_minimum_over_the_distinct_shingles() -> None:
    rng = random.Random(11)
    words = [f"w{i}" for i in range(300)] + ["café", "日本", "x"]
    keys = ["", "a", "a b", "a a a a a a a", " ".join(rng.choices(words, k=3 * MINHASH_BLOCK))]
    keys += [" ".join(rng.choices(words, k=rng.randint(0, 60))) for _ in range(30)]
    a, b = _permutations(64)
    for shingle_words in (1, 3, 5):
        expected = [
            ((shingle_hashes(key, shingle_words)[:, None] * a + b) >> np.uint64(32)).min(axis=0)
            for key in keys
        ]
        assert np.array_equal(signatures(keys, 64, shingle_words), np.stack(expected))


def test_known_lsh_bands_are_datasketchs_choice() -> None:
    from datasketch import MinHashLSH

    for (threshold, num_perm, weights), bands in KNOWN_LSH_BANDS.items():
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=weights)
        assert (lsh.b, lsh.r) == bands
    assert lsh_bands(CorpusParams().near) in KNOWN_LSH_BANDS.values()  # the default params
    assert lsh_bands(NearDupParams(0.7, 64, 5)) == (12, 5)  # others: datasketch's own choice


def test_normalised_keys_equal_the_normalise_expression() -> None:
    texts = [
        "",
        "  Plain ASCII, text!  ",
        "Ｆｕｌｌ ｗｉｄｔｈ",
        "ﬁnance",
        "café",
        "cafe\u0301",
        "x²",
    ]
    expected = pl.Series("t", texts).to_frame().select(normalise("t")).to_series().to_list()
    assert tasks.normalised_keys(texts) == expected
    assert tasks.normalised_keys([]) == []


def test_syndicated_copies_cluster_with_the_earliest(syndicated: pl.DataFrame) -> None:
    found = find_duplicates(syndicated, CorpusParams())
    rows = {r["doc_id"]: r for r in found.iter_rows(named=True)}
    # docs 9 and 5 share the date: corpus order falls back to doc_id, so doc 5 (the rewrite) leads
    rep = doc_id(5)
    assert rows[rep]["method"] == "representative" and rows[rep]["duplicate_of"] is None
    assert rows[doc_id(9)]["method"] == "near" and rows[doc_id(9)]["duplicate_of"] == rep
    assert 0.6 <= rows[doc_id(9)]["similarity"] < 1.0
    # exact copies of doc 9 follow doc 9 into doc 5's cluster, and say how they relate to it
    for copy in (doc_id(3), doc_id(0)):
        assert rows[copy]["cluster_id"] == rep
        assert rows[copy]["text_hash"] == rows[doc_id(9)]["text_hash"]
        assert rows[copy]["method"] == "near"
    assert rows[doc_id(1)]["method"] == "unique" and rows[doc_id(1)]["cluster_id"] == doc_id(1)
    assert rows[rep]["cluster_size"] == 4


def test_exact_duplicate_of_the_representative(syndicated: pl.DataFrame) -> None:
    without_rewrite = syndicated.filter(pl.col("doc_id") != doc_id(5))
    found = find_duplicates(without_rewrite, CorpusParams())
    methods = dict(zip(found["doc_id"], found["method"], strict=True))
    assert methods == {
        doc_id(9): "representative",
        doc_id(3): "exact",
        doc_id(0): "exact",
        doc_id(1): "unique",
    }
    assert found.filter(pl.col("method") == "exact")["similarity"].to_list() == [1.0, 1.0]


def test_threshold_above_the_similarity_separates_the_rewrite(syndicated: pl.DataFrame) -> None:
    strict = find_duplicates(syndicated, CorpusParams(near_duplicate_threshold=0.95))
    methods = dict(zip(strict["doc_id"], strict["method"], strict=True))
    assert methods[doc_id(5)] == "unique"
    assert methods[doc_id(9)] == "representative"


def test_dedup_is_independent_of_row_order(syndicated: pl.DataFrame) -> None:
    params = CorpusParams()
    expected = find_duplicates(syndicated, params).sort("doc_id")
    rng = random.Random(4)
    for _ in range(5):
        order = list(range(syndicated.height))
        rng.shuffle(order)
        shuffled = syndicated[order]
        assert find_duplicates(shuffled, params).sort("doc_id").equals(expected)


def test_greedy_clusters_do_not_chain() -> None:
    # b is near a and near c, but c is not near a: c must not join a's cluster through b
    words = [f"w{i}" for i in range(60)]
    a = " ".join(words)
    b = " ".join(words[:50] + [f"x{i}" for i in range(10)])
    c = " ".join(words[:40] + [f"x{i}" for i in range(20)])
    keys = {"ha": a, "hb": b, "hc": c}
    docs = pl.DataFrame(
        {
            "doc_id": ["a", "b", "c"],
            "published": [datetime(2024, 1, d, tzinfo=UTC) for d in (1, 2, 3)],
            "text_hash": list(keys),
            "sig_row": [0, 1, 2],
        }
    )
    params = NearDupParams(threshold=0.6, num_perm=256, shingle_words=3)
    sigs = signatures(list(keys.values()), 256, 3).astype(np.uint32)
    found = dedup_documents(docs, params, sigs)
    clusters = dict(zip(found["doc_id"], found["cluster_id"], strict=True))
    assert clusters["b"] == "a"
    assert clusters["c"] == "c"


def test_sentence_duplicates_follow_corpus_order() -> None:
    sentences = pl.DataFrame(
        {
            "doc_id": ["b", "a", "a", "c", "b"],
            "published": [datetime(2024, 1, 1, tzinfo=UTC)] * 2
            + [datetime(2024, 1, 1, tzinfo=UTC)]
            + [None, datetime(2024, 1, 1, tzinfo=UTC)],
            "sentence_index": [0, 0, 1, 0, 1],
            "sentence_hash": ["x", "x", "y", "y", "x"],
        }
    )
    # order: a0 (x), a1 (y), b0 (x), b1 (x), c0 (y, undated last)
    assert duplicate_sentences(sentences).to_list() == [True, False, False, True, True]


def test_drop_switch_moves_duplicates_to_quarantine(syndicated: pl.DataFrame) -> None:
    segmented = segmented_frame(syndicated)
    quarantine = schema.empty(schema.QUARANTINE)
    flagged = build_corpus(syndicated, segmented, quarantine, CorpusParams())
    assert flagged.documents.height == 5 and flagged.quarantine.height == 0
    assert flagged.documents.filter(pl.col("duplicate_of").is_not_null()).height == 3
    dropped = build_corpus(syndicated, segmented, quarantine, CorpusParams(drop_duplicates=True))
    assert dropped.documents["doc_id"].sort().to_list() == [doc_id(1), doc_id(5)]
    reasons = dict(zip(dropped.quarantine["doc_id"], dropped.quarantine["reason"], strict=True))
    assert reasons == {
        doc_id(9): "near_duplicate",
        doc_id(3): "near_duplicate",
        doc_id(0): "near_duplicate",
    }
    assert set(dropped.quarantine["stage"]) == {"corpus"}
    assert dropped.dedup_map.filter("dropped")["doc_id"].sort().to_list() == sorted(reasons)
    assert set(dropped.sentences["doc_id"]) == {doc_id(1), doc_id(5)}
    # sentences seen in an earlier document are flagged, the rewrite's own ones are not
    rewrite = flagged.sentences.filter(pl.col("doc_id") == doc_id(5))
    assert not rewrite["is_duplicate"].any()
    copy = flagged.sentences.filter(pl.col("doc_id") == doc_id(9)).sort("sentence_index")
    assert copy["is_duplicate"].to_list() == [True, True, True, False, True, True, True, True]


def test_document_facts_from_the_worker_caches_equal_fresh_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tasks, "_text_cache", {})
    monkeypatch.setattr(tasks, "_signature_cache", {})
    texts = [story(), story(shout=True), story(changed=True), story()]
    rows = [{"doc_id": f"d{i}", "text": text} for i, text in enumerate(texts)]
    first = tasks.DocumentFacts(128, 5)(rows)
    assert first[3] == {**first[0], "doc_id": "d3"}
    assert tasks.DocumentFacts(128, 5)(rows[::-1])[::-1] == first  # all from the caches
    # other MinHash params in the same process: their own signatures
    small = tasks.DocumentFacts(16, 3)(rows)
    assert all(len(row["signature"]) == 16 * 4 for row in small)
    monkeypatch.setattr(tasks, "_text_cache", {})
    monkeypatch.setattr(tasks, "_signature_cache", {})
    assert tasks.DocumentFacts(16, 3)(rows) == small


def test_sentence_facts_from_the_worker_cache_equal_fresh_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = [f"Sentence number {i} of the story, long enough to identify." for i in range(9)]
    frame = pl.DataFrame({"text": texts + texts[:3] + ["Short."], "detect": True})
    monkeypatch.setattr(tasks, "_sentence_cache", {})
    fresh = tasks.sentence_facts(frame, 20)
    monkeypatch.setattr(tasks, "_sentence_cache", {})
    monkeypatch.setattr(tasks, "SENTENCE_CACHE_ENTRIES", 4)  # evicts while it fills
    assert tasks.sentence_facts(frame, 20).equals(fresh)
    assert tasks.sentence_facts(frame[::-1], 20).equals(fresh[::-1])
    assert len(tasks._sentence_cache) <= 4
