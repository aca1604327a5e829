"""The executed notebook as a page of the book (used by hooks/notebooks.py).

The notebook is written back as the book's own Markdown and MkDocs renders it like a chapter:
Markdown cells as they are (a heading's `<a id>` anchor back to `{#id}`), each code cell as a
Python listing under its execution count (`[3]:`, above the code, so it takes no width on a
phone) and its outputs as an output block (`실행 결과` / `Output`), an answer's cells in a
collapsed `??? success` admonition, and a figure where the chapter has it. So the page has the
site's typography, math, copy buttons and interface strings in its language, and it loads no
stylesheet of nbconvert's: only `assets/notebook.css`, a few lines.
"""
from __future__ import annotations

import hashlib
import html
import re

import nbformat

from nb_annotate import error_line
from nb_derive import SETUP_ID, SOLUTION_TAG, labels

_ANCHOR = re.compile(r'^(?P<head>#{1,6}\s.*?)\s*<a id="(?P<id>[\w-]+)"></a>\s*$', re.M)
_FIGURE = re.compile(  # a figure as nb_annotate.add_figures places it: marker, image, caption
    r"^(?P<q>(?:> ?)*)<!-- dezero-figure (?P<n>\d+) -->\n(?P=q)!\[[^\n]*\]\(data:image/svg\+xml;[^)\s]*\)[ \t]*\n?"
    r"(?:(?P=q)[ \t]*\n(?P=q)\*[^\n]*\*[ \t]*(?:\n|$))?",
    re.M,
)


def figure_token(stem: str, n: int) -> str:
    digest = hashlib.sha1(f"{stem}:{n}".encode()).hexdigest()[:10]
    return f"DEZERONOTEBOOKFIGURE{digest}"


def _fence(code: str, info: str) -> str:
    longest = max((len(m) for m in re.findall(r"`{3,}", code)), default=2)
    tick = "`" * max(3, longest + 1)
    return f"{tick}{info}\n{code}\n{tick}"


def shown_text(cell: nbformat.NotebookNode) -> str:
    """What a code cell shows: its printed text, displayed values, then an error's final line."""
    parts: list[str] = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data") and "text/plain" in out.get("data", {}):
            parts.append(out.data["text/plain"] + "\n")
        elif out.output_type == "error":
            parts.append(error_line(out) + "\n")
    return "".join(parts).rstrip("\n")


def _code_cell(cell: nbformat.NotebookNode, lang: str) -> str:
    count = cell.get("execution_count")
    # a paragraph with attributes (attr_list), not raw HTML: it also works inside an admonition
    prompt = f'\\[{count if count is not None else " "}\\]:\n{{: .nb-prompt aria-hidden="true" }}'
    parts = [prompt, "", _fence(cell.source, "python")]
    text = shown_text(cell)
    if text:
        parts += ["", _fence(text, f'text title="{labels(lang)["output"]}"')]
    return "\n".join(parts)


def _markdown_cell(cell: nbformat.NotebookNode, stem: str, figures: dict[str, str]) -> str:
    source = _ANCHOR.sub(lambda m: f'{m.group("head")} {{#{m.group("id")}}}', cell.source)

    def figure(m: re.Match) -> str:
        token = figure_token(stem, int(m.group("n")))
        if token not in figures:
            return m.group(0)
        return f"{m.group('q')}{token}\n"

    return _FIGURE.sub(figure, source)


def _indent(text: str) -> str:
    return "\n".join(("    " + line) if line.strip() else "" for line in text.split("\n"))


def page_markdown(nb: nbformat.NotebookNode, lang: str, stem: str, figures: dict[str, str]) -> str:
    """The book's Markdown for the executed notebook `nb`.

    `figures` maps `figure_token(stem, n)` to the `n`-th figure's HTML; the notebook's image of
    it becomes that token, which `insert_figures` replaces with the chapter's own figure.
    """
    out: list[str] = []
    solution: list[str] | None = None
    title = ""

    def close() -> None:
        nonlocal solution
        if solution is not None:
            out.append(f'??? success "{title}"\n\n' + _indent("\n\n".join(solution)))
            solution = None

    for cell in nb.cells:
        if cell.cell_type == "markdown" and str(cell.get("id", "")).startswith(f"{SOLUTION_TAG}-"):
            close()
            m = re.match(r"^\*\*(?P<t>.+?)\*\*", cell.source)
            title = (m.group("t") if m else labels(lang)["solution"]).replace('"', "&quot;")
            solution = []
            continue
        if cell.cell_type == "code":
            text = _code_cell(cell, lang)
        elif cell.cell_type == "markdown":
            text = _markdown_cell(cell, stem, figures)
        else:
            continue
        hidden = SOLUTION_TAG in cell.metadata.get("tags", [])
        if hidden and solution is not None:
            solution.append(text)
            continue
        close()
        out.append(text)
    close()
    return "\n\n".join(out) + "\n"


def insert_figures(html_text: str, figures: dict[str, str]) -> str:
    for token, figure in figures.items():
        html_text = html_text.replace(f"<p>{token}</p>", figure).replace(token, figure)
    return html_text


def setup_cell_count(nb: nbformat.NotebookNode) -> int | None:
    for cell in nb.cells:
        if cell.get("id") == SETUP_ID:
            return cell.get("execution_count")
    return None


def relative_site_links(content: str, base: str, here: str) -> str:
    """Links into the book: the notebook has them absolute (it is read outside the site too)."""
    from mkdocs.utils import get_relative_url

    def local(m: re.Match) -> str:
        path, sep, anchor = m.group(2).partition("#")
        return f'{m.group(1)}{get_relative_url(path or ".", here)}{sep}{anchor}"'

    return re.sub(r'(href=")' + re.escape(base) + r'([^"]*)"', local, content)


def banner(lang: str, chapter_href: str, title: str, download_href: str, download_name: str) -> str:
    text = labels(lang)
    body = text["banner"].format(chapter=html.escape(chapter_href), title=html.escape(title))
    return (
        f'<div class="admonition info notebook-banner"><p class="admonition-title">{text["banner_title"]}</p>'
        f'<p>{body}</p><p><a class="md-button" href="{html.escape(download_href)}" '
        f'download="{html.escape(download_name)}">{text["download"]}</a></p></div>\n'
    )
