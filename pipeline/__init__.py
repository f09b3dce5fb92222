"""newscorpus: raw news web pages to a sentence-level Parquet corpus (see README.md).

Run as ``python -m pipeline.<stage>`` (how ``dvc repro`` runs each stage), importing the package
first tells Polars' and Arrow's allocators to return freed memory at once where it pays (see
:func:`pipeline.runtime.engine.return_freed_pages_at_once`; it must precede the import of Polars
and of pyarrow), then starts the stage's worker fork server, so that it imports the workers'
modules while the stage's own module is still importing (see
:func:`pipeline.runtime.engine.prestart_fork_server`).
Before that, the stage claims its scratch directory (the temporary folder of the stage and of
every process it starts), sweeping what killed runs left (see :mod:`pipeline.runtime.scratch`).
Imported any other way, the package starts nothing.
"""

import sys

from pipeline.runtime.engine import prestart_fork_server, return_freed_pages_at_once
from pipeline.runtime.scratch import claim_stage_scratch

return_freed_pages_at_once(sys.orig_argv)  # before anything imports Polars or pyarrow
claim_stage_scratch(sys.orig_argv)  # first: the fork server and its workers inherit TMPDIR
prestart_fork_server(sys.orig_argv)
