"""Accessibility and weight of the built book, as a reader's browser gets it.

* axe-core (through axe-playwright-python, which bundles it) finds no violation on any page of
  either language, in the light and the dark scheme, with every collapsed block opened.
* Page weight: a chapter page with everything the browser loads for it (HTML, CSS, JavaScript,
  the search worker, fonts, images) is at most 120 KiB gzipped, a notebook page at most 140 KiB.
  The site is served gzipped, as GitHub Pages serves it, by `PagesServer` below; the bytes are
  counted as that server sends them, for the requests the browser makes.
* Lighthouse (npm, tools/lighthouse; `npm ci --prefix tools/lighthouse`), mobile, on the heaviest
  chapter page (step 4: 200 formulas and a plot) served gzipped: accessibility 100 on every run
  and performance at least 0.98, the median of five runs. What gets it there, each checked
  below without Lighthouse: every script deferred (Material's bundle no longer holds up the
  first paint), blocks far from the screen laid out only when they come near (book.css), with no
  block moved by it, and book.js checking widths in idle slices instead of one long task.

These tests visit every page (axe, weight) or run Lighthouse five times: they are marked `audit`,
which the README's `pytest` leaves out to stay fast, and `.ci/run` runs them as a stage of their
own (`pytest -m audit`).

Without Chromium, axe or Lighthouse the tests are skipped, except under CI=true, where they fail.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser import (
    CHROMIUM, CHROMIUM_ARGS, DRAW_EVERY_BLOCK, EVERYTHING_LAID_OUT, page_paths, serve, skip_or_fail, wait_checked,
)

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE = ROOT / "tools" / "lighthouse" / "node_modules" / "lighthouse" / "cli" / "index.js"
KIB = 1024
CHAPTER_BUDGET = 120 * KIB
NOTEBOOK_BUDGET = 140 * KIB
LIGHTHOUSE_PAGE = "step04/"  # formulas, figures and a plot: the chapter with the most to draw
LIGHTHOUSE_RUNS = 5  # performance is the median of the runs, as Lighthouse advises (it varies)
PERFORMANCE = 0.98  # Lighthouse mobile performance, median of the runs
SITE_URL = "https://dezero-book.github.io/dezero-step-by-step/"  # mkdocs.yml site_url


# --- serving the site as GitHub Pages does ------------------------------------------------------

_NOT_COMPRESSED = ("image/png", "image/jpeg", "image/gif", "image/webp", "font/woff2", "font/woff",
                   "application/zip", "application/gzip")


class _PagesHandler(http.server.SimpleHTTPRequestHandler):
    sent: list[tuple[str, int]]  # (path, body bytes) of every response, set per server

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir() and self.path.split("?")[0].endswith("/"):
            path = path / "index.html"
        if not path.is_file():
            return super().send_head()  # redirects and 404s, as before
        ctype = self.guess_type(str(path))
        body = path.read_bytes()
        squeeze = "gzip" in self.headers.get("Accept-Encoding", "") and not ctype.startswith(_NOT_COMPRESSED)
        if squeeze:
            body = gzip.compress(body, 6)
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=600")  # what Pages sends
        if squeeze:
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        self.sent.append((self.path, len(body) if self.command == "GET" else 0))
        return io.BytesIO(body)


@contextlib.contextmanager
def pages_server(directory: Path):
    """Serve `directory` gzipped like GitHub Pages; yields (base URL, list of (path, bytes) sent)."""
    sent: list[tuple[str, int]] = []
    handler = type("Handler", (_PagesHandler,), {"sent": sent})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="pages-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", sent
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def site(built_site) -> Path:
    if built_site.returncode != 0:
        pytest.fail("the site did not build:\n" + built_site.log[-3000:], pytrace=False)
    return built_site.path


@pytest.fixture(scope="module")
def pages_site(site):
    with pages_server(site) as served:
        yield served


def test_the_server_sends_gzip_like_pages(site, pages_site):
    import urllib.request

    url, sent = pages_site
    request = urllib.request.Request(url + "step01/", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        body = gzip.decompress(response.read())
    assert body == (site / "step01" / "index.html").read_bytes()
    assert sent[-1][1] < len(body) / 2
    with urllib.request.urlopen(url + "assets/images/favicon.png") as response:
        assert response.headers["Content-Encoding"] is None


# --- axe-core -----------------------------------------------------------------------------------


def _axe():
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        skip_or_fail("axe-playwright-python is not installed (pip install -e '.[test]')")
    return Axe()


@pytest.fixture(scope="module")
def hosted_url(site, tmp_path_factory):
    """The site served under its hosted sub-path (404.html links its assets from there)."""
    sub = urlsplit(SITE_URL).path.strip("/")
    root = tmp_path_factory.mktemp("pages")
    (root / sub).symlink_to(site, target_is_directory=True)
    with serve(root) as url:
        yield f"{url}{sub}/"


@pytest.mark.audit
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violation_on_any_page(site, hosted_url, chromium, scheme):
    axe = _axe()
    paths = page_paths(site) + ["404.html"]
    assert any(p.startswith("en/") for p in paths) and any("notebooks/" in p for p in paths)
    problems: list[str] = []
    context = chromium.new_context(color_scheme=scheme)
    try:
        page = context.new_page()
        for path in paths:
            page.goto(hosted_url + path)
            expected = "slate" if scheme == "dark" else "default"
            assert page.evaluate("document.body.dataset.mdColorScheme") == expected, path
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            # every block drawn and checked, as a reader who has scrolled through has it: book.css
            # lets the browser skip blocks far from the screen (axe would read colours behind a
            # skipped block's text from whatever its placeholder box overlaps), and book.js makes
            # a box that scrolls sideways focusable when it is drawn, as does Material for a
            # listing when it comes on screen (content.lazy)
            page.evaluate(EVERYTHING_LAID_OUT)
            wait_checked(page)
            for violation in axe.run(page).response["violations"]:
                nodes = violation["nodes"]
                first = nodes[0].get("failureSummary", "").replace("\n", " ")[:240]
                problems.append(f"/{path} [{scheme}] {violation['id']} ({len(nodes)}x): "
                                f"{nodes[0]['target']} {first}")
    finally:
        context.close()
    assert not problems, f"{len(problems)} axe violations:\n" + "\n".join(problems)


# --- page weight --------------------------------------------------------------------------------


def _weight(chromium, url: str, sent: list) -> tuple[int, list[tuple[str, int]]]:
    """Bytes sent for `url` and everything the browser loads with it, in a fresh context."""
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        start = len(sent)
        page.goto(url, wait_until="networkidle")
        page.wait_for_timeout(500)  # the search worker and anything it loads
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        page.wait_for_load_state("networkidle")
        loaded = list(sent[start:])
    finally:
        context.close()
    return sum(n for _, n in loaded), loaded


def _chapters(site: Path, notebooks: bool) -> list[str]:
    return [p for p in page_paths(site)
            if p.rstrip("/").split("/")[-1].startswith("step") and ("notebooks/" in p) == notebooks]


@pytest.mark.audit
@pytest.mark.parametrize("kind, budget", [("chapter", CHAPTER_BUDGET), ("notebook", NOTEBOOK_BUDGET)])
def test_page_weight_with_everything_it_loads(site, pages_site, chromium, kind, budget):
    url, sent = pages_site
    paths = _chapters(site, notebooks=kind == "notebook")
    assert len(paths) >= 2 * 8, paths
    heavy = []
    weights = {}
    for path in paths:
        total, loaded = _weight(chromium, url + path, sent)
        weights[path] = total
        assert any(p.endswith(".css") for p, _ in loaded) and any(p.endswith(".js") for p, _ in loaded), loaded
        if total > budget:
            parts = ", ".join(f"{p} {n / KIB:.1f}" for p, n in sorted(loaded, key=lambda x: -x[1])[:6])
            heavy.append(f"/{path}: {total / KIB:.1f} KiB > {budget // KIB} KiB ({parts})")
    print(f"{kind} pages, KiB gzipped:", {p: round(n / KIB, 1) for p, n in weights.items()})
    assert not heavy, "\n".join(heavy)


# --- what makes a long chapter quick to show -----------------------------------------------------


def test_every_script_is_deferred(site):
    """A script tag in the body holds up the text above it until the script is fetched and run
    (Lighthouse counts Material's bundle as render-blocking): every page defers each script it
    loads (overrides/main.html), and keeps Material's before book.js."""
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 40
    for page in pages:
        html = page.read_text("utf8")
        tags = re.findall(r"<script\b[^>]*\bsrc=[^>]*>", html)
        assert tags, page
        blocking = [tag for tag in tags if not re.search(r"\b(defer|async)\b", tag)]
        assert not blocking, f"{page.relative_to(site)}: {blocking}"
        order = [tag for tag in tags if "bundle." in tag or "book.js" in tag]
        assert len(order) == 2 and "bundle." in order[0], (page.relative_to(site), order)


# What the browser does with the blocks book.css lets it draw later, on the open page: every such
# block (computed content-visibility: auto) is drawn now, once with the containment that rule
# brings (layout, style, paint) and once without. Their top-level blocks must sit at the same
# places, and no block may be taller than the placeholder it had before it was drawn.
DRAWN_LATER = """css => {
  const article = document.querySelector('.md-content__inner')
  const later = [...article.querySelectorAll('*')].filter(e => getComputedStyle(e).contentVisibility === 'auto')
  const skipped = later.filter(e => !(e.firstElementChild || e).checkVisibility({ contentVisibilityAuto: true })).length
  const sizes = later.map(e => getComputedStyle(e).containIntrinsicBlockSize)
  const style = document.createElement('style')
  style.textContent = css
  document.head.append(style)
  const place = () => [...article.children].map(e => {
    const r = e.getBoundingClientRect()
    return [e.tagName + '.' + e.className, Math.round(r.top + scrollY), Math.round(r.height)]
  })
  later.forEach(e => { e.style.contain = 'layout style paint' })
  const contained = place()
  const heights = later.map(e => e.getBoundingClientRect().height)
  later.forEach(e => { e.style.contain = '' })
  const plain = place()
  style.remove()
  const blocks = later.map((e, i) => ({ what: e.tagName + ' ' + e.textContent.trim().slice(0, 40),
    placeholder: sizes[i].startsWith('auto ') ? parseFloat(sizes[i].slice(5)) : null, height: heights[i] }))
  return { count: later.length, skipped, contained, plain, blocks }
}"""


@pytest.mark.parametrize("width", [390, 1280])
def test_blocks_drawn_later_move_nothing_and_fit_their_placeholders(site_url, tabs, width):
    """book.css lets the browser lay out paragraphs, display equations and listings past the first
    screen only when they come near. Drawn, every block sits where it would without that rule
    (containment changes no margin or size); not drawn yet, its placeholder (counts from
    hooks/layout_hints.py) is never shorter than the block, so text not drawn yet stays inside its
    own box (a checker reading the colours behind it finds the page, not the next block: axe-core
    issue 2768), and the scroll bar is about right."""
    page = tabs[width]
    problems, counted, skipped, placeholders, heights = [], 0, 0, 0.0, 0.0
    for path in (LIGHTHOUSE_PAGE, "en/step10/", "notebooks/step05/"):
        page.goto(site_url + path)
        page.evaluate("document.fonts.ready.then(() => true)")
        found = page.evaluate(DRAWN_LATER, DRAW_EVERY_BLOCK)
        counted += found["count"]
        skipped += found["skipped"]
        assert len(found["contained"]) == len(found["plain"]) > 20, path
        moved = [(a, b) for a, b in zip(found["contained"], found["plain"]) if a != b]
        problems += [f"/{path}: moved or resized by containment: {a} -> {b}" for a, b in moved[:3]]
        for block in found["blocks"]:
            if block["placeholder"] is None:
                problems.append(f"/{path}: no placeholder height: {block}")
                continue
            placeholders += block["placeholder"]
            heights += block["height"]
            if block["placeholder"] < block["height"]:
                problems.append(f"/{path}: placeholder shorter than its block: {block}")
    assert counted > 100 and skipped > 50, f"{counted} blocks drawn later, {skipped} not drawn at load: is book.css's rule applied?"
    assert not problems, f"at {width}px:\n" + "\n".join(problems[:12])
    assert placeholders < 2.5 * heights, f"placeholders {placeholders:.0f}px for blocks {heights:.0f}px tall"


def test_layout_hints_count_what_each_top_level_block_holds():
    import layout_hints

    page = ('<p>한 <b>문장</b> &amp; x</p><div class="highlight"><pre><span></span><code>a = 1\n'
            'b = 2\nprint(a)\n</code></pre></div><div class="highlight output"><span class="filename">'
            '실행 결과</span><pre><code>1\n</code></pre></div><div class="math-display" data-search-exclude>'
            '<math><mtable><mtr></mtr><mtr></mtr><mtr></mtr></mtable></math></div><details><p>안</p>'
            '</details><ul><li><p>목록</p></li></ul><p style="color: red">이미 있는 style</p>')
    hinted = layout_hints.add_hints(page)
    assert '<p style="--dz-chars:8">' in hinted  # "한 문장 & x": tags and entities read as text
    assert '<pre style="--dz-lines:3">' in hinted
    assert '<div class="math-display" data-search-exclude style="--dz-rows:3">' in hinted
    assert hinted.count("--dz-") == 3, hinted  # not the output block, nor blocks inside others
    assert layout_hints.on_page_content(page, None, None, None) == hinted
    assert layout_hints.on_page_content(page, None, None, None) == hinted  # remembered, the same


# --- Lighthouse ---------------------------------------------------------------------------------


def _quoted(arg: str) -> str:
    """`--name=value with spaces` as `--name="value with spaces"` (Lighthouse splits its flags)."""
    name, eq, value = arg.partition("=")
    return f'{name}="{value}"' if eq and " " in value else arg


def _lighthouse(url: str) -> dict:
    node = shutil.which("node")
    if node is None or not LIGHTHOUSE.exists():
        skip_or_fail("Lighthouse is not installed: npm ci --prefix tools/lighthouse (needs Node.js 18.20+)")
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is missing")
    proc = subprocess.run(
        [node, str(LIGHTHOUSE), url, "--quiet", "--output=json", "--output-path=stdout",
         "--form-factor=mobile", "--only-categories=performance,accessibility",
         "--chrome-flags=" + " ".join(_quoted(arg) for arg in CHROMIUM_ARGS)],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "CHROME_PATH": str(CHROMIUM)},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


@pytest.mark.audit
def test_lighthouse_mobile_accessibility_100_and_performance(site, pages_site):
    url, _ = pages_site
    runs = [_lighthouse(url + LIGHTHOUSE_PAGE) for _ in range(LIGHTHOUSE_RUNS)]
    accessibility = [r["categories"]["accessibility"]["score"] for r in runs]
    performance = [r["categories"]["performance"]["score"] for r in runs]
    failing = sorted({k for r in runs for k, a in r["audits"].items()
                      if k in _accessibility_audits(r) and a.get("score") not in (None, 1)})
    middle = sorted(runs, key=lambda r: r["categories"]["performance"]["score"])[len(runs) // 2]
    metrics = {k: middle["audits"][k].get("displayValue") for k in (
        "first-contentful-paint", "largest-contentful-paint", "total-blocking-time",
        "cumulative-layout-shift", "speed-index", "total-byte-weight")}
    metrics["benchmarkIndex"] = middle["environment"].get("benchmarkIndex")
    print(f"Lighthouse /{LIGHTHOUSE_PAGE}: accessibility {accessibility}, performance {performance}, {metrics}")
    assert all(a == 1 for a in accessibility), f"accessibility {accessibility}; failing audits {failing}"
    median = statistics.median(performance)
    assert median >= PERFORMANCE, f"performance {performance} (median below {PERFORMANCE}); {metrics}"


def _accessibility_audits(report: dict) -> set[str]:
    return {ref["id"] for ref in report["categories"]["accessibility"]["auditRefs"] if ref.get("weight")}
