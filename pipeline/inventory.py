"""Stage 0, inventory: every entry under ``ingest.input_dir`` with its content hash and the
manifest's values for it. ``python -m pipeline.inventory --help``.

This stage owns the input folder, so DVC never hashes it (``dvc.yaml``: ``always_changed``;
``ingest`` depends on this table instead). DVC's own hashing of a folder hangs on a FIFO and
stops the run on a symlink loop or a file name that is not UTF-8; here each such entry becomes
one row with a quarantine reason, which ingest reports. The table holds nothing that does not
shape the output (no modification times), so an unchanged folder gives identical bytes and
nothing downstream reruns.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import typer

from pipeline.config import read_params
from pipeline.outputs import OUTPUTS
from pipeline.runtime.engine import EngineConfig
from pipeline.runtime.sink import write_parquet
from pipeline.runtime.stats import run_cli
from pipeline.sources.folder import load_manifest, take_inventory

STAGE = "inventory"


def main(output: Path = typer.Option(OUTPUTS["input_files"].path)) -> None:
    config = read_params()  # the whole file, before any input is read
    params, engine = config.ingest, EngineConfig.from_params(config.engine)
    root = params.input_dir  # checked to be a folder with the rest of params.yaml
    manifest = load_manifest(params.manifest)
    table = take_inventory(root, manifest, params.max_raw_bytes, engine.n_workers)
    write_parquet(table, output, "input_files")
    problems = table.filter(pl.col("reason").is_not_null()).height
    typer.echo(f"inventory: {table.height} entries under {root}, {problems} not pages", err=True)


if __name__ == "__main__":
    run_cli(main)
