"""Validation at scale: the corpus facts are the same whether the hashes are grouped whole or
one hash part at a time (as on large corpora), from Parquet files and from frames."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipeline import validate


def _tables(tmp_path: Path) -> tuple[Path, Path]:
    """Sentences with duplicate ids and texts repeated within and across clusters/domains."""
    rows = []
    for doc in range(60):
        for i in range(7):
            text = f"Sentence {i} of story {doc % 9}." if i < 3 else f"Own {doc}-{i}."
            rows.append(
                {
                    "doc_id": f"d{doc:03d}",
                    "sentence_id": f"d{doc % 50:03d}-{i}",  # documents 50..59 repeat ids
                    "domain": None if doc % 11 == 0 else f"site{doc % 2}.example",
                    "text": text,
                }
            )
    documents = pl.DataFrame(
        {
            "doc_id": [f"d{d:03d}" for d in range(60)],
            "cluster_id": [None if d % 3 else f"c{d % 4}" for d in range(60)],
        }
    )
    sentences_path, documents_path = tmp_path / "sentences.parquet", tmp_path / "documents.parquet"
    pl.DataFrame(rows).write_parquet(sentences_path, row_group_size=50)
    documents.write_parquet(documents_path)
    return sentences_path, documents_path


@pytest.mark.parametrize("part_rows", [7, 100, 10_000])
def test_hash_parts_do_not_change_the_facts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, part_rows: int
) -> None:
    sentences, documents = _tables(tmp_path)
    whole_repeats = validate.domain_repeats(sentences, documents)
    whole_dups = validate.duplicated_values(sentences, "sentence_id")
    monkeypatch.setattr(validate, "HASH_PART_ROWS", part_rows)
    monkeypatch.setattr(validate, "FACT_READ_ROWS", 33)
    assert validate.hash_parts(420) == -(-420 // part_rows)
    for source, docs in ((sentences, documents), (pl.read_parquet(sentences), documents)):
        assert validate.domain_repeats(source, docs).equals(whole_repeats)
        assert validate.duplicated_values(source, "sentence_id").equals(whole_dups)
    assert whole_dups.to_list() == sorted({f"d{d:03d}-{i}" for d in range(10) for i in range(7)})
    assert whole_repeats.height > 0


def test_repeated_keys_over_parts() -> None:
    pairs = [
        pl.DataFrame(
            {"_key": [1, 2, 3, 3], "_value": [1, 1, 1, 2]}, schema_overrides={"_key": pl.UInt64}
        ),
        pl.DataFrame(
            {"_key": [2, 4, 5], "_value": [2, 1, 1]}, schema_overrides={"_key": pl.UInt64}
        ),
    ]
    for parts in (1, 2, 5):
        found = validate.repeated_keys(pairs, 7, pl.col("_value").n_unique(), parts=parts)
        assert sorted(found["_key"].to_list()) == [2, 3]
        counted = validate.repeated_keys(pairs, 7, pl.len(), parts=parts)
        assert sorted(counted["_key"].to_list()) == [2, 3]
