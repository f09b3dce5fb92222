"""The corpus stage in bounded memory: the same bytes whatever the engine, batch size, input
order and partitioning (doc_id ranges, hash parts); LSH candidates equal datasketch's index."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import numpy as np
import polars as pl
from datasketch import MinHash, MinHashLSH

from pipeline import schema
from pipeline.corpuswide.dedup import (
    LSH_WEIGHTS,
    MINHASH_SEED,
    NearDupParams,
    candidate_pairs,
    signatures,
)
from pipeline.corpuswide.passes import SERIAL, run_corpus
from pipeline.corpuswide.settings import CorpusParams, Inputs, Outputs, Partitioning, Result
from pipeline.runtime.engine import EngineConfig
from tests.frames import STORY, cleaned_frame, doc_id, outlet_pages, segmented_frame, story

NAMES = ("documents", "sentences", "quarantine", "dedup_map", "boilerplate_map")


def corpus_inputs() -> pl.DataFrame:
    """Outlet chrome on one domain, a syndicated story (exact, near, undated copies) and a
    shorter story repeated with one sentence changed at a time."""
    syndicated = cleaned_frame(
        [
            (doc_id(900), "riverdalepost.example", "2025-05-08", story()),
            (doc_id(901), "kestrelbaynews.example", "2025-05-09", story(shout=True)),
            (doc_id(902), "moorlandecho.example", "2025-05-08", story(changed=True)),
            (doc_id(903), None, None, story()),
        ]
    )
    variants = cleaned_frame(
        [
            (
                doc_id(950 + i),
                f"variant{i % 3}.example",
                f"2025-06-{i + 10}",
                "\n".join(s if k != i else f"Correction {i}: {s}" for k, s in enumerate(STORY)),
            )
            for i in range(8)
        ]
    )
    return pl.concat([outlet_pages(), syndicated, variants])


def run(
    root: Path,
    cleaned: pl.DataFrame,
    params: CorpusParams,
    engine: EngineConfig,
    partitioning: Partitioning,
) -> tuple[dict[str, bytes], Result]:
    root.mkdir(parents=True)
    inputs = Inputs(root / "cleaned.parquet", root / "segmented.parquet", root / "q.parquet")
    cleaned.write_parquet(inputs.cleaned)
    segmented_frame(cleaned).write_parquet(inputs.segmented)
    schema.empty(schema.QUARANTINE).write_parquet(inputs.quarantine)
    outputs = Outputs(*(root / "out" / f"{n}.parquet" for n in NAMES))
    (root / "work").mkdir()
    result = run_corpus(inputs, outputs, params, engine, root / "work", partitioning)
    assert not list((root / "work").iterdir()), "temporary parts left behind"
    return {n: getattr(outputs, n).read_bytes() for n in NAMES}, result


def test_same_bytes_for_any_engine_batch_order_and_partitioning(tmp_path: Path) -> None:
    cleaned = corpus_inputs()
    params = CorpusParams(drop_duplicates=True)
    expected, result = run(tmp_path / "serial", cleaned, params, SERIAL, Partitioning())
    # the corpus exercises every decision
    assert result.counts["near_duplicates"] > 0 and result.counts["exact_duplicates"] > 0
    assert result.counts["boilerplate_sentences_removed"] > 0
    assert result.counts["duplicate_sentences"] > 0 and result.counts["boilerplate_only"] == 1
    tiny = Partitioning(range_bytes=1, hash_part_rows=7, task_rows=5)  # many ranges and parts
    shuffled = cleaned.sample(fraction=1.0, shuffle=True, seed=3)
    for name, frame, engine, cut in (
        ("tiny", cleaned, SERIAL, tiny),
        ("local", shuffled, EngineConfig(name="local", workers=2, batch_size=2), tiny),
        ("local1", shuffled, EngineConfig(name="local", workers=1, batch_size=5), Partitioning()),
    ):
        got, _ = run(tmp_path / name, frame, params, engine, cut)
        for table in NAMES:
            digest = hashlib.sha256(got[table]).hexdigest()
            assert digest == hashlib.sha256(expected[table]).hexdigest(), (name, table)


def test_sorted_output_in_fixed_row_groups(tmp_path: Path) -> None:
    cleaned = corpus_inputs()
    tiny = Partitioning(range_bytes=1, hash_part_rows=7, task_rows=5)
    run(tmp_path / "run", cleaned, CorpusParams(), SERIAL, tiny)
    documents = pl.read_parquet(tmp_path / "run" / "out" / "documents.parquet")
    sentences = pl.read_parquet(tmp_path / "run" / "out" / "sentences.parquet")
    assert documents["doc_id"].is_sorted() and documents.height == cleaned.height - 1
    assert sentences.equals(sentences.sort("doc_id", "sentence_index"))
    per_doc = sentences.group_by("doc_id").agg(pl.col("sentence_index").max() + 1, pl.len())
    assert (per_doc["sentence_index"] == per_doc["len"]).all()  # renumbered 0, 1, 2...


def test_candidate_pairs_are_the_pairs_datasketch_returns() -> None:
    rng = random.Random(5)
    words = [f"w{i}" for i in range(400)]
    texts = []
    for _ in range(12):  # a few families of texts, each member a random rewrite of its base
        base = rng.sample(words, 80)
        for _ in range(6):
            text = [w if rng.random() > rng.choice((0.01, 0.03, 0.08)) else "x" for w in base]
            texts.append(" ".join(text))
    params = NearDupParams(threshold=0.6, num_perm=128, shingle_words=3)
    sigs = signatures(texts, params.num_perm, params.shingle_words)
    lsh = MinHashLSH(threshold=params.threshold, num_perm=params.num_perm, weights=LSH_WEIGHTS)
    hashes = [
        MinHash(num_perm=params.num_perm, seed=MINHASH_SEED, hashvalues=row, scheme="affine32")
        for row in sigs
    ]
    for i, mh in enumerate(hashes):
        lsh.insert(i, mh)
    expected = set()
    for j, mh in enumerate(hashes):
        for i in lsh.query(mh):
            if i < j and np.count_nonzero(sigs[i] == sigs[j]) / params.num_perm >= 0.6:
                expected.add((i, j))
    earlier, later, similarity = candidate_pairs(sigs.astype(np.uint32), params)
    assert set(zip(earlier.tolist(), later.tolist(), strict=True)) == expected
    assert len(expected) > 20 and (similarity >= 0.6).all()
