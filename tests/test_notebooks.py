"""Every chapter is also a Jupyter notebook (hooks/notebooks.py), and running it gives the book's outputs.

The notebooks are derived from the pages, run top to bottom in fresh Jupyter kernels with
nbclient (with errors stopping the run, as Jupyter's "Run All" does, except in cells tagged
`raises-exception`), and each code cell's output is compared with the page's output block.
Then the built site: downloads, links from the chapters, rendered pages with real outputs and
nothing loaded from outside the site.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import nbformat
import pytest

import blocks
import notebooks

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CHAPTERS = sorted(p for p in DOCS.glob("step*.md") if notebooks.CHAPTER.match(p.name))
FENCE = "`" * 3  # sample pages below are built with this, so no fence sits in a docstring
LABELS = {"ko": ("노트북 받기", "실행된 노트북 보기"), "en": ("Download notebook", "View the executed notebook")}


def _lang(page: Path) -> str:
    return notebooks.CHAPTER.match(page.name).group("lang")


def _stem(page: Path) -> str:
    return notebooks.CHAPTER.match(page.name).group("stem")


def _ids(pages):
    return [p.name for p in pages]


# --- deriving ---------------------------------------------------------------------------------


def test_there_are_chapters():
    assert CHAPTERS, "no docs/stepNN.<lang>.md found"


@pytest.mark.parametrize("page", CHAPTERS, ids=_ids(CHAPTERS))
def test_one_code_cell_per_python_block_in_order(page):
    nb = notebooks.derive_notebook_from_file(page)
    parsed = blocks.read_page(page)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert code == [b.code.rstrip("\n") for b in parsed.python_blocks]
    for cell in nb.cells:
        # output blocks are not cells (running the notebook prints them), and no fence of them is left
        assert 'title="실행 결과"' not in cell.source and 'title="Output"' not in cell.source
        assert "dezero-graph" not in cell.source and "dezero-plot" not in cell.source
    nbformat.validate(nb)


@pytest.mark.parametrize("page", CHAPTERS, ids=_ids(CHAPTERS))
def test_the_notebook_keeps_the_prose_and_math(page):
    nb = notebooks.derive_notebook_from_file(page)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    text = page.read_text("utf8")
    title = next(line for line in text.split("\n") if line.startswith("# "))
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith(title)
    for tex in re.findall(r"(?<!\$)\$([^$\n]+)\$(?!\$)", text):
        assert f"${tex}$" in markdown
    for line in text.split("\n"):
        if line.startswith("## "):
            assert line in markdown.split("\n")


def test_raising_blocks_are_tagged_so_run_all_goes_on():
    page = blocks.read_page(DOCS / "step01.ko.md")
    nb = notebooks.derive_notebook_from_file(DOCS / "step01.ko.md")
    code = [c for c in nb.cells if c.cell_type == "code"]
    for block, cell in zip(page.python_blocks, code):
        raises = block.output is not None and blocks.normalize(block.output.code)[-1].startswith("TypeError:")
        assert ("raises-exception" in cell.metadata.get("tags", [])) == raises
    assert any("raises-exception" in c.metadata.get("tags", []) for c in code)


SAMPLE = f"""# 9단계 예시

본문 $x^2$ 과 [용어](glossary.md#term), [다음](step10.md), [밖](https://example.org/).

{FENCE}python
import numpy as np
print(1)
{FENCE}

{FENCE}text title="실행 결과"
1
{FENCE}

!!! note "알아 두기"

    첫 문단.

    둘째 문단.

{FENCE}{{.dezero-graph caption="그림 9-1. 예시"}}
y = x
{FENCE}

=== "탭 하나"

    탭 본문.

{FENCE}text
그냥 글
# 제목 아님
{FENCE}

??? example "9단계 전체 코드"

    {FENCE}{{.python .standalone title="step09.py"}}
    print(2)
    {FENCE}

    {FENCE}text title="실행 결과"
    2
    {FENCE}
"""


def test_containers_figures_and_links_in_a_sample_page():
    nb = notebooks.derive_notebook(SAMPLE, "ko", "https://book.example/sub/", "step09.md")
    cells = [(c.cell_type, c.source) for c in nb.cells]
    assert [s for t, s in cells if t == "code"] == ["import numpy as np\nprint(1)", "print(2)"]
    md = "\n\n".join(s for t, s in cells if t == "markdown")
    assert "$x^2$" in md
    assert "[용어](https://book.example/sub/glossary/#term)" in md
    assert "[다음](https://book.example/sub/step10/)" in md
    assert "[밖](https://example.org/)" in md
    assert "> **알아 두기**\n>\n> 첫 문단.\n>\n> 둘째 문단." in md  # admonition: a quote with a bold title
    assert "*그림 9-1. 예시* ([그림은 책 페이지에서 볼 수 있습니다](https://book.example/sub/step09/))" in md
    assert "**탭 하나**\n\n탭 본문." in md
    assert f"{FENCE}text\n그냥 글\n# 제목 아님\n{FENCE}" in md  # a text fence stays, its '#' line is no heading
    assert "## 9단계 전체 코드" in md
    assert [s for t, s in cells].index("## 9단계 전체 코드") + 1 == [s for t, s in cells].index("print(2)")
    assert "실행 결과" not in md and "y = x" not in md

    en = notebooks.derive_notebook(SAMPLE.replace("실행 결과", "Output"), "en", "https://book.example/sub/")
    assert "(https://book.example/sub/en/glossary/#term)" in "".join(c.source for c in en.cells)


# --- running (the proof that "paste into a notebook" works) ------------------------------------


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Every chapter's notebook run in its own fresh kernel, several at once: page -> (nb, error)."""
    work = tmp_path_factory.mktemp("kernels")
    nbs = {page: notebooks.derive_notebook_from_file(page) for page in CHAPTERS}
    # allow_errors=False: an error stops the notebook unless its cell is tagged raises-exception.
    # The runs happen in a thread of their own (with its own event loop), several at once.
    futures = notebooks.execute_in_background(nbs, ROOT, work, allow_errors=False)
    return {page: (nbs[page], futures[page].exception()) for page in nbs}


def _shown(cell) -> list[str]:
    """What the cell printed, then the exception's last line as Python prints it."""
    lines = blocks.normalize("".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout"))
    for o in cell.outputs:
        if o.output_type == "error":
            lines.append(f"{o.ename}: {o.evalue}" if o.evalue else o.ename)
    return lines


@pytest.mark.parametrize("page", CHAPTERS, ids=_ids(CHAPTERS))
def test_running_the_notebook_prints_what_the_page_shows(runs, page):
    nb, error = runs[page]
    assert error is None, f"{page.name}: the notebook stopped: {error}"
    parsed = blocks.read_page(page)
    code = [c for c in nb.cells if c.cell_type == "code"]
    problems = []
    for block, cell in zip(parsed.python_blocks, code, strict=True):
        where = f"{page.name}:{block.line}"
        expected = blocks.normalize(block.output.code) if block.output is not None else []
        actual = _shown(cell)
        if actual != expected:
            problems.append(f"{where}: expected {expected!r}, the notebook shows {actual!r}")
        if sum(o.output_type == "stream" for o in cell.outputs) > 1:  # nbconvert would show them apart
            problems.append(f"{where}: the prints came out as several outputs")
        others = [o.output_type for o in cell.outputs if o.output_type not in ("stream", "error")]
        others += [f"stream {o.name}" for o in cell.outputs if o.output_type == "stream" and o.name != "stdout"]
        if others:  # a displayed value, a warning on stderr, ...
            problems.append(f"{where}: the cell also shows {others}")
    assert not problems, "\n".join(problems)


# --- the built site ----------------------------------------------------------------------------


def _site_page(site: Path, lang: str, path: str) -> Path:
    return site / ("" if lang == notebooks.DEFAULT_LANGUAGE else f"{lang}/") / path


def _resolve(site: Path, page_file: Path, href: str) -> Path:
    """The file a relative link on a built page points at."""
    assert not urlsplit(href).scheme and not href.startswith("/"), f"not a relative link: {href}"
    base = "/" + page_file.relative_to(site).as_posix()
    target = urlsplit(urljoin(base, href)).path.lstrip("/")
    path = site / target
    return path / "index.html" if target.endswith("/") or not target else path


def _text(page_html: str) -> str:
    page_html = re.sub(r"<(script|style)\b.*?</\1>", " ", page_html, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", page_html))


@pytest.fixture(scope="module")
def site(built_site):
    if built_site.returncode != 0:
        pytest.fail("the site did not build:\n" + built_site.log[-3000:], pytrace=False)
    return built_site.path


@pytest.mark.parametrize("page", CHAPTERS, ids=_ids(CHAPTERS))
def test_the_notebook_is_offered_for_download(site, page):
    lang, stem = _lang(page), _stem(page)
    ipynb = _site_page(site, lang, f"notebooks/{stem}.{lang}.ipynb")
    assert ipynb.is_file()
    nb = nbformat.reads(ipynb.read_text("utf8"), as_version=4)
    nbformat.validate(nb)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert code == [b.code.rstrip("\n") for b in blocks.read_page(page).python_blocks]
    assert all(not c.outputs for c in nb.cells if c.cell_type == "code")  # the reader runs it


@pytest.mark.parametrize("page", CHAPTERS, ids=_ids(CHAPTERS))
def test_the_chapter_links_to_its_notebooks(site, page):
    lang, stem = _lang(page), _stem(page)
    chapter = _site_page(site, lang, f"{stem}/index.html")
    text = chapter.read_text("utf8")
    download, view = LABELS[lang]
    m = re.search(r'<a class="md-button" download="([^"]+)" href="([^"]+)">' + re.escape(download) + "</a>", text)
    assert m, f"no '{download}' link on {chapter}"
    assert m.group(1) == f"{stem}.{lang}.ipynb"
    assert _resolve(site, chapter, m.group(2)) == _site_page(site, lang, f"notebooks/{stem}.{lang}.ipynb")
    m = re.search(r'<a class="md-button" href="([^"]+)">' + re.escape(view) + "</a>", text)
    assert m, f"no '{view}' link on {chapter}"
    assert _resolve(site, chapter, m.group(1)) == _site_page(site, lang, f"notebooks/{stem}/index.html")


@pytest.mark.parametrize("page", CHAPTERS, ids=_ids(CHAPTERS))
def test_the_rendered_notebook_shows_real_outputs(site, page):
    lang, stem = _lang(page), _stem(page)
    rendered = _site_page(site, lang, f"notebooks/{stem}/index.html")
    text = rendered.read_text("utf8")
    assert re.search(rf'<html lang="{lang}"', text)
    assert "jp-Notebook" in text
    shown = _text(text)
    for block in blocks.read_page(page).python_blocks:
        for line in blocks.normalize(block.output.code) if block.output is not None else []:
            assert line.strip() in shown, f"{rendered}: output line {line!r} (block at line {block.line}) missing"
    # links back to the chapter and to the download
    banner = re.search(r'class="admonition info notebook-banner">(.*?)</div>', text, re.S)
    assert banner, f"{rendered}: no banner"
    hrefs = re.findall(r'href="([^"#:]+)"', banner.group(1))
    targets = {_resolve(site, rendered, h) for h in hrefs}
    assert _site_page(site, lang, f"{stem}/index.html") in targets
    assert _site_page(site, lang, f"notebooks/{stem}.{lang}.ipynb") in targets


def test_step_6_notebook_has_the_gradient(site):
    for lang in ("ko", "en"):
        page = _site_page(site, lang, "notebooks/step06/index.html")
        if page.exists():
            assert "3.297442541400256" in _text(page.read_text("utf8"))


_LOADS = re.compile(
    r"<(?:script|img|iframe|source|audio|video|embed)\b[^>]*\bsrc=[\"']?(?P<src>[^\"' >]+)"
    r"|<link\b[^>]*\bhref=[\"']?(?P<href>[^\"' >]+)"
    r"|url\(\s*[\"']?(?P<url>https?:[^\"')]+)"
    r"|import\(\s*[\"'](?P<import>https?:[^\"']+)",
    re.I,
)


def _third_party(page_html: str, own: str) -> list[str]:
    found = []
    for m in _LOADS.finditer(page_html):
        url = next(v for v in m.groupdict().values() if v)
        if re.match(r"^(https?:)?//", url, re.I) and not url.startswith(own):
            if m.group("href") and re.search(r'rel="?canonical', m.group(0)):
                continue  # a canonical link is not a request
            found.append(url)
    return found


@pytest.mark.parametrize("page", CHAPTERS, ids=_ids(CHAPTERS))
def test_the_rendered_notebook_loads_nothing_from_outside(site, page):
    lang, stem = _lang(page), _stem(page)
    rendered = _site_page(site, lang, f"notebooks/{stem}/index.html")
    text = rendered.read_text("utf8")
    assert not _third_party(text, "\0"), _third_party(text, "\0")
    assert "mathjax" not in text.lower() and "cdnjs" not in text and "require.js" not in text
    # the notebook's styles are one shared file on the site, checked the same way
    for href in re.findall(r'<link rel="stylesheet" href="([^"]*notebook[^"]*\.css)"', text):
        css = _resolve(site, rendered, href)
        assert css.is_file()
        assert not re.findall(r"url\(\s*[\"']?https?:", css.read_text("utf8"))


@pytest.mark.parametrize("page", CHAPTERS, ids=_ids(CHAPTERS))
def test_the_rendered_notebook_shows_math_as_mathml(site, page):
    text = _site_page(site, _lang(page), f"notebooks/{_stem(page)}/index.html").read_text("utf8")
    if "$" in "".join(c.source for c in notebooks.derive_notebook_from_file(page).cells if c.cell_type == "markdown"):
        assert "<math" in text
    shown = _text(re.sub(r"<math\b.*?</math>", "", text, flags=re.S))
    assert "\\frac" not in shown and "$$" not in shown


def test_notebook_pages_are_not_in_search_and_not_in_the_nav(site, built_site):
    for index in site.rglob("search_index.json"):
        docs = json.loads(index.read_text("utf8"))["docs"]
        assert not [d["location"] for d in docs if "notebooks/" in d["location"]]
    nav = (site / "index.html").read_text("utf8").split('class="md-nav', 1)[1].split("</nav>", 1)[0]
    assert "notebooks/" not in nav
    assert "notebooks" not in "\n".join(l for l in built_site.log.splitlines() if "WARNING" in l)
