"""What the build adds to a chapter's notebook once it has run (used by hooks/notebooks.py).

- `tag_raising_cells`: a cell is tagged `raises-exception` (so Jupyter's "Run All" goes on past
  it) when the run raised and the page's output block ends in that exception's final line. Any
  exception counts (KeyboardInterrupt, StopIteration, a warning turned into an error, a class of
  the page's own): the run decides, not the name.
- `add_figures`: the SVG of each figure the chapter draws replaces the figure's note in the
  notebook, as a Markdown image with a `data:` URL (it carries its own colours).
"""
from __future__ import annotations

import base64
import re

import nbformat

import blocks
from nb_derive import RAISES_TAG, SETUP_ID

FIGURE_MARK = re.compile(r"^(?P<q>(?:> ?)*)<!-- dezero-figure (?P<n>\d+) -->\n(?P<note>.*)$", re.M)


# --- the page's cells ----------------------------------------------------------------------------


def chapter_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """The code cells that are the page's Python blocks, in order (not the setup cell)."""
    return [c for c in nb.cells if c.cell_type == "code" and c.get("id") != SETUP_ID]


def error_line(output) -> str:
    """An error output's final line as Python prints it (`ename: evalue`, or `ename`)."""
    return f"{output.ename}: {output.evalue}" if output.evalue else output.ename


def _same_exception(shown: str, output) -> bool:
    """The page's last output line is this error: `Name: message`, the name maybe qualified
    (Python prints `package.module.Error` where the kernel reports `Error`)."""
    if shown == error_line(output):
        return True
    name, sep, message = shown.partition(": ")
    return (name.endswith("." + output.ename) and re.fullmatch(r"[\w.]+", name) is not None
            and (message if sep else "") == (output.evalue or ""))


def tag_raising_cells(nb: nbformat.NotebookNode, page: blocks.Page, executed: nbformat.NotebookNode) -> list[str]:
    """Tag `raises-exception` on every cell whose block the page shows ending in the exception the
    run raised (any exception: KeyboardInterrupt, StopIteration, a warning made an error, ...),
    so Jupyter's "Run All" goes on past it. Returns the errors the page does not show."""
    unexpected = []
    run_cells = chapter_cells(executed)
    for n, (block, cell, ran) in enumerate(zip(page.python_blocks, chapter_cells(nb), run_cells, strict=True)):
        shown = blocks.normalize(block.output.code) if block.output is not None else []
        errors = [o for o in ran.get("outputs", []) if o.output_type == "error"]
        tags = [t for t in cell.metadata.get("tags", []) if t != RAISES_TAG]
        if errors and shown and _same_exception(shown[-1], errors[-1]):
            tags.append(RAISES_TAG)
        elif errors:
            unexpected.append(f"line {block.line}: {error_line(errors[-1])}")
        if tags:
            cell.metadata["tags"] = tags
            ran.metadata["tags"] = list(tags)
        else:
            cell.metadata.pop("tags", None)
            ran.metadata.pop("tags", None)
    for cell in executed.cells:  # the setup cell must never fail
        if cell.get("id") == SETUP_ID:
            unexpected += [f"setup cell: {error_line(o)}" for o in cell.get("outputs", []) if o.output_type == "error"]
    return unexpected


# --- figures -----------------------------------------------------------------------------------


_SVG = re.compile(r"<svg\b.*?</svg>", re.S)


# The book's figure colours (docs/assets/figures.css, light scheme) for an SVG shown on its own:
# a notebook shows it as an image, without the site's stylesheet, maybe on a dark theme.
_STANDALONE_STYLE = (
    "<style>svg{background:#fff;color:rgba(0,0,0,.87);font-family:sans-serif}"
    "text{fill:rgba(0,0,0,.87)}"
    ".dz-var-label,.dz-frac,.dz-deriv{font-family:'Times New Roman',serif;font-style:italic;font-size:18px}"
    ".dz-fn-label{font-family:monospace;font-weight:600}"
    ".dz-fn-class,.dz-value{font-family:monospace;fill:rgba(0,0,0,.54)}"
    ".dz-variable .dz-shape{fill:#fff;stroke:rgba(0,0,0,.54);stroke-width:1.5}"
    ".dz-function .dz-shape{fill:rgba(255,110,64,.1);stroke:#ff6e40;stroke-width:1.5}"
    ".dz-edge{stroke:rgba(0,0,0,.54);stroke-width:1.6}.dz-edge-head{fill:rgba(0,0,0,.54)}"
    ".dz-grad{stroke:#ff6e40}.dz-grad-head{fill:#ff6e40}"
    ".dz-frame,.dz-tick{stroke:rgba(0,0,0,.54)}.dz-grid{stroke:rgba(0,0,0,.1)}"
    ".dz-tick-label{font-size:12px;fill:rgba(0,0,0,.54)}"
    ".dz-s-0{--s:#c94f00}.dz-s-1{--s:#0067a5}.dz-s-2{--s:#00815f}.dz-s-3{--s:#b5418c}"
    "[class*=dz-s-] polyline,[class*=dz-s-] line{stroke:var(--s);stroke-width:2}"
    "[class*=dz-s-] .dz-marker{fill:var(--s);stroke:#fff;stroke-width:.8}"
    ".dz-guide polyline,.dz-guide line{stroke:rgba(0,0,0,.54);stroke-width:1.4}</style>"
)


def figure_svg(figure_html: str) -> str:
    """The standalone SVG of a figure's HTML, in the book's colours on a white ground."""
    m = _SVG.search(figure_html)
    if not m:
        raise ValueError("no <svg> in the figure")
    svg = m.group(0).replace(' data-search-exclude=""', "")
    opening = svg.index(">") + 1
    return svg[:opening] + _STANDALONE_STYLE + svg[opening:]


def add_figures(nb: nbformat.NotebookNode, figures: list[str]) -> int:
    """Put the `n`-th figure's SVG where the `n`-th figure fence was (`figures`: the figures' HTML
    in page order), as a Markdown image with a `data:` URL, which JupyterLab, Notebook 7 and
    Colab show (JupyterLab shows no SVG *attachment*). The marker comment stays, invisible, so
    the notebook's page can put the chapter's own figure there. Returns how many were placed."""
    placed = 0
    for cell in nb.cells:
        if cell.cell_type != "markdown" or "<!-- dezero-figure " not in cell.source:
            continue

        def replace(m: re.Match) -> str:
            nonlocal placed
            n, prefix = int(m.group("n")), m.group("q")
            note = m.group("note")[len(prefix):]
            if n > len(figures) or note.startswith("!["):  # no such figure, or placed already
                return m.group(0)
            data = base64.b64encode(figure_svg(figures[n - 1]).encode("utf8")).decode("ascii")
            placed += 1
            caption = re.match(r"^\*(?P<c>.*)\*\s*\(", note)
            alt = caption.group("c").replace("]", "\\]") if caption else f"figure {n}"
            image = f"{prefix}<!-- dezero-figure {n} -->\n{prefix}![{alt}](data:image/svg+xml;base64,{data})"
            return f"{image}\n{prefix.rstrip()}\n{prefix}*{caption.group('c')}*" if caption else image

        cell.source = FIGURE_MARK.sub(replace, cell.source)
    return placed
