"""Great Expectations: the suite files, and validating chunks in a worker process.

A suite is split into row-by-row expectations, judged chunk by chunk, and whole-table ones
(median, mean, row count), judged once on the whole of their columns. Each expectation has an
id fixed by its position in the suite file: results come back in no particular order, and
from several processes. A worker makes one GX context, and one batch definition per suite
part, on first use, and returns plain JSON data, so the driver never imports GX. GX drops an
invalid expectation silently: a suite that loads fewer expectations than its file holds is
refused.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from pipeline.quality.chunks import read_chunk

# Expectations judged row by row: over chunks, their counts add up and ``mostly`` applies to
# the sums, which is what one run on the whole table gives. Every other type (median, mean,
# row count, ...) runs once on the whole of its columns.
ROW_EXPECTATIONS = frozenset(
    {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_null",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_not_match_regex",
        "expect_column_values_to_match_regex_list",
        "expect_column_values_to_not_match_regex_list",
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_in_set",
        "expect_column_value_lengths_to_be_between",
        "expect_column_value_lengths_to_equal",
        "expect_column_values_to_be_of_type",
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_column_pair_values_to_be_equal",
    }
)
SAMPLE_ROWS = 5  # sample values and rows kept per failed expectation
WHOLE = "__whole"  # suffix of the suite holding a suite's whole-table expectations
_ROW_MARKER = "_row"  # a column for whole-table expectations that name none (row count)
GATE = "gate"  # an expectation's meta key: {"max_share": number or {"$PARAMETER": name}, "per"}
# A gate "per" a column counts distinct values of that column (a sentence gate per doc_id
# counts documents: an article quoting markup in five sentences is one article that does).
# Its rows are contiguous by that column, so chunks meet at most in one value.
UNITS, UNEXPECTED_UNITS = "gate_units", "gate_unexpected_units"


def gate_unit(expectation: dict[str, Any]) -> str | None:
    """The column a gate counts distinct values of (None: it counts rows)."""
    gate = (expectation.get("meta") or {}).get(GATE)
    unit = gate.get("per") if isinstance(gate, dict) else None
    if unit is not None and expectation["type"] != "expect_column_values_to_not_match_regex":
        raise ValueError(f"a gate per {unit!r} needs a regex check, not {expectation['type']}")
    return str(unit) if unit is not None else None


def _run_of(values: pl.Series) -> dict[str, Any]:
    """Distinct values of a column whose equal values are contiguous: their count, and the
    first and last, where the neighbouring chunks may hold the same one."""
    if values.is_empty():
        return {"count": 0, "first": None, "last": None}
    return {"count": values.rle_id()[-1] + 1, "first": values[0], "last": values[-1]}


def unit_counts(
    frame: pl.DataFrame, expectation: dict[str, Any], unexpected: int
) -> dict[str, Any]:
    """A per-unit gate's figures on one chunk: the units with a value, and those with a value
    that fails the check (found again with Python's ``re``, as GX's pandas engine does, and
    only when some row failed: the texts stay in Polars otherwise)."""
    unit, column = gate_unit(expectation), expectation["kwargs"]["column"]
    if unit is None:
        raise ValueError(f"not a gate per unit: {expectation['type']} on {column}")
    present = frame.select(unit, column).filter(pl.col(column).is_not_null())
    ids = present.get_column(unit)
    flagged = ids.clear()
    if unexpected:
        pattern = re.compile(expectation["kwargs"]["regex"])
        texts = present.get_column(column).to_list()
        flagged = ids.filter(pl.Series([pattern.search(str(v)) is not None for v in texts]))
    return {UNITS: _run_of(ids), UNEXPECTED_UNITS: _run_of(flagged)}


def load_suite_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True)
class SuiteSpec:
    """A suite file, each expectation with an id fixed by its position (results come back in
    no particular order, and from several processes), split into row-by-row and whole-table
    expectations."""

    name: str
    expectations: list[dict[str, Any]]
    meta: dict[str, Any]

    @classmethod
    def load(cls, suites_dir: Path, name: str) -> SuiteSpec:
        spec = load_suite_json(suites_dir / f"{name}.json")
        expectations = [
            {**e, "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"newscorpus/{name}/{i}"))}
            for i, e in enumerate(spec["expectations"])
        ]
        return cls(name, expectations, dict(spec.get("meta") or {}))

    def part(self, whole: bool) -> list[dict[str, Any]]:
        return [e for e in self.expectations if (e["type"] not in ROW_EXPECTATIONS) == whole]

    def json(self, whole: bool) -> dict[str, Any]:
        return {
            "name": self.name + (WHOLE if whole else ""),
            "expectations": self.part(whole),
            "meta": self.meta,
        }

    def json_all(self) -> dict[str, Any]:
        return {"name": self.name, "expectations": self.expectations, "meta": self.meta}

    def columns(self, whole: bool) -> set[str]:
        names: set[str] = set()
        for e in self.part(whole):
            kwargs = e["kwargs"]
            names.update(str(kwargs[k]) for k in ("column", "column_A", "column_B") if k in kwargs)
            names.update(str(c) for c in kwargs.get("column_list") or [])
            unit = gate_unit(e)
            names.update([unit] if unit else [])
        return names

    def unique_columns(self) -> list[str]:
        """Columns whose ``<column>_is_unique`` flag an expectation checks."""
        return sorted(
            c.removesuffix("_is_unique")
            for c in self.columns(False) | self.columns(True)
            if c.endswith("_is_unique")
        )


def _gx_suite(gx: Any, spec: dict[str, Any]) -> Any:
    suite = gx.ExpectationSuite(**spec)
    # GX drops an invalid expectation silently (only logs): refuse to validate with fewer.
    if len(suite.expectations) != len(spec["expectations"]):
        raise ValueError(
            f"suite {spec['name']}: {len(spec['expectations'])} expectations in file, "
            f"{len(suite.expectations)} loaded"
        )
    return suite


def _gx_context() -> Any:
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from tqdm.std import TqdmDefaultWriteLock

    # GX makes a tqdm bar (disabled) per validation, and tqdm's first bar creates a
    # multiprocessing lock: a named semaphore that a worker the pool stops (SIGTERM) never
    # releases, so the resource tracker warns of a leak at exit. No bar is shared across
    # processes here: tqdm's thread lock is enough.
    TqdmDefaultWriteLock.mp_lock = None
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    return ctx


# One context per process, and one batch definition per suite part, made on first use.
_WORKER: dict[str, Any] = {}


@dataclass(frozen=True)
class _SuitePart:
    positions: dict[str, int]  # GX's expectation id -> position in the suite file
    suite: Any  # gx.ExpectationSuite
    batch_definition: Any
    result_format: dict[str, Any]
    widen: frozenset[str]  # see _between_only_columns


# GX's function (in map_condition_auxilliary_methods) giving the id columns of failing rows.
GX_ROW_ID_LOOKUP = "compute_unexpected_pandas_indices"


def _sample_rows_only(compute: Any) -> Any:
    """GX's ``compute_unexpected_pandas_indices``, given only the failing rows a result keeps.

    GX (1.24) looks up the id columns of *every* failing row, one ``DataFrame.at`` per row and
    column, then keeps the first ``partial_unexpected_count`` of them (every format but
    COMPLETE, which this stage never asks for). On the sentence-length quantile checks, where up
    to half the rows fail by design, that was ~12 s CPU of validate's ~56 s at 10k documents.
    The kept rows, and so the results, are the same."""

    @functools.wraps(compute)
    def first_rows(*, domain_records_df: Any, result_format: dict[str, Any], **kwargs: Any) -> Any:
        if result_format.get("result_format") != "COMPLETE":
            keep = int(result_format.get("partial_unexpected_count", SAMPLE_ROWS))
            domain_records_df = domain_records_df.head(keep)
        return compute(domain_records_df=domain_records_df, result_format=result_format, **kwargs)

    first_rows.sample_rows_only = True  # type: ignore[attr-defined]
    return first_rows


# GX's Expectation methods that read ``self.configuration`` once per kwarg they look up.
GX_KWARGS_READERS = ("_get_runtime_kwargs", "_get_success_kwargs", "_get_domain_kwargs")


class _OneConfigurationPerCall:
    """GX's ``Expectation.configuration``, built once per call of a kwargs reader, not once
    per kwarg read.

    ``configuration`` is a property that rebuilds an ExpectationConfiguration from the
    expectation's fields (pydantic ``.dict()``, a regex over the class name) on every access,
    and GX (1.24) reads it once per domain, success and runtime key, several times per metric
    of every expectation of every chunk: ~28,000 builds, ~1/3 of GX's validation CPU, at 1k
    documents. Within one call of a reader (``GX_KWARGS_READERS``) the expectation's fields do
    not change, the property is a pure function of them, and the readers only look values up
    in it (``.kwargs.get``, ``in``, ``[key]``) to put them, each key once, into the dict they
    return (``parse_result_format`` may then fill in that dict's result format, after the last
    read): one build, shared by the reads of that call, gives the same dict. It is built on
    the call's first read, as GX does (an error is raised where GX raises it); outside a
    reader's call (and on another thread) ``configuration`` is built on every access."""

    def __init__(self, build: Any) -> None:
        self.build = build  # GX's property getter
        self.local = threading.local()  # id(expectation) -> its configuration, during a call

    def shared(self) -> dict[int, Any]:
        found: dict[int, Any] | None = getattr(self.local, "shared", None)
        if found is None:
            found = self.local.shared = {}
        return found

    def configuration(self, expectation: Any) -> Any:
        shared, key = self.shared(), id(expectation)
        if key not in shared:
            return self.build(expectation)
        if shared[key] is None:  # the call's first read
            shared[key] = self.build(expectation)
        return shared[key]

    def reader(self, read: Any) -> Any:
        @functools.wraps(read)
        def once(expectation: Any, *args: Any, **kwargs: Any) -> Any:
            shared, key = self.shared(), id(expectation)
            if key in shared:  # a reader calling another: the outer call's configuration
                return read(expectation, *args, **kwargs)
            shared[key] = None  # built on the first read
            try:
                return read(expectation, *args, **kwargs)
            finally:
                del shared[key]

        once.one_configuration_per_call = True  # type: ignore[attr-defined]
        return once


def _share_configuration_per_call(expectation_class: Any) -> None:
    """Install ``_OneConfigurationPerCall`` on GX's Expectation class (once per process)."""
    if getattr(getattr(expectation_class, GX_KWARGS_READERS[0]), "one_configuration_per_call", 0):
        return
    patch = _OneConfigurationPerCall(expectation_class.configuration.fget)
    for name in GX_KWARGS_READERS:
        setattr(expectation_class, name, patch.reader(getattr(expectation_class, name)))
    expectation_class.configuration = property(patch.configuration)


def _plain_values_first(convert: Any) -> Any:
    """GX's ``convert_to_json_serializable``, answering None, str, int and bool at once.

    GX (1.24) tests a value against ~25 types before it returns it unchanged; a None passes
    every test, four of them ``numpy.issubdtype``, until the last (``data is None``). GX ids
    each metric of each expectation of each chunk by its kwargs made JSON (``IDDict.to_id``),
    mostly None: ~140,000 ``issubdtype`` calls at 1k documents. The function returns these
    four types as they are (bool and int at ``isinstance(data, (str, int, float, bool))``,
    which every earlier test fails for them), so this returns the same values."""

    @functools.wraps(convert)
    def plain_first(data: Any) -> Any:
        if data is None or type(data) in (str, int, bool):  # exactly these, no subclass
            return data
        return convert(data)

    plain_first.plain_values_first = True  # type: ignore[attr-defined]
    return plain_first


def _answer_plain_values_first() -> None:
    """Install ``_plain_values_first`` (once per process) in GX's util, where the function
    calls itself on the items of a dict or list, and in every GX module that imported it."""
    import sys

    from great_expectations import util

    convert = util.convert_to_json_serializable
    if getattr(convert, "plain_values_first", False):
        return
    plain_first = _plain_values_first(convert)
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] == "great_expectations" and (
            getattr(module, "convert_to_json_serializable", None) is convert
        ):
            module.convert_to_json_serializable = plain_first  # type: ignore[attr-defined]


def _worker_context() -> None:
    """This process's GX context and pandas data source, made once."""
    if "ctx" not in _WORKER:
        from great_expectations.execution_engine import pandas_execution_engine
        from great_expectations.expectations.expectation import Expectation
        from great_expectations.expectations.metrics.map_metric_provider import (
            map_condition_auxilliary_methods as map_conditions,
        )
        from great_expectations.validator import v1_validator  # noqa: F401  (warm-up: import)

        # GX fingerprints every batch (md5 over pandas' row hashes) for the result's meta only,
        # and skips it itself above this many bytes: never here. It cost CPU on every chunk and,
        # on the 11.5M sentence lengths of a 100k corpus, +437 MB in the worker.
        pandas_execution_engine.HASH_THRESHOLD = 0
        compute = getattr(map_conditions, GX_ROW_ID_LOOKUP)
        if not getattr(compute, "sample_rows_only", False):
            setattr(map_conditions, GX_ROW_ID_LOOKUP, _sample_rows_only(compute))
        _share_configuration_per_call(Expectation)
        _answer_plain_values_first()
        _WORKER["ctx"] = _gx_context()
        _WORKER["source"] = _WORKER["ctx"].data_sources.add_pandas("newscorpus")
        _WORKER["parts"] = {}


def _suite_part(spec: dict[str, Any], id_columns: list[str]) -> _SuitePart:
    """The GX objects a suite part is validated with, made once per process."""
    import great_expectations as gx

    _worker_context()
    key = json.dumps([spec, id_columns], sort_keys=True, default=str)
    parts: dict[str, _SuitePart] = _WORKER["parts"]
    if key not in parts:
        ctx, name = _WORKER["ctx"], f"{spec['name']}#{len(parts)}"
        # Suite names are unique per process (a context may outlive one validation).
        suite = ctx.suites.add(_gx_suite(gx, {**spec, "name": name}))
        batch = (
            _WORKER["source"].add_dataframe_asset(name).add_batch_definition_whole_dataframe("all")
        )
        result_format: dict[str, Any] = {
            "result_format": "SUMMARY",
            "partial_unexpected_count": SAMPLE_ROWS,
            # A pandas "query" listing every failing row: dropped from the results anyway.
            "return_unexpected_index_query": False,
        }
        if id_columns:
            result_format["unexpected_index_column_names"] = id_columns
        # GX gives the expectations ids of its own; results come back in no particular order.
        positions = {str(e.id): i for i, e in enumerate(suite.expectations)}
        widen = _between_only_columns(spec["expectations"], id_columns)
        parts[key] = _SuitePart(positions, suite, batch, result_format, widen)
    return parts[key]


BETWEEN = "expect_column_values_to_be_between"
_COLUMN_KWARGS = ("column", "column_A", "column_B")
# Integer types that pandas holds in a NumPy type other than int64 (nulls make them float64).
_NARROW_INTS = (pl.Int8, pl.Int16, pl.Int32, pl.UInt8, pl.UInt16, pl.UInt32)


def _between_only_columns(
    expectations: list[dict[str, Any]], id_columns: list[str]
) -> frozenset[str]:
    """Columns that only ``expect_column_values_to_be_between`` checks, each time with numbers
    (or None) for bounds, and that no result names (``id_columns``): see ``_widened``. None
    when an expectation filters rows (``row_condition``: a text that may name any column)."""
    checks: dict[str, list[dict[str, Any]]] = {}
    if any(e["kwargs"].get("row_condition") is not None for e in expectations):
        return frozenset()
    for e in expectations:
        kwargs = e["kwargs"]
        named = [kwargs[k] for k in _COLUMN_KWARGS if k in kwargs]
        for column in [*named, *(kwargs.get("column_list") or [])]:
            checks.setdefault(str(column), []).append(e)

    def numeric(value: Any) -> bool:
        return value is None or (type(value) in (int, float) and not math.isnan(value))

    return frozenset(
        column
        for column, found in checks.items()
        if column not in id_columns
        and all(
            e["type"] == BETWEEN
            and numeric(e["kwargs"].get("min_value"))
            and numeric(e["kwargs"].get("max_value"))
            for e in found
        )
    )


def _widened(frame: pl.DataFrame, columns: frozenset[str]) -> pl.DataFrame:
    """``frame`` with its null-free integer ``columns`` narrower than 64 bits as Int64.

    GX (1.24) compares a pandas column with a between's bounds in one vectorized step only
    when the column's dtype equals ``int`` or ``float`` (int64, float64): an int32 column
    (``sentence_index``, ``paragraph_index``) went through a Python function per row
    (``Series.map``), ~200,000 calls per 100k sentences. Widening is exact, and a number
    compares with numeric bounds the same either way; the values a result shows are made
    JSON ints either way. Only columns no other expectation looks at are widened."""
    casts = [
        pl.col(name).cast(pl.Int64)
        for name, dtype in frame.schema.items()
        if name in columns and dtype in _NARROW_INTS and frame.get_column(name).null_count() == 0
    ]
    return frame.with_columns(casts) if casts else frame


@dataclass(frozen=True)
class WarmUp:
    """A task that only makes a worker's GX context (and, where no fork server preloaded GX,
    imports it), sent first so workers get ready while the driver computes the corpus facts."""


@dataclass(frozen=True)
class ChunkTask:
    """One chunk of a table through one part of its suite (``whole``: the part that needs the
    whole table at once): the chunk's ``frame``, or the rows a worker reads itself (``read``,
    see :func:`read_chunk`)."""

    table: str
    whole: bool
    suite: dict[str, Any]
    id_columns: list[str]
    parameters: dict[str, Any]
    frame: pl.DataFrame | None = None
    read: dict[str, Any] | None = None


@dataclass(frozen=True)
class ChunkResult:
    """A chunk's validation result as plain JSON data (``run``), the suite file's expectation
    id of each of its results (``ids``) and the run's identifiers (``key``)."""

    table: str
    whole: bool
    run: dict[str, Any]
    ids: list[str]
    key: dict[str, Any]


def validate_chunks(tasks: list[ChunkTask | WarmUp]) -> list[ChunkResult]:
    """Run in a worker: each task's frame (given, or read by ``read_chunk``) through its suite
    part; -> the validation result as plain JSON data (the driver then needs no GX import to
    add results up), and the suite file's expectation id of each result.

    GX's Validator is called directly, not through a Checkpoint: ``ValidationDefinition.run``
    keeps every result in the context's in-memory results store (a worker's memory grew with
    the number of chunks it validated), and its freshness checks cost CPU on every chunk. The
    result's meta gets what that run would add."""
    from great_expectations.constants import DATAFRAME_REPLACEMENT_STR
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.validator.v1_validator import Validator

    out = []
    for task in tasks:
        if isinstance(task, WarmUp):
            _worker_context()
            continue
        part = _suite_part(task.suite, task.id_columns)
        frame = task.frame if task.read is None else read_chunk(task.read)
        assert frame is not None  # a task has its frame or names its rows
        validator = Validator(
            batch_definition=part.batch_definition,
            batch_parameters={"dataframe": _widened(frame, part.widen).to_pandas()},
            result_format=part.result_format,
        )
        # Any: GX's result types are only partly annotated
        run: Any = validator.validate_expectation_suite(part.suite, task.parameters)
        run_id = RunIdentifier(run_time=datetime.now(UTC))
        run.meta.update(
            run_id=run_id,
            validation_time=run_id.run_time,
            batch_parameters={"dataframe": DATAFRAME_REPLACEMENT_STR},
        )
        expectations = task.suite["expectations"]
        spec_of = [expectations[part.positions[str(i.expectation_config.id)]] for i in run.results]
        result = run.to_json_dict()
        for item, expectation in zip(result["results"], spec_of, strict=True):
            if gate_unit(expectation) and item.get("result") is not None:
                unexpected = int(item["result"].get("unexpected_count") or 0)
                item["result"].update(unit_counts(frame, expectation, unexpected))
        key = {
            "run_name": run_id.run_name,
            "run_time": run_id.run_time.isoformat(),
            "batch_identifier": validator.active_batch_id,
        }
        out.append(ChunkResult(task.table, task.whole, result, [e["id"] for e in spec_of], key))
        del frame, validator, run
        _forget_loaded_batches()
        release_freed_memory()
    return out


def _forget_loaded_batches() -> None:
    """Drop the batches GX's execution engine holds once a chunk is validated.

    The pandas data source makes one execution engine per process, and the engine keeps the
    last batch of every asset it loaded (the chunk's DataFrame, texts and all) until a batch of
    the same asset replaces it: a worker held one chunk per suite part it had validated, and
    its memory rose table after table (10k pages, 2 workers: each worker ~265 MB after its
    first chunk, ~570 MB by the sentences; with this ~490 MB, validate's peak PSS 1.13 ->
    0.92 GB). Every validation loads its own chunk, so nothing reads the dropped ones."""
    manager = _WORKER["source"].get_execution_engine().batch_manager
    manager.reset_batch_cache()
    manager.batch_data_cache.clear()


def release_freed_memory() -> None:
    """Hand the memory a chunk freed back to the system: Arrow's pool (the Parquet reads and
    pandas' Arrow strings) and the C heap (pandas' and GX's Python objects) keep freed pages for
    reuse, and the next chunk's peak stacked on them (in-process at 1k documents, RSS between
    chunks ~50-100 MB lower, the peak ~25 MB). Only memory already freed is given back."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _libc() -> Any:
    """glibc, for ``malloc_trim`` (None elsewhere: musl, macOS)."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


_LIBC = _libc()
