"""Every fenced code block of README.md runs, in order, as a reader would run them: in one
temporary git repository holding the project and the corpus built from the bundled sample.

Each block's language says how it runs (``RUNNERS``); a block in another language, or without
one, fails the test. Commands a test cannot run as written are replaced through the one table
``STAND_INS``, and nothing else is changed or left out. The blocks share the repository, so a
later block sees what an earlier one did (the pages it added, the experiment it ran); a block
after a failed one is reported as not run, and fails too. The only block that may be skipped is
the Hugging Face one, when `datasets` is not installed (``OPTIONAL_MODULES``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.dvcrepo import BIN, ROOT, built_sample, commit, dvc, run, set_param

README = (ROOT / "README.md").read_text(encoding="utf-8")
FIRST_SCREEN_LINES = 40

# README commands a test cannot run as written -> (what runs instead, why). Matched against a
# whole line of a shell block, without its trailing `# comment`.
STAND_INS: dict[str, tuple[str, str]] = {
    "make repro": (
        "dvc repro",
        "`make repro` is the pinned environment (the one running this test) plus `dvc repro`",
    ),
    "make test": (
        "make -n test",
        "the test suite is what runs this test: a dry run checks that the target exists",
    ),
    "make ccnews MONTH=2025/01 FIRST=5": (
        "make -n ccnews MONTH=2025/01 FIRST=5",
        "the test has no internet: a dry run checks the target and its commands",
    ),
}

# A block importing one of these is skipped, saying so, when the module is not installed.
OPTIONAL_MODULES = ("datasets",)

FENCE_LINE = re.compile(r"^\s*```")
BLOCK = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.M | re.S)


@dataclass(frozen=True)
class Block:
    line: int  # 1-based line of the opening fence
    language: str
    code: str

    @property
    def name(self) -> str:
        return f"line{self.line}-{self.language or 'none'}"


def readme_blocks(text: str) -> list[Block]:
    """Every fenced block, in order. Fails when a fence line is not part of a parsed block
    (an indented or unclosed fence), so no block can go unseen."""
    blocks = [
        Block(text.count("\n", 0, m.start()) + 1, m.group(1).strip(), m.group(2))
        for m in BLOCK.finditer(text)
    ]
    fences = sum(1 for line in text.splitlines() if FENCE_LINE.match(line))
    assert fences == 2 * len(blocks), f"{fences} fence lines for {len(blocks)} blocks"
    return blocks


BLOCKS = readme_blocks(README)


@dataclass
class Outcome:
    ok: bool
    output: str
    seconds: float = 0.0
    skip: str = ""


def shell_script(code: str) -> str:
    """The block with every stand-in applied; a line that names a placeholder (``<...>``) and
    has no stand-in cannot run."""
    lines = []
    for line in code.splitlines():
        command = line.split(" #", 1)[0].strip()
        if command in STAND_INS:
            line = STAND_INS[command][0]
        elif re.search(r"<[\w -]+>", command):
            raise AssertionError(f"placeholder in {line!r}: add it to STAND_INS or make it real")
        lines.append(line)
    return "\n".join(lines) + "\n"


def environment(scratch: Path) -> dict[str, str]:
    """As after `source .venv/bin/activate`, with caches and git identity in the test's own
    folders, and no analytics."""
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "VIRTUAL_ENV": sys.prefix,
        "DVC_NO_ANALYTICS": "1",
        "GX_ANALYTICS_ENABLED": "False",
        "NEWSCORPUS_CACHE": str(scratch / "newscorpus-cache"),
        "HF_HOME": str(scratch / "hf"),
        "GIT_AUTHOR_NAME": "Reader",
        "GIT_AUTHOR_EMAIL": "reader@example.org",
        "GIT_COMMITTER_NAME": "Reader",
        "GIT_COMMITTER_EMAIL": "reader@example.org",
    }


def completed(proc: subprocess.CompletedProcess[str]) -> tuple[bool, str]:
    return proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"


def run_python(code: str, repo: Path, env: dict[str, str]) -> tuple[bool, str]:
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=repo, env=env, capture_output=True, text=True
    )
    return completed(proc)


SQL_RUNNER = """
import sys, duckdb
rows = duckdb.sql(sys.stdin.read()).fetchall()
print(rows)
sys.exit(0 if rows else "the query gave no rows on the sample")
"""


def run_sql(code: str, repo: Path, env: dict[str, str]) -> tuple[bool, str]:
    proc = subprocess.run(
        [sys.executable, "-c", SQL_RUNNER],
        input=code,
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )
    return completed(proc)


def run_shell(code: str, repo: Path, env: dict[str, str]) -> tuple[bool, str]:
    proc = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", shell_script(code)],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )
    return completed(proc)


def apply_params(code: str, repo: Path, env: dict[str, str]) -> tuple[bool, str]:
    """A ``yaml`` block is a fragment of params.yaml (``section: {key: value}``): set in the
    repository's file (comments and anchors kept), which must then pass the config check."""
    fragment = yaml.safe_load(code)
    assert isinstance(fragment, dict) and fragment, "a yaml block must be a params.yaml fragment"
    for section, keys in fragment.items():
        assert isinstance(keys, dict), f"{section}: expected keys under the section"
        for key, value in keys.items():
            set_param(repo, section, key, value if isinstance(value, str) else json.dumps(value))
    written = yaml.safe_load((repo / "params.yaml").read_text(encoding="utf-8"))
    for section, keys in fragment.items():
        for key, value in keys.items():
            assert written[section][key] == value, (section, key, written[section][key])
    # checked where the reader's `dvc repro` would check it: paths are relative to the repository
    check = "from pipeline.config import read_params; print(read_params())"
    return run_python(check, repo, env)


Runner = Callable[[str, Path, dict[str, str]], tuple[bool, str]]
RUNNERS: dict[str, Runner] = {
    "python": run_python,
    "sql": run_sql,
    "bash": run_shell,
    "sh": run_shell,
    "yaml": apply_params,
}


def missing_module(block: Block) -> str:
    for module in OPTIONAL_MODULES:
        imports = re.search(rf"^\s*(from|import)\s+{module}\b", block.code, re.M)
        if imports and importlib.util.find_spec(module) is None:
            return f"`{module}` is not installed: the README block at line {block.line} not run"
    return ""


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Outcome]:
    """Every block's outcome, run in order in one repository: the session's build of the
    sample, committed (as a clone whose `dvc.lock` is current), with a git remote `origin` and
    a default DVC remote for the blocks that push."""
    scratch = tmp_path_factory.mktemp("readme")
    repo, _ = built_sample(tmp_path_factory, scratch / "repo")
    run(scratch, "git", "init", "-q", "--bare", str(scratch / "origin.git"))
    run(repo, "git", "remote", "add", "origin", str(scratch / "origin.git"))
    dvc(repo, "remote", "add", "-d", "storage", str(scratch / "dvc-remote"))
    commit(repo, "corpus built from the sample")
    env = environment(scratch)
    outcomes: dict[int, Outcome] = {}
    failed: Block | None = None
    for block in BLOCKS:
        skip = missing_module(block)
        if failed is not None:
            not_run = f"not run: the block at line {failed.line} failed"
            outcomes[block.line] = Outcome(False, not_run)
            continue
        if skip:
            outcomes[block.line] = Outcome(True, "", skip=skip)
            continue
        runner = RUNNERS.get(block.language)
        if runner is None:
            outcomes[block.line] = Outcome(False, f"no runner for language {block.language!r}")
            failed = block
            continue
        start = time.perf_counter()
        try:
            ok, output = runner(block.code, repo, env)
        except Exception as error:  # recorded: a later test reports it with the block
            ok, output = False, f"{type(error).__name__}: {error}"
        outcomes[block.line] = Outcome(ok, output, time.perf_counter() - start)
        if not ok:
            failed = block
    return outcomes


@pytest.mark.e2e
@pytest.mark.parametrize("block", BLOCKS, ids=[b.name for b in BLOCKS])
def test_readme_block_runs_on_the_sample(block: Block, walkthrough: dict[int, Outcome]) -> None:
    outcome = walkthrough[block.line]
    if outcome.skip:
        pytest.skip(outcome.skip)
    assert outcome.ok, f"README block at line {block.line} ({block.language}):\n{outcome.output}"


@pytest.mark.e2e
def test_the_experiment_shows_in_the_diffs(walkthrough: dict[int, Outcome]) -> None:
    """The block that runs an experiment also shows it: `dvc params diff` names every key set
    with `-S`, and `dvc metrics diff` lists a changed metric of reports/metrics.json."""
    block = next(b for b in BLOCKS if "dvc exp run -S" in b.code)
    keys = re.findall(r"-S '?([\w.]+)=", block.code)
    assert keys and "dvc params diff" in block.code and "dvc metrics diff" in block.code
    output = walkthrough[block.line].output
    for key in keys:
        assert key in output, key
    assert "reports/metrics.json" in output


def test_every_block_has_a_runner() -> None:
    """Checked without running anything: a language no runner takes, or a shell line with a
    placeholder and no stand-in, fails here first."""
    assert BLOCKS
    for block in BLOCKS:
        assert block.language in RUNNERS, f"line {block.line}: no runner for {block.language!r}"
        if RUNNERS[block.language] is run_shell:
            shell_script(block.code)


def test_every_stand_in_is_used() -> None:
    """A stand-in for a command the README no longer has is stale: remove it."""
    commands = {
        line.split(" #", 1)[0].strip()
        for block in BLOCKS
        if block.language in ("bash", "sh")
        for line in block.code.splitlines()
    }
    assert set(STAND_INS) <= commands, set(STAND_INS) - commands


def test_the_first_screen_says_what_you_get_and_how_to_load_it() -> None:
    first = "\n".join(README.splitlines()[:FIRST_SCREEN_LINES])
    assert "## What you get" in first
    for table in ("sentences", "documents", "quarantine"):
        assert f"`{table}.parquet`" in first, table
    load = BLOCKS[0]
    assert load.language == "python" and "read_parquet" in load.code
    assert load.line + load.code.count("\n") + 1 <= FIRST_SCREEN_LINES
    assert len(load.code.splitlines()) <= 5


def test_the_readme_is_short_and_links_what_it_moved() -> None:
    assert len(README.splitlines()) <= 270
    for path in re.findall(r"\]\(([^)#]+)\)", README):
        if not path.startswith("http"):
            assert (ROOT / path).is_file(), path
