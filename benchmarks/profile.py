"""Where the CPU of a whole ``dvc repro`` goes (issue 20): every stage under cProfile.

    python -m benchmarks.profile [--size 10000] [--pool varied] [--top 12] [--no-plain]
    make bench-profile N=10000

The corpus of :mod:`benchmarks.end_to_end` (``data/bench/pipeline/<pool>-<size>``) goes into a
fresh repository made like the pipeline benchmark's, with ``engine.name: serial``: each stage's
work then runs in its one process, so one profile holds all of it (the local engine's workers
would each need their own). The stages run in ``dvc.yaml`` order, each twice:

* plain (``--no-plain`` skips it): the stage's CPU seconds (user + system, ``wait4``), wall
  seconds and peak RSS, with no profiler in the way;
* under ``python -m cProfile``: where that CPU goes. The profiler adds a cost per Python call,
  so call-heavy code looks dearer than it is: shares are read from the profile, seconds from
  the plain run.

DVC's own work is timed apart: ``dvc commit -f`` after the stages hashes every output as
``dvc repro`` does after each stage.

A stage's profiled time is attributed by *area*: a function of ours counts for its module
(``pipeline.html.content``), a library's for the library (``polars``, ``pyarrow``,
``great_expectations``...). Built-in functions (a regex search, ``str.split``, a Polars
``collect``) have no file: those of a known library (Polars, pyarrow, numpy, lzma) count for it,
any other for the module that called it, in proportion to the calls' time. ``import`` is the
time spent importing modules (their top-level code included), whatever the module.

Writes ``reports/bench/profile.json`` and ``profile.md`` (per stage: seconds, ms per document,
areas, top functions), keyed by pool and size so several sizes sit side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.end_to_end import (
    OUT_DIR,
    _env,
    corpus_dir,
    ensure_corpus,
    git_state,
    loadavg,
    merge_result,
)

WORK_DIR = Path("/tmp/newscorpus-profile")
PROJECT_ROOT = Path(__file__).resolve().parents[1]
# cProfile's key of a built-in function: ("~", 0, "<built-in method ...>")
_BUILTIN_LIBRARIES = (
    ("polars", ("PyLazyFrame", "PyDataFrame", "PySeries", "PyExpr", "polars")),
    ("pyarrow", ("pyarrow", "_parquet", "_compute", "lib.")),
    ("numpy", ("numpy",)),
    ("lzma", ("_lzma", "lzma")),
    ("selectolax", ("selectolax", "lexbor", "Lexbor")),
)
_SITE = re.compile(r"site-packages/([A-Za-z0-9_]+)")
_FROZEN_IMPORT = "_find_and_load"
_IMPORT_BUILTINS = ("marshal.loads", "builtins.compile", "_imp.", "builtins.__import__")
_PASS_UP_ROUNDS = 30


def _area_of_file(filename: str, repo: Path) -> str | None:
    """The area of a function defined in ``filename``: our module, a library, or None for the
    standard library (whose time counts for its callers)."""
    path = Path(filename)
    try:
        rel = path.resolve().relative_to(repo.resolve())
    except ValueError:
        rel = None
    if rel is not None and rel.parts and rel.parts[0] == "pipeline":
        return ".".join(rel.with_suffix("").parts)
    site = _SITE.search(filename)
    if site:
        return site.group(1).removeprefix("_")
    return None


def _builtin_library(name: str) -> str | None:
    for library, marks in _BUILTIN_LIBRARIES:
        if any(mark in name for mark in marks):
            return library
    return None


def _area_of(key: tuple[str, int, str], repo: Path) -> str | None:
    """The area a function's own time counts for; None: its callers'."""
    filename, _line, name = key
    if name == "<module>" or filename.startswith("<frozen importlib"):
        return "import"
    if filename == "~":
        if any(mark in name for mark in _IMPORT_BUILTINS):
            return "import"
        return _builtin_library(name)
    return _area_of_file(filename, repo)


def areas(profile: Path, repo: Path) -> tuple[dict[str, float], float, float]:
    """(profiled seconds by area, total profiled seconds, import seconds) of one profile.

    The own time of a function with no area of its own (a built-in, the standard library) is
    passed up to its callers, split as their calls' cumulative time, until it reaches one with
    an area (a recursion that never does ends in ``python``)."""
    stats: Any = getattr(pstats.Stats(str(profile)), "stats")  # noqa: B009  (untyped)
    by_area: dict[str, float] = {}
    total = 0.0
    imports = 0.0
    pending: dict[Any, float] = {}
    for key, (_cc, _nc, tottime, cumtime, _callers) in stats.items():
        total += tottime
        if key[2] == _FROZEN_IMPORT and key[0].startswith("<frozen"):
            imports = max(imports, cumtime)  # recursive: the outermost calls' cumulative time
        area = _area_of(key, repo)
        if area is None:
            pending[key] = pending.get(key, 0.0) + tottime
        else:
            by_area[area] = by_area.get(area, 0.0) + tottime
    for _ in range(_PASS_UP_ROUNDS):
        passed: dict[Any, float] = {}
        for key, amount in pending.items():
            callers = {c: v for c, v in stats[key][4].items() if c != key}
            weight = sum(v[3] for v in callers.values())
            if not callers or weight <= 0:
                by_area["python"] = by_area.get("python", 0.0) + amount
                continue
            for caller, v in callers.items():
                share = amount * v[3] / weight
                area = _area_of(caller, repo)
                if area is None:
                    passed[caller] = passed.get(caller, 0.0) + share
                else:
                    by_area[area] = by_area.get(area, 0.0) + share
        pending = passed
        if not pending:
            break
    for amount in pending.values():
        by_area["python"] = by_area.get("python", 0.0) + amount
    return by_area, total, imports


def top_functions(profile: Path, repo: Path, count: int) -> list[dict[str, Any]]:
    """The ``count`` functions with the most time of their own."""
    stats: Any = getattr(pstats.Stats(str(profile)), "stats")  # noqa: B009  (untyped)
    rows = []
    for (filename, line, name), (_cc, calls, tottime, cumtime, _callers) in stats.items():
        where = (
            "built-in"
            if filename == "~"
            else f"{_area_of_file(filename, repo) or Path(filename).name}:{line}"
        )
        rows.append(
            {
                "function": name,
                "where": where,
                "calls": calls,
                "own_s": round(tottime, 3),
                "cumulative_s": round(cumtime, 3),
            }
        )
    rows.sort(key=lambda r: -r["own_s"])
    return rows[:count]


def stage_names(repo: Path) -> list[str]:
    """The stages of ``dvc.yaml`` that run a pipeline module, in file order."""
    text = (repo / "dvc.yaml").read_text()
    return re.findall(r"cmd: \.venv/bin/python -m pipeline\.(\w+)", text)


def _run(command: list[str], repo: Path, log: Path) -> tuple[int, float, float, float]:
    """(return code, wall s, CPU s, peak RSS MB) of ``command`` and its children."""
    started = time.perf_counter()
    with log.open("a") as out:
        out.write(f"$ {' '.join(command)}\n")
        out.flush()
        proc = subprocess.Popen(command, cwd=repo, env=_env(), stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    return (
        os.waitstatus_to_exitcode(status),
        wall,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
    )


def _clear_outputs(repo: Path) -> None:
    """Remove the stages' outputs, so a stage never reuses rows of an earlier run."""
    for folder in ("data/interim", "data/processed"):
        for path in (repo / folder).glob("*.parquet"):
            path.unlink()


def profile_pipeline(size: int, pool: str, top: int, plain: bool) -> dict[str, Any]:
    from tests.dvcrepo import commit, make_repo, set_param

    info = ensure_corpus(size, pool)
    repo = WORK_DIR / f"{pool}-{size}"
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    code = git_state()
    make_repo(repo)
    set_param(repo, "ingest", "input_dir", str(corpus_dir(size, pool)))
    set_param(repo, "engine", "name", "serial")
    commit(repo, f"profile {size}")
    python = str(repo / ".venv" / "bin" / "python")
    dvc = str(Path(sys.executable).parent / "dvc")
    log = repo / "profile.log"
    load_start = loadavg()
    stages: dict[str, Any] = {}
    for passes in ["plain", "profiled"] if plain else ["profiled"]:
        _clear_outputs(repo)
        for stage in stage_names(repo):
            prof = repo / f"{stage}.prof"
            command = [python, "-m", "pipeline." + stage]
            if passes == "profiled":
                command = [python, "-m", "cProfile", "-o", str(prof), "-m", f"pipeline.{stage}"]
            rc, wall, cpu, rss = _run(command, repo, log)
            entry = stages.setdefault(stage, {})
            entry[passes] = {
                "returncode": rc,
                "wall_s": round(wall, 2),
                "cpu_s": round(cpu, 2),
                "peak_rss_mb": round(rss),
            }
            if passes == "profiled" and prof.exists():
                by_area, total, imports = areas(prof, repo)
                entry["profiled_total_s"] = round(total, 2)
                entry["import_s"] = round(imports, 2)
                entry["areas"] = {
                    k: round(v, 3) for k, v in sorted(by_area.items(), key=lambda kv: -kv[1])
                }
                entry["top"] = top_functions(prof, repo, top)
            print(
                f"  {passes:8} {stage:10} rc={rc} cpu {cpu:7.1f} s wall {wall:7.1f} s", flush=True
            )
    rc, wall, cpu, _ = _run([dvc, "commit", "-f", "-q"], repo, log)
    return {
        "pool": pool,
        "size": size,
        "documents": info["files"],
        "bytes": info["bytes"],
        "engine": "serial",
        "code": code,
        "python": sys.version.split()[0],
        "cores": os.cpu_count(),
        "load_start": load_start,
        "load_end": loadavg(),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "stages": stages,
        "dvc_hashing": {"returncode": rc, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2)},
    }


def in_stage_order(stages: dict[str, Any]) -> list[tuple[str, Any]]:
    """The stages of a profiled run in ``dvc.yaml``'s order (profile.json keeps its keys
    sorted by name)."""
    order = {name: i for i, name in enumerate(stage_names(PROJECT_ROOT))}
    return sorted(stages.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


def stage_table(run: dict[str, Any]) -> list[str]:
    """A profiled run's summary line and its per-stage table: CPU, ms per document, share,
    wall, peak RSS, imports and where the time goes (also shown in ``pipeline.md``)."""
    docs = run["documents"]
    stages = run["stages"]
    cpu_total = sum(
        s.get("plain", s.get("profiled", {})).get("cpu_s", 0.0) for s in stages.values()
    )
    cpu_total += run["dvc_hashing"]["cpu_s"]
    lines = [
        f"Commit {run['code']['commit'][:10]}"
        + (
            f" + uncommitted {', '.join(run['code']['pipeline_uncommitted'])}"
            if run["code"]["pipeline_uncommitted"]
            else ""
        )
        + f"; {run['finished_at']}; load {run['load_start'][0]} / {run['load_end'][0]}. "
        f"Whole pipeline: **{cpu_total / docs * 1000:.1f} ms CPU per page** "
        "(stages run one after the other, serial engine, plus DVC's hashing).",
        "",
        "| stage | CPU s | ms/doc | share | wall s | peak RSS MB | import s "
        "| where the time goes (share of profiled time) |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, stage in in_stage_order(stages):
        base = stage.get("plain") or stage.get("profiled", {})
        total = stage.get("profiled_total_s") or 1.0
        areas = sorted(stage.get("areas", {}).items(), key=lambda item: (-item[1], item[0]))
        spread = ", ".join(
            f"{area} {seconds / total:.0%}"
            for area, seconds in areas[:6]
            if seconds / total >= 0.02
        )
        lines.append(
            f"| {name} | {base['cpu_s']:.1f} | {base['cpu_s'] / docs * 1000:.2f} | "
            f"{base['cpu_s'] / cpu_total:.0%} | {base['wall_s']:.1f} | "
            f"{base['peak_rss_mb']:,} | "
            f"{stage.get('import_s', 0.0) * base['cpu_s'] / total:.1f} | {spread} |"
        )
    hashing = run["dvc_hashing"]
    lines.append(
        f"| DVC hashing (`dvc commit -f`) | {hashing['cpu_s']:.1f} | "
        f"{hashing['cpu_s'] / docs * 1000:.2f} | {hashing['cpu_s'] / cpu_total:.0%} | "
        f"{hashing['wall_s']:.1f} | - | - | - |"
    )
    return lines


def render(data: dict[str, Any]) -> str:
    lines = [
        "# Profile of a whole `dvc repro` (issue 20)",
        "",
        "Generated by `python -m benchmarks.profile` (`make bench-profile N=...`); figures in "
        "`reports/bench/profile.json`. Each stage runs on the serial engine (all its work in one "
        "process) twice: plain, for its CPU seconds, then under cProfile, for where they go. "
        "cProfile charges a cost per Python call, so the areas are shares of the *profiled* "
        "time; `ms/doc` is from the plain run. `import` is module loading (top-level code "
        "included), whatever the module. Built-in calls (regex, `str` methods) count for the "
        "module that made them; Polars, pyarrow, numpy and selectolax calls for that library.",
        "",
    ]
    for key in sorted(
        data["runs"], key=lambda k: (data["runs"][k]["pool"], data["runs"][k]["size"])
    ):
        run = data["runs"][key]
        docs = run["documents"]
        stages = run["stages"]
        lines += [f"## {run['pool']} pool, {docs:,} pages ({run['bytes'] / 1e6:,.0f} MB)", ""]
        lines += stage_table(run)
        lines += [
            "",
            "Import seconds are scaled from the profiled run to the plain one.",
            "",
            "<details><summary>Top functions by own time, per stage (profiled seconds)</summary>",
            "",
        ]
        for name, stage in in_stage_order(stages):
            lines += [
                f"**{name}**",
                "",
                "| function | where | calls | own s | cumulative s |",
                "|---|---|---:|---:|---:|",
            ]
            for row in sorted(stage.get("top", []), key=lambda row: -row["own_s"]):
                function = (
                    row["function"].replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
                )
                lines.append(
                    f"| `{function}` | {row['where']} | {row['calls']:,} | "
                    f"{row['own_s']:.2f} | {row['cumulative_s']:.2f} |"
                )
            lines.append("")
        lines += ["</details>", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--pool", default="varied", choices=("varied", "full", "sample"))
    parser.add_argument("--top", type=int, default=12, help="functions listed per stage")
    parser.add_argument("--no-plain", dest="plain", action="store_false", help="profiled run only")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    json_path = args.out_dir / "profile.json"
    data: dict[str, Any] = json.loads(json_path.read_text()) if json_path.exists() else {"runs": {}}
    print(f"profile {args.pool}-{args.size} ...", flush=True)
    run = profile_pipeline(args.size, args.pool, args.top, args.plain)
    data["runs"][f"{args.pool}-{args.size}"] = run
    args.out_dir.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    (args.out_dir / "profile.md").write_text(render(data))
    if (args.out_dir / "pipeline.json").exists():  # it shows the profile's stage tables too
        merge_result(args.out_dir, {}, "runs")
    print(f"wrote {json_path} and profile.md")


if __name__ == "__main__":
    main()
