"""Fixtures shared by several test modules: the two-version repository of the report tests
(tests/reportrepo.py) and headless Chromium (tests/browser.py)."""

from __future__ import annotations

import shutil

import pytest

from tests.browser import BROWSERS, Browser
from tests.reportrepo import Versions, two_versions


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> Versions:
    return two_versions(tmp_path_factory)


@pytest.fixture(scope="module")
def chromium() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(
        "Chromium is not installed: `apt-get install -y chromium` (Debian) to run the "
        "offline rendering tests"
    )


@pytest.fixture(scope="module")
def browser(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Browser:
    return Browser(chromium, tmp_path_factory.mktemp("chromium"))
