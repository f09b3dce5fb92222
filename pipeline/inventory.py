"""Stage 0, inventory: every entry under ``ingest.input_dir`` with its content hash and the
manifest's values for it, and every object of ``ingest.input_urls`` with its size and version
(ETag). ``python -m pipeline.inventory --help``.

This stage owns the input folder, so DVC never hashes it (``dvc.yaml``: ``always_changed``;
``ingest`` depends on this table instead). DVC's own hashing of a folder hangs on a FIFO and
stops the run on a symlink loop or a file name that is not UTF-8; here each such entry becomes
one row with a quarantine reason, which ingest reports. The table holds nothing that does not
shape the output (no modification times), so an unchanged folder gives identical bytes and
nothing downstream reruns.
"""

from __future__ import annotations

import polars as pl
import typer

from pipeline.config import ParamsError
from pipeline.runtime.cli import StageRun, stage_files, stage_main
from pipeline.runtime.sink import write_parquet
from pipeline.runtime.stats import run_cli
from pipeline.sources.folder import load_manifest, take_inventory
from pipeline.sources.remote import RemoteAccessError

STAGE = "inventory"
FILES = stage_files("input_files")


def inventory(run: StageRun) -> None:
    params = run.params.ingest
    root = params.input_dir  # checked to be a folder (or null) with the rest of params.yaml
    manifest = load_manifest(params.manifest)
    try:
        table = take_inventory(
            root, manifest, params.max_raw_bytes, run.engine.n_workers, params.input_urls
        )
    except RemoteAccessError as error:
        raise ParamsError([f"params.yaml: ingest.input_urls: {error}"]) from error
    write_parquet(table, run.files["input_files"], "input_files")
    problems = table.filter(pl.col("reason").is_not_null()).height
    where = " and ".join(
        ([f"under {root}"] if root else [])
        + ([f"from {len(params.input_urls)} URLs"] if params.input_urls else [])
    )
    typer.echo(f"inventory: {table.height} entries {where}, {problems} not pages", err=True)


main = stage_main(STAGE, FILES, inventory, __doc__, record_stats=False)

if __name__ == "__main__":
    run_cli(main)
