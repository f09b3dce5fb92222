"""WARC input read from an S3-compatible server vs the same files in a local folder (issue 22).

    python -m benchmarks.remote_input [--pages 1000] [--per-warc 250] [--repeat 3]

Builds a synthetic corpus of ``--pages`` pages as WARC files (:mod:`benchmarks.corpus`, varied
pool, ``--per-warc`` records a file) in the git-ignored ``data/bench/remote/``, starts moto's S3
server on loopback and uploads the files, makes two repositories of the working tree
(:func:`tests.dvcrepo.make_repo`): ``local`` reads the folder (``ingest.input_dir``), ``s3``
the objects (``ingest.input_urls``), then runs ``dvc repro`` in each, ``--repeat`` interleaved
pairs (``dvc repro -f`` after the first). Per run: wall seconds, CPU seconds of the whole
process tree, the ingest stage's seconds (its run log), input records/s, and the disk the run
left (outputs, DVC cache). Writes ``reports/bench/remote_input.json`` and ``.md`` (medians).
The S3 server runs on the same two cores as the pipeline: a real store costs network latency
instead (each 8 MiB range is one request)."""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.corpus import build
from benchmarks.end_to_end import git_state, machine_info
from tests.dvcrepo import commit, make_repo, set_param
from tests.s3server import CREDENTIALS, moto_server, s3

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "data" / "bench" / "remote"
OUT = ROOT / "reports" / "bench"
BUCKET = "bench"
DISK = ("data/interim", "data/processed", ".dvc/cache")


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def timed_repro(repo: Path, env: dict[str, str], force: bool) -> dict[str, Any]:
    """One ``dvc repro`` (``-f``: every stage again) with its wall and CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    args = [str(Path(sys.executable).parent / "dvc"), "repro", *(["-f"] if force else [])]
    proc = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"dvc repro failed in {repo}:\n{proc.stdout}\n{proc.stderr}")
    ingest = json.loads((repo / "reports" / "runs" / "ingest.json").read_text(encoding="utf-8"))
    metrics = json.loads((repo / "reports" / "metrics.json").read_text(encoding="utf-8"))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "ingest_s": ingest["seconds"],
        "inputs": metrics["documents"]["input"],
        "docs_per_s": round(metrics["documents"]["input"] / wall, 1),
        "disk_mb": {d: round(folder_bytes(repo / d) / 1e6, 1) for d in DISK},
    }


def median_of(runs: list[dict[str, Any]], key: str) -> float:
    return round(float(statistics.median(r[key] for r in runs)), 2)


def render(result: dict[str, Any]) -> str:
    rows = [
        "# Remote input: WARC from a local S3 server vs a local folder",
        "",
        f"{result['pages']} pages in {result['files']} WARC files ({result['mb']} MB), "
        f"{result['repeat']} interleaved pairs of `dvc repro` (medians), 2-core machine; "
        "`python -m benchmarks.remote_input`. The S3 server (moto) shares the two cores.",
        "",
        "| input | docs/s | wall s | CPU s | ingest s | interim + processed MB | DVC cache MB |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ("local", "s3"):
        runs = result["runs"][name]
        disk = runs[0]["disk_mb"]
        rows.append(
            f"| {name} | {median_of(runs, 'docs_per_s')} | {median_of(runs, 'wall_s')} | "
            f"{median_of(runs, 'cpu_s')} | {median_of(runs, 'ingest_s')} | "
            f"{round(disk['data/interim'] + disk['data/processed'], 1)} | {disk['.dvc/cache']} |"
        )
    ratio = median_of(result["runs"]["s3"], "docs_per_s") / median_of(
        result["runs"]["local"], "docs_per_s"
    )
    rows += [
        "",
        f"s3 / local docs/s: {ratio:.2f}. Per 1,000 WARC records on this machine: "
        f"{1000 * median_of(result['runs']['s3'], 'wall_s') / result['pages']:.0f} s from S3.",
        "",
        f"Code: {result['git']['commit'][:12]}"
        + (" with uncommitted changes" if result["git"]["pipeline_uncommitted"] else "")
        + ".",
        "",
    ]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--per-warc", type=int, default=250)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    corpus = WORK / f"warc-{args.pages}-{args.per_warc}"
    if not corpus.exists():
        build(args.pages, corpus, warc=True, per_warc=args.per_warc)
    files = sorted(corpus.glob("*.warc.gz"))
    with moto_server() as endpoint:
        fs = s3(endpoint)
        fs.mkdir(BUCKET)
        for path in files:
            fs.put_file(str(path), f"{BUCKET}/{path.name}")
        env = {
            **os.environ,
            **CREDENTIALS,
            "AWS_ENDPOINT_URL": endpoint,
            "DVC_NO_ANALYTICS": "1",
            "GX_ANALYTICS_ENABLED": "False",
        }
        repos = {}
        for name in ("local", "s3"):
            repo = WORK / "runs" / name
            shutil.rmtree(repo, ignore_errors=True)
            repo.mkdir(parents=True)
            make_repo(repo)
            if name == "local":
                set_param(repo, "ingest", "input_dir", str(corpus))
            else:
                set_param(repo, "ingest", "input_dir", "null")
                urls = ", ".join(f"s3://{BUCKET}/{p.name}" for p in files)
                set_param(repo, "ingest", "input_urls", f"[{urls}]")
            # The synthetic pages trip a suite or two (recombined real pages): time every stage.
            set_param(repo, "validate", "on_failure", "warn")
            commit(repo, f"bench {name}")
            repos[name] = repo
        runs: dict[str, list[dict[str, Any]]] = {"local": [], "s3": []}
        for i in range(args.repeat):
            for name, repo in repos.items():
                runs[name].append(timed_repro(repo, env, force=i > 0))
                print(name, runs[name][-1], flush=True)
    result = {
        "pages": args.pages,
        "files": len(files),
        "mb": round(sum(p.stat().st_size for p in files) / 1e6, 1),
        "repeat": args.repeat,
        "runs": runs,
        "machine": machine_info(),
        "git": git_state(),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "remote_input.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (OUT / "remote_input.md").write_text(render(result), encoding="utf-8")
    print(render(result))


if __name__ == "__main__":
    main()
