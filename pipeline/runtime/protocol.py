"""What travels between a stage's driver, its runner and the workers, besides plain rows (dicts
of column values): typed, top-level, picklable objects (they cross process boundaries on every
engine), so no row ever carries a reserved key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

Payload = bytes | str  # an Arrow table as IPC bytes, or the path of a spilled IPC file


class Utf8Text(bytes):
    """A bulk text value (a raw page) handed to the writer as its UTF-8 bytes, valid UTF-8, as
    the input held them: it reaches Arrow as it is, where a ``str`` would be encoded again
    (~0.75 ms of CPU per 186 KB page that is not pure ASCII)."""

    __slots__ = ()


@dataclass(frozen=True)
class TimedOut:
    """The outcome of an item that overran its time budget of ``seconds``: the item as it was
    given (a document stage's row: its quarantine row names the document from it)."""

    item: Any
    seconds: float


@dataclass(frozen=True)
class ReadRows:
    """An item telling the worker to read Parquet rows itself: ``rows`` (row numbers within
    row group ``group``) of the file at ``path``, of ``columns`` (None = all)."""

    path: str
    group: int
    rows: tuple[int, ...]
    columns: tuple[str, ...] | None = None


@dataclass(frozen=True)
class CarriedRows:
    """The rows a :class:`ReadRows` names, read by the driver and sent as they are: for workers
    that cannot see the driver's files (see :func:`pipeline.runtime.engine.tasks_carry_data`)."""

    table: pa.Table


@dataclass(frozen=True)
class Packed:
    """A worker's result for a batch: light ``rows`` (without page-sized text; one per input
    row, for the driver's bookkeeping) and one Arrow table of what it made, as a ``payload``
    the driver reads without unpickling or converting a value."""

    rows: list[dict[str, Any] | TimedOut]
    payload: Payload


@dataclass(frozen=True)
class FannedOut:
    """A fan-out step's result for a batch (e.g. documents into sentences): one light outcome
    per input row (its ``doc_id``, or a quarantine row, or :class:`TimedOut`) and one Arrow
    table of every row the kept ones made, in order, as a ``payload`` the driver writes
    whole."""

    rows: list[dict[str, Any] | TimedOut]
    payload: Payload


@dataclass(frozen=True)
class FanOut:
    """A step that makes any number of output rows per input row: ``fn`` maps a batch of rows
    to one light outcome per row (see :class:`FannedOut`) and one table of what the kept rows
    made, in order."""

    fn: Callable[[list[dict[str, Any]]], tuple[list[dict[str, Any] | TimedOut], pa.Table]]


@dataclass(frozen=True)
class ArrowRow:
    """A row whose full values are row ``index`` of ``table`` (on the driver), with its light
    ``values`` (without page-sized text) for the driver's bookkeeping."""

    table: pa.Table
    index: int
    values: dict[str, Any] = field(default_factory=dict)
