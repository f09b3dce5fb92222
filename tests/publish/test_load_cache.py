"""`pipeline.publish.load.fetch` serves a kept copy only when its MD5 is the one the
revision's dvc.lock records, and keeps its copies in a per-user folder."""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipeline import outputs
from pipeline.publish import load
from pipeline.publish.load import CacheMismatchWarning, default_cache_dir, fetch
from tests.dvcrepo import commit, dvc, run

TABLE = outputs.path("sentences").as_posix()


@pytest.fixture(scope="module")
def lock_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pl.DataFrame]:
    """A git + DVC repository whose one stage publishes a small Parquet file (in dvc.lock)."""
    repo = tmp_path_factory.mktemp("lockrepo")
    run(repo, "git", "init", "-q")
    dvc(repo, "init", "-q")
    frame = pl.DataFrame({"sentence_id": ["a", "b"], "text": ["One.", "Two."]})
    frame.write_parquet(repo / "source.parquet")
    (repo / "data/processed").mkdir(parents=True)
    dvc(repo, "stage", "add", "-q", "-n", "publish", "-d", "source.parquet", "-o", TABLE,
        f"cp source.parquet {TABLE}")  # fmt: skip
    dvc(repo, "repro", "-q")
    commit(repo, "corpus")
    return repo, frame


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def locked_md5(repo: Path) -> str:
    return md5(repo / TABLE)  # dvc repro just wrote it: the digest dvc.lock records


def test_a_planted_cache_file_is_refused_and_fetched_anew(
    lock_repo: tuple[Path, pl.DataFrame], tmp_path: Path
) -> None:
    repo, frame = lock_repo
    want = locked_md5(repo)
    assert want in (repo / "dvc.lock").read_text()
    cache = tmp_path / "cache"
    cache.mkdir()
    planted = cache / f"{want}.parquet"  # the predictable name, holding other rows
    pl.DataFrame({"sentence_id": ["x"], "text": ["Planted."]}).write_parquet(planted)
    with pytest.warns(CacheMismatchWarning, match="refused"):
        got = fetch(TABLE, "HEAD", repo=repo, cache_dir=cache)
    assert got == planted and md5(got) == want
    assert_frame_equal(pl.read_parquet(got), frame)


def test_a_cached_copy_changed_after_the_fetch_is_not_served(
    lock_repo: tuple[Path, pl.DataFrame], tmp_path: Path
) -> None:
    repo, frame = lock_repo
    cache = tmp_path / "cache"
    first = fetch(TABLE, "HEAD", repo=repo, cache_dir=cache)
    assert md5(first) == locked_md5(repo)
    first.write_bytes(first.read_bytes()[:-8] + b"poisoned")
    with pytest.warns(CacheMismatchWarning):
        rows = load.sentences("HEAD", repo=repo, cache_dir=cache).collect()
    assert_frame_equal(rows, frame)
    assert md5(first) == locked_md5(repo)


def test_the_cache_is_per_user(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("NEWSCORPUS_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "newscorpus"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "newscorpus"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # invalid by the XDG spec: ignored
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "newscorpus"
    monkeypatch.setenv("NEWSCORPUS_CACHE", str(tmp_path / "mine"))
    assert default_cache_dir() == tmp_path / "mine"


def test_the_default_cache_is_used_and_private(
    lock_repo: tuple[Path, pl.DataFrame], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    repo, _ = lock_repo
    monkeypatch.delenv("NEWSCORPUS_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    got = fetch(TABLE, "HEAD", repo=repo)
    assert got.parent == tmp_path / "xdg" / "newscorpus"
    assert got.parent.stat().st_mode & 0o077 == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an intact copy is served as it is, without a word
        assert fetch(TABLE, "HEAD", repo=repo) == got


def test_a_revision_that_does_not_exist_is_named_in_one_line(
    lock_repo: tuple[Path, pl.DataFrame], tmp_path: Path
) -> None:
    repo, frame = lock_repo
    with pytest.raises(ValueError, match=r"'v1\.0' is not a revision of .*: name a commit") as err:
        load.sentences("v1.0", repo=repo, cache_dir=tmp_path)
    assert err.value.__context__ is None and err.value.__cause__ is None  # no DVC chain
    assert_frame_equal(load.sentences("HEAD", repo=repo, cache_dir=tmp_path).collect(), frame)
