"""A chapter as a Jupyter notebook: cells derived from the page (used by hooks/notebooks.py).

- The prose becomes Markdown cells (split at headings, TeX kept as `$...$` for Jupyter); a
  heading's `{#id}` becomes an `<a id>` anchor, so links into the section still work.
- Every Python block becomes one code cell, in page order. Output blocks are left out: running
  the notebook prints them.
- A first code cell installs `dezero` from the book's repository when it is missing (a fresh
  Jupyter or Colab); the first Markdown cell says so. Where `dezero` is importable it does nothing.
- Admonitions become a quote with a bold title, tabs a bold label, the complete program
  (`??? example`) a heading and its code cell.
- An exercise's answer (`??? success "풀이"`) comes after a marker cell that names it; the
  answer's cells are collapsed in Jupyter (`jupyter.source_hidden`/`outputs_hidden`, tag
  `solution`), so a reader opens them on purpose.
- A figure (`dezero-graph`, `dezero-plot`) becomes a note linking to the chapter;
  `nb_annotate.add_figures` replaces it with the SVG the build drew.
- Links to other pages point at the hosted site.

What the build adds once the notebook has run (tags, figures) is in `nb_annotate`.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import nbformat

import blocks

CHAPTER = re.compile(r"^(?P<stem>step\d+)\.(?P<lang>[a-z]{2})\.md$")
DEFAULT_LANGUAGE = "ko"
SETUP_ID = "install-dezero"
SOLUTION_TAG = "solution"
RAISES_TAG = "raises-exception"

LABELS = {
    "ko": {
        "download": "노트북 받기",
        "view": "실행된 노트북 보기",
        "figure": "그림은 책 페이지에서 볼 수 있습니다",
        "banner_title": "노트북",
        "banner": "이 페이지는 <a href=\"{chapter}\">{title}</a> 장을 주피터 노트북으로 옮겨, "
        "사이트를 빌드할 때 처음부터 끝까지 실행한 결과입니다.",
        "setup_note": "이 노트북은 책 『DeZero, 한 단계씩』의 한 장을 그대로 옮긴 것입니다. 바로 아래 첫 코드 셀은 "
        "`dezero` 패키지가 없을 때만(Colab이나 새로 만든 주피터 환경처럼) 책의 저장소({url})에서 pip로 "
        "설치하고, 이미 설치되어 있으면 아무 일도 하지 않습니다. 셀은 위에서부터 차례로 실행하세요.",
        "setup_comment": "# dezero가 없을 때만 책의 저장소에서 설치합니다 (있으면 아무 일도 하지 않습니다)",
        "solution": "풀이",
        "solution_note": "먼저 직접 풀어 보세요. 바로 아래 셀들이 풀이입니다(JupyterLab과 Notebook 7에서는 접혀 있습니다).",
        "output": "실행 결과",
        "prompt": "입력",
    },
    "en": {
        "download": "Download notebook",
        "view": "View the executed notebook",
        "figure": "the figure is on the book's page",
        "banner_title": "Notebook",
        "banner": "This page is <a href=\"{chapter}\">{title}</a> as a Jupyter notebook, run top "
        "to bottom when the site was built.",
        "setup_note": "This notebook is a chapter of the book *DeZero, step by step*. The first code cell "
        "below installs the `dezero` package with pip from the book's repository, {url}, only when "
        "it is missing (in Colab or a fresh Jupyter, for example); where it is installed, the cell "
        "does nothing. Run the cells from the top.",
        "setup_comment": "# Install dezero from the book's repository only if it is missing (otherwise do nothing)",
        "solution": "Solution",
        "solution_note": "Try it yourself first. The cells right below are the answer (collapsed in JupyterLab and Notebook 7).",
        "output": "Output",
        "prompt": "In",
    },
}


def labels(lang: str) -> dict[str, str]:
    return LABELS.get(lang, LABELS["en"])


# --- installing dezero where it is missing -------------------------------------------------------


def repository_url(root: Path | str) -> str:
    """`[project.urls] Repository` of the project's pyproject.toml."""
    return _repository_url(Path(root) / "pyproject.toml", (Path(root) / "pyproject.toml").stat().st_mtime)


@lru_cache(maxsize=8)
def _repository_url(pyproject: Path, mtime: float) -> str:
    import tomllib

    data = tomllib.loads(pyproject.read_text("utf8"))
    return data["project"]["urls"]["Repository"].rstrip("/")


def install_source(repository: str) -> str:
    """What pip installs: the repository's main branch as GitHub serves it, a zip (no git needed)."""
    return f"{repository}/archive/refs/heads/main.zip"


def setup_cell_source(repository: str, lang: str) -> str:
    """A cell that installs `dezero` with the kernel's own pip only when it cannot be imported."""
    return "\n".join([
        labels(lang)["setup_comment"],
        "import importlib.util, subprocess, sys",
        "",
        'if importlib.util.find_spec("dezero") is None:',
        f'    source = "{install_source(repository)}"',
        '    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", source], check=True)',
        "    importlib.invalidate_caches()",
        "    del source",
        "del importlib, subprocess, sys",
    ])


# --- reading the page ----------------------------------------------------------------------------


@dataclass
class _Container:
    indent: int
    kind: str  # "quote" (admonition), "example" (the complete program), "tab" or "solution"
    number: int | None = None  # a solution's: which answer of the page


@dataclass
class _Line:
    text: str
    quote: int | None  # quote depth; None for a blank line (decided by its neighbours)
    prose: bool = True  # False inside a non-Python fence: no cell split, no link rewriting
    solution: int | None = None  # the answer it belongs to


@dataclass
class _Code:
    block: blocks.Block
    solution: int | None = None


_ADMONITION = re.compile(r'^(?P<marker>!!!|\?\?\?\+?)\s*(?P<type>[\w-]+(?:\s+[\w-]+)*)?(?:\s+"(?P<title>.*)")?\s*$')
_TAB = re.compile(r'^===\+?!?\s+"(?P<title>.*)"\s*$')
_HEADING = re.compile(r"^#{1,6}\s")
_HEADING_ID = re.compile(r"^(?P<head>#{1,6}\s.*?)\s*\{\s*#(?P<id>[\w-]+)[^}]*\}\s*$")
_H1 = re.compile(r"^#\s+(?P<title>.+?)\s*(?:\{[^}]*\})?\s*#*\s*$")
_LINK = re.compile(r"(?<!\!)(\]\()(?P<target>[^)\s]+)(?P<rest>(?:\s+\"[^\"]*\")?\))")


def _container_line(opener: str) -> tuple[_Container | None, str | None]:
    """The container an opener line starts, and the Markdown line that stands for it."""
    m = _TAB.match(opener)
    if m:
        return _Container(0, "tab"), f"**{m.group('title')}**"
    m = _ADMONITION.match(opener)
    if not m:
        return None, None
    kind = (m.group("type") or "note").split()[0]
    title = m.group("title")
    if title is None:
        title = kind.capitalize()
    if kind == "example":
        return _Container(0, "example"), (f"## {title}" if title else None)
    if kind == "success" and m.group("marker").startswith("???"):
        return _Container(0, "solution"), title
    return _Container(0, "quote"), (f"**{title}**" if title else None)


def site_link(target: str, lang: str, base: str) -> str:
    """A page-relative link of a chapter (`glossary.md#x`) as an absolute link to the site."""
    if re.match(r"^[a-z][a-z0-9+.-]*:|^#|^/", target, re.I):
        return target
    path, sep, anchor = target.partition("#")
    path = posixpath.normpath(path)
    if path.endswith(".md"):
        stem = re.sub(r"\.[a-z]{2}$", "", path[:-3])  # step03.ko.md -> step03
        folder, name = posixpath.split(stem)
        prefix = "" if lang == DEFAULT_LANGUAGE else f"{lang}/"
        path = prefix + (posixpath.join(folder, "") if name == "index" else stem + "/")
    return base + path + sep + anchor


def _rewrite_links(text: str, lang: str, base: str | None) -> str:
    if base is None:
        return text
    return _LINK.sub(lambda m: m.group(1) + site_link(m.group("target"), lang, base) + m.group("rest"), text)


def _heading_anchor(text: str) -> str:
    """`## 5.2 Title {#chain-rule}` -> `## 5.2 Title <a id="chain-rule"></a>` (Jupyter shows no `{#...}`)."""
    m = _HEADING_ID.match(text)
    return f'{m.group("head")} <a id="{m.group("id")}"></a>' if m else text


def derive_notebook(
    text: str, lang: str, site_url: str | None = None, page: str | None = None,
    repository: str | None = None,
) -> nbformat.NotebookNode:
    """The notebook for a chapter's Markdown `text`, in language `lang`.

    `site_url` (the hosted book's root URL) turns links to other pages into absolute links;
    without it they are left as written. `page` (e.g. `step02.md`) lets a figure's note link to
    the chapter, where the figure is. `repository` (the project's repository URL) adds the cell
    that installs `dezero` where it is missing.
    """
    parsed = blocks.parse_page(text)
    lines = text.split("\n")
    unwrapped = blocks.unwrap_containers(text).split("\n")
    starts = {b.line - 1: b for b in parsed.blocks}
    base = None if site_url is None else site_url.rstrip("/") + "/"
    text_labels = labels(lang)
    figure_note = text_labels["figure"]
    if page is not None and base is not None:
        figure_note = f"[{figure_note}]({site_link(page, lang, base)})"

    items: list[_Line | _Code] = []  # Markdown lines, and the Python blocks
    stack: list[_Container] = []
    solutions: list[str] = []  # the title of each answer
    figures = 0

    def quote() -> int:
        return sum(c.kind == "quote" for c in stack)

    def solution() -> int | None:
        return next((c.number for c in reversed(stack) if c.kind == "solution"), None)

    def line(text: str, q: int | None, prose: bool = True) -> _Line:
        return _Line(text, q, prose, solution())

    i = 0
    while i < len(lines):
        raw = lines[i]
        if not raw.strip():
            items.append(line("", None))
            i += 1
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        while stack and indent < stack[-1].indent + 4:
            stack.pop()
        block = starts.get(i)
        if block is not None:
            end = block.end_line  # 0-based index of the line after the closing fence
            if block.kind == "python":
                items.append(_Code(block, solution()))
            elif block.kind in ("graph", "plot"):
                figures += 1
                caption = block.attrs.get("caption", "").strip()
                note = f"*{caption}* ({figure_note})" if caption else f"({figure_note})"
                items.append(line(f"<!-- dezero-figure {figures} -->", quote()))
                items.append(line(note, quote()))
            elif block.kind == "other":
                for j in range(i, end):
                    items.append(line(unwrapped[j], quote() if unwrapped[j].strip() else None, prose=False))
            # output blocks: left out, running the cell prints them
            i = end
            continue
        if not unwrapped[i].strip():  # blocks.unwrap_containers blanked it: a container opens here
            container, shown = _container_line(raw.strip())
            if container is None:  # cannot happen with blocks' own pattern, but keep the text
                items.append(line(raw.strip(), quote()))
            else:
                container.indent = indent
                stack.append(container)
                if container.kind == "solution":
                    container.number = len(solutions)
                    solutions.append(shown or text_labels["solution"])
                    items.append(_Line(f"\0solution {container.number}", 0, True, None))
                elif shown is not None:
                    items.append(line(shown, quote()))
            i += 1
            continue
        shown_text = _rewrite_links(unwrapped[i], lang, base)
        if not stack or all(c.kind != "solution" for c in stack):
            shown_text = _heading_anchor(shown_text)
        items.append(line(shown_text, quote()))
        i += 1

    return _cells(items, solutions, lang, repository, base)


def _markdown(source: str, id: str) -> nbformat.NotebookNode:
    """A Markdown cell (nbformat's own constructor validates every cell: slow; the notebook is
    validated once, whole)."""
    return nbformat.from_dict({"cell_type": "markdown", "id": id, "metadata": {}, "source": source})


def _code(source: str, id: str) -> nbformat.NotebookNode:
    return nbformat.from_dict({"cell_type": "code", "id": id, "metadata": {}, "source": source,
                               "execution_count": None, "outputs": []})


def _cells(items, solutions: list[str], lang: str, repository: str | None, base) -> nbformat.NotebookNode:
    cells: list[nbformat.NotebookNode] = []
    text_labels = labels(lang)

    def hide(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
        cell.metadata["tags"] = [SOLUTION_TAG]
        cell.metadata["jupyter"] = {"source_hidden": True}
        if cell.cell_type == "code":
            cell.metadata["jupyter"]["outputs_hidden"] = True
            cell.metadata["collapsed"] = True  # the classic notebook's flag for hidden outputs
        return cell

    def add_markdown(chunk: list[_Line]) -> None:
        # blank lines take the quote depth both neighbours share, so a quote is not cut open
        for k, item in enumerate(chunk):
            if item.quote is None:
                before = next((c.quote for c in reversed(chunk[:k]) if c.quote is not None), 0)
                after = next((c.quote for c in chunk[k + 1:] if c.quote is not None), 0)
                item.quote = min(before, after)
        # a list item's body, cut out of its list, loses the list's indentation (no code block)
        indents = [len(it.text) - len(it.text.lstrip(" ")) for it in chunk if it.text.strip()]
        cut = min(indents, default=0)
        out = [(("> " * it.quote + it.text[cut:]) if it.text else ">" * it.quote).rstrip() if it.quote
               else it.text[cut:] for it in chunk]
        while out and not out[0].strip():
            out.pop(0)
        while out and not out[-1].strip():
            out.pop()
        if out:
            cell = _markdown("\n".join(out), id=f"cell-{len(cells) + 1}")
            cells.append(hide(cell) if chunk[0].solution is not None else cell)

    chunk: list[_Line] = []
    for item in items:
        if isinstance(item, _Code):
            add_markdown(chunk)
            chunk = []
            cell = _code(item.block.code.rstrip("\n"), id=f"cell-{len(cells) + 1}")
            cells.append(hide(cell) if item.solution is not None else cell)
            continue
        if item.text.startswith("\0solution "):  # an answer starts: a marker cell of its own
            add_markdown(chunk)
            chunk = []
            title = solutions[int(item.text.split()[1])]
            marker = f"**{title}** · {text_labels['solution_note']}"
            cells.append(_markdown(marker, id=f"{SOLUTION_TAG}-{len(cells) + 1}"))
            continue
        split = item.prose and item.quote == 0 and _HEADING.match(item.text) and any(c.text.strip() for c in chunk)
        if split or (chunk and item.text.strip() and chunk[-1].solution != item.solution
                     and any(c.text.strip() for c in chunk)):
            add_markdown(chunk)
            chunk = []
        if not chunk and not item.text.strip():
            continue
        chunk.append(item)
    add_markdown(chunk)

    if repository is not None and cells and cells[0].cell_type == "markdown":
        first = cells[0]
        title, _, rest = first.source.partition("\n")
        note = "> " + text_labels["setup_note"].format(url=f"<{repository}>")
        first.source = f"{title}\n\n{note}"
        setup = _code(setup_cell_source(repository, lang), id=SETUP_ID)
        tail = [_markdown(rest.strip("\n"), id="cell-intro")] if rest.strip() else []
        cells[1:1] = [setup, *tail]

    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = nbformat.from_dict({
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })
    nbformat.validate(nb)
    return nb


def derive_notebook_from_file(
    path: Path | str, site_url: str | None = None, repository: str | None = None
) -> nbformat.NotebookNode:
    path = Path(path)
    m = CHAPTER.match(path.name)
    lang = m.group("lang") if m else DEFAULT_LANGUAGE
    page = f"{m.group('stem')}.md" if m else None
    return derive_notebook(path.read_text("utf8"), lang, site_url, page, repository)


def to_ipynb(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"
