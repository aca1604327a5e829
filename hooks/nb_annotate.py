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


def figure_svg(figure_html: str) -> str:
    """The standalone SVG of a figure's HTML (it carries its own fallback colours)."""
    m = _SVG.search(figure_html)
    if not m:
        raise ValueError("no <svg> in the figure")
    return m.group(0)


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
