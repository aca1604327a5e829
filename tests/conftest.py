"""Shared fixtures: the site, built once per test session.

A build that fails is reported once, by `tests/test_site_build.py` (named file:line and fault);
every other test that needs the built site is then skipped with a reason pointing there, instead
of erroring once per test. The build test joins any run that uses the site, so a failed build is
never reported by skips alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
BUILD_TEST_FILE = Path(__file__).with_name("test_site_build.py")
BUILD_TEST = "test_strict_build_passes_without_warnings"


@dataclass
class BuiltSite:
    path: Path
    returncode: int
    log: str


@pytest.fixture(scope="session")
def site_build(tmp_path_factory) -> BuiltSite:
    """`mkdocs build --strict` into a temporary folder (the build the CI checks), failed or not."""
    site = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},  # Material's end-of-life banner is not a build warning
    )
    return BuiltSite(site, proc.returncode, proc.stdout + proc.stderr)


@pytest.fixture(scope="session")
def built_site(site_build) -> BuiltSite:
    """The built site; if the build failed, the test is skipped: test_site_build reports why."""
    if site_build.returncode != 0:
        pytest.skip(f"the site did not build; see {_build_test_id()}")
    return site_build


@pytest.fixture(scope="session")
def site_url(built_site):
    """The built site served on 127.0.0.1 (a free port) by a thread; its base URL."""
    from tests.browser import serve

    with serve(built_site.path) as url:
        yield url


@pytest.fixture(scope="session")
def chromium_net_log(tmp_path_factory) -> Path:
    """Where the session's Chromium logs its network events (read by test_site_build)."""
    return tmp_path_factory.mktemp("chromium") / "net-log.json"


@pytest.fixture(scope="session")
def chromium(chromium_net_log):
    """Headless system Chromium through Playwright, started once per session; skipped without
    it, failed if CI=true. Its network events go to `chromium_net_log`."""
    from tests.browser import launch_chromium

    with launch_chromium(net_log=chromium_net_log) as browser:
        yield browser


def _build_test_id() -> str:
    try:
        rel = BUILD_TEST_FILE.relative_to(Path.cwd()).as_posix()
    except ValueError:
        rel = BUILD_TEST_FILE.name
    return f"{rel}::{BUILD_TEST}"


@pytest.hookimpl(trylast=True)  # after -k/-m deselection: add back only what is needed
def pytest_collection_modifyitems(session, config, items):
    """Whenever a test needs the built site, the build test runs too (first), so that a failed
    build is reported as one failure rather than only as skips."""
    if not any("built_site" in getattr(item, "fixturenames", ()) for item in items):
        return
    if any(item.path == BUILD_TEST_FILE and item.name == BUILD_TEST for item in items):
        return
    # a sibling module's directory node, so that this conftest's fixtures apply
    sibling = next((i for i in items if i.path.parent == BUILD_TEST_FILE.parent), None)
    node = sibling.parent if sibling is not None else None
    while node is not None and not isinstance(node, pytest.Module):
        node = node.parent
    parent = node.parent if node is not None else session
    module = pytest.Module.from_parent(parent, path=BUILD_TEST_FILE)
    items[:0] = [item for item in module.collect() if item.name == BUILD_TEST]
