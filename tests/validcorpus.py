"""A small corpus that passes every validation suite, and one with a deliberate fault per suite,
with the helpers that run real Great Expectations on them (shared by the validation and Data Docs
tests)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from pipeline import schema
from pipeline.quality.chunks import with_derived_checks
from pipeline.quality.results import Failure
from pipeline.quality.tables import SUITE_TABLES, Source
from pipeline.quality.validation import validate_tables
from pipeline.runtime.engine import EngineConfig
from pipeline.text.removals import canonical_digest
from tests.dvcrepo import ROOT

SUITES = ROOT / "expectations"

# Every sentence names the document number, so no sentence repeats across documents.
PARAGRAPHS = (
    "The ferry to Gullholm sailed again on day {i} after four months in dock. "
    "Captain Ilse Varga said crossing number {i} took fifty minutes.",
    "Island shop {i} had stocked bread only twice a week during the winter. "
    "Baker Tomas Ried said delivery round {i} starts again on Monday.",
    "The harbour board will review timetable {i} in the autumn. "
    "Passengers can comment on draft {i} at the harbour office until the end of May.",
)


# Every column a document row has in any of the tables (extra columns are dropped by conform).
DOC_COLUMNS: dict[str, pl.DataType] = {**schema.EXTRACTED, **schema.CLEANED, **schema.DOCUMENTS}


def _default(dtype: Any) -> Any:
    if isinstance(dtype, pl.List):
        return []
    return None


def _document(i: int, text: str, domain: str = "saltmarsh.example") -> dict[str, Any]:
    """A row with every column of the cleaned/documents schema."""
    raw = f"page {i} {text}".encode()
    digest = hashlib.sha256(raw).hexdigest()
    row = {c: _default(t) for c, t in DOC_COLUMNS.items()}
    row.update(
        doc_id=digest[:16],
        source_path=f"pages/{i:02d}.html",
        source_sha256=digest,
        size_bytes=len(raw),
        format="html",
        encoding="utf-8",
        url=f"https://www.{domain}/news/{i}",
        domain=domain,
        title=f"Harbour story {i}",
        language="en",
        extractor="html",
        text=text,
        n_chars=len(text),
        n_paragraphs=text.count("\n") + 1,
        extracted_text_digest=canonical_digest(text),  # nothing removed: the text itself
        n_words=len(text.split()),
    )
    row["n_sentences"] = len(_sentences(row))
    return row


def _sentences(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Sentences of a document text written as 'One. Two.' paragraphs (exact offsets)."""
    rows: list[dict[str, Any]] = []
    offset = 0
    for p_index, paragraph in enumerate(doc["text"].split("\n")):
        for match in re.finditer(r"[^.]+\.", paragraph):
            sentence = match.group().strip()
            start = offset + match.start() + (len(match.group()) - len(match.group().lstrip()))
            index = len(rows)
            row = {c: _default(t) for c, t in schema.SENTENCES.items()}
            row.update(
                doc_id=doc["doc_id"],
                sentence_id=f"{doc['doc_id']}-{index:05d}",
                sentence_index=index,
                paragraph_index=p_index,
                char_start=start,
                char_end=start + len(sentence),
                text=sentence,
                url=doc["url"],
                domain=doc["domain"],
                title=doc["title"],
                language="en",
                n_words=len(sentence.split()),
            )
            rows.append(row)
        offset += len(paragraph) + 1
    return rows


@dataclass
class Corpus:
    """The frames validate reads, built to pass every suite."""

    frames: dict[str, pl.DataFrame]

    def derived(self) -> dict[str, pl.DataFrame]:
        return with_derived_checks(self.frames)


def good_corpus(n_docs: int = 4) -> Corpus:
    docs = [
        _document(i, "\n".join(p.format(i=i) for p in PARAGRAPHS[i % 3 :] + PARAGRAPHS[: i % 3]))
        for i in range(n_docs)
    ]
    all_columns = pl.DataFrame(docs, schema=DOC_COLUMNS)
    documents = schema.conform(all_columns, schema.DOCUMENTS)
    sentence_rows = [s for d in docs for s in _sentences(d)]
    sentences = schema.conform(
        pl.DataFrame(sentence_rows, schema=schema.SENTENCES), schema.SENTENCES
    )
    ingested = documents.select(*schema.PROVENANCE).with_columns(
        raw_text=pl.lit("<html><body><p>page</p></body></html>"), row_digest=pl.lit(None, pl.String)
    )
    extracted = schema.conform(all_columns, schema.EXTRACTED)
    quarantine = schema.conform(
        pl.DataFrame(
            [
                {
                    "doc_id": None,
                    "source_path": "pages/zz_logo.html",
                    "source_sha256": None,
                    "size_bytes": 120,
                    "stage": "ingest",
                    "reason": "binary",
                    "detail": "binary content (png)",
                }
            ],
            schema=schema.QUARANTINE,
        ),
        schema.QUARANTINE,
    )
    inventory = pl.DataFrame({"source_path": [*documents["source_path"], "pages/zz_logo.html"]})
    frames = {
        "ingested": schema.conform(ingested, schema.INGESTED),
        "extracted": extracted,
        "cleaned": schema.conform(all_columns, schema.CLEANED),
        "documents": documents,
        "sentences": sentences,
        "quarantine": quarantine,
        "accounting": inventory,
    }
    assert set(frames) == set(SUITE_TABLES)
    return Corpus(frames)


def _params() -> dict[str, Any]:
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))["validate"]
    assert isinstance(params, dict)
    return params


SERIAL = EngineConfig(name="serial")


def sources_of(frames: dict[str, pl.DataFrame]) -> dict[str, Source]:
    """The tables validate reads, sorted as the stages write them."""
    sources: dict[str, Source] = {
        name: frame.sort(schema.SORT_KEYS[name], nulls_last=True)
        if name in schema.SORT_KEYS
        else frame
        for name, frame in frames.items()
        if name != "accounting"
    }
    sources["inventory"] = frames["accounting"]
    return sources


def _validate(
    corpus: Corpus, docs_dir: Path | None = None, *, chunks: dict[str, Any] | None = None
) -> tuple[list[Failure], dict[str, Any]]:
    return validate_tables(
        sources_of(corpus.frames), SUITES, {**_params(), **(chunks or {})}, docs_dir, SERIAL
    )


def _set(df: pl.DataFrame, key: str, value: Any, column: str, new: Any) -> pl.DataFrame:
    return df.with_columns(
        pl.when(pl.col(key) == value).then(pl.lit(new)).otherwise(pl.col(column)).alias(column)
    )


def broken_corpus() -> tuple[Corpus, dict[str, tuple[str, str | None, str]]]:
    """One deliberate fault per suite; -> (corpus, suite -> (expectation, column, a value that
    must appear in the failure's sample values or rows))."""
    corpus = good_corpus()
    f = corpus.frames
    doc_ids = f["documents"]["doc_id"].to_list()
    expected: dict[str, tuple[str, str | None, str]] = {}

    f["ingested"] = _set(f["ingested"], "doc_id", doc_ids[0], "raw_text", "bad\x00byte")
    expected["ingested"] = (
        "expect_column_values_to_be_in_set",
        "raw_text_has_controls",
        doc_ids[0],
    )

    f["extracted"] = _set(f["extracted"], "doc_id", doc_ids[1], "domain", "elsewhere.example")
    expected["extracted"] = ("expect_column_values_to_be_in_set", "domain_matches_url", doc_ids[1])

    f["cleaned"] = _set(f["cleaned"], "doc_id", doc_ids[2], "n_chars", 3)
    expected["cleaned"] = ("expect_column_values_to_be_in_set", "n_chars_matches_text", doc_ids[2])

    # a kept document whose sentences are missing from sentences.parquet
    lost = doc_ids[3]
    f["sentences"] = f["sentences"].filter(pl.col("doc_id") != lost)
    expected["documents"] = ("expect_column_values_to_be_between", "sentences_in_table", lost)

    victim = f["sentences"]["sentence_id"][1]
    f["sentences"] = _set(f["sentences"], "sentence_id", victim, "text", "<b>Breaking</b> news")
    expected["sentences"] = ("expect_column_values_to_be_in_set", "offsets_slice_back", victim)

    f["quarantine"] = f["quarantine"].with_columns(stage=pl.lit("segment"))
    expected["quarantine"] = (
        "expect_column_values_to_be_in_set",
        "reason_fits_stage",
        "pages/zz_logo.html",
    )

    f["accounting"] = pl.concat([f["accounting"], pl.DataFrame({"source_path": ["lost.html"]})])
    expected["accounting"] = ("expect_column_values_to_be_in_set", "n_outcomes", "lost.html")
    assert set(expected) == set(SUITE_TABLES)
    return corpus, expected
