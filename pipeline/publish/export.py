"""A folder ready to publish: ``python -m pipeline.publish.export DEST``.

The published tables are DVC outputs (git-ignored), so the card's configs cannot point at them
inside git. This copies what a dataset repository needs into ``DEST``:

* ``README.md``: the dataset card (``reports/dataset_card.md``), whose YAML front matter holds
  one Hugging Face config per table;
* every published table (:data:`pipeline.outputs.PUBLISHED`) under the path the configs and
  ``croissant.json`` name (``data/processed/<table>.parquet``);
* ``croissant.json``: ``reports/croissant.json``, whose paths resolve in ``DEST``.

Then ``huggingface-cli upload <user>/<dataset> DEST . --repo-type dataset`` publishes it, and
``datasets.load_dataset("<user>/<dataset>", "documents")`` (or the folder itself) loads any
table. The files are checked against the SHA-256 that ``croissant.json`` records before
anything is copied: a card or Croissant file older than the tables is refused (rerun
``dvc repro``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import typer

from pipeline.outputs import OUTPUTS, PUBLISHED
from pipeline.publish.card import CARD
from pipeline.publish.croissant import CROISSANT, sha256_file
from pipeline.runtime.stats import run_cli


class ExportError(RuntimeError):
    """The folder cannot be assembled (missing or stale files, a non-empty destination)."""


def export(
    dest: Path, *, root: Path = Path(), card: Path = CARD, croissant: Path = CROISSANT
) -> list[Path]:
    """Assemble ``dest`` from the tables under ``root``; returns the files written, relative
    to ``dest``."""
    card, croissant = root / card, root / croissant
    for needed in (card, croissant):
        if not needed.is_file():
            raise ExportError(f"{needed} does not exist: run `dvc repro` (or `make repro`) first")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ExportError(f"{dest} exists and is not an empty folder")
    recorded = {
        f["contentUrl"]: f["sha256"]
        for f in json.loads(croissant.read_text(encoding="utf-8"))["distribution"]
    }
    tables = {OUTPUTS[t].path.as_posix(): root / OUTPUTS[t].path for t in PUBLISHED}
    for name, path in tables.items():
        if not path.is_file():
            raise ExportError(f"{path} does not exist: run `dvc repro` (or `make repro`) first")
        if recorded.get(name) != sha256_file(path):
            raise ExportError(
                f"{path} is not the file {croissant} describes: run `dvc repro` to bring the "
                "card and croissant.json up to date"
            )
    written = [Path("README.md"), Path("croissant.json"), *map(Path, tables)]
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(card, dest / "README.md")
    shutil.copyfile(croissant, dest / "croissant.json")
    for name, path in tables.items():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest / name)
    return written


def main(
    dest: Path = typer.Argument(..., help="folder to create (absent or empty)"),
) -> None:
    """Put the dataset card (as README.md), the published tables and croissant.json in DEST,
    ready for `huggingface-cli upload USER/NAME DEST . --repo-type dataset`."""
    try:
        written = export(dest)
    except ExportError as error:
        raise SystemExit(f"export: {error}") from None
    for path in written:
        print(dest / path)


if __name__ == "__main__":
    run_cli(main)
