"""The pipeline benchmark's bookkeeping: repetitions, machine calibration, scaling context.

No ``dvc repro`` here: runs are small hand-made records shaped like ``run_pipeline``'s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from benchmarks import end_to_end as bench

SIZE = 100


def fake_run(
    config: str,
    wall: float,
    *,
    repetition: int | None = None,
    repeat: int = 1,
    invocation: str | None = "inv-1",
    machine: float | None = None,
    returncode: int = 0,
) -> dict[str, Any]:
    workers = 2 if config == "local2" else 1
    run: dict[str, Any] = {
        "size": SIZE,
        "config": config,
        "pool": "sample",
        "workers": workers,
        "docs": SIZE,
        "input_bytes": 1_000_000,
        "returncode": returncode,
        "started_at": f"2026-01-01T00:{repetition or 0:02d}:{len(config):02d}+00:00",
        "wall_seconds": wall,
        "docs_per_s": round(SIZE / wall, 2),
        "mb_per_s": round(1 / wall, 3),
        "docs_per_s_per_core": round(SIZE / wall / workers, 2),
        "mb_per_s_per_core": round(1 / wall / workers, 3),
        "doc_stages_docs_per_s": round(SIZE / wall * 1.1, 2),
        "cpu_seconds_wait4": wall,
        "machine_busy_cores": 1.0,
        "load_start": [0.5, 0.5, 0.5],
        "load_end": [0.5, 0.5, 0.5],
        "dvc_overhead_seconds": 0.1,
        "stages": {
            "extract": {
                "wall_seconds": wall - 0.1,
                "cpu_seconds": wall,
                "sum_peak_mb": 100.0,
                "driver_peak_mb": 50.0,
            }
        },
    }
    if repetition is not None:
        run.update(invocation=invocation, repetition=repetition, repeat=repeat)
    if machine is not None:
        calibration = {"median_ratio": machine, "trials": [{"ratio": machine}]}
        run["machine_scaling"] = {"before": calibration, "after": calibration}
    return run


def test_interleaved_runs_every_configuration_once_per_repetition() -> None:
    order = list(bench.interleaved([10, 20], ["local1", "local2"], 2))
    assert order == [
        (10, 1, "local1"),
        (10, 1, "local2"),
        (10, 2, "local1"),
        (10, 2, "local2"),
        (20, 1, "local1"),
        (20, 1, "local2"),
        (20, 2, "local1"),
        (20, 2, "local2"),
    ]


def test_combine_keeps_one_run_as_is_and_takes_the_median_repetition() -> None:
    single = fake_run("local1", 10.0)
    assert bench.combine([single]) is single
    reps = [fake_run("local1", w, repetition=i, repeat=3) for i, w in enumerate((12, 9, 10), 1)]
    entry = bench.combine(reps)
    assert entry["wall_seconds"] == 10
    assert entry["median_repetition"] == 3
    assert (entry["wall_seconds_min"], entry["wall_seconds_max"]) == (9, 12)
    assert entry["repetitions"] == reps and entry["repeats"] == entry["repeats_ok"] == 3
    # Even count: the lower middle one; failed repetitions do not count.
    failed = fake_run("local1", 1.0, repetition=4, repeat=4, returncode=1)
    entry = bench.combine([*reps, failed])
    assert entry["wall_seconds"] == 10 and entry["repeats_ok"] == 3
    assert bench.repetitions(entry) == [*reps, failed]


def test_merge_adds_repetitions_of_one_invocation_and_replaces_older_ones(
    tmp_path: Path,
) -> None:
    for i, wall in enumerate((10.0, 12.0, 11.0), 1):
        bench.merge_result(tmp_path, fake_run("local1", wall, repetition=i, repeat=3), "runs")
    data = json.loads((tmp_path / "pipeline.json").read_text())
    (entry,) = data["runs"]
    assert [r["wall_seconds"] for r in entry["repetitions"]] == [10.0, 12.0, 11.0]
    assert entry["wall_seconds"] == 11.0
    later = fake_run("local1", 20.0, repetition=1, repeat=1, invocation="inv-2")
    data = bench.merge_result(tmp_path, later, "runs")
    (entry,) = data["runs"]
    assert "repetitions" not in entry and entry["wall_seconds"] == 20.0


def test_scaling_is_reported_beside_the_machine_calibration(tmp_path: Path) -> None:
    walls = {"local1": (20.0, 22.0, 21.0), "local2": (12.0, 14.0, 13.0)}
    machine = {"local1": (1.6, 1.8, 1.7), "local2": (1.6, 1.8, 1.7)}
    for i in range(3):
        for config in ("local1", "local2"):
            run = fake_run(
                config, walls[config][i], repetition=i + 1, repeat=3, machine=machine[config][i]
            )
            data = bench.merge_result(tmp_path, run, "runs")
    (scaling,) = data["acceptance"]["scaling_2_vs_1"]
    assert scaling["ratio"] == round(21.0 / 13.0, 2)  # the ratio of the median walls
    assert scaling["met"] is (21.0 / 13.0 >= 1.7)
    assert scaling["repeats"] == [3, 3]
    assert [p["ratio"] for p in scaling["paired"]] == [
        round(20 / 12, 2),
        round(22 / 14, 2),
        round(21 / 13, 2),
    ]
    assert [p["machine"] for p in scaling["paired"]] == [1.6, 1.8, 1.7]
    assert scaling["machine_scaling"] == {"median": 1.7, "min": 1.6, "max": 1.8, "trials": 12}
    assert scaling["share_of_machine"] == round(21.0 / 13.0 / 1.7, 2)
    assert data["machine_scaling"]["by_invocation"]["inv-1"]["trials"] == 12
    md = (tmp_path / "pipeline.md").read_text()
    assert "21.0 (20.0–22.0, median of 3)" in md
    assert "per repetition x1.67, x1.57, x1.62" in md
    assert "x1.70 (median of 12 trials, 1.60–1.80)" in md
    assert "## Repetitions and machine calibration" in md


def test_single_runs_without_calibration_still_render(tmp_path: Path) -> None:
    for config, wall in (("local1", 20.0), ("local2", 12.0)):
        data = bench.merge_result(tmp_path, fake_run(config, wall), "runs")
    (scaling,) = data["acceptance"]["scaling_2_vs_1"]
    assert scaling["ratio"] == round(20 / 12, 2) and scaling["machine_scaling"] is None
    md = (tmp_path / "pipeline.md").read_text()
    assert "not measured with these runs" in md
    assert "## Repetitions and machine calibration" not in md


def issue_20_run(config: str, size: int, wall: float, repetition: int) -> dict[str, Any]:
    run = fake_run(config, wall, repetition=repetition, repeat=3)
    run.update(
        pool="varied",
        size=size,
        docs=size,
        docs_per_s=round(size / wall, 2),
    )
    run["stages"]["extract"]["sampled_pss_mb"] = 900.0
    run["stages"]["extract"]["sum_peak_mb"] = 1800.0
    return run


def test_issue_20_checks_each_point_on_the_runs_at_hand(tmp_path: Path) -> None:
    # 10k: three interleaved pairs (ratios 1.9, 1.8, 2.0 -> median 1.9)
    for i, (one, two) in enumerate(((95.0, 50.0), (90.0, 50.0), (100.0, 50.0)), 1):
        bench.merge_result(tmp_path, issue_20_run("local1", 10_000, one, i), "runs")
        data = bench.merge_result(tmp_path, issue_20_run("local2", 10_000, two, i), "runs")
    peer = fake_run("trafilatura_pysbd", 500.0)
    peer.update(pool="varied", size=10_000, docs_per_s=20.0, peak_rss_mb=99.0)
    peer.update(cpu_seconds=500.0, cpu_ms_per_doc=50.0)
    data = bench.merge_result(tmp_path, peer, "peers")
    checks = {c["check"]: c for c in data["acceptance"]["issue_20"]}
    cpu = checks["CPU per document, 10k"]  # the median local2 run's 50 CPU s for 10k documents
    assert cpu["measured"] == 5.0 and cpu["met"] is True
    scaling = checks["2 workers / 1 worker, 10k"]
    assert scaling["measured"] == 1.9 and scaling["met"] is True
    assert checks["docs/s vs trafilatura + pysbd, 10k"]["measured"] == 10.0  # 200 vs 20
    assert checks["docs/s vs trafilatura + pysbd, 10k"]["met"] is False
    memory = checks["largest stage's peak memory, 10k"]
    assert memory["measured"] == 900.0 and memory["met"] is True  # PSS, the RSS sum is over
    # what was not run is not met, and says what it needs
    for missing in ("docs/s vs trafilatura + pysbd, 1k", "docs/s at 100k vs 10k"):
        assert checks[missing]["measured"] is None and checks[missing]["met"] is False
    md = (tmp_path / "pipeline.md").read_text()
    assert "## Acceptance targets of issue 20" in md
    assert "| 2 workers / 1 worker, 10k | >= x1.85" in md and "3 pairs: x1.80, x1.90, x2.00" in md


def test_issue_20_compares_100k_with_10k_of_the_same_invocation_only(tmp_path: Path) -> None:
    bench.merge_result(tmp_path, issue_20_run("local2", 10_000, 50.0, 1), "runs")
    later = issue_20_run("local2", 100_000, 520.0, 1)
    data = bench.merge_result(tmp_path, {**later, "invocation": "inv-2"}, "runs")
    (share,) = [c for c in data["acceptance"]["issue_20"] if c["check"].startswith("docs/s at")]
    assert share["measured"] == 0.962 and share["met"] is False  # 192.3 vs 200 docs/s
    assert "not comparable" in share["evidence"]
    data = bench.merge_result(tmp_path, {**later, "invocation": "inv-1"}, "runs")
    (share,) = [c for c in data["acceptance"]["issue_20"] if c["check"].startswith("docs/s at")]
    assert share["met"] is True


def test_a_100k_run_keeps_the_10k_run_of_its_invocation_once_that_is_replaced(
    tmp_path: Path,
) -> None:
    bench.merge_result(tmp_path, issue_20_run("local2", 10_000, 50.0, 1), "runs")
    bench.merge_result(tmp_path, issue_20_run("local2", 100_000, 520.0, 1), "runs")
    # a later invocation's 10k runs (3 repetitions, 40 s: 250 docs/s) replace the 10k entry
    for i in (1, 2, 3):
        later = {**issue_20_run("local2", 10_000, 40.0, i), "invocation": "inv-2"}
        data = bench.merge_result(tmp_path, later, "runs")
    entries = {(r["size"], r.get("invocation")) for r in data["runs"]}
    assert entries == {(10_000, "inv-2"), (100_000, "inv-1")}
    (share,) = [c for c in data["acceptance"]["issue_20"] if c["check"].startswith("docs/s at")]
    assert share["measured"] == 0.962 and share["met"] is True  # 192.3 vs its own 200 docs/s
    assert "the 10k run of the same invocation" in share["evidence"]
    # a run alone in its invocation has nothing alongside: not comparable with inv-2's 10k
    alone = {**issue_20_run("local2", 100_000, 520.0, 1), "invocation": "inv-3"}
    data = bench.merge_result(tmp_path, alone, "runs")
    (share,) = [c for c in data["acceptance"]["issue_20"] if c["check"].startswith("docs/s at")]
    assert share["met"] is False and "not comparable" in share["evidence"]


def test_issue_20_scaling_needs_three_pairs(tmp_path: Path) -> None:
    for config, wall in (("local1", 100.0), ("local2", 50.0)):
        data = bench.merge_result(tmp_path, issue_20_run(config, 10_000, wall, 1), "runs")
    (scaling,) = [c for c in data["acceptance"]["issue_20"] if c["check"].startswith("2 workers")]
    assert scaling["measured"] == 2.0 and scaling["met"] is False


def test_machine_scaling_measures_one_and_two_processes() -> None:
    assert bench.machine_scaling(0) is None
    result = bench.machine_scaling(1, loops=1_000_000)
    assert result is not None
    (trial,) = result["trials"]
    assert trial["one_s"] > 0 and len(trial["two_each_s"]) == 2
    assert trial["two_wall_s"] >= max(trial["two_each_s"]) - 0.01
    # The ratio is of the unrounded seconds.
    assert trial["ratio"] == pytest.approx(2 * trial["one_s"] / trial["two_wall_s"], rel=0.05)
    assert result["median_ratio"] == trial["ratio"]


def test_a_run_is_compared_with_the_peer_on_its_own_corpus_pool() -> None:
    run = {**fake_run("local2", 10.0), "cpu_ms_per_doc": 20.0}  # pool "sample", 10 docs/s
    peers = [
        {"size": SIZE, "config": "trafilatura_pysbd", "pool": pool, "returncode": 0,
         "docs_per_s": docs_per_s, "cpu_ms_per_doc": 80.0}
        for pool, docs_per_s in (("full", 1.0), ("sample", 2.5))
    ]  # fmt: skip
    (versus,) = bench.acceptance({"runs": [run], "peers": peers})["vs_baseline"]
    assert versus["pool"] == "sample" and versus["ratio"] == 4.0 and not versus["met"]
    # with no peer run on its pool, a run has no peer ratio at all
    assert bench.acceptance({"runs": [run], "peers": peers[:1]})["vs_baseline"] == []


def test_the_monitor_yields_the_cpu_to_the_run_it_measures() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3)"])
    monitor = bench.Monitor(child.pid, interval=0.05)
    try:
        monitor.start()
        deadline = time.monotonic() + 2
        while monitor.polls < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert monitor._thread is not None and monitor._thread.native_id is not None
        assert os.getpriority(os.PRIO_PROCESS, monitor._thread.native_id) == 19
        # only the monitor thread: the measured process and this one keep their priority
        assert os.getpriority(os.PRIO_PROCESS, child.pid) == 0
        assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == 0
        assert monitor.polls >= 3 and monitor.stage_summary()["dvc"]["processes"] == 1
    finally:
        monitor.stop()
        child.kill()
        child.wait()


def profile_record() -> dict[str, Any]:
    """A profile.json run as benchmarks.profile writes it (keys sorted, as the JSON keeps them)."""

    def stage(cpu: float, areas: dict[str, float]) -> dict[str, Any]:
        plain = {"cpu_s": cpu, "wall_s": cpu, "peak_rss_mb": 100, "returncode": 0}
        top = [
            {"function": f, "where": "m:1", "calls": 1, "own_s": s, "cumulative_s": s}
            for f, s in (("small", 0.1), ("big", 0.9))
        ]
        return {
            "plain": plain,
            "areas": areas,
            "profiled_total_s": 1.0,
            "import_s": 0.1,
            "top": top,
        }

    run = {
        "pool": "varied",
        "size": SIZE,
        "documents": SIZE,
        "bytes": 10**6,
        "code": {"commit": "0123456789abcdef", "pipeline_uncommitted": []},
        "finished_at": "2026-01-01T00:00:00+00:00",
        "load_start": [0.1],
        "load_end": [0.2],
        "dvc_hashing": {"cpu_s": 0.1, "wall_s": 0.1},
        "stages": {
            "clean": stage(1.0, {"pipeline.text.chrome": 0.3, "polars": 0.6}),
            "extract": stage(2.0, {"import": 0.1, "pipeline.html.content": 0.8}),
        },
    }
    record: dict[str, Any] = json.loads(json.dumps({"runs": {"varied-100": run}}, sort_keys=True))
    return record


def test_profile_renders_in_dvc_order_from_its_json_and_shows_in_the_pipeline_report(
    tmp_path: Path,
) -> None:
    from benchmarks import profile

    md = profile.render(profile_record())
    assert md.index("| extract |") < md.index("| clean |")  # dvc.yaml order, not by name
    assert "polars 60%, pipeline.text.chrome 30%" in md  # areas by share
    assert md.index("`big`") < md.index("`small`")  # top functions by own time
    (tmp_path / "profile.json").write_text(json.dumps(profile_record()))
    bench.merge_result(tmp_path, fake_run("local1", 10.0), "runs")
    report = (tmp_path / "pipeline.md").read_text()
    assert "## Where the CPU goes (profile)" in report
    assert "| extract | 2.0 | 20.00 |" in report and "pipeline.html.content 80%" in report
