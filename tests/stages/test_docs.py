"""The documents beside the README: the schema and quarantine reason tables of docs/schemas.md
are generated from pipeline/schema.py and must not drift; docs/pipeline.md describes every file
of the bundled sample."""

from __future__ import annotations

import pytest

from pipeline.outputs import PUBLISHED
from pipeline.schema import reasons_markdown, schema_markdown
from tests.dvcrepo import ROOT

SCHEMAS = (ROOT / "docs" / "schemas.md").read_text(encoding="utf-8")
PIPELINE = (ROOT / "docs" / "pipeline.md").read_text(encoding="utf-8")
# every published table (the two maps that explain corpus decisions included)
DOCUMENTED = PUBLISHED


@pytest.mark.parametrize("table", DOCUMENTED)
def test_schema_table_is_current(table: str) -> None:
    assert schema_markdown(table) in SCHEMAS


def test_reason_table_is_current() -> None:
    assert reasons_markdown() in SCHEMAS


def test_every_sample_file_is_described() -> None:
    for path in (ROOT / "data" / "sample").iterdir():
        assert f"`{path.name}`" in PIPELINE, path.name
