"""Imported by the extract stage's fork server only (``WORKER_PRELOAD`` of
:mod:`pipeline.extract`): loads the page-type model there, once, before the workers are forked
from it, instead of once in every worker at its first page (~80 ms of CPU each)."""

from pipeline.html.pagetype import _models

_models()
