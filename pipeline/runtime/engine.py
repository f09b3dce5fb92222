"""Run a per-document function over batches of rows on every core, or on Ray.

The work of the document stages is a pure function of one row (see ``extract_document``,
``clean_document``, ...). This module only decides where it runs:

- ``local``: a pebble process pool (CPU-bound work needs processes), a bounded window of
  batches in flight so memory does not grow with the corpus, results in input order;
- ``ray``: the same functions as Ray Data ``map_batches`` tasks, order preserved, on a local
  Ray or a cluster (``ray_address``), whose nodes get this package through Ray's
  ``runtime_env`` and are sent the data itself, never a path (:func:`tasks_carry_data`).

Either way the output equals a single-worker run, row for row.

Per-document time limits: a soft limit (SIGALRM inside the worker) stops a runaway document and
reports it; a hard limit kills a batch whose worker is stuck in C code, and the batch is then
retried one document at a time, so only the culprit is lost (and quarantined).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, TypeVar

from pipeline.config import EngineParams
from pipeline.runtime.commands import stage_command
from pipeline.runtime.protocol import TimedOut

Row = dict[str, Any]
BatchFunction = Callable[[list[Row]], Sequence[Row | TimedOut]]  # an outcome per row, in order
ItemT = TypeVar("ItemT")  # what a batch function is given: rows, or items naming rows
ResultT = TypeVar("ResultT")  # what it returns for them


@dataclass(frozen=True)
class EngineConfig:
    """The ``engine:`` section of params.yaml, as the engine runs it (``max_seconds_per_doc``
    0 = no limit, which only code sets: params.yaml's is checked to be > 0)."""

    name: str = "local"  # local | ray | serial (in-process, for debugging)
    workers: int = 0  # 0 = every core
    batch_size: int = 128
    ray_address: str | None = None  # None = a local Ray; a cluster head, e.g. "10.0.0.5:6379"
    max_seconds_per_doc: float = 30.0

    @classmethod
    def from_params(cls, params: EngineParams) -> EngineConfig:
        return cls(**params.model_dump())

    @property
    def n_workers(self) -> int:
        return self.workers if self.workers > 0 else max(1, os.cpu_count() or 1)


class DocumentTimeout(Exception):
    """Raised inside a worker when one document exceeds its time budget."""


def _raise_timeout(signum: int, frame: Any) -> None:
    raise DocumentTimeout


@dataclass(frozen=True)
class PerDocument:
    """A batch function applying ``fn`` to each row under a soft time limit (picklable)."""

    fn: Callable[[Row], Row]
    seconds: float

    def one(self, row: Row) -> Row | TimedOut:
        if self.seconds <= 0 or threading.current_thread() is not threading.main_thread():
            return self.fn(row)
        previous = signal.signal(signal.SIGALRM, _raise_timeout)
        # The timer is armed and disarmed inside the handled block: a budget of a microsecond
        # can fire before the call returns or while it is being disarmed.
        try:
            try:
                signal.setitimer(signal.ITIMER_REAL, self.seconds)
                return self.fn(row)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except DocumentTimeout:
            return TimedOut(row, self.seconds)
        finally:
            signal.signal(signal.SIGALRM, previous)

    def __call__(self, rows: list[Row]) -> list[Row | TimedOut]:
        return [self.one(row) for row in rows]


def batched(rows: Iterable[ItemT], size: int) -> Iterator[list[ItemT]]:
    batch: list[ItemT] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _hard_limit(cfg: EngineConfig) -> float | None:
    # Leaves the soft limit room to fire first; only a worker stuck in C code reaches it.
    return cfg.max_seconds_per_doc * 2 + 5 if cfg.max_seconds_per_doc > 0 else None


Explode = Callable[[ItemT], Sequence[ItemT]]  # an item for several documents -> their rows
Weigh = Callable[[ItemT], int]  # how many documents an item stands for


def one_item(row: ItemT) -> list[ItemT]:
    return [row]


def one_document(row: object) -> int:
    return 1


@contextlib.contextmanager
def _worker_threads(workers: int) -> Iterator[None]:
    """Polars threads per worker process: the cores shared out. Workers that each start a
    thread per core, all busy at once, cost ~1-2 s more CPU in validate alone at 10k documents.
    Set in the environment the spawned workers (or their fork server) inherit; the driver's own
    pool is sized first, so its work after the engine (sorting, writing) keeps every core."""
    if "polars" in sys.modules:
        sys.modules["polars"].thread_pool_size()
    if "POLARS_MAX_THREADS" in os.environ:
        yield
        return
    os.environ["POLARS_MAX_THREADS"] = str(max(1, (os.cpu_count() or 1) // workers))
    try:
        yield
    finally:
        os.environ.pop("POLARS_MAX_THREADS", None)


# What every stage's workers run besides the stage's own modules: the runtime, params, the CLI.
RUNTIME_PRELOAD = ("pipeline.runtime.runner", "pipeline.runtime.cli", "pipeline.config", "typer")
# Imported after them: freezes what the fork server imported (see the module).
FREEZE_PRELOAD = "pipeline.runtime.frozen"


# Polars' allocator (jemalloc) reads its options from this variable, once, when it starts.
POLARS_ALLOCATOR_OPTIONS = "_RJEM_MALLOC_CONF"
# Pages a query frees go back to the system at once, instead of after jemalloc's default ~10 s
# decay, during which the next queries' pages stack on them.
RETURN_FREED_PAGES = "dirty_decay_ms:0,muzzy_decay_ms:0"
# Arrow's default memory pool (mimalloc, bundled with pyarrow) reads this one when pyarrow
# loads. At "0" a page freed goes back to the system at once. By default mimalloc keeps it
# until the thread that owns it allocates again. The Parquet readers' threads rarely do, so a
# process kept most of what its reads ever held: one pass of the validate stage's driver over
# 100k pages' sentences (50k rows at a time) ended at 186 MB RSS with it kept, 105 MB without.
ARROW_ALLOCATOR_PURGE_DELAY = "MIMALLOC_PURGE_DELAY"
RETURN_FREED_ARROW_PAGES = "0"
# The stages that trade CPU for it. Measured at 100k varied pages (2 workers, peak PSS of the
# stage's processes sampled every 0.1 s): validate 1.12 -> 1.03 GB with jemalloc's option
# (its workers ~150 MB less each, for ~0.1 ms CPU per page more; 10k: 2.2 -> 2.3 ms), then
# 1.01-1.04 -> 0.88-0.94 GB with mimalloc's too (three runs each), for ~0.2 ms CPU per page
# more (validate alone, same inputs: 263 -> 284 s). With jemalloc's option the corpus stage
# would spend ~0.25 ms a page (7 %) for a peak already under 1 GB, clean nothing for nothing
# (mimalloc's was not measured there): they keep the allocators' defaults, as does a value a
# researcher sets in the environment.
RETURN_FREED_PAGES_STAGES = frozenset({"validate"})


def return_freed_pages_at_once(argv: Sequence[str]) -> bool:
    """Under ``python -m pipeline.<stage>`` for a stage of :data:`RETURN_FREED_PAGES_STAGES`:
    make Polars and Arrow hand the memory they free back to the system at once
    (:data:`RETURN_FREED_PAGES`, :data:`RETURN_FREED_ARROW_PAGES`), in the stage and in every
    process it starts (the fork server and workers inherit it). To be called before Polars or
    pyarrow is imported; a value already set in the environment is kept. Returns whether it
    applies to this command."""
    command = stage_command(argv)
    if command is None or command.stage not in RETURN_FREED_PAGES_STAGES:
        return False
    os.environ.setdefault(POLARS_ALLOCATOR_OPTIONS, RETURN_FREED_PAGES)
    os.environ.setdefault(ARROW_ALLOCATOR_PURGE_DELAY, RETURN_FREED_ARROW_PAGES)
    return True


def process_context(preload: Sequence[str] = ()) -> Any:
    """How local worker processes start. Spawned, not forked: a forked child deadlocks on the
    parent's Polars thread pool. Given ``preload`` (the stage's modules, ~0.4 s CPU to import;
    GX, ~3 s), a fork server, itself a new process that never ran Polars, imports them once,
    with the runtime's (:data:`RUNTIME_PRELOAD`), and forks each worker from it, so N workers
    cost one import, not N; the server then freezes what it imported (:data:`FREEZE_PRELOAD`),
    so the workers' garbage collections leave those pages shared. A process has one fork
    server: the first ``preload`` given is the one it keeps (a stage runs one kind of worker)."""
    if preload and "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        modules = list(dict.fromkeys([*RUNTIME_PRELOAD, *preload, FREEZE_PRELOAD]))
        context.set_forkserver_preload(modules)  # no effect once the server runs
        return context
    return multiprocessing.get_context("spawn")


def stage_of_command(argv: Sequence[str]) -> str | None:
    """The stage a command line runs (``python -m pipeline.<stage> ...``) if its work fans out
    to local workers (its module declares a ``WORKER_PRELOAD``), else None."""
    command = stage_command(argv)
    return command.stage if command is not None and command.preload else None


def prestart_fork_server(argv: Sequence[str], params_file: str = "params.yaml") -> str | None:
    """Under ``python -m pipeline.<stage>`` on the local engine, start the stage's fork server
    at once, so it imports what the stage declares its workers use (``WORKER_PRELOAD``) while
    the driver imports its own modules, instead of after (each is ~0.4 s CPU; validate's fork
    server ~3 s). The stage module itself is not preloaded: each worker runs it as its
    ``__mp_main__``, which warns when the module was imported already. Returns the stage it
    started the server for, or None (another command, another engine, a stage whose own section
    sets ``workers: 0``, i.e. runs its work in-process, no fork server on this platform)."""
    command = stage_command(argv)
    if (
        not (command and command.preload)
        or "forkserver" not in multiprocessing.get_all_start_methods()
    ):
        return None
    import yaml

    try:
        with open(params_file, encoding="utf-8") as fh:
            params = yaml.safe_load(fh) or {}
        cfg = EngineConfig.from_params(EngineParams.model_validate(params.get("engine") or {}))
        in_process = (params.get(command.stage) or {}).get("workers") == 0
    except (OSError, yaml.YAMLError, AttributeError, ValueError):
        return None  # the stage reports what is wrong with the params (all of them), first thing
    workers = cfg.n_workers
    if cfg.name != "local" or in_process:
        return None
    from multiprocessing import forkserver

    process_context(command.preload)
    with _worker_threads(workers):
        forkserver.ensure_running()
    return command.stage


def stop_fork_server() -> None:
    """Stop this process's fork server, if it started one. For a stage whose work on the engine
    is done while its driver goes on alone: the server holds what it preloaded for the workers
    (the corpus stage's language model and libraries: ~220 MB of PSS), which would otherwise
    stay beside the driver's own peak (10k pages: the corpus stage's PSS after its passes
    ~0.90 -> ~0.66 GB). A later pool starts a new server. ``ForkServer._stop`` is the standard
    library's own (Python 3.11; its tests use it): it closes the server's pipe and waits for the
    server to exit."""
    from multiprocessing import forkserver

    server = forkserver._forkserver
    if getattr(server, "_forkserver_pid", None) is not None:
        server._stop()  # type: ignore[attr-defined]  # not in typeshed


def run_in_child(fn: Callable[..., None], *args: Any, preload: Sequence[str] = ()) -> None:
    """``fn(*args)`` in a child process started as the workers are (forked from the fork server
    that already imported ``preload``); raises if it fails."""
    child = process_context(preload).Process(target=fn, args=args)
    child.start()
    child.join()
    if child.exitcode != 0:
        name = getattr(fn, "__name__", repr(fn))
        raise RuntimeError(f"{name} failed in a child process (exit code {child.exitcode})")


def _local(
    fn: Callable[[list[ItemT]], Sequence[ResultT]],
    batches: Iterable[list[ItemT]],
    cfg: EngineConfig,
    explode: Explode[ItemT] = one_item,
    weigh: Weigh[ItemT] = one_document,
    preload: Sequence[str] = (),
) -> Iterator[list[ResultT | TimedOut]]:
    from pebble import ProcessPool

    hard = _hard_limit(cfg)
    window = 2 * cfg.n_workers  # batches in flight: bounds the driver's memory
    with (
        _worker_threads(cfg.n_workers),
        ProcessPool(max_workers=cfg.n_workers, context=process_context(preload)) as pool,
    ):
        pending: deque[tuple[list[ItemT], Any]] = deque()

        def collect() -> list[ResultT | TimedOut]:
            batch, future = pending.popleft()
            try:
                result: list[ResultT | TimedOut] = future.result()
                return result
            except FutureTimeout:
                # Retry one document at a time so only the stuck one is lost.
                return [_alone(pool, fn, row, hard) for item in batch for row in explode(item)]

        for batch in batches:
            timeout = hard * sum(weigh(item) for item in batch) if hard else None
            pending.append((batch, pool.schedule(fn, args=(batch,), timeout=timeout)))
            while len(pending) >= window:
                yield collect()
        while pending:
            yield collect()


def _alone(
    pool: Any, fn: Callable[[list[ItemT]], Sequence[ResultT]], row: ItemT, hard: float | None
) -> ResultT | TimedOut:
    future = pool.schedule(fn, args=([row],), timeout=hard)
    try:
        (result,) = future.result()
        outcome: ResultT | TimedOut = result
        return outcome
    except FutureTimeout:
        assert hard is not None  # only a hard limit times a future out
        return TimedOut(row, hard)


def _serial(
    fn: Callable[[list[ItemT]], Sequence[ResultT]], batches: Iterable[list[ItemT]]
) -> Iterator[list[ResultT | TimedOut]]:
    for batch in batches:
        yield list(fn(batch))


def tasks_carry_data(cfg: EngineConfig) -> bool:
    """Whether what the engine's tasks are given must carry its data, not name the driver's
    files: on Ray the workers may be other machines, which see neither the driver's working
    tree nor its temporary files. The local pool's workers read the files themselves
    (faster: the data never passes through the driver)."""
    return cfg.name == "ray"


def ray_runtime_env() -> dict[str, Any]:
    """What a Ray cluster's workers are given to run the pipeline: this package's own folder
    (its code and data files), uploaded by Ray. Third-party packages must be installed on the
    nodes: shipping them would cost each worker minutes."""
    import pipeline

    package = os.path.dirname(os.path.abspath(pipeline.__file__))
    return {"py_modules": [package], "excludes": ["__pycache__", "*.pyc"]}


@dataclass(frozen=True)
class _RayTask:
    """Rows travel pickled so Ray's Arrow blocks never coerce their Python values."""

    fn: Callable[[list[Any]], Sequence[Any]]

    def __call__(self, block: dict[str, Any]) -> dict[str, Any]:
        results = [pickle.dumps(self.fn(pickle.loads(data))) for data in block["payload"]]
        return {"payload": results}


def _ray(
    fn: Callable[[list[ItemT]], Sequence[ResultT]],
    batches: Iterable[list[ItemT]],
    cfg: EngineConfig,
) -> Iterator[list[ResultT | TimedOut]]:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    if not ray.is_initialized():
        ray.init(
            address=cfg.ray_address,
            num_cpus=None if cfg.ray_address else cfg.n_workers,
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.ERROR,
            runtime_env=ray_runtime_env() if cfg.ray_address else None,
        )
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    # the runner draws the stage's progress: Ray's notice that its own bars are off is noise
    logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)
    task = _RayTask(fn)
    # Batches in flight: enough to keep every CPU of the cluster busy (not of this machine,
    # which may only run the driver), few enough to bound the driver's memory.
    cpus = ray.cluster_resources().get("CPU", 0)  # type: ignore[no-untyped-call]
    in_flight = 4 * max(1, int(cpus))
    window: list[list[ItemT]] = []
    for batch in batches:
        window.append(batch)
        if len(window) >= in_flight:
            yield from _ray_window(ray, task, window)
            window = []
    if window:
        yield from _ray_window(ray, task, window)


def _ray_window(ray: Any, task: _RayTask, window: list[list[Any]]) -> Iterator[list[Any]]:
    items = [{"payload": pickle.dumps(batch)} for batch in window]
    dataset = ray.data.from_items(items, override_num_blocks=len(items))
    for item in dataset.map_batches(task, batch_size=1, batch_format="default").iter_rows():
        rows: list[Any] = pickle.loads(item["payload"])
        yield rows


def map_batches(
    fn: Callable[[list[ItemT]], Sequence[ResultT]],
    rows: Iterable[ItemT],
    cfg: EngineConfig,
    explode: Explode[ItemT] = one_item,
    weigh: Weigh[ItemT] = one_document,
    preload: Sequence[str] = (),
) -> Iterator[list[ResultT | TimedOut]]:
    """``fn`` over ``rows`` in batches of ``cfg.batch_size``; batches come back in input order,
    an item that overran its time limit as its :class:`TimedOut` outcome.

    An item may stand for several documents (e.g. "rows 0-63 of this Parquet file", read by
    the worker): ``weigh`` says how many, for the hard time limit, and ``explode`` gives its
    documents' rows, for the one-at-a-time retry after a hard timeout. ``preload``: modules
    the local workers import once, in their fork server (see :func:`process_context`)."""
    batches = batched(rows, cfg.batch_size)
    if cfg.name == "local":
        return _local(fn, batches, cfg, explode, weigh, preload)
    if cfg.name == "ray":
        return _ray(fn, batches, cfg)
    if cfg.name == "serial":
        return _serial(fn, batches)
    raise ValueError(f"engine.name must be local, ray or serial, not {cfg.name!r}")
