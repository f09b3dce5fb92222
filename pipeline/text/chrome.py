"""Page chrome: the per-sentence chrome scorer and the trimming of chrome from paragraph edges.

The chrome decision is made per sentence by :func:`chrome_score`, from general signals only: how the
sentence addresses the reader (second person, imperative call-to-action verbs, "please"), the
publisher speaking of itself ("our journalism", "we need"), a small lexicon of generic web-UI words
(subscribe, newsletter, log in, cookie, notification, comment...), length and terminal punctuation.
Reported speech (quotation marks, "said") counts against chrome. The lexicons are generic ones of
English, Spanish, French, Italian, Portuguese, Dutch and German (imperatives formal and informal,
pronouns, possessives, web-UI nouns), no phrases of one site. How-to prose is protected: "your
site", "your data" are not reader-owned chrome nouns, and a sentence without a web-UI word or an
owned noun is never chrome unless it is a terse fragment of UI words.

The sentences scored are those of :func:`sentence_spans`, a light language-free splitter cutting
only at white space. The scorer is used by :mod:`pipeline.text.cleaning` and by
:mod:`pipeline.text.dumps` to classify the lines of page text dumps.

Every function here is total on arbitrary Unicode; :func:`trim_chrome_edges` only removes
sentences (and a leading fragment) from the edges, and rejoins the kept ones with one space.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise

from pipeline.text.months import ENGLISH_MONTH_ABBREVIATIONS
from pipeline.text.words import STOP_WORDS, word_count, words_of, wordset

__all__ = [
    "chrome_score",
    "is_chrome_sentence",
    "sentence_spans",
    "split_sentences_simple",
    "strip_leading_cta",
    "trim_chrome_edges",
    "trim_chrome_edges_audited",
]


# words of web user interfaces; weight 1 = strong, smaller = weak (also frequent in prose)
_UI_WORDS: dict[str, float] = {
    "subscribe": 1.0,
    "subscribed": 0.6,
    "subscription": 0.6,
    "subscriptions": 0.6,
    "subscriber": 0.6,
    "subscribers": 0.5,
    "newsletter": 1.0,
    "newsletters": 1.0,
    "signup": 1.0,
    "login": 1.0,
    "logged": 0.8,
    "register": 0.7,
    "registering": 1.0,
    "registration": 0.7,
    "donate": 1.0,
    "donation": 1.0,
    "donations": 0.8,
    "cookie": 0.6,  # also food; "cookies" is the consent notice
    "cookies": 1.0,
    "notification": 1.0,
    "notifications": 1.0,
    "comment": 0.6,
    "comments": 0.8,
    "commenting": 1.0,
    "reply": 0.5,
    "replies": 0.5,
    "browser": 0.6,  # also in how-to prose; "your browser" is a reader-owned noun
    "refresh": 0.8,
    "advertisement": 1.0,
    "advertising": 0.5,
    "sponsored": 0.8,
    "unlock": 0.8,
    "paywall": 0.8,
    "paywalls": 0.8,
    "copyright": 1.0,
    "inbox": 0.8,
    "email": 0.5,
    "app": 0.4,
    "download": 0.6,
    "click": 1.0,
    "tap": 0.6,
    "share": 0.5,
    "follow": 0.4,
    "account": 0.3,
    "premium": 0.5,
    "preferences": 0.6,
    "settings": 0.4,
    "privacy": 0.5,
    "support": 0.4,
    "journalism": 0.4,
    "podcast": 0.4,
    "video": 0.3,
    "read": 0.3,
    "more": 0.2,
    "continue": 0.3,
    "forum": 0.4,
    "website": 0.3,
    "site": 0.3,
    "page": 0.3,
    # "advertisement" in a few other languages
    "anzeige": 1.0,
    "werbung": 1.0,
    "publicité": 1.0,
    "publicidad": 1.0,
    "publicidade": 1.0,
    "pubblicità": 1.0,
    "реклама": 1.0,
    "©": 1.0,
}
# the same kinds of web-UI words in Spanish, French, Italian, Portuguese, Dutch and German:
# subscribing, newsletters, accounts, consent, donating, clicking, comments, browsing
_UI_WORDS.update(
    dict.fromkeys(
        wordset(
            """suscríbase suscríbete suscribirse suscripción suscripciones boletín boletines
            regístrate regístrese donar donación donaciones donativo clic pulse
            abonnez abonner abonnement abonnements inscrivez
            inscription infolettre connectez connexion cliquez désabonner
            iscriviti iscrizione abbonati abbonamento abbonamenti registrati accedi donazione
            donazioni clicca
            inscreva assine assinatura assinaturas boletim cadastre
            doação doações doe clique
            abonneer abonneren nieuwsbrief nieuwsbrieven inloggen aanmelden doneer donatie
            donaties klik
            abonnieren abonniere anmelden einloggen spende spenden klicken"""
        ),
        1.0,
    )
)
_UI_WORDS.update(
    dict.fromkeys(
        wordset(
            """comentarios comentario navegador navegando navegación privacidad publicidad surfen
            periodismo journalisme giornalismo jornalismo journalistiek journalismus
            commentaires commentaire navigateur navigation confidentialité
            commenti commento navigazione
            comentários comentário navegação privacidade
            reacties reactie privacy
            kommentare kommentar datenschutz"""
        ),
        0.6,
    )
)
# names of social networks: several in one sentence are a list in prose as often as a
# "follow us" bar, so together they weigh at most _SOCIAL_MAX
_SOCIAL: frozenset[str] = wordset(
    "twitter facebook instagram linkedin whatsapp youtube tiktok pinterest threads bluesky"
)
_SOCIAL_WEIGHT = 0.5
_SOCIAL_MAX = 0.6
# a web-UI word inside a hyphenated compound is part of another word ("pay-per-click",
# "ad-free", "click-through"), unless the compound is the UI word itself
_UI_COMPOUNDS: dict[str, float] = {
    "sign-up": 1.0,
    "sign-in": 1.0,
    "log-in": 1.0,
    "opt-in": 0.8,
    "opt-out": 0.8,
    "e-mail": 0.5,
    "pop-up": 0.6,
}
# (A match starts where a run of letters does: tried inside a run the pattern would fail as it
# did at the run's start, so the look-behind changes no match, and saves those tries.)
_COMPOUND_RE = re.compile(r"(?<![^\W\d_])[^\W\d_]+(?:-[^\W\d_]+)+")
# clitic pronouns closing a verb + pronoun compound ("Abonnez-vous", "Inscreva-se"): its
# parts stay words of their own
_CLITICS: frozenset[str] = wordset("vous nous toi te se nos me lo la le les ti ci vi si")
# elided articles and prepositions glued to the next word ("l'abonnement", "all'informativa")
_ELISIONS: frozenset[str] = wordset("l d qu n s j c m t dell all nell dall sull un")

# verbs that open a call to action: English base forms, and the imperatives (formal and
# informal) of the same acts in Spanish, French, Italian, Portuguese, Dutch and German
_CTA_VERBS: frozenset[str] = wordset(
    """subscribe sign log join follow share click tap read continue download get try watch listen
    register donate support enable refresh navigate explore discover learn check see visit
    contact enter stay find view sign-up signup login upgrade unlock become give help save
    like tell send manage accept allow skip go start keep opt choose
    suscríbase suscríbete suscríbanse regístrate regístrese únete únase síguenos síganos sigue
    siga comparte comparta haz haga dona done apoya apoye descarga descargue lee lea mira vea
    escucha escuche acepta acepte inicia inicie recibe reciba colabora colabore
    abonnez abonne inscrivez inscris suivez partagez cliquez téléchargez lisez découvrez
    soutenez faites fais acceptez connectez rejoignez recevez
    iscriviti abbonati seguici segui condividi clicca scarica leggi scopri sostieni dona
    accetta accedi registrati ricevi unisciti fai
    inscreva assine siga compartilhe clique baixe leia descubra apoie doe aceite entre
    cadastre receba faça
    schrijf abonneer volg deel klik download lees ontdek steun doneer accepteer meld log word
    ontvang
    abonniere abonnieren folge folgen teile teilen klicke klicken lies unterstütze
    unterstützen spende spenden melde"""
)
# second-person pronouns and possessives (the unambiguous ones: not Spanish "su", Portuguese
# "seu", German "Sie", which also mean "his", "her", "they")
_SECOND_PERSON: frozenset[str] = wordset(
    """you your yours yourself you're you've you'll you'd youre
    tú tu tus te ti usted ustedes vosotros vuestro vuestra vuestros vuestras
    vous votre vos toi ton ta tes
    tuo tua tuoi tue voi vostro vostra vostri vostre
    você vocês teu tua teus tuas
    jij jou jouw jullie uw
    du dich dir dein deine deinen deinem deiner euch euer eure"""
)
_FIRST_PLURAL: frozenset[str] = wordset(
    """we us our ours we're we've we'll
    nosotros nosotras nuestro nuestra nuestros nuestras
    nous notre
    noi nostro nostra nostri nostre
    nós nosso nossa nossos nossas
    wij ons onze
    wir uns unser unsere unseren unserem unserer"""
)
# first-person-plural verb endings of the pro-drop languages ("utilizamos", "usiamo"): the
# publisher speaking of itself without a pronoun
_FIRST_PLURAL_ENDINGS: tuple[str, ...] = ("amos", "emos", "imos", "iamo")
_READER_POSSESSIVES: frozenset[str] = wordset(
    """your tu tus vuestro vuestra vuestros vuestras votre vos ton ta tes tuo tua tuoi tue
    vostro vostra vostri vostre teu tua teus tuas jouw uw dein deine deinen deinem deiner
    euer eure"""
)
_PUBLISHER_POSSESSIVES: frozenset[str] = wordset(
    """our nuestro nuestra nuestros nuestras notre nos nostro nostra nostri nostre nosso nossa
    nossos nossas onze ons unser unsere unseren unserem unserer"""
)
# nouns which, owned by the reader ("your donation") or the publisher ("our journalism"), mark
# chrome; "your site", "your data", "your team" are the matter of how-to prose, so the reader's
# list holds only what a page asks of its reader (money, an account, consent)
_READER_OWNED: frozenset[str] = wordset(
    """support donation donations contribution contributions subscription account inbox email
    browser privacy consent preferences settings membership
    apoyo donación donativo contribución aportación suscripción cuenta correo navegador
    privacidad consentimiento preferencias
    soutien don dons contribution abonnement compte courriel navigateur confidentialité
    consentement préférences paramètres
    sostegno supporto donazione contributo abbonamento casella privacy consenso preferenze
    impostazioni
    apoio doação contribuição assinatura conta navegador privacidade consentimento preferências
    steun bijdrage donatie gift abonnement account browser toestemming voorkeuren instellingen
    unterstützung spende beitrag abonnement konto einwilligung einstellungen"""
)
_PUBLISHER_OWNED: frozenset[str] = wordset(
    """donation donations contribution contributions subscription privacy consent preferences
    settings journalism reporting reporters journalists newsletter newsletters site website app
    readers community coverage partners terms policy newsroom independence comments membership
    periodismo boletín boletines sitio web lectores comunidad cobertura socios redacción
    independencia política newsletter
    journalisme lettre infolettre site lecteurs communauté rédaction indépendance partenaires
    politique
    giornalismo sito lettori comunità redazione indipendenza partner informativa
    jornalismo boletim site leitores comunidade redação independência parceiros política
    journalistiek nieuwsbrief lezers redactie onafhankelijkheid partners beleid
    journalismus redaktion leser unabhängigkeit datenschutzerklärung"""
)
_REPORTING: frozenset[str] = wordset(
    """said says told according added explained stated reported announced wrote
    dijo afirmó explicó señaló declaró según aseguró
    déclaré affirmé expliqué selon
    detto dichiarato spiegato secondo
    disse afirmou explicou declarou
    zei zegt verklaarde volgens aldus
    sagte erklärte laut"""
)
# "please" in other languages (phrases checked on the joined words)
_PLEASE_PHRASES: tuple[str, ...] = (
    "please",
    "por favor",
    "vous plaît",
    "per favore",
    "alstublieft",
    "alsjeblieft",
    "bitte",
)
# small words that make no content of a short fragment ("Not now", "Yes please")
_FILLER: frozenset[str] = wordset("please yes no ok okay thanks thank now here all back top")

# small words that, together with a CTA verb, form a "Read more" style fragment
_FRAGMENT_WORDS: frozenset[str] = wordset(
    """read more continue reading see also related advertisement ad watch listen share skip story
    full article next previous now here sponsored click expand show less close menu subscribe
    sign up in log top video audio image photo gallery story: more: also:"""
)

_ABBREVIATIONS: frozenset[str] = ENGLISH_MONTH_ABBREVIATIONS | wordset(
    """mr mrs ms dr prof st jr sr gen sen rep gov lt col capt sgt cpl adm maj rev hon no vs etc
    inc ltd co corp dept univ est fig approx
    mt ft pp vol ed eds u.s u.k e.g i.e a.m p.m"""
)

# the words _ui_weight weighs, and the possessives that open an owned pair
_UI_KEYS: frozenset[str] = frozenset(_UI_WORDS) | _SOCIAL
_POSSESSIVES: frozenset[str] = _READER_POSSESSIVES | _PUBLISHER_POSSESSIVES

_QUOTED_RE = re.compile(r"“[^”]*”?|«[^»]*»?|\"[^\"]*\"?")


# --------------------------------------------------------------------------------------------
# sentences
# --------------------------------------------------------------------------------------------

# The closing mark is matched, not looked behind for: the search then only starts at a mark
# (twice as fast), and as no mark is a quote or a space the matches and groups are the same.
_BOUNDARY_RE = re.compile(r"[.!?…][\"”’»)\]]*(\s+)(?=[\"“‘«(\[]?[0-9A-ZÀ-ÖØ-ÞĀ-ſА-ЯЁ])")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Half-open spans of the sentences of one paragraph (a light splitter for classification).

    Splits after ``.!?…`` (and closing quotes) followed by white space and an upper-case letter,
    a digit or an opening quote, except after common abbreviations and single initials.

    This is deliberately not :func:`pipeline.text.sentences.split_sentences`, the corpus
    segmenter: its units are what chrome is scored and trimmed by, and that needs other cuts.

    * It cuts only at a run of white space. :func:`trim_chrome_edges` joins the kept sentences
      with one space, which rebuilds a white-space normalised paragraph exactly; the segmenter
      also cuts where no space is (``。`` in CJK text, ``quality.You'll``), and the join would
      then insert spaces into the text.
    * Its units are whole prose sentences. The segmenter also cuts off layout (a dateline, a
      lead credit such as ``(The Independent)``, an emoji, a list number), and such short
      pieces score differently as chrome: with its units ``Great! 😀 See you soon.`` would
      lose "See you soon.".
    * It needs no language: cleaning runs before language identification, and the clean stage
      does not rerun when the segmenter's per-language data changes.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY_RE.finditer(text):
        end = m.start(1)
        piece = text[start:end]
        head = piece.rstrip('"”’»)]')
        # only a full stop ends an abbreviation or an initial (and then ``head`` has a word)
        if head.endswith("."):
            token = head.rsplit(None, 1)[-1].rstrip(".").lstrip('("“‘').lower()
            if token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()) or "." in token:
                continue
        if piece.strip():
            spans.append((start, end))
        start = m.end(1)
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    out: list[tuple[int, int]] = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def split_sentences_simple(text: str) -> list[str]:
    """The sentences of one paragraph, as strings (see :func:`sentence_spans`)."""
    return [text[s:e] for s, e in sentence_spans(text)]


# --------------------------------------------------------------------------------------------
# chrome scoring
# --------------------------------------------------------------------------------------------

_TERMINAL_MARKS = (".", "!", "?", "…", ":", "。", "！", "？")
_CLOSING_MARKS = '"”’»)]」』'


def _ends_terminally(sentence: str) -> bool:
    """True when ``sentence`` (stripped) ends in a terminal mark, perhaps followed by closing
    marks. Read from the end, where a search for a pattern ending in "$" would try every
    position; no closing mark is a terminal one, so the two tests agree."""
    return sentence.strip().rstrip(_CLOSING_MARKS).endswith(_TERMINAL_MARKS)


def _has_reported_speech(sentence: str) -> bool:
    return any(len(m.group(0)) >= 12 for m in _QUOTED_RE.finditer(sentence))


@lru_cache(maxsize=1 << 16)
def chrome_score(sentence: str) -> float:
    """How much ``sentence`` looks like page chrome rather than article prose (>= 1.5: chrome).

    Additive, general signals: web-UI lexicon, second-person address and reader-owned nouns
    ("your support"), the publisher speaking of itself ("our journalism"), an imperative
    call-to-action first word, "please", shortness and missing terminal punctuation. Reported
    speech and reporting verbs count against it.
    """
    return _chrome_score(sentence, exact=True)


def _chrome_score(sentence: str, exact: bool) -> float:
    """:func:`chrome_score`; unless ``exact``, 0.0 for a sentence the final cap makes prose
    (the verdict of :func:`is_chrome_sentence` is then known before most signals are read)."""
    words = words_of(sentence)
    if not words:
        return 1.0 if sentence.strip() else 0.0
    # every quotation _QUOTED_RE removes opens with one of these marks; without them the text
    # outside quotations is the sentence (most sentences: one word scan instead of two)
    quoted = '"' in sentence or "“" in sentence or "«" in sentence
    outside = _QUOTED_RE.sub(" ", sentence) if quoted else sentence
    low, joined = _lowered(words_of(outside) if quoted else words)
    n = word_count(sentence, words)
    score = 0.0
    ui = _ui_weight(outside, low, joined)
    if "©" in sentence:
        ui += 1.0
    for _phrase in filter(joined.__contains__, _UI_PHRASES):
        ui += 1.0
    score += min(ui, 2.5)
    # an owned pair opens with a possessive: the pair scan runs only when one is in the text
    owned = not _POSSESSIVES.isdisjoint(low) and any(
        (a in _READER_POSSESSIVES and b in _READER_OWNED)
        or (a in _PUBLISHER_POSSESSIVES and b in _PUBLISHER_OWNED)
        for a, b in pairwise(low)
    )
    # instructions ("Start by ...", "Enter the number ...") and step headings ("Keep Your
    # Systems Updated") are prose in a guide: without a web-UI word or a reader- or
    # publisher-owned noun a sentence is never chrome, unless it is a terse fragment of
    # UI words ("Not now", "Back to top")
    can_be_chrome = ui >= 0.8 or owned or (n <= 4 and _content_words(low) <= 1)
    if not (exact or can_be_chrome):
        return 0.0
    second = not _SECOND_PERSON.isdisjoint(low)
    # each ending holds "mos" or is "iamo": the word scan runs only when one is in the text
    first_plural = not _FIRST_PLURAL.isdisjoint(low) or (
        ("mos" in joined or "iamo" in joined)
        and any(len(w) >= 6 and w.endswith(_FIRST_PLURAL_ENDINGS) for w in low)
    )
    if second:
        score += 0.6
    if first_plural:
        score += 0.4
    if owned:
        score += 0.8
    if low and low[0] in _CTA_VERBS and words[0][:1].isupper():
        score += 1.0
    if any(map(joined.__contains__, _PLEASE_PHRASES)):
        score += 0.7
    if n <= 4:
        score += 0.5
    if not _ends_terminally(sentence):
        score += 0.3
    # chrome is terse; a long descriptive sentence needs more evidence, unless the publisher
    # speaks of itself ("we", "our journalism": appeals are long-winded)
    if not (owned or first_plural):
        score -= 1.2 if n > 30 else 0.4 if n >= 15 else 0.0
    if quoted and _has_reported_speech(sentence):
        score -= 1.5
    if not _REPORTING.isdisjoint(low):
        score -= 1.5
    if not can_be_chrome:
        score = min(score, 1.4)
    return score


def _lowered(words: list[str]) -> tuple[list[str], str]:
    """The words compared with the lexicons (lower case, "’" as "'", elisions dropped) and
    those joined by single spaces.

    Lowered and rewritten as one string, then split: no character lowers to a space, and the
    one context-dependent lowering (a final sigma) stops at a space as at the end of a word, so
    this is ``[_unelided(w.lower().replace("’", "'")) for w in words]``.
    """
    if not words:
        return [], ""
    joined = " ".join(words).lower().replace("’", "'")
    low = joined.split(" ")
    if "'" in joined:  # an elision needs an apostrophe
        low = [_unelided(w) if "'" in w else w for w in low]
        joined = " ".join(low)
    return low, joined


_UI_PHRASES: tuple[str, ...] = (
    "sign up",
    "sign in",
    "log in",
    "log out",
    "opt out",
    "all rights reserved",
    "inicia sesión",
    "iniciar sesión",
    "haz clic",
    "lettre information",
    "se connecter",
    "faire un don",
    "fai una donazione",
    "faites un don",
    "fais un don",
    "faça login",
    "schrijf je in",
    "meld je aan",
    "alle rechte vorbehalten",
    "todos los derechos reservados",
    "tous droits réservés",
    "tutti i diritti riservati",
    "todos os direitos reservados",
    "alle rechten voorbehouden",
)


def _unelided(word: str) -> str:
    """``word`` without an elided article or preposition ("l'abonnement" -> "abonnement")."""
    head, sep, tail = word.partition("'")
    return tail if sep and tail and head in _ELISIONS else word


def _ui_weight(outside: str, low: list[str], joined: str) -> float:
    """Summed web-UI weight of the (lower-cased) words, social networks capped, and the parts
    of hyphenated compounds counted as the compound ("pay-per-click" is no "click");
    ``joined`` is ``low`` joined by spaces."""
    parts: dict[str, int] = {}  # how many times each word is part of a compound
    ui = 0.0
    if "-" in outside:
        for m in _COMPOUND_RE.finditer(outside.lower()):
            compound = m.group(0)
            pieces = compound.split("-")
            if pieces[-1] in _CLITICS:  # "abonnez-vous": a verb and its pronoun
                continue
            for piece in pieces:
                parts[piece] = parts.get(piece, 0) + 1
            ui += _UI_COMPOUNDS.get(compound, 0.0)
    # Only the words of _UI_KEYS and the "cookie..." ones weigh anything; the others add 0.0,
    # which leaves ``ui`` as it is, and a part taken by one word is no other word's.
    if "cookie" in joined:
        counted = low
    elif _UI_KEYS.isdisjoint(low):
        return ui
    else:
        counted = [w for w in low if w in _UI_KEYS]
    social = 0.0
    for w in counted:
        if parts.get(w, 0) > 0:
            parts[w] -= 1
            continue
        if w in _SOCIAL:
            social += _SOCIAL_WEIGHT
        elif w.startswith("cookie") and len(w) > 7:  # "cookiebeleid", "cookieeinstellungen"
            ui += 1.0
        else:
            ui += _UI_WORDS.get(w, 0.0)
    return ui + min(social, _SOCIAL_MAX)


def _content_words(low: list[str]) -> int:
    """How many of the words carry content (not UI, call-to-action, pronoun or function words)."""
    return sum(
        1
        for w in low
        if w not in STOP_WORDS
        and w not in _FRAGMENT_WORDS
        and w not in _CTA_VERBS
        and w not in _UI_WORDS
        and w not in _SOCIAL
        and w not in _SECOND_PERSON
        and w not in _FIRST_PLURAL
        and w not in _FILLER
    )


@lru_cache(maxsize=1 << 16)
def is_chrome_sentence(sentence: str) -> bool:
    """True when :func:`chrome_score` classifies ``sentence`` as page chrome."""
    return _chrome_score(sentence, exact=False) >= 1.5


_LEADING_FRAGMENT_RE = re.compile(r"^((?:[\w:]+\s+){1,3}?)(?=[\"“‘]?[A-Z])")


def strip_leading_cta(paragraph: str) -> str:
    """Drop a short call-to-action fragment glued before a sentence ("Read more Belarusian ...").

    Only when the fragment is 1-3 words from the generic fragment lexicon, the first one a
    call-to-action verb or UI word, and what follows is a long sentence.
    """
    m = _LEADING_FRAGMENT_RE.match(paragraph)
    if not m:
        return paragraph
    frag = m.group(1).split()
    low = [w.lower() for w in frag]
    if not all(w in _FRAGMENT_WORDS for w in low):
        return paragraph
    if not (low[0] in _CTA_VERBS or _UI_WORDS.get(low[0].rstrip(":"), 0.0) >= 1.0):
        return paragraph
    if len(frag) == 1 and not (low[0] == "advertisement" or low[0].endswith(":")):
        # a lone verb may well open a real sentence ("Read ...", "See ...")
        return paragraph
    rest = paragraph[m.end() :]
    if len(words_of(rest)) < 8:
        return paragraph
    return rest


# --------------------------------------------------------------------------------------------
# paragraph edges
# --------------------------------------------------------------------------------------------


# the removal rules named in the audit (documents.removals): a chrome sentence at a paragraph
# edge, and a "Read more"-style fragment glued before the first kept sentence
CHROME_SENTENCE = "chrome_sentence"
LEADING_FRAGMENT = "leading_fragment"
Removed = tuple[str, str]  # (rule, removed text)


def trim_chrome_edges_audited(paragraph: str) -> tuple[list[Removed], str, list[Removed]]:
    """:func:`trim_chrome_edges`, with what it removed: (removed before the kept text, the
    kept text, removed after it), each removal as (rule, text) in text order."""
    head: list[Removed] = []
    tail: list[Removed] = []
    prev = None
    while prev != paragraph:
        prev = paragraph
        sentences = split_sentences_simple(paragraph)
        while sentences and is_chrome_sentence(sentences[0]):
            head.append((CHROME_SENTENCE, sentences.pop(0)))
        while sentences and is_chrome_sentence(sentences[-1]):
            # each later pop lies before the ones already taken
            tail.insert(0, (CHROME_SENTENCE, sentences.pop()))
        paragraph = " ".join(sentences)
        rest = strip_leading_cta(paragraph)
        if rest != paragraph:
            head.append((LEADING_FRAGMENT, paragraph[: len(paragraph) - len(rest)].strip()))
        paragraph = rest
    return head, paragraph, tail


def trim_chrome_edges(paragraph: str) -> str:
    """Remove chrome sentences from the start and the end of a paragraph ("" if all chrome).

    Also strips a "Read more"-style fragment glued before the first kept sentence.
    """
    return trim_chrome_edges_audited(paragraph)[1]
