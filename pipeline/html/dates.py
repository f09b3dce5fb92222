"""Date parsing for article metadata: one pure, total function, :func:`parse_date`.

:func:`parse_date` turns a date string as found in web pages (ISO 8601, RFC 2822, "March 5, 2024",
"5. März 2024", "2024/03/05", "20240305", Unix timestamps...) into a timezone-aware
``datetime``, or ``None``. Conventions:

* a value without a time zone is taken as UTC; a value with an offset keeps that offset, so the
  calendar day the page shows stays the day of the returned value;
* a value before :data:`MIN_YEAR` or later than "now" is rejected (``None``): a wrong date is worse
  than a missing one;
* ambiguous numeric forms ("03/05/2024", where day and month could be swapped) are rejected unless
  one of the two numbers is over 12; "05.03.2024" (dots) is read day-first, the convention of
  every language writing it that way;
* it never raises, whatever the input, and only looks at the first :data:`MAX_CHARS` characters.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from pipeline.text.months import MONTHS as _MONTHS

MIN_YEAR = 1990
MAX_CHARS = 200

# Time-zone abbreviations with one widely agreed meaning (hours from UTC).
_TZ_ABBR: dict[str, float] = {
    "utc": 0,
    "gmt": 0,
    "z": 0,
    "ut": 0,
    "est": -5,
    "edt": -4,
    "cst": -6,
    "cdt": -5,
    "mst": -7,
    "mdt": -6,
    "pst": -8,
    "pdt": -7,
    "akst": -9,
    "akdt": -8,
    "hst": -10,
    "bst": 1,
    "cet": 1,
    "cest": 2,
    "met": 1,
    "mest": 2,
    "eet": 2,
    "eest": 3,
    "wet": 0,
    "west": 1,
    "jst": 9,
    "kst": 9,
    "aest": 10,
    "aedt": 11,
    "nzst": 12,
    "nzdt": 13,
}

_TZ_ALT = "|".join(sorted(_TZ_ABBR, key=len, reverse=True))

# ISO 8601 and its common web variants: 2024-03-05, 2024-03-05T10:00, 2024-03-05 10:00:00.123+01:00,
# 2024-03-05T10:00:00Z, 20240305T100000Z, 2024/03/05 10:00.
_ISO = re.compile(
    r"(?<![\d])(?P<y>(?:19|20)\d\d)(?P<s1>[-/.]?)(?P<m>[01]\d)(?P=s1)(?P<d>[0-3]\d)(?!\d)"
    r"(?:(?:[T\s]+|T?)(?P<H>[0-2]\d)(?::?(?P<M>[0-5]\d))(?::?(?P<S>[0-6]\d)(?:[.,]\d+)?)?"
    r"\s*(?P<tz>Z|[+-][01]\d(?::?[0-5]\d)?|(?:" + _TZ_ALT + r")\b)?)?",
    re.IGNORECASE,
)
# Time of day after a textual date: "10:00", "10:00:05 AM", "10.00 pm", "10:00 GMT+0100".
_TIME = re.compile(
    r"[\s,]*(?:at\s+|um\s+|à\s+|-\s+)?(?P<H>[0-2]?\d)[:.h](?P<M>[0-5]\d)(?::(?P<S>[0-5]\d))?"
    r"\s*(?P<ampm>[ap]\.?m\.?)?"
    r"\s*(?:(?P<tzabbr>" + _TZ_ALT + r")\b)?\s*(?P<tz>[+-][01]\d:?[0-5]\d)?",
    re.IGNORECASE,
)
# Where a month name may stand: a word of letters. Which words are months is looked up in
# _MONTHS afterwards, which is much faster than a regex alternation of all the names.
_MONTH_WORD = r"(?P<mon>[^\W\d_]{3,12})"
# "March 5, 2024", "Mar. 5th 2024", "Tuesday, March 5, 2024"
_MDY = re.compile(
    r"\b" + _MONTH_WORD + r"\.?\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
# "5 March 2024", "5th of March, 2024", "5. März 2024", "5 de marzo de 2024", "05-Mar-2024"
_DMY = re.compile(
    r"\b(?P<d>[0-3]?\d)(?:st|nd|rd|th|er|º)?\.?(?:\s+of|\s+de)?[\s\-/]+"
    + _MONTH_WORD
    + r"\.?(?:\s+de)?[,\s\-/]+(?P<y>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
# Numeric day/month/year with "/", "." or "-": 05.03.2024, 13/03/2024, 3/13/2024.
_NUMERIC = re.compile(
    r"(?<![\d.])(?P<a>[0-3]?\d)(?P<sep>[./-])(?P<b>[0-3]?\d)(?P=sep)(?P<y>(?:19|20)\d\d)(?!\d)"
)
_TIMESTAMP = re.compile(r"^\s*(?P<n>1\d{9}|1\d{12})\s*$")


def _tz_from(text: str | None, abbr: str | None = None) -> timezone | None:
    """A fixed-offset zone from "+01:00", "-0500", "Z" or a known abbreviation; None if absent."""
    if abbr:
        hours = _TZ_ABBR.get(abbr.lower())
        if hours is not None:
            return timezone(timedelta(hours=hours))
    if not text:
        return None
    if text.upper() == "Z":
        return UTC
    if text.lower() in _TZ_ABBR:
        return timezone(timedelta(hours=_TZ_ABBR[text.lower()]))
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours = int(digits[:2])
    minutes = int(digits[2:4]) if len(digits) >= 4 else 0
    if hours > 14 or minutes >= 60:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _build(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    tz: timezone | None = None,
) -> datetime | None:
    try:
        return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=tz or UTC)
    except ValueError:
        return None


_Found = tuple[datetime | None, int]  # (value or None when invalid, start offset of the match)


def _from_iso(s: str) -> _Found | None:
    m = _ISO.search(s)
    if m is None:
        return None
    if not m.group("s1") and m.start() > 0 and s[m.start() - 1].isalnum():
        return None
    tz = _tz_from(m.group("tz"))
    hour = int(m.group("H")) if m.group("H") else 0
    minute = int(m.group("M")) if m.group("M") else 0
    second = int(m.group("S")) if m.group("S") else 0
    if hour > 23:
        hour = minute = second = 0
    dt = _build(int(m.group("y")), int(m.group("m")), int(m.group("d")), hour, minute, second, tz)
    return dt, m.start()


def _time_after(s: str, end: int) -> tuple[int, int, int, timezone | None]:
    """Hour, minute, second and zone written right after a textual date (zeros when absent)."""
    m = _TIME.match(s, end)
    if m is None:
        return 0, 0, 0, None
    hour, minute = int(m.group("H")), int(m.group("M"))
    second = int(m.group("S")) if m.group("S") else 0
    ampm = (m.group("ampm") or "").replace(".", "").lower()
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    if hour > 23:
        return 0, 0, 0, None
    return hour, minute, second, _tz_from(m.group("tz"), m.group("tzabbr"))


def _month_date(pattern: re.Pattern[str], s: str) -> re.Match[str] | None:
    """The first match of ``pattern`` (:data:`_MDY` or :data:`_DMY`) whose word is a month."""
    for m in pattern.finditer(s):
        if m.group("mon").lower() in _MONTHS:
            return m
    return None


def _from_text(s: str) -> _Found | None:
    best: re.Match[str] | None = None
    for pattern in (_MDY, _DMY):
        m = _month_date(pattern, s)
        if m is not None and (best is None or m.start() < best.start()):
            best = m
    if best is None:
        return None
    month = _MONTHS[best.group("mon").lower()]
    hour, minute, second, tz = _time_after(s, best.end())
    dt = _build(int(best.group("y")), month, int(best.group("d")), hour, minute, second, tz)
    return dt, best.start()


def _from_numeric(s: str) -> _Found | None:
    m = _NUMERIC.search(s)
    if m is None:
        return None
    a, b, year = int(m.group("a")), int(m.group("b")), int(m.group("y"))
    if m.group("sep") == ".":
        day, month = a, b  # dotted dates are day-first wherever they are used
    elif a > 12 >= b:
        day, month = a, b
    elif b > 12 >= a:
        day, month = b, a
    elif a == b:
        day = month = a
    else:
        return None, m.start()  # 03/05/2024: March 5 or 3 May? refuse rather than guess
    hour, minute, second, tz = _time_after(s, m.end())
    return _build(year, month, day, hour, minute, second, tz), m.start()


def _from_timestamp(s: str) -> _Found | None:
    m = _TIMESTAMP.match(s)
    if m is None:
        return None
    n = int(m.group("n"))
    if n > 10**11:
        n //= 1000
    try:
        return datetime.fromtimestamp(n, tz=UTC), m.start("n")
    except (OverflowError, OSError, ValueError):
        return None


def looks_like_date(s: str) -> bool:
    """True when ``s`` holds something written like a date, readable or not ("03/05/2024")."""
    text = s[:MAX_CHARS] if isinstance(s, str) else ""
    if _ISO.search(text) is not None or _NUMERIC.search(text) is not None:
        return True
    return _month_date(_MDY, text) is not None or _month_date(_DMY, text) is not None


def is_plausible(dt: datetime, now: datetime | None = None) -> bool:
    """True when ``dt`` (timezone-aware) is not before :data:`MIN_YEAR` and not after ``now``."""
    now = now or datetime.now(UTC)
    return dt.year >= MIN_YEAR and dt <= now


def read_ambiguous(
    s: str, hint: datetime, *, now: datetime | None = None
) -> tuple[datetime, int, int] | None:
    """An ambiguous numeric date in ``s`` ("03/01/2017": March 1 or 3 January?) read the one way
    that falls on the calendar day of ``hint`` (the machine-readable value given with it, as in
    ``<time datetime="2017-03-01">03/01/2017</time>``): (value at midnight in ``hint``'s zone,
    start and end of the date in ``s``).

    None when ``s`` holds no such date, when it can be read without help, or when neither
    reading is ``hint``'s day: a hint never overrides what the page shows.
    """
    try:
        text = s[:MAX_CHARS] if isinstance(s, str) else ""
        m = _NUMERIC.search(text)
        if m is None or find_date(text, timestamps=False) is not None:
            return None
        if _ISO.search(text) is not None or any(_month_date(p, text) for p in (_MDY, _DMY)):
            return None  # another form decides what the text says
        a, b, year = int(m.group("a")), int(m.group("b")), int(m.group("y"))
        day = hint.date()
        if year != day.year or {a, b} != {day.month, day.day}:
            return None
        zone = hint.tzinfo if isinstance(hint.tzinfo, timezone) else None
        dt = _build(year, day.month, day.day, tz=zone)
        if dt is None or not is_plausible(dt, now):
            return None
        return dt, m.start(), m.end()
    except Exception:  # total, like the other entry points
        return None


def parse_date(s: str, *, now: datetime | None = None) -> datetime | None:
    """The first date written in ``s`` as a timezone-aware datetime, or None (see module doc).

    ``now`` (default: the current time) is the latest acceptable instant, for reproducible tests.
    """
    found = find_date(s, now=now)
    return found[0] if found is not None else None


def find_date(
    s: str, *, now: datetime | None = None, timestamps: bool = True
) -> tuple[datetime, int] | None:
    """Like :func:`parse_date`, also giving where the date starts in ``s`` (for labels before it).

    Forms are tried in a fixed order (timestamp, ISO, written month, numeric); the first form
    found decides: when its value is invalid or implausible the answer is None. For visible text
    pass ``timestamps=False``: a bare 10-digit number there is a phone number or an id.
    """
    try:
        if not isinstance(s, str):
            return None
        text = s[:MAX_CHARS]
        if not text.strip():
            return None
        parsers = (_from_timestamp, _from_iso, _from_text, _from_numeric)
        for parser in parsers if timestamps else parsers[1:]:
            found = parser(text)
            if found is not None:
                dt, start = found
                if dt is None or not is_plausible(dt, now):
                    return None
                return dt, start
        return None
    except Exception:  # a parser must never take the pipeline down on odd input
        return None
