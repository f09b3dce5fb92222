"""Code residue: lines of CSS or JavaScript (or similar markup residue) left in extracted text.

:func:`is_code_residue` judges one line from general signals (CSS rules, JavaScript idioms, the
share of code symbols, very long space-less runs); a sentence of prose quoting one CSS rule is not
residue, and neither is program code quoted in an article: code symbols count only on a line
that carries a mark of the page's own styles or scripts (CSS declarations, page-script idioms).

Used by :mod:`pipeline.text.cleaning` and :mod:`pipeline.text.dumps`. Total on arbitrary
Unicode; a blank line is never residue; the patterns are written so that no input makes them
backtrack quadratically (see the comments on them).
"""

from __future__ import annotations

import re

from pipeline.text.words import CJK_RE, STOP_WORDS

__all__ = ["is_code_residue"]

# The first run stops at the first ":" or ";", so an unclosed "{" costs linear time, not quadratic.
_CSS_RULE_RE = re.compile(r"[\w\-\]\)*]\s*\{[^{}:;]*[:;][^{}]*\}")
# "\b" before the assignment pattern: started inside a long word it would backtrack quadratically.
_JS_RE = re.compile(
    r"\bfunction\s*\(|=>|\bvar\s+\w+\s*=|\bwindow\.\w|\bdocument\.\w|\breturn\s*[!(]|\breturn\s+\w+\s*;|"
    r"\b\w+\s*=\s*\w+\s*\|\||\)\s*\{|\};|!important|@media|@font-face|@import|@keyframes"
)
# What marks a line as the residue of a web page's own styles and scripts rather than program
# code quoted in an article (C#, Rust, shell, JSON, SQL in a <pre> block): CSS declarations
# ("color: red;") or the idioms of page scripts. Braces, semicolons and "=" alone are code of
# any kind; without one of these marks they do not make a line residue. Every run is bounded
# or stops at a delimiter, so no input backtracks quadratically.
_CSS_DECLARATION_RE = re.compile(r"(?<![\w-])[a-z][a-z-]{1,30}\s*:\s*[^\s;{}:][^;{}:]{0,80}[;}]")
_PAGE_SCRIPT_RE = re.compile(
    r"\bwindow\.\w|\bdocument\.\w|\bfunction\s*\(|!important|@media|@font-face|@import|@keyframes"
    r"|\bdataLayer\b|\bgtag\(|\bjQuery\b"
)


# A literal every match of _PAGE_SCRIPT_RE holds: searching for these first is much cheaper
# than trying the pattern's word boundaries at every position of a line.
_PAGE_SCRIPT_LITERALS = (
    "window.",
    "document.",
    "function",
    "!important",
    "@",
    "dataLayer",
    "gtag(",
    "jQuery",
)


def _web_residue_marks(line: str) -> bool:
    # a declaration holds ":" and ends in ";" or "}"
    may_declare = ":" in line and (";" in line or "}" in line)
    if may_declare and len(_CSS_DECLARATION_RE.findall(line)) >= 2:
        return True
    return any(s in line for s in _PAGE_SCRIPT_LITERALS) and bool(_PAGE_SCRIPT_RE.search(line))


# A sentence of prose around one CSS rule (an article about the web quoting it) keeps at
# least this many words (of two letters or more) outside the rule; residue keeps a selector or
# two.
_PROSE_AROUND_A_RULE = 8
_PROSE_WORD_RE = re.compile(r"[^\W\d_]{2,}")


def _quotes_a_rule(line: str) -> bool:
    return len(_PROSE_WORD_RE.findall(_CSS_RULE_RE.sub(" ", line))) >= _PROSE_AROUND_A_RULE


# A line with at least this many function words ("the", "by", "and", "de", "und"), or one and
# a full stop, is a sentence even when it is dense in ";", "&", "|" or "<>" (a list of foods,
# a definition of an XML element); CSS and script residue has next to none.
_PROSE_FUNCTION_WORDS = 2


def _reads_as_prose(line: str) -> bool:
    words = _PROSE_WORD_RE.findall(line)
    function_words = sum(1 for w in words if w.lower() in STOP_WORDS)
    if function_words >= _PROSE_FUNCTION_WORDS:
        return True
    return function_words == 1 and len(words) >= 4 and line.rstrip().endswith((".", "!", "?"))


def is_code_residue(line: str) -> bool:
    """True for a line of CSS or JavaScript (or similar markup residue) rather than prose."""
    s = line.strip()
    if not s:
        return False
    n = len(s)
    syms = (
        s.count("{")
        + s.count("}")
        + s.count(";")
        + s.count("=")
        + s.count("<")
        + s.count(">")
        + s.count("|")
        + s.count("&")
    )
    if (syms or "@" in s or "(" in s) and _web_residue_marks(s):
        css_rules = len(_CSS_RULE_RE.findall(s)) if "{" in s else 0
        quoted = css_rules == 1 and _quotes_a_rule(s)  # its braces are no sign of code
        if css_rules >= 2 or (css_rules == 1 and n < 200 and not quoted):
            return True
        js = len(_JS_RE.findall(s))
        if js >= 2 or (js == 1 and syms >= 3):
            return True
        if n >= 40 and syms / n > 0.04 and not quoted and not _reads_as_prose(s):
            return True
    if n >= 60:
        spaces = s.count(" ")
        # (the CJK scan last: it is the costly test)
        if (spaces == 0 or n / (spaces + 1) > 25) and not CJK_RE.search(s):
            return True
    return False
