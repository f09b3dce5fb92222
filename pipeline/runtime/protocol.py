"""What travels between a stage's driver, its runner and the workers."""

from __future__ import annotations

TIMEOUT_KEY = "__timeout__"  # set on a row whose document overran its time budget
ARROW_KEY = "__arrow__"  # a row whose full values are row i of an Arrow table: (table, i)
PACK_KEY = "__pack__"  # a worker's result: the light rows and one Arrow payload
READ_KEY = "__read__"  # an item telling the worker which Parquet rows to read itself
