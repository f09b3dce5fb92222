"""Code residue: lines of CSS or JavaScript (or similar markup residue) left in extracted text.

:func:`is_code_residue` judges one line from general signals (CSS rules, JavaScript idioms, the
share of code symbols, very long space-less runs); a sentence of prose quoting one CSS rule is not
residue. Used by :mod:`pipeline.text.cleaning` and :mod:`pipeline.text.dumps`. Total on arbitrary
Unicode; a blank line is never residue; the patterns are written so that no input makes them
backtrack quadratically (see the comments on them).
"""

from __future__ import annotations

import re

from pipeline.text.words import CJK_RE

__all__ = ["is_code_residue"]

# The first run stops at the first ":" or ";", so an unclosed "{" costs linear time, not quadratic.
_CSS_RULE_RE = re.compile(r"[\w\-\]\)*]\s*\{[^{}:;]*[:;][^{}]*\}")
# "\b" before the assignment pattern: started inside a long word it would backtrack quadratically.
_JS_RE = re.compile(
    r"\bfunction\s*\(|=>|\bvar\s+\w+\s*=|\bwindow\.\w|\bdocument\.\w|\breturn\s*[!(]|\breturn\s+\w+\s*;|"
    r"\b\w+\s*=\s*\w+\s*\|\||\)\s*\{|\};|!important|@media|@font-face|@import|@keyframes"
)


# A sentence of prose around one CSS rule (an article about the web quoting it) keeps at
# least this many words (of two letters or more) outside the rule; residue keeps a selector or
# two.
_PROSE_AROUND_A_RULE = 8
_PROSE_WORD_RE = re.compile(r"[^\W\d_]{2,}")


def _quotes_a_rule(line: str) -> bool:
    return len(_PROSE_WORD_RE.findall(_CSS_RULE_RE.sub(" ", line))) >= _PROSE_AROUND_A_RULE


def is_code_residue(line: str) -> bool:
    """True for a line of CSS or JavaScript (or similar markup residue) rather than prose."""
    s = line.strip()
    if not s:
        return False
    n = len(s)
    syms = sum(s.count(c) for c in "{};=<>|&")
    if syms or "@" in s or "(" in s:
        css_rules = len(_CSS_RULE_RE.findall(s)) if "{" in s else 0
        quoted = css_rules == 1 and _quotes_a_rule(s)  # its braces are no sign of code
        if css_rules >= 2 or (css_rules == 1 and n < 200 and not quoted):
            return True
        js = len(_JS_RE.findall(s))
        if js >= 2 or (js == 1 and syms >= 3):
            return True
        if n >= 40 and syms / n > 0.04 and not quoted:
            return True
    if n >= 60 and not CJK_RE.search(s):
        spaces = s.count(" ")
        if spaces == 0 or n / (spaces + 1) > 25:
            return True
    return False
