"""The card counts inputs and the files they came from: a WARC file holds many inputs (one per
record), so "N files" would overstate the files; a folder of plain pages says inputs only."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipeline import schema
from pipeline.publish.card import build_card
from pipeline.publish.identity import Citation
from pipeline.publish.plots import CorpusSummary, count_source_files
from tests.validcorpus import good_corpus


def _published(tmp_path: Path, warc_records: bool) -> dict[str, Path]:
    """The published tables of a 4-document corpus; with ``warc_records``, three documents
    and the quarantined input are records of one WARC file."""
    frames = good_corpus(4).frames
    documents, quarantine = frames["documents"], frames["quarantine"]
    if warc_records:
        in_warc = pl.Series([f"crawl.warc.gz#{i * 100}" for i in range(3)] + ["page.html"])
        documents = documents.with_columns(source_path=in_warc)
        quarantine = quarantine.with_columns(source_path=pl.lit("crawl.warc.gz#900"))
    files = {}
    for name, frame in (("documents", documents), ("sentences", frames["sentences"])):
        files[name] = tmp_path / f"{name}.parquet"
        frame.write_parquet(files[name])
    files["quarantine"] = tmp_path / "quarantine.parquet"
    schema.conform(quarantine, schema.QUARANTINE).write_parquet(files["quarantine"])
    return files


def _where_it_comes_from(files: dict[str, Path]) -> str:
    card = build_card(
        CorpusSummary.of_files(files),
        params={"ingest": {"input_dir": "pages"}},
        stages=[],
        files=files,
        citation=Citation.from_pyproject(),
        code="0" * 64,
        validation=None,
    )
    return card.split("## Where it comes from", 1)[1].split("##", 1)[0]


def test_warc_records_are_inputs_of_fewer_files(tmp_path: Path) -> None:
    files = _published(tmp_path, warc_records=True)
    frames = {name: pl.read_parquet(path) for name, path in files.items()}
    inputs = frames["documents"].height + frames["quarantine"].height
    assert count_source_files(frames["documents"], frames["quarantine"]) == 2
    text = _where_it_comes_from(files)
    assert f"{inputs} inputs in 2 files (each WARC record is one input)" in text
    assert "WARC" in text.split("under", 1)[0]  # WARC is named among the input types


def test_plain_pages_are_counted_as_inputs(tmp_path: Path) -> None:
    files = _published(tmp_path, warc_records=False)
    frames = {name: pl.read_parquet(path) for name, path in files.items()}
    inputs = frames["documents"].height + frames["quarantine"].height
    assert count_source_files(frames["documents"], frames["quarantine"]) == inputs
    text = _where_it_comes_from(files)
    assert f"{inputs} inputs, from" in text and "files" not in text
