"""The execution engine: same rows on every engine, time limits, order, streaming writes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from pipeline import schema
from pipeline.runtime.commands import declared_stage
from pipeline.runtime.engine import (
    ARROW_ALLOCATOR_PURGE_DELAY,
    POLARS_ALLOCATOR_OPTIONS,
    RETURN_FREED_ARROW_PAGES,
    RETURN_FREED_PAGES,
    EngineConfig,
    PerDocument,
    batched,
    map_batches,
    return_freed_pages_at_once,
    run_in_child,
    stage_of_command,
)
from pipeline.runtime.protocol import ArrowRow, Packed, TimedOut
from pipeline.runtime.sink import ParquetSink, to_arrow
from pipeline.runtime.transport import PackRows, arrow_payload, read_payload, unpack
from pipeline.schema import INGESTED
from tests.dvcrepo import ROOT

Row = dict[str, Any]


def square(row: Row) -> Row:
    return {"i": row["i"], "square": row["i"] ** 2}


def spin_forever(row: Row) -> Row:
    while row["i"] == 3:  # a Python-level hang: the soft limit stops it
        pass
    return square(row)


def backtrack(row: Row) -> Row:
    # Catastrophic backtracking runs inside C and ignores signals: only a kill stops it.
    if row["i"] == 2:
        re.match(r"(a+)+$", "a" * 64 + "b")
    return square(row)


def already_imported(rows: list[Row]) -> list[Row]:
    return [{**row, "imported": row["module"] in sys.modules} for row in rows]


def exit_with(code: int) -> None:
    raise SystemExit(code)


def record_worker_view(path: str) -> None:
    """Run in a worker: what it inherited (Polars threads) and what it has imported."""
    view = {
        "threads": os.environ.get("POLARS_MAX_THREADS"),
        "segment": "pipeline.text.sentences" in sys.modules,
        "stage_module": "pipeline.segment" in sys.modules,
    }
    Path(path).write_text(json.dumps(view))


def _run(fn: Any, n: int, **cfg: Any) -> list[Row | TimedOut]:
    config = EngineConfig(**cfg)
    rows = ({"i": i} for i in range(n))
    return [row for batch in map_batches(fn, rows, config) for row in batch]


def test_batched_keeps_every_row_in_order() -> None:
    batches = list(batched(({"i": i} for i in range(7)), 3))
    assert [len(b) for b in batches] == [3, 3, 1]
    assert [r["i"] for b in batches for r in b] == list(range(7))


@pytest.mark.parametrize("name,workers", [("serial", 1), ("local", 1), ("local", 2)])
def test_engines_return_the_same_rows_in_order(name: str, workers: int) -> None:
    fn = PerDocument(square, 5)
    assert _run(fn, 50, name=name, workers=workers, batch_size=7) == [
        {"i": i, "square": i * i} for i in range(50)
    ]


def test_soft_limit_marks_only_the_slow_document() -> None:
    out = _run(PerDocument(spin_forever, 0.3), 6, name="local", workers=2, batch_size=4)
    assert [isinstance(r, TimedOut) for r in out] == [i == 3 for i in range(6)]
    assert [r.get("square") for r in out if not isinstance(r, TimedOut)] == [0, 1, 4, 16, 25]


def test_a_budget_of_a_microsecond_marks_documents_and_never_escapes() -> None:
    # engine.max_seconds_per_doc at its smallest allowed value: the timer fires at once, while
    # it is armed or disarmed as often as inside the function; every row must come back marked.
    out = _run(PerDocument(square, 1e-6), 200, name="serial", batch_size=200)
    assert [r.item["i"] if isinstance(r, TimedOut) else r["i"] for r in out] == list(range(200))
    assert all(isinstance(r, TimedOut) or r.get("square") == r["i"] ** 2 for r in out)


def test_hard_limit_kills_a_worker_stuck_in_c_code() -> None:
    out = _run(
        PerDocument(backtrack, 0.2),
        5,
        name="local",
        workers=2,
        batch_size=3,
        max_seconds_per_doc=0.2,
    )
    assert [isinstance(r, TimedOut) for r in out] == [i == 2 for i in range(5)]
    assert out[4] == {"i": 4, "square": 16}


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match=r"engine\.name"):
        _run(PerDocument(square, 1), 1, name="spark")


def test_sink_bytes_do_not_depend_on_how_rows_arrive(tmp_path: Path) -> None:
    rows = [
        {"source_path": f"{i:04d}.html"}  # inventory: one column, many row groups
        for i in range(50_000)
    ]
    written = []
    for chunk in (1, 777, 50_000):
        path = tmp_path / f"inventory_{chunk}.parquet"
        with ParquetSink(path, "inventory") as sink:
            for start in range(0, len(rows), chunk):
                sink.write(rows[start : start + chunk])
        written.append(path.read_bytes())
        assert pl.read_parquet(path).to_dicts() == rows
    assert written[0] == written[1] == written[2]


def test_sink_writes_an_empty_table_with_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "cleaned.parquet"
    with ParquetSink(path, "cleaned"):
        pass
    frame = pl.read_parquet(path)
    assert frame.height == 0 and frame.schema == pl.Schema(schema.CLEANED)


def test_sink_leaves_no_file_when_the_stage_fails(tmp_path: Path) -> None:
    path = tmp_path / "inventory.parquet"
    with pytest.raises(RuntimeError), ParquetSink(path, "inventory") as sink:
        sink.write([{"source_path": "a"}])
        raise RuntimeError("stage failed")
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def _ingested_rows(n: int) -> list[Row]:
    when = datetime(2024, 3, 5, 6, 7, 8, tzinfo=UTC)
    return [
        {
            "doc_id": f"{i:016x}",
            "source_path": f"{i:04d}.html",
            "size_bytes": i,
            "fetched_at": when if i % 3 else None,
            "raw_text": None if i == 5 else f"<p>page {i}</p>" * (i % 50),
        }
        for i in range(n)
    ]


def test_sink_bytes_are_the_same_for_arrow_pieces_and_rows(tmp_path: Path) -> None:
    rows = _ingested_rows(300)  # ingested: 64 rows per group, so pieces straddle groups
    plain = tmp_path / "plain.parquet"
    with ParquetSink(plain, "ingested") as sink:
        sink.write(rows)
    mixed = tmp_path / "mixed.parquet"
    with ParquetSink(mixed, "ingested") as sink:
        sink.write(rows[:10])
        sink.write_arrow(
            to_arrow({n: [r.get(n) for r in rows[10:100]] for n in INGESTED}, "ingested")
        )
        # light rows pointing into a worker's table, one plain row between them
        table = read_payload(
            arrow_payload(
                to_arrow({n: [r.get(n) for r in rows[100:250]] for n in INGESTED}, "ingested")
            )
        )
        refs = [ArrowRow(table, i) for i in range(150)]
        sink.write([*refs[:70], rows[170], *refs[71:]])
        sink.write(rows[250:])
    assert mixed.read_bytes() == plain.read_bytes()


def test_packed_rows_come_back_in_order_without_their_page(tmp_path: Path) -> None:
    rows = _ingested_rows(20)

    def keep_even(batch: list[Row]) -> list[Row]:
        return [{**r, "reason": None if r["size_bytes"] % 2 == 0 else "too_short"} for r in batch]

    packed = PackRows(keep_even, "ingested")(rows)
    (result,) = packed
    assert isinstance(result, Packed)
    light = [r for r in result.rows if isinstance(r, dict) and r["reason"] is None]
    assert light and all("raw_text" not in r for r in light)
    back = [r for r in unpack(packed)[0] if not isinstance(r, TimedOut)]
    values = [r.values if isinstance(r, ArrowRow) else r for r in back]
    assert [r["source_path"] for r in values] == [r["source_path"] for r in rows]
    path = tmp_path / "kept.parquet"
    with ParquetSink(path, "ingested") as sink:
        sink.write([r for r, v in zip(back, values, strict=True) if v["reason"] is None])
    kept = pl.read_parquet(path)
    assert kept["raw_text"].to_list() == [r["raw_text"] for r in rows if r["size_bytes"] % 2 == 0]


def test_spilled_payload_is_read_and_removed(tmp_path: Path) -> None:
    rows = _ingested_rows(10)
    packed = PackRows(
        lambda batch: [{**r, "reason": None} for r in batch], "ingested", str(tmp_path)
    )
    result = packed(rows)
    assert len(list(tmp_path.iterdir())) == 1  # the pages are in the file, not the result
    back, _ = unpack(result)
    texts = [r.table["raw_text"][r.index].as_py() for r in back if isinstance(r, ArrowRow)]
    assert texts == [r["raw_text"] for r in rows]
    assert list(tmp_path.iterdir()) == []


def test_payload_falls_back_to_bytes_when_the_spill_directory_fails(tmp_path: Path) -> None:
    rows = _ingested_rows(4)
    missing = tmp_path / "gone"  # writing there fails as a full /dev/shm would
    packed = PackRows(
        lambda batch: [{**r, "reason": None} for r in batch], "ingested", str(missing)
    )
    result = packed(rows)
    assert isinstance(result[0], Packed) and isinstance(result[0].payload, bytes)
    back, _ = unpack(result)
    texts = [r.table["raw_text"][r.index].as_py() for r in back if isinstance(r, ArrowRow)]
    assert texts == [r["raw_text"] for r in rows]


PRELOAD_PROBE = """
import sys
from pipeline.runtime.engine import EngineConfig, map_batches
from tests.runtime.test_engine import already_imported

cfg = EngineConfig(name="local", workers=1, batch_size=2, max_seconds_per_doc=0)
rows = [{"module": "xml.dom.minidom"}, {"module": "json"}]
preload = tuple(sys.argv[1:])
(done,) = list(map_batches(already_imported, rows, cfg, preload=preload))
print([row["imported"] for row in done])
"""


@pytest.mark.parametrize("preload", [[], ["xml.dom.minidom"]])
def test_workers_start_with_the_preloaded_modules_only(preload: list[str]) -> None:
    """Preloaded modules are imported before the worker runs anything (by the fork server it
    is forked from); without, a spawned worker imports only what the task needs. In a new
    interpreter: a process has one fork server, whose preload list is the first one given."""
    probe = [sys.executable, "-c", PRELOAD_PROBE, *preload]
    done = subprocess.run(probe, cwd=ROOT, capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.strip() == str([bool(preload), True])


STAGE_PRELOAD_PROBE = """
from pipeline.clean import WORKER_PRELOAD
from pipeline.runtime.engine import EngineConfig
from pipeline.runtime.runner import _computed_batches
from tests.runtime.test_engine import already_imported

cfg = EngineConfig(name="local", workers=2, batch_size=1, max_seconds_per_doc=0)
rows = [{"module": "pipeline.text.cleaning"}, {"module": "pipeline.text.sentences"}]
batches = _computed_batches(already_imported, rows, cfg, None, WORKER_PRELOAD)
print([row["imported"] for batch, _, _ in batches for row in batch])
"""


def test_a_stages_workers_start_with_its_module_imported() -> None:
    """A document stage's workers are forked from a server that imported the modules the stage
    declares (``WORKER_PRELOAD``: its logic, and not another stage's), so N workers cost one
    import."""
    probe = [sys.executable, "-c", STAGE_PRELOAD_PROBE]
    done = subprocess.run(probe, cwd=ROOT, capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.strip() == str([True, False])


PRESTART_PROBE = """
import json, os, sys
import psutil
from pipeline.runtime.engine import prestart_fork_server, run_in_child
from pipeline.runtime.commands import declared_stage
from tests.runtime.test_engine import record_worker_view

params, out = sys.argv[1:]
stage = prestart_fork_server(["python", "-m", "pipeline.segment", "--help"], params)
server = [p.cmdline() for p in psutil.Process().children()]
leaked = os.environ.get("POLARS_MAX_THREADS")
preload = declared_stage("pipeline.segment").preload
run_in_child(record_worker_view, out, preload=preload)
print(json.dumps({"stage": stage, "server": bool(server), "leaked": leaked,
                  **json.loads(open(out).read())}))
"""


@pytest.mark.parametrize("engine", ["local", "ray"])
def test_a_stage_command_starts_its_fork_server_before_the_stage_imports(
    engine: str, tmp_path: Path
) -> None:
    """``python -m pipeline.<stage>`` on the local engine starts the workers' fork server as the
    package is imported: it preloads what the stage module declares (its logic, not the module
    itself, which each worker runs as its main module: preloaded, it warns), and the workers
    forked from it get the Polars thread share the engine would give them, while the driver's
    environment is left as it was (its own Polars pool keeps every core). Another engine starts
    nothing early."""
    params = tmp_path / "params.yaml"
    params.write_text(f"engine:\n  name: {engine}\n  workers: 2\n")
    probe = [sys.executable, "-c", PRESTART_PROBE, str(params), str(tmp_path / "view.json")]
    done = subprocess.run(probe, cwd=ROOT, capture_output=True, text=True, check=True, timeout=120)
    view = json.loads(done.stdout)
    early = engine == "local"
    share = str(max(1, (os.cpu_count() or 1) // 2))
    assert view == {
        "stage": "segment" if early else None,
        "server": early,
        "leaked": None,
        "threads": share if early else None,
        "segment": True,
        "stage_module": False,
    }


@pytest.mark.parametrize(
    ("argv", "stage"),
    [
        (["python", "-m", "pipeline.extract"], "extract"),
        (["/venv/bin/python", "-X", "importtime", "-m", "pipeline.validate", "--help"], "validate"),
        (["python", "-m", "pipeline.report"], None),  # no workers
        (["python", "-m", "pytest", "tests"], None),
        (["python", "-c", "import pipeline.extract"], None),
    ],
)
def test_only_a_fan_out_stage_command_is_recognised(argv: list[str], stage: str | None) -> None:
    assert stage_of_command(argv) == stage


STOP_PROBE = """
import json
import psutil
from pipeline.runtime.engine import EngineConfig, map_batches, stop_fork_server
from tests.runtime.test_engine import already_imported

cfg = EngineConfig(name="local", workers=1, batch_size=1, max_seconds_per_doc=0)
rows = [{"module": "json"}]

def servers():
    return [p.pid for p in psutil.Process().children() if "forkserver" in " ".join(p.cmdline())]

def imported():
    done = map_batches(already_imported, rows, cfg, preload=("json",))
    return [row["imported"] for batch in done for row in batch]

stop_fork_server()  # none yet: nothing to do
first = imported()
before = servers()
stop_fork_server()
after = servers()
gone = [not psutil.pid_exists(pid) for pid in before]
again = imported()
print(json.dumps({"before": len(before), "after": len(after), "gone": gone, "again": again,
                  "first": first, "restarted": len(servers())}))
"""


def test_a_stopped_fork_server_exits_and_a_later_pool_starts_another() -> None:
    """``stop_fork_server`` ends the server (and what it preloaded) once a stage's workers are
    done; a pool started after it gets a new one, whose workers have the preload again."""
    probe = [sys.executable, "-c", STOP_PROBE]
    done = subprocess.run(probe, cwd=ROOT, capture_output=True, text=True, check=True, timeout=120)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {
        "before": 1,
        "after": 0,
        "gone": [True],
        "again": [True],
        "first": [True],
        "restarted": 1,
    }


def test_the_validate_stage_makes_polars_and_arrow_return_freed_pages_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under ``python -m pipeline.validate`` Polars' allocator and Arrow's get the options to
    hand freed pages back at once (the fork server and workers inherit them); a value already
    set stays, and other stages and commands are left alone."""
    monkeypatch.delenv(POLARS_ALLOCATOR_OPTIONS, raising=False)
    monkeypatch.delenv(ARROW_ALLOCATOR_PURGE_DELAY, raising=False)
    assert not return_freed_pages_at_once(["python", "-c", "pass"])
    assert not return_freed_pages_at_once(["python", "-m", "pipeline.clean"])
    assert POLARS_ALLOCATOR_OPTIONS not in os.environ
    assert ARROW_ALLOCATOR_PURGE_DELAY not in os.environ
    assert return_freed_pages_at_once(["python", "-m", "pipeline.validate"])
    assert os.environ[POLARS_ALLOCATOR_OPTIONS] == RETURN_FREED_PAGES
    assert os.environ[ARROW_ALLOCATOR_PURGE_DELAY] == RETURN_FREED_ARROW_PAGES
    monkeypatch.setenv(POLARS_ALLOCATOR_OPTIONS, "dirty_decay_ms:5000")
    monkeypatch.setenv(ARROW_ALLOCATOR_PURGE_DELAY, "250")
    assert return_freed_pages_at_once(["python", "-m", "pipeline.validate"])
    assert os.environ[POLARS_ALLOCATOR_OPTIONS] == "dirty_decay_ms:5000"
    assert os.environ[ARROW_ALLOCATOR_PURGE_DELAY] == "250"


def test_the_package_imports_neither_polars_nor_pyarrow_before_its_stage_setup() -> None:
    """jemalloc and mimalloc read their options once, when Polars or pyarrow starts them: the
    package must set them before anything it imports brings either in."""
    probe = [
        sys.executable,
        "-c",
        "import sys, pipeline; print('polars' in sys.modules, 'pyarrow' in sys.modules)",
    ]
    done = subprocess.run(probe, cwd=ROOT, capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "False False"


def test_arrow_reads_the_purge_option_of_its_allocator() -> None:
    """The variable is the one Arrow's bundled mimalloc reads: with verbose output on, the
    allocator prints the option's value when pyarrow starts it."""
    probe = [sys.executable, "-c", "import pyarrow as pa; pa.default_memory_pool()"]
    env = {**os.environ, ARROW_ALLOCATOR_PURGE_DELAY: "0", "MIMALLOC_VERBOSE": "1"}
    done = subprocess.run(probe, capture_output=True, text=True, env=env, timeout=60)
    assert re.search(r"option 'purge_delay': 0\b", done.stderr), done.stderr[-2000:]


def test_run_in_child_raises_when_the_child_fails() -> None:
    run_in_child(exit_with, 0, preload=("json",))
    with pytest.raises(RuntimeError, match="exit code 3"):
        run_in_child(exit_with, 3, preload=("json",))


def test_every_stage_declares_itself_and_what_its_workers_preload() -> None:
    """The engine knows no stage: each stage module of ``dvc.yaml`` declares its ``STAGE``, and
    a stage whose work fans out its workers' ``WORKER_PRELOAD``, which names importable
    modules and never the stage module itself (each worker runs that as its main module)."""
    import importlib.util

    import yaml

    commands = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    for name, stage in commands.items():
        if "foreach" in stage:  # input_url: one stage per remote input, running no Python
            assert " -m " not in stage["do"]["cmd"]
            continue
        module = stage["cmd"].split(" -m ")[1].split()[0]
        declared = declared_stage(module)
        assert declared is not None and declared.stage == name
        assert module not in declared.preload
        assert all(importlib.util.find_spec(m) is not None for m in declared.preload)
    assert declared_stage("pipeline.publish.load") is None
    assert declared_stage("pipeline.schema") is None
