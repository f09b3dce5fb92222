"""The README: its schema tables are generated from pipeline/schema.py and must not drift; its
recipes run as written."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.schema import reasons_markdown, schema_markdown

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("table", ["documents", "sentences", "quarantine"])
def test_schema_table_is_current(table: str) -> None:
    assert schema_markdown(table) in README


def test_reason_table_is_current() -> None:
    assert reasons_markdown() in README


def test_every_sample_file_is_described() -> None:
    sample = Path(__file__).resolve().parents[2] / "data" / "sample"
    for path in sample.iterdir():
        assert f"`{path.name}`" in README, path.name


def test_the_duckdb_recipe_runs_on_a_sentences_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's SQL, as written, in the environment's DuckDB, on a sentences table."""
    import duckdb

    from tests.validcorpus import good_corpus

    block = README.split("DuckDB (in the environment", 1)[1].split("```sql\n", 1)[1]
    query = block.split("```", 1)[0]
    sentences = good_corpus(3).frames["sentences"]
    (tmp_path / "data" / "processed").mkdir(parents=True)
    sentences.write_parquet(tmp_path / "data" / "processed" / "sentences.parquet")
    monkeypatch.chdir(tmp_path)
    relation = duckdb.sql(query)
    assert relation is not None  # a SELECT gives a relation
    rows = relation.fetchall()
    assert sum(n for _, n, _ in rows) == sentences.height
    assert {domain for domain, _, _ in rows} == set(sentences["domain"].to_list())
