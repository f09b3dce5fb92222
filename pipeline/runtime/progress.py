"""A stage's progress on stderr: items done, items per second and, where the total is known, a
bar and the time left. Shown only where someone watches: stderr is a terminal, ``CI`` is not
set and ``NEWSCORPUS_PROGRESS`` is not ``0``. Never written to a file, so no tracked output
depends on it."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO

PROGRESS_ENV = "NEWSCORPUS_PROGRESS"
Advance = Callable[[int], None]  # n more items done


def progress_shown(stream: TextIO | None = None, environ: Mapping[str, str] | None = None) -> bool:
    stream = sys.stderr if stream is None else stream
    environ = os.environ if environ is None else environ
    if environ.get(PROGRESS_ENV, "").strip() == "0" or environ.get("CI"):
        return False
    return stream.isatty()


@contextmanager
def stage_progress(stage: str, total: int | None, unit: str = "docs") -> Iterator[Advance]:
    """Yields ``advance(n)``; draws ``stage``'s line while the block runs, if it is shown."""
    if not progress_shown():
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [TextColumn(f"{stage:<9}"), BarColumn(), MofNCompleteColumn()]
    columns += [TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn()]
    start = time.perf_counter()
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(stage, total=total, rate="")
        done = 0

        def advance(n: int) -> None:
            nonlocal done
            done += n
            rate = done / max(time.perf_counter() - start, 1e-9)
            bar.update(task, advance=n, rate=f"{rate:,.0f} {unit}/s")

        yield advance
