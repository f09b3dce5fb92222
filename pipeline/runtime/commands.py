"""What a command line runs: a stage module (``python -m pipeline.<module>`` whose module
declares ``STAGE``) and what it declares for its workers (``WORKER_PRELOAD``), read from its
source without importing it, so the package can act on them before the stage module runs."""

from __future__ import annotations

import ast
import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class StageCommand:
    """A stage module and its declarations: ``STAGE``, its name, and ``WORKER_PRELOAD``, the
    modules its local workers import once, in their fork server (empty: no workers)."""

    module: str
    stage: str
    preload: tuple[str, ...] = ()


def command_module(argv: Sequence[str]) -> str | None:
    """The module a command line runs with ``-m``, else None."""
    for flag, module in itertools.pairwise(argv):
        if flag == "-m":
            return module
    return None


@functools.lru_cache(maxsize=32)
def declared_stage(module: str, package: Path = PACKAGE_DIR) -> StageCommand | None:
    """The declarations of ``module`` if it is a top-level module of the package that declares
    ``STAGE`` (as literals, at module level), else None."""
    prefix, _, name = module.partition(".")
    source = package / f"{name}.py"
    if prefix != package.name or not name or "." in name or not source.is_file():
        return None
    found: dict[str, object] = {}
    for node in ast.parse(source.read_bytes()).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in ("STAGE", "WORKER_PRELOAD"):
                found[target.id] = ast.literal_eval(node.value)
    stage = found.get("STAGE")
    if not isinstance(stage, str):
        return None
    preload = found.get("WORKER_PRELOAD", ())
    if not isinstance(preload, tuple) or not all(isinstance(m, str) for m in preload):
        raise TypeError(f"{module}.WORKER_PRELOAD must be a tuple of module names")
    return StageCommand(module, stage, preload)


def stage_command(argv: Sequence[str]) -> StageCommand | None:
    """The stage a command line runs (``python -m pipeline.<stage> ...``), else None."""
    module = command_module(argv)
    return declared_stage(module) if module is not None else None
