"""A stage's code: what dvc.yaml declares it depends on, and what its reused rows are keyed on."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from pipeline.stage import code_fingerprint, module_sources
from tests.dvcrepo import ROOT

STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_a_stage_depends_on_exactly_the_modules_it_imports(stage: str) -> None:
    """Else DVC skips a stage whose code changed, or a rerun is keyed on code it never runs
    (the interim files' fingerprints would then differ from a fresh clone's)."""
    declared = {d for d in STAGES[stage]["deps"] if d.startswith("pipeline/") and d.endswith(".py")}
    imported = {p.relative_to(ROOT).as_posix() for p in module_sources(f"pipeline.{stage}")}
    assert declared == imported
    assert {"pipeline/__init__.py", f"pipeline/{stage}.py"} <= imported


def test_a_fingerprint_changes_with_the_stages_own_code_only(tmp_path: Path) -> None:
    package = tmp_path / "pipeline"
    shutil.copytree(ROOT / "pipeline", package, ignore=shutil.ignore_patterns("__pycache__"))
    params = {"max_text_chars": 1000}
    before = code_fingerprint(params, "extract", package)
    assert before == code_fingerprint(params, "extract", ROOT / "pipeline")
    with (package / "validate.py").open("a") as fh:  # not imported by extract
        fh.write("\n# another stage's change\n")
    assert code_fingerprint(params, "extract", package) == before
    with (package / "htmlscore.py").open("a") as fh:  # imported through htmlextract
        fh.write("\n# extract's own change\n")
    assert code_fingerprint(params, "extract", package) != before
    assert code_fingerprint({"max_text_chars": 999}, "extract", ROOT / "pipeline") != before
