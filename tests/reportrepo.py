"""One temporary repository with two committed corpus versions, shared by the report, card,
load and render tests (built once per test session: two real `dvc repro` runs).

v1: the bundled sample with params.yaml as is. v2: ``clean.min_chars`` just above the shortest
kept document, so exactly one document moves to quarantine as ``too_short``. Both versions
are pushed to a local DVC remote.

Like tests/dvcrepo.make_repo, the repository holds the working tree's files. In a tree shared
with work in progress, ``NEWSCORPUS_TEST_TREE=head`` builds it from the last commit instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from tests.dvcrepo import ROOT, commit, dvc, make_repo, run, set_param

PUBLISHED = {
    "documents": "data/processed/documents.parquet",
    "sentences": "data/processed/sentences.parquet",
    "quarantine": "data/processed/quarantine.parquet",
}


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


def two_versions(factory: pytest.TempPathFactory) -> Versions:
    """Build (once per session) the repository with its two versions."""
    if _BUILT:
        return _BUILT[0]
    root = factory.mktemp("versions")
    from_head = os.environ.get("NEWSCORPUS_TEST_TREE") == "head"
    repo = repo_from_head(root / "repo") if from_head else make_repo(root / "repo")
    remote = root / "remote"
    dvc(repo, "remote", "add", "-d", "local", str(remote))
    commit(repo, "local remote")
    base = head(repo)
    dvc(repo, "repro")
    frames_v1 = read_published(repo)
    commit(repo, "corpus v1")
    v1 = head(repo)
    dvc(repo, "push")
    lengths = frames_v1["documents"]["n_chars"].sort()
    min_chars = int(lengths[0]) + 1
    assert lengths[1] >= min_chars, "the two shortest documents have the same length"
    set_param(repo, "clean", "min_chars", min_chars)
    dvc(repo, "repro")
    frames_v2 = read_published(repo)
    commit(repo, "corpus v2: longer minimum")
    v2 = head(repo)
    dvc(repo, "push")
    built = Versions(repo, remote, v1, v2, base, frames_v1, frames_v2, min_chars)
    _BUILT.append(built)
    return built
