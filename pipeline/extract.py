"""Stage 2, extract: main text and metadata of every ingested document.
``python -m pipeline.extract --help``. The extraction is :mod:`pipeline.html.extraction`.

Also the benchmark entry points :func:`extract_text`, :func:`extract_metadata` and
:func:`page_type`, which take a whole page (HTML or page text dump, detected) as ``str`` or raw
``bytes``.
"""

from __future__ import annotations

from functools import partial

from pipeline.html.extraction import extract_document
from pipeline.html.extraction import extract_metadata as extract_metadata
from pipeline.html.extraction import extract_text as extract_text
from pipeline.html.extraction import extract_text_and_page_type as extract_text_and_page_type
from pipeline.html.extraction import page_type as page_type
from pipeline.runtime.cli import StageRun, stage_files, stage_main
from pipeline.runtime.engine import PerDocument
from pipeline.runtime.runner import stream_stage
from pipeline.runtime.stats import run_cli
from pipeline.sources.pages import InputPages

STAGE = "extract"
# What the workers import once, in their fork server (besides the runtime), before they start
# (with what it imports).
WORKER_PRELOAD = (
    "pipeline.html.extraction",
    "pipeline.html.preload",  # the page-type model, loaded once for every worker
)
FILES = stage_files("ingested", "quarantine_ingest", "extracted", "quarantine_extract")


def extract(run: StageRun) -> None:
    params, read = run.params.extract, run.params.ingest
    # the pages ingest left in the input folder are read there, as ingest read them
    pages = InputPages(read.input_dir, read.max_raw_bytes, read.max_inflated_bytes)
    document = partial(
        extract_document,
        max_text_chars=params.max_text_chars,
        keep_page_types=frozenset(params.keep_page_types),
        pages=pages,
    )
    step = PerDocument(document, run.engine.max_seconds_per_doc)
    quarantine = ("quarantine_ingest", "quarantine_extract")
    reuse = params.model_dump()
    # workers that cannot see the folder are sent the pages with the rows
    stream_stage(run, step, "ingested", "extracted", quarantine, reuse=reuse, carry_with=pages.fill)


main = stage_main(STAGE, FILES, extract, __doc__, WORKER_PRELOAD)

if __name__ == "__main__":
    run_cli(main)
