"""Stage 4, segment: one row per sentence with exact offsets into the cleaned text.
``python -m pipeline.segment --help``. The splitting is :mod:`pipeline.text.sentences`; the
rows are made by :mod:`pipeline.text.spans`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from pipeline.runtime.cli import StageRun, stage_files, stage_main
from pipeline.runtime.protocol import FanOut, TimedOut
from pipeline.runtime.runner import stream_stage
from pipeline.runtime.sink import to_arrow
from pipeline.runtime.stats import run_cli
from pipeline.text.spans import DOC_COLUMNS, sentence_columns

STAGE = "segment"
# What the workers import once, in their fork server (besides the runtime), before they start
# (with what it imports).
WORKER_PRELOAD = ("pipeline.text.spans",)
FILES = stage_files("cleaned", "quarantine_clean", "segmented", "quarantine_segment")
INPUT_COLUMNS = (  # what the workers read of each document
    "doc_id",
    "source_path",
    "source_sha256",
    "size_bytes",
    "text",
    *DOC_COLUMNS,
)


@dataclass(frozen=True)
class SegmentBatch:
    """The fan-out step: the sentences of a batch of documents, in order, as one Arrow table,
    with one light outcome (its ``doc_id``) per document. A document that overruns its time
    budget comes back from the engine as its :class:`TimedOut` outcome instead (the corpus
    stage leaves out documents quarantined here)."""

    max_chars: int
    default_language: str = "en"

    def __call__(
        self, docs: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any] | TimedOut], pa.Table]:
        columns = sentence_columns(docs, self.max_chars, self.default_language)
        return [{"doc_id": doc["doc_id"]} for doc in docs], to_arrow(columns, "segmented")


def segment(run: StageRun) -> None:
    params = run.params.segment
    step = FanOut(SegmentBatch(params.max_sentence_chars, params.language))
    quarantine = ("quarantine_clean", "quarantine_segment")
    # the workers read the documents themselves: the pages never pass through the driver
    sentences = stream_stage(run, step, "cleaned", "segmented", quarantine, INPUT_COLUMNS)
    run.stats.extra["sentences"] = sentences


main = stage_main(STAGE, FILES, segment, __doc__, WORKER_PRELOAD)

if __name__ == "__main__":
    run_cli(main)
