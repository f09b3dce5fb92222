"""Stage 5, validate: one Great Expectations suite per stage output (``expectations/*.json``).

A failed expectation makes this stage, and so ``dvc repro``, fail with the suite, the
expectation, the column, the unexpected count and sample values and rows. Data Docs (static
HTML) are written to ``reports/data_docs``. ``python -m pipeline.validate --help``.

This module is the stage's driver: a thread computes the facts of the whole corpus table by
table, every table's chunks go to Great Expectations in worker processes (``engine:`` params)
as soon as its facts are written, and the chunk results are added up per suite. The parts are
in ``pipeline.quality``: ``tables`` (reading the tables in chunks), ``checks`` (the derived
columns), ``repeats`` (facts over whole tables, grouped on 64-bit hashes), ``chunks`` (the
corpus facts joined into each chunk, on the driver or in a worker), ``gx`` (the suites, and
GX in a worker) and ``results`` (results added up over chunks, gates, summaries).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import polars as pl
import typer

from pipeline.config import read_params
from pipeline.quality.checks import REASON_STAGES as REASON_STAGES  # named in quarantine.json
from pipeline.quality.chunks import (
    ROW_READ_TABLES,
    CorpusFacts,
    _smallest_ints,
    chunk_reads,
    derived_chunks,
    repeat_window_days,
    write_chunk_facts,
)
from pipeline.quality.gx import _ROW_MARKER, WARM_UP, SuiteSpec, validate_chunks
from pipeline.quality.results import (
    Failure,
    SuiteResult,
    _summarise,
    suite_parameters,
    write_data_docs,
)
from pipeline.quality.tables import (
    DEFAULT_CHUNK_DOCUMENTS,
    DEFAULT_CHUNK_ROWS,
    SUITE_SOURCES,
    SUITE_TABLES,
    Source,
    chunk_rows_of,
    table_sources,
)
from pipeline.runtime.engine import EngineConfig, map_batches
from pipeline.runtime.protocol import TimedOut
from pipeline.runtime.scratch import owned_directory
from pipeline.runtime.stats import run_cli, timed_stage, write_json

STAGE = "validate"
# What the workers import once, in their fork server, before the stage module runs in each:
# Great Expectations too (~3 s CPU in every process that imports it; the driver never does).
WORKER_PRELOAD = (
    "pipeline.quality.checks",
    "pipeline.quality.chunks",
    "pipeline.quality.gx",
    "pipeline.quality.results",
    "pipeline.quality.tables",
    "pipeline.runtime.stats",
    "pipeline.config",
    "typer",
    "great_expectations",
    "great_expectations.validator.v1_validator",
    "great_expectations.execution_engine.pandas_execution_engine",
    "great_expectations.expectations.metrics.map_metric_provider.map_condition_auxilliary_methods",
    "great_expectations.core.expectation_validation_result",
    "great_expectations.data_context.types.resource_identifiers",
)


def validate_tables(
    sources: dict[str, Source],
    suites_dir: Path,
    params: dict[str, Any],
    docs_dir: Path | None,
    engine: EngineConfig,
) -> tuple[list[Failure], dict[str, Any]]:
    """Validate every table with its suite, chunk by chunk on ``engine``; -> the failures and
    a JSON-able summary (one entry per suite, as ``reports/validation.json``)."""
    chunk_rows = int(params.get("chunk_rows") or DEFAULT_CHUNK_ROWS)
    chunk_documents = int(params.get("chunk_documents") or DEFAULT_CHUNK_DOCUMENTS)
    specs = {name: SuiteSpec.load(suites_dir, name) for name in SUITE_TABLES}
    results = {name: SuiteResult(specs[name], SUITE_TABLES[name][1]) for name in SUITE_TABLES}
    # ``validate.workers`` may override the engine's: 0 runs GX in this process, which saves
    # each worker's GX start-up (~3 s CPU, ~300 MB) on small corpora.
    workers = params.get("workers")
    if workers is not None:
        engine = dataclasses.replace(engine, workers=int(workers))
        if int(workers) == 0:
            engine = dataclasses.replace(engine, name="serial")

    def worker_read(name: str) -> bool:
        """Whether the workers read the table's chunks: its inputs are files (frames, in
        tests, are chunked by the driver) and its suite has no whole-table part."""
        files = [sources.get(SUITE_SOURCES.get(name, "")), sources.get("documents")]
        readable = all(isinstance(f, Path) for f in files[: 2 if name == "sentences" else 1])
        # A remote Ray cluster sees neither the driver's temporary facts files nor, maybe, its
        # data: its chunks travel from the driver as before.
        remote = engine.name == "ray" and engine.ray_address is not None
        return name in ROW_READ_TABLES and readable and not remote and not specs[name].part(True)

    def tasks(
        facts: CorpusFacts, written: dict[str, Future[None]], facts_dir: Path
    ) -> Iterator[dict[str, Any]]:
        if engine.name == "local":
            # Workers make their GX context while the driver computes the facts, not after.
            yield from ({WARM_UP: True} for _ in range(engine.n_workers))
        parameters = suite_parameters(params, facts.input_files)
        for name, spec in specs.items():
            id_columns = SUITE_TABLES[name][1]
            row_part, whole_part = spec.part(False), spec.part(True)
            wanted = spec.columns(False) | set(id_columns)
            whole_columns = sorted(spec.columns(True))
            task = {
                "table": name,
                "whole": False,
                "suite": spec.json(False),
                "id_columns": id_columns,
                "parameters": parameters,
            }
            if worker_read(name):
                written[name].result()
                rows = chunk_rows_of(name, chunk_rows, chunk_documents)
                for read in chunk_reads(name, sources, wanted, rows, facts_dir):
                    results[name].rows += read["stop"] - read["start"]
                    if row_part:
                        yield {**task, "read": read}
                continue
            narrow: list[pl.DataFrame] = []
            for chunk in derived_chunks(
                name, sources, facts, wanted | set(whole_columns), chunk_rows, chunk_documents
            ):
                results[name].rows += chunk.height
                if whole_part:
                    present = [c for c in whole_columns if c in chunk.columns]
                    narrow.append(
                        _smallest_ints(chunk.select(present))
                        if present
                        # one row per row (a literal alone would be a single row)
                        else pl.DataFrame(
                            {_ROW_MARKER: pl.zeros(chunk.height, pl.Int8, eager=True)}
                        )
                    )
                if row_part:
                    yield {**task, "frame": chunk.select(c for c in chunk.columns if c in wanted)}
            if whole_part:
                yield {
                    **task,
                    "whole": True,
                    "suite": spec.json(True),
                    "id_columns": [],
                    "frame": pl.concat(narrow, how="vertical_relaxed"),
                }

    one_task = dataclasses.replace(engine, batch_size=1, max_seconds_per_doc=0)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")  # before any process imports GX
    with owned_directory(prefix="newscorpus-validate-facts-") as facts_dir:
        facts = CorpusFacts(
            sources,
            {name: spec.unique_columns() for name, spec in specs.items()},
            repeat_window_days(params),
        )
        # A thread computes the facts table by table (Polars releases the GIL), from before the
        # workers start (their fork server imports GX meanwhile): a table's chunks go to the
        # workers as soon as its facts are written, not after all the facts.
        facts_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="facts")
        written = {
            name: facts_thread.submit(write_chunk_facts, facts, name, facts_dir)
            for name in specs
            if worker_read(name)
        }
        facts_thread.shutdown(wait=False)
        chunks = tasks(facts, written, facts_dir)
        for batch in map_batches(validate_chunks, chunks, one_task, preload=WORKER_PRELOAD):
            for done in batch:
                assert not isinstance(done, TimedOut)  # no time limit (max_seconds_per_doc 0)
                results[done["table"]].add(done["run"], done["key"], done["whole"], done["ids"])
    failures: list[Failure] = []
    summary: dict[str, Any] = {}
    parameters = suite_parameters(params, facts.input_files)
    runs = {name: (result.key, result.merged(parameters)) for name, result in results.items()}
    for name, result in results.items():
        summary[name] = _summarise(name, result.rows, result.id_columns, runs[name][1], failures)
    if docs_dir is not None:
        write_data_docs(docs_dir, specs, runs, {name: r.rows for name, r in results.items()})
    return failures, summary


def main(
    suites_dir: Path = typer.Option(Path("expectations")),
    summary_out: Path = typer.Option(Path("reports/validation.json")),
    docs_dir: Path = typer.Option(Path("reports/data_docs")),
) -> None:
    config = read_params()  # the whole file, before any input is read
    # The suites read the thresholds by name ({"$PARAMETER": key}): checked values, as a mapping.
    params, engine = config.validate_.model_dump(), EngineConfig.from_params(config.engine)
    on_failure = config.validate_.on_failure  # fail | warn, checked with the rest
    with timed_stage(STAGE) as stats:
        failures, summary = validate_tables(table_sources(), suites_dir, params, docs_dir, engine)
        write_json(summary, summary_out)
        stats.docs_in = stats.docs_out = summary["documents"]["rows"]
        stats.extra["failed_expectations"] = len(failures)
        stats.extra["validation_failed"] = int(bool(failures))
    if failures:
        print("Data validation failed (see reports/data_docs/index.html):", file=sys.stderr)
        for failure in failures:
            print(failure.describe(), file=sys.stderr)
        if on_failure == "fail":
            raise typer.Exit(code=1)
        print(
            "validate.on_failure is warn: the run goes on; the metrics and the dataset card "
            "say validation failed",
            file=sys.stderr,
        )
        return
    print(f"validation passed: {len(SUITE_TABLES)} suites")


if __name__ == "__main__":
    run_cli(main)
