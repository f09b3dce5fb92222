"""Tests of pipeline.text.dumps: main text and headline of page text dumps."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.text.cleaning import clean_text, repair_link_spacing
from pipeline.text.dumps import DumpExtraction, extract_page_dump, looks_like_page_dump

SEED = Path(__file__).resolve().parents[2] / "data" / "sample" / "seed_independent_belarus.txt"

# --------------------------------------------------------------------------------------------
# imaginary sites, each with its own chrome
# --------------------------------------------------------------------------------------------

LEDGER_BODY = [
    "The city council voted on Tuesday night to close the Riverside bridge for eighteen months "
    "of repairs, ending a debate that has divided residents since the spring.",
    "Engineers told councillors that corrosion in the steel supports had advanced faster than "
    "expected, and that heavy lorries would have to be diverted from next week.",
    "“We cannot keep patching a structure that is nearly a century old,” said the council "
    "leader, Maria Okafor, who proposed the closure.",
    "Shopkeepers on the east bank said the decision would cost them trade, and several asked "
    "for a temporary footbridge to be built while the work goes on.",
    "The council said it would publish a detailed plan for diversions and public transport "
    "within a fortnight, and that a consultation would follow.",
]

LEDGER = "\n".join(
    [
        ".hdr{display:flex;margin:0 auto}.nav a{color:#333;text-decoration:none}"
        "@media(max-width:600px){.hdr{display:block}}",
        "Home",
        "News",
        "Sport",
        "Business",
        "Opinion",
        "We use cookies to give you the best experience on our website. Accept all cookies",
        "Manage preferences",
        "Council votes to close Riverside bridge for repairs",
        "By Jane Doe",
        "March 4, 2024 6:30 pm",
        LEDGER_BODY[0],
        LEDGER_BODY[1],
        "Advertisement",
        LEDGER_BODY[2],
        LEDGER_BODY[3],
        "Advertisement",
        LEDGER_BODY[4],
        "Sign up to our morning newsletter and get the day's top stories in your inbox.",
        "Enter your email address",
        "Subscribe",
        "Related stories",
        "School inspectors praise new head",
        "Road closures planned for marathon",
        "Library to extend opening hours",
        "Home",
        "News",
        "Sport",
        "Business",
        "Opinion",
        "© 2024 The Ledger Media Group. All rights reserved.",
    ]
)

BLOG_BODY = [
    "I have been growing tomatoes on my balcony for six summers now, and this year I finally "
    "tried the trick my neighbour swore by: burying the stems sideways.",
    "The plants looked miserable for the first week, and I was sure I had killed them. Then "
    "the roots caught up, and by July they were taller than any I had grown before.",
    "Why it works",
    "Tomato stems grow roots wherever they touch damp soil, so a buried stem becomes a much "
    "larger root system that can find water during a heat wave.",
    "The only downside is that you need a wider pot, because the stem runs along the bottom "
    "rather than straight down into the compost.",
]

BLOG = "\n".join(
    [
        "Green Balcony",
        "Menu",
        "Skip to content",
        "The sideways tomato trick that doubled my harvest",
        "Posted on July 21, 2023 by Sam",
        *BLOG_BODY,
        "Share this:",
        "Click to share on Facebook (Opens in new window)",
        "Click to share on Twitter (Opens in new window)",
        "Like this:",
        "4 Comments",
        "Priya says:",
        "July 22, 2023 at 9:14 am",
        "I tried this last year with cherry tomatoes and it worked really well for me, though "
        "the pot was heavy to move once it was full of wet soil.",
        "Reply",
        "Tom says:",
        "July 23, 2023 at 11:02 am",
        "Great post, thanks for sharing! I will give it a go with my peppers next spring and "
        "report back on how they do in the shade.",
        "Reply",
        "Leave a Reply Cancel reply",
        "You must be logged in to post a comment.",
        "Proudly powered by WordPress",
    ]
)

HERALD_BODY = [
    "Shares in Northwind Energy fell by a fifth on Monday after the company warned that profits "
    "would miss forecasts for the second year running.",
    "The chief executive, Alan Brook, blamed higher borrowing costs and delays at two offshore "
    "wind farms, which he said would now open in 2026.",
    "Analysts said the warning raised questions about the company’s ambitious plan to double "
    "its generating capacity by the end of the decade.",
    "The company will publish its full results on 14 March.",
]

HERALD = "\n".join(
    [
        "Get breaking news alerts from The Herald You can turn them off at any time in your "
        "browser settings.",
        "No thanks Allow",
        "Home Business Markets Northwind shares slump after second profit warning The energy "
        "group blamed borrowing costs and delays at two wind farms",
        "Listen to this article",
        "Continue reading " + HERALD_BODY[0],
        HERALD_BODY[1],
        "Wind turbines off the coast near Hartlepool (Getty Images) " + HERALD_BODY[2],
        HERALD_BODY[3],
        "Most read",
        "Five things to watch in the budget",
        "Why house prices are rising again",
        "Support our journalism. Become a member today and get unlimited access to every article.",
        "Join the discussion",
    ]
)


def test_ledger_site() -> None:
    result = extract_page_dump(LEDGER)
    assert result.text == "\n".join(LEDGER_BODY)
    assert result.title == "Council votes to close Riverside bridge for repairs"


def test_blog_with_comments() -> None:
    result = extract_page_dump(BLOG)
    assert result.text == "\n".join(BLOG_BODY)
    assert result.title == "The sideways tomato trick that doubled my harvest"


def test_breadcrumb_standfirst_caption_and_glue() -> None:
    result = extract_page_dump(HERALD)
    assert result.text == "\n".join(HERALD_BODY)
    assert result.title == "Northwind shares slump after second profit warning"


# --------------------------------------------------------------------------------------------
# the seed page
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> DumpExtraction:
    return extract_page_dump(SEED.read_text(encoding="utf-8"))


def test_seed_title(seed: DumpExtraction) -> None:
    assert (
        seed.title == "Ukraine: Belarus says its troops could support Russian invasion ‘if needed’"
    )


def test_seed_body(seed: DumpExtraction) -> None:
    lines = SEED.read_text(encoding="utf-8").splitlines()
    paragraphs = seed.text.split("\n")
    # lines 8-28 of the dump hold the article; 8 and 19 carry glued chrome and a caption
    assert len(paragraphs) == 21
    assert paragraphs[0].startswith("Belarusian president Alexander Lukashenko has said")
    assert paragraphs[0].endswith("with Vladimir Putin.")
    assert "Russia’s military operation" in paragraphs[0]
    assert "Belarus’ southern border" in paragraphs[1]
    assert paragraphs[11] == (
        "Mr Lukashenko claims he “personally asked” Mr Putin to keep Russian troops in Belarus to "
        "protect the state against a purported threat from Ukrainian military manoeuvres near the "
        "Belarusian border. No such threat has ever existed."
    )
    for number in range(9, 29):
        if number != 19:
            assert paragraphs[number - 8] == repair_link_spacing(lines[number - 1])
    assert paragraphs[-1].endswith("until 2035.")


@pytest.mark.parametrize(
    "chrome",
    [
        "{",
        "notifications",
        "Not now",
        "Your support",
        "donation",
        "paywalls",
        "Read more",
        "This map shows",
        "(The Independent)",
        "registering",
        "refresh",
        "commenting",
        "Comments",
        "News World Europe",
    ],
)
def test_seed_has_no_chrome(seed: DumpExtraction, chrome: str) -> None:
    assert chrome not in seed.text


def test_seed_body_is_stable_under_clean_text(seed: DumpExtraction) -> None:
    assert clean_text(seed.text) == seed.text


# --------------------------------------------------------------------------------------------
# detection and robustness
# --------------------------------------------------------------------------------------------


def test_looks_like_page_dump() -> None:
    assert looks_like_page_dump(LEDGER)
    assert looks_like_page_dump(SEED.read_text(encoding="utf-8"))
    html = "<!DOCTYPE html><html><head><title>x</title></head><body><p>Hello</p></body></html>"
    assert not looks_like_page_dump(html)
    assert not looks_like_page_dump("<div class='a'>\n<p>One</p>\n<p>Two</p>\n</div>")


def test_empty_and_chrome_only() -> None:
    assert extract_page_dump("") == DumpExtraction(title=None, text="")
    menu = "Home\nNews\nSport\nSign in\nSubscribe\n© 2024 Example Media. All rights reserved."
    assert extract_page_dump(menu).text == ""


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=120), max_size=30).map("\n".join))
def test_never_raises(text: str) -> None:
    result = extract_page_dump(text)
    assert "\n\n" not in result.text
    assert result.text == result.text.strip()


def test_dump_with_css_comment_and_quoted_tags_is_a_dump() -> None:
    dump = (
        "<!--/*--><![CDATA[/* ><!--*/ .front h1 { display: none; } /*--><!]]>*/\n"
        "How to style a <span> element\n"
        "Wrap the words in a <span> and give it a class, then style that class in your sheet.\n"
    )
    assert looks_like_page_dump(dump)
    assert not looks_like_page_dump("<!-- generated -->\n<!DOCTYPE html>\n<html><body>x</body>")
    assert not looks_like_page_dump("\n<script>var a = 1;</script>\n<div>text</div>")


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_detection_never_raises(text: str) -> None:
    assert isinstance(looks_like_page_dump(text), bool)


GERMAN_BODY = [
    "Der Bundestag hat am Donnerstag nach monatelangem Streit das neue Heizungsgesetz "
    "beschlossen. Die Koalition setzte sich mit knapper Mehrheit durch.",
    "Die Opposition kritisierte das Verfahren als überhastet und kündigte an, vor das "
    "Bundesverfassungsgericht zu ziehen, falls der Bundesrat zustimmt.",
    "Nach Angaben des Ministeriums sollen Eigentümer künftig Zuschüsse von bis zu siebzig "
    "Prozent der Kosten erhalten, wenn sie ihre alte Heizung austauschen.",
    "Verbraucherverbände begrüßten die Förderung, warnten aber vor langen Wartezeiten bei "
    "Handwerkern und steigenden Preisen für Wärmepumpen.",
]

GERMAN = "\n".join(
    [
        "Startseite",
        "Politik",
        "Wirtschaft",
        "Newsletter abonnieren",
        "Bundestag beschließt neues Heizungsgesetz",
        "Von Anna Schmidt",
        "12. März 2024, 14:05 Uhr",
        *GERMAN_BODY[:3],
        "Anzeige",
        GERMAN_BODY[3],
        "Mehr zum Thema",
        "Was das Gesetz für Mieter bedeutet",
        "Impressum Datenschutz Kontakt",
    ]
)

JAPANESE_BODY = [
    "東京都は12日、子育て世帯を対象とした新たな支援策を発表した。第二子以降の保育料を無償化するほか、"
    "出産費用の一部を補助する。",
    "都によると、対象となる世帯は約二十万世帯にのぼる見通しで、必要な予算は年間約四百億円と見込まれている。",
    "知事は記者会見で「子どもを産み育てやすい東京をつくりたい」と述べた。",
]

JAPANESE = "\n".join(
    [
        "ホーム",
        "ニュース",
        "東京都、新たな子育て支援策を発表",
        "2024年3月12日",
        *JAPANESE_BODY,
        "関連記事",
        "利用規約",
        "お問い合わせ",
    ]
)


@pytest.mark.parametrize(
    ("dump", "body", "title"),
    [
        (GERMAN, GERMAN_BODY, "Bundestag beschließt neues Heizungsgesetz"),
        (JAPANESE, JAPANESE_BODY, "東京都、新たな子育て支援策を発表"),
    ],
)
def test_other_languages(dump: str, body: list[str], title: str) -> None:
    result = extract_page_dump(dump)
    assert result.text == "\n".join(body)
    assert result.title == title
