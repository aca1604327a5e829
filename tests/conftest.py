"""Shared fixtures: the site, built once per test session."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


@dataclass
class BuiltSite:
    path: Path
    returncode: int
    log: str


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> BuiltSite:
    """`mkdocs build --strict` into a temporary folder (the build the CI checks)."""
    site = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},  # Material's end-of-life banner is not a build warning
    )
    return BuiltSite(site, proc.returncode, proc.stdout + proc.stderr)


@pytest.fixture(scope="session")
def site_url(built_site):
    """The built site served on 127.0.0.1 (a free port) by a thread; its base URL."""
    from tests.browser import serve

    if built_site.returncode != 0:
        pytest.fail("the site did not build, so it cannot be served:\n" + built_site.log[-3000:], pytrace=False)
    with serve(built_site.path) as url:
        yield url


@pytest.fixture(scope="session")
def chromium():
    """Headless system Chromium through Playwright; skipped without it, failed if CI=true."""
    from tests.browser import launch_chromium

    with launch_chromium() as browser:
        yield browser
