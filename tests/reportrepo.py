"""One temporary repository with two committed corpus versions, shared by the report, card,
load and render tests (built once per test session: two real `dvc repro` runs; each xdist
worker works in its own copy of it).

v1: the bundled sample with params.yaml as is. v2: ``clean.min_chars`` just above the shortest
kept document, so exactly one document moves to quarantine as ``too_short``. Both versions
are pushed to a local DVC remote.

Like tests/dvcrepo.make_repo, the repository holds the working tree's files. In a tree shared
with work in progress, ``NEWSCORPUS_TEST_TREE=head`` builds it from the last commit instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from pipeline import outputs
from tests.dvcrepo import ROOT, commit, copy_repo, dvc, make_repo, run, set_param, shared_build

PUBLISHED = {name: outputs.path(name).as_posix() for name in outputs.PUBLISHED}


@dataclass(frozen=True)
class Versions:
    repo: Path
    remote: Path
    v1: str  # commit holding the first build
    v2: str  # commit holding the second build (HEAD)
    base: str  # commit the first build was made on (the clone)
    frames_v1: dict[str, pl.DataFrame]
    frames_v2: dict[str, pl.DataFrame]
    min_chars_v2: int


_BUILT: list[Versions] = []


def head(repo: Path) -> str:
    return run(repo, "git", "rev-parse", "HEAD").stdout.strip()


def read_published(repo: Path) -> dict[str, pl.DataFrame]:
    return {t: pl.read_parquet(repo / p) for t, p in PUBLISHED.items()}


def repo_from_head(dest: Path) -> Path:
    """Like make_repo, from the files of HEAD (``git archive``) instead of the working tree."""
    dest.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", "HEAD"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    tar_path = dest.parent / "head.tar"
    tar_path.write_bytes(archive)
    with tarfile.open(tar_path) as tar:
        tar.extractall(dest, filter="data")
    tar_path.unlink()
    os.symlink(Path(sys.prefix), dest / ".venv")
    run(dest, "git", "init", "-q")
    commit(dest, "clone of HEAD")
    return dest


def build_versions(root: Path) -> None:
    """Build the repository with its two versions in ``root``: ``repo``, ``remote``, the
    published tables of each version (``v1/``, ``v2/``) and ``versions.json``."""
    from_head = os.environ.get("NEWSCORPUS_TEST_TREE") == "head"
    repo = repo_from_head(root / "repo") if from_head else make_repo(root / "repo")
    remote = root / "remote"
    dvc(repo, "remote", "add", "-d", "local", str(remote))
    commit(repo, "local remote")
    base = head(repo)
    dvc(repo, "repro")
    keep_published(repo, root / "v1")
    frames_v1 = read_published(repo)
    commit(repo, "corpus v1")
    v1 = head(repo)
    dvc(repo, "push")
    lengths = frames_v1["documents"]["n_chars"].sort()
    min_chars = int(lengths[0]) + 1
    assert lengths[1] >= min_chars, "the two shortest documents have the same length"
    set_param(repo, "clean", "min_chars", min_chars)
    dvc(repo, "repro")
    keep_published(repo, root / "v2")
    commit(repo, "corpus v2: longer minimum")
    v2 = head(repo)
    dvc(repo, "push")
    built = {"v1": v1, "v2": v2, "base": base, "min_chars_v2": min_chars}
    (root / "versions.json").write_text(json.dumps(built), encoding="utf-8")


def keep_published(repo: Path, dest: Path) -> None:
    """A copy of the published tables, as they are now."""
    for path in PUBLISHED.values():
        (dest / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(repo / path, dest / path)


def two_versions(factory: pytest.TempPathFactory) -> Versions:
    """The repository with its two versions (built once per session), in a copy of this
    worker's own; the DVC remote is the shared one."""
    if _BUILT:
        return _BUILT[0]
    root = shared_build(factory, "versions", build_versions)
    repo = copy_repo(root / "repo", factory.mktemp("versions") / "repo")
    built = json.loads((root / "versions.json").read_text(encoding="utf-8"))
    versions = Versions(
        repo,
        root / "remote",
        built["v1"],
        built["v2"],
        built["base"],
        read_published(root / "v1"),
        read_published(root / "v2"),
        built["min_chars_v2"],
    )
    _BUILT.append(versions)
    return versions
