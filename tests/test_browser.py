"""The built site, in both languages: linked and translated, working under its hosted sub-path
(search: test_search.py, which shares this module's fixtures; every page offline and free of
errors: test_reading.py, which reads the chapters anyway).

Tests that read the built HTML need no browser. The others drive the system Chromium through
Playwright (fixtures `site_url` and `chromium` in conftest.py); without Chromium they are skipped,
except under CI=true. `test_screenshots` writes light and dark screenshots of the chapters with
equations to $SHOTS_DIR (default /tmp/shots) for a person to look at: it checks nothing the
default run does not (output blocks in both schemes: test_typesetting.py), so it runs with the
audits (`pytest -m audit`, run by .ci/run).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser import (
    HANGUL, LANGUAGES, SETTLE, counterpart, language_of, links_and_ids, page_paths, parse_file, parse_html,
    path_of, resolve, search, use_color_scheme, use_search,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "hooks"))
from blocks import read_page  # noqa: E402  (hooks/blocks.py)

SITE_URL = "https://dezero-book.github.io/dezero-step-by-step/"  # mkdocs.yml site_url
SITE_NAMES = {"ko": "DeZero, 한 단계씩", "en": "DeZero, step by step"}
SEARCH_PLACEHOLDERS = {"ko": "검색", "en": "Search"}
SHOTS = Path(os.environ.get("SHOTS_DIR", "/tmp/shots"))


def lang_root(lang: str) -> str:
    return "/" if lang == LANGUAGES[0] else f"/{lang}/"


def chapter_path(lang: str, chapter: str) -> str:
    return f"{lang_root(lang)}{chapter}/"


def built_page(site: Path, path: str) -> Path:
    return site / path.strip("/") / "index.html"


def first_chapter(site: Path, *candidates: str) -> str:
    """The first of `candidates` built in every language (chapters are still being written)."""
    for chapter in candidates:
        if all(built_page(site, chapter_path(lang, chapter)).exists() for lang in LANGUAGES):
            return chapter
    pytest.fail(f"none of {candidates} is built in both languages", pytrace=False)


@pytest.fixture(scope="module")
def site(built_site) -> Path:
    if built_site.returncode != 0:
        pytest.fail("the site did not build:\n" + built_site.log[-3000:], pytrace=False)
    return built_site.path


@pytest.fixture(scope="module")
def pages(site) -> dict[str, object]:
    """Every built page, parsed: {"step04/": tree, "en/step04/": tree, ...}."""
    return {p: parse_file(site / p / "index.html") for p in page_paths(site)}


# --- the built HTML, no browser -----------------------------------------------------------------


def test_both_languages_are_built(pages):
    langs = {language_of(p) for p in pages}
    assert langs == set(LANGUAGES), sorted(pages)
    for lang in LANGUAGES:
        assert lang_root(lang).lstrip("/") in pages, f"no home page for {lang}"


def test_every_internal_link_and_anchor_resolves(site, pages):
    ids: dict[Path, set[str]] = {}
    links = []
    for file in sorted(site.rglob("*.html")):
        page = file.relative_to(site).as_posix()
        tree = pages.get(path_of(site, file)) if file.name == "index.html" else None  # parsed already
        found, ids[file] = links_and_ids(tree or file.read_text("utf8"))
        links += [(page, tag, url) for tag, url in found]
    assert links

    broken = []
    for page, tag, url in links:
        target = resolve(site, SITE_URL, page, url)  # 404.html's links are absolute, under site_url
        if target is None:
            continue
        file, anchor = target
        if not file.exists():
            broken.append(f"{page}: <{tag}> {url} -> no file {file.relative_to(site)}")
        elif anchor and file.suffix == ".html" and anchor not in ids.get(file, set()):
            broken.append(f"{page}: <{tag}> {url} -> no id {anchor!r} in {file.relative_to(site)}")
    assert not broken, f"{len(broken)} broken links:\n" + "\n".join(broken)


def test_every_page_has_its_language_and_links_the_same_page_in_the_other(site, pages):
    problems = []
    for path, tree in pages.items():
        lang = language_of(path)
        html_lang = tree.find("html").attrs.get("lang")
        if html_lang != lang:
            problems.append(f"/{path}: <html lang={html_lang!r}>, expected {lang!r}")
        switcher = {a.attrs.get("hreflang"): a.attrs.get("href") for a in tree.find_all("a", "md-select__link")}
        for other in LANGUAGES:
            href = switcher.get(other)
            if href is None:
                problems.append(f"/{path}: the language switcher has no {other} link")
                continue
            target = resolve(site, SITE_URL, path, href)
            expected = counterpart(path, other)
            got = path_of(site, target[0]) if target else href
            if not built_page(site, expected).exists():
                problems.append(f"/{path}: no {other} version of this page was built")
            elif got != expected:
                problems.append(f"/{path}: the {other} link goes to /{got}, expected /{expected}")
    assert not problems, "\n".join(problems)


def test_the_404_page_is_in_the_default_language_and_links_both_home_pages(site):
    tree = parse_html((site / "404.html").read_text("utf8"))
    assert tree.find("html").attrs.get("lang") == LANGUAGES[0]
    root = urlsplit(SITE_URL).path
    switcher = {a.attrs.get("hreflang"): a.attrs.get("href") for a in tree.find_all("a", "md-select__link")}
    assert switcher == {lang: root + lang_root(lang).lstrip("/") for lang in LANGUAGES}
    assert not [link for link in tree.find_all("link") if link.attrs.get("hreflang")]


def _chrome_text(tree) -> str:
    """Header, navigation and footer text, without the language list (it names both)."""

    def text(el) -> str:
        if "md-select__inner" in el.classes:
            return ""
        return "".join(c if isinstance(c, str) else text(c) for c in el.children)

    chrome = tree.find_all("header") + tree.find_all("nav", "md-nav--primary") + tree.find_all("footer")
    return " ".join(" ".join(text(el) for el in chrome).split())


def test_site_name_navigation_and_interface_are_translated(pages):
    problems = []
    for path, tree in pages.items():
        lang = language_of(path)
        chrome = _chrome_text(tree)
        if SITE_NAMES[lang] not in chrome:
            problems.append(f"/{path}: site name {SITE_NAMES[lang]!r} missing from the header")
        box = tree.find("input", "md-search__input")
        if box is None or box.attrs.get("placeholder") != SEARCH_PLACEHOLDERS[lang]:
            problems.append(f"/{path}: search box placeholder {box and box.attrs.get('placeholder')!r}")
        if lang != "ko":  # the copyright line is bilingual on purpose
            hangul = re.findall(r"\S*[\uac00-\ud7a3]\S*", chrome.replace("코드와 글은 MIT 라이선스", ""))
            hangul = sorted(set(hangul))
            if hangul:
                problems.append(f"/{path}: Korean in the {lang} header/navigation/footer: {hangul}")
        else:
            labels = [" ".join(e.text().split()) for e in tree.find("nav", "md-nav--primary").find_all(cls="md-ellipsis")]
            english = [t for t in labels if t and not HANGUL.search(t) and not t.startswith(("DeZero",))]
            if english:
                problems.append(f"/{path}: navigation labels without Korean: {english}")
    assert not problems, "\n".join(problems)


def test_admonition_titles_are_in_the_page_language(pages):
    """Every admonition or collapsible block on a Korean page carries a Korean title, and vice versa."""
    problems = []
    for path, tree in pages.items():
        lang = language_of(path)
        article = tree.find("article") or tree
        titles = [e for e in article.find_all("p", "admonition-title")]
        titles += [s for d in article.find_all("details") for s in d.find_all("summary")[:1]]
        for el in titles:
            text = " ".join(el.text().split())
            korean = bool(HANGUL.search(text))
            if korean != (lang == "ko"):
                kind = (el.parent.attrs.get("class") or el.parent.tag).split()
                problems.append(f"/{path}: {' '.join(kind)} titled {text!r}")
    assert not problems, "titles not in the page's language:\n" + "\n".join(problems)


# --- in the browser -----------------------------------------------------------------------------


def test_copy_button_copies_only_the_code(site, site_url, tabs):
    chapter = first_chapter(site, "step01", "step02", "step03")
    page = tabs[1280]
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])  # taken back after the test
    for lang in LANGUAGES:
        source = read_page(ROOT / "docs" / f"{chapter}.{lang}.md")
        block = next(b for b in source.python_blocks if b.output is not None)
        page.goto(site_url + chapter_path(lang, chapter).lstrip("/"))
        code = block.code.rstrip("\n")
        index = page.evaluate(
            """code => [...document.querySelectorAll('article pre')]
                .findIndex(pre => pre.querySelector('code').innerText.replace(/\\n$/, '') === code)""",
            code,
        )
        assert index >= 0, f"{lang}: the block at line {block.line} is not on the page"
        pre = page.locator("article pre").nth(index)
        pre.hover()
        pre.locator("button.md-code__button[data-md-type=copy]").click()
        page.wait_for_function("navigator.clipboard.readText().then(t => t.length > 0)")
        copied = page.evaluate("navigator.clipboard.readText()")
        # the source block: code only; its output is a separate block, and there are no >>> prompts
        assert copied.rstrip("\n") == code, f"{lang}: copied {copied!r}, the block holds {code!r}"
        assert not copied.lstrip().startswith((">>>", "$ ")), copied
        page.evaluate("navigator.clipboard.writeText('')")


@pytest.mark.parametrize("start", LANGUAGES)
def test_language_switcher_goes_to_the_same_chapter(site, site_url, tabs, start):
    chapter = first_chapter(site, "step04", "step05", "step01")
    other = next(lang for lang in LANGUAGES if lang != start)
    page = tabs[1280]
    page.goto(site_url + chapter_path(start, chapter).lstrip("/"))
    assert page.evaluate("document.documentElement.lang") == start
    page.locator(".md-header__option .md-select").hover()
    with page.expect_navigation():
        page.locator(f"a.md-select__link[hreflang={other}]").click()
    assert urlsplit(page.url).path == chapter_path(other, chapter)
    assert page.evaluate("document.documentElement.lang") == other


def test_korean_text_is_drawn_with_a_korean_font(site_url, tabs):
    page = tabs[1280]
    page.goto(site_url)
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "article p"})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()
    names = [f["familyName"] for f in fonts]
    assert any(re.search(r"nanum|noto.*(kr|cjk)|apple sd gothic|malgun", n, re.I) for n in names), (
        f"Korean text is drawn with {names}: install a Hangul font (fonts-nanum)"
    )


@pytest.mark.audit
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots(site, site_url, tabs, scheme):
    """Saves screenshots of the chapters with equations for a person to look at."""
    chapters = [c for c in ("step04", "step05")
                if built_page(site, chapter_path(LANGUAGES[0], c)).exists()] or ["step01"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = tabs[1280]
    use_color_scheme(page, scheme, site_url)  # put back to light after the test (conftest)
    for chapter in chapters:
        for lang in LANGUAGES:
            if not built_page(site, chapter_path(lang, chapter)).exists():
                continue
            page.goto(site_url + chapter_path(lang, chapter).lstrip("/"))
            expected = "slate" if scheme == "dark" else "default"
            assert page.evaluate("document.body.dataset.mdColorScheme") == expected
            name = f"{chapter}-{lang}-{scheme}"
            page.screenshot(path=SHOTS / f"{name}-top.png", animations="disabled")
            equations = page.locator("article .math-display")
            if equations.count():  # the middle display equation, in the middle of the screen
                equations.nth(equations.count() // 2).evaluate("e => e.scrollIntoView({block: 'center'})")
                # the header swaps site name for page title on the scroll event, animated: the
                # event has run after two frames, and the screenshot ends the transition
                page.evaluate(SETTLE)
                page.screenshot(path=SHOTS / f"{name}-math.png", animations="disabled")


def test_a_reused_tab_changes_scheme_and_is_put_back(site_url, tabs):
    """The shared tab (conftest's `tabs`): in dark after `use_color_scheme`, although Material
    remembered the light palette of the page before, and light again after `put_scheme_back`."""
    from tests.browser import put_scheme_back

    page = tabs[1280]
    scheme = lambda: page.evaluate("document.body.dataset.mdColorScheme")  # noqa: E731
    page.goto(site_url + "glossary/")
    assert scheme() == "default"
    use_color_scheme(page, "dark", site_url)
    page.goto(site_url)
    assert scheme() == "slate"
    put_scheme_back(page)
    page.goto(site_url + "glossary/")
    assert scheme() == "default"


# Run before the page's own scripts: every change to the page's colours (a palette attribute of
# the body, a <meta> added or its content changed), noted with whether the chapter was parsed yet.
WATCH_COLOURS = """
window.dzColours = []
new MutationObserver(records => {
  const parsed = !!document.querySelector("article")
  for (const r of records) {
    if (r.type === "childList") {
      for (const node of r.addedNodes)
        if (node.localName === "meta") window.dzColours.push({ what: "meta " + node.name, parsed })
    } else if (r.target === document.body || r.target.localName === "meta") {
      const name = r.target.name ? ` ${r.target.name}` : ""
      window.dzColours.push({ what: `${r.target.localName}${name} ${r.attributeName}`, parsed })
    }
  }
}).observe(document, { subtree: true, childList: true, attributes: true,
  attributeFilter: ["data-md-color-media", "data-md-color-scheme", "data-md-color-primary",
                    "data-md-color-accent", "data-md-color-switching", "content"] })
"""
BLOCK_STORAGE = """Object.defineProperty(window, "localStorage", {
  get() { throw new DOMException("The site's storage is blocked", "SecurityError") } })"""
PALETTE = """() => {
  const header = getComputedStyle(document.querySelector("[data-md-component=header]"))
  const hex = header.backgroundColor.match(/\\d+/g).slice(0, 3).map(v => (+v).toString(16).padStart(2, "0"))
  return {
    scheme: document.body.dataset.mdColorScheme,
    switching: document.body.hasAttribute("data-md-color-switching"),
    toggles: [...document.querySelectorAll(".md-header__option label")].filter(l => !l.hidden).map(l => l.htmlFor),
    colorScheme: document.querySelector("meta[name=color-scheme]")?.content,
    themeColor: document.querySelector("meta[name=theme-color]")?.content, header: "#" + hex.join(""),
    focused: document.activeElement.id, changes: window.dzColours,
  }
}"""


def switched(page) -> None:
    """Until the palette switch has ended (Material's stylesheet holds transitions while
    data-md-color-switching is set)."""
    page.wait_for_function("!document.body.hasAttribute('data-md-color-switching')", polling=20)


def test_the_light_dark_toggle_is_set_before_the_chapter_switches_and_is_remembered(site, site_url, tabs):
    """overrides/palette.js sets the palette while the header is all the page has parsed (Material's
    component did it once the page was in, restyling it four times), and works as Material's did:
    one toggle shown, a click or Enter switches, the next page remembers, and the browser's own
    colours (the color-scheme and theme-color metas) follow the page's. Where the browser refuses
    the site storage, the toggle still switches (nothing is remembered)."""
    chapter = first_chapter(site, "step04", "step01")
    page = tabs[390]
    use_color_scheme(page, "light", site_url)  # nothing remembered; forgotten again after the test
    seen = {}
    with page.add_init_script(WATCH_COLOURS):
        page.goto(site_url + chapter_path(LANGUAGES[0], chapter).lstrip("/"))
        seen["opened"] = page.evaluate(PALETTE)
        page.locator(".md-header__option label:not([hidden])").click()
        switched(page)
        seen["clicked"] = page.evaluate(PALETTE)
        page.goto(site_url + chapter_path(LANGUAGES[1], chapter).lstrip("/"))
        seen["next page"] = page.evaluate(PALETTE)
        page.focus("#__palette_1")  # the palette shown; its toggle switches to the next one
        page.keyboard.press("Enter")
        switched(page)
        seen["enter"] = page.evaluate(PALETTE)
    with page.add_init_script(BLOCK_STORAGE):  # as a browser that refuses the site storage
        page.goto(site_url + chapter_path(LANGUAGES[0], chapter).lstrip("/"))
        blocked = [page.evaluate(PALETTE)]
        page.locator(".md-header__option label:not([hidden])").click()
        switched(page)
        blocked.append(page.evaluate(PALETTE))
    assert [(b["scheme"], b["toggles"], b["colorScheme"]) for b in blocked] == [
        ("default", ["__palette_1"], "light"), ("slate", ["__palette_0"], "dark")], f"storage blocked: {blocked}"
    expected = {  # scheme, the one toggle shown (it switches to the other palette), color-scheme
        "opened": ("default", ["__palette_1"], "light"),
        "clicked": ("slate", ["__palette_0"], "dark"),
        "next page": ("slate", ["__palette_0"], "dark"),
        "enter": ("default", ["__palette_1"], "light"),
    }
    for when, got in seen.items():
        assert (got["scheme"], got["toggles"], got["colorScheme"]) == expected[when], (when, got)
        assert got["themeColor"] == got["header"] and not got["switching"], (when, got)
    assert seen["enter"]["focused"] == "__palette_0", seen["enter"]
    for when in ("opened", "next page"):
        changes = seen[when]["changes"]
        assert changes, f"{when}: the palette was not set"
        late = [c["what"] for c in changes if c["parsed"] or "switching" in c["what"]]
        assert not late, f"{when}: colours changed after the chapter was parsed, or switched: {late}"


def test_the_book_works_under_its_hosted_sub_path(built_site, tabs, tmp_path_factory):
    """GitHub Pages serves the book under /<repository>/ (site_url): pages, assets, search, links."""
    from tests.browser import serve

    sub = urlsplit(SITE_URL).path.strip("/")
    root = tmp_path_factory.mktemp("pages")
    (root / sub).symlink_to(built_site.path, target_is_directory=True)
    with serve(root) as url:
        base = url + sub + "/"
        page = tabs[1280]
        failed: list[str] = []
        note = lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}")  # noqa: E731
        page.on("response", note)
        try:
            for path in ("", "step05/", "notebooks/step06/", "en/", "en/step05/"):
                page.goto(base + path)
                use_search(page)
            results = search(page, "chain rule")
            assert results and results[0]["path"] == f"/{sub}/en/step05/", results[:3]
            page.click("a.md-search-result__link >> nth=0")
            page.wait_for_url(base + "en/step05/**")
            page.goto(base + "step04/")
            page.click(f'a[href$="step05/"] >> text=5단계')
            assert page.url.startswith(base + "step05/")
        finally:
            page.remove_listener("response", note)
    assert not failed, "\n".join(failed)
