"""Page-type model: train it on the shared labels, measure it honestly, write its weights.

    python -m benchmarks.page_types [--train] [--folds 5] [--out-dir reports/bench]

Reads ``extraction/wcxb-dev-pagetype/labels.json`` of the shared bench directory (1,152 pages
labelled article, listing, collection, product, service, forum, documentation), turns every
page into the features of :mod:`pipeline.html.pagetype` (as HTML, and as a page text dump made
by the shared ``make_dumps.py``), and fits a multinomial logistic regression (scikit-learn) for
each form.

Measured by cross-validation grouped by domain: no page of a test fold's domains is in its
training folds, and the article threshold of each fold is chosen on its training folds only
(inner grouped folds), for an article recall of :data:`TARGET_RECALL`. The figures go to
``reports/bench/page_types.{json,md}``. With ``--train`` the model fitted on every page (its
threshold chosen the same way over all folds) is written to ``pipeline/html/page_type_model.json``.

The bench directory is ``<repo>/../shared/bench`` unless ``NEWSCORPUS_BENCH_DIR`` is set.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from scipy import sparse

from benchmarks.cleaning import _load
from benchmarks.extraction import bench_dir
from pipeline.html.content import extract_main_content, parse_html
from pipeline.html.pagetype import (
    MODEL_FILE,
    PAGE_TYPES,
    chosen_type,
    dump_features,
    dump_words,
    html_inputs,
    tokens_of,
)
from pipeline.text.dumps import extract_page_dump

REPO = Path(__file__).resolve().parents[1]
DATASET = "extraction/wcxb-dev-pagetype"
TARGET_RECALL = 0.98  # losing an article costs more than keeping a listing
C = 0.3  # inverse regularisation strength
# A word enters the vocabulary only when pages of this many training domains have it: the
# model learns what templates and addresses share, not what one site calls its elements.
MIN_DOMAINS = 3
# The vocabulary is cut to the words the first fit weighs most, and the model refitted on
# them: a small committed file, and the same procedure in every cross-validation fold.
MAX_TOKENS = 3000


def _domain(address: str | None, page_id: str) -> str:
    host = urlsplit(address).netloc.lower() if address and "://" in address else ""
    host = host.removeprefix("www.")
    return host or f"unknown-{page_id}"  # no address: a group of its own


def load_pages() -> tuple[list[str], list[str], list[str]]:
    """(ids, labels, html) of the labelled pages, in id order."""
    root = bench_dir() / DATASET
    labels = json.loads((root / "labels.json").read_text())
    ids = sorted(labels)
    pages = [
        gzip.decompress((root / labels[k]["html"]).read_bytes()).decode("utf-8", "replace")
        for k in ids
    ]
    return ids, [labels[k]["page_type"] for k in ids], pages


Rows = tuple[np.ndarray[Any, Any], list[frozenset[str]]]


def featurise(ids: list[str], pages: list[str]) -> tuple[Rows, Rows, list[str]]:
    """(features, tokens) of every page as HTML and as a page text dump, and its domain."""
    dumper = _load(bench_dir() / "extraction" / "make_dumps.py", "make_dumps")
    html_rows, html_tokens, dump_rows, dump_tok, domains = [], [], [], [], []
    for page_id, page in zip(ids, pages, strict=True):
        tree = parse_html(page)
        text, shape = extract_main_content(page, tree)
        features, words, head = html_inputs(page, tree, text, shape)
        html_rows.append(features)
        html_tokens.append(tokens_of(words))
        dump = dumper.dump(page)
        dump_text = extract_page_dump(dump).text
        dump_rows.append(dump_features(dump, dump_text, None))
        dump_tok.append(tokens_of(dump_words(dump, dump_text, None)))
        domains.append(_domain(head.canonical, page_id))
    return (
        (np.array(html_rows), html_tokens),
        (np.array(dump_rows), dump_tok),
        domains,
    )


class Fitted:
    """A fitted model: scaling of the dense features, the vocabulary, the regression."""

    def __init__(self, rows: Rows, y: np.ndarray[Any, Any], groups: list[str]) -> None:
        from sklearn.linear_model import LogisticRegression  # the bench extra

        x, tokens = rows
        self.mean = x.mean(axis=0)
        self.scale = x.std(axis=0)
        self.scale[self.scale == 0] = 1.0
        domains: dict[str, set[str]] = {}
        for toks, group in zip(tokens, groups, strict=True):
            for t in toks:
                domains.setdefault(t, set()).add(group)
        vocab = sorted(t for t, d in domains.items() if len(d) >= MIN_DOMAINS)
        self.vocab = {t: j for j, t in enumerate(vocab)}
        self.model = LogisticRegression(C=C, max_iter=10000, class_weight="balanced")
        self.model.fit(self.matrix(rows), y)
        if len(vocab) > MAX_TOKENS:
            weight = np.abs(self.model.coef_[:, len(self.mean) :]).max(axis=0)
            keep = sorted(vocab[j] for j in np.argsort(-weight, kind="stable")[:MAX_TOKENS])
            self.vocab = {t: j for j, t in enumerate(keep)}
            self.model = LogisticRegression(C=C, max_iter=10000, class_weight="balanced")
            self.model.fit(self.matrix(rows), y)
        self.order = [list(self.model.classes_).index(c) for c in PAGE_TYPES]

    def matrix(self, rows: Rows) -> Any:
        x, tokens = rows
        r, c = [], []
        for i, toks in enumerate(tokens):
            for t in toks:
                j = self.vocab.get(t)
                if j is not None:
                    r.append(i)
                    c.append(j)
        words = sparse.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(tokens), len(self.vocab)))
        return sparse.hstack([sparse.csr_matrix((x - self.mean) / self.scale), words]).tocsr()

    def predict(self, rows: Rows) -> np.ndarray[Any, Any]:
        return self.model.predict_proba(self.matrix(rows))[:, self.order]  # type: ignore[no-any-return]

    def as_json(self, threshold: float) -> dict[str, Any]:
        n_dense = len(self.mean)
        coef = self.model.coef_[self.order]
        vocabulary = {
            t: [round(float(v), 4) for v in coef[:, n_dense + j]]
            for t, j in sorted(self.vocab.items())
        }
        return {
            "classes": list(PAGE_TYPES),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "coef": [[round(float(v), 6) for v in row[:n_dense]] for row in coef],
            "intercept": [round(float(self.model.intercept_[i]), 6) for i in self.order],
            "vocabulary": vocabulary,
            "article_threshold": round(threshold, 6),
        }


def _take(rows: Rows, idx: Any) -> Rows:
    return rows[0][idx], [rows[1][i] for i in idx]


def _threshold(probs: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> float:
    """The highest P(article) threshold that keeps :data:`TARGET_RECALL` of the articles."""
    scores = np.sort(probs[y == "article", 0])
    k = int(np.floor((1 - TARGET_RECALL) * len(scores)))
    return float(scores[k]) if len(scores) else 0.5


def _oof(rows: Rows, y: np.ndarray[Any, Any], groups: list[str], folds: int) -> Any:
    from sklearn.model_selection import GroupKFold

    probs = np.zeros((len(y), len(PAGE_TYPES)))
    g = np.array(groups)
    for train, test in GroupKFold(n_splits=folds).split(rows[0], y, groups):
        fitted = Fitted(_take(rows, train), y[train], list(g[train]))
        probs[test] = fitted.predict(_take(rows, test))
    return probs


def _decide(probs: np.ndarray[Any, Any], threshold: float) -> list[str]:
    """The pipeline's decision (:func:`pipeline.html.pagetype.chosen_type`) for each row."""
    return [
        chosen_type(dict(zip(PAGE_TYPES, map(float, row), strict=True)), threshold) for row in probs
    ]


def cross_validate(
    rows: Rows, y: np.ndarray[Any, Any], groups: list[str], folds: int
) -> tuple[list[str], list[float]]:
    """Out-of-fold decisions, each fold's threshold chosen on its training folds."""
    from sklearn.model_selection import GroupKFold

    predicted = [""] * len(y)
    thresholds = []
    g = np.array(groups)
    for train, test in GroupKFold(n_splits=folds).split(rows[0], y, groups):
        train_rows, train_groups = _take(rows, train), list(g[train])
        threshold = _threshold(_oof(train_rows, y[train], train_groups, folds), y[train])
        thresholds.append(round(threshold, 4))
        fitted = Fitted(train_rows, y[train], train_groups)
        decided = _decide(fitted.predict(_take(rows, test)), threshold)
        for i, label in zip(test, decided, strict=True):
            predicted[i] = label
    return predicted, thresholds


def scores(gold: list[str], predicted: list[str]) -> dict[str, Any]:
    """Article precision/recall/F1, share of each type called article, seven-type accuracy."""
    pairs = list(zip(gold, predicted, strict=True))
    tp = sum(g == "article" and p == "article" for g, p in pairs)
    fp = sum(g != "article" and p == "article" for g, p in pairs)
    fn = sum(g == "article" and p != "article" for g, p in pairs)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    by_type = Counter(gold)
    return {
        "pages": len(gold),
        "article_precision": round(precision, 4),
        "article_recall": round(recall, 4),
        "article_f1": round(f1, 4),
        "called_article_by_type": {
            t: round(sum(g == t and p == "article" for g, p in pairs) / n, 4)
            for t, n in sorted(by_type.items())
        },
        "recall_by_type": {
            t: round(sum(g == t and p == t for g, p in pairs) / n, 4)
            for t, n in sorted(by_type.items())
        },
        "type_accuracy": round(sum(g == p for g, p in pairs) / len(pairs), 4),
        # gold type -> decided type -> pages (every decided type listed, zeros included)
        "confusion": {
            t: {d: sum(g == t and p == d for g, p in pairs) for d in PAGE_TYPES}
            for t in sorted(by_type)
        },
    }


def form_table(result: dict[str, Any]) -> list[str]:
    """The article and seven-type figures of both forms (HTML, page text dump) as a table."""
    lines = [
        "| form | article P | article R | article F1 | 7-type accuracy |",
        "|---|---:|---:|---:|---:|",
    ]
    for form in ("html", "dump"):
        s = result[form]
        lines.append(
            f"| {form} | {s['article_precision']:.3f} | {s['article_recall']:.3f} | "
            f"{s['article_f1']:.3f} | {s['type_accuracy']:.3f} |"
        )
    return lines


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Page types",
        "",
        f"`{DATASET}` ({result['pages']} pages), cross-validated by domain "
        f"({result['folds']} folds, no domain in both training and test; each fold's article "
        f"threshold chosen on its training folds for article recall {TARGET_RECALL}). "
        "Generated by `python -m benchmarks.page_types` (part of `make bench-extract`).",
        "",
        *form_table(result),
    ]
    lines += ["", "Per type (HTML): share called article, and share given its own type.", ""]
    lines += ["| type | called article | recall of the type |", "|---|---:|---:|"]
    for t, v in result["html"]["called_article_by_type"].items():
        lines.append(f"| {t} | {v:.0%} | {result['html']['recall_by_type'][t]:.0%} |")
    for form in ("html", "dump"):
        confusion = result[form].get("confusion")
        if confusion:
            lines += ["", f"Pages by gold type (rows) and decided type (columns), {form}:", ""]
            lines += confusion_table(confusion)
    return "\n".join(lines) + "\n"


def confusion_table(confusion: dict[str, dict[str, int]]) -> list[str]:
    """A gold type x decided type table of page counts."""
    lines = ["| gold \\ decided | " + " | ".join(PAGE_TYPES) + " | pages |"]
    lines.append("|---|" + "---:|" * (len(PAGE_TYPES) + 1))
    for gold, row in confusion.items():
        counts = " | ".join(str(row.get(d, 0)) for d in PAGE_TYPES)
        lines.append(f"| {gold} | {counts} | {sum(row.values())} |")
    return lines


def _measure_form(
    rows: Rows, labels: list[str], domains: list[str], folds: int, train: bool
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The cross-validated figures of one form, and with ``train`` its model fitted on every
    page (threshold chosen over all folds, out of fold)."""
    y = np.array(labels)
    predicted, thresholds = cross_validate(rows, y, domains, folds)
    figures = scores(labels, predicted) | {"fold_thresholds": thresholds}
    if not train:
        return figures, None
    threshold = _threshold(_oof(rows, y, domains, folds), y)
    return figures, Fitted(rows, y, domains).as_json(threshold)


def measure(out_dir: Path, folds: int = 5, train: bool = False) -> dict[str, Any]:
    """Cross-validate both models (and with ``train`` write the committed one); writes
    ``page_types.{json,md}`` into ``out_dir`` and returns the figures."""
    ids, labels, pages = load_pages()
    html_rows, dump_rows, domains = featurise(ids, pages)
    result: dict[str, Any] = {"dataset": DATASET, "pages": len(ids), "folds": folds}
    models = {}
    forms = {"html": html_rows, "dump": dump_rows}
    # the two forms are independent: one process each (the fits are most of the time)
    with ProcessPoolExecutor(max_workers=len(forms)) as pool:
        jobs = {
            form: pool.submit(_measure_form, rows, labels, domains, folds, train)
            for form, rows in forms.items()
        }
        for form, job in jobs.items():
            result[form], model = job.result()
            if model is not None:
                models[form] = model
    if train:
        # one line per vocabulary word: small, and a retrained model diffs readably
        text = json.dumps({"trained_on": DATASET, "models": models}, separators=(",", ":"))
        MODEL_FILE.write_text(text.replace("],", "],\n") + "\n")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "page_types.json").write_text(json.dumps(result, indent=1) + "\n")
    (out_dir / "page_types.md").write_text(markdown(result))
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", action="store_true", help="write pipeline/html/page_type_model.json")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--out-dir", type=Path, default=REPO / "reports" / "bench")
    a = ap.parse_args(argv)
    started = time.perf_counter()
    print(markdown(measure(a.out_dir, a.folds, a.train)))
    print(f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
