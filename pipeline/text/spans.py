"""Sentence spans of cleaned text: the segmenter's spans cut to a length bound, with their
paragraph indexes, as the columns of ``schema.SEGMENTED``. The stage that runs this is
:mod:`pipeline.segment`."""

from __future__ import annotations

import bisect
import re
from typing import Any

import polars as pl

from pipeline import schema
from pipeline.text.sentences import split_sentences

DOC_COLUMNS = ("url", "domain", "title", "published", "language")
_WHITESPACE = re.compile(r"\s+")


def bounded_spans(text: str, spans: list[tuple[int, int]], max_chars: int) -> list[tuple[int, int]]:
    """Cut any span longer than ``max_chars`` at its last whitespace before the limit, so a run-on
    "sentence" (a table, a list without punctuation) stays within the validated length bound.
    Every piece stays trimmed."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        while end - start > max_chars:
            window = text[start + 1 : start + max_chars + 1]
            gaps = [m.start() for m in _WHITESPACE.finditer(window)]
            cut = start + 1 + gaps[-1] if gaps else start + max_chars
            piece_end = cut
            while piece_end > start and text[piece_end - 1].isspace():
                piece_end -= 1
            out.append((start, piece_end))
            start = cut
            while start < end and text[start].isspace():
                start += 1
        if end > start:
            out.append((start, end))
    return out


def newline_positions(text: str) -> list[int]:
    """Offsets of the newlines (paragraph ends) of ``text``: found by ``str.find``, not by
    looking at every character in Python (that loop was the stage's largest cost)."""
    found: list[int] = []
    at = text.find("\n")
    while at != -1:
        found.append(at)
        at = text.find("\n", at + 1)
    return found


def sentence_columns(
    docs: list[dict[str, Any]], max_chars: int, default_language: str = "en"
) -> dict[str, list[Any]]:
    """Sentences of the documents, in order, column by column (``schema.SEGMENTED``), with
    sentence and paragraph indexes. A page's declared language picks the segmenter's rules; a
    language without rules splits conservatively."""
    columns: dict[str, list[Any]] = {name: [] for name in schema.SEGMENTED}
    for doc in docs:
        text: str = doc["text"]
        found = split_sentences(text, doc.get("language") or default_language)
        spans = bounded_spans(text, found, max_chars)
        newlines = newline_positions(text)
        doc_id, n = doc["doc_id"], len(spans)
        columns["doc_id"].extend([doc_id] * n)
        columns["sentence_id"].extend(f"{doc_id}-{index:05d}" for index in range(n))
        columns["sentence_index"].extend(range(n))
        columns["paragraph_index"].extend(bisect.bisect_left(newlines, a) for a, _ in spans)
        columns["char_start"].extend(a for a, _ in spans)
        columns["char_end"].extend(b for _, b in spans)
        columns["text"].extend(text[a:b] for a, b in spans)
        for column in DOC_COLUMNS:
            columns[column].extend([doc[column]] * n)
    return columns


def sentence_rows(
    doc: dict[str, Any], max_chars: int, default_language: str = "en"
) -> list[dict[str, Any]]:
    """Sentences of one document as rows (see :func:`sentence_columns`)."""
    columns = sentence_columns([doc], max_chars, default_language)
    return [
        dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]


def segment_documents(documents: pl.DataFrame, max_chars: int) -> pl.DataFrame:
    """All sentences of a frame of cleaned documents (in memory; the stage streams)."""
    columns = sentence_columns(list(documents.iter_rows(named=True)), max_chars)
    if not columns["doc_id"]:
        return schema.empty(schema.SEGMENTED)
    return pl.DataFrame(columns, schema=schema.SEGMENTED)
