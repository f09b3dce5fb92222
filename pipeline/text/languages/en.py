"""English data for the sentence segmenter (news-oriented, AP and British styles)."""

from __future__ import annotations

from pipeline.text.languages import GENERAL, NUMERIC, TIME, TITLE, LanguageRules

# Written before a name or a phrase; a capital after them does not start a sentence.
_TITLES_ANYCASE = """
mr mrs ms mx messrs mmes mme mlle dr drs prof profs gen gens lt col maj capt cmdr cdr comdr
adm sgt cpl pvt pfc brig sen sens rep reps gov govs pres supt insp det amb hon rev revd msgr
fr atty asst rt mt mts st ste sts
e.g i.e eg ie cf viz aka a.k.a ps p.s pps p.p.s
"""

# May end a sentence: split after them only before a typical sentence starter.
_GENERAL_ANYCASE = """
inc corp ltd co cos llc llp plc bros jr sr esq phd etc al vs v approx dept depts univ assn
ave blvd rd hwy sq pkwy apt bldg est govt intl natl mfg mgr mgmt div eds ref refs misc max
min avg gal lb lbs oz yr yrs mo mos wk wks hr hrs mins secs sec ft pt pts incl esp orig resp
abbr adj adv ibid seq op cit dist tbsp tsp qt doz bn mn ph.d var
"""

# Followed by a number as a rule (and may also end a sentence).
_NUMERIC_ANYCASE = """
nr p pp pg vol vols ch chap fig figs art sect para ext tel ph ed eq ex ca c
"""

# Case-sensitive: months, weekdays and AP state abbreviations clash with ordinary words.
# (Months written out, not taken from pipeline.text.months: this module is loaded by its
# language code, an import the stage code closure behind the dvc.yaml deps does not follow.)
_NUMERIC_CASED = """
No Nos
Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec
Mon Tue Tues Wed Thu Thur Thurs Fri Sat Sun
"""
_GENERAL_CASED = """
Ala Ariz Ark Calif Colo Conn Del Fla Ga Ill Ind Kan Kans Ky La Md Mass Mich Minn Miss Mo Mont
Neb Nev Okla Ore Pa Tenn Tex Va Vt Wash Wis Wyo Ont Que Sask
"""

# Clock-time suffixes.
_TIME_ANYCASE = "a.m p.m"


def _table() -> tuple[dict[str, int], dict[str, int]]:
    cased: dict[str, int] = {}
    anycase: dict[str, int] = {}
    for words, kind in (
        (_TITLES_ANYCASE, TITLE),
        (_GENERAL_ANYCASE, GENERAL),
        (_NUMERIC_ANYCASE, NUMERIC | GENERAL),
        (_TIME_ANYCASE, TIME | GENERAL),
    ):
        for w in words.split():
            anycase[w] = anycase.get(w, 0) | kind
    for words, kind in ((_NUMERIC_CASED, NUMERIC | GENERAL), (_GENERAL_CASED, GENERAL)):
        for w in words.split():
            cased[w] = kind
            cased[w.upper()] = kind
    return cased, anycase


_CASED, _ANYCASE = _table()

# Capitalised only because they open a sentence: after an ambiguous abbreviation
# ("U.S.", "Inc.", an initial) such a word signals a new sentence.
_STARTERS = """
    A An The This That These Those There Here It Its He She We They I You His Her Our Their My
    Your Me Him Us Them One Some Many Most Much All Both Each Every Either Neither Any No None
    Not Nor Nothing Such Other Another Few Several
    And But Or So Yet Then Now Still Also Thus Hence However Meanwhile Moreover Furthermore
    Instead Otherwise Indeed Besides Nevertheless Nonetheless Later Earlier Today Yesterday
    Tomorrow Tonight Last Next Finally First Second Third Yes Please Thanks Perhaps Maybe
    If When While After Before Since Although Though Because As Unless Until Once Whether
    In On At For With By From To Of Into Over Under About Among Against During Without Despite
    What Why How Who Whom Whose Where Which Whatever Whoever
    Is Are Was Were Be Been Do Does Did Has Have Had Can Could Will Would Shall Should May
    Might Must Let
"""
SENTENCE_STARTERS = frozenset(_STARTERS.split())

# Verbs of saying that close a short attribution after a quoted question or exclamation.
_SPEECH_VERBS = """
said says asked asks added adds replied replies shouted yelled cried screamed exclaimed
whispered continued insisted laughed joked wondered
"""

RULES = LanguageRules(
    code="en",
    abbreviations=_CASED,
    abbreviations_anycase=_ANYCASE,
    sentence_starters=SENTENCE_STARTERS,
    final_abbreviations=frozenset({"etc"}),
    first_person=frozenset({"I", "I'm", "I’m", "I'll", "I’ll", "I'd", "I’d", "I've", "I’ve"}),
    ellipsis_continuations=frozenset({"And", "But", "Or", "Nor", "So", "Yet"}),
    speech_verbs=frozenset(_SPEECH_VERBS.split()),
    street_titles=frozenset({"st", "ste", "sts"}),
    valedictions=(
        "Regards",
        "Best regards",
        "Kind regards",
        "Kindest regards",
        "Warm regards",
        "Warmest regards",
        "With regards",
        "Sincerely",
        "Yours sincerely",
    ),
    byline_prefixes=("By ", "BY "),
    greetings=("Hi", "Hello", "Hey", "Dear", "Good morning", "Good afternoon", "Good evening"),
    lowercase_sentence_starts=True,
    question_before_lowercase=True,
)
