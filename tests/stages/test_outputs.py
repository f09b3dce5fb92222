"""The declared outputs (pipeline.outputs) against dvc.yaml's outs and the written Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
import pytest
import yaml

from pipeline import schema
from pipeline.outputs import OUTPUTS, PUBLISHED, Output
from pipeline.runtime.sink import ParquetSink, write_parquet
from tests.dvcrepo import ROOT

STAGES: dict[str, Any] = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def outs_of(stage: dict[str, Any]) -> set[str]:
    """The paths a stage of dvc.yaml declares as outs (plain or with options)."""
    return {next(iter(out)) if isinstance(out, dict) else out for out in stage.get("outs", [])}


def test_every_declared_output_is_an_out_of_its_stage_in_dvc_yaml() -> None:
    for output in OUTPUTS.values():
        assert output.stage in STAGES, output.name
        assert output.path.as_posix() in outs_of(STAGES[output.stage]), output.name


def test_every_parquet_out_in_dvc_yaml_is_declared_for_its_stage() -> None:
    declared = {(o.stage, o.path.as_posix()) for o in OUTPUTS.values()}
    in_dvc = {
        (name, out)
        for name, stage in STAGES.items()
        for out in outs_of(stage)
        if out.endswith(".parquet")
    }
    assert in_dvc == declared


def test_the_report_stage_reads_every_published_table_and_writes_their_descriptions() -> None:
    """A table added to PUBLISHED is a dep of the report stage (the card, croissant.json and
    the fingerprint cover it), and the report's command reads it."""
    from pipeline.publish.croissant import CROISSANT
    from pipeline.report import FILES

    report = STAGES["report"]
    for name in PUBLISHED:
        assert OUTPUTS[name].path.as_posix() in report["deps"], name
        assert FILES[name] == OUTPUTS[name].path, name
    assert CROISSANT.as_posix() in outs_of(report)
    assert FILES["croissant"] == CROISSANT


def test_each_output_names_its_file_and_a_declared_schema_and_order() -> None:
    paths = [o.path for o in OUTPUTS.values()]
    assert len(set(paths)) == len(paths)
    for name, output in OUTPUTS.items():
        assert output.name == name == output.path.stem
        assert output.table in schema.TABLES
        assert set(output.sort_keys) <= set(output.schema)
        assert output.row_group > 0


@pytest.mark.parametrize("output", OUTPUTS.values(), ids=lambda o: o.name)
def test_the_writers_use_the_declared_codec_and_row_group(output: Output, tmp_path: Path) -> None:
    """Both writers of a table (whole sorted frames, streamed rows) follow its declaration."""
    rows = output.row_group + 1
    written = []
    if output.sort_keys:  # a whole-frame write sorts: only for tables with a declared order
        frame = pl.DataFrame({c: [None] * rows for c in output.schema}, schema=output.schema)
        write_parquet(frame, tmp_path / "frame.parquet", output.table)
        written.append(tmp_path / "frame.parquet")
    with ParquetSink(tmp_path / "streamed.parquet", output.table) as sink:
        sink.write([{}] * rows)
    written.append(tmp_path / "streamed.parquet")
    for path in written:
        meta = pq.ParquetFile(path).metadata
        groups = [meta.row_group(i) for i in range(meta.num_row_groups)]
        assert [g.num_rows for g in groups] == [output.row_group, 1]
        assert {g.column(0).compression for g in groups} == {output.codec.upper()}
