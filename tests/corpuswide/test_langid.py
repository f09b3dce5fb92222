"""Batched language identification: the same answers as py3langid, and the sentence rule."""

from __future__ import annotations

from collections import Counter

import numpy as np
import polars as pl
import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from pipeline import schema
from pipeline.corpuswide import langid
from pipeline.corpuswide.langid import LanguageDetector, detector, sentence_language
from pipeline.corpuswide.passes import build_corpus
from pipeline.corpuswide.settings import CorpusParams
from tests.frames import cleaned_frame, segmented_frame

TEXTS = [
    "The council voted on Tuesday to close the harbour road for three weeks of repairs.",
    "Le conseil municipal a voté mardi la fermeture de la route du port pendant trois semaines.",
    "Der Stadtrat hat am Dienstag beschlossen, die Hafenstraße drei Wochen lang zu sperren.",
    "El ayuntamiento votó el martes cerrar la carretera del puerto durante tres semanas.",
    "Rada miasta zagłosowała we wtorek za zamknięciem drogi portowej na trzy tygodnie.",
    "Городской совет во вторник проголосовал за закрытие портовой дороги на три недели.",
    "市议会周二投票决定关闭港口道路三周。",
    "市議会は火曜日、港湾道路を3週間閉鎖することを決めた。",
    "ΤΟ ΣΥΜΒΟΥΛΙΟ ΨΗΦΙΣΕ ΤΗΝ ΤΡΙΤΗ",  # all caps: py3langid lower-cases it first
    "BREAKING NEWS FROM THE HARBOUR",
    "Ok.",
    "2024-03-14 07:45",
    "",
    "   ",
    "🙂🙂🙂",
    "Café",
    "x" * 3000,
]


@pytest.fixture(scope="module")
def reference() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def test_batched_detection_equals_py3langid(reference: LanguageIdentifier) -> None:
    got = LanguageDetector().detect(TEXTS)
    for text, (lang, conf) in zip(TEXTS, got, strict=True):
        ref_lang, ref_conf = reference.classify(text)
        assert lang == ref_lang, text
        assert conf == pytest.approx(ref_conf, abs=1e-4), text
    assert [lang for lang, _ in got[:6]] == ["en", "fr", "de", "es", "pl", "ru"]


def test_detection_does_not_depend_on_batch_order_or_size() -> None:
    texts = [f"{t} {i}" for i in range(40) for t in TEXTS]  # distinct: several numpy batches
    forward = LanguageDetector().detect(texts)
    backward = LanguageDetector().detect(texts[::-1])
    assert backward[::-1] == forward
    fresh = LanguageDetector()
    assert [fresh.detect([t])[0] for t in texts[: len(TEXTS)]] == forward[: len(TEXTS)]


def test_scores_add_each_feature_in_order_in_float32() -> None:
    """The published confidences are rounded: the sums must be made in one fixed order, here
    a row's distinct features one after the other in feature order, in float32."""
    found = LanguageDetector()
    encoded = sorted((langid.encode(t) for t in TEXTS), key=len, reverse=True)
    rows, feats = found._features(encoded)
    scores = found._scores(encoded)
    for row, text in enumerate(encoded):
        mine = sorted(Counter(feats[rows == row].tolist()).items())
        expected = np.zeros(found.ptc.shape[1], dtype=np.float32)
        for feature, count in mine:
            expected += np.log1p(np.float32(count)) * found.ptc[feature]
        if mine:
            expected += found.pc
        assert np.array_equal(scores[row], expected), text


def test_repeated_and_cached_texts_get_the_same_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = LanguageDetector().detect(TEXTS)
    monkeypatch.setattr(langid, "CACHE_ENTRIES", 4)  # evicts while the calls go on
    cached = LanguageDetector()
    assert cached.detect(TEXTS * 3) == expected * 3
    assert cached.detect(TEXTS[::-1]) == expected[::-1]
    assert len(cached.cache) <= 4
    assert all(len(text) <= langid.CACHE_MAX_CHARS for text in cached.cache)


def test_short_sentences_inherit_the_document_language() -> None:
    sentences = pl.DataFrame(
        {
            "text": ["Oui.", "Das ist ein ziemlich langer deutscher Satz über das Wetter.", "Non."],
            "doc_language": ["fr", "fr", None],
        }
    )
    long_ones = [sentences["text"][1]]
    out = sentence_language(sentences, detector().detect(long_ones), min_chars=20)
    assert out["language_detected"].to_list() == ["fr", "de", None]
    confidence = out["language_confidence"].to_list()
    assert confidence[0] is None and confidence[2] is None
    assert confidence[1] is not None and confidence[1] > 0.9
    with pytest.raises(ValueError, match="results for 1 sentences"):
        sentence_language(sentences, [], min_chars=20)


def test_language_filter_quarantines_other_languages() -> None:
    cleaned = cleaned_frame(
        [
            (
                "a" * 16,
                "en.example",
                "2024-01-01",
                TEXTS[0] + "\n" + TEXTS[0].replace("three", "4"),
            ),
            (
                "b" * 16,
                "fr.example",
                "2024-01-02",
                TEXTS[1] + "\n" + "Aucune décision n’a été prise.",
            ),
        ]
    )
    segmented = segmented_frame(cleaned)
    empty_q = schema.empty(schema.QUARANTINE)
    kept_all = build_corpus(cleaned, segmented, empty_q, CorpusParams())
    assert kept_all.documents["language_detected"].to_list() == ["en", "fr"]
    assert kept_all.quarantine.height == 0
    only_en = build_corpus(cleaned, segmented, empty_q, CorpusParams(languages=("en",)))
    assert only_en.documents["doc_id"].to_list() == ["a" * 16]
    assert set(only_en.sentences["doc_id"]) == {"a" * 16}
    row = only_en.quarantine.row(0, named=True)
    assert (row["doc_id"], row["stage"], row["reason"]) == ("b" * 16, "corpus", "language_filtered")
    assert row["detail"].startswith("detected fr (")
