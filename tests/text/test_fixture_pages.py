"""Whole pages through ``extract_text`` + ``clean_text``: cleaning keeps every prose paragraph of a
how-to guide in the second person (numbered step headings, "In this article, we'll ...") and of a
technical article with code blocks, and removes the newsletter, cookie and donation prompts of
news pages in Spanish, French, Italian, Portuguese and Dutch while keeping their prose.

The pages are our own writing, in ``tests/fixtures/pages/``. The prose expected is read from the
page's own markup (the ``<article>``'s headings and paragraphs), not written out here."""

from __future__ import annotations

from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from pipeline.extract import extract_text
from pipeline.text.chrome import is_chrome_sentence, split_sentences_simple
from pipeline.text.cleaning import clean_text
from pipeline.text.words import words_of

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"

# the prompts glued into or around the article of each news page (cookie notice, newsletter
# prompt, donation appeal)
PROMPTS: dict[str, tuple[str, ...]] = {
    "news_es.html": (
        "Usamos cookies para mejorar tu experiencia en nuestro sitio web.",
        "Al continuar navegando, aceptas nuestra política de cookies.",
        "Suscríbase a nuestro boletín.",
        "Nuestro periodismo independiente depende de lectores como tú.",
        "Haz una donación hoy.",
    ),
    "news_fr.html": (
        "Nous utilisons des cookies pour améliorer votre expérience sur notre site.",
        "En poursuivant votre navigation, vous acceptez notre politique de cookies.",
        "Abonnez-vous à notre lettre d'information.",
        "Soutenez notre journalisme indépendant.",
        "Faites un don dès aujourd'hui.",
    ),
    "news_it.html": (
        "Utilizziamo i cookie per migliorare la tua esperienza sul nostro sito.",
        "Continuando la navigazione, accetti la nostra informativa sui cookie.",
        "Iscriviti alla nostra newsletter.",
        "Sostieni il nostro giornalismo indipendente.",
        "Fai una donazione oggi.",
    ),
    "news_pt.html": (
        "Utilizamos cookies para melhorar a sua experiência no nosso site.",
        "Ao continuar a navegação, você aceita a nossa política de cookies.",
        "Inscreva-se na nossa newsletter.",
        "Apoie o nosso jornalismo independente.",
        "Faça uma doação hoje.",
    ),
    "news_nl.html": (
        "Wij gebruiken cookies om jouw ervaring op onze website te verbeteren.",
        "Door verder te surfen ga je akkoord met ons cookiebeleid.",
        "Schrijf je in voor onze nieuwsbrief.",
        "Steun onze onafhankelijke journalistiek.",
        "Doneer vandaag nog.",
    ),
}
PROSE_PAGES = ("howto_en.html", "technical_en.html")


def _article_blocks(html: str) -> list[str]:
    """The article's headings and paragraphs, white space collapsed (the title left out: the
    extractor reports it as metadata)."""
    article = LexborHTMLParser(html).css_first("article")
    assert article is not None
    blocks = []
    for node in article.css("h2, h3, p"):
        if "byline" in (node.attributes.get("class") or ""):
            continue
        blocks.append(" ".join(node.text().split()))
    return [b for b in blocks if b]


def _cleaned(name: str) -> tuple[str, list[str]]:
    html = (PAGES / name).read_text(encoding="utf-8")
    return html, clean_text(extract_text(html)).split("\n")


@pytest.mark.parametrize("name", PROSE_PAGES)
def test_every_prose_paragraph_of_a_guide_survives_cleaning(name: str) -> None:
    html, paragraphs = _cleaned(name)
    expected = _article_blocks(html)
    assert len(expected) >= 6
    missing = [block for block in expected if block not in paragraphs]
    assert not missing


def test_guide_keeps_its_introduction_and_numbered_steps() -> None:
    html, paragraphs = _cleaned("howto_en.html")
    steps = [p for p in paragraphs if p[:2] in {f"{i}." for i in range(1, 10)}]
    headings = LexborHTMLParser(html).css("article h2")
    assert len(headings) >= 8
    assert steps == [" ".join(h.text().split()) for h in headings]
    assert any("In this article, we'll walk through" in p for p in paragraphs)
    # the page's own chrome around the article still goes
    assert not any("newsletter" in p or "All rights reserved" in p for p in paragraphs)


def test_technical_article_keeps_its_code_blocks() -> None:
    html, paragraphs = _cleaned("technical_en.html")
    text = "\n".join(paragraphs)
    for code in LexborHTMLParser(html).css("pre"):
        assert " ".join(code.text().split()) in text


@pytest.mark.parametrize("name", sorted(PROMPTS))
def test_prompts_of_other_languages_removed_and_prose_kept(name: str) -> None:
    html, paragraphs = _cleaned(name)
    text = "\n".join(paragraphs)
    prompts = PROMPTS[name]
    for prompt in prompts:
        assert prompt in html  # the fixture still carries it
        assert prompt not in text
    # every prose sentence of the article stays, in its paragraph
    for block in _article_blocks(html):
        prose = " ".join(s for s in split_sentences_simple(block) if s not in prompts)
        if prose:
            assert prose in paragraphs


@pytest.mark.parametrize("prompt", [p for ps in PROMPTS.values() for p in ps])
def test_prompts_of_other_languages_are_chrome_sentences(prompt: str) -> None:
    assert is_chrome_sentence(prompt)


@pytest.mark.parametrize(
    "sentence",
    [
        # instructions and descriptions in the second person are prose in other languages too
        "Si quieres plantar tomates, empieza por elegir un lugar con mucho sol.",
        "Vous pouvez suivre le chantier depuis le pont, où la mairie a installé des panneaux.",
        "Il sindaco ha detto che il mercato resterà aperto anche la domenica.",
        "Os alunos plantaram alfaces e cenouras no primeiro canteiro da horta.",
        "De wethouder zei dat de bomen in maart worden geplant.",
    ],
)
def test_prose_of_other_languages_is_not_chrome(sentence: str) -> None:
    assert not is_chrome_sentence(sentence)


def test_accented_words_are_whole_words() -> None:
    assert words_of("Suscríbase a nuestro boletín, únete") == [
        "Suscríbase",
        "a",
        "nuestro",
        "boletín",
        "únete",
    ]
    assert words_of("Abonnez-vous à l’infolettre") == ["Abonnez", "vous", "à", "l’infolettre"]
