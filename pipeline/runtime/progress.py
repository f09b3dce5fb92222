"""A stage's progress on stderr: items done, items per second and, where the total is known, a
bar and the time left. Shown only where someone watches: stderr is a terminal, ``CI`` is not
set and ``NEWSCORPUS_PROGRESS`` is not ``0``. Never written to a file, so no tracked output
depends on it."""

from __future__ import annotations

import os
import sys
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
        ProgressColumn,
        Task,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class Rate(ProgressColumn):
        """Items done per second since the stage began (rich's own speed is a moving window)."""

        def render(self, task: Task) -> Text:
            rate = task.completed / task.elapsed if task.elapsed else 0.0
            return Text(f"{rate:,.0f} {unit}/s")

    columns = [TextColumn(f"{stage:<9}"), BarColumn(), MofNCompleteColumn(), Rate()]
    columns += [TimeElapsedColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(stage, total=total)
        yield lambda n: bar.advance(task, n)
