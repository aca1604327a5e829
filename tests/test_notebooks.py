"""Every chapter is also a Jupyter notebook (hooks/notebooks.py and hooks/nb_*.py).

Deriving: one code cell per Python block, the prose and math kept, a first cell that installs
`dezero` where it is missing, exercises' answers collapsed after a marker, figures attached.
Running: cells that show an exception are tagged from a real run (any exception), kernels are
the build's interpreter, the cache of runs is never stale. The built site: the pages show the
outputs the build produced, exactly as the chapter does, with one downloaded notebook run again
in a fresh kernel; interface text in the page's language, prev/next, full-width cells on a
phone, and the page's weight.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import base64
import gzip
import html
import json
import os
import re
import subprocess
import sys
import time
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import nbformat
import pytest

import blocks
import nb_annotate
import nb_derive
import nb_execute
import nb_render

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CHAPTERS = sorted(p for p in DOCS.glob("step*.md") if nb_derive.CHAPTER.match(p.name))
FENCE = "`" * 3  # sample pages below are built with this, so no fence sits in a docstring
LABELS = {"ko": ("노트북 받기", "실행된 노트북 보기"), "en": ("Download notebook", "View the executed notebook")}
REPOSITORY = tomllib.loads((ROOT / "pyproject.toml").read_text("utf8"))["project"]["urls"]["Repository"]
NOTEBOOK_PAGE_BUDGET = 140 * 1024  # bytes, gzipped, the page with everything it loads (issue 11)


def _lang(page: Path) -> str:
    return nb_derive.CHAPTER.match(page.name).group("lang")


def _stem(page: Path) -> str:
    return nb_derive.CHAPTER.match(page.name).group("stem")


def _ids(pages):
    return [p.name for p in pages]


def _derive(page: Path) -> nbformat.NotebookNode:
    return nb_derive.derive_notebook_from_file(page, "https://book.example/", REPOSITORY)


def _run(nb, work, **options):
    # in a thread of its own: a session's Playwright browser keeps an event loop running here
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, nb_execute.execute_notebook(nb, ROOT, work, **options)).result()


def _shown(cell) -> list[str]:
    """What a code cell shows: what it printed, then the exception's last line as Python prints it."""
    return blocks.normalize(nb_render.shown_text(cell))


def _expected(block: blocks.Block) -> list[str]:
    return blocks.normalize(block.output.code) if block.output is not None else []


# --- deriving ---------------------------------------------------------------------------------


def test_there_are_chapters():
    assert CHAPTERS, "no docs/stepNN.<lang>.md found"


@pytest.mark.parametrize("page", CHAPTERS, ids=_ids(CHAPTERS))
def test_one_code_cell_per_python_block_in_order(page):
    nb = _derive(page)
    parsed = blocks.read_page(page)
    code = [c.source for c in nb_annotate.chapter_cells(nb)]
    assert code == [b.code.rstrip("\n") for b in parsed.python_blocks]
    for cell in nb.cells:
        # output blocks are not cells (running the notebook prints them), and no fence of them is left
        assert 'title="실행 결과"' not in cell.source and 'title="Output"' not in cell.source
        assert "dezero-graph" not in cell.source and "dezero-plot" not in cell.source
    nbformat.validate(nb)


@pytest.mark.parametrize("page", CHAPTERS, ids=_ids(CHAPTERS))
def test_the_notebook_keeps_the_prose_and_math(page):
    nb = _derive(page)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    text = page.read_text("utf8")
    title = next(line for line in text.split("\n") if line.startswith("# "))
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith(title)
    for tex in re.findall(r"(?<!\$)\$([^$\n]+)\$(?!\$)", text):
        assert f"${tex}$" in markdown
    for line in text.split("\n"):
        m = re.match(r"^(## .*?)\s*(?:\{#(?P<id>[\w-]+)\})?\s*$", line)
        if m:  # Jupyter shows no `{#id}`: the heading keeps its id as an anchor
            heading = m.group(1) + (f' <a id="{m.group("id")}"></a>' if m.group("id") else "")
            assert heading in markdown.split("\n")
    assert "{#" not in markdown


SAMPLE = f"""# 9단계 예시

도입 문단 $x^2$ 과 [용어](glossary.md#term), [다음](step10.md), [밖](https://example.org/).

## 9.1 첫 절 {{#first}}

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

## 연습 문제 {{#exercises}}

1. 무엇이 출력될지 먼저 예측해 보세요.

    {FENCE}python
    print(2 + 2)
    {FENCE}

    {FENCE}text title="실행 결과"
    4
    {FENCE}

    ??? success "풀이"

        $2 + 2 = 4$ 입니다.

        {FENCE}python
        print(4)
        {FENCE}

        {FENCE}text title="실행 결과"
        4
        {FENCE}

2. 자기 점검: 왜일까요?

    ??? success "풀이"

        설명 한 줄.

끝맺는 문단.
"""


def test_containers_figures_and_links_in_a_sample_page():
    nb = nb_derive.derive_notebook(SAMPLE, "ko", "https://book.example/sub/", "step09.md")
    cells = [(c.cell_type, c.source) for c in nb.cells]
    assert [s for t, s in cells if t == "code"] == ["import numpy as np\nprint(1)", "print(2)", "print(2 + 2)", "print(4)"]
    md = "\n\n".join(s for t, s in cells if t == "markdown")
    assert "$x^2$" in md
    assert "[용어](https://book.example/sub/glossary/#term)" in md
    assert "[다음](https://book.example/sub/step10/)" in md
    assert "[밖](https://example.org/)" in md
    assert '## 9.1 첫 절 <a id="first"></a>' in md
    assert "> **알아 두기**\n>\n> 첫 문단.\n>\n> 둘째 문단." in md  # admonition: a quote with a bold title
    assert "*그림 9-1. 예시* ([그림은 책 페이지에서 볼 수 있습니다](https://book.example/sub/step09/))" in md
    assert "**탭 하나**\n\n탭 본문." in md
    assert f"{FENCE}text\n그냥 글\n# 제목 아님\n{FENCE}" in md  # a text fence stays, its '#' line is no heading
    assert "## 9단계 전체 코드" in md
    assert [s for t, s in cells].index("## 9단계 전체 코드") + 1 == [s for t, s in cells].index("print(2)")
    assert "실행 결과" not in md and "y = x" not in md

    en = nb_derive.derive_notebook(SAMPLE.replace("실행 결과", "Output"), "en", "https://book.example/sub/")
    assert "(https://book.example/sub/en/glossary/#term)" in "".join(c.source for c in en.cells)


def _hidden(cell) -> bool:
    meta = cell.metadata.get("jupyter", {})
    return bool(meta.get("source_hidden")) and "solution" in cell.metadata.get("tags", [])


def test_answers_come_after_a_marker_collapsed():
    nb = nb_derive.derive_notebook(SAMPLE, "ko", "https://book.example/", "step09.md")
    cells = nb.cells
    markers = [n for n, c in enumerate(cells) if c.cell_type == "markdown" and c.source.startswith("**풀이**")]
    assert len(markers) == 2, [c.source for c in cells]
    # the first answer: its prose and its code, hidden (code outputs too), right after the marker
    first = cells[markers[0] + 1:markers[1]]
    assert [c.cell_type for c in first] == ["markdown", "code", "markdown"]
    assert first[0].source == "$2 + 2 = 4$ 입니다." and _hidden(first[0])
    assert first[1].source == "print(4)" and _hidden(first[1])
    assert first[1].metadata["jupyter"]["outputs_hidden"] is True
    assert not _hidden(first[2]) and first[2].source.startswith("2. 자기 점검")  # the next question shows
    second = cells[markers[1] + 1:]
    assert second[0].source == "설명 한 줄." and _hidden(second[0])
    assert second[1].source == "끝맺는 문단." and not _hidden(second[1])
    # nothing else is hidden: the question's own code shows
    question = next(c for c in cells if c.source == "print(2 + 2)")
    assert not _hidden(question) and "jupyter" not in question.metadata
    assert sum(_hidden(c) for c in cells) == 3
    nbformat.validate(nb)
    # on the notebook's page, each answer is a collapsed admonition holding exactly its cells
    page = nb_render.page_markdown(nb, "ko", "step09", {})
    answers = re.findall(r'^\?\?\? success "풀이"\n\n((?:    .*\n|\n)*)', page, re.M)
    assert len(answers) == 2
    assert "    $2 + 2 = 4$ 입니다." in answers[0] and "    print(4)" in answers[0]
    assert "자기 점검" not in answers[0] and "설명 한 줄." in answers[1] and "끝맺는" not in answers[1]


@pytest.mark.parametrize("page", [p for p in CHAPTERS if '??? success' in p.read_text("utf8")] or [None],
                         ids=lambda p: p.name if p else "none")
def test_every_answer_of_a_chapter_is_collapsed_in_its_notebook(page):
    if page is None:
        pytest.skip("no chapter has exercises yet (the sample page above covers the notebook side)")
    parsed = blocks.read_page(page)
    nb = _derive(page)
    text = page.read_text("utf8")
    answers = len(re.findall(r'^\s*\?\?\? success ', text, re.M))
    assert sum(c.cell_type == "markdown" and c.get("id", "").startswith("solution-") for c in nb.cells) == answers
    # every code cell of an answer is hidden, every other code cell is not
    lines = text.split("\n")
    in_answer = []
    for block in parsed.python_blocks:
        opener = next((lines[k] for k in range(block.line - 2, -1, -1)
                       if lines[k].strip() and len(lines[k]) - len(lines[k].lstrip()) <
                       len(lines[block.line - 1]) - len(lines[block.line - 1].lstrip())), "")
        in_answer.append(opener.strip().startswith("??? success"))
    assert [_hidden(c) for c in nb_annotate.chapter_cells(nb)] == in_answer


# --- the cell that installs dezero ----------------------------------------------------------------


def test_the_first_cells_say_and_do_the_install(monkeypatch, tmp_path):
    nb = _derive(DOCS / "step01.ko.md")
    assert nb.cells[1].cell_type == "code" and nb.cells[1].id == nb_derive.SETUP_ID
    first = nb.cells[0].source
    assert REPOSITORY in first and "pip" in first and "dezero" in first  # the first Markdown cell says it
    source = nb.cells[1].source

    import importlib.util

    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append((a, k)))
    # dezero importable: nothing runs, and no name is left behind in the reader's session
    namespace = {"__name__": "__main__"}
    exec(source, namespace)
    assert calls == [] and set(namespace) <= {"__name__", "__builtins__"}
    # dezero missing: the kernel's own pip installs the repository's main branch
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    exec(source, {"__name__": "__main__"})
    assert len(calls) == 1
    (argv,), options = calls[0]
    assert argv[:4] == [sys.executable, "-m", "pip", "install"] and options.get("check") is True
    url = argv[-1]
    assert url == REPOSITORY.rstrip("/") + "/archive/refs/heads/main.zip"


def test_the_install_command_is_pips_and_names_an_installable_archive():
    """The cell's command, taken from its source, is the kernel's pip installing a direct archive
    URL (pip's own parser reads it so: no git needed); the archive GitHub serves for the branch
    holds the project in one top folder, and that project's one package is `dezero`. (No network:
    nothing is downloaded; building a wheel needs build tools this machine's venv lacks.)"""
    from pip._internal.req.constructors import install_req_from_line

    source = _derive(DOCS / "step01.ko.md").cells[1].source
    url = re.search(r'source = "([^"]+)"', source).group(1)
    argv_line = next(line for line in source.split("\n") if "subprocess.run" in line)
    args = [a.strip().strip('"') for a in re.search(r"\[(.*)\]", argv_line).group(1).split(",")]
    assert args == ["sys.executable", "-m", "pip", "install", "--quiet", "source"]
    requirement = install_req_from_line(url)
    assert requirement.is_direct and requirement.link.ext == ".zip" and not requirement.link.is_vcs
    assert requirement.link.url == REPOSITORY.rstrip("/") + "/archive/refs/heads/main.zip"
    # what the archive holds at its top folder: this repository's pyproject.toml and package
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf8"))
    assert config["project"]["urls"]["Repository"] == REPOSITORY
    assert config["tool"]["setuptools"]["packages"] == ["dezero"]
    assert (ROOT / "dezero" / "__init__.py").is_file()


# --- running ------------------------------------------------------------------------------------

RAISING = f"""# Raising on purpose

{FENCE}python
import warnings
it = iter([])
next(it)
{FENCE}

{FENCE}text title="Output"
StopIteration
{FENCE}

{FENCE}python
print("before")
raise KeyboardInterrupt("stopped by hand")
{FENCE}

{FENCE}text title="Output"
before
KeyboardInterrupt: stopped by hand
{FENCE}

{FENCE}python
class Halt(BaseException):
    pass

raise Halt("enough")
{FENCE}

{FENCE}text title="Output"
Halt: enough
{FENCE}

{FENCE}python
with warnings.catch_warnings():
    warnings.simplefilter("error")
    warnings.warn("careful", RuntimeWarning)
{FENCE}

{FENCE}text title="Output"
RuntimeWarning: careful
{FENCE}

{FENCE}python
print("ValueError: only printed, nothing raised")
{FENCE}

{FENCE}text title="Output"
ValueError: only printed, nothing raised
{FENCE}

{FENCE}python
print("after")
{FENCE}

{FENCE}text title="Output"
after
{FENCE}

{FENCE}python
print(1 / 0)
{FENCE}

{FENCE}text title="Output"
ZeroDivisionError: not the error the run raises
{FENCE}
"""


def test_cells_that_show_any_exception_are_tagged_from_the_run(tmp_path):
    """Tagged: a cell whose run raised the exception its output block ends in, whatever its name.
    Not tagged: a print that looks like an exception, and an error the page does not show (that
    one is reported, and stops "Run All" as it would in Jupyter)."""
    from nbclient.exceptions import CellExecutionError

    page = blocks.parse_page(RAISING)
    nb = nb_derive.derive_notebook(RAISING, "en")
    executed = _run(nbformat.from_dict(nb), tmp_path)
    last = page.python_blocks[-1].line
    assert nb_annotate.tag_raising_cells(nb, page, executed) == [f"line {last}: ZeroDivisionError: division by zero"]
    tagged = ["raises-exception" in c.metadata.get("tags", []) for c in nb_annotate.chapter_cells(nb)]
    assert tagged == [True, True, True, True, False, False, False]
    # with the tags, "Run All" goes on past every raising cell, and stops at the untagged error
    again = nbformat.from_dict(nb)
    with pytest.raises(CellExecutionError, match="ZeroDivisionError"):
        _run(again, tmp_path, allow_errors=False)
    shown = [_shown(c) for c in nb_annotate.chapter_cells(again)]
    assert shown[:-1] == [_expected(b) for b in page.python_blocks[:-1]]
    assert shown[-1] == ["ZeroDivisionError: division by zero"]


def test_kernels_are_the_builds_interpreter_and_read_no_profile_of_the_machine(tmp_path, monkeypatch):
    """Whatever kernelspec `python3` resolves to, the kernel is the build's interpreter; and a
    startup file in the user's IPython profile (it could change what cells show, which the cache
    cannot know) is not read."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": ["/usr/bin/env", "DEZERO_WRONG_KERNEL=1", sys.executable, "-m", "ipykernel_launcher",
                 "-f", "{connection_file}"],
        "display_name": "Another Python", "language": "python",
    }))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    # the machine's `python3` kernelspec is now another command
    assert KernelSpecManager().get_kernel_spec("python3").argv[0] == "/usr/bin/env"
    startup = tmp_path / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-numpy.py").write_text("import numpy\nnumpy.set_printoptions(precision=2)\nNOISE = 1\n")
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import os, sys\nprint(sys.executable)\nprint(os.environ.get('DEZERO_WRONG_KERNEL'))\n"
        "import numpy as np\nprint(np.array([1 / 3]))\nprint('NOISE' in globals())")])
    out = _shown(_run(nb, tmp_path).cells[0])
    assert out[:2] == [sys.executable, "None"], "not the build's interpreter"
    assert out[2:] == ["[0.33333333]", "False"], "the machine's IPython profile was read"


def test_the_cache_serves_a_run_only_for_the_same_inputs(tmp_path, monkeypatch):
    """Same code, package and environment: the stored run. Any change: a new key, so a new run."""
    monkeypatch.setenv(nb_execute.CACHE_ENV, str(tmp_path / "cache"))
    root = tmp_path / "repo"
    (root / "dezero").mkdir(parents=True)
    (root / "dezero" / "__init__.py").write_text("VALUE = 1\n")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# prose"), nbformat.v4.new_code_cell("import dezero\nprint(dezero.VALUE)")])

    def run():
        key = nb_execute.cache_key(nb, nb_execute.environment_fingerprint(root))
        future = nb_execute.execute_in_background({"x": nbformat.from_dict(nb)}, root, tmp_path, keys={"x": key})["x"]
        return key, _shown(future.result(timeout=120).cells[1])

    key1, shown = run()
    assert shown == ["1"] and (tmp_path / "cache" / f"{key1}.json").is_file()
    # served from the cache: a planted entry under the same key is what comes back, at once
    stored = json.loads((tmp_path / "cache" / f"{key1}.json").read_text())
    stored["cells"][0][1][0]["text"] = "from the cache\n"
    (tmp_path / "cache" / f"{key1}.json").write_text(json.dumps(stored))
    nb.cells[0].source = "# prose, edited"  # prose is not part of the key
    assert run() == (key1, ["from the cache"])
    # the package changes: a new key and a real run, never the stored output
    (root / "dezero" / "__init__.py").write_text("VALUE = 2\n")
    key2, shown = run()
    assert key2 != key1 and shown == ["2"]
    # NumPy's dispatch settings and the code are part of the key as well
    fingerprint = nb_execute.environment_fingerprint(root)
    monkeypatch.setenv("NPY_DISABLE_CPU_FEATURES", "AVX512F")
    assert nb_execute.environment_fingerprint(root) != fingerprint
    changed = nbformat.from_dict(nb)
    changed.cells[1].source += "\nprint(0)"
    assert nb_execute.cache_key(changed, fingerprint) != nb_execute.cache_key(nb, fingerprint)
    monkeypatch.setenv(nb_execute.CACHE_ENV, "off")
    assert nb_execute.cache_dir() is None


def test_a_run_fills_in_the_chapter_as_it_is_now():
    """`mkdocs serve`: the prose changed, the code did not; the page shows the new prose with the
    run's outputs, and a run of other code is refused."""
    old = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("old prose"), nbformat.v4.new_code_cell("print(1)")])
    old.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    new = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("new prose"), nbformat.v4.new_code_cell("print(1)")])
    filled = nb_execute.with_outputs(new, old)
    assert filled.cells[0].source == "new prose" and _shown(filled.cells[1]) == ["1"]
    assert new.cells[1].outputs == []  # a copy
    other = nbformat.from_dict(new)
    other.cells[1].source = "print(2)"
    with pytest.raises(ValueError):
        nb_execute.with_outputs(other, old)


def test_korean_and_english_share_a_run_only_when_comments_are_all_that_differs():
    """One kernel for a chapter's two notebooks: the key leaves comments' text out, nothing else."""
    def key(*cells):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
        return nb_execute.cache_key(nb, "environment")

    ko = key("x = 2  # 제곱할 값\nprint(x ** 2)", "# 결과를 봅니다\nprint('#', x)")
    assert ko == key("x = 2  # the value to square\nprint(x ** 2)", "# see the result\nprint('#', x)")
    assert ko != key("x = 3  # 제곱할 값\nprint(x ** 2)", "# 결과를 봅니다\nprint('#', x)")  # code
    assert ko != key("x = 2  # 제곱할 값\nprint(x ** 2)", "# 결과를 봅니다\nprint('# ', x)")  # a string
    assert ko != key("x = 2  # 제곱할 값\n\nprint(x ** 2)", "# 결과를 봅니다\nprint('#', x)")  # line numbers
    assert ko != key("x = 2\nprint(x ** 2)", "# 결과를 봅니다\nprint('#', x)")  # a comment is a line's `#`
    # code that could read its own source is keyed by its exact text
    for reads in ("import inspect\nprint(inspect.getsource(f))  # 함수", "import warnings\nwarnings.warn('w')  # 경고",
                  "print(_i)  # 입력", "%history  # 기록"):
        assert nb_execute.shared_code(reads) == reads
        assert key(reads) != key(reads.replace(reads.split("#")[-1], " other"))


def test_a_shared_run_whose_outputs_show_a_comment_is_refused():
    ran = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)  # 한 번 출력")])
    ran.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    en = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)  # printed once")])
    assert _shown(nb_execute.with_outputs(en, ran).cells[0]) == ["1"]
    ran.cells[0].outputs = [nbformat.v4.new_output("stream", name="stderr", text="line 1: print(1)  # 한 번 출력\n")]
    with pytest.raises(nb_execute.OtherComments):
        nb_execute.with_outputs(en, ran)
    assert nb_execute.with_outputs(ran, ran).cells[0].outputs  # its own run: its own comments may show


_DIRTY_BUILDS = r"""
import json, os, sys
from pathlib import Path
sys.argv = ["mkdocs", "serve", "--dirty"]  # what the i18n plugin reads for its other languages' builds
from mkdocs.commands.build import build
from mkdocs.config import load_config

site, chapter = Path(os.environ["SITE"]), Path("docs/step03.ko.md")

kept, indexes, started = [], [], []

def dirty_build():
    config = load_config("mkdocs.yml", site_dir=str(site))
    if not started:  # as mkdocs serve: once; the search plugin (with on_startup) lives on
        config.plugins.on_startup(command="serve", dirty=True)
        started.append(True)
    build(config, dirty=True)
    kept.append(len(config.plugins["material/search"].search_index.entries))
    indexes.append([[d["location"] for d in json.loads((site / f).read_text("utf8"))["docs"]]
                    for f in ("search/search_index.json", "en/search/search_index.json")])
    return {str(p.relative_to(site)): p.stat().st_mtime_ns for p in site.rglob("notebooks/**/*") if p.is_file()}

before = dirty_build()
text = chapter.read_text("utf8")
chapter.write_text(text.replace("\n\n", " dirtyeditmarker\n\n", 2), "utf8")
after = dirty_build()
for n in range(2):  # two more edits of the same chapter (the page and download show the last)
    chapter.write_text(text.replace("\n\n", f" dirtyedit{n}\n\n", 2), "utf8")
    dirty_build()
print(json.dumps({"rewritten": sorted(k for k in after if after[k] != before.get(k)), "all": sorted(after),
                  "kept": kept, "indexes": indexes}))
"""


def _small_book(tree: Path, keep: tuple[str, ...]) -> Path:
    """A copy of the book with only the chapters `keep` (both languages) in its files and nav,
    for tests that build it several times: every hook runs on it as on the whole book."""
    import shutil

    chapter = re.compile(r"step\d+")
    for name in ("docs", "dezero", "hooks", "overrides", "pyproject.toml"):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, tree / name)
    for name in os.listdir(tree / "docs"):
        if chapter.match(name) and name.split(".")[0] not in keep:
            (tree / "docs" / name).unlink()
    config = (ROOT / "mkdocs.yml").read_text("utf8")
    config = re.sub(r"^\s*- (step\d+)\.md\n", lambda m: m.group(0) if m.group(1) in keep else "", config, flags=re.M)
    assert all(f"- {stem}.md" in config for stem in keep), "mkdocs.yml's nav lists chapters another way"
    (tree / "mkdocs.yml").write_text(config, "utf8")
    return tree


def test_mkdocs_serve_dirty_rebuilds_only_the_edited_chapters_notebook(tmp_path):
    """`mkdocs serve --dirty`: after a prose edit of step 3 (Korean), of all the notebook pages and
    downloads only step 3's Korean ones are written again, and they carry the edit; the others,
    not rebuilt, keep what a full build gave them (figures included)."""
    tree = _small_book(tmp_path / "book", keep=("step03", "step04", "step05"))
    site = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-c", _DIRTY_BUILDS], cwd=tree, capture_output=True, text=True,
                          env={**os.environ, "SITE": str(site), "NO_MKDOCS_2_WARNING": "1"}, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["rewritten"] == ["notebooks/step03.ko.ipynb", "notebooks/step03/index.html"], result["rewritten"]
    # every chapter's notebook page and download, both languages
    assert sorted(result["all"]) == sorted(
        f"{'' if lang == 'ko' else 'en/'}notebooks/{name}"
        for stem in ("step03", "step04", "step05") for lang in ("ko", "en")
        for name in (f"{stem}.{lang}.ipynb", f"{stem}/index.html")), result["all"]
    # the search index: each section once after every rebuild, as after the first build (it
    # used to grow by a whole copy per rebuild, and rebuilds with it)
    assert len(set(result["kept"])) == 1, result["kept"]
    first = result["indexes"][0]
    for index in result["indexes"]:
        assert [sorted(i) for i in index] == [sorted(i) for i in first]
        assert all(len(i) == len(set(i)) for i in index)
    assert "dirtyedit1" in (site / "notebooks" / "step03" / "index.html").read_text("utf8")  # the last edit
    assert "dirtyedit1" in (site / "notebooks" / "step03.ko.ipynb").read_text("utf8")
    for nb in ("notebooks/step05.ko.ipynb", "en/notebooks/step05.en.ipynb"):  # step 5 draws figures
        assert "data:image/svg+xml" in (site / nb).read_text("utf8"), nb
    assert "data:image/svg+xml" in (site / "notebooks" / "step03.ko.ipynb").read_text("utf8")


# --- the built site ----------------------------------------------------------------------------


def _site_page(site: Path, lang: str, path: str) -> Path:
    return site / ("" if lang == nb_derive.DEFAULT_LANGUAGE else f"{lang}/") / path


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
    return built_site.path  # a failed build skips these (conftest) and fails tests/test_site_build.py


def _download(site: Path, page: Path) -> nbformat.NotebookNode:
    ipynb = _site_page(site, _lang(page), f"notebooks/{_stem(page)}.{_lang(page)}.ipynb")
    return nbformat.reads(ipynb.read_text("utf8"), as_version=4)


@pytest.mark.parametrize("page", CHAPTERS, ids=_ids(CHAPTERS))
def test_the_notebook_is_offered_for_download(site, page):
    nb = _download(site, page)
    nbformat.validate(nb)
    code = [c.source for c in nb_annotate.chapter_cells(nb)]
    assert code == [b.code.rstrip("\n") for b in blocks.read_page(page).python_blocks]
    assert nb.cells[1].id == nb_derive.SETUP_ID and REPOSITORY in nb.cells[0].source
    assert all(not c.outputs for c in nb.cells if c.cell_type == "code")  # the reader runs it


@pytest.mark.parametrize("page", CHAPTERS, ids=_ids(CHAPTERS))
def test_the_chapter_links_to_its_notebooks(site, page):
    lang, stem = _lang(page), _stem(page)
    chapter = _site_page(site, lang, f"{stem}/index.html")
    text = chapter.read_text("utf8")
    download, view = LABELS[lang]
    buttons = {html.unescape(m.group(2)): dict(re.findall(r'([\w-]+)="([^"]*)"', m.group(1)))
               for m in re.finditer(r'<a\b([^>]*\bclass="md-button"[^>]*)>([^<]*)</a>', text)}
    assert download in buttons, f"no '{download}' link on {chapter}"
    assert buttons[download]["download"] == f"{stem}.{lang}.ipynb"
    assert _resolve(site, chapter, buttons[download]["href"]) == _site_page(site, lang, f"notebooks/{stem}.{lang}.ipynb")
    assert view in buttons, f"no '{view}' link on {chapter}"
    assert _resolve(site, chapter, buttons[view]["href"]) == _site_page(site, lang, f"notebooks/{stem}/index.html")


_LISTING = re.compile(
    r'<p\b[^>]*class="nb-prompt"[^>]*>\[(?P<count>[^\]]*)\]:</p>\s*<div class="(?P<cls>[^"]*)">(?P<code>.*?)</div>'
    r'(?:\s*<div class="highlight[^"]*">\s*<span[^>]*class="filename"[^>]*>(?:실행 결과|Output)</span>(?P<out>.*?)</div>)?',
    re.S)


def _cells_on_page(page_html: str) -> list[tuple[str, list[str]]]:
    """(code, shown output lines) of each cell of a rendered notebook page, in order."""
    def text_of(fragment: str) -> str:
        fragment = re.sub(r'<a id="__codelineno[^"]*"[^>]*></a>', "", fragment)
        return html.unescape(re.sub(r"<[^>]+>", "", fragment))

    return [(text_of(m.group("code")).rstrip("\n"), blocks.normalize(text_of(m.group("out") or "")))
            for m in _LISTING.finditer(page_html)]


@pytest.mark.parametrize("page", CHAPTERS, ids=_ids(CHAPTERS))
def test_the_notebook_page_shows_the_builds_outputs_exactly_as_the_chapter(site, page):
    """The outputs the build's run produced, cell by cell, are the chapter's output blocks."""
    rendered = _site_page(site, _lang(page), f"notebooks/{_stem(page)}/index.html").read_text("utf8")
    cells = _cells_on_page(rendered)
    parsed = blocks.read_page(page)
    assert cells[0][1] == [] and "find_spec" in cells[0][0]  # the install cell, a no-op here
    assert [code for code, _ in cells[1:]] == [b.code.rstrip("\n") for b in parsed.python_blocks]
    problems = [f"{page.name}:{b.line}: expected {_expected(b)!r}, the notebook shows {shown!r}"
                for b, (_, shown) in zip(parsed.python_blocks, cells[1:]) if shown != _expected(b)]
    assert not problems, "\n".join(problems)


def test_one_downloaded_notebook_runs_in_a_fresh_kernel_as_the_page_shows(site, tmp_path):
    """For honesty, one notebook is run again: the download, as a reader would run it (errors
    stop the run unless the cell is tagged), in a fresh kernel; the chapter with most raising cells."""
    def shows_errors(page):  # blocks whose output ends like an exception's last line (for the choice only)
        return sum(bool(re.match(r"^[A-Z]\w*(?:Error|Exception|Warning|Interrupt|Iteration)\b", _expected(b)[-1]))
                   for b in blocks.read_page(page).python_blocks if _expected(b))

    page = max(CHAPTERS, key=lambda p: (shows_errors(p), p.name))
    nb = _run(_download(site, page), tmp_path, allow_errors=False)
    parsed = blocks.read_page(page)
    problems = []
    for block, cell in zip(parsed.python_blocks, nb_annotate.chapter_cells(nb), strict=True):
        if _shown(cell) != _expected(block):
            problems.append(f"{page.name}:{block.line}: expected {_expected(block)!r}, got {_shown(cell)!r}")
        others = [o.output_type for o in cell.outputs if o.output_type not in ("stream", "error")]
        others += [f"stream {o.name}" for o in cell.outputs if o.output_type == "stream" and o.name != "stdout"]
        if others:  # a displayed value, a warning on stderr, ...
            problems.append(f"{page.name}:{block.line}: the cell also shows {others}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", CHAPTERS, ids=_ids(CHAPTERS))
def test_figures_the_chapter_draws_are_in_the_notebook(site, page):
    """Each figure fence of the chapter is an SVG image in the notebook, in a `data:` URL (which
    JupyterLab shows; it shows no SVG attachment), and the chapter's own figure on the page."""
    fences = sum(b.kind in ("graph", "plot") for b in blocks.read_page(page).blocks)
    nb = _download(site, page)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    images = re.findall(r"!\[([^\n]*)\]\(data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)\)", markdown)
    assert len(images) == fences
    assert not any(c.get("attachments") for c in nb.cells)
    for alt, data in images:
        svg = ET.fromstring(base64.b64decode(data))
        assert svg.tag == "{http://www.w3.org/2000/svg}svg" and svg.find("{http://www.w3.org/2000/svg}title") is not None
        assert alt.strip()
        # shown as an image, without the site's stylesheet: its own colours, on a white ground
        style = svg.find("{http://www.w3.org/2000/svg}style")
        assert style is not None and re.search(r"svg\{background:#fff", style.text)
    rendered = _site_page(site, _lang(page), f"notebooks/{_stem(page)}/index.html").read_text("utf8")
    chapter = _site_page(site, _lang(page), f"{_stem(page)}/index.html").read_text("utf8")
    figures = re.findall(r'<figure class="dezero-figure[^"]*"', rendered)
    assert len(figures) == fences == len(re.findall(r'<figure class="dezero-figure[^"]*"', chapter))
    assert "DEZERONOTEBOOKFIGURE" not in rendered and "data:image/svg" not in rendered


@pytest.mark.parametrize("page", CHAPTERS, ids=_ids(CHAPTERS))
def test_the_notebook_page_is_in_the_pages_language_with_prev_next(site, page):
    lang, stem = _lang(page), _stem(page)
    rendered = _site_page(site, lang, f"notebooks/{stem}/index.html").read_text("utf8")
    chapter = _site_page(site, lang, f"{stem}/index.html").read_text("utf8")
    assert re.search(rf'<html lang="{lang}"', rendered)
    if lang == "ko":
        for english in ("Copy to Clipboard", "Copied!", "Permanent link", "In&nbsp;[", "In [", "Out["):
            assert english not in rendered, f"{english!r} on a Korean notebook page"
    # the copy button and other interface strings come from the same translations as the chapter's
    def translations(page_html):
        config = re.search(r'<script id="__config" type="application/json">(.*?)</script>', page_html, re.S)
        return json.loads(config.group(1))["translations"]

    assert translations(rendered) == translations(chapter)
    # prev/next: the neighbours of the chapter, as their notebooks where they have one
    footer = re.search(r'<nav class="md-footer__inner[^"]*"[^>]*>(.*?)</nav>', rendered, re.S)
    chapter_footer = re.search(r'<nav class="md-footer__inner[^"]*"[^>]*>(.*?)</nav>', chapter, re.S)
    assert footer and chapter_footer
    page_file = _site_page(site, lang, f"notebooks/{stem}/index.html")
    chapter_file = _site_page(site, lang, f"{stem}/index.html")
    for kind in ("prev", "next"):
        mine = re.search(rf'<a href="([^"]+)" class="md-footer__link md-footer__link--{kind}"', footer.group(1))
        theirs = re.search(rf'<a href="([^"]+)" class="md-footer__link md-footer__link--{kind}"', chapter_footer.group(1))
        assert bool(mine) == bool(theirs), kind
        if theirs:
            target = _resolve(site, chapter_file, theirs.group(1))
            step = re.match(r"(step\d+)$", target.parent.name)
            expected = target.parent.parent / "notebooks" / step.group(1) / "index.html" if step else target
            assert _resolve(site, page_file, mine.group(1)) == expected


@pytest.mark.parametrize("page", CHAPTERS, ids=_ids(CHAPTERS))
def test_the_rendered_notebook_shows_real_outputs_and_its_banner(site, page):
    lang, stem = _lang(page), _stem(page)
    rendered = _site_page(site, lang, f"notebooks/{stem}/index.html")
    text = rendered.read_text("utf8")
    banner = re.search(r'class="admonition info notebook-banner">(.*?)</div>', text, re.S)
    assert banner, f"{rendered}: no banner"
    hrefs = re.findall(r'href="([^"#:]+)"', banner.group(1))
    targets = {_resolve(site, rendered, h) for h in hrefs}
    assert _site_page(site, lang, f"{stem}/index.html") in targets
    assert _site_page(site, lang, f"notebooks/{stem}.{lang}.ipynb") in targets


_LOADS = re.compile(
    r"<(?:script|img|iframe|source|audio|video|embed)\b[^>]*\bsrc=[\"']?(?P<src>[^\"' >]+)"
    r"|<link\b[^>]*\bhref=[\"']?(?P<href>[^\"' >]+)"
    r"|url\(\s*[\"']?(?P<url>https?:[^\"')]+)"
    r"|import\(\s*[\"'](?P<import>https?:[^\"']+)",
    re.I,
)


def _third_party(page_html: str) -> list[str]:
    found = []
    for m in _LOADS.finditer(page_html):
        url = next(v for v in m.groupdict().values() if v)
        if re.match(r"^(https?:)?//", url, re.I):
            if m.group("href") and re.search(r'rel="?canonical', m.group(0)):
                continue  # a canonical link is not a request
            found.append(url)
    return found


@pytest.mark.parametrize("page", CHAPTERS, ids=_ids(CHAPTERS))
def test_the_rendered_notebook_loads_nothing_from_outside_and_shows_mathml(site, page):
    text = _site_page(site, _lang(page), f"notebooks/{_stem(page)}/index.html").read_text("utf8")
    assert not _third_party(text), _third_party(text)
    assert "mathjax" not in text.lower() and "cdnjs" not in text and "require.js" not in text
    if "$" in "".join(c.source for c in _derive(page).cells if c.cell_type == "markdown"):
        assert "<math" in text
    shown = _text(re.sub(r"<math\b.*?</math>", "", text, flags=re.S))
    assert "\\frac" not in shown and "$$" not in shown


def test_step_6_notebook_has_the_gradient(site):
    for lang in ("ko", "en"):
        page = _site_page(site, lang, "notebooks/step06/index.html")
        if page.exists():
            assert "3.297442541400256" in _text(page.read_text("utf8"))


def test_notebook_pages_are_not_in_search_and_not_in_the_nav(site, built_site):
    for index in site.rglob("search_index.json"):
        docs = json.loads(index.read_text("utf8"))["docs"]
        assert not [d["location"] for d in docs if "notebooks/" in d["location"]]
    nav = (site / "index.html").read_text("utf8").split('class="md-nav', 1)[1].split("</nav>", 1)[0]
    assert "notebooks/" not in nav
    assert "notebook" not in "\n".join(l for l in built_site.log.lower().splitlines() if "warning" in l)


# --- in the browser: phones, and the page's weight ----------------------------------------------


def _notebook_paths() -> list[str]:
    return [f"{'' if _lang(p) == 'ko' else 'en/'}notebooks/{_stem(p)}/" for p in CHAPTERS]


# The box of each cell's code and the execution count above it, on the open page.
CELL_BOXES = """() => [...document.querySelectorAll('.nb-prompt')].map(p => {
  const box = p.parentElement, style = getComputedStyle(box)
  const inner = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)
  const code = p.nextElementSibling
  const c = code.getBoundingClientRect(), q = p.getBoundingClientRect()
  return {inner, code: c.width, below: c.top >= q.bottom - 1, where: box.className,
          overflow: document.documentElement.scrollWidth > window.innerWidth}
})"""


@pytest.fixture(scope="module")
def notebook_pages(site, site_url, tabs) -> dict:
    """Every notebook page of both languages, opened once in the 390 px tab and watched while it
    was (tests/browser.py PageWatch): {"paths": [...], "boxes": {path: CELL_BOXES}, "searched":
    [...], "problems": [...]}. On the first notebook page of each language, search is used too:
    its worker fetches the index and lunr's languages from a page two folders deep."""
    from tests.browser import PageWatch, language_of, page_paths, use_search

    paths = [p for p in page_paths(site) if re.fullmatch(r"(en/)?notebooks/step\d\d/", p)]
    page = tabs[390]
    found: dict = {"paths": paths, "boxes": {}, "searched": []}
    watch = PageWatch(page, site_url)
    try:
        for path in paths:
            watch.goto(path)
            found["boxes"][path] = page.evaluate(CELL_BOXES)
            if language_of(path) not in {language_of(p) for p in found["searched"]}:
                use_search(page)  # the index loads when search is used
                found["searched"].append(path)
    finally:
        found["problems"] = watch.stop()
    return found


def test_every_notebook_page_is_offline_and_free_of_errors(notebook_pages):
    """No request leaves 127.0.0.1 and no error reaches the console, on every notebook page (the
    other pages: tests/test_reading.py)."""
    assert sorted(notebook_pages["paths"]) == sorted(_notebook_paths())
    assert len(notebook_pages["searched"]) == 2, notebook_pages["searched"]
    assert not notebook_pages["problems"], "\n".join(dict.fromkeys(notebook_pages["problems"]))


def test_cells_use_the_full_width_on_a_phone(notebook_pages):
    """At 390 px the execution count sits above its cell: code and output are as wide as the
    column, as wide as the chapter's listings, and nothing is cut (every notebook page)."""
    for path, boxes in notebook_pages["boxes"].items():
        assert boxes, path
        for box in boxes:
            assert box["below"], (path, box)  # the prompt is above the code, not beside it
            assert box["code"] >= box["inner"] - 2, (path, box)  # the full width of its column
            assert not box["overflow"], (path, box)


_EVERY_PAGE_LOADS = ("/assets/images/favicon.png",)


def _loaded_gzipped(site: Path, site_url: str, page, paths: list[str]) -> dict[str, dict[str, int]]:
    """For each path, every file its page loads (until the network is idle), with its gzipped
    size. The pages open one after another in `page`, with the browser's cache turned off, so
    each asks for everything it needs (as in a browser that has seen none of the book yet)."""
    loaded: dict[str, list[str]] = {}
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    try:
        for path in paths:
            urls = loaded[path] = []
            note = lambda r, urls=urls: urls.append(r.url)  # noqa: E731
            page.on("requestfinished", note)
            try:
                page.goto(site_url + path)
                page.wait_for_load_state("networkidle")
                # the network can be quiet for 500 ms before the browser asks for the icon: every
                # page of the book loads it, so wait for it by name
                deadline = time.monotonic() + 10
                while not all(any(m in u for u in urls) for m in _EVERY_PAGE_LOADS) and time.monotonic() < deadline:
                    page.wait_for_timeout(50)
                page.wait_for_load_state("networkidle")
            finally:
                page.remove_listener("requestfinished", note)
    finally:
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
        cdp.detach()
    result = {}
    for path, urls in loaded.items():
        sizes = result[path] = {}
        for url in set(urls):
            file = site / urlsplit(url).path.lstrip("/")
            file = file / "index.html" if file.is_dir() else file
            sizes[file.relative_to(site).as_posix()] = len(gzip.compress(file.read_bytes(), 6))
    return result


def test_a_notebook_page_with_everything_it_loads_is_at_most_140_kib_gzipped(site, site_url, tabs):
    """Every response the page loads as it opens (HTML, CSS, scripts, fonts, images; the search
    index and worker wait until search is used: test_search.py), gzipped as a server such as
    GitHub Pages sends it; the heaviest notebook page of each language. The notebook page adds
    nothing heavy to what its chapter loads."""
    heaviest = {}
    for path in _notebook_paths():
        size = (site / path / "index.html").stat().st_size
        lang = "en" if path.startswith("en/") else "ko"
        if size > heaviest.get(lang, ("", 0))[1]:
            heaviest[lang] = (path, size)
    report = []
    paths = [path for path, _ in heaviest.values()]
    assert len(paths) == 2, heaviest
    loads = _loaded_gzipped(site, site_url, tabs[1280], paths + [p.replace("notebooks/", "") for p in paths])
    for path in paths:
        sizes, chapter = loads[path], loads[path.replace("notebooks/", "")]
        total, chapter_total = sum(sizes.values()), sum(chapter.values())
        listing = ", ".join(f"{name} {n / 1024:.1f}" for name, n in sorted(sizes.items(), key=lambda kv: -kv[1]))
        print(f"{path}: {total / 1024:.1f} KiB gzipped ({listing}); its chapter {chapter_total / 1024:.1f} KiB")
        extra = {name: n for name, n in sizes.items() if name not in chapter}
        assert sum(extra.values()) - chapter[path.replace("notebooks/", "") + "index.html"] <= 8 * 1024, extra
        if total > NOTEBOOK_PAGE_BUDGET:
            report.append(f"{path}: {total / 1024:.1f} KiB gzipped > 140 KiB ({listing})")
    assert not report, "\n".join(report)


# --- what the build keeps between its language builds and mkdocs serve's rebuilds -----------------


def test_a_pages_search_entries_are_kept_only_for_the_same_page():
    """hooks/build_cache.py: Material's search entries of a page come back from the cache only
    for the same HTML, address, title, table of contents and front matter; any change gives the
    entries of the changed page, as Material itself makes them."""
    from types import SimpleNamespace

    import build_cache
    from material.plugins.search.plugin import SearchIndex

    original = getattr(SearchIndex.add_entry_from_context, "__wrapped__", SearchIndex.add_entry_from_context)
    calls = []

    def counted(self, page):
        calls.append(page.url)
        return original(self, page)

    cached = build_cache.cached_search_entries(counted)
    toc = lambda anchor: [SimpleNamespace(id=anchor, url=f"#{anchor}", title="Two", level=2, children=[])]

    def page(content='<h1 id="one">One</h1><p>first</p><h2 id="two">Two</h2><p>second</p>', **changes):
        fields = dict(url="step01/", title="One", meta={}, toc=toc("two"), content=content)
        fields.update(changes)
        return SimpleNamespace(**fields)

    def entries(p):
        index = SearchIndex(lang=["en"], separator=r"[\s]+", pipeline=[], fields={})
        cached(index, p)
        expected = SearchIndex(lang=["en"], separator=r"[\s]+", pipeline=[], fields={})
        original(expected, p)
        assert index.entries == expected.entries  # what Material gives, cached or not
        return index.entries

    first = entries(page())
    assert [e["location"] for e in first] == ["step01/", "step01/#two"] and len(calls) == 1
    first[0]["text"] = "changed by whoever got it"  # a copy: the cache keeps its own
    assert entries(page())[0]["text"] == "<p>first</p>" and len(calls) == 1
    variants = [
        page(content='<h1 id="one">One</h1><p>edited</p><h2 id="two">Two</h2><p>second</p>'),
        page(url="en/step01/"),
        page(title="Other"),
        page(meta={"search": {"boost": 2}}),
        page(toc=toc("three")),
    ]
    for n, p in enumerate(variants, start=2):
        entries(p)
        assert len(calls) == n, "a changed page was served from the cache"
    assert entries(page(content="<h1>One</h1><p>x</p>", meta={"search": {"exclude": True}})) == []


def test_the_search_index_is_split_once_and_keeps_each_pages_newest_entries():
    """hooks/search.py under `mkdocs serve --dirty`: the stacked index carries earlier builds'
    entries of a page; only its newest run of entries is kept, and an index already split is
    not split again."""
    import search

    def doc(location, text):
        return {"location": location, "title": location, "text": text}

    index = {"config": {"lang": ["ko"], "separator": " ", "pipeline": [], "fields": {"title": {"boost": 1000}, "text": {"boost": 1}}},
             "docs": [doc("", "처음"), doc("step01/", "오래된 글"), doc("step01/#a", "오래된 절"), doc("en/step01/", "old"),
                      doc("step01/", "새 글"), doc("step01/#b", "새 절")]}
    split = search.split_index(index, "ko", ["en"])
    assert [(d["location"], d["title"]) for d in split["ko"]["docs"]] == [("", ""), ("step01/", "step01/"), ("step01/#b", "step01/#b")]
    assert "새" in split["ko"]["docs"][1]["text"]
    assert [d["location"] for d in split["en"]["docs"]] == ["step01/"]
    assert search.is_split(split["ko"]) and not search.is_split(index)


def test_a_pages_conversion_is_kept_only_for_the_same_markdown_address_and_files(tmp_path, caplog):
    """hooks/build_cache.py: MkDocs' conversion of a page comes back from the cache only for the
    same Markdown, address and site files (a link resolves against them); what it logged, such as
    a broken link, is logged again; every result is what MkDocs itself gives."""
    import logging

    import build_cache
    from mkdocs.config import load_config
    from mkdocs.structure.files import File, Files
    from mkdocs.structure.pages import Page

    original = getattr(Page.render, "__wrapped__", Page.render)
    calls = []

    def counted(self, config, files):
        calls.append(self.file.src_uri)
        return original(self, config, files)

    cached = build_cache.cached_render(counted)
    docs = tmp_path / "docs"
    docs.mkdir()
    (tmp_path / "mkdocs.yml").write_text("site_name: t\nmarkdown_extensions:\n  - toc\n")
    config = load_config(str(tmp_path / "mkdocs.yml"))

    def files(*names):
        return Files([File(n, str(docs), str(tmp_path / "site"), True) for n in names])

    def page(markdown, name="a.md", listing=("a.md", "b.md")):
        fs = files(*listing)
        p = Page(None, fs.get_file_from_path(name), config)
        p.markdown = markdown
        plain = Page(None, fs.get_file_from_path(name), config)
        plain.markdown = markdown
        with caplog.at_level(logging.INFO):
            caplog.clear()
            original(plain, config, fs)
            expected = [r.getMessage() for r in caplog.records]
            caplog.clear()
            cached(p, config, fs)
            logged = [r.getMessage() for r in caplog.records]
        assert (p.content, p.toc.items[0].id, p.present_anchor_ids) == (plain.content, plain.toc.items[0].id, plain.present_anchor_ids)
        assert logged == expected
        return p.content, logged

    text = "# One\n\n## Two {#two}\n\nSee [b](b.md) and [c](c.md).\n"
    first, logged = page(text)
    assert 'href="../b/"' in first and any("c.md" in m for m in logged), logged
    assert len(calls) == 1
    assert page(text) == (first, logged) and len(calls) == 1  # the same page: kept, its warning logged again
    assert page(text.replace("Two", "Three"))[0] != first and len(calls) == 2  # edited
    assert page(text, name="b.md")[0] == first.replace('href="../b/"', 'href="./"') and len(calls) == 3  # elsewhere
    assert not page(text, listing=("a.md", "b.md", "c.md"))[1] and len(calls) == 4  # c.md now exists: no warning


_PROBE = """import sys, os, json, random
print(json.dumps({"argv": [os.path.basename(sys.argv[0]), len(sys.argv)], "orig_argv": sys.orig_argv[1:3],
  "path": sys.path, "cwd": os.getcwd(), "env": {k: v for k, v in os.environ.items() if k != "IPYTHONDIR"},
  "name": __name__, "globals": sorted(globals()), "modules": sorted(sys.modules), "flags": str(sys.flags),
  "own_session": os.getsid(0) == os.getpid() == os.getpgid(0), "random": random.random()}))"""


def test_a_kernel_forked_from_the_template_is_what_python_m_ipykernel_launcher_starts(tmp_path, monkeypatch):
    """hooks/nb_kernels.py: a kernel forked from the template that imported ipykernel has the
    same argv, sys.path, working folder, environment, globals, modules and flags as one started
    the ordinary way, in a session of its own, a process of its own (another random state),
    and the template is what the build uses (DEZERO_KERNEL_TEMPLATE=off: the ordinary way)."""
    import nb_kernels

    started = []
    real = nb_kernels.start
    monkeypatch.setattr(nb_kernels, "start", lambda *a: started.append(real(*a)) or started[-1])

    def probe():
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(_PROBE)])
        return json.loads(_run(nb, tmp_path).cells[0].outputs[0].text)

    monkeypatch.delenv(nb_kernels.SETTING, raising=False)
    forked, again = probe(), probe()
    assert len(started) == 2 and all(isinstance(f, nb_kernels.Forked) for f in started), started
    monkeypatch.setenv(nb_kernels.SETTING, "off")
    ordinary = probe()
    assert started[-1] is None  # started the ordinary way
    ordinary["env"].pop(nb_kernels.SETTING)
    for name in ordinary:
        if name != "random":
            assert forked[name] == ordinary[name], name
    assert forked["own_session"] and forked["argv"][0] == "ipykernel_launcher.py"
    assert forked["random"] != again["random"]


def test_after_an_edit_of_the_package_figures_are_drawn_with_it_again(tmp_path, monkeypatch):
    """hooks/figures.py under `mkdocs serve`: the graphs it keeps, and the `dezero` the process
    imported, are of the package as it was; after an edit of `dezero/` both are forgotten, and
    only then."""
    from types import SimpleNamespace

    import dezero  # noqa: F401  (imported, as the build has it)
    import figures

    root = tmp_path / "book"
    (root / "dezero").mkdir(parents=True)
    (root / "dezero" / "__init__.py").write_text("VALUE = 1\n")
    config = SimpleNamespace(config_file_path=str(root / "mkdocs.yml"))
    monkeypatch.setattr(figures, "_cache", {("graph", "code", "y"): "old graph"})
    monkeypatch.setattr(figures, "_package", {})
    for name in [n for n in sys.modules if n == "dezero" or n.startswith("dezero.")]:
        monkeypatch.setitem(sys.modules, name, sys.modules[name])  # put back afterwards
    figures.on_pre_build(config)
    figures.on_pre_build(config)  # the same package: what is kept stays
    assert figures._cache and "dezero" in sys.modules
    (root / "dezero" / "__init__.py").write_text("VALUE = 2\n")
    figures.on_pre_build(config)
    assert not figures._cache and "dezero" not in sys.modules
