"""Stage 1, ingest: every entry of the inventory (``data/interim/input_files.parquet``, see
:mod:`pipeline.inventory`) becomes a decoded document or a quarantine row.
``python -m pipeline.ingest --help``. The reading and decoding is :mod:`pipeline.sources`.

Remote inputs (``ingest.input_urls``) are read one object at a time into a part of their own,
kept under ``.dvc/tmp/ingest-parts/`` until the stage finishes: a run killed after 300 of 550
WARC files reads only the other 250 when it is run again (with the same inputs, params and
code). The parts are then joined in inventory order, as one stream would have written them."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.runtime.cli import StageRun, stage_files, stage_main
from pipeline.runtime.engine import PerDocument, tasks_carry_data
from pipeline.runtime.reader import stream_rows
from pipeline.runtime.reuse import code_fingerprint
from pipeline.runtime.runner import dropped_row, stream_document_stage, stream_stage
from pipeline.runtime.sink import ParquetSink, quarantine_rows, write_parquet
from pipeline.runtime.stats import StageStats, run_cli, write_json
from pipeline.schema import QuarantineReason
from pipeline.sources.inputs import FirstPathWins, ingest_row, input_items, remote_items
from pipeline.sources.listing import REMOTE
from pipeline.sources.screen import Screen

STAGE = "ingest"
# What the workers import once, in their fork server (besides the runtime), before they start
# (with what it imports).
WORKER_PRELOAD = ("pipeline.sources.inputs",)
FILES = stage_files("input_files", "ingested", "quarantine_ingest", "inventory")
PARTS_DIR = Path(".dvc/tmp/ingest-parts")  # DVC's own scratch folder: git ignores it


def ingest(run: StageRun) -> None:
    params, files = run.params.ingest, run.files
    root, max_raw = params.input_dir, params.max_raw_bytes
    document = partial(
        ingest_row,
        root=str(root) if root else "",
        max_raw=max_raw,
        max_inflated=params.max_inflated_bytes,
        crawl=params.crawl,
    )
    step = PerDocument(document, run.engine.max_seconds_per_doc)
    screen = Screen.of(params.filters)
    carry = tasks_carry_data(run.engine)
    names: list[str] = []  # every input item, as input_items lists them
    local = (r for r in stream_rows(files["input_files"]) if r["file_type"] != REMOTE)
    items = input_items(root, local, max_raw, names, screen, carry)
    remote = pl.read_parquet(files["input_files"]).filter(pl.col("file_type") == REMOTE)
    quarantine = (None, "quarantine_ingest")
    if remote.is_empty():
        stream_stage(run, step, items, "ingested", quarantine, settle=FirstPathWins())
    else:
        # what shapes a part besides its object: a list edited between runs keeps its parts
        shaping = params.model_dump(mode="json", exclude={"input_dir", "input_urls", "manifest"})
        parts = PartRun(run, step, code_fingerprint(shaping, STAGE))
        done = [parts.local(items, names)]
        done += [parts.remote(entry, max_raw, screen) for entry in remote.iter_rows(named=True)]
        names = join_parts(done, run)
        parts.finished()
    run.stats.extra["filtered"] = screen.total()
    run.stats.extra.update({f"filtered_{name}": n for name, n in screen.sorted_counts().items()})
    # The inventory lets validation prove kept + quarantined = every input item.
    write_parquet(pl.DataFrame({"source_path": names}), files["inventory"], "inventory")


@dataclass
class Part:
    """One finished part: its kept rows, its quarantine, and the input items it read."""

    folder: Path
    names: list[str] = field(default_factory=list)
    filtered: dict[str, int] = field(default_factory=dict)

    @property
    def ingested(self) -> Path:
        return self.folder / "ingested.parquet"

    @property
    def quarantine(self) -> Path:
        return self.folder / "quarantine.parquet"

    @property
    def marker(self) -> Path:
        return self.folder / "done.json"


@dataclass
class PartRun:
    """Parts of one ingest run, kept under a folder named for the stage's params and code, so a
    part is reused only by a run that would write it again byte for byte."""

    run: StageRun
    step: PerDocument
    fingerprint: str
    resumed: int = 0

    @property
    def root(self) -> Path:
        return PARTS_DIR / self.fingerprint[:16]

    def __post_init__(self) -> None:
        if PARTS_DIR.is_dir():  # parts of runs with other params or code: never reusable
            for stale in PARTS_DIR.iterdir():
                if stale != self.root:
                    shutil.rmtree(stale, ignore_errors=True)

    def _compute(self, part: Part, items: Iterable[dict[str, Any]]) -> Part:
        part.folder.mkdir(parents=True, exist_ok=True)
        stream_document_stage(
            STAGE,
            self.step,
            items,
            self.run.engine,
            StageStats(STAGE),  # the joined parts are counted once, in join_parts
            output=(part.ingested, "ingested"),
            quarantine=(None, part.quarantine),
            settle=FirstPathWins(),
            preload=self.run.preload,
        )
        return part

    def local(self, items: Iterable[dict[str, Any]], names: list[str]) -> Part:
        """The input folder's part: read again on every run (no network to spare)."""
        part = self._compute(Part(self.root / "local"), items)
        part.names = names
        return part

    def remote(self, entry: dict[str, Any], max_raw: int, screen: Screen) -> Part:
        """One remote object's part: reused when a killed run finished it already."""
        # the folder above is named for the params and code already: the entry names the object
        key = hashlib.sha256(json.dumps(entry, sort_keys=True, default=str).encode()).hexdigest()
        key = key[:16]
        part = Part(self.root / key)
        if part.marker.is_file():
            facts = json.loads(part.marker.read_text(encoding="utf-8"))
            part.names, part.filtered = facts["names"], facts["filtered"]
            self.resumed += 1
            self.run.stats.run["resumed_remote_inputs"] = self.resumed
        else:
            own = Screen(screen.filters)  # this object's counts, kept with its part
            self._compute(part, remote_items(entry, max_raw, part.names, own))
            part.filtered = dict(own.counts)
            write_json({"names": part.names, "filtered": part.filtered}, part.marker)
        screen.add(part.filtered)
        return part

    def finished(self) -> None:
        shutil.rmtree(PARTS_DIR, ignore_errors=True)


def _first_seen(table: pa.Table, seen: dict[str, str]) -> Iterator[bool]:
    """Per row: whether its bytes were not seen in an earlier row (``seen``: doc_id -> path)."""
    for doc_id, path in zip(
        table["doc_id"].to_pylist(), table["source_path"].to_pylist(), strict=True
    ):
        first = seen.setdefault(doc_id, path)
        yield first == path


def join_parts(parts: list[Part], run: StageRun) -> list[str]:
    """Write the parts' rows in order as the stage's outputs; a document whose bytes an earlier
    part kept is quarantined as its duplicate, as one stream would have done. Returns every
    input item's name."""
    files, stats = run.files, run.stats
    seen: dict[str, str] = {}
    duplicates: list[dict[str, Any]] = []
    quarantines = []
    with ParquetSink(files["ingested"], "ingested") as sink:
        for part in parts:
            with pq.ParquetFile(part.ingested, pre_buffer=False) as reader:
                # a row group at a time: batches spanning groups held ~200 MB more at 1k pages
                for batch in reader.iter_batches(batch_size=sink.rows_per_group):
                    table = pa.Table.from_batches([batch])
                    fresh = pa.array(list(_first_seen(table, seen)), pa.bool_())
                    sink.write_arrow(table.filter(fresh))
                    for row in table.filter(pc.invert(fresh)).to_pylist():
                        detail = f"same bytes as {seen[row['doc_id']]}"
                        row.update(reason=QuarantineReason.DUPLICATE.value, detail=detail)
                        duplicates.append(dropped_row(row, STAGE))
            quarantines.append(pl.read_parquet(part.quarantine))
            pa.default_memory_pool().release_unused()  # the part's pages, back to the system
        written = sink.rows_written
    joined = pl.concat([*quarantines, quarantine_rows(duplicates)], how="vertical")
    write_parquet(joined, files["quarantine_ingest"], "quarantine")
    names = [name for part in parts for name in part.names]
    stats.docs_in += len(names)
    stats.docs_out += written
    stats.count_drops(joined)
    return names


main = stage_main(STAGE, FILES, ingest, __doc__, WORKER_PRELOAD)

if __name__ == "__main__":
    run_cli(main)
