"""Stage 3, clean: normalised, chrome-free text for every extracted document.
``python -m pipeline.clean --help``. The cleaning itself is :mod:`pipeline.text.cleaning`."""

from __future__ import annotations

from pipeline.runtime.cli import StageRun, stage_files, stage_main
from pipeline.runtime.runner import stream_stage
from pipeline.runtime.stats import run_cli
from pipeline.text.documents import CleanBatch

STAGE = "clean"
# What the workers import once, in their fork server (besides the runtime), before they start
# (with what it imports).
WORKER_PRELOAD = ("pipeline.text.documents",)
FILES = stage_files("extracted", "quarantine_extract", "cleaned", "quarantine_clean")


def clean(run: StageRun) -> None:
    params = run.params.clean
    step = CleanBatch(params.min_chars)
    quarantine = ("quarantine_extract", "quarantine_clean")
    stream_stage(run, step, "extracted", "cleaned", quarantine, reuse=params.model_dump())


main = stage_main(STAGE, FILES, clean, __doc__, WORKER_PRELOAD)

if __name__ == "__main__":
    run_cli(main)
