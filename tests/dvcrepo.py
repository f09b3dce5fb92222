"""Helpers for tests that run the real `dvc repro` in a temporary git repository."""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a type only: benchmarks/end_to_end.py imports this module as well
    import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run(
    repo: Path, *args: str, check: bool = True, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run a command in ``repo`` with analytics off; raise with its output when it fails."""
    env = {**os.environ, "DVC_NO_ANALYTICS": "1", "GX_ANALYTICS_ENABLED": "False"}
    proc = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def dvc(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run(repo, str(BIN / "dvc"), *args, check=check)


def stages_run(proc: subprocess.CompletedProcess[str]) -> set[str]:
    """Names of the stages a `dvc repro` actually ran."""
    return set(re.findall(r"Running stage '(\w+)'", proc.stdout + proc.stderr))


def digests(repo: Path, paths: tuple[str, ...]) -> dict[str, str]:
    return {p: hashlib.sha256((repo / p).read_bytes()).hexdigest() for p in paths}


def project_files() -> list[str]:
    """Files of the project as a clone would have them (tracked, or new and not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    # Pipeline outputs never belong to a clone, even when not (yet) git-ignored.
    outputs = ("data/interim/", "data/processed/", "reports/")
    return [
        f
        for f in listed
        if (ROOT / f).is_file() and not (f.startswith(outputs) and f.endswith(".parquet"))
    ]


def make_repo(dest: Path) -> Path:
    """A fresh git repository at ``dest`` holding the project (no outputs, no DVC cache)."""
    for name in project_files():
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    # Stage commands call .venv/bin/python: point it at the interpreter running the tests.
    os.symlink(Path(sys.prefix), dest / ".venv")
    run(dest, "git", "init", "-q")
    run(dest, "git", "add", "-A")
    commit(dest, "clone")
    return dest


def commit(repo: Path, message: str) -> None:
    run(repo, "git", "add", "-A")
    # --allow-empty: a rebuild of committed outputs may change nothing (as it should)
    run(
        repo,
        "git",
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "--allow-empty",
        "-qm",
        message,
    )


def copy_repo(repo: Path, dest: Path) -> Path:
    shutil.copytree(repo, dest, symlinks=True)
    return dest


def set_param(repo: Path, section: str, key: str, value: object) -> None:
    """Set ``section.key`` in params.yaml, keeping comments and anchors."""
    path = repo / "params.yaml"
    text = path.read_text(encoding="utf-8")
    head = rf"^{re.escape(section)}:\n(?:[ \t]+.*\n|\n)*?[ \t]+{re.escape(key)}:[ \t]*"
    pattern = re.compile(rf"({head}(?:&\w+[ \t]+)?)[^\s#][^\n#]*?(?=[ \t]*(?:#|$))", re.M)
    new, n = pattern.subn(lambda m: f"{m.group(1)}{value}", text, count=1)
    if n != 1:
        raise KeyError(f"{section}.{key} not in params.yaml")
    path.write_text(new, encoding="utf-8")


def shared_build(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """The folder ``build`` filled once per test session, by whichever xdist worker asks first
    (the others wait for it, instead of building the same again beside it). Never change what
    is in it: copy the repository a test works in."""
    base = factory.getbasetemp()
    # Each xdist worker has its own basetemp inside the session's: the parent is shared.
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = root / f"shared-{name}"
    with (root / f"shared-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not (folder / ".built").exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a failed attempt left
            folder.mkdir()
            build(folder)
            (folder / ".built").touch()
    return folder


def built_sample(
    factory: pytest.TempPathFactory, dest: Path
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """A copy at ``dest`` of a fresh repository (:func:`make_repo`) after one full `dvc repro`
    of the bundled sample, built once per test session; and that `dvc repro`'s output."""

    def build(folder: Path) -> None:
        proc = dvc(make_repo(folder / "repo"), "repro")
        (folder / "stdout").write_text(proc.stdout, encoding="utf-8")
        (folder / "stderr").write_text(proc.stderr, encoding="utf-8")

    folder = shared_build(factory, "sample", build)
    out, err = ((folder / f).read_text(encoding="utf-8") for f in ("stdout", "stderr"))
    proc = subprocess.CompletedProcess([str(BIN / "dvc"), "repro"], 0, out, err)
    return copy_repo(folder / "repo", dest), proc
