"""Validation: the derived checks on small frames, and every suite through real Great
Expectations (no mocks) on a good corpus and on one deliberately broken frame per suite."""

from __future__ import annotations

import itertools
import json
import math
import re
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from pipeline import schema
from pipeline.quality import chunks as quality_chunks
from pipeline.quality import gx, results
from pipeline.quality import tables as quality_tables
from pipeline.quality.checks import (
    REASON_STAGES,
    accounting_checks,
    reason_fits_stage,
    sentence_checks,
)
from pipeline.quality.chunks import with_derived_checks
from pipeline.quality.results import Failure, suite_parameters
from pipeline.quality.tables import SUITE_TABLES, Source
from pipeline.quality.validation import validate_tables
from pipeline.runtime.engine import EngineConfig
from pipeline.text.removals import canonical_digest
from tests.validcorpus import (
    SUITES,
    Corpus,
    _default,
    _params,
    _sentences,
    _set,
    _validate,
    broken_corpus,
    good_corpus,
    sources_of,
)

# ------------------------------------------------------------------------------------------
# suite files and parameters
# ------------------------------------------------------------------------------------------


def _parameter_names(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if "$PARAMETER" in value:
            yield str(value["$PARAMETER"])
        for v in value.values():
            yield from _parameter_names(v)
    elif isinstance(value, list):
        for v in value:
            yield from _parameter_names(v)


def test_every_suite_exists_and_every_parameter_is_defined() -> None:
    parameters = suite_parameters(_params(), input_files=5)
    for name in SUITE_TABLES:
        spec = json.loads((SUITES / f"{name}.json").read_text(encoding="utf-8"))
        assert spec["name"] == name
        assert spec["expectations"], name
        missing = set(_parameter_names(spec)) - set(parameters)
        assert not missing, f"{name}: undefined $PARAMETER {missing}"


# ------------------------------------------------------------------------------------------
# derived checks
# ------------------------------------------------------------------------------------------


def test_reason_fits_stage() -> None:
    assert reason_fits_stage("binary", "ingest")
    assert not reason_fits_stage("binary", "extract")
    assert reason_fits_stage("too_short", "clean")
    assert not reason_fits_stage("too_short", "ingest")
    assert not reason_fits_stage(None, "ingest")
    # reasons without a fixed stage (timeout, duplicate) may come from any stage
    assert reason_fits_stage("timeout", "segment")
    assert set(REASON_STAGES) <= set(schema.QUARANTINE_REASONS)


def test_text_checks_catch_counts_and_nfc() -> None:
    corpus = good_corpus(2)
    docs = corpus.frames["documents"]
    first = docs["doc_id"][0]
    broken = _set(docs, "doc_id", first, "text", "Cafe\u0301 on the quay.")
    derived = with_derived_checks({**corpus.frames, "documents": broken})["documents"]
    row = derived.filter(pl.col("doc_id") == first).row(0, named=True)
    assert row["text_is_nfc"] is False
    assert row["n_chars_matches_text"] is False
    other = derived.filter(pl.col("doc_id") != first).row(0, named=True)
    assert other["text_is_nfc"] and other["n_chars_matches_text"]
    assert other["n_paragraphs_matches_text"] and other["sentences_in_table"] == 6
    assert unicodedata.is_normalized("NFC", other["text"])


def test_ingested_doc_id_must_be_the_hash_prefix() -> None:
    corpus = good_corpus(2)
    ingested = corpus.frames["ingested"]
    broken = _set(ingested, "doc_id", ingested["doc_id"][1], "doc_id", "ffffffffffffffff")
    derived = with_derived_checks({**corpus.frames, "ingested": broken})["ingested"]
    assert derived["doc_id_is_hash_prefix"].to_list() == [True, False]


def test_sentence_order_and_overlap() -> None:
    corpus = good_corpus(1)
    sentences = corpus.frames["sentences"]
    assert sentence_checks(sentences, corpus.frames["documents"])["follows_previous"].all()
    # sentence 2 starts inside sentence 1
    overlapping = sentences.with_columns(
        pl.when(pl.col("sentence_index") == 2)
        .then(pl.col("char_start") - 20)
        .otherwise(pl.col("char_start"))
        .alias("char_start")
    )
    checks = sentence_checks(overlapping, corpus.frames["documents"])
    assert checks.filter(~pl.col("follows_previous"))["sentence_index"].to_list() == [2]
    # an index missing from the count 0, 1, 2...
    gap = sentences.filter(pl.col("sentence_index") != 1)
    checks = sentence_checks(gap, corpus.frames["documents"])
    assert not checks.filter(pl.col("sentence_index") == 2)["follows_previous"][0]


def test_sentence_repeated_across_a_domain_is_counted_per_domain() -> None:
    rows = []
    for i, domain in enumerate(["a.example", "a.example", "a.example", "b.example", None]):
        rows.append(
            {"doc_id": f"{i:016x}", "sentence_index": 0, "char_start": 0, "char_end": 9}
            | {"text": "Subscribe", "domain": domain}
        )
    sentences = pl.DataFrame(rows)
    documents = pl.DataFrame({"doc_id": [f"{i:016x}" for i in range(5)], "text": ["Subscribe"] * 5})
    counts = sentence_checks(sentences, documents)["domain_repeat_docs"].to_list()
    assert counts == [3, 3, 3, 1, None]


def test_a_sentence_repeated_years_apart_is_counted_within_the_corpus_window() -> None:
    """As the corpus stage removes boilerplate: clusters are counted within the window of one
    occurrence (three in 2020 and three in 2023 are three, not six), an undated occurrence is
    within every window, and with no window every cluster counts."""
    dates = ["2020-01-01", "2020-01-20", "2020-01-31", "2023-05-01", "2023-05-02", "2023-05-03"]
    dates += ["2023-05-02"]  # the same cluster again: a republished copy is not counted twice
    documents = pl.DataFrame(
        {
            "doc_id": [f"{i:016x}" for i in range(len(dates))],
            "text": ["Subscribe"] * len(dates),
            "cluster_id": [f"{i:016x}" for i in range(6)] + [f"{5:016x}"],
            "published": pl.Series(dates).str.to_datetime("%Y-%m-%d", time_zone="UTC"),
        }
    )
    sentences = pl.DataFrame(
        {
            "doc_id": documents["doc_id"],
            "sentence_index": 0,
            "char_start": 0,
            "char_end": 9,
            "text": "Subscribe",
            "domain": "a.example",
        }
    )

    def counted(docs: pl.DataFrame, window_days: float | None) -> int:
        checks = sentence_checks(sentences.head(docs.height), docs, window_days=window_days)
        (count,) = checks["domain_repeat_docs"].unique().to_list()
        return int(count)

    assert counted(documents, 30) == 3
    assert counted(documents, 1300) == 6  # the window spans both years
    assert counted(documents, None) == 6
    in_2020 = documents.head(3)
    assert counted(in_2020, 19) == 3  # 20 January is 19 days from the 1st, 11 from the 31st
    assert counted(in_2020, 18) == 2
    assert counted(in_2020, 10) == 1
    undated = in_2020.with_columns(
        published=pl.when(pl.col("doc_id") == f"{1:016x}").then(None).otherwise("published")
    )
    assert counted(undated, 10) == 3  # undated: near both others (as the corpus rule has it)


def test_accounting_outcomes_per_input() -> None:
    inventory = pl.DataFrame({"source_path": ["a", "b", "c", "d"]})
    documents = pl.DataFrame({"source_path": ["a", "x"]})
    quarantine = pl.DataFrame(
        {"source_path": ["b", "c", "c"], "reason": ["extraction_error", "binary", "empty"]}
    )
    acc = accounting_checks(inventory, documents, quarantine)
    by_path = {r["source_path"]: r for r in acc.iter_rows(named=True)}
    assert {p: r["n_outcomes"] for p, r in by_path.items()} == {
        "a": 1,
        "b": 1,
        "c": 2,
        "d": 0,
        "x": 1,
    }
    assert {p for p, r in by_path.items() if r["kept"]} == {"a", "x"}
    assert {p for p, r in by_path.items() if r["crashed"]} == {"b"}
    assert {p for p, r in by_path.items() if not r["in_inventory"]} == {"x"}


# ------------------------------------------------------------------------------------------
# run_suites with real Great Expectations
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def good_result() -> tuple[list[Failure], dict[str, Any]]:
    return _validate(good_corpus())


def test_good_corpus_passes_every_suite(good_result: tuple[list[Failure], dict[str, Any]]) -> None:
    failures, summary = good_result
    assert not failures, "\n".join(f.describe() for f in failures)
    assert set(summary) == set(SUITE_TABLES)
    for name, suite in summary.items():
        spec = json.loads((SUITES / f"{name}.json").read_text(encoding="utf-8"))
        assert len(suite["expectations"]) == len(spec["expectations"]), name
        assert all(e["error"] is None for e in suite["expectations"]), name


def _failure_for(
    failures: list[Failure], suite: str, expectation: str, column: str | None
) -> Failure:
    found = [
        f
        for f in failures
        if f.suite == suite and f.expectation == expectation and f.column == column
    ]
    assert found, f"no failure {suite}/{expectation}/{column} in:\n" + "\n".join(
        f.describe() for f in failures
    )
    return found[0]


def test_one_broken_frame_per_suite_fails_with_sample_rows(tmp_path: Path) -> None:
    corpus, expected = broken_corpus()
    docs = tmp_path / "data_docs"
    failures, summary = _validate(corpus, docs)
    assert {f.suite for f in failures} == set(SUITE_TABLES)
    pages = "\n".join(p.read_text(encoding="utf-8") for p in docs.rglob("*.html"))
    for suite, (expectation, column, needle) in expected.items():
        assert summary[suite]["success"] is False
        failure = _failure_for(failures, suite, expectation, column)
        shown = failure.describe()
        assert f"FAILED {suite}: {expectation} on column '{column}'" in shown
        assert "unexpected count: " in shown and "sample rows: " in shown
        assert needle in shown, shown
        # the Data Docs show the failing rows by their id columns too
        assert needle in pages, f"{suite}: {needle} not in the Data Docs"
    assert (docs / "index.html").is_file()


def test_corpus_level_gates() -> None:
    """Chrome repeated across a domain's documents, shredded sentences, too few kept files
    and extractor crashes fail the corpus-level expectations."""
    corpus = good_corpus(7)
    f = corpus.frames
    # every document ends with the same chrome paragraph
    chrome = "Sign up for the Saltmarsh morning newsletter today."
    docs = (
        f["documents"]
        .with_columns(
            text=pl.col("text") + pl.lit("\n" + chrome),
        )
        .with_columns(
            n_chars=pl.col("text").str.len_chars().cast(pl.Int64),
            n_paragraphs=pl.col("n_paragraphs") + 1,
        )
    )
    f["documents"] = f["extracted"] = docs
    f["cleaned"] = docs.with_columns(
        extracted_text_digest=pl.col("text").map_elements(canonical_digest, pl.String)
    )
    rows = [s for d in docs.iter_rows(named=True) for s in _sentences(d)]
    f["sentences"] = pl.DataFrame(rows, schema=schema.SENTENCES)
    # many more inputs than kept documents, and crashes among them: 10 of 207 inputs (a
    # share of 1 % allows 8 at 207), 7 kept where min_kept_share 0.2 asks for ~25 (24 within
    # the tolerance)
    dropped = [f"pages/junk_{i:03d}.html" for i in range(200)]
    f["accounting"] = pl.DataFrame({"source_path": [*docs["source_path"], *dropped]})
    f["quarantine"] = pl.DataFrame(
        [
            {
                "doc_id": None,
                "source_path": p,
                "source_sha256": None,
                "size_bytes": 10,
                "stage": "extract" if i < 10 else "ingest",
                "reason": "extraction_error" if i < 10 else "empty",
                "detail": "x",
            }
            for i, p in enumerate(dropped)
        ],
        schema=schema.QUARANTINE,
    )
    failures, _ = _validate(corpus, chunks={"min_kept_share": 0.2})
    repeat = _failure_for(
        failures, "sentences", "expect_column_values_to_be_between", "domain_repeat_docs"
    )
    chrome_ids = set(f["sentences"].filter(pl.col("text") == chrome)["sentence_id"])
    assert repeat.unexpected_count == len(chrome_ids) == 7
    assert repeat.sample_rows and {r["sentence_id"] for r in repeat.sample_rows} <= chrome_ids
    kept = _failure_for(failures, "accounting", "expect_column_values_to_be_in_set", "kept")
    assert kept.unexpected_count == 200
    allowed = _binomial_quantile(207, 0.8, 0.001)
    assert kept.observed == f"200 of 207 rows; the gate allows {allowed} (max_share 0.8)"
    crashed = _failure_for(failures, "accounting", "expect_column_values_to_be_in_set", "crashed")
    assert crashed.unexpected_count == 10
    allowed = _binomial_quantile(207, 0.01, 0.001)
    assert crashed.observed == f"10 of 207 rows; the gate allows {allowed} (max_share 0.01)"
    # by default no share of kept inputs is asked for: an input of junk is a valid input
    failures, _ = _validate(corpus)
    assert not [f for f in failures if f.column == "kept"]


def test_sentence_length_distribution_gates() -> None:
    corpus = good_corpus()
    f = corpus.frames
    # a segmenter that shreds: every word its own "sentence"
    rows = []
    for doc in f["documents"].iter_rows(named=True):
        for index, match in enumerate(re.finditer(r"\S+", doc["text"])):
            row = {c: _default(t) for c, t in schema.SENTENCES.items()}
            row.update(
                doc_id=doc["doc_id"],
                sentence_id=f"{doc['doc_id']}-{index:05d}",
                sentence_index=index,
                paragraph_index=doc["text"].count("\n", 0, match.start()),
                char_start=match.start(),
                char_end=match.end(),
                text=match.group(),
                url=doc["url"],
                domain=doc["domain"],
                title=doc["title"],
                language="en",
            )
            rows.append(row)
    f["sentences"] = pl.DataFrame(rows, schema=schema.SENTENCES)
    failures, _ = _validate(corpus)
    short = [
        fl
        for fl in failures
        if fl.suite == "sentences"
        and fl.column == "text_length"
        and fl.expectation == "expect_column_values_to_be_between"
    ]
    # the median gate (at least half the sentences >= sentence_chars_median_min) and the
    # 10th-percentile gate (90 % >= sentence_chars_q10_min) both fail, with sample rows
    assert len(short) == 2 and all(fl.sample_rows for fl in short)
    assert max(fl.unexpected_count or 0 for fl in short) > f["sentences"].height / 2


# ------------------------------------------------------------------------------------------
# chunked validation: what one chunk cannot see, and results added up over chunks
# ------------------------------------------------------------------------------------------

TINY = {"chunk_rows": 7, "chunk_documents": 2}  # several chunks per table, even here


def _summary_counts(summary: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
    return {
        name: [
            (e["expectation"], e["column"], e["success"], e["unexpected_count"])
            for e in suite["expectations"]
        ]
        for name, suite in summary.items()
    }


def test_tiny_chunks_give_the_same_results_as_one_chunk() -> None:
    """Every suite, chunked or not: the same successes, counts and sample rows."""
    corpus, _ = broken_corpus()
    whole_failures, whole = _validate(corpus)
    chunked_failures, chunked = _validate(corpus, chunks=TINY)
    assert _summary_counts(chunked) == _summary_counts(whole)
    assert {n: s["rows"] for n, s in chunked.items()} == {n: s["rows"] for n, s in whole.items()}
    assert [f.describe() for f in chunked_failures] == [f.describe() for f in whole_failures]


def test_gx_holds_no_chunk_once_it_is_validated() -> None:
    """GX's execution engine keeps the last batch of every asset it loaded: a worker held a
    chunk (texts and all) per suite part it had validated, and its memory rose table after
    table. Once the chunks are validated the engine holds none of them."""
    corpus, _ = broken_corpus()
    _validate(corpus, chunks=TINY)  # in this process: its GX context is gx._WORKER's
    manager = gx._WORKER["source"].get_execution_engine().batch_manager
    assert gx._WORKER["parts"]  # suite parts were validated here
    assert manager.batch_data_cache == {}
    assert manager.batch_cache == {}


def test_a_failure_in_a_later_chunk_is_caught(tmp_path: Path) -> None:
    corpus = good_corpus(9)
    f = corpus.frames
    # the last document in doc_id order, so its rows are in the last chunk of every table
    last = f["documents"]["doc_id"].sort()[-1]
    f["documents"] = _set(f["documents"], "doc_id", last, "n_chars", 3)
    victim = f["sentences"].filter(pl.col("doc_id") == last)["sentence_id"][-1]
    f["sentences"] = _set(f["sentences"], "sentence_id", victim, "text", "<b>Breaking</b> news")
    docs = tmp_path / "data_docs"
    failures, summary = _validate(corpus, docs, chunks=TINY)
    counted = _failure_for(
        failures, "documents", "expect_column_values_to_be_in_set", "n_chars_matches_text"
    )
    assert counted.unexpected_count == 1
    assert counted.sample_rows == [{"doc_id": last}]
    offsets = _failure_for(
        failures, "sentences", "expect_column_values_to_be_in_set", "offsets_slice_back"
    )
    assert offsets.unexpected_count == 1 and offsets.sample_rows == [{"sentence_id": victim}]
    assert summary["sentences"]["rows"] == f["sentences"].height
    pages = "\n".join(p.read_text(encoding="utf-8") for p in docs.rglob("*.html"))
    assert victim in pages and last in pages
    # one validation result per suite, however many chunks
    assert len(list((docs / "validations").rglob("*.html"))) == len(SUITE_TABLES)


def test_a_duplicate_id_split_across_chunks_is_caught() -> None:
    corpus = good_corpus(9)
    f = corpus.frames
    cleaned = f["cleaned"].sort("source_path")
    first, last = cleaned["doc_id"][0], cleaned["doc_id"][-1]
    # the last row (last chunk) takes the first row's (first chunk's) doc_id
    f["cleaned"] = _set(cleaned, "doc_id", last, "doc_id", first)
    sentences = f["sentences"].sort("doc_id", "sentence_index")
    first_sentence, last_sentence = sentences["sentence_id"][0], sentences["sentence_id"][-1]
    f["sentences"] = _set(sentences, "sentence_id", last_sentence, "sentence_id", first_sentence)
    failures, _ = _validate(corpus, chunks=TINY)
    dup = _failure_for(failures, "cleaned", "expect_column_values_to_be_in_set", "doc_id_is_unique")
    assert dup.unexpected_count == 2
    assert {r["doc_id"] for r in dup.sample_rows} == {first}
    dup = _failure_for(
        failures, "sentences", "expect_column_values_to_be_in_set", "sentence_id_is_unique"
    )
    assert dup.unexpected_count == 2
    assert {r["sentence_id"] for r in dup.sample_rows} == {first_sentence}


def _tag_documents(corpus: Corpus, doc_ids: list[str]) -> None:
    """Put a literal tag (as an article about the web would quote it) in these documents."""
    f = corpus.frames
    for name in ("cleaned", "documents"):
        f[name] = f[name].with_columns(
            text=pl.when(pl.col("doc_id").is_in(doc_ids))
            .then(pl.col("text").str.replace(r"\.", ". <br>"))
            .otherwise(pl.col("text"))
        )


def _tag_sentences(corpus: Corpus, doc_ids: list[str]) -> None:
    """Quote a tag in every sentence of these documents (only the sentence table changes)."""
    corpus.frames["sentences"] = corpus.frames["sentences"].with_columns(
        text=pl.when(pl.col("doc_id").is_in(doc_ids))
        .then(pl.col("text") + " Quote <br> here.")
        .otherwise(pl.col("text"))
    )


def _sentence_markup(summary: dict[str, Any]) -> list[tuple[bool, int]]:
    return [
        (e["success"], e["unexpected_count"])
        for e in summary["sentences"]["expectations"]
        if e["expectation"] == "expect_column_values_to_not_match_regex"
        and e["column"] == "text"
        and e["unexpected_count"]
    ]


def test_sentence_markup_gate_counts_documents_not_sentences() -> None:
    """An article quoting a tag in all its sentences counts once: the sentences' markup gate
    allows as many documents as the documents' gate does, however many sentences they have,
    also when a document's sentences are split over chunks (97 rows a chunk here, which splits
    tagged documents: checked below)."""
    corpus = good_corpus(120)
    ids = corpus.frames["documents"]["doc_id"].sort().to_list()
    params = _params()
    allowed = results.allowed_unexpected(
        120, params["leaked_code_document_share"], params["gate_false_alarm"]
    )
    per_doc = corpus.frames["sentences"].filter(pl.col("doc_id") == ids[-1]).height
    assert per_doc * allowed > allowed  # counted by sentences, these would be too many
    chunks = {"chunk_rows": 97, "chunk_documents": 40}
    # the sentences are chunked in table order: some tagged document spans two chunks
    spans = (
        corpus.frames["sentences"]
        .with_row_index()
        .filter(pl.col("doc_id").is_in(ids[-allowed:]))
        .group_by("doc_id")
        .agg((pl.col("index") // chunks["chunk_rows"]).n_unique().alias("chunks"))
    )
    assert spans["chunks"].max() == 2
    _tag_sentences(corpus, ids[-allowed:])
    _, summary = _validate(corpus, chunks=chunks)
    assert _sentence_markup(summary) == [(True, per_doc * allowed)]
    _tag_sentences(corpus, ids[:1])
    failures, summary = _validate(corpus, chunks=chunks)
    failure = _failure_for(failures, "sentences", "expect_column_values_to_not_match_regex", "text")
    assert failure.observed == (
        f"{allowed + 1} of 120 distinct doc_id; the gate allows {allowed} "
        f"(max_share {params['leaked_code_document_share']})"
    )
    assert [ok for ok, _ in _sentence_markup(summary)] == [False]


def test_gate_applies_to_the_whole_table_not_to_each_chunk() -> None:
    """The documents' markup gate over 120 documents in three chunks: as many tagged documents
    as the gate allows pass, although their chunk (40 documents) alone would not; one more
    fails, named with its rows."""
    corpus = good_corpus(120)
    ids = corpus.frames["documents"]["doc_id"].sort().to_list()
    params = _params()
    allowed = results.allowed_unexpected(
        120, params["leaked_code_document_share"], params["gate_false_alarm"]
    )
    assert 1 <= allowed < results.allowed_unexpected(40, 0.01, 0.001) * 3
    chunks = {"chunk_rows": 300, "chunk_documents": 40}  # three chunks per table
    _tag_documents(corpus, ids[-allowed:])  # all in the last chunk
    failures, summary = _validate(corpus, chunks=chunks)
    # (the tag changes the text, not n_chars: those checks fail, the markup gates do not)
    markup = [f for f in failures if f.column == "text" and "match_regex" in f.expectation]
    assert not markup, "\n".join(f.describe() for f in markup)
    html = [
        e
        for e in summary["documents"]["expectations"]
        if e["expectation"] == "expect_column_values_to_not_match_regex"
        and e["column"] == "text"
        and e["unexpected_count"]
    ]
    assert [(e["success"], e["unexpected_count"]) for e in html] == [(True, allowed)]
    _tag_documents(corpus, ids[:1])
    failures, summary = _validate(corpus, chunks=chunks)
    html_failure = _failure_for(
        failures, "documents", "expect_column_values_to_not_match_regex", "text"
    )
    assert html_failure.unexpected_count == allowed + 1
    assert {r["doc_id"] for r in html_failure.sample_rows} <= {ids[0], *ids[-allowed:]}
    recorded = [f for f in summary["documents"]["failures"] if f["column"] == "text"]
    assert [f["unexpected_count"] for f in recorded] == [allowed + 1]


def _binomial_quantile(rows: int, share: float, false_alarm: float) -> int:
    """The quantile by exact rational arithmetic (small ``rows`` only)."""
    from fractions import Fraction

    p = Fraction(share)
    cumulative = Fraction(0)
    for k in range(rows + 1):
        cumulative += math.comb(rows, k) * p**k * (1 - p) ** (rows - k)
        if cumulative >= 1 - Fraction(false_alarm):
            return k
    return rows


@pytest.mark.parametrize(
    ("rows", "share"),
    [(1, 0.01), (13, 0.01), (36, 0.01), (120, 0.01), (20, 0.001), (400, 0.05), (60, 0.8)],
)
def test_gate_tolerance_is_the_binomial_quantile(rows: int, share: float) -> None:
    assert results.allowed_unexpected(rows, share, 0.001) == _binomial_quantile(rows, share, 0.001)


def test_gate_tolerance_at_the_extremes() -> None:
    assert results.allowed_unexpected(0, 0.01, 0.001) == 0
    assert results.allowed_unexpected(1000, 0.0, 0.001) == 0  # share 0: an invariant
    assert results.allowed_unexpected(1000, 1.0, 0.001) == 1000
    # one article quoting <script> among 13 is no sign of a broken extractor
    assert results.allowed_unexpected(13, 0.01, 0.001) >= 1
    # at 10 million rows the share plus about three standard deviations, no more
    big = results.allowed_unexpected(10_000_000, 0.01, 0.001)
    sd = math.sqrt(10_000_000 * 0.01 * 0.99)
    assert 100_000 + 2.5 * sd < big < 100_000 + 3.5 * sd
    # the exact and the approximate quantile meet where one takes over from the other
    edge = [results.allowed_unexpected(n, 0.01, 0.001) for n in range(90_000, 92_001, 500)]
    assert edge == sorted(edge) and max(b - a for a, b in itertools.pairwise(edge)) < 12
    # validate.gate_false_alarm at its smallest allowed value (> 0): a tolerance, not an error
    tiny = sys.float_info.min
    assert big < results.allowed_unexpected(10_000_000, 0.01, tiny) < 10_000_000
    assert 1 <= results.allowed_unexpected(13, 0.01, tiny) <= 13


def test_parquet_tables_on_worker_processes_match_in_process(tmp_path: Path) -> None:
    """The stage's path: Parquet files read in chunks, GX on a process pool (two workers);
    the same results as in-process on frames."""
    corpus, _ = broken_corpus()
    paths = _write_parquet(sources_of(corpus.frames), tmp_path)
    # validate.workers: null, the engine's (params.yaml runs GX in-process)
    params = {**_params(), **TINY, "workers": None}
    pool = EngineConfig(name="local", workers=2)
    failures, summary = validate_tables(paths, SUITES, params, None, pool)
    serial_failures, serial = _validate(corpus, chunks=TINY)
    assert _summary_counts(summary) == _summary_counts(serial)
    assert [f.describe() for f in failures] == [f.describe() for f in serial_failures]


def _write_parquet(frames: dict[str, Source], tmp_path: Path) -> dict[str, Source]:
    """The tables as Parquet files of 3-row row groups (chunks then cut across them)."""
    paths: dict[str, Source] = {}
    for name, frame in frames.items():
        assert isinstance(frame, pl.DataFrame)
        path = tmp_path / f"{name}.parquet"
        frame.write_parquet(path, row_group_size=3)
        paths[name] = path
    return paths


def _driver_and_worker_chunks(
    paths: dict[str, Source], tables: list[str], chunk_documents: int, facts_dir: Path
) -> dict[str, pl.DataFrame]:
    """Each table's chunks made by the driver (``derived_chunks``) and from row ranges
    (``chunk_reads``/``read_chunk``), compared chunk by chunk; -> the worker chunks, joined."""
    specs = {name: gx.SuiteSpec.load(SUITES, name) for name in SUITE_TABLES}
    facts = quality_chunks.CorpusFacts(paths, {n: s.unique_columns() for n, s in specs.items()})
    out: dict[str, pl.DataFrame] = {}
    for table in tables:
        quality_chunks.write_chunk_facts(facts, table, facts_dir)
        source = paths[quality_tables.SUITE_SOURCES[table]]
        assert isinstance(source, Path)
        extra = {
            "sentences_in_table",
            "n_sentences_matches_table",
            "in_key_order",
            "offsets_slice_back",
        } | {
            "doc_id_is_unique",
            "sentence_id_is_unique",
        }
        wanted = set(quality_tables._columns_of(source)) | extra
        driver = list(
            quality_chunks.derived_chunks(table, paths, facts, wanted, 7, chunk_documents)
        )
        rows = quality_tables.chunk_rows_of(table, 7, chunk_documents)
        reads = list(quality_chunks.chunk_reads(table, paths, wanted, rows, facts_dir))
        assert len(reads) == len(driver)
        got = [quality_chunks.read_chunk(read) for read in reads]
        for chunk, expected in zip(got, driver, strict=True):
            assert chunk.columns == [c for c in expected.columns if c in wanted]
            assert chunk.equals(expected.select(chunk.columns))
        out[table] = pl.concat(got, how="vertical_relaxed")
    return out


@pytest.mark.parametrize("chunk_documents", [2, 5])
def test_chunks_read_by_row_range_equal_the_driver_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk_documents: int
) -> None:
    """What a worker reads and derives from a row range (``chunk_reads``/``read_chunk``) is
    the driver's chunk, column for column: raw pages reduced a few rows at a time, chunks cut
    across row groups (sentences only between documents), a duplicate id in another chunk,
    the key order across chunk edges."""
    monkeypatch.setattr(quality_chunks, "RAW_READ_ROWS", 2)
    corpus, _ = broken_corpus()
    f = corpus.frames
    f["ingested"] = pl.concat([f["ingested"], f["ingested"].head(1)])
    f["sentences"] = pl.concat([f["sentences"], f["sentences"].tail(1)])
    paths = _write_parquet(sources_of(f), tmp_path)
    (tmp_path / "facts").mkdir()
    chunks = _driver_and_worker_chunks(
        paths, sorted(quality_chunks.ROW_READ_TABLES), chunk_documents, tmp_path / "facts"
    )
    assert chunks["ingested"]["doc_id_is_unique"].to_list().count(False) == 2
    assert chunks["sentences"]["sentence_id_is_unique"].to_list().count(False) == 2
    assert not chunks["sentences"]["offsets_slice_back"].all()
    # documents out of key order across a chunk edge
    first = f["documents"].sort("doc_id")
    out_of_order = pl.concat([first.slice(1), first.head(1)])
    out_of_order.write_parquet(tmp_path / "documents.parquet", row_group_size=3)
    (tmp_path / "facts2").mkdir()
    chunks = _driver_and_worker_chunks(paths, ["documents"], chunk_documents, tmp_path / "facts2")
    assert chunks["documents"]["in_key_order"].to_list().count(False) == 1


def test_parquet_tables_in_process_engine_serial(tmp_path: Path) -> None:
    """Row-range chunks also work where GX runs in the driver (``engine: serial``)."""
    corpus, expected = broken_corpus()
    paths = _write_parquet(sources_of(corpus.frames), tmp_path)
    params = {**_params(), **TINY}
    failures, summary = validate_tables(paths, SUITES, params, None, EngineConfig(name="serial"))
    serial_failures, serial = _validate(corpus, chunks=TINY)
    assert _summary_counts(summary) == _summary_counts(serial)
    assert [f.describe() for f in failures] == [f.describe() for f in serial_failures]
    for suite, (_, column, value) in expected.items():
        assert any(f.suite == suite and f.column == column for f in failures)
        assert value in "".join(f.describe() for f in failures if f.suite == suite)


def test_sample_rows_are_looked_up_for_the_kept_failing_rows_only() -> None:
    """GX's id lookup of failing rows, bounded to the rows a SUMMARY result keeps, returns what
    the unbounded lookup returns (then cut to the same length); COMPLETE is not bounded."""
    import pandas as pd
    from great_expectations.expectations.metrics.map_metric_provider import (
        map_condition_auxilliary_methods as map_conditions,
    )

    gx._worker_context()
    bounded = getattr(map_conditions, gx.GX_ROW_ID_LOOKUP)
    assert getattr(bounded, "sample_rows_only", False)
    unbounded = bounded.__wrapped__
    failing = pd.DataFrame({"sentence_id": [f"s{i:03d}" for i in range(40)], "n": range(40)})
    kwargs: dict[str, Any] = {
        "domain_records_df": failing,
        "expectation_domain_column_list": ["n"],
        "execution_engine": None,
        "metrics": {"table.columns": list(failing.columns)},
    }
    for keep in (1, 5, 60):
        summary = {
            "result_format": "SUMMARY",
            "partial_unexpected_count": keep,
            "unexpected_index_column_names": ["sentence_id"],
        }
        got = bounded(result_format=summary, **kwargs)
        assert got == unbounded(result_format=summary, **kwargs)[:keep]
        assert got[0] == {"n": 0, "sentence_id": "s000"} and len(got) == min(keep, 40)
    complete = {**summary, "result_format": "COMPLETE", "partial_unexpected_count": 1}
    assert len(bounded(result_format=complete, **kwargs)) == 40


def test_a_removal_left_out_of_the_audit_fails_the_cleaned_suite_on_its_row() -> None:
    """The cleaned text plus its recorded removals must rebuild the extracted text: a
    document whose text lost a sentence that no removal lists is named."""
    corpus = good_corpus(3)
    cleaned = corpus.frames["cleaned"]
    victim = cleaned["doc_id"][1]
    first_paragraph = pl.col("text").str.split("\n").list.first()
    short = cleaned.with_columns(
        text=pl.when(pl.col("doc_id") == victim).then(first_paragraph).otherwise(pl.col("text"))
    ).with_columns(
        n_chars=pl.col("text").str.len_chars().cast(pl.Int64),
        n_paragraphs=(pl.col("text").str.count_matches("\n") + 1).cast(pl.Int64),
    )
    corpus.frames["cleaned"] = short
    failures, _ = _validate(corpus)
    failure = _failure_for(
        failures, "cleaned", "expect_column_values_to_be_in_set", "removals_rebuild_extracted_text"
    )
    assert victim in failure.describe()
    # recorded, the same cut passes
    lost = cleaned.filter(pl.col("doc_id") == victim)["text"][0].split("\n", 1)[1]
    kept = short.filter(pl.col("doc_id") == victim)["text"][0]
    removal = [{"stage": "clean", "rule": "chrome_sentence", "position": len(kept), "text": lost}]
    corpus.frames["cleaned"] = short.with_columns(
        removals=pl.when(pl.col("doc_id") == victim)
        .then(pl.lit(removal, dtype=pl.List(schema.REMOVAL)))
        .otherwise(pl.col("removals"))
    )
    failures, _ = _validate(corpus)
    assert not [f for f in failures if f.column == "removals_rebuild_extracted_text"]


def test_validate_in_process_starts_no_fork_server(tmp_path: Path) -> None:
    """``validate.workers: 0`` runs GX in the stage's own process: ``python -m
    pipeline.validate`` then starts no fork server (one that imported GX would cost ~3 s CPU
    and ~300 MB for nothing), though the engine is local and validate declares its workers'
    preload."""
    from pipeline.runtime.commands import declared_stage
    from pipeline.runtime.engine import prestart_fork_server

    params = tmp_path / "params.yaml"
    params.write_text("engine:\n  name: local\n  workers: 2\nvalidate:\n  workers: 0\n")
    command = declared_stage("pipeline.validate")
    assert command is not None and command.preload  # a fan-out stage when it has workers
    assert prestart_fork_server(["python", "-m", "pipeline.validate"], str(params)) is None
