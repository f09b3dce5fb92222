"""Pure stage functions on small frames: extract, clean, segment, validation helpers, report."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
import pytest

from pipeline import schema
from pipeline.html.extraction import extract_document
from pipeline.outputs import OUTPUTS
from pipeline.publish.metrics import closing_summary, corpus_metrics
from pipeline.quality.checks import domain_consistent, offsets_slice_back
from pipeline.quality.chunks import with_derived_checks
from pipeline.runtime.engine import EngineConfig, PerDocument
from pipeline.runtime.reader import ParquetSource
from pipeline.runtime.reuse import NO_REUSE_ENV, reuse_enabled, with_row_digests
from pipeline.runtime.runner import stream_document_stage
from pipeline.runtime.sink import ParquetSink, to_arrow
from pipeline.runtime.stats import StageStats
from pipeline.text.documents import clean_documents
from pipeline.text.spans import bounded_spans, segment_documents

ARTICLE = """<html lang="en"><head><title>Harbour wall repaired | Gazette</title>
<meta property="og:url" content="https://www.gazette.example/news/wall">
<meta property="article:published_time" content="2024-05-01T09:00:00+02:00"></head>
<body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Harbour wall repaired</h1>
<p>Workers finished repairing the harbour wall on Tuesday, three months after a storm tore a
hole in it.</p>
<p>The repair cost the council about £400,000, which was less than engineers had first feared.</p>
</article><footer>Contact us</footer></body></html>"""


def _ingested_row(raw_text: str, fmt: str = "html") -> dict[str, Any]:
    return {
        "doc_id": "0123456789abcdef",
        "source_path": "a.html",
        "source_sha256": "0" * 64,
        "size_bytes": len(raw_text),
        "format": fmt,
        "encoding": "utf-8",
        "raw_text": raw_text,
    }


def _documents(texts: list[str]) -> pl.DataFrame:
    rows = []
    for i, text in enumerate(texts):
        row = _ingested_row("")
        row.pop("raw_text")
        row.update({f: None for f in schema.METADATA_FIELDS}, authors=[], tags=[])
        row.update({f"{f}_source": None for f in schema.METADATA_FIELDS})
        row.update(doc_id=f"{i:016x}", source_path=f"{i}.html", extractor="html", text=text)
        row.update(url="https://gazette.example/a", domain="gazette.example")
        rows.append(row)
    return pl.DataFrame(rows, schema=schema.EXTRACTED)


def test_extract_document_gives_text_metadata_and_utc_dates() -> None:
    out = extract_document(_ingested_row(ARTICLE), max_text_chars=10_000)
    assert out["reason"] is None
    assert "Workers finished repairing the harbour wall" in out["text"]
    assert "Home" not in out["text"] and "Contact us" not in out["text"]
    assert out["published"] == datetime(2024, 5, 1, 7, 0, tzinfo=UTC)
    assert "raw_text" not in out


def test_extract_document_quarantines_empty_and_too_long_text() -> None:
    index = "<html><body><nav><a href='/a'>A</a> <a href='/b'>B</a></nav></body></html>"
    assert extract_document(_ingested_row(index), 10_000)["reason"] == "no_content"
    assert extract_document(_ingested_row(ARTICLE), 20)["reason"] == "text_too_long"


def test_extract_document_quarantines_an_extractor_crash() -> None:
    row = _ingested_row(ARTICLE)
    row["format"] = None  # a broken row makes the extractor raise
    out = extract_document(row, 10_000)
    assert out["reason"] == "extraction_error"
    assert out["detail"]


def test_clean_documents_normalises_and_quarantines_short_text() -> None:
    long_text = (
        "Cafe\u0301 owners  met the mayor on Monday.\n\n  They asked for  longer opening hours. "
    )
    docs, quarantine = clean_documents(_documents([long_text, "Too short."]), min_chars=30)
    assert docs.height == 1
    text = docs["text"][0]
    assert text.startswith("Café owners met the mayor")  # NFC + collapsed spaces
    assert "\n\n" not in text and text == text.strip()
    assert docs["n_paragraphs"][0] == text.count("\n") + 1
    assert docs["n_chars"][0] == len(text)
    assert quarantine["reason"].to_list() == ["too_short"]
    assert quarantine["stage"].to_list() == ["clean"]


def test_bounded_spans_cut_run_on_text_at_whitespace() -> None:
    text = " ".join(["word"] * 100)
    spans = bounded_spans(text, [(0, len(text))], max_chars=50)
    assert all(end - start <= 50 for start, end in spans)
    assert "".join(text[s:e] for s, e in spans).replace(" ", "") == text.replace(" ", "")


def test_segment_documents_offsets_and_paragraphs() -> None:
    text = "First paragraph here. It has two sentences.\nSecond paragraph stands alone."
    sentences = segment_documents(_documents([text]), 1500)
    assert sentences.columns == list(schema.SEGMENTED)
    for row in sentences.iter_rows(named=True):
        assert text[row["char_start"] : row["char_end"]] == row["text"]
    assert sentences["paragraph_index"].to_list() == [0, 0, 1]
    assert sentences["sentence_index"].to_list() == [0, 1, 2]
    assert sentences["sentence_id"].n_unique() == 3
    assert sentences["domain"].to_list() == ["gazette.example"] * 3


def test_domain_consistency() -> None:
    assert domain_consistent("https://www.gazette.example/a", "gazette.example")
    assert domain_consistent("https://news.gazette.example/a", "gazette.example")
    assert not domain_consistent("https://other.example/a", "gazette.example")
    assert domain_consistent(None, "gazette.example")


def test_offsets_slice_back_flags_a_wrong_offset() -> None:
    docs = _documents(["Alpha beta. Gamma delta."])
    sentences = segment_documents(docs, 1500)
    assert offsets_slice_back(sentences, docs).all()
    shifted = sentences.with_columns(pl.col("char_start") + 1)
    assert not offsets_slice_back(shifted, docs).all()


def _published(frame: pl.DataFrame, declared: dict[str, pl.DataType]) -> pl.DataFrame:
    known = frame.select(c for c in frame.columns if c in declared)
    return pl.concat([schema.empty(declared), known], how="diagonal_relaxed")


def test_accounting_counts_each_input_once() -> None:
    docs = _documents(["Alpha beta. Gamma delta."]).with_columns(
        n_chars=pl.lit(24), n_paragraphs=pl.lit(1)
    )
    quarantine = schema.conform(
        pl.DataFrame(
            [
                {
                    "doc_id": None,
                    "source_path": "x.bin",
                    "source_sha256": None,
                    "size_bytes": 3,
                    "stage": "ingest",
                    "reason": "binary",
                    "detail": "png",
                }
            ],
            schema=schema.QUARANTINE,
        ),
        schema.QUARANTINE,
    )
    # published tables: the columns made so far, the corpus stage's ones null
    published = _published(docs, schema.DOCUMENTS)
    frames = {
        "extracted": docs,
        "documents": published,
        "sentences": _published(segment_documents(docs, 1500), schema.SENTENCES),
        "quarantine": quarantine,
        "accounting": pl.DataFrame({"source_path": ["0.html", "missing.html", "x.bin"]}),
    }
    accounting = with_derived_checks(frames)["accounting"]
    assert dict(zip(accounting["source_path"], accounting["n_outcomes"], strict=True)) == {
        "0.html": 1,
        "missing.html": 0,
        "x.bin": 1,
    }
    metrics = corpus_metrics(frames["accounting"], published, frames["sentences"], quarantine)
    assert {k: metrics["documents"][k] for k in ("input", "kept", "quarantined")} == {
        "input": 3,
        "kept": 1,
        "quarantined": 1,
    }
    assert {
        k: metrics["documents"][k] for k in ("quarantined_by_reason", "quarantined_by_stage")
    } == {
        "quarantined_by_reason": {"binary": 1},
        "quarantined_by_stage": {"ingest": 1},
    }
    assert metrics["sentences"]["count"] == 2
    # what the run ends with on the console: the same counts, and where the files are
    metrics["validation"] = {"status": "passed"}
    summary = closing_summary(metrics, {"documents": Path("data/processed/documents.parquet")})
    assert summary.splitlines() == [
        "newscorpus: 3 inputs -> 1 documents kept, 2 sentences; 1 quarantined (binary 1)",
        "validation: passed",
        "  documents    data/processed/documents.parquet",
    ]


def test_rerun_reuses_whole_row_groups_of_the_previous_output(tmp_path: Path) -> None:
    """An incremental run where every row of an input row group is reused (new files sort
    after the old ones) must not ask the worker to read an empty row selection."""
    ingested = tmp_path / "ingested.parquet"
    rows = [
        {**_ingested_row(ARTICLE), "doc_id": f"{i:016x}", "source_path": f"{i:03d}.html"}
        for i in range(OUTPUTS["ingested"].row_group + 6)
    ]
    _write_ingested(ingested, rows)
    assert pq.ParquetFile(ingested).num_row_groups == 2
    outputs = []
    for run in ("scratch", "rerun"):
        stats = _extract(tmp_path, ingested, run)
        outputs.append((tmp_path / "extracted.parquet").read_bytes())
        assert stats.docs_out == len(rows)
        assert stats.run.get("reused", 0) == (len(rows) if run == "rerun" else 0)
        assert "reused" not in stats.as_dict()  # a fact of the run: not in the tracked stats
    assert outputs[0] == outputs[1]


def _write_ingested(path: Path, rows: list[dict[str, Any]]) -> None:
    """An ingested table as ingest writes it (its rows' digests computed as in its workers)."""
    columns = {name: [row.get(name) for row in rows] for name in schema.INGESTED}
    with ParquetSink(path, "ingested") as sink:
        sink.write_arrow(with_row_digests(to_arrow(columns, "ingested")))


def _extract(tmp_path: Path, ingested: Path, run: str, fingerprint: str = "test") -> StageStats:
    stats = StageStats("extract")
    stream_document_stage(
        "extract",
        PerDocument(partial(extract_document, max_text_chars=100_000), 0),
        ParquetSource(ingested),
        EngineConfig(name="local", workers=2, batch_size=8),
        stats,
        output=(tmp_path / "extracted.parquet", "extracted"),
        quarantine=(None, tmp_path / f"quarantine_{run}.parquet"),
        fingerprint=fingerprint,
    )
    return stats


def test_a_row_is_reused_only_for_an_identical_input_row(tmp_path: Path, monkeypatch: Any) -> None:
    """Same path and doc_id is not enough: a changed provenance column (the manifest's URL) or
    page text is computed again, and the result equals a run from scratch."""
    ingested = tmp_path / "ingested.parquet"
    rows = [
        {**_ingested_row(ARTICLE), "doc_id": f"{i:016x}", "source_path": f"{i:03d}.html"}
        for i in range(4)
    ]
    _write_ingested(ingested, rows)
    _extract(tmp_path, ingested, "first")
    rows[1]["source_url"] = "https://www.other.example/news/wall"  # e.g. a manifest was added
    rows[2]["raw_text"] = ARTICLE.replace("Tuesday", "Wednesday")  # same doc_id, other text
    _write_ingested(ingested, rows)
    stats = _extract(tmp_path, ingested, "second")
    assert stats.run["reused"] == 2
    incremental = pl.read_parquet(tmp_path / "extracted.parquet")
    assert incremental["domain"][1] == "other.example"
    assert "Wednesday" in incremental["text"][2]
    assert (
        incremental["input_digest"].to_list() == pl.read_parquet(ingested)["row_digest"].to_list()
    )
    incremental_bytes = (tmp_path / "extracted.parquet").read_bytes()
    monkeypatch.setenv(NO_REUSE_ENV, "1")
    assert _extract(tmp_path, ingested, "scratch").run.get("reused", 0) == 0
    assert (tmp_path / "extracted.parquet").read_bytes() == incremental_bytes


def test_the_no_reuse_switch_is_checked() -> None:
    assert reuse_enabled({}) and reuse_enabled({NO_REUSE_ENV: "0"})
    assert not reuse_enabled({NO_REUSE_ENV: "1"})
    with pytest.raises(ValueError, match=NO_REUSE_ENV):
        reuse_enabled({NO_REUSE_ENV: "yes"})


def test_a_row_digest_covers_every_value_and_survives_parquet(tmp_path: Path) -> None:
    row = {**_ingested_row(ARTICLE), "source_url": "https://a.example/x"}
    row["fetched_at"] = datetime(2024, 3, 5, 6, 7, 8, tzinfo=UTC)
    variants = [row] + [
        {**row, column: value}
        for column, value in (
            ("raw_text", ARTICLE + " "),
            ("source_url", None),
            ("fetched_at", datetime(2024, 3, 5, 6, 7, 9, tzinfo=UTC)),
            ("size_bytes", 1),
            ("encoding", "1"),
        )
    ]
    columns = {name: [v.get(name) for v in variants] for name in schema.INGESTED}
    table = with_row_digests(to_arrow(columns, "ingested"))
    digests = table.column("row_digest").to_pylist()
    assert len(set(digests)) == len(variants)
    path = tmp_path / "ingested.parquet"
    with ParquetSink(path, "ingested") as sink:
        sink.write_arrow(table)
    assert with_row_digests(pq.read_table(path)).column("row_digest").to_pylist() == digests
