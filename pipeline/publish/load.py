"""Load the corpus as Polars LazyFrames, from the workspace or from any git revision.

>>> from pipeline.publish import load
>>> load.sentences(filters={"language": "en"}, columns=["sentence_id", "text"]).collect()
>>> load.documents("<tag>", repo="https://example.org/newscorpus").collect()

Without ``rev`` the files in the working tree are scanned directly (lazily, with predicate
and projection pushdown). With ``rev`` (a commit, tag or branch), DVC resolves the file that
revision's ``dvc.lock`` recorded and fetches it from the local DVC cache or, when it is not
there, from the DVC remote (``remote=`` picks one); the copy is kept under ``cache_dir`` (a
per-user folder by default, see :func:`default_cache_dir`), named by its MD5, so a revision
is fetched once and then scanned like a local file. A kept copy is served only after its MD5
is checked again against that revision's ``dvc.lock``: a file changed or planted there is
refused and fetched anew.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from pipeline.outputs import OUTPUTS, PUBLISHED
from pipeline.runtime.hashing import md5_file

TABLES: dict[str, str] = {name: OUTPUTS[name].path.as_posix() for name in PUBLISHED}
WORKSPACE = "workspace"
Filters = pl.Expr | Sequence[pl.Expr] | Mapping[str, Any] | None


CACHE_ENV = "NEWSCORPUS_CACHE"


def default_cache_dir() -> Path:
    """Where fetched revisions are kept, named by MD5: ``$NEWSCORPUS_CACHE``, else
    ``$XDG_CACHE_HOME/newscorpus``, else ``~/.cache/newscorpus``. A per-user folder, not a
    shared temporary one where another user could leave a file under the expected name
    (each copy is checked before use all the same)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "newscorpus"


class CacheMismatchWarning(UserWarning):
    """A cached copy whose bytes are not the ones ``dvc.lock`` recorded was refused."""


def _verified(target: Path, md5: str, what: str) -> bool:
    """Whether the cached ``target`` holds exactly the bytes of MD5 ``md5``; a copy that does
    not is removed (with a warning naming it), so it is fetched again."""
    if not target.is_file():
        return False
    got = md5_file(target)
    if got == md5:
        return True
    warnings.warn(
        f"{target}: cached copy of {what} has MD5 {got}, dvc.lock says {md5}: refused, "
        "fetching it again",
        CacheMismatchWarning,
        stacklevel=3,
    )
    target.unlink()
    return False


def fetch(
    path: str,
    rev: str,
    *,
    repo: str | Path = ".",
    remote: str | None = None,
    cache_dir: Path | None = None,
) -> Path:
    """A local copy of ``path`` as of ``rev`` (DVC cache or remote). Its MD5 is checked
    against the one ``rev``'s ``dvc.lock`` records every time, a copy already kept included
    (a file of a big corpus costs a second or two per GB to check)."""
    from dvc.fs import DVCFileSystem  # imported here: dvc is slow to import

    fs = DVCFileSystem(repo=str(repo), rev=rev, remote=remote)
    try:
        md5 = _recorded_md5(fs, path, rev)
        if md5 is None:
            fetched = None
        else:
            target = (cache_dir or default_cache_dir()) / f"{md5}{Path(path).suffix}"
            if _verified(target, md5, f"{path} at {rev!r}"):
                return target
            fetched = _download(fs, path, rev, md5, target)
    finally:
        fs.close()
    if fetched is None:
        # raised here, with the file system closed and no DVC error chained: one line to read
        del fs
        raise ValueError(
            f"{rev!r} is not a revision of {repo}: name a commit, branch or tag "
            "(`git tag` lists the tags, `git log --oneline` the commits)"
        )
    got = md5_file(fetched)
    if got != md5:
        fetched.unlink(missing_ok=True)
        raise OSError(f"{path} at {rev!r}: fetched MD5 {got}, dvc.lock says {md5}")
    os.replace(fetched, target)
    return target


def _recorded_md5(fs: Any, path: str, rev: str) -> str | None:
    """The MD5 ``rev``'s ``dvc.lock`` records for ``path``; None if ``rev`` is no revision."""
    from dvc.scm import RevError

    try:
        info = fs.info(path)
    except RevError:
        return None
    md5 = info.get("md5")
    if not isinstance(md5, str):
        raise ValueError(f"{path} at {rev!r} is not a DVC-tracked file (no md5)")
    return md5


def _download(fs: Any, path: str, rev: str, md5: str, target: Path) -> Path:
    """``path`` from the DVC cache or remote, into a temporary file beside ``target``."""
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        fs.get_file(path, str(tmp))
    except FileNotFoundError as err:
        raise FileNotFoundError(
            f"{path} at {rev!r} (md5 {md5}) is neither in the DVC cache nor in the remote: "
            f"`dvc push` it from where it was built, or pass remote= ({err})"
        ) from err
    return tmp


def _apply_filters(frame: pl.LazyFrame, filters: Filters) -> pl.LazyFrame:
    if filters is None:
        return frame
    if isinstance(filters, pl.Expr):
        return frame.filter(filters)
    if isinstance(filters, Mapping):
        exprs = [
            pl.col(column).is_in(list(value))
            if isinstance(value, list | tuple | set | frozenset)
            else pl.col(column).is_null()
            if value is None
            else pl.col(column) == value
            for column, value in filters.items()
        ]
        return frame.filter(*exprs) if exprs else frame
    exprs = list(filters)
    return frame.filter(*exprs) if exprs else frame


def scan(
    table: str,
    rev: str | None = None,
    *,
    repo: str | Path = ".",
    columns: Sequence[str] | None = None,
    filters: Filters = None,
    remote: str | None = None,
    cache_dir: Path | None = None,
) -> pl.LazyFrame:
    """One published table (``documents``, ``sentences``, ``quarantine``) as a LazyFrame.

    ``filters``: a Polars expression, a list of them (all must hold), or a mapping
    ``{column: value}`` (a list/tuple/set value means "one of"; ``None`` means null).
    ``columns`` selects columns after filtering, so filters may use columns not selected.
    """
    if table not in TABLES:
        raise KeyError(f"unknown table {table!r}; one of {sorted(TABLES)}")
    relpath = TABLES[table]
    if rev is None or rev == WORKSPACE:
        source = Path(repo) / relpath
        if not source.is_file():
            raise FileNotFoundError(f"{source}: run `dvc repro` or `dvc pull` first")
    else:
        source = fetch(relpath, rev, repo=repo, remote=remote, cache_dir=cache_dir)
    frame = _apply_filters(pl.scan_parquet(source), filters)
    return frame.select(list(columns)) if columns is not None else frame


def sentences(
    rev: str | None = None,
    *,
    repo: str | Path = ".",
    columns: Sequence[str] | None = None,
    filters: Filters = None,
    remote: str | None = None,
    cache_dir: Path | None = None,
) -> pl.LazyFrame:
    """``data/processed/sentences.parquet`` of the workspace (``rev=None``) or of ``rev``."""
    return scan(
        "sentences",
        rev,
        repo=repo,
        columns=columns,
        filters=filters,
        remote=remote,
        cache_dir=cache_dir,
    )


def documents(
    rev: str | None = None,
    *,
    repo: str | Path = ".",
    columns: Sequence[str] | None = None,
    filters: Filters = None,
    remote: str | None = None,
    cache_dir: Path | None = None,
) -> pl.LazyFrame:
    """``data/processed/documents.parquet`` of the workspace (``rev=None``) or of ``rev``."""
    return scan(
        "documents",
        rev,
        repo=repo,
        columns=columns,
        filters=filters,
        remote=remote,
        cache_dir=cache_dir,
    )


def quarantine(
    rev: str | None = None,
    *,
    repo: str | Path = ".",
    columns: Sequence[str] | None = None,
    filters: Filters = None,
    remote: str | None = None,
    cache_dir: Path | None = None,
) -> pl.LazyFrame:
    """``data/processed/quarantine.parquet`` of the workspace (``rev=None``) or of ``rev``."""
    return scan(
        "quarantine",
        rev,
        repo=repo,
        columns=columns,
        filters=filters,
        remote=remote,
        cache_dir=cache_dir,
    )
