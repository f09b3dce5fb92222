"""Hostile input end to end: the real `dvc repro` on the torture corpus (tests/torture.py).

One full run is shared by the assertions: it must exit 0 within a time and memory budget, give
every input file exactly one outcome, and give each file the outcome written beside it in the
generator. A second copy of the repository is killed (SIGKILL to the whole process group) in
the middle of a stage, run again, and must end with Parquet files byte-identical to the
uninterrupted run.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import psutil
import pytest
import yaml

from pipeline.schema import QuarantineReason
from tests.dvcrepo import BIN, copy_repo, dvc, make_repo, set_param, stages_run
from tests.torture import DIRECTORY_LOOPS, KEPT, write_file_links, write_torture_corpus

pytestmark = pytest.mark.e2e

INPUT_DIR = "torture"
# Budgets for the whole `dvc repro` of the torture corpus on 2 cores.
MAX_SECONDS = 150.0
MAX_PEAK_RSS = 3 << 30  # bytes, summed over dvc and every stage process alive at once
POLL_SECONDS = 0.05
# The interrupted run is killed once this stage's process has worked this long.
KILL_STAGE = "extract"
KILL_AFTER_SECONDS = 1.5

# What must (and must not) be in the text of some kept documents: decoding and extraction did
# the right thing, not just "something".
MUST_CONTAIN: dict[str, tuple[str, ...]] = {
    "encodings/declared_latin1_is_utf8.html": ("öffnet am Samstag", "Gärtnereien"),
    "encodings/declared_utf8_is_cp1252.html": ("reçu samedi", "Hélène Carrive"),
    "encodings/mixed_utf8_cp1252.html": ("größten Teil", "Käsereien"),
    "encodings/invalid_utf8.html": ("“the sensible end of an old argument”", "Anneli Strand"),
    "encodings/utf16_bom.html": ("reçu samedi", "« croustillante et légère »"),
    "encodings/utf16le_no_bom.html": ("east bank of the Lüne",),
    "encodings/nul_bytes_inside.html": ("cracked propeller shaft",),
    "scripts/emoji_and_combining.html": ("Sunday 🎉", "Café Amélie", "Zoë", "Härbourview"),
    "scripts/arabic_rtl.html": ("مدرسة ابتدائية جديدة",),
    "scripts/hebrew_rtl.html": ("רכבת לילה חדשה",),
    "scripts/chinese.html": ("元宵灯会",),
    "scripts/japanese.html": ("路面電車",),
    "size/deep_nesting_10000.html": ("half a metre wider",),
    "markup/unclosed_everywhere.html": ("large-print books", "nine thousand pounds"),
    "markup/unclosed_script_at_end.html": ("bequest of twelve thousand pounds",),
    "gzip/valid_page.html.gz": ("nine centimetres above",),
}
MUST_NOT_CONTAIN: dict[str, tuple[str, ...]] = {
    "encodings/nul_bytes_inside.html": ("\x00",),
    "scripts/emoji_and_combining.html": ("Cafe\u0301", "a\u0308"),
    "markup/unclosed_script_at_end.html": ("tracker", "document.write", "function"),
    "encodings/declared_latin1_is_utf8.html": ("Ã",),
    "encodings/mixed_utf8_cp1252.html": ("Ã", "\ufffd"),
}


@dataclass(frozen=True)
class Run:
    returncode: int
    output: str
    seconds: float
    peak_rss: int
    killed: bool


def _tree(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return []


def _rss(procs: list[psutil.Process]) -> int:
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def stage_running_for(stage: str, seconds: float) -> Callable[[list[psutil.Process]], bool]:
    """Kill condition: a ``python -m pipeline.<stage>`` process has run for ``seconds``."""

    def condition(procs: list[psutil.Process]) -> bool:
        now = time.time()
        for p in procs:
            try:
                cmd = p.cmdline()
                if f"pipeline.{stage}" in cmd and now - p.create_time() >= seconds:
                    return True
            except psutil.Error:
                continue
        return False

    return condition


def repro_measured(
    repo: Path,
    *,
    kill_when: Callable[[list[psutil.Process]], bool] | None = None,
    timeout: float = 600,
) -> Run:
    """`dvc repro` in its own process group, polled for the summed RSS of its process tree;
    SIGKILL to the whole group when ``kill_when`` says so (or on timeout)."""
    env = {**os.environ, "DVC_NO_ANALYTICS": "1", "GX_ANALYTICS_ENABLED": "False"}
    log = repo / ".." / f"{repo.name}.repro.log"
    start = time.monotonic()
    killed = False
    peak = 0
    with log.open("wb") as out:
        popen = subprocess.Popen(
            [str(BIN / "dvc"), "repro"],
            cwd=repo,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        root = psutil.Process(popen.pid)
        while popen.poll() is None:
            procs = _tree(root)
            peak = max(peak, _rss(procs))
            overdue = time.monotonic() - start > timeout
            if overdue or (kill_when is not None and kill_when(procs)):
                os.killpg(popen.pid, signal.SIGKILL)
                popen.wait()
                killed = True
                if overdue:
                    raise AssertionError(f"dvc repro still running after {timeout} s: a hang")
                break
            time.sleep(POLL_SECONDS)
    return Run(
        returncode=popen.returncode,
        output=log.read_text(encoding="utf-8", errors="replace"),
        seconds=time.monotonic() - start,
        peak_rss=peak,
        killed=killed,
    )


def parquet_digests(repo: Path) -> dict[str, str]:
    files = sorted([*repo.glob("data/interim/*.parquet"), *repo.glob("data/processed/*.parquet")])
    return {
        f.relative_to(repo).as_posix(): hashlib.sha256(f.read_bytes()).hexdigest() for f in files
    }


@dataclass(frozen=True)
class TortureRun:
    repo: Path
    expected: dict[str, str]
    run: Run


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """Two identical repositories holding the project and the torture corpus, not yet run."""
    base = tmp_path_factory.mktemp("torture")
    repo = make_repo(base / "full")
    expected = write_torture_corpus(repo / INPUT_DIR)
    set_param(repo, "ingest", "input_dir", INPUT_DIR)
    spare = copy_repo(repo, base / "interrupted")
    return repo, spare, expected


@pytest.fixture(scope="module")
def torture(prepared: tuple[Path, Path, dict[str, str]]) -> Iterator[TortureRun]:
    repo, _, expected = prepared
    run = repro_measured(repo)
    print(
        f"\ntorture dvc repro: {run.seconds:.1f} s, peak RSS {run.peak_rss / (1 << 20):.0f} MiB"
        f" (dvc and stage processes), {len(expected)} input files"
    )
    yield TortureRun(repo, expected, run)


@pytest.mark.timeout(400)
def test_repro_exits_zero_without_hang_within_memory(torture: TortureRun) -> None:
    run = torture.run
    assert run.returncode == 0, run.output[-6000:]
    assert not run.killed
    assert run.seconds < MAX_SECONDS, f"torture repro took {run.seconds:.0f} s"
    assert run.peak_rss < MAX_PEAK_RSS, f"peak RSS {run.peak_rss / (1 << 20):.0f} MiB"


def _outcomes(repo: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    return (
        pl.read_parquet(repo / "data/interim/inventory.parquet"),
        pl.read_parquet(repo / "data/processed/documents.parquet"),
        pl.read_parquet(repo / "data/processed/quarantine.parquet"),
    )


def test_every_file_accounted_for_once(torture: TortureRun) -> None:
    inventory, documents, quarantine = _outcomes(torture.repo)
    inputs = inventory["source_path"].to_list()
    assert sorted(inputs) == sorted(torture.expected), "inventory differs from the corpus"
    # the walk did not go through the directory symlink loops
    assert not [p for p in inputs if any(p.startswith(loop + "/") for loop in DIRECTORY_LOOPS)]
    accounted = documents["source_path"].to_list() + quarantine["source_path"].to_list()
    assert sorted(accounted) == sorted(inputs), "kept + quarantined != input"


def test_each_file_has_its_expected_outcome(torture: TortureRun) -> None:
    _, documents, quarantine = _outcomes(torture.repo)
    got = {p: KEPT for p in documents["source_path"]}
    details = {}
    for row in quarantine.iter_rows(named=True):
        got[row["source_path"]] = str(row["reason"])
        details[row["source_path"]] = f"{row['stage']}: {row['detail']}"
    wrong = [
        f"{name}: expected {want}, got {got.get(name)} ({details.get(name, '')})"
        for name, want in torture.expected.items()
        if got.get(name) != want
    ]
    assert not wrong, "\n".join(wrong)


def test_no_extractor_crashed(torture: TortureRun) -> None:
    _, _, quarantine = _outcomes(torture.repo)
    crashes = quarantine.filter(
        pl.col("reason").cast(pl.String) == QuarantineReason.EXTRACTION_ERROR.value
    )
    assert crashes.height == 0, crashes.select("source_path", "detail").rows()


def test_kept_text_is_decoded_and_extracted_right(torture: TortureRun) -> None:
    _, documents, _ = _outcomes(torture.repo)
    texts = dict(zip(documents["source_path"], documents["text"], strict=True))
    titles = dict(zip(documents["source_path"], documents["title"], strict=True))
    problems = []
    for name, needles in MUST_CONTAIN.items():
        if name not in texts:
            problems.append(f"{name}: not kept")
            continue
        page = f"{titles[name] or ''}\n{texts[name]}"
        problems += [f"{name}: lacks {n!r}" for n in needles if n not in page]
    for name, needles in MUST_NOT_CONTAIN.items():
        page = f"{titles.get(name) or ''}\n{texts.get(name, '')}"
        problems += [f"{name}: holds {n!r}" for n in needles if n in page]
    assert not problems, "\n".join(problems)


def test_second_repro_has_nothing_to_do(torture: TortureRun) -> None:
    again = dvc(torture.repo, "repro")
    assert stages_run(again) == {"inventory"}, again.stdout  # always runs; nothing after it


@pytest.mark.timeout(400)
def test_killed_mid_stage_then_rerun_is_byte_identical(
    torture: TortureRun, prepared: tuple[Path, Path, dict[str, str]]
) -> None:
    assert torture.run.returncode == 0
    _, spare, _ = prepared
    before = locked_stage(spare, KILL_STAGE)
    killed = repro_measured(spare, kill_when=stage_running_for(KILL_STAGE, KILL_AFTER_SECONDS))
    assert killed.killed, f"{KILL_STAGE} never ran {KILL_AFTER_SECONDS} s: {killed.output[-3000:]}"
    assert locked_stage(spare, KILL_STAGE) == before, "the stage finished before the kill"
    resumed = repro_measured(spare)
    assert resumed.returncode == 0, resumed.output[-6000:]
    assert KILL_STAGE in stages_run_text(resumed.output)
    assert parquet_digests(spare) == parquet_digests(torture.repo)


def locked_stage(repo: Path, stage: str) -> object:
    """The stage's entry in dvc.lock (None when absent): DVC writes it when the stage ends."""
    path = repo / "dvc.lock"
    if not path.exists():
        return None
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("stages", {}).get(stage)


def stages_run_text(output: str) -> set[str]:
    return stages_run(subprocess.CompletedProcess([], 0, output, ""))


@pytest.mark.timeout(300)
def test_file_symlink_loops_and_dangling_links_are_quarantined(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "links")
    corpus = repo / INPUT_DIR
    corpus.mkdir()
    (corpus / "page.html").write_bytes(
        (repo / "data/sample/harbour_gazette_ferry_strike.html").read_bytes()
    )
    expected = {"page.html": KEPT}
    write_file_links(corpus, expected)
    set_param(repo, "ingest", "input_dir", INPUT_DIR)
    proc = dvc(repo, "repro", check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    _, documents, quarantine = _outcomes(repo)
    got = {p: KEPT for p in documents["source_path"]}
    got |= {p: str(r) for p, r in zip(quarantine["source_path"], quarantine["reason"], strict=True)}
    assert got == expected
