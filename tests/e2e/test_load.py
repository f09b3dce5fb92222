"""Loading API: the workspace, and earlier revisions fetched from a DVC remote after the local
cache is gone."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipeline.publish import load
from tests.dvcrepo import copy_repo
from tests.reportrepo import Versions

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def no_cache(versions: Versions, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository without its DVC cache: revisions must come from the remote."""
    repo = copy_repo(versions.repo, tmp_path_factory.mktemp("nocache") / "repo")
    shutil.rmtree(repo / ".dvc" / "cache")
    return repo


def test_workspace_is_the_current_files(versions: Versions) -> None:
    for table in ("documents", "sentences", "quarantine"):
        got = load.scan(table, repo=versions.repo).collect()
        assert_frame_equal(got, versions.frames_v2[table])


def test_earlier_revision_comes_from_the_remote(
    versions: Versions, no_cache: Path, tmp_path: Path
) -> None:
    assert not (no_cache / ".dvc" / "cache").exists()
    fetched = tmp_path / "fetched"
    old = load.documents(versions.v1, repo=no_cache, cache_dir=fetched).collect()
    assert_frame_equal(old, versions.frames_v1["documents"])
    new = load.documents(versions.v2, repo=no_cache, cache_dir=fetched).collect()
    assert_frame_equal(new, versions.frames_v2["documents"])
    assert old.height == new.height + 1
    old_q = load.quarantine(versions.v1, repo=no_cache, cache_dir=fetched).collect()
    assert "too_short" not in old_q["reason"].cast(pl.String).to_list()
    # content-addressed copies: one per distinct file, named by the MD5 in dvc.lock
    assert len(list(fetched.glob("*.parquet"))) == 3


def test_revision_without_the_remote_fails_loudly(
    versions: Versions, no_cache: Path, tmp_path: Path
) -> None:
    broken = copy_repo(no_cache, tmp_path / "broken")
    shutil.move(versions.remote, tmp_path / "remote-away")
    try:
        with pytest.raises(FileNotFoundError, match="neither in the DVC cache nor in the remote"):
            load.sentences(versions.v1, repo=broken, cache_dir=tmp_path / "c").collect()
    finally:
        shutil.move(tmp_path / "remote-away", versions.remote)


def test_columns_and_filters_push_down(versions: Versions, tmp_path: Path) -> None:
    v1 = versions.frames_v1["sentences"]
    language = v1["language"].drop_nulls()[0]
    got = load.sentences(
        versions.v1,
        repo=versions.repo,
        columns=["sentence_id", "text"],
        filters={"language": language},
        cache_dir=tmp_path,
    ).collect()
    want = v1.filter(pl.col("language") == language).select("sentence_id", "text")
    assert_frame_equal(got, want)
    domains = v1["domain"].drop_nulls().unique().sort().to_list()[:2]
    got = load.sentences(
        versions.v1, repo=versions.repo, filters={"domain": domains}, cache_dir=tmp_path
    ).collect()
    assert got.height == v1.filter(pl.col("domain").is_in(domains)).height > 0
    expr = load.documents(
        repo=versions.repo, filters=[pl.col("n_chars") > 900, pl.col("language").is_not_null()]
    ).collect()
    docs = versions.frames_v2["documents"]
    assert (
        expr.height
        == docs.filter((pl.col("n_chars") > 900) & pl.col("language").is_not_null()).height
    )
    nulls = load.documents(repo=versions.repo, filters={"domain": None}).collect()
    assert nulls.height == docs["domain"].null_count()


def test_unknown_table_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        load.scan("paragraphs", repo=tmp_path)
    with pytest.raises(FileNotFoundError, match="dvc repro"):
        load.sentences(repo=tmp_path)
