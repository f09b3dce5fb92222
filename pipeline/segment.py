"""Stage 4, segment: one row per sentence with exact offsets into the cleaned text.
``python -m pipeline.segment --help``."""

from __future__ import annotations

import bisect
from pathlib import Path
from typing import Any

import polars as pl
import typer

from pipeline import schema
from pipeline.sentences import split_sentences
from pipeline.stage import load_params, run_cli, timed_stage, write_parquet

STAGE = "segment"
DOC_COLUMNS = ("url", "domain", "title", "published", "language")


def bounded_spans(text: str, spans: list[tuple[int, int]], max_chars: int) -> list[tuple[int, int]]:
    """Cut any span longer than ``max_chars`` at its last whitespace before the limit, so a run-on
    "sentence" (a table, a list without punctuation) stays within the validated length bound."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        while end - start > max_chars:
            cut = text.rfind(" ", start + 1, start + max_chars)
            if cut <= start:
                cut = start + max_chars
            out.append((start, cut))
            start = cut
            while start < end and text[start].isspace():
                start += 1
        if end > start:
            out.append((start, end))
    return out


def sentence_rows(doc: dict[str, Any], language: str, max_chars: int) -> list[dict[str, Any]]:
    """Sentences of one document, with sentence and paragraph indexes."""
    text: str = doc["text"]
    del language  # the segmenter is English-first; other languages fall back inside it
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]
    rows = []
    for index, (start, end) in enumerate(bounded_spans(text, split_sentences(text), max_chars)):
        rows.append(
            {
                "doc_id": doc["doc_id"],
                "sentence_id": f"{doc['doc_id']}-{index:05d}",
                "sentence_index": index,
                "paragraph_index": bisect.bisect_left(newlines, start),
                "char_start": start,
                "char_end": end,
                "text": text[start:end],
                **{c: doc[c] for c in DOC_COLUMNS},
            }
        )
    return rows


def segment_documents(documents: pl.DataFrame, language: str, max_chars: int) -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    for doc in documents.select("doc_id", "text", *DOC_COLUMNS).iter_rows(named=True):
        rows.extend(sentence_rows(doc, language, max_chars))
    if not rows:
        return schema.empty(schema.SEGMENTED)
    return pl.DataFrame(rows, schema=schema.SEGMENTED)


def main(
    input: Path = typer.Option(Path("data/interim/cleaned.parquet")),
    quarantine_in: Path = typer.Option(Path("data/interim/quarantine_clean.parquet")),
    output: Path = typer.Option(Path("data/interim/segmented.parquet")),
    quarantine_out: Path = typer.Option(Path("data/interim/quarantine_segment.parquet")),
) -> None:
    params = load_params(STAGE)
    with timed_stage(STAGE) as stats:
        documents = pl.read_parquet(input)
        sentences = segment_documents(
            documents, str(params["language"]), int(params["max_sentence_chars"])
        )
        write_parquet(sentences, output, "segmented")
        # Every document with text yields a sentence, so segmenting quarantines nothing (yet).
        write_parquet(pl.read_parquet(quarantine_in), quarantine_out, "quarantine")
        stats.docs_in, stats.docs_out = documents.height, sentences["doc_id"].n_unique()
        stats.extra["sentences"] = sentences.height


if __name__ == "__main__":
    run_cli(main)
