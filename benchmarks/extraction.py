"""Extraction benchmark: our extractor beside its peers, in one run.

    python -m benchmarks.extraction [--repeat N] [--limit N] [--out-dir reports/bench]

Runs the shared scorers (never copies of them) as subprocesses and collects their JSON:

* ``extraction_bench.py`` on ``scrapinghub`` (HTML), on its page-text-dump version (made with
  ``make_dumps.py`` into the git-ignored ``data/bench/``) and on ``wcxb-dev`` (article bodies, as a
  check against tuning to one gold set): ours (``pipeline.extract:extract_text``) beside
  trafilatura (defaults and without comments), readability-lxml, resiliparse and jusText;
* ``metadata_bench.py`` on ``wcxb-dev``: ours (``pipeline.extract:extract_metadata``, through
  :func:`bench_metadata`) beside the installed peers it supports;
* ``pagetype_bench.py`` on ``wcxb-dev-pagetype`` with ``pipeline.extract:page_type``, and
  :mod:`benchmarks.page_types` (in process): the page-type model cross-validated by domain;
  ``newscorpus+page_type`` in the extraction tables is the text and the page type together;
* :mod:`benchmarks.cleaning` (in process): the F1 that ``clean`` and segmentation cost against
  the same gold, and what each removal rule removes that the gold keeps.

The bench directory is ``<repo>/../shared/bench`` unless ``NEWSCORPUS_BENCH_DIR`` is set.
Writes ``reports/bench/extraction.json`` and ``reports/bench/extraction.md`` (and
``cleaning.json``, ``cleaning.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OURS = "newscorpus"
OURS_TEXT = "pipeline.extract:extract_text"
# The HTML extractor alone, beside the full entry point (which also detects page text dumps):
# shows what the HTML path costs by itself.
OURS_HTML = "pipeline.html.content:extract_main_text"
OURS_HTML_NAME = "newscorpus_html_only"
# Our adapters are passed to the scorers by file path: a bench dependency (pysbd) installs a
# top-level package named "benchmarks" into site-packages, which shadows ours by module name.
_THIS_FILE = Path(__file__).resolve()
OURS_META = f"{_THIS_FILE}:bench_metadata"
# extract_text and page_type of each page, parsed once (what the extract stage does): its
# pages/s beside OURS's is what the page type costs.
OURS_TYPED = f"{_THIS_FILE}:text_with_page_type"
OURS_TYPED_NAME = "newscorpus+page_type"
OURS_PAGE_TYPE = "pipeline.extract:page_type"
PAGETYPE_SET = "wcxb-dev-pagetype"
READABILITY = f"{_THIS_FILE}:readability_text"

# Built-in systems of extraction_bench.py run beside ours. Its own "readability" system needs the
# html-text package, which is not in our environment, so readability-lxml runs through
# :func:`readability_text` instead (same summary() call, our own HTML-to-text step).
PEER_SYSTEMS: tuple[str, ...] = (
    "trafilatura",
    "trafilatura_nocomments",
    "resiliparse",
    "justext",
)
META_PEERS: tuple[str, ...] = ("trafilatura", "htmldate", "newspaper4k", "goose3")
EXTRACTION_SETS: tuple[str, ...] = ("scrapinghub", "scrapinghub-dumps", "wcxb-dev")


def bench_dir() -> Path:
    """The shared bench directory (env ``NEWSCORPUS_BENCH_DIR`` overrides the default)."""
    env = os.environ.get("NEWSCORPUS_BENCH_DIR")
    return Path(env) if env else REPO.parent / "shared" / "bench"


# --------------------------------------------------------------------------------------------
# adapters called by the scorers (imported as benchmarks.extraction:<name>)
# --------------------------------------------------------------------------------------------
_BLOCK_OPEN = re.compile(
    r"<(?=/?(?:p|div|br|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|pre|section|article|dd|dt)\b)",
    re.IGNORECASE,
)


def readability_text(html: str) -> str:
    """readability-lxml's article HTML (``summary(html_partial=True)``) as text, blocks on lines."""
    from readability import Document
    from selectolax.lexbor import LexborHTMLParser

    summary = Document(html).summary(html_partial=True)
    tree = LexborHTMLParser(_BLOCK_OPEN.sub("\n<", summary))
    text = tree.body.text() if tree.body is not None else ""
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def text_with_page_type(html: str) -> str:
    """``pipeline.extract:extract_text_and_page_type``'s text (the type is decided, not scored)."""
    from pipeline.extract import extract_text_and_page_type

    return extract_text_and_page_type(html)[0]


def bench_metadata(html: str, url: str | None = None) -> dict[str, Any]:
    """``pipeline.extract:extract_metadata`` in the field names of ``metadata_bench.py``."""
    from pipeline.extract import extract_metadata

    meta = extract_metadata(html, url)
    authors = meta.get("authors") or None
    return {"title": meta.get("title"), "author": authors, "publish_date": meta.get("published")}


# --------------------------------------------------------------------------------------------
# running the scorers
# --------------------------------------------------------------------------------------------
def _run(cmd: list[str]) -> str:
    print("$ " + " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    sys.stdout.write(proc.stdout)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}")
    if proc.stderr.strip():
        sys.stderr.write(proc.stderr[-2000:])
    return proc.stdout


def make_dumps(extraction: Path, source: str, dest: Path) -> Path:
    """Page-text-dump version of an extraction set, in the git-ignored ``data/bench/``."""
    _run([sys.executable, str(extraction / "make_dumps.py"), str(extraction / source), str(dest)])
    return dest


def run_extraction(
    dataset: Path, repeat: int, limit: int | None, tmp: Path
) -> list[dict[str, Any]]:
    """One extraction_bench.py run on ``dataset``: ours, readability, the built-in peers."""
    out = tmp / f"{dataset.name}.jsonl"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, str(bench_dir() / "extraction" / "extraction_bench.py"), str(dataset)]
    cmd += ["--callable", OURS_TEXT, "--name", OURS]
    cmd += ["--callable", OURS_TYPED, "--name", OURS_TYPED_NAME]
    if not dataset.name.endswith("-dumps"):
        cmd += ["--callable", OURS_HTML, "--name", OURS_HTML_NAME]
    cmd += ["--callable", READABILITY, "--name", "readability"]
    for system in PEER_SYSTEMS:
        cmd += ["--system", system]
    cmd += ["--repeat", str(repeat), "--json", str(out)]
    if limit:
        cmd += ["--limit", str(limit)]
    _run(cmd)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line]
    for row in rows:
        row["set"] = dataset.name
    return rows


def run_page_type_scorer(dataset: Path, tmp: Path) -> dict[str, Any]:
    """pagetype_bench.py on ``dataset`` with ``pipeline.extract:page_type``."""
    out = tmp / "pagetype.json"
    script = bench_dir() / "extraction" / "pagetype_bench.py"
    _run(
        [
            sys.executable,
            str(script),
            str(dataset),
            "--callable",
            OURS_PAGE_TYPE,
            "--json",
            str(out),
        ]
    )
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def run_metadata(dataset: Path, limit: int | None, tmp: Path) -> dict[str, Any]:
    """metadata_bench.py on ``dataset``: ours beside the installed peers it supports."""
    out = tmp / "metadata.json"
    cmd = [sys.executable, str(bench_dir() / "extraction" / "metadata_bench.py"), str(dataset)]
    for system in META_PEERS:
        cmd += ["--system", system]
    cmd += ["--callable", OURS_META, "--json", str(out)]
    if limit:
        cmd += ["--limit", str(limit)]
    _run(cmd)
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    results = data.get("results", {})
    if OURS_META in results:
        results[OURS] = results.pop(OURS_META)
    return data


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------
def _pct(value: Any) -> str:
    return "-" if value is None else f"{100 * float(value):.1f}"


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per set: ours vs the best peer on F1, and our speed as a multiple of trafilatura's."""
    summary: dict[str, Any] = {}
    for name in EXTRACTION_SETS:
        ours = next((r for r in rows if r["set"] == name and r["system"] == OURS), None)
        html_only = next(
            (r for r in rows if r["set"] == name and r["system"] == OURS_HTML_NAME), None
        )
        typed = next((r for r in rows if r["set"] == name and r["system"] == OURS_TYPED_NAME), None)
        ours_names = (OURS, OURS_HTML_NAME, OURS_TYPED_NAME)
        peers = [r for r in rows if r["set"] == name and r["system"] not in ours_names]
        if ours is None:
            continue
        best = max(peers, key=lambda r: r["f1"], default=None)
        traf = next((r for r in peers if r["system"] == "trafilatura_nocomments"), None)
        summary[name] = {
            "ours_f1": ours["f1"],
            "best_peer": best["system"] if best else None,
            "best_peer_f1": best["f1"] if best else None,
            "ours_above_every_peer": best is None or ours["f1"] > best["f1"],
            "speed_vs_trafilatura": ours["pages_per_s"] / traf["pages_per_s"] if traf else None,
            "html_only_speed_vs_trafilatura": (
                html_only["pages_per_s"] / traf["pages_per_s"] if traf and html_only else None
            ),
            # pages/s of text + page type over pages/s of text alone (1.0 = free)
            "page_type_speed_ratio": typed["pages_per_s"] / ours["pages_per_s"] if typed else None,
        }
    return summary


def markdown(report: dict[str, Any]) -> str:
    """The report as markdown tables."""
    machine = report["machine"]
    lines = [
        "# Extraction benchmark",
        "",
        f"Run {report['started']} on {machine['cpu']} ({machine['nproc']} CPUs),"
        f" Python {machine['python']}; one process, one page at a time;"
        f" fastest of {report['repeat']} timing pass(es)."
        " Produced by `python -m benchmarks.extraction`.",
        "",
        "Body text: `extraction_bench.py` (scrapinghub metric: 4-gram shingles, macro P/R, F1 of"
        " the two). `scrapinghub-dumps` is the same set turned into page text dumps by"
        " `make_dumps.py`; `wcxb-dev` bodies check that nothing is tuned to one gold set.",
        "readability runs as `Document(html).summary(html_partial=True)` turned into text by"
        " `benchmarks.extraction.readability_text` (the scorer's own readability system needs"
        " html-text, which is not installed).",
        "",
    ]
    for name in EXTRACTION_SETS:
        rows = [r for r in report["extraction"] if r["set"] == name]
        if not rows:
            continue
        lines += [
            f"## {name} ({rows[0]['pages']} pages, {rows[0]['html_mb']:.1f} MB)",
            "",
            "| system | F1 | P | R | acc | pages/s | MB/s | p95 ms | empty | errors |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in sorted(rows, key=lambda r: -r["f1"]):
            ours_row = r["system"] in (OURS, OURS_HTML_NAME, OURS_TYPED_NAME)
            label = f"**{r['system']}**" if ours_row else r["system"]
            lines.append(
                f"| {label} | {r['f1']:.3f} ± {r['f1_std']:.3f} | {r['precision']:.3f} |"
                f" {r['recall']:.3f} | {r['accuracy']:.3f} | {r['pages_per_s']:.1f} |"
                f" {r['mb_per_s']:.2f} | {r['p95_ms']:.1f} | {r['empty_predictions']} |"
                f" {r['errors']} |"
            )
        s = report["summary"].get(name)
        if s and s["best_peer"]:
            line = (
                f"Ours {s['ours_f1']:.3f} vs best peer {s['best_peer']} {s['best_peer_f1']:.3f}"
                f" (above every peer: {'yes' if s['ours_above_every_peer'] else 'no'})"
            )
            if not name.endswith("-dumps") and s["speed_vs_trafilatura"]:
                line += (
                    f"; pages/s {s['speed_vs_trafilatura']:.1f}× trafilatura (no comments)"
                    f" through `{OURS_TEXT}`"
                )
                if s["html_only_speed_vs_trafilatura"]:
                    line += (
                        f", {s['html_only_speed_vs_trafilatura']:.1f}× for the HTML extractor"
                        f" alone (`{OURS_HTML}`)"
                    )
            if s.get("page_type_speed_ratio"):
                line += (
                    f"; with the page type decided too ({OURS_TYPED_NAME}) pages/s is"
                    f" {s['page_type_speed_ratio']:.1%} of the text alone"
                )
            lines += ["", line + "."]
        lines.append("")
    lines += page_type_lines(report)
    meta = report.get("metadata") or {}
    results = meta.get("results") or {}
    if results:
        lines += [
            "## Metadata on wcxb-dev (`metadata_bench.py`)",
            "",
            "Percentages over pages whose gold has the field, except *spur* (over pages whose"
            " gold has none).",
            "",
            "| system | title exact | title tokF1 | author set | author tokF1 | author spur |"
            " date day | date wrong | date miss | date spur | pages/s | errors |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for system, sc in results.items():
            t, a, d, m = sc["title"], sc["author"], sc["publish_date"], sc["_"]

            def cell(field: dict[str, Any], key: str, pct: bool = True) -> str:
                if not field.get("produced"):
                    return "-"
                value = field.get(key)
                if value is None:
                    return "-"
                return _pct(value) if pct else f"{float(value):.3f}"

            label = f"**{system}**" if system == OURS else system
            speed = m.get("pages_per_s")
            lines.append(
                f"| {label} | {cell(t, 'correct')} | {cell(t, 'token_f1', False)} |"
                f" {cell(a, 'correct')} | {cell(a, 'token_f1', False)} | {cell(a, 'spurious')} |"
                f" {cell(d, 'correct')} | {cell(d, 'wrong')} | {cell(d, 'miss')} |"
                f" {cell(d, 'spurious')} | {speed:.1f} | {m.get('errors')} |"
                if speed
                else f"| {label} | (no timing) |"
            )
        lines.append("")
    return "\n".join(lines) + "\n"


def page_type_lines(report: dict[str, Any]) -> list[str]:
    """## Page types: the cross-validated figures and the shared scorer's run."""
    from benchmarks import page_types as page_type_model

    cv = report.get("page_types")
    scorer = report.get("page_type_scorer")
    if not cv and not scorer:
        return []
    lines = [f"## Page types on {PAGETYPE_SET}", ""]
    if cv:
        lines += [
            f"Cross-validated by domain ({cv['folds']} folds: no page of a test domain in"
            " training; `benchmarks/page_types.py`, details in `page_types.md`):",
            "",
            *page_type_model.form_table(cv),
        ]
        called = ", ".join(
            f"{t} {v:.0%}"
            for t, v in cv["html"]["called_article_by_type"].items()
            if t != "article"
        )
        lines += ["", f"Non-article pages called article (HTML): {called}.", ""]
    if scorer:
        lines += [
            f"`pagetype_bench.py` with `{OURS_PAGE_TYPE}` (the committed model, trained on these"
            f" very pages, so not a held-out figure): article P {scorer['article_precision']:.3f}"
            f" R {scorer['article_recall']:.3f} F1 {scorer['article_f1']:.3f}, type accuracy"
            f" {scorer['type_accuracy']:.3f}, {scorer['pages_per_s']:.0f} pages/s.",
            "",
        ]
    return lines


def _machine() -> dict[str, Any]:
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu, "nproc": os.cpu_count(), "python": platform.python_version()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=2, help="timing passes (fastest reported)")
    parser.add_argument("--limit", type=int, default=None, help="first N pages only (smoke test)")
    parser.add_argument("--out-dir", type=Path, default=REPO / "reports" / "bench")
    parser.add_argument("--skip-metadata", action="store_true")
    parser.add_argument("--skip-cleaning", action="store_true")
    parser.add_argument(
        "--skip-page-types", action="store_true", help="no page-type cross-validation (~7 min)"
    )
    args = parser.parse_args(argv)

    extraction = bench_dir() / "extraction"
    if not (extraction / "extraction_bench.py").exists():
        raise SystemExit(f"no extraction bench at {extraction} (set NEWSCORPUS_BENCH_DIR)")
    started = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    dumps = make_dumps(extraction, "scrapinghub", REPO / "data" / "bench" / "scrapinghub-dumps")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="newscorpus-bench-") as tmp_name:
        tmp = Path(tmp_name)
        for dataset in (extraction / "scrapinghub", dumps, extraction / "wcxb-dev"):
            rows += run_extraction(dataset, args.repeat, args.limit, tmp)
        metadata = (
            None if args.skip_metadata else run_metadata(extraction / "wcxb-dev", args.limit, tmp)
        )
        page_type_scorer = run_page_type_scorer(extraction / PAGETYPE_SET, tmp)
    page_types = None
    if not args.skip_page_types:
        from benchmarks import page_types as page_type_model

        page_types = page_type_model.measure(args.out_dir)
    report: dict[str, Any] = {
        "started": started,
        "seconds": round(time.perf_counter() - t0, 1),
        "bench_dir": str(bench_dir()),
        "repeat": args.repeat,
        "limit": args.limit,
        "machine": _machine(),
        "extraction": rows,
        "summary": summarize(rows),
        "metadata": metadata,
        "page_type_scorer": page_type_scorer,
        "page_types": page_types,
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "extraction.json").write_text(
        json.dumps(report, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    (args.out_dir / "extraction.md").write_text(markdown(report), encoding="utf-8")
    print(f"wrote {args.out_dir / 'extraction.json'} and {args.out_dir / 'extraction.md'}")
    if not args.skip_cleaning:
        # what clean and segment cost against the same gold (in process, a minute or two)
        from benchmarks import cleaning

        cleaning.write(cleaning.run(args.limit), args.out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
