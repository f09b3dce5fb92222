"""Tracked outputs hold no timings or run ids: stage stats are deterministic, timings go to the
untracked run log, and the card names the code by a digest a shell can recompute."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import yaml

from pipeline.publish.card import CODE_FILES, code_digest
from pipeline.runtime.hashing import tree_files
from pipeline.runtime.stats import RUN_HISTORY, timed_stage
from tests.dvcrepo import ROOT, run

STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def _run_stage(stats_dir: Path, runs_dir: Path, pause: float, reused: int) -> None:
    with timed_stage("extract", stats_dir, runs_dir) as stats:
        time.sleep(pause)
        stats.docs_in, stats.docs_out = 3, 2
        stats.dropped["no_content"] += 1
        stats.extra["sentences"] = 7
        stats.count_reused(reused)
        stats.time_step("parse", pause)


def test_stage_stats_are_the_same_bytes_whatever_the_timing(tmp_path: Path) -> None:
    stats_dir, runs_dir = tmp_path / "stages", tmp_path / "runs"
    _run_stage(stats_dir, runs_dir, 0.0, reused=0)
    first = (stats_dir / "extract.json").read_bytes()
    _run_stage(stats_dir, runs_dir, 0.05, reused=2)  # slower, and an incremental run
    assert (stats_dir / "extract.json").read_bytes() == first
    assert json.loads(first) == {
        "stage": "extract",
        "docs_in": 3,
        "docs_out": 2,
        "dropped": {"no_content": 1},
        "sentences": 7,
    }
    last = json.loads((runs_dir / "extract.json").read_text())
    assert last["seconds"] >= 0.05 and last["reused"] == 2
    assert last["steps_seconds"] == {"parse": 0.05}
    assert last["docs_in"] == 3 and last["finished_at"].endswith("+00:00")
    history = [json.loads(line) for line in (runs_dir / RUN_HISTORY).read_text().splitlines()]
    assert [r["reused"] for r in history] == [0, 2]
    assert history[-1] == last


def test_the_run_log_is_git_ignored_and_no_dvc_output() -> None:
    ignored = run(ROOT, "git", "check-ignore", "-q", "reports/runs/extract.json", check=False)
    assert ignored.returncode == 0
    assert run(
        ROOT, "git", "check-ignore", "-q", "reports/stages/extract.json", check=False
    ).returncode
    declared = json.dumps(STAGES)
    assert "reports/runs" not in declared


def test_code_digest_equals_the_shell_recipe(tmp_path: Path) -> None:
    root = tmp_path / "project"
    for name in CODE_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            root.mkdir(exist_ok=True)
            shutil.copy2(source, root / name)
    before = code_digest(root)
    assert before == code_digest(ROOT)
    # Bytecode Python writes beside the code is not code.
    (root / "pipeline" / "__pycache__").mkdir()
    (root / "pipeline" / "__pycache__" / "card.cpython-311.pyc").write_bytes(b"\0")
    assert code_digest(root) == before
    recipe = (
        "find pipeline expectations pyproject.toml uv.lock -type f ! -path '*/__pycache__/*' "
        "! -name '*.pyc' | LC_ALL=C sort | xargs sha256sum | sha256sum"
    )
    shell = subprocess.run(
        ["bash", "-c", recipe], cwd=root, capture_output=True, text=True, check=True
    )
    assert shell.stdout.split()[0] == before
    for changed in ("pipeline/segment.py", "expectations", "uv.lock"):
        target = root / changed
        if target.is_dir():
            target = next(p for p in sorted(target.iterdir()) if p.is_file())
        original = target.read_bytes()
        target.write_bytes(original + b"\n")
        assert code_digest(root) != before, changed
        target.write_bytes(original)
    assert code_digest(root) == before


def test_everything_the_card_digests_is_a_dependency_of_the_report_stage() -> None:
    """Else DVC would not rerun `report` when one of them changes, and the committed card would
    name old code (a fresh clone's card would then differ)."""
    deps = set(STAGES["report"]["deps"])
    assert set(CODE_FILES) <= deps
    covered = tree_files(ROOT, CODE_FILES)
    assert "pyproject.toml" in covered and "pipeline/publish/card.py" in covered
    assert not [f for f in covered if "__pycache__" in f or f.endswith(".pyc")]
    assert "__pycache__/" in (ROOT / ".dvcignore").read_text().splitlines()
