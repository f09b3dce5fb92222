"""newscorpus: raw news web pages to a sentence-level Parquet corpus (see README.md).

Run as ``python -m pipeline.<stage>`` (how ``dvc repro`` runs each stage), importing the package
first starts the stage's worker fork server, so that it imports the workers' modules while the
stage's own module is still importing (see :func:`pipeline.engine.prestart_fork_server`).
Imported any other way, the package starts nothing.
"""

import sys

from pipeline.engine import prestart_fork_server

prestart_fork_server(sys.orig_argv)
