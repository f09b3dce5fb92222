"""The page-type benchmark's own arithmetic: the scores, the recall-bound threshold and the
decision rule (the training itself needs the bench extra's scikit-learn)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.page_types import _decide, _threshold, confusion_table, scores


def test_scores_count_articles_and_types() -> None:
    gold = ["article", "article", "article", "listing", "product", "product"]
    predicted = ["article", "article", "listing", "article", "product", "service"]
    s = scores(gold, predicted)
    assert s["article_precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["article_recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["called_article_by_type"] == {"article": 0.6667, "listing": 1.0, "product": 0.0}
    assert s["type_accuracy"] == pytest.approx(3 / 6, abs=1e-4)
    assert s["confusion"]["article"] == {
        "article": 2,
        "listing": 1,
        **{t: 0 for t in ("collection", "product", "service", "forum", "documentation")},
    }
    assert s["confusion"]["product"]["service"] == 1 and s["confusion"]["product"]["product"] == 1
    assert [line.split(" | ")[-1] for line in confusion_table(s["confusion"])[2:]] == [
        "3 |",
        "1 |",
        "2 |",
    ]


def test_threshold_keeps_the_target_recall_and_decide_applies_it() -> None:
    y = np.array(["article"] * 100 + ["listing"] * 10)
    probs = np.zeros((110, 7))
    probs[:100, 0] = np.linspace(0.01, 1.0, 100)  # article scores
    probs[100:, 0] = 0.005
    probs[100:, 1] = 0.9
    threshold = _threshold(probs, y)
    kept = sum(label == "article" for label in _decide(probs[:100], threshold))
    assert kept >= 98  # TARGET_RECALL of the articles
    assert _decide(probs[100:], threshold) == ["listing"] * 10
