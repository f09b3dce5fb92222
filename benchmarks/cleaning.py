"""Cleaning benchmark: what ``clean`` and segmentation cost against the gold article bodies.

    python -m benchmarks.cleaning [--limit N] [--out-dir reports/bench]

In process and fast (pure functions, no dvc). For each gold page of ``scrapinghub`` and
``wcxb-dev`` it scores, with the shared scorer's own metric (``extraction_bench.py``, imported by
path, never copied), three texts:

* ``extract_text(html)``, the extractor alone;
* ``clean_text(extract_text(html))``, what the clean stage keeps (``documents.text``);
* the sentences of the cleaned text joined, as the segment stage cuts them (the page's declared
  language, ``segment.language`` when it has none; sentences longer than
  ``segment.max_sentence_chars`` cut).

It also attributes every character the cleaning removes to the rule that removed it (a CSS/JS
residue line, a chrome sentence trimmed from a paragraph edge, a "Read more"-style fragment
before a paragraph), as the clean stage's removal audit records it, and says how much of it
the gold keeps. On the page-text-dump version of ``scrapinghub`` (made by
``make_dumps.py`` in process) the same is done for the dump mode's line selection: the lines of
the dump left out of the article. A removed span counts as kept by the gold when at least half
of its word 4-grams (the scorer's shingles) occur in the gold body (and a dump line counts as
selected when half of them occur in the dump mode's article).

Writes ``reports/bench/cleaning.json`` and ``reports/bench/cleaning.md``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SETS: tuple[str, ...] = ("scrapinghub", "wcxb-dev")
DUMP_SOURCE = "scrapinghub"
TEXTS: tuple[str, ...] = ("extract_text", "cleaned", "sentences_joined")
RULES: tuple[str, ...] = ("code_residue", "chrome_sentence", "leading_fragment")
# the acceptance bound: whole-pipeline text within this F1 of the extractor alone
MAX_F1_LOSS = 0.005


def bench_dir() -> Path:
    """The shared bench directory (as :func:`benchmarks.extraction.bench_dir`)."""
    from benchmarks.extraction import bench_dir as shared

    return shared()


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def traced_clean(text: str) -> tuple[str, dict[str, list[str]]]:
    """:func:`pipeline.text.cleaning.clean_text` with its removals, rule by rule (the removal
    audit the clean stage records: :func:`pipeline.text.cleaning.clean_text_audited`)."""
    from pipeline.text.cleaning import clean_text_audited

    cleaned, removed = clean_text_audited(text)
    spans: dict[str, list[str]] = {rule: [] for rule in RULES}
    for rule, _, piece in removed:
        spans[rule].append(piece)
    return cleaned, spans


def sentences_joined(text: str, language: str, max_chars: int) -> str:
    """The segment stage's sentences of ``text``, one paragraph per line, joined by a space."""
    from pipeline.text.sentences import split_sentences
    from pipeline.text.spans import bounded_spans

    spans = bounded_spans(text, split_sentences(text, language), max_chars)
    lines: list[list[str]] = [[]]
    last = 0
    for a, b in spans:
        if "\n" in text[last:a]:
            lines.append([])
        lines[-1].append(text[a:b])
        last = b
    return "\n".join(" ".join(line) for line in lines if line)


# --------------------------------------------------------------------------------------------
# scoring
# --------------------------------------------------------------------------------------------
def _gold_share(span: str, gold_shingles: Counter[tuple[str, ...]], ngrams: Any) -> bool:
    shingles = ngrams(span, 4)
    if not shingles:
        return False
    found = sum(1 for s in shingles if s in gold_shingles)
    return found * 2 >= len(shingles)


def _tally(
    spans: list[str], gold_shingles: Counter[tuple[str, ...]], ngrams: Any
) -> dict[str, int]:
    kept = [s for s in spans if _gold_share(s, gold_shingles, ngrams)]
    return {
        "spans": len(spans),
        "chars": sum(len(s) for s in spans),
        "gold_keeps_spans": len(kept),
        "gold_keeps_chars": sum(len(s) for s in kept),
    }


def _add(total: dict[str, int], part: dict[str, int]) -> None:
    for k, v in part.items():
        total[k] = total.get(k, 0) + v


def _f1(bench: ModuleType, gold: dict[str, Any], preds: dict[str, str]) -> dict[str, float]:
    tp_fp_fns = [
        bench.string_shingle_matching(gold[pid].get("articleBody") or "", preds[pid])
        for pid in gold
    ]
    return {k: round(v, 4) for k, v in bench.metrics_from_tp_fp_fns(tp_fp_fns).items()}


def bench_set(
    bench: ModuleType, dataset: Path, limit: int | None, language: str, max_chars: int
) -> dict[str, Any]:
    """F1 of the three texts on one gold set, and the removals per rule."""
    from pipeline.extract import extract_metadata, extract_text

    gold, pages, _ = bench.load_dataset(dataset)
    if limit:
        gold = dict(list(gold.items())[:limit])
    preds: dict[str, dict[str, str]] = {t: {} for t in TEXTS}
    rules: dict[str, dict[str, int]] = {r: {} for r in RULES}
    worst: list[dict[str, Any]] = []
    for pid in gold:
        html = pages[pid]
        extracted = extract_text(html)
        cleaned, removed = traced_clean(extracted)
        lang = extract_metadata(html).get("language") or language
        preds["extract_text"][pid] = extracted
        preds["cleaned"][pid] = cleaned
        preds["sentences_joined"][pid] = sentences_joined(cleaned, lang, max_chars)
        body = gold[pid].get("articleBody") or ""
        gold_shingles = Counter(bench._ngrams(body, 4))
        for rule in RULES:
            tally = _tally(removed[rule], gold_shingles, bench._ngrams)
            _add(rules[rule], tally)
            for span in removed[rule]:
                if _gold_share(span, gold_shingles, bench._ngrams):
                    worst.append({"page": pid, "rule": rule, "text": span[:300]})
    f1 = {t: _f1(bench, gold, preds[t]) for t in TEXTS}
    # the pages where the cleaning costs the most F1 (their shingle F1s), for reading
    per_page = []
    for pid in gold:
        body = gold[pid].get("articleBody") or ""
        before = _page_f1(bench, body, preds["extract_text"][pid])
        after = _page_f1(bench, body, preds["cleaned"][pid])
        if after < before:
            per_page.append({"page": pid, "extract_text": before, "cleaned": after})
    per_page.sort(key=lambda r: r["cleaned"] - r["extract_text"])
    return {
        "pages": len(gold),
        "f1": f1,
        "loss_cleaned": round(f1["extract_text"]["f1"] - f1["cleaned"]["f1"], 4),
        "loss_sentences": round(f1["extract_text"]["f1"] - f1["sentences_joined"]["f1"], 4),
        "removals": rules,
        "pages_losing_most": per_page[:10],
        "removed_gold_text": worst[:40],
    }


def _page_f1(bench: ModuleType, gold: str, pred: str) -> float:
    tp, fp, fn = bench.string_shingle_matching(gold, pred)
    p = bench.precision_score(tp, fp, fn) if tp + fp else 0.0
    r = bench.recall_score(tp, fp, fn) if tp + fn else 0.0
    return round(2 * p * r / (p + r), 4) if p + r else 0.0


def bench_dump_lines(
    bench: ModuleType, make_dumps: ModuleType, dataset: Path, limit: int | None
) -> dict[str, Any]:
    """The dump mode's line selection on the page-text-dump version of ``dataset``: the
    characters of the lines left out of the article, kept by the gold or not."""
    from pipeline.text.dumps import extract_page_dump

    gold, pages, _ = bench.load_dataset(dataset)
    if limit:
        gold = dict(list(gold.items())[:limit])
    total: dict[str, int] = {}
    preds: dict[str, str] = {}
    for pid in gold:
        page = make_dumps.dump(pages[pid])
        text = extract_page_dump(page).text
        preds[pid] = text
        # a line is kept when most of its word 4-grams are in the article: the dump mode
        # repairs link spacing ("Russia ’s") and strips glue, so lines are not kept verbatim
        kept = Counter(bench._ngrams(text, 4))
        dropped = [
            " ".join(line.split())
            for line in page.splitlines()
            if line.strip() and not _gold_share(line, kept, bench._ngrams)
        ]
        body = gold[pid].get("articleBody") or ""
        _add(total, _tally(dropped, Counter(bench._ngrams(body, 4)), bench._ngrams))
    return {"pages": len(gold), "f1": _f1(bench, gold, preds), "removals": {"dump_line": total}}


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------
def markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Cleaning benchmark",
        "",
        "Shingle F1 (the extraction scorer's metric) of the extractor alone, of the cleaned text",
        "(`documents.text`) and of the segment stage's sentences joined, per gold set; the",
        f"acceptance bound is a loss of at most {MAX_F1_LOSS} F1.",
        "",
        "| set | pages | extract_text | cleaned | sentences joined | loss cleaned "
        "| loss sentences |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, res in report["sets"].items():
        f1 = res["f1"]
        lines.append(
            f"| {name} | {res['pages']} | {f1['extract_text']['f1']:.4f} | "
            f"{f1['cleaned']['f1']:.4f} | {f1['sentences_joined']['f1']:.4f} | "
            f"{res['loss_cleaned']:.4f} | {res['loss_sentences']:.4f} |"
        )
    lines += [
        "",
        "Removals per rule: characters removed, and the part of them the gold keeps (a span",
        "counts as kept when half its word 4-grams are in the gold body). Caption splits move",
        "text to its own paragraph and remove nothing.",
        "",
        "| set | rule | spans | chars | gold keeps (spans) | gold keeps (chars) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    rows = [(n, r) for n, r in report["sets"].items()] + [(f"{DUMP_SOURCE}-dumps", report["dumps"])]
    for name, res in rows:
        for rule, t in res["removals"].items():
            lines.append(
                f"| {name} | {rule} | {t.get('spans', 0)} | {t.get('chars', 0)} | "
                f"{t.get('gold_keeps_spans', 0)} | {t.get('gold_keeps_chars', 0)} |"
            )
    lines += ["", f"Dump mode F1 on {DUMP_SOURCE}-dumps: {report['dumps']['f1']['f1']:.4f}", ""]
    return "\n".join(lines)


def run(limit: int | None = None) -> dict[str, Any]:
    """The whole cleaning benchmark as one JSON-able report."""
    from pipeline.config import read_params

    extraction = bench_dir() / "extraction"
    bench = _load(extraction / "extraction_bench.py", "extraction_bench")
    dumps = _load(extraction / "make_dumps.py", "make_dumps")
    params = read_params(REPO / "params.yaml")
    language, max_chars = params.segment.language, params.segment.max_sentence_chars
    t0 = time.perf_counter()
    sets = {name: bench_set(bench, extraction / name, limit, language, max_chars) for name in SETS}
    report: dict[str, Any] = {
        "limit": limit,
        "max_f1_loss": MAX_F1_LOSS,
        "sets": sets,
        "dumps": bench_dump_lines(bench, dumps, extraction / DUMP_SOURCE, limit),
    }
    report["seconds"] = round(time.perf_counter() - t0, 1)
    return report


def write(report: dict[str, Any], out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "cleaning.json").write_text(
        json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (out_dir / "cleaning.md").write_text(markdown(report), encoding="utf-8")
    print(f"wrote {out_dir / 'cleaning.json'} and {out_dir / 'cleaning.md'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="first N pages only (smoke test)")
    parser.add_argument("--out-dir", type=Path, default=REPO / "reports" / "bench")
    args = parser.parse_args(argv)
    report = run(args.limit)
    write(report, args.out_dir)
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
