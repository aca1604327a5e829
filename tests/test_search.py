"""Search, in both languages: each language's own index, holding prose (no math, figures or
interface text), Korean words split from their particles; in the browser, queries find the right
chapter, results show clean prose and highlight on the page they open, and the index is fetched
only when search is used. (Split from test_browser.py, whose fixtures and helpers it shares, so
that pytest-xdist can run the two files at once.)
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest

from tests.browser import LANGUAGES, HANGUL, counterpart, language_of, search, use_search
from tests.test_browser import (  # noqa: F401  (site and pages are fixtures)
    ROOT, SETTLE, built_page, chapter_path, first_chapter, lang_root, pages, site,
)

import search as search_hook  # noqa: E402  (hooks/search.py; pyproject's pythonpath has hooks/)

# Query -> the chapters that may come first: where the term is the subject of the chapter or of
# one of its sections (checked against the built index). 역전파 is in the titles of steps 5-7.
# 계산 그래프 / computational graph is introduced in step 2; step 5's section 5.3 ("계산 그래프로 본
# 순전파와 역전파", "Forward and backward on the computational graph") has it in its title.
QUERIES = {
    "ko": {
        "역전파": {"step05", "step06", "step07"},
        "순전파": {"step05"},
        "수치 미분": {"step04"},
        "중앙 차분": {"step04"},
        "연쇄 법칙": {"step05"},
        "계산 그래프": {"step02", "step05"},
        "창조자": {"step07"},
        "재귀": {"step08"},
        "as_array": {"step09"},
        "단위 테스트": {"step10"},
        "테스트": {"step10"},
        "기울기 확인": {"step04", "step10"},
        "unittest": {"step10"},
    },
    "en": {
        "backpropagation": {"step05", "step06", "step07"},
        "forward propagation": {"step05"},
        "numerical differentiation": {"step04"},
        "centered difference": {"step04"},
        "chain rule": {"step05"},
        "computational graph": {"step02", "step05"},
        "creator": {"step07"},
        "recursion": {"step08"},
        "as_array": {"step09"},
        "unit test": {"step10"},
        "unittest": {"step10"},
        "gradient check": {"step04", "step10"},
    },
}


# --- the search indexes -------------------------------------------------------------------------


def _index(site: Path, lang: str) -> dict:
    return json.loads((site / lang_root(lang).lstrip("/") / "search" / "search_index.json").read_text("utf8"))


def test_each_language_has_its_own_search_index(site, pages):
    for lang in LANGUAGES:
        index = _index(site, lang)
        assert index["config"]["lang"] == [lang]
        # locations are relative to the language's root: "step04/", "" for its home page
        locations = {d["location"].split("#")[0] for d in index["docs"]}
        built = {counterpart(p, LANGUAGES[0]) for p in pages if language_of(p) == lang}
        written = {"" if f.name.startswith("index.") else f.name.split(".")[0] + "/"
                   for f in (ROOT / "docs").glob(f"*.{lang}.md")}
        assert locations <= built, f"{lang}: the index has pages not built in {lang}: {sorted(locations - built)}"
        assert written <= locations, f"{lang}: pages missing from the index: {sorted(written - locations)}"
        titles = [d["title"] for d in index["docs"]]
        stray = [t for t in titles if (lang == "ko") != bool(HANGUL.search(t))]
        assert len(stray) <= len(titles) // 10, f"{lang} index has titles in the other language: {stray}"


def test_every_page_searches_from_its_language_root(pages):
    """Material loads `search/search_index.json` and resolves results against `__config.base`."""
    for path, tree in pages.items():
        config = json.loads(tree.find("script", id="__config").text())
        base = urljoin(urljoin("https://x.invalid/", path), config["base"])
        base = base if base.endswith("/") else base + "/"  # as the browser does with the site root
        assert urlsplit(base).path == lang_root(language_of(path)), (path, config["base"])


def test_math_and_figures_are_kept_out_of_the_index(site, pages):
    for lang in LANGUAGES:
        for doc in _index(site, lang)["docs"]:
            text = doc["title"] + doc["text"]
            assert not re.search(r"<math|<svg|\\\(|\\\[|\\frac|\\lim|alttext", text), (lang, doc["location"], text[:300])
    for path, tree in pages.items():
        article = tree.find("article")
        drawn = (article.find_all("svg") + article.find_all("math")) if article else []
        for el in drawn:
            node, excluded = el, False
            while node is not None and not excluded:
                excluded, node = "data-search-exclude" in node.attrs, node.parent
            assert excluded, f"/{path}: <{el.tag}> without data-search-exclude"


def test_korean_words_are_split_from_their_particles():
    split = search_hook.split_word
    assert split("역전파를") == ["역전파", "를"]
    assert split("창조자라고") == ["창조자", "라고"]
    assert split("계산하는") == ["계산", "하는"]
    assert split("변수들의") == ["변수", "들", "의"]
    assert split("정도") == ["정도"] and split("재귀") == ["재귀"]
    zw = search_hook.ZWSP
    assert search_hook.segment("<p>역전파를 <code>x.grad</code>는</p>") == f"<p>역전파{zw}를 <code>x.grad</code>는</p>"
    infix = search_hook.infixes("오차역전파법을 보자").split()
    assert "역전파법" in infix and "오차역전파법을" in infix
    assert re.split(search_hook.SEPARATOR, f"(역전파){zw}를") == ["", "역전파", "를"]


@pytest.fixture(scope="module")
def search_pages(site, site_url, chromium):
    """One open page per language with the search index loaded, reused by the search tests."""
    context = chromium.new_context()
    opened = {}
    for lang in LANGUAGES:
        page = context.new_page()
        page.goto(site_url + lang_root(lang).lstrip("/"))
        opened[lang] = page
    yield opened
    context.close()


@pytest.mark.parametrize(
    "lang, query, chapters",
    [(lang, q, c) for lang, queries in QUERIES.items() for q, c in queries.items()],
    ids=[f"{lang}-{q}" for lang, queries in QUERIES.items() for q in queries],
)
def test_search_finds_the_chapter_in_the_page_language(site, search_pages, lang, query, chapters):
    expected = {chapter_path(lang, c) for c in chapters if built_page(site, chapter_path(lang, c)).exists()}
    assert expected, f"{sorted(chapters)} are not built in {lang}"
    results = search(search_pages[lang], query)
    paths = [r["path"] for r in results]
    assert paths, f"{query!r}: no results"
    assert paths[0] in expected, f"{query!r}: first result {paths[0]}, expected one of {sorted(expected)}; all: {paths}"
    wrong = [p for p in paths if language_of(p.lstrip("/")) != lang]
    assert not wrong, f"{query!r} on a {lang} page found pages of the other language: {wrong}"
    missing = [p for p in paths if not built_page(site, p).exists()]
    assert not missing, f"{query!r}: results that lead nowhere: {missing}"


def test_korean_search_finds_words_with_their_particles(search_pages):
    results = search(search_pages["ko"], "창조자")
    text = " ".join(r["text"] for r in results)
    assert re.search(r"창조자(를|가|는|라고|입니다)", text), text[:500]


def test_korean_query_typed_with_a_particle_still_finds_it(search_pages):
    results = search(search_pages["ko"], "역전파를")
    assert results and all(language_of(r["path"].lstrip("/")) == "ko" for r in results)


def _button_labels(pages, lang: str) -> set[str]:
    """The labels of the buttons (notebook download and view) on the built chapters of `lang`."""
    labels = set()
    for path, tree in pages.items():
        if language_of(path) == lang and re.search(r"(^|/)step\d\d/$", path) and "notebooks/" not in path:
            labels |= {" ".join(el.text().split()) for el in tree.find("article").find_all(cls="md-button")}
    return labels - {""}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_search_index_holds_prose_not_interface_text(site, pages, lang):
    labels = _button_labels(pages, lang)
    assert labels, f"{lang}: found no buttons on the chapters"
    unmarked = [f"/{path}: {el.text()!r}" for path, tree in pages.items() if language_of(path) == lang
                for el in (tree.find("article") or tree).find_all("span", "filename")
                if "data-search-exclude" not in el.attrs]
    assert not unmarked, f"{lang}: code and output titles indexed for search: {unmarked[:5]}"
    index = _index(site, lang)
    strip = lambda t: re.sub(r"<[^>]+>", " ", t).replace(search_hook.ZWSP, "")  # noqa: E731
    found = sorted({label for d in index["docs"] for label in labels if label in strip(d["text"])})
    assert not found, f"{lang}: interface text in the search index: {found}"
    titles = [d["title"] for d in index["docs"] if re.search(r"[\u200b-\u200d\u2060\ufeff]", d["title"])]
    assert not titles, f"{lang}: titles with zero-width characters: {titles[:5]}"


_RAW_RESULTS = """() => [...document.querySelectorAll('.md-search-result__item')].map(li => ({
  links: [...li.querySelectorAll('a.md-search-result__link')].map(a => a.href),
  titles: [...li.querySelectorAll('h1, h2')].map(h => h.textContent),
  text: li.textContent,
}))"""


@pytest.mark.parametrize("lang", LANGUAGES)
def test_search_results_show_prose_with_clean_titles_and_highlighting_links(
    site, pages, search_pages, tabs, lang
):
    page = search_pages[lang]
    query = {"ko": "역전파", "en": "backpropagation"}[lang]
    search(page, query)
    items = page.evaluate(_RAW_RESULTS)
    assert len(items) >= 3, items
    text = " ".join(i["text"] for i in items)
    shown = [label for label in _button_labels(pages, lang) if label in text]
    assert not shown, f"{lang}: results show interface text {shown}"
    titles = [t for i in items for t in i["titles"]]
    assert titles and not [t for t in titles if re.search(r"[\u200b-\u200d\u2060\ufeff]", t)], titles
    empty = [link for i in items for link in i["links"] if "h=" in link and not parse_qs(urlsplit(link).query).get("h")]
    assert not empty, f"{lang}: result links with an empty ?h=: {empty[:3]}"
    # a page-level link (no #section) highlights the query on the page it opens
    top = next(link for i in items for link in i["links"][:1] if "#" not in link)
    assert parse_qs(urlsplit(top).query)["h"][0].lower().startswith(query[:3].lower()), top
    opened = tabs[1280]
    opened.goto(top)
    marks = opened.locator("article mark[data-md-highlight]")
    opened.wait_for_function("() => document.querySelector('article mark[data-md-highlight]')", polling=20)
    assert query[:3].lower() in marks.first.text_content().lower()


# Runs before the page's own scripts: records Material's request for the search index (`open`)
# and whether it was really sent (`send` reached the browser's own XMLHttpRequest).
WATCH_INDEX_REQUEST = """(() => {
  const X = XMLHttpRequest.prototype, open = X.open, send = X.send
  window.dzIndexRequest = {opened: false, sent: false}
  const isIndex = url => /\\/search\\/search_index\\.json$/.test(new URL(url, location.href).pathname)
  X.open = function (method, url) {
    this.dzWatched = isIndex(url)
    if (this.dzWatched) window.dzIndexRequest.opened = true
    return open.apply(this, arguments)
  }
  X.send = function () {
    if (this.dzWatched) window.dzIndexRequest.sent = true
    return send.apply(this, arguments)
  }
})()"""


def test_the_search_index_and_worker_are_loaded_only_when_search_is_used(site, site_url, tabs):
    """The index (the largest file a page could load) is fetched, and Material's search worker
    (lunr, in a thread of its own) started, when the reader turns to search, not as a page opens
    (hooks/search.py, LAZY_INDEX)."""
    chapter = first_chapter(site, "step04", "step05", "step01")
    page = tabs[1280]
    fetched: list[str] = []
    workers: list[str] = []
    note = lambda r: "search_index" in r.url and fetched.append(r.url)  # noqa: E731
    started = lambda w: workers.append(w.url)  # noqa: E731
    page.on("request", note)
    page.on("worker", started)
    try:
        # the watch runs before the page's scripts, on this test's pages only (removed on leaving)
        with page.add_init_script(WATCH_INDEX_REQUEST):
            for lang in LANGUAGES:
                fetched.clear()
                workers.clear()
                page.goto(site_url + chapter_path(lang, chapter).lstrip("/"))
                # Material asks for the index as the page opens: once it has, and a task later, the
                # request would be out if nothing held it back (sent from the page, seen by the browser)
                page.wait_for_function("window.dzIndexRequest.opened", timeout=10_000, polling=20)
                sent = page.evaluate("new Promise(done => setTimeout(() => done(window.dzIndexRequest.sent), 0))")
                page.evaluate(SETTLE)
                assert not sent and not fetched, f"{lang}: the index was fetched before search was used: {fetched}"
                assert not workers, f"{lang}: a worker started before search was used: {workers}"
                use_search(page)  # returns once the worker has answered: it runs
                assert fetched == [urljoin(site_url, lang_root(lang).lstrip("/") + "search/search_index.json")], fetched
                assert len(workers) == 1 and re.search(r"/assets/javascripts/workers/search\.\w+\.min\.js$", workers[0]), workers
    finally:
        page.remove_listener("request", note)
        page.remove_listener("worker", started)
