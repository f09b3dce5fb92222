"""A stage's progress line: drawn on a terminal (documents done, documents per second), absent
where nobody watches (a pipe, CI, NEWSCORPUS_PROGRESS=0), and never in a tracked output."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from pipeline.runtime.progress import progress_shown
from tests.dvcrepo import ROOT
from tests.terminal import on_a_terminal

STREAM_CLEAN = """
import sys
from pathlib import Path
from pipeline.runtime.engine import EngineConfig
from pipeline.runtime.reader import ParquetSource
from pipeline.runtime.runner import stream_document_stage
from pipeline.runtime.stats import StageStats
from pipeline.text.documents import CleanBatch
from tests.validcorpus import good_corpus

out = Path(sys.argv[1])
good_corpus(12).frames["extracted"].write_parquet(out / "extracted.parquet")
stream_document_stage(
    "clean", CleanBatch(1), ParquetSource(out / "extracted.parquet"), EngineConfig(name="serial"),
    StageStats("clean"), output=(out / "cleaned.parquet", "cleaned"),
    quarantine=(None, out / "quarantine.parquet"),
)
"""


def _clean_stage_stderr(tmp_path: Path, terminal: bool, **env: str) -> str:
    """The stderr of the clean stage's runner over 12 documents, written to a pseudo-terminal
    or to a pipe."""
    environ = {k: v for k, v in os.environ.items() if k not in ("CI", "NEWSCORPUS_PROGRESS")}
    command = [sys.executable, "-c", STREAM_CLEAN, str(tmp_path)]
    if not terminal:
        done = subprocess.run(
            command, cwd=ROOT, env={**environ, **env}, capture_output=True, text=True, check=True
        )
        return done.stderr
    code, shown = on_a_terminal(command, ROOT, {**environ, **env}, timeout=120)
    assert code == 0, shown
    return shown


def test_a_terminal_sees_documents_done_and_their_rate(tmp_path: Path) -> None:
    shown = _clean_stage_stderr(tmp_path, terminal=True)
    assert "12/12" in shown and "docs/s" in shown and "clean" in shown


def test_no_progress_in_a_pipe_in_ci_or_when_switched_off(tmp_path: Path) -> None:
    assert "docs/s" not in _clean_stage_stderr(tmp_path, terminal=False)
    assert "docs/s" not in _clean_stage_stderr(tmp_path, terminal=True, CI="true")
    off = _clean_stage_stderr(tmp_path, terminal=True, NEWSCORPUS_PROGRESS="0")
    assert "docs/s" not in off


def test_progress_is_shown_only_on_a_terminal() -> None:
    assert not progress_shown(io.StringIO(), {})
    leader, follower = os.openpty()
    with os.fdopen(follower, "w") as terminal:
        assert progress_shown(terminal, {})
        assert not progress_shown(terminal, {"CI": "1"})
        assert not progress_shown(terminal, {"NEWSCORPUS_PROGRESS": "0"})
    os.close(leader)
