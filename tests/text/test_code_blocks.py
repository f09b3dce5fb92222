"""Program code quoted in an article (a flattened <pre> block) is not CSS/JS residue of the page;
the page's own styles and scripts still are."""

from __future__ import annotations

import pytest

from pipeline.text.cleaning import clean_text
from pipeline.text.residue import is_code_residue


@pytest.mark.parametrize(
    "line",
    [
        "public sealed class Order { public required string Id { get; init; } }",
        "let total: u64 = items.iter().map(|item| item.price).sum();",
        '{ "name": "sensor", "interval": 30, "enabled": true }',
        "SELECT id, name FROM users WHERE created > now() - interval '1 day';",
        "sudo usermod -aG docker <username> && newgrp docker",
        "if (count > limit) { return -1; } else { count += 1; }",
    ],
)
def test_program_code_of_an_article_is_kept(line: str) -> None:
    assert not is_code_residue(line)
    text = "The next listing shows the change.\n" + line + "\nRun it twice to see the effect."
    assert clean_text(text) == text


@pytest.mark.parametrize(
    "line",
    [
        ".nav{display:flex;gap:8px}.nav a{color:#333;text-decoration:none}",
        "body { margin: 0; padding: 0 } .hero { height: 60vh; background: #000 }",
        "window.__APP_STATE__ = { user: null }; document.body.classList.add('ready');",
        "(function(){var s=document.createElement('script');s.async=true;})();",
        "@media (max-width: 600px) { .sidebar { display: none; } }",
    ],
)
def test_page_styles_and_scripts_are_still_residue(line: str) -> None:
    assert is_code_residue(line)
