"""Reading the book in a browser: every chapter read once at both widths (line breaking, nothing
cut off on a phone, headings, interface text in the page's language), and every page but the
notebooks offline and free of errors (the notebook pages: test_notebooks.py). Fonts, math, output
blocks, figures and the language switcher: test_typesetting.py.

The tests drive the system Chromium in conftest.py's two tabs (fixture `tabs`), at a phone width
(390 px) and a desktop width (1280 px). Styles: docs/assets/book.css, figures.css; script:
docs/assets/book.js; build-time parts: hooks/glossary.py, hooks/mathml.py, overrides/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser import (
    EVERYTHING_LAID_OUT, HANGUL, LANGUAGES, PageWatch, counterpart, language_of, page_paths,
    use_search, wait_checked,
)

ROOT = Path(__file__).resolve().parents[1]
WIDTHS = (390, 1280)  # the widths of conftest's `tabs`


@pytest.fixture(scope="module")
def site(built_site) -> Path:
    return built_site.path


@pytest.fixture(scope="module")
def chapters(site) -> list[str]:
    """Every chapter and glossary page, both languages: "step01/", "en/step01/", "glossary/", ..."""
    found = [p for p in page_paths(site) if re.fullmatch(r"(en/)?(step\d\d|glossary)/", p)]
    assert len(found) >= 4, found
    return found


def open_page(page, url: str) -> None:
    page.goto(url)
    settle(page)


def settle(page) -> None:
    """Until the page opened in `page` has loaded, its fonts are in and book.js has checked it."""
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    wait_checked(page)


def _interface_problems(page, path: str) -> list[str]:
    """Interface text of the open page (at 1280 px) that is not in the page's language."""
    lang = "en" if path.startswith("en/") else "ko"
    # nav and toc entries are chapter and section titles: a Korean title may name a class
    strings, titles = page.evaluate(f"""() => [({INTERFACE})(), [...document.querySelectorAll('.md-nav__link')]
                                              .map(a => a.textContent.replace(/\\s+/g, ' ').trim())]""")
    strings = [s for s in strings if s[1] not in set(titles)]
    return [f"/{path}: {p}" for p in _wrong_language(lang, strings)]


@pytest.fixture(scope="module")
def survey(site_url, chapters, tabs):
    """What the checks that cover every chapter at both widths find, each chapter loaded once,
    every `<details>` opened (so their text is read too), at one width and then at the other (the
    viewport resized, as a reader turning a tablet would, with book.js's resize handling let
    run): the line breaks, permalinks and that nothing is cut off; at 1280 px the interface
    text; at 390 px, the highlight bands of the complete program (see test_changes.py).

    On the first chapter and the first glossary of each language, once they are measured, search
    is used too (see test_every_page_but_the_notebooks_is_offline_and_free_of_errors).

    {"lines": {width: [...]}, "permalinks": {...}, "overflow": {...}, "interface": [...]},
    each problem naming its page and width; "bands": {path: what BANDS measured}; "offline":
    the pages read, the kinds of page search was used on ({(language, kind): path}) and what went
    wrong on them while they were (see PageWatch)."""
    page = tabs[WIDTHS[0]]
    found: dict = {k: {w: [] for w in WIDTHS} for k in ("lines", "permalinks", "overflow")}
    found["interface"] = []
    found["bands"] = {}
    searched: dict[tuple[str, str], str] = {}

    def at(width: int) -> None:
        if page.viewport_size["width"] != width:
            page.set_viewport_size({"width": width, "height": 900})
            wait_checked(page)

    watch = PageWatch(page, site_url)  # read by test_every_page_but_the_notebooks_is_offline_and_free_of_errors
    try:
        for i, path in enumerate(chapters):
            # opened at one width and resized to the other, in turn 390 px and 1280 px first, so
            # that the next chapter opens at the width this one ends at
            order = WIDTHS if i % 2 == 0 else WIDTHS[::-1]
            at(order[0])
            watch.goto(path)
            page.wait_for_load_state("load")
            page.evaluate("document.fonts.ready.then(() => true)")
            # as when a reader has scrolled through it all: every box laid out (book.css lays out
            # only what is near the screen, and book.js checks a box once it is laid out; the
            # wide-equation test below scrolls for real), every <details> open
            page.evaluate(EVERYTHING_LAID_OUT)
            page.evaluate("document.querySelectorAll('article details').forEach(d => d.open = true)")
            wait_checked(page)
            for width in order:
                at(width)
                first = page.evaluate(f"path => ({{ lines: ({LINE_BREAKS})(), permalinks: ({PERMALINKS})(path) }})", path)
                found["lines"][width] += [f"/{path} at {width}px: {p}" for p in first["lines"]]
                found["permalinks"][width] += [f"{p} at {width}px" for p in first["permalinks"]]
                if width == 1280:
                    found["interface"] += _interface_problems(page, path)
                found["overflow"][width] += [f"/{path} at {width}px: {p}" for p in page.evaluate(OVERFLOW)]
                if width == BANDS_WIDTH:
                    found["bands"][path] = page.evaluate(BANDS)
            kind = (language_of(path), page_kind(path))
            if kind not in searched:
                use_search(page)
                searched[kind] = path
    finally:
        found["offline"] = {"paths": list(chapters), "searched": searched, "problems": watch.stop()}
        at(WIDTHS[0])
    return found


# --- Korean line breaking -----------------------------------------------------------------------

# Walks the article's text (math and inline-level boxes as single atoms), finds where each line
# starts, and reports breaks that are not at a space: inside a Hangul word, before a particle or
# closing punctuation, inside a number.
LINE_BREAKS = r"""() => {
  const root = document.querySelector("article")
  const SKIP = "pre, script, style, svg, button, textarea, .headerlink, .dz-scroll-note, .md-code__nav, .tabbed-labels"
  const HANGUL = /[\uac00-\ud7a3]/
  const blocks = new Map()
  const blockOf = el => {
    const start = el
    if (blocks.has(start)) return blocks.get(start)
    while (el && el !== root) {
      const d = getComputedStyle(el).display
      if (!d.startsWith("inline") && d !== "contents") break
      el = el.parentElement
    }
    blocks.set(start, el)
    return el
  }
  const atoms = []
  const walk = node => {
    for (let child = node.firstChild; child; child = child.nextSibling) {
      if (child.nodeType === Node.TEXT_NODE) {
        const text = child.data
        const block = blockOf(child.parentElement)
        const range = document.createRange()
        for (let i = 0; i < text.length; i++) {
          const ch = text[i]
          if (/\s/.test(ch) || ch === "\u2060" || ch === "\u200b") { atoms.push({ ws: true }); continue }
          range.setStart(child, i); range.setEnd(child, i + 1)
          const r = range.getClientRects()[0]
          if (!r || r.width === 0 && r.height === 0) continue
          atoms.push({ ch, top: r.top, bottom: r.bottom, left: r.left, block })
        }
      } else if (child.nodeType === Node.ELEMENT_NODE) {
        if (child.matches(SKIP)) continue
        if (child.localName === "math") {
          const r = child.getBoundingClientRect()
          if (r.width) atoms.push({ ch: "\ufffc", top: r.top, bottom: r.bottom, left: r.left, block: blockOf(child) })
          continue
        }
        if (getComputedStyle(child).display === "none") continue
        walk(child)
      }
    }
  }
  walk(root)
  const problems = []
  let prev = null, space = false, history = []
  const text = (a, b) => atoms.slice(Math.max(0, a), Math.max(0, b)).map(a => a.ws ? " " : a.ch).join("")
  const context = i => text(i - 14, i) + "|" + text(i, i + 10)
  atoms.forEach((a, i) => {
    if (a.ws) { space = true; return }
    if (prev && prev.block === a.block && a.top >= prev.bottom - 2 && a.left <= prev.left) {
      const at = context(i)
      if (/[,.:;!?)\]]/.test(a.ch)) problems.push(`a line starts with "${a.ch}": ${at}`)
      else if (!space && HANGUL.test(a.ch) && !/[·\/–—…(\[]/.test(prev.ch)) {
        problems.push(HANGUL.test(prev.ch) ? `a Hangul word is split: ${at}` : `a line starts with a particle: ${at}`)
      } else if (!space && /[\d.eE+\-−]/.test(prev.ch) && /[\d.+\-−]/.test(a.ch) && /\d/.test(text(i - 2, i + 2))) {
        problems.push(`a number is split: ${at}`)
      }
    }
    if (prev && prev.block !== a.block) space = false
    prev = a
    space = false
  })
  return problems
}"""


@pytest.mark.parametrize("width", WIDTHS)
def test_no_hangul_word_particle_comma_or_number_is_split_across_lines(survey, width):
    problems = survey["lines"][width]
    assert not problems, f"{len(problems)} bad line breaks:\n" + "\n".join(problems[:40])


def test_the_line_break_check_sees_a_split_word_and_a_stray_particle(site_url, tabs):
    """The check itself: a page where keep-all is off and math is followed by a particle."""
    page = tabs[390]
    open_page(page, site_url + "step04/")
    page.evaluate("""() => {
      const a = document.querySelector("article")
      const p = document.createElement("p")
      p.style.width = "9em"
      p.style.wordBreak = "normal"  // as without keep-all: Hangul words break anywhere
      p.textContent = "가나다라마바사아자차카타파하가나다라마바사아자차카타파하"
      a.prepend(p)
      for (let w = 8; w <= 24; w++) {  // long code, then its particle, without the nobr span
        const q = document.createElement("p")
        q.innerHTML = "이 줄은 <code>sys.setrecursionlimit(10**6)</code>을 한 줄 넣으면 됩니다"
        q.style.width = w + "em"
        p.after(q)
      }
    }""")
    problems = page.evaluate(LINE_BREAKS)
    assert any("Hangul word is split" in p for p in problems), problems
    assert any("starts with a particle" in p for p in problems), problems


# --- nothing cut off ----------------------------------------------------------------------------

OVERFLOW = r"""() => {
  const article = document.querySelector("article")
  const box = article.getBoundingClientRect()
  const problems = []
  const name = el => el.localName + (el.className && typeof el.className === "string" ? "." + el.className.split(" ").join(".") : "")
  const what = el => (el.textContent || "").replace(/\s+/g, " ").trim().slice(0, 50)
  if (document.documentElement.scrollWidth > window.innerWidth + 1)
    problems.push(`the page scrolls sideways (${document.documentElement.scrollWidth}px wide)`)
  const items = article.querySelectorAll(
    ".dezero-figure, .math-display, .math-inline, table, .highlight pre > code, .highlight.output")
  for (const el of items) {
    if (!el.checkVisibility()) continue  // in a closed <details>
    // the nearest box that clips or scrolls sideways, from the element itself up to the article
    let s = el
    while (s && s !== article && getComputedStyle(s).overflowX === "visible") s = s.parentElement
    if (s && s !== article) {
      const o = getComputedStyle(s).overflowX
      if (s.scrollWidth > s.clientWidth + 1) {
        if (o !== "auto" && o !== "scroll") problems.push(`${name(el)} is cut off (overflow-x: ${o}): ${what(el)}`)
        else if (!s.hasAttribute("data-scrolls") || !/gradient/.test(getComputedStyle(s).backgroundImage))
          problems.push(`${name(s)} scrolls sideways without a cue: ${what(el)}`)
      }
    } else {
      const r = el.getBoundingClientRect()
      if (r.right > box.right + 1 || r.left < box.left - 1)
        problems.push(`${name(el)} sticks out of the column (${Math.round(r.left)}..${Math.round(r.right)} of ${Math.round(box.left)}..${Math.round(box.right)}): ${what(el)}`)
    }
  }
  for (const fig of article.querySelectorAll(".dezero-figure")) {
    const f = fig.getBoundingClientRect()
    for (const t of fig.querySelectorAll("svg text")) {
      const r = t.getBoundingClientRect()
      if (r.width && (r.left < f.left - 1 || r.right > f.right + 1 || r.left < 0 || r.right > window.innerWidth))
        problems.push(`figure ${fig.id}: the label "${t.textContent}" is outside the visible figure`)
    }
  }
  return problems
}"""


@pytest.mark.parametrize("width", WIDTHS)
def test_no_figure_equation_table_or_output_is_cut_off(survey, width):
    problems = survey["overflow"][width]
    assert not problems, "\n".join(problems[:40])


# The complete program's listing (the last `.standalone` block, its <details> open): the width of
# its code box and of each highlighted line's band (hooks/changes.py marks the changed lines).
BANDS_WIDTH = 390
BANDS = """() => {
  const code = [...document.querySelectorAll('article .standalone pre > code')].pop()
  if (!code) return null
  code.closest('details').open = true
  const bands = [...code.querySelectorAll('.hll')]
  return {box: code.scrollWidth, pre: code.parentElement.clientWidth,
          bands: bands.map(b => b.getBoundingClientRect().width),
          colour: bands.length && getComputedStyle(bands[0]).backgroundColor}
}"""


def test_highlight_bands_span_the_whole_listing(survey):
    """A band fills the code box, also when a long line makes the box scroll sideways (at 390 px,
    where listings scroll; every chapter from step 2 on, both languages)."""
    from tests.test_changes import steps_compared

    pairs = steps_compared("ko")
    assert pairs
    for lang, prefix in (("ko", ""), ("en", "en/")):
        for step in sorted(pairs):
            widths = survey["bands"].get(f"{prefix}step{step:02d}/")
            assert widths, f"{lang} step {step}: no complete program on the page"
            assert widths["bands"], f"{lang} step {step}: no highlighted line"
            assert widths["colour"] not in ("rgba(0, 0, 0, 0)", "transparent"), widths
            short = [w for w in widths["bands"] if w < widths["box"] - 1]
            assert not short, f"{lang} step {step}: bands {short} narrower than the listing {widths['box']}px"


def test_the_overflow_check_sees_a_clipped_and_an_unmarked_equation(site_url, tabs):
    page = tabs[390]
    open_page(page, site_url + "step04/")
    page.evaluate(EVERYTHING_LAID_OUT)
    wait_checked(page)
    assert page.evaluate(OVERFLOW) == []
    page.evaluate("""() => {
      const eq = document.querySelector("article .math-display")
      const wide = eq.cloneNode(true)
      wide.querySelector("math").style.width = "900px"
      eq.after(wide)
    }""")
    assert any("without a cue" in p for p in page.evaluate(OVERFLOW))
    page.evaluate("document.querySelectorAll('article .math-display').forEach(e => e.style.overflowX = 'hidden')")
    assert any("cut off" in p for p in page.evaluate(OVERFLOW))


# --- headings -----------------------------------------------------------------------------------


# Each permalink (¶) of the article's headings: it must sit on the line of the heading's last word.
PERMALINKS = """path => [...document.querySelectorAll('article .headerlink')].flatMap(a => {
            const h = a.parentElement, walker = document.createTreeWalker(h, NodeFilter.SHOW_TEXT)
            let last = null
            for (let n; (n = walker.nextNode());) if (!a.contains(n) && n.data.trim()) last = n
            if (!last) return []
            const range = document.createRange(), end = last.data.trimEnd().length
            range.setStart(last, end - 1); range.setEnd(last, end)
            const t = range.getBoundingClientRect(), l = [...a.getClientRects()].pop()
            return Math.abs((t.top + t.bottom) / 2 - (l.top + l.bottom) / 2) > t.height / 2
              ? [`/${path}: the ¶ of "${h.textContent.trim()}" wraps alone`] : []
          })"""


@pytest.mark.parametrize("width", WIDTHS)
def test_the_permalink_never_wraps_alone(survey, width):
    problems = survey["permalinks"][width]
    assert not problems, "\n".join(problems)


# --- interface text -----------------------------------------------------------------------------

ALLOWED_LATIN = re.compile(
    r"^(DeZero.*|dezero-step-by-step|English|Material for MkDocs|.*\bMIT\b.*|GitHub|\d+)$"
)

INTERFACE = r"""() => {
  const out = []
  const add = (where, s) => { s = (s || '').replace(/\s+/g, ' ').trim(); if (s) out.push([where, s]) }
  for (const el of document.querySelectorAll('[title], [aria-label], [placeholder], [alt]'))
    for (const a of ['title', 'aria-label', 'placeholder', 'alt']) if (el.hasAttribute(a)) add(`${el.localName}[${a}]`, el.getAttribute(a))
  for (const el of document.querySelectorAll('.md-header, .md-footer, .md-sidebar, .md-source, .md-code__nav, .md-clipboard, .dz-scroll-note, .md-search'))
    for (const n of (function* walk(e) { for (const c of e.childNodes) { if (c.nodeType === 3) yield c; else if (c.nodeType === 1 && !c.matches('.md-select__link, script, style')) yield* walk(c) } })(el))
      add(el.className.split(' ')[0], n.data)
  return out
}"""


def _wrong_language(lang: str, strings: list[list[str]]) -> list[str]:
    bad = []
    for where, s in strings:
        if lang == "ko":
            if not HANGUL.search(s) and re.search(r"[A-Za-z]{3,}", s) and not ALLOWED_LATIN.match(s):
                bad.append(f"{where}: {s!r}")
        elif HANGUL.search(s) and s != "한국어":
            bad.append(f"{where}: {s!r}")
    return bad


def page_kind(path: str) -> str:
    """What a page is, whatever its language: "home", "chapter", "notebook", or its own path
    (the glossary, and any page of a kind not listed here)."""
    bare = counterpart(path, LANGUAGES[0])
    if bare == "":
        return "home"
    if re.fullmatch(r"step\d\d/", bare):
        return "chapter"
    if re.fullmatch(r"notebooks/step\d\d/", bare):
        return "notebook"
    return bare


@pytest.fixture(scope="module")
def other_pages(site, site_url, chapters, survey, tabs):
    """The pages neither the survey nor test_notebooks.py reads (the home pages), each opened once
    in the 1280 px tab under a PageWatch: their interface text, and search used on the first page
    of each kind in each language that the survey did not search on.

    {"paths": [...], "interface": [...], "searched": {(language, kind): path}, "problems": [...]}"""
    page = tabs[1280]
    paths = [p for p in page_paths(site) if page_kind(p) != "notebook" and p not in chapters]
    found: dict = {"paths": paths, "interface": [], "searched": {}}
    watch = PageWatch(page, site_url)
    try:
        for path in paths:
            watch.goto(path)
            settle(page)
            found["interface"] += _interface_problems(page, path)
            kind = (language_of(path), page_kind(path))
            if kind not in {**survey["offline"]["searched"], **found["searched"]} \
                    and page.locator("input.md-search__input").count():
                use_search(page)
                found["searched"][kind] = path
    finally:
        found["problems"] = watch.stop()
    return found


def test_interface_text_is_in_the_page_language(site, chapters, survey, other_pages):
    """Every page but the notebooks: the chapters and glossaries read by the survey (at 1280 px),
    the rest by other_pages."""
    problems = survey["interface"] + other_pages["interface"]
    paths = [p for p in page_paths(site) if page_kind(p) != "notebook"]
    assert set(chapters) | set(other_pages["paths"]) == set(paths)
    assert not problems, "\n".join(problems[:40])


def test_every_page_but_the_notebooks_is_offline_and_free_of_errors(site, survey, other_pages):
    """Every page of both languages but the notebook pages (tests/test_notebooks.py reads those):
    no request leaves 127.0.0.1, no error in the console. The chapters and the glossary were
    watched while the survey read them (at both widths), the home pages while other_pages read
    them. On the first page of each kind (home, chapter, glossary) in each language, search was
    used too: its worker fetches that language's index and lunr's languages and builds the index,
    which is the same for every page of the language."""
    every = page_paths(site)
    paths = [p for p in every if page_kind(p) != "notebook"]
    assert len(every) - len(paths) >= 2, "no notebook page: is test_notebooks reading any?"
    read = survey["offline"]["paths"] + other_pages["paths"]
    assert sorted(read) == sorted(paths), sorted(set(paths) ^ set(read))
    assert other_pages["paths"], "every page was surveyed: nothing read the home pages"
    searched = {**survey["offline"]["searched"], **other_pages["searched"]}
    assert {kind for _, kind in searched} >= {"home", "chapter", "glossary/"}, searched
    assert {lang for lang, _ in searched} == set(LANGUAGES), searched
    problems = survey["offline"]["problems"] + other_pages["problems"]
    assert not problems, "\n".join(dict.fromkeys(problems))


def test_the_interface_check_sees_english_on_a_korean_page():
    assert _wrong_language("ko", [["a[title]", "Permanent link"], ["button[title]", "클립보드로 복사"]]) == [
        "a[title]: 'Permanent link'"]
    assert _wrong_language("en", [["a[title]", "이 절로 바로 가는 링크"], ["a", "한국어"]]) == [
        "a[title]: '이 절로 바로 가는 링크'"]


def test_the_page_watch_notes_every_kind_of_fault(tabs, tmp_path):
    """PageWatch itself, on a small site that does everything it must catch: a request and a
    WebSocket to another host, a console error, an uncaught error, a missing file. A clean page
    read after it adds nothing, and each fault names the page it happened on. ("Another host" is
    another port on loopback: a real outside host would rightly fail test_site_build's net-log
    check, which reads what every browser of the run attempted.)"""
    from tests.browser import serve

    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "index.html").write_text("""<!doctype html><title>bad</title>
<img src="http://127.0.0.1:9/pixel.png" alt="">
<script>
  console.error("planted console error")
  try { new WebSocket("ws://localhost:9/socket") } catch (e) {}
  fetch("missing.json").catch(() => {})
  setTimeout(() => { throw new Error("planted uncaught error") })
</script>""", "utf8")
    (tmp_path / "index.html").write_text("<!doctype html><title>clean</title><p>nothing wrong", "utf8")
    with serve(tmp_path) as url:
        page = tabs[1280]
        watch = PageWatch(page, url)
        watch.goto("bad/")
        page.wait_for_timeout(100)  # the thrown error's timer
        watch.goto("")
        problems = watch.stop()
    found = "\n".join(problems)
    for expected in ("/bad/: request to another host: http://127.0.0.1:9/pixel.png",
                     "/bad/: WebSocket to another host: ws://localhost:9/socket",
                     "/bad/: console error: planted console error",
                     "/bad/: page error: planted uncaught error",
                     "/bad/: HTTP 404: " + url + "bad/missing.json"):
        assert any(p.startswith(expected) for p in problems), f"not noted: {expected}\n{found}"
    assert not [p for p in problems if p.startswith("/: ")], found
