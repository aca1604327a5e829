"""Reading the book in a browser, page by page: fonts (Korean and Latin stacks, monospaced Korean
comments, a math font that is downloaded only when no local one exists), math spacing, wide
equations and figures on a phone, output blocks, and a language switcher that keeps the section.
(Split from test_reading.py, whose fixtures it shares, so that pytest-xdist can run both files
at once.)
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser import LANGUAGES, SETTLE, parse_file, use_color_scheme, wait_checked
from tests.test_reading import ROOT, open_page, site  # noqa: F401  (site: a fixture)


def test_wide_equations_scroll_with_a_cue_on_a_phone(site_url, tabs):
    """Step 4's Taylor series and step 5's C'(b) = 2b: all of it can be reached, and it says so."""
    page = tabs[390]
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


def test_figures_fit_the_column_and_open_full_size_on_a_phone(site_url, tabs):
    page = tabs[390]
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
    # as a reader taps it: once it is on screen and the blocks brought near with it are laid out
    # and checked (book.js may put a scroll note under an equation just above it). Clicking
    # while that was still under way left the dialog closed once in 12 suite runs with 3 CPU hogs.
    button = page.locator(f"#{backward} .dz-figure-open")
    button.scroll_into_view_if_needed()
    wait_checked(page)
    button.click()
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


def test_korean_pages_use_a_korean_first_stack_and_english_pages_a_latin_first_one(site_url, tabs):
    page = tabs[1280]
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


def test_korean_code_comments_are_monospaced(site_url, tabs):
    page = tabs[1280]
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


def test_math_uses_a_math_font_and_no_web_font_is_downloaded_when_a_local_one_exists(site_url, tabs):
    page = tabs[1280]
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


def test_the_math_font_is_fetched_only_on_pages_with_math_when_no_local_one_matches(site_url, tabs, tmp_path):
    """Without a local math font (the local() names rewritten to ones no machine has), a page with
    math fetches the book's copy; a page without math fetches nothing."""
    page = tabs[1280]
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
def test_output_blocks_look_like_output_and_wrap_clear_of_the_copy_button(site_url, tabs, scheme):
    page = tabs[390]
    use_color_scheme(page, scheme, site_url)  # put back to light after the test (conftest)
    for lang, path, label in (("ko", "step01/", "실행 결과"), ("en", "en/step01/", "Output")):
        open_page(page, site_url + path)
        assert page.evaluate("document.body.dataset.mdColorScheme") == ("slate" if scheme == "dark" else "default")
        # Material gives a listing its copy button as it comes on screen (content.lazy): bring
        # the output block there, as a reader scrolling to it does
        output = page.locator("article .highlight.output", has_text="TypeError").first
        output.scroll_into_view_if_needed()
        output.locator("nav.md-code__nav").wait_for(state="attached")
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


# --- the language switcher keeps the section ----------------------------------------------------


def _article_ids(site: Path, path: str) -> dict[str, list[str]]:
    """The ids of a built page's article (read from its HTML: choosing one needs no browser)."""
    article = parse_file(site / path / "index.html").find("article")
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
def test_the_language_switcher_carries_the_fragment(site, site_url, tabs, start):
    page = tabs[1280]
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


def test_the_switcher_keeps_the_section_on_screen_without_a_fragment(site, site_url, tabs):
    page = tabs[1280]
    chapter = "step05/"
    headings = [h.attrs.get("id") for h in parse_file(site / "en" / chapter / "index.html")
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


def test_aligned_rows_have_room_between_them(site_url, tabs):
    page = tabs[1280]
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


def test_a_slash_in_a_formula_has_no_operator_space(site_url, tabs):
    page = tabs[1280]
    open_page(page, site_url + "step04/")
    gaps = page.evaluate("""() => [...document.querySelectorAll('article mo')].filter(m => m.textContent === '/').map(m => {
        const a = m.previousElementSibling.getBoundingClientRect(), s = m.getBoundingClientRect(),
              b = m.nextElementSibling.getBoundingClientRect()
        return [s.left - a.right, b.left - s.right]
      })""")
    assert gaps, "no slash in step 4's formulas"
    assert max(max(g) for g in gaps) < 2, gaps
