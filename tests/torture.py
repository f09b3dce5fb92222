"""A torture corpus of hostile inputs, generated at test time (nothing big is committed).

``python -m tests.torture OUT_DIR`` writes it; :func:`write_torture_corpus` returns, for every
input file (path relative to ``OUT_DIR``), the outcome the pipeline must give it: ``"kept"`` or
the value of a :class:`pipeline.schema.QuarantineReason`.

The expected outcomes assume the default limits in ``params.yaml``: ``ingest.max_raw_bytes``
16 MiB, ``ingest.max_inflated_bytes`` 64 MiB, ``extract.max_text_chars`` 1,000,000 and
``clean.min_chars`` 80. Every page is our own writing about imaginary places and people.

Why each outcome is the right one is written beside the file that produces it. Two judgement
calls:

* A page whose only text is a cookie banner is ``no_content``: the banner is page furniture,
  the page has no main text at all, and the stage that must see that is extract (an index
  page, which has no main text either, is ``not_article``: its links give it a type).
  ``too_short`` would mean the extractor took the banner for an article and the cleaner
  trimmed it away; the detail would then describe a short article that never existed.
* A page opened by an unclosed ``<style>`` is ``no_content``: by the HTML parsing rules an
  unclosed ``<style>`` (or ``<script>``) turns the rest of the document into raw style text, so
  a browser shows no article either. An unclosed ``<script>`` at the *end* of an article must
  not cost the article: it is kept, without a byte of the script.
"""

from __future__ import annotations

import gzip
import os
import random
import sys
import zlib
from dataclasses import dataclass
from html import escape
from pathlib import Path

from pipeline.schema import QuarantineReason

KEPT = "kept"
MIB = 1 << 20
# Sizes chosen against the default params (see the module docstring).
HUGE_PAGE_BYTES = 50 * MIB  # > ingest.max_raw_bytes (16 MiB)
BOMB_INFLATED_BYTES = 80 * MIB  # > ingest.max_inflated_bytes (64 MiB)
DEEP_NESTING = 10_000
SIBLING_PARAGRAPHS = 100_000

# Directory symlinks are not followed (a loop cannot trap the walk): each is one input,
# quarantined as symlinked_folder; tests check that nothing below them shows up in the inventory.
DIRECTORY_LOOPS: tuple[str, ...] = ("sections/loop_to_root", "sections/loop_to_self")


@dataclass(frozen=True)
class Article:
    """An imaginary news article."""

    domain: str
    slug: str
    headline: str
    paragraphs: tuple[str, ...]
    published: str = "2024-03-14T09:30:00+00:00"
    author: str = "Mira Holloway"
    lang: str = "en"

    @property
    def url(self) -> str:
        return f"https://www.{self.domain}/news/{self.slug}"


def article_html(
    art: Article,
    *,
    charset: str | None = "utf-8",
    direction: str | None = None,
    head_extra: str = "",
    before: str = "",
    after: str = "",
    body_html: str | None = None,
) -> str:
    """A plain, well-formed article page (the torture is added by the callers)."""
    meta_charset = f'<meta charset="{charset}">' if charset else ""
    dir_attr = f' dir="{direction}"' if direction else ""
    body = body_html
    if body is None:
        body = "\n".join(f"<p>{escape(p)}</p>" for p in art.paragraphs)
    return (
        f'<!DOCTYPE html>\n<html lang="{art.lang}"{dir_attr}>\n<head>\n{meta_charset}\n'
        f"<title>{escape(art.headline)} | {escape(art.domain)}</title>\n"
        f'<meta property="og:url" content="{art.url}">\n'
        f'<meta property="og:title" content="{escape(art.headline)}">\n'
        f'<meta name="author" content="{escape(art.author)}">\n'
        f'<meta property="article:published_time" content="{art.published}">\n'
        f"{head_extra}</head>\n<body>\n{before}"
        f"<article>\n<h1>{escape(art.headline)}</h1>\n"
        f'<p class="byline">By {escape(art.author)}</p>\n'
        f"{body}\n</article>\n{after}</body>\n</html>\n"
    )


FERRY = Article(
    "saltmarsh-courier.example",
    "night-ferry-returns",
    "Night ferry to Gullholm returns after a winter of repairs",
    (
        "The night ferry between Saltmarsh and the island of Gullholm sailed again on Thursday, "
        "four months after a cracked propeller shaft kept it in the repair dock.",
        "Captain Ilse Varga said the crossing took fifty minutes, ten fewer than before the "
        "repairs, because the new shaft lets the engines run at a steadier speed.",
        'Island shopkeepers had relied on a small daytime boat all winter. "We stocked bread '
        'twice a week instead of every morning," said baker Tomas Ried.',
    ),
)
ORCHARD = Article(
    "upland-gazette.example",
    "orchard-cooperative-vote",
    "Orchard growers vote to share one cider press",
    (
        "Thirty-one orchard owners in the Brenn valley voted on Monday to buy a single cider "
        "press together instead of hiring three small ones every autumn.",
        "The cooperative will pay for the press over six years; members said the shared "
        "machine costs less per litre and wastes fewer apples in a wet harvest.",
        "Grower Anneli Strand, whose family has pressed apples in the valley since 1952, called "
        "the vote “the sensible end of an old argument”.",
    ),
)
BRIDGE = Article(
    "riverside-herald.example",
    "footbridge-reopens",
    "Footbridge over the Lune reopens with a wider deck",
    (
        "The footbridge linking the market square to the east bank of the Lune reopened on "
        "Saturday morning with a deck half a metre wider than the one it replaced.",
        "Engineers from the county works department replaced the rusted handrails and added "
        "lighting under each span so cyclists can see the ramp after dark.",
        "Shop owners on the east bank said trade had fallen by a fifth during the closure, "
        "which lasted eleven weeks instead of the planned eight.",
    ),
)
LIBRARY = Article(
    "northgate-post.example",
    "mobile-library-new-route",
    "Mobile library adds six hill villages to its route",
    (
        "The county's mobile library van will stop in six more hill villages from next month, "
        "after a survey found that most older residents no longer drive to town.",
        "Librarian Oskar Petrov said the van will carry large-print books, audiobooks and a "
        "printer, and will stay for an hour at each stop on alternate Wednesdays.",
        "The extra route costs the council about nine thousand pounds a year in fuel and wages, "
        "paid from the reading programme budget.",
    ),
)
CAFE_FR = Article(
    "echo-du-lac.example",
    "boulangerie-primee",
    "La boulangerie du quai reçoit le prix régional",
    (
        "La petite boulangerie du quai Lamartine a reçu samedi le prix régional du pain, "
        "décerné par un jury de douze artisans venus de toute la côte.",
        "Hélène Carrive, qui tient la boutique depuis dix-huit ans, a remercié ses clients "
        "fidèles et promis une fête devant le magasin à la fin du mois.",
        "Le jury a salué une baguette « croustillante et légère » et une brioche au beurre "
        "salé qui a déjà séduit les touristes de l'été dernier.",
    ),
    lang="fr",
)
MARKET_DE = Article(
    "talbote.example",
    "markthalle-eroeffnet",
    "Neue Markthalle in Kleinfeld öffnet am Samstag",
    (
        "Die neue Markthalle am Kleinfelder Bahnhof öffnet am Samstag mit vierzig Ständen, "
        "darunter Käsereien, Gärtnereien und zwei Fischhändler von der Küste.",
        "Bürgermeisterin Jördis Haller sagte, die Halle solle das ganze Jahr über geöffnet "
        "bleiben, auch wenn der Wochenmarkt im Winter ruht.",
        "Die Baukosten von 2,4 Millionen Euro trägt zum größten Teil das Land.",
    ),
    lang="de",
)
SCHOOL_AR = Article(
    "wahat-news.example",
    "new-school-opens",
    "افتتاح مدرسة جديدة في قرية النخيل",
    (
        "افتتحت قرية النخيل يوم الأحد مدرسة ابتدائية جديدة تتسع لثلاثمئة تلميذ، "
        "بعد عامين من أعمال البناء.",
        "وقالت مديرة المدرسة سلمى العامري إن المبنى يضم مكتبة ومختبراً للعلوم وملعباً مظللاً. "
        "وأضافت أن الدروس ستبدأ في الأسبوع المقبل.",
        "وكان أولياء الأمور يرسلون أطفالهم إلى بلدة مجاورة تبعد عشرين كيلومتراً.",
    ),
    author="سلمى العامري",
    lang="ar",
)
TRAIN_HE = Article(
    "emek-yomi.example",
    "rakevet-layla",
    "רכבת לילה חדשה בין העמק לחוף",
    (
        "רכבת לילה חדשה תתחיל לנסוע בשבוע הבא בין תחנת העמק לתחנת החוף, "
        "כך הודיעה ביום שני חברת הרכבות האזורית.",
        "לדברי מנהלת הקו, נועה ברק, הרכבת תצא פעמיים בלילה ותעצור בארבע תחנות בדרך. "
        "הנסיעה תימשך כשעה וחצי.",
    ),
    author="נועה ברק",
    lang="he",
)
LANTERN_ZH = Article(
    "qinghe-daily.example",
    "lantern-festival",
    "清河镇元宵灯会吸引数万游客",
    (
        "清河镇今年的元宵灯会于周六晚上开幕，三天内共吸引了约四万名游客。"
        "镇政府在河边布置了两百多盏手工花灯。",
        "负责灯会的工作人员李文静说，今年的花灯大多由本地小学生和老人一起制作。"
        "她表示，明年还会增加夜间游船。",
        "附近的餐馆老板说，灯会期间的生意比平时多了一倍。",
    ),
    author="李文静",
    lang="zh",
)
TRAM_JA = Article(
    "minato-shimbun.example",
    "tram-line-extended",
    "港町の路面電車、駅前まで延伸へ",
    (
        "港町市は十日、路面電車の路線を駅前広場まで約八百メートル延ばす計画を発表した。"
        "工事は来年春に始まる予定だ。",
        "市の担当者によると、延伸によって駅から市役所までの移動時間が五分ほど短くなる。"
        "新しい停留所は二つ設けられる。",
        "地元の商店会は「観光客が商店街に来やすくなる」と歓迎している。",
    ),
    author="山本花子",
    lang="ja",
)
CHOIR = Article(
    "harbourview-times.example",
    "choir-wins-festival",
    "Harbourview children's choir wins the coastal festival 🎶🏆",
    (
        "The Harbourview children's choir won first prize at the coastal music festival on "
        "Sunday 🎉, beating fourteen choirs from around the bay.",
        "Conductor Zoë Nakamura-Lindqvist said the singers rehearsed every evening for a month; "
        "the winning piece was a lullaby written by the town's former organist, José Ribeiro.",
        "Parents waved flags 🇳🇴🇯🇵 and the youngest singer, aged seven, held the trophy "
        "above her head 👧🏽 for the photographers.",
        "The Cafe\u0301 Ame\u0301lie on the quay offered every singer free hot chocolate, and "
        "the owner wrote the choir's name on the menu board in curly letters: "
        "“Ha\u0308rbourview Voices”.",
    ),
)
FIRE = Article(
    "valley-messenger.example",
    "barn-fire-contained",
    "Volunteer firefighters contain barn fire near Hollow Creek",
    (
        "Volunteer firefighters from three villages contained a barn fire near Hollow Creek "
        "late on Tuesday, saving the farmhouse and forty sheep kept in a nearby pen.",
        "Fire chief Dagny Moss said the crews pumped water from the creek because the nearest "
        "hydrant was two kilometres away, and that nobody was hurt.",
        "The farmer, Ruben Okafor, said the hay stored in the barn was probably damp and may "
        "have heated up on its own.",
    ),
)
TIDES = Article(
    "coastline-observer.example",
    "tide-gauge-record",
    "New tide gauge records the highest spring tide in thirty years",
    (
        "The tide gauge installed at Pellow harbour last year recorded its highest reading on "
        "Wednesday, a spring tide nine centimetres above the previous local record.",
        "Harbour master Eilidh Rowan said no boats were damaged, but the car park by the slipway "
        "flooded for about two hours and three cars had to be towed.",
        "The council plans to raise the slipway wall by forty centimetres before next winter.",
    ),
)
CHESS = Article(
    "lakeshore-bulletin.example",
    "chess-club-anniversary",
    "Lakeshore chess club marks fifty years with a simultaneous game",
    (
        "The Lakeshore chess club celebrated its fiftieth year on Saturday with a simultaneous "
        "exhibition in which club champion Petra Lund played thirty opponents at once.",
        "She won twenty-six games, drew three and lost one, to a twelve-year-old pupil from the "
        "village school who had joined the club only in September.",
        "The club was founded in a railway waiting room in 1974 and now meets in the library.",
    ),
)
STORM = Article(
    "moorland-echo.example",
    "storm-power-restored",
    "Power restored to moorland farms after the weekend storm",
    (
        "Electricity was restored on Monday evening to the last of the two hundred moorland "
        "farms that lost power when Saturday's storm brought down eleven poles.",
        "Line crews worked through Sunday night in strong wind; the network operator said the "
        "damage was the worst on the upland lines since 2013.",
        "Several farmers ran milking machines from tractor-driven generators during the cut.",
    ),
)
MUSEUM = Article(
    "old-town-journal.example",
    "museum-roof-appeal",
    "Town museum appeal raises enough to mend its leaking roof",
    (
        "The town museum's roof appeal reached its target on Friday, three months early, after "
        "a retired sea captain left the museum a bequest of twelve thousand pounds.",
        "Curator Ines Albrecht said buckets had stood in the map room for two winters and that "
        "the roofers will begin work as soon as the scaffolding arrives.",
        "The map room will stay closed until the repairs are finished in the spring.",
    ),
)
ELECTION = Article(
    "district-ledger.example",
    "ward-count-night",
    "Ward by ward: how the Brackwater district counted its votes",
    ("placeholder",),
)


def _sibling_paragraphs(n: int) -> str:
    """``n`` sibling paragraphs, each a distinct sentence."""
    rng = random.Random(20240314)
    lines = []
    for i in range(n):
        votes = rng.randint(120, 4800)
        hour, minute = 22 + (i % 4) // 2, rng.randint(0, 59)
        lines.append(
            f"<p>Polling station {i + 1} in the Brackwater district declared "
            f"{votes} votes at {hour % 24:02d}:{minute:02d}.</p>"
        )
    return "\n".join(lines)


def _deep_divs(art: Article, depth: int) -> str:
    inner = "\n".join(f"<p>{escape(p)}</p>" for p in art.paragraphs)
    return "<div>" * depth + inner + "</div>" * depth


def _unclosed(art: Article) -> str:
    """The article with no end tag but </title>: <html>, <head>, <body>, <div>, <h1>, <p>, <b>,
    <i>, <li>, <span>, <table> all left open. (An open <title> would turn the rest of the page
    into title text, by the HTML parsing rules: that is the unclosed-<style> case.)"""
    p = art.paragraphs
    return (
        f'<html><head><meta charset="utf-8"><title>{escape(art.headline)}</title>'
        f'<meta property="og:url" content="{art.url}">'
        f"<body><div class=main><div class=story><h1>{escape(art.headline)}"
        f"<p>{escape(p[0])}<p><b>{escape(p[1])}<p><i>{escape(p[2])}"
        "<ul><li>First item of nothing<li>Second item <span>still open"
        "<table><tr><td>cell"
    )


def _page_dump(art: Article) -> str:
    """A page text dump: one line per block, menus above and below the article."""
    lines = [
        "Home | News | Sport | Weather | Contact",
        art.headline,
        f"By {art.author}",
        *art.paragraphs,
        "Share this article",
        "More from the harbour",
        "© 2024 Coastline Observer. All rights reserved.",
    ]
    return "\n".join(lines) + "\n"


COOKIE_ONLY = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Brightwater Weekly</title></head>
<body>
<div id="cookie-consent" class="cookie-banner" role="dialog">
<p>We use cookies and similar technologies to keep this site working, to measure how it is
used and to show you relevant content. You can accept all cookies, reject the optional ones or
choose your preferences at any time in our cookie settings.</p>
<button>Accept all</button> <button>Reject optional cookies</button>
<a href="/privacy">Privacy policy</a> <a href="/cookies">Manage preferences</a>
</div>
</body></html>
"""

ONLY_CSS = """body { margin: 0; font-family: Georgia, serif; color: #222; }
.article-body p { line-height: 1.6; margin: 0 0 1em; }
.headline { font-size: 2.4rem; font-weight: 700; }
@media (max-width: 600px) { .headline { font-size: 1.6rem; } .sidebar { display: none; } }
.cookie-banner { position: fixed; bottom: 0; left: 0; right: 0; background: #f4f4f4; }
nav ul li a:hover { text-decoration: underline; }
"""

SECTION_INDEX = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Local news | Fenwick Star</title>
<meta property="og:url" content="https://www.fenwick-star.example/local/"></head>
<body><nav><a href="/">Home</a> <a href="/local/">Local</a> <a href="/sport/">Sport</a></nav>
<main><h1>Local news</h1><ul class="teasers">
<li><a href="/local/a1">Roadworks on Mill Lane to finish a week early</a></li>
<li><a href="/local/a2">Fenwick primary school choir to sing at the cathedral</a></li>
<li><a href="/local/a3">New bus shelter for the hospital stop</a></li>
<li><a href="/local/a4">Allotment waiting list closes for the year</a></li>
<li><a href="/local/a5">Library extends Saturday opening hours</a></li>
<li><a href="/local/a6">Swimming pool reopens after boiler repair</a></li>
<li><a href="/local/a7">Police appeal after bicycles stolen from station rack</a></li>
<li><a href="/local/a8">Parish council agrees new footpath signs</a></li>
</ul><a href="/local/?page=2">Next page</a></main>
<footer><a href="/about">About us</a> <a href="/contact">Contact</a></footer></body></html>
"""

SEARCH_RESULTS = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Search: harbour | Pellow Mail</title></head>
<body><header><a href="/">Pellow Mail</a></header>
<form action="/search"><input name="q" value="harbour"><button>Search</button></form>
<div class="results"><p>24 results for “harbour”</p>
<div class="result"><a href="/n/1">Harbour wall repairs begin</a> <span>12 March 2024</span></div>
<div class="result"><a href="/n/2">Harbour master retires after 30 years</a>
<span>2 March 2024</span></div>
<div class="result"><a href="/n/3">Harbour fees to rise in April</a> <span>1 March 2024</span></div>
<div class="result"><a href="/n/4">Fishing fleet stays in harbour as gales hit</a>
<span>20 February 2024</span></div>
</div><div class="pager"><a href="?page=2">2</a> <a href="?page=3">3</a></div>
</body></html>
"""


def _write(root: Path, name: str, data: bytes | str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6, mtime=0)


def _gzip_bomb(inflated: int) -> bytes:
    """A gzip stream of ``inflated`` bytes of one repeated HTML line, built in small chunks."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    line = b"<p>all work and no play makes a dull page</p>\n"
    chunk = line * ((1 << 20) // len(line))
    out = [comp.compress(b"<html><body>")]
    written = 0
    while written < inflated:
        out.append(comp.compress(chunk))
        written += len(chunk)
    out.append(comp.flush())
    return b"".join(out)


def _huge_page(root: Path, name: str, size: int) -> None:
    """A well-formed HTML page of ``size`` bytes, written in pieces (never held in memory)."""
    rng = random.Random(7)
    head = article_html(FIRE).split("</article>")[0].encode()
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    with (root / name).open("wb") as fh:
        fh.write(head)
        written = len(head)
        filler = [
            f"<p>Archive line {i}: the weir gauge read {rng.randint(10, 99)} centimetres.</p>\n"
            for i in range(2000)
        ]
        block = "".join(filler).encode()
        tail = b"</article></body></html>\n"
        while written + len(block) + len(tail) < size:
            fh.write(block)
            written += len(block)
        fh.write(b" " * (size - written - len(tail)) + tail)


def write_file_links(root: Path, expected: dict[str, str]) -> None:
    """Two file symlinks in a loop and a dangling one under ``root/links``."""
    links = root / "links"
    links.mkdir(parents=True, exist_ok=True)
    os.symlink("loop_b.html", links / "loop_a.html")
    os.symlink("loop_a.html", links / "loop_b.html")
    os.symlink("gone_forever.html", links / "dangling.html")
    expected["links/loop_a.html"] = str(QuarantineReason.SYMLINK_LOOP)
    expected["links/loop_b.html"] = str(QuarantineReason.SYMLINK_LOOP)
    expected["links/dangling.html"] = str(QuarantineReason.DANGLING_SYMLINK)


def write_torture_corpus(out_dir: Path | str, *, file_links: bool = False) -> dict[str, str]:
    """Write the torture corpus under ``out_dir``; return file name -> expected outcome.

    ``file_links`` adds two file symlinks pointing at each other (a loop: ``stat`` fails with
    ELOOP, ``symlink_loop``) and a dangling symlink (``dangling_symlink``)."""
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    expected: dict[str, str] = {}
    reason = QuarantineReason

    def add(name: str, data: bytes | str, outcome: str) -> None:
        _write(root, name, data)
        expected[name] = outcome

    # --- nothing, or nothing but bytes that are not text
    add("empty.html", b"", reason.EMPTY)
    add("whitespace_only.html", b" \t\r\n\n   \n\t\f  \r\n", reason.EMPTY)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
    add("binary/logo.png.html", png, reason.BINARY)
    add(
        "binary/report.pdf.html",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
        reason.BINARY,
    )
    add(
        "binary/tool.elf",
        b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56 + bytes(range(256)) * 4,
        reason.BINARY,
    )
    add("binary/control_bytes.txt", bytes(range(1, 32)) * 200, reason.BINARY)

    # --- bytes that are text, badly encoded
    nul_page = article_html(FERRY).replace("</h1>", "</h1>\x00\x00").replace(". ", ".\x00 ", 2)
    add("encodings/nul_bytes_inside.html", nul_page, KEPT)
    # Valid UTF-8 with stray bytes: a lone 0xFF, a lead byte without continuation, a lone
    # continuation byte. The valid text around them must decode as UTF-8 (no mojibake).
    bad = article_html(ORCHARD).encode("utf-8")
    bad = bad.replace(b"Thirty-one", b"Thirty\xff-one", 1).replace(b"six years", b"six\xc3 years")
    bad = bad.replace(b"wet harvest", b"wet \x80harvest")
    add("encodings/invalid_utf8.html", bad, KEPT)
    # Mixed encodings: a UTF-8 page with one paragraph pasted in windows-1252.
    mixed_html = article_html(MARKET_DE)
    pasted = MARKET_DE.paragraphs[2]
    head, tail = mixed_html.split(escape(pasted))
    add(
        "encodings/mixed_utf8_cp1252.html",
        head.encode("utf-8") + escape(pasted).encode("cp1252") + tail.encode("utf-8"),
        KEPT,
    )
    # Declared UTF-8, written in windows-1252.
    add(
        "encodings/declared_utf8_is_cp1252.html",
        article_html(CAFE_FR, charset="utf-8").encode("cp1252"),
        KEPT,
    )
    # Declared ISO-8859-1 (read as windows-1252 by browsers), written in UTF-8.
    add(
        "encodings/declared_latin1_is_utf8.html",
        article_html(MARKET_DE, charset="iso-8859-1").replace("Bahnhof", "Südbahnhof"),
        KEPT,
    )
    # UTF-16 without a BOM: every other byte is NUL, which must not read as binary.
    add(
        "encodings/utf16le_no_bom.html",
        article_html(BRIDGE, charset=None).replace("Lune", "Lüne").encode("utf-16-le"),
        KEPT,
    )
    add(
        "encodings/utf16_bom.html",
        b"\xff\xfe" + article_html(CAFE_FR, charset="utf-16").encode("utf-16-le"),
        KEPT,
    )

    # --- containers
    add("gzip/valid_page.html.gz", _gzip(article_html(TIDES).encode()), KEPT)
    whole = _gzip(article_html(CHESS).encode() * 20)
    add("gzip/truncated.html.gz", whole[: len(whole) // 2], reason.CORRUPT_GZIP)
    add("gzip/bomb.html.gz", _gzip_bomb(BOMB_INFLATED_BYTES), reason.INFLATED_TOO_LARGE)
    # Not gzip at all despite the name: the content decides, not the extension.
    add("gzip/not_really.html.gz", article_html(STORM), KEPT)

    # --- size and shape
    _huge_page(root, "size/huge_50mb.html", HUGE_PAGE_BYTES)
    expected["size/huge_50mb.html"] = reason.TOO_LARGE
    add(
        "size/deep_nesting_10000.html",
        article_html(BRIDGE, body_html=_deep_divs(BRIDGE, DEEP_NESTING)),
        KEPT,
    )
    # 100,000 sibling paragraphs of prose: ~6.5 M characters of text > extract.max_text_chars.
    add(
        "size/siblings_100000.html",
        article_html(ELECTION, body_html=_sibling_paragraphs(SIBLING_PARAGRAPHS)),
        reason.TEXT_TOO_LONG,
    )
    add("markup/unclosed_everywhere.html", _unclosed(LIBRARY), KEPT)
    script_tail = "<script>var tracker = {id: 42}; function go() { document.write('x'); }\n"
    add(
        "markup/unclosed_script_at_end.html",
        article_html(MUSEUM).split("</body>")[0] + script_tail,
        KEPT,
    )
    style_first = (
        '<html><head><meta charset="utf-8"><title>Storm</title><style>body { color: red; }\n'
        + article_html(STORM).split("<body>")[1]
    )
    add("markup/unclosed_style_first.html", style_first, reason.NO_CONTENT)
    add("markup/only_css.html", ONLY_CSS, reason.NO_CONTENT)
    add("markup/cookie_banner_only.html", COOKIE_ONLY, reason.NO_CONTENT)
    add("markup/section_index.html", SECTION_INDEX, reason.NOT_ARTICLE)
    add("markup/search_results.html", SEARCH_RESULTS, reason.NOT_ARTICLE)

    # --- scripts and characters
    add("scripts/arabic_rtl.html", article_html(SCHOOL_AR, direction="rtl"), KEPT)
    add("scripts/hebrew_rtl.html", article_html(TRAIN_HE, direction="rtl"), KEPT)
    add("scripts/chinese.html", article_html(LANTERN_ZH), KEPT)
    add("scripts/japanese.html", article_html(TRAM_JA), KEPT)
    add("scripts/emoji_and_combining.html", article_html(CHOIR), KEPT)
    add("scripts/coastline_dump.txt", _page_dump(TIDES), KEPT)

    # --- names and links
    add("names/Überraschung im Rathaus – Bericht №2.html", article_html(FIRE), KEPT)
    # Same bytes as the file above: the later path (by path order) is the duplicate.
    add("names/Überraschung_copy.html", article_html(FIRE), reason.DUPLICATE)
    sections = root / "sections"
    sections.mkdir(exist_ok=True)
    for link, target in zip(DIRECTORY_LOOPS, ("..", "."), strict=True):
        os.symlink(target, root / link)
        expected[link] = reason.SYMLINKED_FOLDER
    (sections / "regional.html").write_text(article_html(CHESS), encoding="utf-8")
    expected["sections/regional.html"] = KEPT
    if file_links:
        write_file_links(root, expected)
    return {name: str(outcome) for name, outcome in sorted(expected.items())}


def main(argv: list[str]) -> int:
    if (
        not argv
        or any(a.startswith("-") and a != "--file-links" for a in argv)
        or (len(argv) > 1 and argv[1:] != ["--file-links"])
    ):
        print("usage: python -m tests.torture OUT_DIR [--file-links]", file=sys.stderr)
        return 2
    expected = write_torture_corpus(Path(argv[0]), file_links="--file-links" in argv[1:])
    width = max(len(n) for n in expected)
    for name, outcome in expected.items():
        print(f"{name:<{width}}  {outcome}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
