"""Figures drawn at build time from live objects: `dezero-graph` and `dezero-plot` fences.

A `dezero-graph` fence holds ordinary dezero code. The hook runs it (in a fresh namespace, so the
fence is self-contained), takes the variable named by `output` (default `y`) and draws the
computational graph by following `creator`, `input`/`inputs` and `output`/`outputs` back from it.
Nodes are labelled with the names the objects have in the fence's namespace.

A `dezero-plot` fence runs after the page's preceding Python blocks, in the same session as the
doc-test harness runs them, and draws `ys` against `x` on log–log axes.

Both become an inline `<figure>` holding a hand-written `<svg role="img">` with a `<title>`,
a `<desc>` (a text alternative in the page's language) and a `<figcaption>`. The Markdown only
gets a placeholder paragraph where the fence was (so the figure also works inside admonitions,
tabs and lists, where raw HTML blocks are not recognised); the finished HTML replaces that
placeholder in `on_page_content`. Output is deterministic: ids come from the page and the
fence's position, numbers are formatted with fixed precision.

Styles live in `docs/assets/figures.css` (Material's CSS variables, so light and dark both work).

This module runs the fences and is the MkDocs hook; the drawing is in one module per concern:
`figure_graph` (the graph model), `figure_text` (text widths, Korean particles, text
alternatives), `figure_layout` (node sizes and positions), `figure_svg` (the graph's SVG and the
`<figure>`), `figure_plot` (log–log plots).
"""

from __future__ import annotations

import gc
import hashlib
import os
import re
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import blocks  # hooks/ is on sys.path while MkDocs loads this module, and for pytest
# The figure modules, one per concern; their public names are re-exported here.
from figure_graph import Graph, Node, derivative_label, extract_graph  # noqa: F401
from figure_plot import Series, describe_plot, make_series, render_plot, render_plot_series  # noqa: F401
from figure_svg import figure_html, graph_svg_body, render_graph  # noqa: F401
from figure_text import describe_graph, josa, text_width  # noqa: F401

try:
    from mkdocs.exceptions import PluginError
except ImportError:  # pragma: no cover - mkdocs is always there in this project
    class PluginError(Exception):  # type: ignore[no-redef]
        pass


ROOT = Path(__file__).resolve().parents[1]

# --- running fences ------------------------------------------------------------------------

# graph fence code -> its graph. The same fence appears on the ko and the en page, and
# `mkdocs serve` rebuilds often; the code imports dezero, which Python caches anyway.
_cache: dict[tuple, Graph] = {}


class FigureError(Exception):
    pass


def _failure(run: blocks.Run, where_file: str) -> str:
    """The exception's final line, plus the page line where it happened if it was in the fence."""
    msg = run.error_line or repr(run.error)
    line = None
    for frame in traceback.extract_tb(run.error.__traceback__):
        if frame.filename == where_file:
            line = frame.lineno
    return msg + (f" (raised at line {line})" if line is not None else "")


def _run_graph(block: blocks.Block, where: str) -> tuple[Graph, str]:
    view = block.attrs.get("view", "forward")
    if view not in ("forward", "backward"):
        raise FigureError(f'view="{view}" is not supported; use view="forward" or view="backward"')
    output = block.attrs.get("output", "y")
    key = ("graph", block.code, output)
    if key not in _cache:
        ns = blocks.new_session()
        run = blocks.run_block(block.code, ns, where, block.line + 1)
        if run.error is not None:
            raise FigureError(f"the figure code raised {_failure(run, where)}")
        if output not in ns:
            raise FigureError(f'the figure code does not define `{output}`, the variable to draw the '
                              f'graph from (name another with output="...")')
        try:
            _cache[key] = extract_graph(ns[output], ns)
        except TypeError as exc:
            raise FigureError(f"`{output}` cannot be drawn: {exc}") from None
    return _cache[key], view


def _run_plot(block: blocks.Block, where: str, ns: dict, earlier_errors: list[str]) -> list[Series]:
    legend_attr = block.attrs.get("legend")
    ns = dict(ns)  # the plot sees the page's names, but what it assigns stays out of the session
    run = blocks.run_block(block.code, ns, where, block.line + 1)
    hint = ("; earlier blocks on the page raised: " + "; ".join(earlier_errors)) if earlier_errors else ""
    if run.error is not None:
        raise FigureError(f"the plot code raised {_failure(run, where)}{hint}")
    for name in ("x", "ys"):
        if name not in ns:
            raise FigureError(f"the plot code does not define `{name}` (it needs `x`, a 1-D array, and "
                              f"`ys`, a list of 1-D arrays){hint}")
    import numpy as np

    x = np.asarray(ns["x"], dtype=float)
    ys = ns["ys"]
    if x.ndim != 1:
        raise FigureError(f"`x` must be 1-D, not of shape {x.shape}")
    if isinstance(ys, np.ndarray) and ys.ndim == 1:
        raise FigureError("`ys` must be a list of 1-D arrays, one per legend entry")
    ys = [np.asarray(y, dtype=float) for y in ys]
    legend = [s.strip() for s in legend_attr.split(",")] if legend_attr else \
        [f"y{i}" for i in range(len(ys))]
    if len(legend) != len(ys):
        raise FigureError(f"`ys` has {len(ys)} series but legend= names {len(legend)}")
    for i, y in enumerate(ys):
        if y.shape != x.shape:
            raise FigureError(f"series {i + 1} ({legend[i]}) has shape {y.shape}, `x` has {x.shape}")
    series = make_series(x, ys, legend)
    if not any(s.points for s in series if not s.guide):
        raise FigureError("no positive values to draw on log–log axes")
    return series


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "page"


@dataclass
class Processed:
    markdown: str
    figures: dict[str, str] = field(default_factory=dict)  # placeholder -> figure HTML


def placeholder(stem: str, index: int) -> str:
    digest = hashlib.sha1(f"{stem}:{index}".encode()).hexdigest()[:10]
    return f"DEZEROFIGURE{index:03d}X{digest}"


def process_markdown(markdown: str, *, where: str, lang: str, stem: str,
                     source: blocks.Page | None = None, source_text: str | None = None) -> Processed:
    """Replace every figure fence in `markdown` with a placeholder paragraph and build its HTML.

    `where` names the page in error messages (`docs/step03.ko.md`); `source` is the page as read
    from its file, `source_text` that file's text (line numbers for messages, the Python blocks a
    plot runs after); by default both are `markdown` itself.
    """
    lines = markdown.split("\n")
    src_figs = [b for b in source.blocks if b.kind in ("graph", "plot")] if source else []
    src_lines = source_text.split("\n") if source_text is not None else None
    if source and src_lines and all(lines[b.line - 1:b.end_line] == src_lines[b.line - 1:b.end_line]
                                    for b in src_figs):
        cur_figs = src_figs  # the fences are where the file has them: no need to parse again
    else:
        current = blocks.parse_page(markdown, where)
        cur_figs = [b for b in current.blocks if b.kind in ("graph", "plot")]
        if source is None or len(src_figs) != len(cur_figs):  # changed by another hook: use ours
            source, src_figs = current, cur_figs
    if not cur_figs:
        return Processed(markdown)

    session: dict | None = None  # the page's session, created by the first plot
    pending = list(source.python_blocks)
    earlier_errors: list[str] = []
    figures: dict[str, str] = {}
    replacements = []
    for index, (cur, blk) in enumerate(zip(cur_figs, src_figs), start=1):
        fig_id = f"dzfig-{_slug(stem)}-{index}"
        caption = blk.attrs.get("caption", "")
        try:
            if blk.kind == "graph":
                graph, view = _run_graph(blk, where)
                figure = render_graph(graph, view=view, caption=caption, lang=lang, fig_id=fig_id)
            else:
                if session is None:
                    session = blocks.new_session()
                while pending and pending[0].line < blk.line:
                    b = pending.pop(0)
                    run = blocks.run_page_block(b, session, where)
                    shown = blocks.normalize(b.output.code) if b.output else []
                    if run.error is not None and shown[-1:] != [run.error_line]:  # not on purpose
                        earlier_errors.append(f"line {b.line}: {run.error_line}")
                series = _run_plot(blk, where, session, earlier_errors)
                xr = blk.attrs.get("xlabel", "x")
                yr = blk.attrs.get("ylabel", "y")
                figure = render_plot_series(series, xlabel=xr, ylabel=yr, caption=caption, lang=lang,
                                            fig_id=fig_id)
        except FigureError as exc:
            raise PluginError(f"{where}:{blk.line}: dezero-{blk.kind} figure: {exc}") from None
        token = placeholder(stem, index)
        figures[token] = figure
        indent = re.match(r"[ \t]*", lines[cur.line - 1]).group(0)
        replacements.append((cur.line - 1, cur.end_line, ["", indent + token, ""]))
    for start, end, new in reversed(replacements):
        lines[start:end] = new
    return Processed("\n".join(lines), figures)


# --- MkDocs hooks --------------------------------------------------------------------------


def page_language(page: Any, config: Any = None) -> str:
    """"ko" or "en": the i18n plugin's locale, else the `.ko.md`/`.en.md` suffix, else the theme."""
    file = getattr(page, "file", None)
    locale = getattr(file, "locale", None)
    if isinstance(locale, str) and locale:
        return locale.split("_")[0].split("-")[0]
    name = Path(getattr(file, "src_uri", "") or "").name
    parts = name.split(".")
    if len(parts) >= 3 and len(parts[-2]) == 2:
        return parts[-2]
    try:
        return str(config["theme"]["language"]).split("_")[0]
    except Exception:
        return "en"


def _page_where(page: Any, config: Any) -> str:
    abs_src = getattr(page.file, "abs_src_path", None)
    if abs_src:
        root = Path(config.config_file_path).resolve().parent if getattr(config, "config_file_path", None) else ROOT
        try:
            return Path(abs_src).resolve().relative_to(root).as_posix()
        except ValueError:
            return str(abs_src)
    return page.file.src_uri


def on_config(config, **kwargs):
    # The fences import `dezero`; make the project's own package importable when it is not installed.
    root = str(Path(config.config_file_path).resolve().parent) if config.config_file_path else str(ROOT)
    if root not in sys.path:
        sys.path.append(root)
    return config


_package: dict[str, str] = {}  # root -> digest of its dezero/ sources at the last build


def package_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted((root / "dezero").rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def on_pre_build(config, **kwargs):
    """`mkdocs serve` after an edit of `dezero/`: the figures are drawn with the package as it is
    now (the process imported the old one; the graphs kept are of the old one)."""
    root = Path(config.config_file_path).resolve().parent if config.config_file_path else ROOT
    digest, last = package_digest(root), _package.get(str(root))
    if last is not None and digest != last:
        for name in [n for n in sys.modules if n == "dezero" or n.startswith("dezero.")]:
            del sys.modules[name]
        _cache.clear()
    _package[str(root)] = digest


def on_page_markdown(markdown, page, config, files, **kwargs):
    if "dezero-graph" not in markdown and "dezero-plot" not in markdown:
        return markdown
    where = _page_where(page, config)
    source = source_text = None
    abs_src = getattr(page.file, "abs_src_path", None)
    if abs_src and os.path.exists(abs_src):
        source = blocks.read_page(abs_src)  # cached: the other hooks read the same pages
        source = blocks.Page(Path(where), source.blocks, source.orphan_outputs)
        source_text = Path(abs_src).read_text("utf8")
    stem = Path(page.file.src_uri).name.split(".")[0]
    # The fences' blocks each start with a full collection (blocks.run_block), which walks the
    # build's whole heap; frozen, the heap is left out of it and nothing in it is finalized in a
    # block's name either. Thawed afterwards (unless someone else froze it: a harness's session).
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    try:
        result = process_markdown(markdown, where=where, lang=page_language(page, config), stem=stem,
                                  source=source, source_text=source_text)
    finally:
        if freeze:
            gc.unfreeze()
    page.dezero_figures = result.figures
    return result.markdown


def insert_figures(html_text: str, figures: dict[str, str]) -> str:
    """Put each figure where Markdown rendered its placeholder (a paragraph of its own)."""
    for token, figure in figures.items():
        wrapped = f"<p>{token}</p>"
        if wrapped in html_text:
            html_text = html_text.replace(wrapped, figure)
        elif token in html_text:  # e.g. in a tight list item
            html_text = html_text.replace(token, figure)
        else:
            raise LookupError(token)
    return html_text


def on_page_content(html_text, page, config, files, **kwargs):
    figures = getattr(page, "dezero_figures", None)
    if not figures:
        return html_text
    try:
        html_text = insert_figures(html_text, figures)
    except LookupError as exc:
        raise PluginError(f"{_page_where(page, config)}: the placeholder {exc} of a figure "
                          f"disappeared from the rendered page") from None
    page.dezero_figures = None
    return html_text
