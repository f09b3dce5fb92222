"""A stage's code: what dvc.yaml declares it depends on, and what its reused rows are keyed on."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from pipeline.runtime.reuse import code_fingerprint, module_sources
from tests.dvcrepo import ROOT

STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_a_stage_depends_on_exactly_the_modules_it_imports(stage: str) -> None:
    """Else DVC skips a stage whose code changed, or a rerun is keyed on code it never runs
    (the interim files' fingerprints would then differ from a fresh clone's). A stage made per
    item (input_url: one per remote input) depends on its item alone: it writes nothing.

    A folder may stand for its modules when the stage imports all of them but two at most: a
    shorter dvc.lock, which DVC parses and rewrites after every stage (~0.1 s per 450 lines),
    for a rerun after an edit to one of those two."""
    if "foreach" in STAGES[stage]:
        assert STAGES[stage]["do"]["deps"] == ["${item}"] and "outs" not in STAGES[stage]["do"]
        return
    code = [d for d in STAGES[stage]["deps"] if d.startswith("pipeline/")]
    folders = [d for d in code if (ROOT / d).is_dir()]  # data modules imported by name at run time
    in_folders = {
        p.relative_to(ROOT).as_posix()
        for d in folders
        for p in (ROOT / d).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    declared = {d for d in code if not (ROOT / d).is_dir()} | in_folders
    imported = {p.relative_to(ROOT).as_posix() for p in module_sources(f"pipeline.{stage}")}
    assert imported <= declared
    assert declared - in_folders <= imported
    for folder in folders:
        modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / folder).glob("*.py")}
        assert len(modules - imported) <= 2, (folder, sorted(modules - imported))
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
    with (package / "html" / "scoring.py").open("a") as fh:  # imported through html.content
        fh.write("\n# extract's own change\n")
    assert code_fingerprint(params, "extract", package) != before
    assert code_fingerprint({"max_text_chars": 999}, "extract", ROOT / "pipeline") != before
