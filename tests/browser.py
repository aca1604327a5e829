"""Helpers for the browser tests: serving the built site, launching Chromium, reading pages.

The session fixtures that use them live in `tests/conftest.py` (`site_url`, `chromium`).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import ipaddress
import json
import os
import re
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Nothing but the served site may reach the network. Measured on Chromium 156 (Debian's wrapper
# sets Google API keys and --enable-remote-extensions): with only the flags of the first line, a
# page visit also sent requests to accounts.google.com (sign-in's ListAccounts),
# content-autofill.googleapis.com and update.googleapis.com (component updater), in spite of
# --disable-component-update. Their services are pointed at a closed loopback port (9, discard),
# and every host name but the loopback ones resolves to nothing. tests/test_site_build.py reads
# the browser's net log to prove that nothing else was attempted.
_NOWHERE = "http://127.0.0.1:9/"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    f"--gaia-url={_NOWHERE}", f"--autofill-server-url={_NOWHERE}", f"--component-updater=url-source={_NOWHERE}",
    "--disable-domain-reliability", "--disable-client-side-phishing-detection", "--no-pings",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]
HANGUL = re.compile(r"[\uac00-\ud7a3]")
LANGUAGES = ("ko", "en")  # the default language first; the others live under /<locale>/
# Every block drawn now: docs/assets/book.css lets the browser lay out a block past the first
# screen only when it comes near; checks that read a whole page read it as a reader who has
# scrolled through it sees it.
DRAW_EVERY_BLOCK = "* { content-visibility: visible !important }"


def skip_or_fail(reason: str):
    """Skip a test that cannot run here; under CI=true that is a failure instead."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run)", pytrace=False)
    pytest.skip(reason)


# --- waiting for a page ------------------------------------------------------------------------


# Two frames later: what a change set off (a resize, a scroll, a style added) has reached the page's
# scripts.
SETTLE = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"

# Every block drawn (DRAW_EVERY_BLOCK), and book.js told to check them all, as it would have while a
# reader scrolled through; wait_checked then waits for the checks.
EVERYTHING_LAID_OUT = f"""() => {{
  const style = document.createElement('style')
  style.textContent = '{DRAW_EVERY_BLOCK}'
  document.head.append(style)
  dispatchEvent(new Event('resize'))  // book.js checks every box again
}}"""


# Resolves when the root carries data-dz-checked: at once, or when book.js sets it (watched, not
# polled: polling every frame keeps the browser drawing frames while it waits).
CHECKED = """() => new Promise((done, fail) => {
  const root = document.documentElement, has = () => root.hasAttribute('data-dz-checked')
  if (has()) return done(true)
  const seen = new MutationObserver(() => has() && (seen.disconnect(), clearTimeout(late), done(true)))
  seen.observe(root, { attributes: true, attributeFilter: ['data-dz-checked'] })
  const late = setTimeout(() => (seen.disconnect(), fail(new Error('book.js never marked the page checked'))), 10000)
})"""


def wait_checked(page) -> None:
    """Until book.js has checked every box (it does so in idle slices after load, a resize or a
    <details> opening, and then marks the root with data-dz-checked)."""
    page.evaluate(SETTLE)  # a resize or toggle has reached book.js, which cleared the mark
    page.evaluate(CHECKED)


# --- the built site -----------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        pass


@contextlib.contextmanager
def serve(directory: Path):
    """Serve `directory` on 127.0.0.1 at a free port from a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextlib.contextmanager
def launch_chromium(net_log: Path | None = None):
    """The system Chromium, headless, through Playwright. Skips (fails under CI=true) without it.

    With `net_log`, Chromium writes its network events there as they happen (`--log-net-log`).
    """
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is missing: install Debian's chromium package to run browser tests")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("the Python package playwright is not installed (pip install playwright)")
    with sync_playwright() as p:
        args = CHROMIUM_ARGS + ([f"--log-net-log={net_log}"] if net_log is not None else [])
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=args)
        _launched[id(browser)] = time.monotonic()
        try:
            yield browser
        finally:
            browser.close()


_launched: dict[int, float] = {}


def seconds_since_launch(browser) -> float:
    """How long ago `launch_chromium` started this browser."""
    return time.monotonic() - _launched[id(browser)]


def _is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_of(value: str) -> str | None:
    """The host of a URL (`https://a.b/c`), an origin, or a `host:port` / `ip:port` string."""
    value = value.strip()
    if not value:
        return None
    if "://" not in value:
        value = "//" + value.split(" ")[-1]
    try:
        return urlsplit(value).hostname
    except ValueError:
        return None


_NET_LOG_KEYS = ("url", "host", "address", "origin", "original_url", "new_location")


@dataclass
class NetLog:
    events: list[dict]
    event_types: dict[int, str]  # number -> name, e.g. URL_REQUEST_START_JOB
    source_types: dict[int, str]  # number -> name, e.g. UDP_SOCKET

    def type_of(self, event: dict) -> str:
        return self.event_types.get(event.get("type"), str(event.get("type")))

    def source_of(self, event: dict) -> str:
        source = event.get("source") or {}
        return self.source_types.get(source.get("type"), str(source.get("type")))


def read_net_log(path: Path) -> NetLog:
    """A Chromium net log, read while it is being written.

    Chromium writes the constants on the first line and then one event per line, closing the
    JSON only at exit; an unfinished last line is left out. A log read just as Chromium starts
    it may not have its whole first line yet: it is read again, for up to 10 s.
    """
    deadline = time.monotonic() + 10
    while True:
        lines = path.read_text("utf8", errors="replace").split("\n")
        try:
            constants = json.loads(lines[0].rstrip().rstrip(",") + "}")["constants"]
            break
        except (json.JSONDecodeError, KeyError):
            if len(lines) > 1 or time.monotonic() > deadline:
                raise ValueError(f"{path}: the net log's first line is not Chromium's constants: {lines[0][:200]!r}")
            time.sleep(0.1)
    events = []
    for line in lines[1:]:
        line = line.strip().rstrip(",")
        if line.startswith("{"):
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # the line being written
    return NetLog(
        events,
        {number: name for name, number in constants["logEventTypes"].items()},
        {number: name for name, number in constants["logSourceType"].items()},
    )


def net_log_hosts(log: NetLog) -> dict[str, set[str]]:
    """Every host the log shows a request, lookup or connection for: host -> event types.

    A UDP socket that is connected but sends nothing puts no packet on the wire: Chromium's
    IPv6 reachability probe "connects" one to 2001:4860:4860::8888 only to ask the kernel for a
    route. Such sockets are left out; one that sends a byte (UDP_BYTES_SENT) is not.
    """
    sending = {e["source"]["id"] for e in log.events if log.type_of(e) == "UDP_BYTES_SENT"}
    hosts: dict[str, set[str]] = {}
    for event in log.events:
        if log.source_of(event).startswith("UDP_") and event["source"]["id"] not in sending:
            continue
        params = event.get("params") or {}
        for key in _NET_LOG_KEYS:
            value = params.get(key)
            host = _host_of(value) if isinstance(value, str) else None
            if host:
                hosts.setdefault(host, set()).add(log.type_of(event))
    return hosts


def outside_loopback(hosts: dict[str, set[str]]) -> dict[str, set[str]]:
    return {h: t for h, t in hosts.items() if not _is_loopback(h)}


def page_paths(site: Path) -> list[str]:
    """URL paths of every page of the built site ("" is the home page), both languages."""
    paths = (p.parent.relative_to(site).as_posix() for p in site.rglob("index.html"))
    return sorted("" if p == "." else f"{p}/" for p in paths)


def path_of(site: Path, file: Path) -> str:
    """The URL path of a built page file: `site/en/step04/index.html` -> `en/step04/`."""
    rel = file.relative_to(site).as_posix()
    return rel.removesuffix("index.html")


def language_of(path: str) -> str:
    first = path.strip("/").split("/")[0]
    return first if first in LANGUAGES[1:] else LANGUAGES[0]


def counterpart(path: str, lang: str) -> str:
    """The same page in `lang`: `step04/` -> `en/step04/` and back."""
    bare = path.lstrip("/")
    current = language_of(bare)
    if current != LANGUAGES[0]:
        bare = bare[len(current) + 1:]
    return bare if lang == LANGUAGES[0] else f"{lang}/{bare}"


# --- a tab's colour scheme -----------------------------------------------------------------------


def use_color_scheme(page, scheme: str, site_url: str) -> None:
    """Open the book's next pages in `page` in `scheme` ("light" or "dark"), as a device set to it
    that has not shown the book before: the media feature emulated, and the palette Material
    remembers forgotten (it stores the palette it shows in localStorage on every page load and
    shows that one next time, whatever the device's setting has become)."""
    _forget_palette(page, site_url)
    page.emulate_media(color_scheme=scheme)
    _schemes_set.setdefault(id(page), set()).add(site_url)


_schemes_set: dict[int, set[str]] = {}  # id(page) -> the sites a test set a scheme for


def put_scheme_back(page) -> None:
    """Light again, with nothing remembered for the sites `use_color_scheme` was used on."""
    for site_url in _schemes_set.pop(id(page), ()):
        _forget_palette(page, site_url)
    page.emulate_media(color_scheme="light")


def _forget_palette(page, site_url: str) -> None:
    origin = f"{urlsplit(site_url).scheme}://{urlsplit(site_url).netloc}"
    if page.url.startswith(origin + "/"):  # an open page of the book would store its palette again
        page.goto("about:blank")
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "local_storage"})
    finally:
        cdp.detach()


# --- watching pages for errors and requests off the site -----------------------------------------


class PageWatch:
    """What goes wrong on the pages a tab opens: a request or WebSocket to another host, an error
    in the console or the page, an HTTP error, a failed request; each noted with the page's path.

    Requests are watched, not intercepted: the browser cannot reach another host anyway
    (CHROMIUM_ARGS resolve no name but loopback, and test_site_build reads the net log to prove
    nothing else was attempted), and holding every request for Python to release cost a third
    of a page load's CPU.

    Open pages with `goto`: a request cut off (net::ERR_ABORTED) because the tab goes on to the
    next page is not the page's fault (the favicon is asked for as a page finishes loading).
    `stop()` waits for the last page's requests and detaches.
    """

    def __init__(self, page, site_url: str):
        self.page, self.site_url = page, site_url
        self.host = urlsplit(site_url).netloc
        self.problems: list[str] = []
        self.current = ""
        self.leaving = False
        self.listeners = {
            "request": lambda r: self._off_site(r.url) and self.note("request to another host", r.url),
            "websocket": lambda w: self._off_site(w.url) and self.note("WebSocket to another host", w.url),
            "console": lambda m: m.type == "error" and self.note("console error", f"{m.text} {m.location.get('url', '')}"),
            "pageerror": lambda e: self.note("page error", e),
            "response": lambda r: r.status >= 400 and self.note(f"HTTP {r.status}", r.url),
            "requestfailed": self._failed,
        }
        for event, listener in self.listeners.items():
            page.on(event, listener)

    def _off_site(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != self.host

    def note(self, kind: str, detail) -> None:
        self.problems.append(f"/{self.current}: {kind}: {detail}")

    def _failed(self, r) -> None:
        if self._off_site(r.url):
            return  # noted as a request to another host when it was made
        if r.failure == "net::ERR_ABORTED" and self.leaving:
            return  # cut off because the tab went on to the next page
        self.note("request failed", f"{r.url} {r.failure}")

    def goto(self, path: str, **options) -> None:
        self.page.evaluate("0")  # the events of the page so far are in before it is left
        self.current, self.leaving = path, True
        try:
            self.page.goto(self.site_url + path, **options)
        finally:
            self.leaving = False

    def stop(self) -> list[str]:
        """Wait for the open page's requests to end, stop watching; the problems noted."""
        try:
            self.page.wait_for_load_state("networkidle")
        finally:
            for event, listener in self.listeners.items():
                self.page.remove_listener(event, listener)
        return self.problems


# --- reading HTML without a browser -------------------------------------------------------------

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
         "source", "track", "wbr"}
_URL_ATTRS = {"href", "src"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parent: Element | None = None
    children: list = field(default_factory=list)  # Elements and strings

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self):
        """This element and every element inside it, in document order (a loop, not nested
        generators: a chapter has thousands of elements, walked by many tests)."""
        stack = [self]
        while stack:
            el = stack.pop()
            yield el
            stack.extend(c for c in reversed(el.children) if type(c) is Element)

    def _matches(self, tag, cls, attrs) -> bool:
        return ((tag is None or self.tag == tag) and (cls is None or cls in self.classes)
                and all(self.attrs.get(k) == v for k, v in attrs.items()))

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs) -> list[Element]:
        return [e for e in self.iter() if e._matches(tag, cls, attrs)]

    def find(self, tag: str | None = None, cls: str | None = None, **attrs) -> Element | None:
        """The first match in document order, or None."""
        return next((e for e in self.iter() if e._matches(tag, cls, attrs)), None)


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        el = Element(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(el)
        if tag not in _VOID:
            self.current = el

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, {k: v or "" for k, v in attrs}, self.current))

    def handle_endtag(self, tag):
        el = self.current
        while el is not self.root and el.tag != tag:
            el = el.parent
        if el is not self.root:  # a stray end tag closes nothing
            self.current = el.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse_html(text: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


def parse_file(file: Path) -> Element:
    """A built page's tree, parsed once per process for each version of the file (several test
    modules read every page; the tree is shared, so read it, never change it)."""
    stat = file.stat()
    return _parse_file(file, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=None)
def _parse_file(file: Path, mtime_ns: int, size: int) -> Element:
    return parse_html(file.read_text("utf8"))


@dataclass
class Link:
    page: str  # the page's path in the site, e.g. "step04/index.html"
    tag: str
    url: str


def links_and_ids(html: str | Element) -> tuple[list[tuple[str, str]], set[str]]:
    """Every (tag, href/src) and every id/name of a page (its HTML, or its parsed tree)."""
    links, ids = [], set()
    for el in (parse_html(html) if isinstance(html, str) else html).iter():
        for name, value in el.attrs.items():
            if name in _URL_ATTRS and value:
                links.append((el.tag, value))
            elif name == "srcset" and value:
                links.extend((el.tag, part.split()[0]) for part in value.split(",") if part.strip())
            elif name in ("id",) or (name == "name" and el.tag == "a"):
                ids.add(value)
    return links, ids


def resolve(site: Path, site_url: str, page: str, url: str) -> tuple[Path, str] | None:
    """The file and fragment a link of `page` points to, or None if it leaves the site."""
    target = urljoin(site_url + page, url)
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not target.startswith(site_url.rstrip("/")):
        return None
    path = unquote(parts.path)[len(urlsplit(site_url).path):]
    file = site / path
    if path == "" or path.endswith("/") or file.is_dir():
        file = file / "index.html"
    return file, unquote(parts.fragment)


# --- Material's search box ----------------------------------------------------------------------

_RESULTS = """() => [...document.querySelectorAll('.md-search-result__item')].map(li => {
  const link = li.querySelector('a.md-search-result__link')
  return {
    path: new URL(link.href).pathname,
    title: (li.querySelector('h1, h2') || link).textContent.replace(/\\u200b/g, '').trim(),
    text: li.textContent.replace(/\\u200b/g, ''),
  }
})"""
_META = "document.querySelector('.md-search-result__meta').textContent.trim()"


def wait_for_search(page, timeout: float = 10_000) -> str:
    """Wait until Material's search worker has loaded the index; returns the box's prompt."""
    placeholder = page.evaluate(
        "JSON.parse(document.getElementById('__config').textContent)"
        ".translations['search.result.placeholder']"
    )
    page.wait_for_function(f"p => {_META} === p", arg=placeholder, timeout=timeout, polling=20)
    return placeholder


def use_search(page, timeout: float = 10_000) -> None:
    """Turn to search, as a reader does by going to the box: the search worker starts, fetches
    the index of the page's language and lunr's languages, and builds the index (returns once the
    worker has answered)."""
    page.locator("input.md-search__input").focus()
    wait_for_search(page, timeout)


def search(page, query: str, timeout: float = 10_000) -> list[dict]:
    """Type `query` into Material's search box; the results, best first: path, title, text.

    Material reads the box on `keyup`, and filling it types no key, so End is pressed after.
    The box is emptied first, so that the results read are those of this query.
    """
    page.bring_to_front()  # a background tab gets its timers throttled
    box = page.locator("input.md-search__input")
    box.click()
    box.fill("")
    box.press("End")
    placeholder = wait_for_search(page, timeout)
    box.fill(query)
    box.press("End")
    page.wait_for_function(f"p => {{ const t = {_META}; return t && t !== p }}", arg=placeholder,
                           timeout=timeout, polling=20)
    return page.evaluate(_RESULTS)
