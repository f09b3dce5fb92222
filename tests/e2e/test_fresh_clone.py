"""Two independent builds from scratch write the same tracked bytes: a fresh clone of a
committed build runs the real `dvc repro` and leaves `git status --porcelain` empty (dvc.lock,
metrics, stage stats, plots, the dataset card, and through dvc.lock the hash of every DVC
output and the Data Docs included), and a second `dvc repro` reruns nothing but the inventory
(which runs on every repro and rewrites the same bytes)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
import yaml

from tests.dvcrepo import ROOT, built_sample, commit, dvc, run, stages_run

pytestmark = pytest.mark.e2e

# the stages a build of the sample runs: input_url makes one stage per remote input, none here
STAGES = {
    name
    for name, stage in yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"].items()
    if "foreach" not in stage
}


def clone(origin: Path, dest: Path) -> Path:
    """What a new user gets: `git clone`, no DVC cache, no outputs, the project's venv."""
    run(origin.parent, "git", "clone", "-q", str(origin), str(dest))
    if not (dest / ".venv").exists():
        os.symlink(Path(sys.prefix), dest / ".venv")
    return dest


def status(repo: Path) -> list[str]:
    return run(repo, "git", "status", "--porcelain").stdout.splitlines()


def test_a_fresh_clone_rebuilds_every_tracked_byte(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # the project after one `dvc repro` (a copy of the session's build, shared with test_e2e)
    first, _ = built_sample(tmp_path_factory, tmp_path / "first")
    commit(first, "corpus built once")
    assert status(first) == []

    second = clone(first, tmp_path / "second")
    assert not (second / "data/processed/sentences.parquet").exists()
    # -f: the report stage too, which DVC would skip here (its inputs come out the same and
    # its outputs are in git), so that its own bytes are rebuilt and compared as well.
    assert stages_run(dvc(second, "repro", "-f")) == STAGES
    lock_diff = run(second, "git", "diff", "--", "dvc.lock").stdout
    assert status(second) == [], lock_diff[:4000]
    # The run log exists, holds the timings, and is neither tracked nor reported by git;
    # the DVC metrics and stage stats hold none.
    assert json.loads((second / "reports/runs/corpus.json").read_text())["seconds"] > 0
    tracked_json = [second / "reports/metrics.json", *(second / "reports/stages").glob("*.json")]
    for path in tracked_json:
        assert not timing_keys(json.loads(path.read_text())), path
    assert stages_run(dvc(second, "repro")) == {"inventory"}
    assert status(second) == []


def timing_keys(value: object) -> list[str]:
    """Keys anywhere in a JSON value that name a duration or a time."""
    if isinstance(value, dict):
        own = [k for k in value if "seconds" in k or k.startswith("ms_") or k.endswith("_at")]
        return own + [k for v in value.values() for k in timing_keys(v)]
    if isinstance(value, list):
        return [k for v in value for k in timing_keys(v)]
    return []
