"""Incremental runs: the code a stage runs (its fingerprint), row digests, and the rows of the
previous output that may be reused."""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import schema
from pipeline.runtime.commands import declared_stage
from pipeline.runtime.reader import stream_rows
from pipeline.runtime.sink import FINGERPRINT_METADATA

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _module_files(name: str, package: Path) -> list[Path]:
    """The files importing ``name`` runs: the ``__init__.py`` of the package and of each
    subpackage on the way, and the module itself (a ``.py`` file or a package's ``__init__``)."""
    parts = name.split(".")[1:]
    files = [package / "__init__.py"]
    for depth in range(1, len(parts)):
        files.append(package.joinpath(*parts[:depth], "__init__.py"))
    if parts:
        module = package.joinpath(*parts)
        files.append(module / "__init__.py" if module.is_dir() else module.with_suffix(".py"))
    return [file for file in files if file.is_file()]


DATA_SUFFIXES = frozenset({".json"})  # files the package reads at run time


def module_sources(module: str, package: Path = PACKAGE_DIR) -> list[Path]:
    """The source files of ``module`` and of every pipeline module it imports, directly or not
    (read from the sources, imports inside functions included), with the package ``__init__``
    files importing them runs, and the data files beside them (the page-type model's weights),
    sorted: the code a stage runs, which its ``dvc.yaml`` deps list (a test holds the two
    together). A stage module's ``WORKER_PRELOAD`` modules count too: its workers' fork server
    imports them."""
    seen: set[Path] = set()
    stage = declared_stage(module, package)
    preload = stage.preload if stage is not None else ()
    todo = [module, *(name for name in preload if name.split(".")[0] == package.name)]
    while todo:
        for path in _module_files(todo.pop(), package):
            if path not in seen:
                seen.add(path)
                todo += _package_imports(path.read_bytes(), package.name)
    folders = {path.parent for path in seen}
    data = {p for folder in folders for p in folder.iterdir() if p.suffix in DATA_SUFFIXES}
    return sorted(seen | data)


@functools.lru_cache(maxsize=256)
def _package_imports(source: bytes, package: str) -> tuple[str, ...]:
    """The ``package`` modules a source imports (cached by content: parsing every module a
    stage imports on each call cost ~0.6 s, more than a small incremental run)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == package:
                found.append(node.module)
                # from pipeline.runtime import scratch: the name may be a module
                found += [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == package]
    return tuple(found)


def code_fingerprint(params: dict[str, Any], stage: str, package: Path = PACKAGE_DIR) -> str:
    """What a stage's rows depend on besides their input: its params and its code (see
    :func:`module_sources`). Any change to either invalidates every reused row; a change to
    another stage's code does not (DVC would not rerun the stage for it either)."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode())
    for source in module_sources(f"{package.name}.{stage}", package):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


NO_REUSE_ENV = "NEWSCORPUS_NO_REUSE"


def reuse_enabled(environ: dict[str, str] | None = None) -> bool:
    """False when ``NEWSCORPUS_NO_REUSE=1``: every row is computed again (the switch for a
    run that must not trust the previous outputs, e.g. ``NEWSCORPUS_NO_REUSE=1 dvc repro -f``)."""
    value = (os.environ if environ is None else environ).get(NO_REUSE_ENV, "").strip()
    if value not in ("", "0", "1"):
        raise ValueError(f"{NO_REUSE_ENV}={value!r}: use 1 (recompute every row) or 0")
    return value != "1"


class PreviousRun:
    """Rows of the previous output of a stage, walked in step with the new input (both are in
    ``source_path`` order), so a row is reused without holding the table. A row is reused only
    when it was made from an identical input row (its ``input_digest`` is that row's
    ``row_digest``: every value of it, page text and provenance included) with the same params
    and code (the file's fingerprint)."""

    def __init__(self, path: Path, fingerprint: str) -> None:
        self.rows: Iterator[dict[str, Any]] = iter(())
        self.current: dict[str, Any] | None = None
        if path.exists():
            previous = pq.read_schema(path)
            metadata = previous.metadata or {}
            same_code = metadata.get(FINGERPRINT_METADATA) == fingerprint.encode()
            if same_code and "input_digest" in previous.names:
                self.rows = stream_rows(path)
        self.current = next(self.rows, None)

    def lookup(self, source_path: str, row_digest: str | None) -> dict[str, Any] | None:
        """The previous row made from the input row at ``source_path`` whose digest is
        ``row_digest``, or None."""
        while self.current is not None and self.current["source_path"] < source_path:
            self.current = next(self.rows, None)
        hit = self.current
        if (
            row_digest is not None
            and hit is not None
            and hit["source_path"] == source_path
            and hit["input_digest"] == row_digest
        ):
            return hit
        return None


def _digest_token(value: Any) -> bytes:
    """A value's bytes for :func:`row_digests` (its type tagged, so "1" and 1 differ)."""
    if value is None:
        return b"n"
    if isinstance(value, str):
        return b"s" + value.encode("utf-8", "surrogatepass")
    if isinstance(value, datetime):
        return b"t" + value.isoformat().encode()
    return b"j" + json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode()


def _is_text(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)
    )


def _column_tokens(column: pa.ChunkedArray) -> list[bytes]:
    """Each value's :func:`_digest_token`. A text column's tokens come from Arrow's own UTF-8
    bytes: the same bytes ``str.encode`` would give (Arrow text is valid UTF-8, so surrogates
    never occur), without decoding every page into a ``str`` and encoding it back (~1.5 ms
    of CPU per 186 KB page)."""
    if not _is_text(column.type):
        return [_digest_token(value) for value in column.to_pylist()]
    return [
        b"n" if raw is None else b"s" + raw for raw in column.cast(pa.large_binary()).to_pylist()
    ]


def row_digests(table: pa.Table) -> list[str]:
    """SHA-256 of each row's values as stored (every column but the digests themselves, by
    name, page text included): what a later stage's reuse of its output is keyed on."""
    names = [n for n in table.column_names if n not in schema.DIGEST_COLUMNS]
    columns = [_column_tokens(table.column(n)) for n in names]
    labels = [name + ":" for name in names]
    digests = []
    for tokens in zip(*columns, strict=True):
        digest = hashlib.sha256()
        for label, token in zip(labels, tokens, strict=True):
            digest.update(f"{label}{len(token)}:".encode())
            digest.update(token)
        digests.append(digest.hexdigest())
    return digests


def with_row_digests(table: pa.Table) -> pa.Table:
    """``table`` with its ``row_digest`` column filled in (if the table has one)."""
    if "row_digest" not in table.column_names:
        return table
    index = table.column_names.index("row_digest")
    field = table.schema.field(index)
    return table.set_column(index, field, pa.array(row_digests(table), type=field.type))
