"""Reading the book in a browser: fonts, line breaking, nothing cut off on a phone, output blocks,
headings, interface text in the page's language, and a language switcher that keeps the section.

The tests drive the system Chromium (fixtures `site_url`, `chromium` in conftest.py) at a phone
width (390 px) and a desktop width (1280 px). Styles: docs/assets/book.css, figures.css; script:
docs/assets/book.js; build-time parts: hooks/glossary.py, hooks/mathml.py, overrides/.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser import (
    HANGUL, LANGUAGES, PageWatch, counterpart, language_of, page_paths, parse_html, wait_for_search,
)

ROOT = Path(__file__).resolve().parents[1]
WIDTHS = (390, 1280)


@pytest.fixture(scope="module")
def site(built_site) -> Path:
    return built_site.path


@pytest.fixture(scope="module")
def chapters(site) -> list[str]:
    """Every chapter and glossary page, both languages: "step01/", "en/step01/", "glossary/", ..."""
    found = [p for p in page_paths(site) if re.fullmatch(r"(en/)?(step\d\d|glossary)/", p)]
    assert len(found) >= 4, found
    return found


@pytest.fixture(scope="module")
def pages(chromium):
    """One browser context per width, reused by the tests of this module."""
    contexts = {w: chromium.new_context(viewport={"width": w, "height": 900}) for w in WIDTHS}
    opened = {w: c.new_page() for w, c in contexts.items()}
    yield opened
    for c in contexts.values():
        c.close()


def open_page(page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    wait_checked(page)


SETTLE = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


EVERYTHING_LAID_OUT = """() => {
  const style = document.createElement('style')
  style.textContent = '* { content-visibility: visible !important }'
  document.head.append(style)
  dispatchEvent(new Event('resize'))  // book.js checks every box again
}"""


def wait_checked(page) -> None:
    """Until book.js has checked every box (it does so in idle slices after load, a resize or a
    <details> opening, and then marks the root with data-dz-checked)."""
    page.evaluate(SETTLE)  # a resize or toggle has reached book.js, which cleared the mark
    page.wait_for_function("document.documentElement.hasAttribute('data-dz-checked')", timeout=10_000)


def _interface_problems(page, path: str) -> list[str]:
    """Interface text of the open page (at 1280 px) that is not in the page's language."""
    lang = "en" if path.startswith("en/") else "ko"
    page.locator("article pre").first.hover() if page.locator("article pre").count() else None
    strings = page.evaluate(INTERFACE)
    # nav and toc entries are chapter and section titles: a Korean title may name a class
    titles = set(page.evaluate("[...document.querySelectorAll('.md-nav__link')].map(a => a.textContent.replace(/\\s+/g, ' ').trim())"))
    strings = [s for s in strings if s[1] not in titles]
    page.mouse.move(0, 0)
    return [f"/{path}: {p}" for p in _wrong_language(lang, strings)]


@pytest.fixture(scope="module")
def survey(site_url, chapters, pages):
    """What the checks that cover every chapter at both widths find, each chapter loaded once,
    every `<details>` opened (so their text is read too), at one width and then at the other (the
    viewport resized, as a reader turning a tablet would, with book.js's resize handling let
    run): the line breaks, permalinks and that nothing is cut off; at 1280 px the interface
    text; at 390 px, the highlight bands of the complete program (see test_changes.py).

    {"lines": {width: [...]}, "permalinks": {...}, "overflow": {...}, "interface": [...]},
    each problem naming its page and width; "bands": {path: what BANDS measured}; "offline":
    the pages read and what went wrong on them while they were (see PageWatch)."""
    page = pages[WIDTHS[0]]
    found: dict = {k: {w: [] for w in WIDTHS} for k in ("lines", "permalinks", "overflow")}
    found["interface"] = []
    found["bands"] = {}

    def at(width: int) -> None:
        if page.viewport_size["width"] != width:
            page.set_viewport_size({"width": width, "height": 900})
            wait_checked(page)

    watch = PageWatch(page, site_url)  # read by test_every_page_is_offline_and_free_of_errors
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
    finally:
        found["offline"] = {"paths": list(chapters), "problems": watch.stop()}
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


def test_the_line_break_check_sees_a_split_word_and_a_stray_particle(site_url, pages):
    """The check itself: a page where keep-all is off and math is followed by a particle."""
    page = pages[390]
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


def test_the_overflow_check_sees_a_clipped_and_an_unmarked_equation(site_url, pages):
    page = pages[390]
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


def test_wide_equations_scroll_with_a_cue_on_a_phone(site_url, pages):
    """Step 4's Taylor series and step 5's C'(b) = 2b: all of it can be reached, and it says so."""
    page = pages[390]
    marked = 0
    for path in ("step04/", "en/step04/", "step05/", "en/step05/"):
        open_page(page, site_url + path)
        # each equation as a reader reaches it: scrolled to, laid out, checked by book.js
        info = page.evaluate("""async () => {
          const frames = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))
          const root = document.documentElement, out = []
          for (const e of document.querySelectorAll('article .math-display')) {
            e.scrollIntoView({ block: 'center' })
            await frames()
            while (!root.hasAttribute('data-dz-checked')) await new Promise(r => setTimeout(r, 10))
            out.push({ scrolls: e.scrollWidth > e.clientWidth + 1, marked: e.hasAttribute('data-scrolls'),
              note: !!(e.nextElementSibling && e.nextElementSibling.classList.contains('dz-scroll-note')
                       && e.nextElementSibling.textContent.trim()) })
          }
          return out
        }""")
        for eq in info:
            assert eq["scrolls"] == eq["marked"] == eq["note"], (path, eq)
            marked += eq["marked"]
    assert marked, "no display equation is wider than a phone: this test checks nothing"


def test_figures_fit_the_column_and_open_full_size_on_a_phone(site_url, pages):
    page = pages[390]
    open_page(page, site_url + "step05/")
    figs = page.evaluate("""() => [...document.querySelectorAll('article .dezero-figure')].map(f => {
        const svg = f.querySelector('svg'), r = svg.getBoundingClientRect()
        return { id: f.id, width: r.width, natural: +svg.getAttribute('width'), small: f.hasAttribute('data-small'),
                 column: f.getBoundingClientRect().width }
      })""")
    assert len(figs) >= 2, figs
    for fig in figs:
        assert fig["width"] <= fig["column"] + 1, fig
        assert fig["small"] == (fig["width"] < 0.75 * fig["natural"]), fig
    small = [f for f in figs if f["small"]]
    assert small, f"no figure of step 5 is scaled down at 390 px: {figs}"
    # Figure 5-2, the backward graph, starts at dy/dy: it is visible in the column and full size on tap
    backward = page.evaluate("document.querySelector('article .dezero-figure:has(.dz-frac)').id")
    assert page.evaluate(f"""() => [...document.querySelectorAll('#{backward} svg text')]
        .some(t => t.textContent === 'dy' && t.getBoundingClientRect().right <= innerWidth)""")
    page.locator(f"#{backward} .dz-figure-open").click()
    dialog = page.locator("dialog.dz-figure-dialog[open]")
    dialog.wait_for()
    shown = dialog.locator("svg").evaluate("s => s.getBoundingClientRect().width")
    natural = next(f["natural"] for f in figs if f["id"] == backward)
    assert abs(shown - natural) < 1, (shown, natural)
    sizes = dialog.locator("svg text.dz-label").evaluate_all(
        "ts => ts.map(t => parseFloat(getComputedStyle(t).fontSize) * t.ownerSVGElement.getBoundingClientRect().width"
        " / t.ownerSVGElement.viewBox.baseVal.width)")
    assert min(sizes) >= 14, sizes  # labels at their drawn size, readable
    dialog.locator(".dz-figure-close").click()
    assert page.locator("dialog.dz-figure-dialog[open]").count() == 0


# --- fonts --------------------------------------------------------------------------------------


def _platform_fonts(page, selector: str) -> list[str]:
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        assert node, f"nothing matches {selector}"
        return [f["familyName"] for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]]
    finally:
        cdp.detach()


def test_korean_pages_use_a_korean_first_stack_and_english_pages_a_latin_first_one(site_url, pages):
    page = pages[1280]
    stacks = {}
    for lang, path in (("ko", "step04/"), ("en", "en/step04/")):
        open_page(page, site_url + path)
        stacks[lang] = page.evaluate("""() => ({
          body: getComputedStyle(document.body).fontFamily,
          code: getComputedStyle(document.querySelector('article pre code')).fontFamily,
          weights: [...new Set([...document.querySelectorAll('article h1, article h2, article h3')]
                               .map(h => getComputedStyle(h).fontWeight))],
        })""")
        heading = "article h2"
        fonts = _platform_fonts(page, heading)
        if lang == "ko":  # "4.1" and the Hangul of a heading come from one face
            assert len(fonts) == 1 and re.search(r"nanum|gothic|noto.*(kr|cjk)", fonts[0], re.I), fonts
        stacks[lang]["heading_fonts"] = fonts
    first = {lang: s["body"].split(",")[0].strip().strip('"') for lang, s in stacks.items()}
    assert first["ko"] in ("Apple SD Gothic Neo", "Malgun Gothic"), stacks["ko"]["body"]
    assert first["en"] in ("system-ui", "-apple-system"), stacks["en"]["body"]
    assert "Noto Sans KR" in stacks["en"]["body"]  # Hangul in English pages still has a face
    for lang in stacks:
        assert len(stacks[lang]["weights"]) == 1, stacks[lang]  # one heading weight
    assert stacks["ko"]["code"].split(",")[0].strip('" ') in ("D2Coding", "NanumGothicCoding")


def test_korean_code_comments_are_monospaced(site_url, pages):
    page = pages[1280]
    open_page(page, site_url + "step02/")
    found = page.evaluate("""() => {
      const span = [...document.querySelectorAll('article pre code span')].find(s => /[\\uac00-\\ud7a3]/.test(s.textContent))
      if (!span) return null
      span.id = 'hangul-in-code'
      return span.textContent
    }""")
    assert found, "no Korean comment in step 2's code"
    fonts = _platform_fonts(page, "#hangul-in-code")
    assert fonts and all(re.search(r"coding|mono", f, re.I) for f in fonts), fonts


def test_math_uses_a_math_font_and_no_web_font_is_downloaded_when_a_local_one_exists(site_url, pages):
    page = pages[1280]
    requests: list[str] = []

    def note(r):
        if r.resource_type == "font":
            requests.append(r.url)

    page.on("request", note)
    try:
        for path in ("step04/", "en/step05/", "step01/", "glossary/"):
            open_page(page, site_url + path)
            if path.startswith(("step04", "en/step05")):
                page.evaluate("document.querySelector('article math mi').id = 'a-formula'")
                fonts = _platform_fonts(page, "#a-formula")
                assert any("math" in f.lower() for f in fonts), fonts
    finally:
        page.remove_listener("request", note)
    assert requests == [], f"fonts downloaded: {requests}"
    css = (ROOT / "docs" / "assets" / "book.css").read_text("utf8")
    face = re.search(r"@font-face\s*{[^}]*\"Book Math\"[^}]*}", css).group(0)
    src = re.search(r"src:([^;]*);", face).group(1)
    assert src.strip().startswith("local("), src  # a local math font first, the download last
    url = re.search(r'url\("([^"]+)"\)', src).group(1)
    assert (ROOT / "docs" / "assets" / url).exists() and (ROOT / "docs" / "assets" / "fonts" / "LICENSE-latinmodern-math.txt").exists()


def test_the_math_font_is_fetched_only_on_pages_with_math_when_no_local_one_matches(site_url, pages, tmp_path):
    """Without a local math font (the local() names rewritten to ones no machine has), a page with
    math fetches the book's copy; a page without math fetches nothing."""
    page = pages[1280]
    fetched: dict[str, list[str]] = {}
    formulas: dict[str, int] = {}
    css = (ROOT / "docs" / "assets" / "book.css").read_text("utf8")
    no_local = re.sub(r'local\("([^"]+)"\)', r'local("No Such Font \1")', css)

    def route(r):
        r.fulfill(status=200, content_type="text/css", body=no_local)

    page.route("**/assets/book.css", route)
    try:
        for path in ("step04/", "step01/"):
            got: list[str] = []
            handler = lambda r, got=got: r.resource_type == "font" and got.append(urlsplit(r.url).path)  # noqa: E731
            page.on("request", handler)
            open_page(page, site_url + path)
            page.wait_for_timeout(200)
            page.remove_listener("request", handler)
            fetched[path] = got
            formulas[path] = page.locator("article math").count()
    finally:
        page.unroute("**/assets/book.css")
    assert any(p.endswith("fonts/latinmodern-math.otf") for p in fetched["step04/"]), fetched
    assert formulas["step04/"] > 0 and formulas["step01/"] == 0, formulas
    assert fetched["step01/"] == [], fetched


# --- output blocks ------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_output_blocks_look_like_output_and_wrap_clear_of_the_copy_button(site_url, chromium, scheme):
    context = chromium.new_context(color_scheme=scheme, viewport={"width": 390, "height": 900})
    try:
        page = context.new_page()
        for lang, path, label in (("ko", "step01/", "실행 결과"), ("en", "en/step01/", "Output")):
            open_page(page, site_url + path)
            info = page.evaluate("""() => {
              const out = [...document.querySelectorAll('article .highlight')]
                .find(h => h.querySelector('code').textContent.includes('TypeError'))
              const code = [...document.querySelectorAll('article .highlight')].find(h => !h.classList.contains('output'))
              const style = el => { const s = getComputedStyle(el); return [s.backgroundColor, s.borderLeftWidth, s.whiteSpace] }
              const oc = out.querySelector('pre > code'), button = out.querySelector('.md-code__nav, .md-clipboard, button')
              const range = document.createRange(); range.selectNodeContents(oc)
              const lines = [...range.getClientRects()]
              const b = button ? button.getBoundingClientRect() : null
              const covered = b ? lines.some(r => r.width && r.right > b.left && r.left < b.right && r.bottom > b.top && r.top < b.bottom) : false
              return { isOutput: out.classList.contains('output'), label: out.querySelector('.filename').textContent.trim(),
                       labelVisible: out.querySelector('.filename').getBoundingClientRect().height > 0,
                       output: style(oc), code: style(code.querySelector('pre > code')),
                       overflowing: oc.scrollWidth > oc.clientWidth + 1, covered, hasButton: !!button }
            }""")
            assert info["isOutput"] and info["label"] == label and info["labelVisible"], info
            assert info["output"] != info["code"], info  # visibly different from code
            assert info["output"][2] == "pre-wrap" and not info["overflowing"], info
            assert info["hasButton"] and not info["covered"], f"{lang} {scheme}: text under the copy button: {info}"
    finally:
        context.close()


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


def test_interface_text_is_in_the_page_language(site, site_url, pages, chapters, survey):
    """Every page but the notebooks: the chapters were read by the survey, the rest here."""
    page = pages[1280]
    problems = list(survey["interface"])
    paths = [p for p in page_paths(site) if not p.startswith(("notebooks/", "en/notebooks/"))]
    assert set(chapters) <= set(paths)
    for path in paths:
        if path not in chapters:
            open_page(page, site_url + path)
            problems += _interface_problems(page, path)
    assert not problems, "\n".join(problems[:40])


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


def test_every_page_is_offline_and_free_of_errors(site, site_url, chromium, survey):
    """Every page of both languages: no request leaves 127.0.0.1, no error in the console. The
    chapters and the glossary were watched while the survey read them (at both widths); the other
    pages are opened here. On the first page of each kind (home, chapter, notebook, glossary) in
    each language, search is used too: its worker fetches that language's index and lunr's
    languages and builds the index, which is the same for every page of the language."""
    paths = page_paths(site)
    surveyed = set(survey["offline"]["paths"])
    problems = list(survey["offline"]["problems"])
    context = chromium.new_context()
    page = context.new_page()
    watch = PageWatch(page, site_url)
    searched: dict[tuple[str, str], str] = {}
    tried: set = set()
    try:
        for path in paths:
            kind = (language_of(path), page_kind(path))
            if path in surveyed and kind in tried:
                continue
            watch.goto(path)
            if kind not in tried and page.locator("input.md-search__input").count():
                page.locator("input.md-search__input").focus()  # the index loads when search is used
                wait_for_search(page)  # the worker has fetched the index and lunr's languages
                searched[kind] = path
            tried.add(kind)
        problems += watch.stop()
    finally:
        context.close()
    assert len(paths) >= 4 and surveyed < set(paths), sorted(surveyed - set(paths))
    assert {kind for _, kind in searched} >= {"home", "chapter", "notebook"}, searched
    assert {lang for lang, _ in searched} == set(LANGUAGES), searched
    assert not problems, "\n".join(dict.fromkeys(problems))


def test_the_interface_check_sees_english_on_a_korean_page():
    assert _wrong_language("ko", [["a[title]", "Permanent link"], ["button[title]", "클립보드로 복사"]]) == [
        "a[title]: 'Permanent link'"]
    assert _wrong_language("en", [["a[title]", "이 절로 바로 가는 링크"], ["a", "한국어"]]) == [
        "a[title]: '이 절로 바로 가는 링크'"]


# --- the language switcher keeps the section ----------------------------------------------------


def _article_ids(site: Path, path: str) -> dict[str, list[str]]:
    """The ids of a built page's article (read from its HTML: choosing one needs no browser)."""
    article = parse_html((site / path / "index.html").read_text("utf8")).find("article")
    return {
        "headings": [h.attrs["id"] for h in article.iter() if h.tag in ("h2", "h3") and h.attrs.get("id")],
        "any": [e.attrs["id"] for e in article.iter() if e.attrs.get("id") and not e.attrs["id"].startswith("__codelineno")],
    }


def _shared_id(site: Path, chapter: str) -> str:
    """An id that a heading (or, until the chapters carry explicit ids, any element) has in both languages."""
    ids = {lang: _article_ids(site, chapter if lang == LANGUAGES[0] else f"{lang}/{chapter}") for lang in LANGUAGES}
    common = [i for i in ids["ko"]["headings"] if i in ids["en"]["headings"]]
    common = common or [i for i in ids["ko"]["any"] if i in ids["en"]["any"]]
    assert common, "no id exists in both languages"
    return common[len(common) // 2]


@pytest.mark.parametrize("start", LANGUAGES)
def test_the_language_switcher_carries_the_fragment(site, site_url, pages, start):
    page = pages[1280]
    chapter = "step05/"
    target = _shared_id(site, chapter)
    other = next(lang for lang in LANGUAGES if lang != start)
    prefix = "" if start == LANGUAGES[0] else f"{start}/"
    open_page(page, f"{site_url}{prefix}{chapter}#{target}")
    page.locator(".md-header__option .md-select").hover()
    with page.expect_navigation():
        page.locator(f"a.md-select__link[hreflang={other}]").click()
    url = urlsplit(page.url)
    assert url.fragment == target, page.url
    assert page.evaluate("document.documentElement.lang") == other
    assert page.evaluate(f"document.getElementById({target!r}).getBoundingClientRect().top") < 300


def test_the_switcher_keeps_the_section_on_screen_without_a_fragment(site, site_url, pages):
    page = pages[1280]
    chapter = "step05/"
    headings = [h.attrs.get("id") for h in parse_html((site / "en" / chapter / "index.html").read_text("utf8"))
                .find("article").find_all("h2") if h.attrs.get("id")]
    open_page(page, site_url + chapter)
    shared = [h for h in page.evaluate("[...document.querySelectorAll('article h2[id]')].map(h => h.id)") if h in headings]
    assert shared, "the chapters' headings carry no ids shared by both languages ({#chain-rule})"
    target = shared[len(shared) // 2]
    # at once (not smoothly: a slow machine would still be scrolling when the link is clicked)
    page.evaluate(f"document.getElementById({target!r}).scrollIntoView({{behavior: 'instant'}})")
    page.evaluate(SETTLE)  # the scroll's events have run
    page.locator(".md-header__option .md-select").hover()
    with page.expect_navigation():
        page.locator("a.md-select__link[hreflang=en]").click()
    assert urlsplit(page.url).fragment == target, page.url


# --- math spacing -------------------------------------------------------------------------------


def test_aligned_rows_have_room_between_them(site_url, pages):
    page = pages[1280]
    open_page(page, site_url + "step04/")
    gaps = page.evaluate("""() => [...document.querySelectorAll('article .math-display mtable')].flatMap(t => {
        const rows = [...t.querySelectorAll(':scope > mtr')]
        const ink = r => { const c = [...r.querySelectorAll('mi, mn, mo')].map(e => e.getBoundingClientRect()).filter(x => x.height)
                           return { top: Math.min(...c.map(x => x.top)), bottom: Math.max(...c.map(x => x.bottom)) } }
        const em = parseFloat(getComputedStyle(t).fontSize)
        return rows.slice(1).map((r, i) => (ink(r).top - ink(rows[i]).bottom) / em)
      })""")
    assert gaps, "step 4 has no aligned equation"
    assert min(gaps) >= 0.5, f"gaps between aligned rows, in em: {gaps}"


def test_a_slash_in_a_formula_has_no_operator_space(site_url, pages):
    page = pages[1280]
    open_page(page, site_url + "step04/")
    gaps = page.evaluate("""() => [...document.querySelectorAll('article mo')].filter(m => m.textContent === '/').map(m => {
        const a = m.previousElementSibling.getBoundingClientRect(), s = m.getBoundingClientRect(),
              b = m.nextElementSibling.getBoundingClientRect()
        return [s.left - a.right, b.left - s.right]
      })""")
    assert gaps, "no slash in step 4's formulas"
    assert max(max(g) for g in gaps) < 2, gaps
