"""Every table validated with its suite (``expectations/*.json``), chunk by chunk on the
engine: the validate stage's work.

A thread computes the facts of the whole corpus table by table, every table's chunks go to
Great Expectations in worker processes (``engine:`` params) as soon as its facts are written,
and the chunk results are added up per suite. The parts: ``tables`` (reading the tables in
chunks), ``checks`` (the derived columns), ``repeats`` (facts over whole tables, grouped on
64-bit hashes), ``chunks`` (the corpus facts joined into each chunk, on the driver or in a
worker), ``gx`` (the suites, and GX in a worker) and ``results`` (results added up over chunks,
gates, summaries).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import polars as pl

from pipeline.quality.chunks import (
    ROW_READ_TABLES,
    CorpusFacts,
    _smallest_ints,
    chunk_reads,
    derived_chunks,
    repeat_window_days,
    write_chunk_facts,
)
from pipeline.quality.gx import _ROW_MARKER, ChunkTask, SuiteSpec, WarmUp, validate_chunks
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
)
from pipeline.runtime.engine import EngineConfig, tasks_carry_data
from pipeline.runtime.runner import run_tasks
from pipeline.runtime.scratch import owned_directory


def validate_tables(
    sources: dict[str, Source],
    suites_dir: Path,
    params: dict[str, Any],
    docs_dir: Path | None,
    engine: EngineConfig,
    preload: Sequence[str] = (),
) -> tuple[list[Failure], dict[str, Any]]:
    """Validate every table with its suite, chunk by chunk on ``engine``; -> the failures and
    a JSON-able summary (one entry per suite, as ``reports/validation.json``). ``preload``:
    what the local workers import once (see :func:`pipeline.runtime.engine.process_context`)."""
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
        # Ray's workers may be other machines, which see neither the driver's temporary facts
        # files nor its data: the chunks travel from the driver.
        remote = tasks_carry_data(engine)
        return name in ROW_READ_TABLES and readable and not remote and not specs[name].part(True)

    def tasks(
        facts: CorpusFacts, written: dict[str, Future[None]], facts_dir: Path
    ) -> Iterator[ChunkTask | WarmUp]:
        if engine.name == "local":
            # Workers make their GX context while the driver computes the facts, not after.
            yield from (WarmUp() for _ in range(engine.n_workers))
        parameters = suite_parameters(params, facts.input_files)
        for name, spec in specs.items():
            id_columns = SUITE_TABLES[name][1]
            row_part, whole_part = spec.part(False), spec.part(True)
            wanted = spec.columns(False) | set(id_columns)
            whole_columns = sorted(spec.columns(True))
            task = ChunkTask(name, False, spec.json(False), id_columns, parameters)
            if worker_read(name):
                written[name].result()
                rows = chunk_rows_of(name, chunk_rows, chunk_documents)
                for read in chunk_reads(name, sources, wanted, rows, facts_dir):
                    results[name].rows += read["stop"] - read["start"]
                    if row_part:
                        yield dataclasses.replace(task, read=read)
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
                    frame = chunk.select(c for c in chunk.columns if c in wanted)
                    yield dataclasses.replace(task, frame=frame)
            if whole_part:
                whole = pl.concat(narrow, how="vertical_relaxed")
                yield ChunkTask(name, True, spec.json(True), [], parameters, frame=whole)

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
        # a chunk takes as long as GX needs: a validation cannot leave rows out
        done_chunks = run_tasks(
            "validate", validate_chunks, chunks, engine, preload, time_limit=False, unit="chunks"
        )
        for done in done_chunks:
            results[done.table].add(done.run, done.key, done.whole, done.ids)
    failures: list[Failure] = []
    summary: dict[str, Any] = {}
    parameters = suite_parameters(params, facts.input_files)
    runs = {name: (result.key, result.merged(parameters)) for name, result in results.items()}
    for name, result in results.items():
        summary[name] = _summarise(name, result.rows, result.id_columns, runs[name][1], failures)
    if docs_dir is not None:
        write_data_docs(docs_dir, specs, runs, {name: r.rows for name, r in results.items()})
    return failures, summary
