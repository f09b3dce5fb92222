"""Sentence boundary benchmark: our segmenter beside its peers, in one run.

    python -m benchmarks.sbd [--repeat N] [--out-dir reports/bench]

Runs the shared scorer ``sbd/sbd_bench.py`` (never a copy of it) once, as a subprocess with
its ``--json`` output, over ``golden_rules_en.jsonl`` (exact-match %) and ``ud_ewt_dev.jsonl``
(boundary P/R/F1 and MB/s, paragraphs as ``"\\n"`` via ``--newline-paragraphs``) for:

* ours, ``pipeline.text.sentences:split_sentences``;
* pysbd, sentencex, syntok, blingfire (the scorer's built-in adapters);
* nltk punkt: the trained English model needs nltk data that cannot be downloaded here; when
  ``punkt_tab`` is installed it is converted to the scorer's parameter JSON and used
  (``nltk_punkt``), otherwise the untrained ``PunktSentenceTokenizer`` runs
  (``nltk_punkt_untrained``) and the report says so.

The bench directory is ``<repo>/../shared/bench`` unless ``NEWSCORPUS_BENCH_DIR`` is set.
Writes ``reports/bench/sbd.json`` and ``reports/bench/sbd.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OURS = "newscorpus"
OURS_SPEC = "pipeline.text.sentences:split_sentences"
PEERS: tuple[str, ...] = ("pysbd", "sentencex", "syntok", "blingfire")
DATASETS: tuple[str, ...] = ("golden_rules_en.jsonl", "ud_ewt_dev.jsonl")


def bench_dir() -> Path:
    """The shared bench directory (env ``NEWSCORPUS_BENCH_DIR`` overrides the default)."""
    env = os.environ.get("NEWSCORPUS_BENCH_DIR")
    return Path(env) if env else REPO.parent / "shared" / "bench"


def punkt_params(dest: Path) -> Path | None:
    """Write the scorer's punkt parameter JSON from an installed ``punkt_tab`` English model.

    Returns ``None`` when nltk or its data is missing (nothing is downloaded).
    """
    try:
        import nltk
    except ImportError:
        return None
    try:
        model = Path(nltk.data.find("tokenizers/punkt_tab/english/"))
    except LookupError:
        return None

    def lines(name: str) -> list[str]:
        path = model / name
        if not path.exists():
            return []
        return [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]

    ortho: dict[str, int] = {}
    for ln in lines("ortho_context.tab"):
        word, _, value = ln.partition("\t")
        ortho[word] = int(value)
    params = {
        "ABBREV_TYPES": lines("abbrev_types.txt"),
        "SENT_STARTERS": lines("sent_starters.txt"),
        "COLLOCATIONS": [ln.split("\t") for ln in lines("collocations.tab")],
        "ORTHO_CONTEXT": ortho,
    }
    dest.write_text(json.dumps(params), encoding="utf-8")
    return dest


def run_scorer(
    scorer: Path, datasets: list[Path], specs: list[str], repeat: int, env: dict[str, str]
) -> dict[str, Any]:
    """One scorer run over every segmenter and data set; its parsed ``--json`` output."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sbd.json"
        cmd = [sys.executable, str(scorer), "--newline-paragraphs", "--repeat", str(repeat)]
        for spec in specs:
            cmd += ["-s", spec]
        cmd += [str(p) for p in datasets]
        cmd += ["--json", str(out)]
        subprocess.run(cmd, check=True, cwd=REPO, env=env)
        result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def ud_texts(path: Path) -> list[str]:
    """The UD EWT documents as the scorer's ``--newline-paragraphs`` gives them to segmenters."""
    texts = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        chars = list(rec["text"])
        for p in rec.get("paragraph_starts") or []:
            if p > 0 and chars[p - 1] == " ":
                chars[p - 1] = "\n"
        texts.append("".join(chars))
    return texts


def cpu_throughput(path: Path, repeat: int) -> float:
    """Our MB/s on the UD EWT text in CPU time (``time.process_time``), best of ``repeat``.

    The scorer measures wall time, which other processes on a shared machine can inflate;
    CPU time of this process shows the segmenter's own cost.
    """
    from pipeline.text.sentences import split_sentences

    texts = ud_texts(path)
    nbytes = sum(len(t.encode("utf-8")) for t in texts)
    split_sentences(texts[0])
    best = float("inf")
    for _ in range(max(1, repeat)):
        t0 = time.process_time()
        for t in texts:
            split_sentences(t)
        best = min(best, time.process_time() - t0)
    return nbytes / 1e6 / best if best > 0 else float("inf")


def display_name(segmenter: str) -> str:
    return OURS if segmenter == OURS_SPEC else segmenter


def rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per segmenter: golden exact and UD EWT figures side by side."""
    table: dict[str, dict[str, Any]] = {}
    for r in results:
        name = display_name(r["segmenter"])
        row = table.setdefault(name, {"segmenter": name, "version": r.get("version", "")})
        if r["kind"] == "golden":
            row["golden_exact"] = r["exact"]
            row["golden_n"] = r["n"]
        else:
            for key in ("precision", "recall", "f1", "mb_per_s", "tp", "fp", "fn"):
                row[key] = r[key]
    return list(table.values())


def markdown(table: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    out = [
        "# Sentence boundary detection: newscorpus beside its peers",
        "",
        f"Measured {meta['date']} on {meta['machine']} (one process), scorer "
        f"`{meta['scorer']}`, `--newline-paragraphs`, best of {meta['repeat']} timing runs.",
        "Golden: exact-match of the 48 English golden rules. UD EWT dev: boundary precision, "
        "recall and F1 on sentence ends (document-final boundary excluded); MB/s on its text.",
        "",
        "| segmenter | version | golden exact | P | R | F1 | MB/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in table:
        golden = f"{r['golden_exact']}/{r['golden_n']}" if "golden_exact" in r else "–"
        if "f1" in r:
            figures = (
                f"{r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r['mb_per_s']:.2f}"
            )
        else:
            figures = "– | – | – | –"
        out.append(f"| {r['segmenter']} | {r['version'] or '–'} | {golden} | {figures} |")
    out += ["", *(f"- {note}" for note in meta["notes"]), ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="timing repeats (best is kept)")
    ap.add_argument("--out-dir", type=Path, default=REPO / "reports" / "bench")
    args = ap.parse_args(argv)

    sbd = bench_dir() / "sbd"
    scorer = sbd / "sbd_bench.py"
    datasets = [sbd / name for name in DATASETS]
    missing = [str(p) for p in (scorer, *datasets) if not p.exists()]
    if missing:
        print(f"bench data not found: {', '.join(missing)} (set NEWSCORPUS_BENCH_DIR)")
        return 2

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    notes = [
        "Peers use the scorer's built-in adapters (pysbd with clean=False and char spans).",
        "UD EWT is not news (weblogs, e-mail, reviews, answers); many gold sentences have no "
        "final punctuation.",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        params = punkt_params(Path(tmp) / "punkt.json")
        if params is not None:
            env["SBD_PUNKT_PARAMS"] = str(params)
            punkt = "nltk_punkt"
            notes.append("nltk punkt: the installed English punkt_tab model.")
        else:
            punkt = "nltk_punkt_untrained"
            notes.append(
                "nltk punkt: no English model is installed and none can be downloaded, so the "
                "untrained PunktSentenceTokenizer is measured (nltk_punkt_untrained)."
            )
        specs = [OURS_SPEC, *(f"builtin:{p}" for p in PEERS), f"builtin:{punkt}"]
        load_before = os.getloadavg()[0]
        t0 = time.perf_counter()
        result = run_scorer(scorer, datasets, specs, args.repeat, env)
        elapsed = time.perf_counter() - t0
        load_after = os.getloadavg()[0]
    cpu_mb_s = cpu_throughput(datasets[1], max(5, args.repeat))
    notes.append(
        f"MB/s is the scorer's wall-clock figure (best of {args.repeat}); 1-minute load average "
        f"{load_before:.2f} before and {load_after:.2f} after the run on {os.cpu_count()} CPUs. "
        f"newscorpus in CPU time of its own process on the same text: {cpu_mb_s:.1f} MB/s."
    )

    meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()} / {os.cpu_count()} CPUs / Python "
        f"{platform.python_version()}",
        "scorer": "../shared/bench/sbd/sbd_bench.py",
        "datasets": list(DATASETS),
        "repeat": args.repeat,
        "wall_seconds": round(elapsed, 1),
        "load_average_1min": [round(load_before, 2), round(load_after, 2)],
        "newscorpus_cpu_mb_per_s": round(cpu_mb_s, 2),
        "notes": notes,
    }
    table = rows(result["results"])
    args.out_dir.mkdir(parents=True, exist_ok=True)
    report = {"meta": meta, "table": table, "scorer_output": result["results"]}
    (args.out_dir / "sbd.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    (args.out_dir / "sbd.md").write_text(markdown(table, meta), encoding="utf-8")
    print(f"wrote {args.out_dir / 'sbd.json'} and {args.out_dir / 'sbd.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
