"""Scale features through the real `dvc repro`: WARC input, engines (local 1 and 2 workers, Ray)
giving byte-identical outputs, and incremental runs equal to a run from scratch."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from benchmarks.corpus import write_warc
from pipeline import outputs
from tests.dvcrepo import ROOT, copy_repo, digests, dvc, make_repo, set_param, stages_run
from tests.warcrecords import _malformed_record

pytestmark = pytest.mark.e2e

OUTPUTS = tuple(
    outputs.path(name).as_posix()
    for name in ("ingested", "extracted", "cleaned", "segmented", *outputs.PUBLISHED)
)
LATE = ("valley_courier_orchard_og.html", "crawl.warc.gz")


def _article(i: int) -> bytes:
    body = (
        f"<p>Harbour workers on pier {i} finished the repairs on Tuesday, three months after a "
        f"storm tore a hole in the sea wall.</p><p>The council said the work cost {i + 3} "
        "hundred thousand pounds, less than engineers had first feared.</p>"
    )
    return f"<html><body><article><h1>Pier {i} repaired</h1>{body}</article></body></html>".encode()


def _input_dir(dest: Path, late: bool) -> Path:
    """The bundled sample plus a WARC with two articles and a malformed record; without the
    ``LATE`` files unless ``late``."""
    dest.mkdir()
    for path in (ROOT / "data" / "sample").iterdir():
        if late or path.name not in LATE:
            shutil.copy2(path, dest / path.name)
    if late:
        warc = dest / "crawl.warc.gz"
        when = datetime(2024, 3, 5, 6, 7, 8, tzinfo=UTC)
        write_warc(warc, [("https://pier.example/news/1", when, _article(1))])
        with warc.open("ab") as fh:
            fh.write(_malformed_record("https://pier.example/news/bad"))
        tail = dest / "tail.part"
        write_warc(tail, [("https://pier.example/news/2", when, _article(2))])
        with warc.open("ab") as fh:
            fh.write(tail.read_bytes())
        tail.unlink()
    return dest


def _repo(base: Path, name: str, late: bool, **engine: object) -> Path:
    repo = make_repo(base / name)
    set_param(repo, "ingest", "input_dir", str(_input_dir(base / f"{name}_input", late)))
    for key, value in engine.items():
        set_param(repo, "engine", key, value)
    return repo


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.mktemp("scale")
    repo = _repo(base, "full", late=True, workers=2, batch_size=2)
    dvc(repo, "repro")
    yield repo


def test_warc_records_are_documents_or_quarantined(full_run: Path) -> None:
    documents = pl.read_parquet(full_run / "data/processed/documents.parquet")
    quarantine = pl.read_parquet(full_run / "data/processed/quarantine.parquet")
    inventory = pl.read_parquet(full_run / "data/interim/inventory.parquet")
    records = [p for p in inventory["source_path"] if p.startswith("crawl.warc.gz#")]
    assert len(records) == 3
    kept = documents.filter(pl.col("source_path").str.starts_with("crawl.warc.gz#"))
    assert sorted(kept["source_url"]) == [
        "https://pier.example/news/1",
        "https://pier.example/news/2",
    ]
    assert kept["url"].to_list() == kept["source_url"].to_list()
    assert set(kept["domain"]) == {"pier.example"}
    assert kept["fetched_at"].to_list() == [datetime(2024, 3, 5, 6, 7, 8, tzinfo=UTC)] * 2
    assert kept["warc_record_offset"].to_list() == sorted(kept["warc_record_offset"].to_list())
    bad = quarantine.filter(pl.col("reason") == "malformed_record")
    assert bad["source_path"].to_list() == [r for r in records if r not in kept["source_path"]]
    accounted = sorted(documents["source_path"].to_list() + quarantine["source_path"].to_list())
    assert accounted == sorted(inventory["source_path"].to_list())


def test_one_worker_gives_identical_bytes(full_run: Path, tmp_path: Path) -> None:
    """The ray engine's tables, in small batches, are compared on a real two-node cluster
    (tests/e2e/test_ray_cluster.py); a local Ray here cost the suite a minute more."""
    expected = digests(full_run, OUTPUTS)
    for name, settings in (("one", {"workers": 1}),):
        repo = copy_repo(full_run, tmp_path / name)
        for key, value in {"batch_size": 5, **settings}.items():
            set_param(repo, "engine", key, value)
        for path in (repo / "data" / "interim").glob("*.parquet"):
            path.unlink()  # no reuse from the last run: every row is computed again
        # up to the published tables (what is compared): validate and report read them only
        proc = dvc(repo, "repro", "corpus")
        assert {"ingest", "extract", "clean", "segment"} <= stages_run(proc)
        assert digests(repo, OUTPUTS) == expected, name


def test_incremental_run_equals_run_from_scratch(full_run: Path, tmp_path: Path) -> None:
    repo = _repo(tmp_path, "incremental", late=False, workers=2)
    dvc(repo, "repro")
    input_dir = tmp_path / "incremental_input"
    shutil.rmtree(input_dir)
    _input_dir(input_dir, late=True)
    dvc(repo, "repro")
    extract = json.loads((repo / "reports/runs/extract.json").read_text())  # the run log
    full_extract = json.loads((full_run / "reports/stages/extract.json").read_text())
    # Only the new documents were extracted; the others came from the previous run.
    assert extract["reused"] == full_extract["docs_out"] - 3
    assert digests(repo, OUTPUTS) == digests(full_run, OUTPUTS)
