"""The README's schema tables are generated from pipeline/schema.py and must not drift."""

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
