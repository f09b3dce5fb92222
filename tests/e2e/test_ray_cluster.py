"""The ray engine on a real two-node Ray cluster whose worker node cannot see the driver's files:
the real `dvc repro` of the bundled sample gives the local engine's tables, byte for byte.

The head node has no CPUs, so every task runs on the second node, in a mount namespace where the
repository (the driver's working tree, the sample's input, the stage's temporary files) and the
project's ``pipeline/`` sources are empty folders (see :mod:`tests.raycluster`): a task given a
driver-local path fails, and the package can only arrive through Ray's ``runtime_env``."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeline
from tests.dvcrepo import built_sample, digests, dvc, set_param
from tests.raycluster import can_hide_folders, two_node_cluster

pytestmark = pytest.mark.e2e

TABLES = ("data/interim", "data/processed")


def _tables(repo: Path) -> tuple[str, ...]:
    return tuple(
        sorted(p.relative_to(repo).as_posix() for d in TABLES for p in (repo / d).glob("*.parquet"))
    )


def test_a_cluster_that_cannot_see_the_driver_gives_the_local_tables(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    reason = can_hide_folders()
    if reason is not None:
        pytest.skip(reason)
    local, _ = built_sample(tmp_path_factory, tmp_path / "repo")  # the local engine's run
    tables = _tables(local)
    assert len(tables) >= 10
    expected = digests(local, tables)
    for table in tables:
        (local / table).unlink()  # nothing reused: every row is computed on the cluster
    source = Path(pipeline.__file__).resolve().parent  # the installed (editable) package
    with two_node_cluster([local, source]) as cluster:
        set_param(local, "engine", "name", "ray")
        set_param(local, "engine", "ray_address", cluster.address)
        # batches of 3: several tasks in flight per stage, whose results must come back in order
        set_param(local, "engine", "batch_size", 3)
        proc = dvc(local, "repro", check=False)
        assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}\n{cluster.log_tail()}"
        # the package reached the hidden node through runtime_env
        node = cluster.logs / "n"
        assert list(node.glob("session_*/runtime_resources/py_modules_files/*/pipeline")), (
            cluster.log_tail()
        )
    assert _tables(local) == tables
    assert digests(local, tables) == expected
