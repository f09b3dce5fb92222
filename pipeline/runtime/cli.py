"""A stage's command line (:func:`stage_main`, run by :func:`pipeline.runtime.stats.run_cli`),
declared once by the stage: the files it reads and writes (each may be replaced with
``--path NAME=FILE``), params.yaml read and checked whole before any input is read, the engine,
and the stage's stats written when its work ends (see
:func:`pipeline.runtime.stats.timed_stage`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import typer

from pipeline.config import Params, read_params
from pipeline.outputs import OUTPUTS
from pipeline.runtime.engine import EngineConfig
from pipeline.runtime.stats import StageStats, timed_stage


@dataclass(frozen=True)
class StageRun:
    """What a stage's work is given: its name, the checked params (the whole file), its engine,
    its files by name, the stats it fills in, and what its local workers import once (its
    ``WORKER_PRELOAD``, see :func:`pipeline.runtime.engine.process_context`)."""

    stage: str
    params: Params
    engine: EngineConfig
    files: Mapping[str, Path]
    stats: StageStats
    preload: tuple[str, ...] = ()


StageWork = Callable[[StageRun], int | None]  # -> the exit code (None: 0)


def stage_files(*outputs: str, **others: Path) -> dict[str, Path]:
    """A stage's files by name: Parquet files by their name in :data:`pipeline.outputs.OUTPUTS`,
    any other file or folder by keyword."""
    return {**{name: OUTPUTS[name].path for name in outputs}, **others}


def chosen_files(defaults: Mapping[str, Path], overrides: list[str]) -> dict[str, Path]:
    """``defaults`` with the ``NAME=FILE`` overrides applied; a name the stage does not have is
    an error that lists the ones it has."""
    files = dict(defaults)
    for override in overrides:
        name, sep, value = override.partition("=")
        if not sep or name not in defaults or not value:
            known = ", ".join(defaults)
            raise typer.BadParameter(f"{override!r}: expected NAME=FILE, NAME one of {known}")
        files[name] = Path(value)
    return files


def stage_main(
    stage: str,
    files: Mapping[str, Path],
    work: StageWork,
    doc: str | None = None,
    preload: tuple[str, ...] = (),
    record_stats: bool = True,
) -> Callable[..., None]:
    """A stage's command (``doc``: its ``--help`` text; ``preload``: its ``WORKER_PRELOAD``),
    for :func:`run_cli`, or called in-process with no arguments. With ``record_stats`` its
    stats are written to ``reports/stages/<stage>.json`` and the run log when the work returns,
    whatever its exit code."""
    listed = "\n\n".join(f"{name} = {path}" for name, path in files.items())

    def main(
        path: list[str] = typer.Option(
            [], "--path", metavar="NAME=FILE", help="Use FILE for NAME (repeatable)."
        ),
    ) -> None:
        chosen = chosen_files(files, path)
        params = read_params()  # the whole file, before any input is read
        engine = EngineConfig.from_params(params.engine)
        accounting = timed_stage(stage) if record_stats else nullcontext(StageStats(stage))
        with accounting as stats:
            code = work(StageRun(stage, params, engine, chosen, stats, preload))
        if code:
            raise typer.Exit(code=code)

    main.__doc__ = f"{doc or stage}\n\nThe stage's files (NAME = default FILE):\n\n{listed}"
    return main
