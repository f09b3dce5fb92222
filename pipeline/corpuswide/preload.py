"""Imported by the corpus stage's fork server only (``WORKER_PRELOAD`` of :mod:`pipeline.corpus`):
loads the language model there, once, before the workers are forked from it. The workers then
share its arrays (read only, so the pages stay shared) instead of each loading its own: about
0.8 s of CPU and 135 MB per worker, at the start of every run."""

from pipeline.corpuswide.langid import detector

detector()
