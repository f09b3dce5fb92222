"""Stage 5, corpus: the published corpus from the cleaned documents and their sentences.
``python -m pipeline.corpus --help``.

Language, near-duplicate clusters, boilerplate and the sorted published tables: the passes are
:mod:`pipeline.corpuswide.passes`, the decisions :mod:`pipeline.corpuswide.decisions`. Every
decision depends on the documents alone (ordered by ``published``, ``doc_id``), never on file
names, row order, batch size or worker count; memory stays bounded whatever the corpus size.
"""

from __future__ import annotations

import polars as pl

from pipeline.corpuswide.passes import run_corpus
from pipeline.corpuswide.settings import CorpusParams, Inputs, Outputs
from pipeline.runtime.cli import StageRun, stage_files, stage_main
from pipeline.runtime.scratch import owned_directory
from pipeline.runtime.stats import run_cli

STAGE = "corpus"
# What the workers import once, in their fork server (besides the runtime), before they start.
WORKER_PRELOAD = (
    "pipeline.corpuswide.tasks",
    "pipeline.corpuswide.decisions",
    "numpy",
    "pipeline.corpuswide.preload",  # the language model, loaded once for every worker
)
FILES = stage_files(
    "cleaned",
    "segmented",
    "quarantine_segment",
    "documents",
    "sentences",
    "quarantine",
    "dedup_map",
    "boilerplate_map",
)


def corpus(run: StageRun) -> None:
    files, stats = run.files, run.stats
    inputs = Inputs(files["cleaned"], files["segmented"], files["quarantine_segment"])
    names = ("documents", "sentences", "quarantine", "dedup_map", "boilerplate_map")
    outputs = Outputs(*(files[name] for name in names))
    outputs.documents.parent.mkdir(parents=True, exist_ok=True)
    params = CorpusParams.from_params(run.params.corpus)
    # beside the outputs (same file system); a killed run's is swept by the next
    with owned_directory(outputs.documents.parent, ".corpus-") as work:
        result = run_corpus(inputs, outputs, params, run.engine, work, preload=run.preload)
    stats.docs_in, stats.docs_out = result.docs_in, result.docs_out
    stats.extra["sentences"] = result.sentences
    stats.extra.update(result.counts)
    stats.count_drops(result.quarantine.filter(pl.col("stage") == STAGE))
    for step, seconds in sorted(result.seconds.items()):
        stats.time_step(step, seconds)  # run log only: timings are not tracked outputs


main = stage_main(STAGE, FILES, corpus, __doc__, WORKER_PRELOAD)

if __name__ == "__main__":
    run_cli(main)
