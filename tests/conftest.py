"""Shared fixtures: the site, built once per run (once for all pytest-xdist workers too).

A build that fails is reported once, by `tests/test_site_build.py` (named file:line and fault);
every other test that needs the built site is then skipped with a reason pointing there, instead
of erroring once per test. The build test joins any run that uses the site, so a failed build is
never reported by skips alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
BUILD_TEST_FILE = Path(__file__).with_name("test_site_build.py")
BUILD_TEST = "test_strict_build_passes_without_warnings"
BUILD_TIMEOUT = 600  # seconds
# The files that take longest (measured with benchmarks/bench_build.py suite), slowest first
SLOWEST_FIRST = ("test_reading.py", "test_browser.py", "test_typesetting.py", "test_notebooks.py", "test_search.py")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own, which acts on -n
def pytest_cmdline_main(config):
    """This repository's runs use every core: `-n auto --dist loadfile` (pytest-xdist), unless
    the command line chose (`-n 0`, `-p no:xdist`, `--dist ...`). `loadfile` keeps a file's tests
    in one process, in order: a page's blocks share a session, module fixtures load pages once."""
    if (config.pluginmanager.has_plugin("xdist") and not hasattr(config, "workerinput")
            and config.inipath == ROOT / "pyproject.toml"
            and config.option.numprocesses is None and config.option.dist == "no" and not config.option.tx):
        config.option.numprocesses = "auto"
        config.option.dist = "loadfile"


@dataclass
class BuiltSite:
    path: Path
    returncode: int
    log: str


def _build_folder(config) -> Path:
    """Where this run's site is built: the run's temporary folder, which pytest-xdist's workers
    share (each worker's own folder is inside it), so that the workers build the site once."""
    base = config._tmp_path_factory.getbasetemp()
    return base.parent if hasattr(config, "workerinput") else base


def _start_build(config) -> None:
    """Start `mkdocs build --strict` in the background, once per run (the first process to
    claim the folder runs it; a thread writes its result where every process can read it)."""
    folder = _build_folder(config)
    try:
        os.close(os.open(folder / "site-build.claimed", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return  # another worker of this run builds it
    proc = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(folder / "site")],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},  # Material's end-of-life banner is not a build warning
    )

    def finish() -> None:
        log, _ = proc.communicate()
        result = folder / "site-build.json"
        partial = result.with_suffix(".part")
        partial.write_text(json.dumps({"returncode": proc.returncode, "log": log}), "utf8")
        partial.replace(result)  # whole, or not there

    thread = threading.Thread(target=finish, name="site-build", daemon=True)
    thread.start()
    _builds.append((proc, thread))


_builds: list = []


@pytest.fixture(scope="session")
def site_build(pytestconfig) -> BuiltSite:
    """`mkdocs build --strict` into a temporary folder (the build the CI checks), failed or not.

    Started as soon as the run is collected (see below), so tests that need no site run while
    it builds; built once per run, also when pytest-xdist spreads the tests over processes."""
    _start_build(pytestconfig)  # if the collection hook did not (a test that asks for it late)
    folder = _build_folder(pytestconfig)
    result = folder / "site-build.json"
    deadline = time.monotonic() + BUILD_TIMEOUT
    while not result.exists():
        if time.monotonic() > deadline:
            pytest.fail(f"the site build did not finish within {BUILD_TIMEOUT} s", pytrace=False)
        time.sleep(0.05)
    data = json.loads(result.read_text("utf8"))
    return BuiltSite(folder / "site", data["returncode"], data["log"])


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
def chromium_net_log(pytestconfig) -> Path:
    """Where the session's Chromium logs its network events (read by test_site_build): in the
    run's folder, next to the logs of the other workers' browsers (`chromium-net-log-*.json`)."""
    worker = getattr(pytestconfig, "workerinput", {}).get("workerid", "main")
    return _build_folder(pytestconfig) / f"chromium-net-log-{worker}.json"


@pytest.fixture(scope="session")
def chromium(chromium_net_log):
    """Headless system Chromium through Playwright, started once per session; skipped without
    it, failed if CI=true. Its network events go to `chromium_net_log`."""
    from tests.browser import launch_chromium

    with launch_chromium(net_log=chromium_net_log) as browser:
        yield browser


# The widths the reading tests use: a phone and a desktop.
TAB_WIDTHS = (390, 1280)
TAB_HEIGHT = 900


@pytest.fixture(scope="session")
def tabs(chromium):
    """Two tabs, 390 and 1280 px wide, open for the whole session: the pages the tests read are
    opened in them one after another. A tab opened for one page costs about 0.65 s more CPU than
    a page opened in a running tab (a renderer process started and stopped, nothing compiled yet;
    measured on step 1: 0.85-1.0 s against 0.21 s), so only a test that needs a profile of its
    own opens a context of its own (the audits: axe in a scheme from a fresh start, page weight
    with nothing cached).

    After each test that used them, each tab is put back as a new one would be: its width, 900 px
    high, the light scheme, nothing routed, no permission granted (see `_put_tabs_back`)."""
    opened = _Tabs(chromium)
    yield opened
    for page in opened.values():
        page.context.close()


class _Tabs(dict):
    """width -> tab, each opened when first asked for, in a context (a window) of its own: of two
    tabs in one window, the one behind gets no animation frames and no idle time, and book.js,
    which checks boxes in idle time, would wait forever."""

    def __init__(self, browser):
        super().__init__()
        self.browser = browser

    def __missing__(self, width: int):
        if width not in TAB_WIDTHS:
            raise KeyError(f"no tab {width} px wide: conftest's tabs are {TAB_WIDTHS}")
        page = self[width] = self.browser.new_context(viewport={"width": width, "height": TAB_HEIGHT}).new_page()
        return page


@pytest.fixture(autouse=True)
def _put_tabs_back(request):
    """After a test that used `tabs` (itself or through a fixture), undo what it may have changed."""
    yield
    if "tabs" not in request.fixturenames:
        return
    from tests.browser import put_scheme_back
    opened = request.getfixturevalue("tabs")
    for width, page in list(opened.items()):
        if page.is_closed():
            opened[width] = page = page.context.new_page()
        page.unroute_all(behavior="ignoreErrors")
        put_scheme_back(page)
        if page.viewport_size != {"width": width, "height": TAB_HEIGHT}:
            page.set_viewport_size({"width": width, "height": TAB_HEIGHT})
        page.context.clear_permissions()


def _build_test_id() -> str:
    try:
        rel = BUILD_TEST_FILE.relative_to(Path.cwd()).as_posix()
    except ValueError:
        rel = BUILD_TEST_FILE.name
    return f"{rel}::{BUILD_TEST}"


def _uses_the_site(item) -> bool:
    return "site_build" in getattr(item, "fixturenames", ())


@pytest.hookimpl(trylast=True)  # after -k/-m deselection: add back only what is needed
def pytest_collection_modifyitems(session, config, items):
    """Whenever a test needs the built site, the build test runs too, so that a failed build is
    reported as one failure rather than only as skips. The build starts now, in the background,
    and the files whose tests need no site run first."""
    if not any(_uses_the_site(item) for item in items):
        return
    if not any(item.path == BUILD_TEST_FILE and item.name == BUILD_TEST for item in items):
        # a sibling module's directory node, so that this conftest's fixtures apply
        sibling = next((i for i in items if i.path.parent == BUILD_TEST_FILE.parent), None)
        node = sibling.parent if sibling is not None else None
        while node is not None and not isinstance(node, pytest.Module):
            node = node.parent
        parent = node.parent if node is not None else session
        module = pytest.Module.from_parent(parent, path=BUILD_TEST_FILE)
        items[:0] = [item for item in module.collect() if item.name == BUILD_TEST]
    if not config.option.collectonly:
        _start_build(config)
    # Stable: each file's tests keep their order. Of the files that use the site, the slowest go
    # first (with pytest-xdist, the others fill in around them); test_site_build.py goes last:
    # its browser test reads the net log of every page the run's browsers have opened by then.
    site_files = {item.path for item in items if _uses_the_site(item)}
    slow = {BUILD_TEST_FILE.with_name(name): i - len(SLOWEST_FIRST) for i, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: (item.path in site_files, item.path == BUILD_TEST_FILE, slow.get(item.path, 0)))


def pytest_sessionfinish(session, exitstatus):
    """A build this process started is waited for (another worker may be reading it), unless
    the run was interrupted."""
    while _builds:
        proc, thread = _builds.pop()
        if exitstatus == pytest.ExitCode.INTERRUPTED:
            proc.kill()
        thread.join(BUILD_TIMEOUT)
