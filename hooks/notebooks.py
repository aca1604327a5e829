"""MkDocs hook: every chapter is also a Jupyter notebook, derived from the page at build time.

For each chapter `docs/stepNN.<lang>.md` the build

- derives a notebook (`derive_notebook`): the prose becomes Markdown cells (split at headings,
  TeX kept as `$...$` for Jupyter), every Python block becomes one code cell, in page order.
  Output blocks are left out (running the notebook prints them), figures (`dezero-graph`,
  `dezero-plot`) become a one-line note linking to the chapter, admonitions a quote with a bold
  title, tabs a bold label, and the complete program (`??? example`) a heading and its code
  cell. A block whose output block ends in an exception is tagged `raises-exception`, so that
  Jupyter's "Run All" goes on past it. Links to other pages point at the hosted site;
- offers it for download, without outputs, as `notebooks/stepNN.<lang>.ipynb` (under `en/` for
  English), linked at the top of the chapter ("노트북 받기" / "Download notebook");
- runs it with nbclient in a fresh kernel, once per build: the first language's build starts
  every language's notebooks, several kernels at once, in a thread, while the pages are written;
- has mkdocs-jupyter render the executed notebook as a page of its own, `notebooks/stepNN/`
  (`en/notebooks/stepNN/`), linked from the chapter, out of the nav and the search index.

The hook adds these files itself, from a temporary folder (never `docs/`), after the i18n plugin
has picked the language's files: an `.ipynb` inside `docs/` would be turned back into a plain
copied file by the i18n plugin and never rendered.

The rendered page loads nothing from outside the site: nbconvert's MathJax and Mermaid loaders
are removed and the notebook's math is marked up as `pymdownx.arithmatex` marks the chapters',
so the TeX-to-MathML hook renders it; the 600 kB of inline notebook CSS becomes one shared file.
A raised exception is shown by its last line (IPython's Minimal traceback), as in the chapter.

The kernels run the in-repo `dezero`: they start in the repository root, which is also put on
their `PYTHONPATH`, as `pip install -e .` would.
"""
from __future__ import annotations

import html
import os
import posixpath
import re
import tempfile
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import nbformat
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority, get_plugin_logger
from mkdocs.structure.files import File, InclusionLevel
from mkdocs.utils import get_relative_url

import blocks

log = get_plugin_logger(__name__)

CHAPTER = re.compile(r"^(?P<stem>step\d+)\.(?P<lang>[a-z]{2})\.md$")
NOTEBOOK_DIR = "notebooks"
DEFAULT_LANGUAGE = "ko"

LABELS = {
    "ko": {
        "download": "노트북 받기",
        "view": "실행된 노트북 보기",
        "figure": "그림은 책 페이지에서 볼 수 있습니다",
        "banner_title": "노트북",
        "banner": "이 페이지는 <a href=\"{chapter}\">{title}</a> 장을 주피터 노트북으로 옮겨, "
        "사이트를 빌드할 때 처음부터 끝까지 실행한 결과입니다.",
    },
    "en": {
        "download": "Download notebook",
        "view": "View the executed notebook",
        "figure": "the figure is on the book's page",
        "banner_title": "Notebook",
        "banner": "This page is <a href=\"{chapter}\">{title}</a> as a Jupyter notebook, run top "
        "to bottom when the site was built.",
    },
}

_ADMONITION = re.compile(r'^(?P<marker>!!!|\?\?\?\+?)\s*(?P<type>[\w-]+(?:\s+[\w-]+)*)?(?:\s+"(?P<title>.*)")?\s*$')
_TAB = re.compile(r'^===\+?!?\s+"(?P<title>.*)"\s*$')
_HEADING = re.compile(r"^#{1,6}\s")
_H1 = re.compile(r"^#\s+(?P<title>.+?)\s*#*\s*$")
_LINK = re.compile(r"(?<!\!)(\]\()(?P<target>[^)\s]+)(?P<rest>(?:\s+\"[^\"]*\")?\))")


def _labels(lang: str) -> dict[str, str]:
    return LABELS.get(lang, LABELS["en"])


# --- deriving a notebook from a chapter ------------------------------------------------------


@dataclass
class _Container:
    indent: int
    kind: str  # "quote" (admonition), "example" (the complete program) or "tab"


@dataclass
class _Line:
    text: str
    quote: int | None  # quote depth; None for a blank line (decided by its neighbours)
    prose: bool = True  # False inside a non-Python fence: no cell split, no link rewriting


def _container_line(opener: str, depth: int) -> tuple[_Container | None, str | None]:
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
    return _Container(0, "quote"), (f"**{title}**" if title else None)


def _site_link(target: str, lang: str, base: str) -> str:
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
    return _LINK.sub(lambda m: m.group(1) + _site_link(m.group("target"), lang, base) + m.group("rest"), text)


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning)(?::\s.*)?$")


def meant_to_raise(block: blocks.Block) -> bool:
    """A Python block whose output block ends in an exception's final line (CONTRIBUTING.md)."""
    shown = blocks.normalize(block.output.code) if block.output is not None else []
    return bool(shown) and bool(_EXCEPTION_LINE.match(shown[-1]))


def derive_notebook(
    text: str, lang: str, site_url: str | None = None, page: str | None = None
) -> nbformat.NotebookNode:
    """The notebook for a chapter's Markdown `text`, in language `lang`.

    `site_url` (the hosted book's root URL) turns links to other pages into absolute links;
    without it they are left as written. `page` (e.g. `step02.md`) lets a figure's note link to
    the chapter, where the figure is.
    """
    parsed = blocks.parse_page(text)
    lines = text.split("\n")
    unwrapped = blocks.unwrap_containers(text).split("\n")
    starts = {b.line - 1: b for b in parsed.blocks}
    base = None if site_url is None else site_url.rstrip("/") + "/"
    figure_note = _labels(lang)["figure"]
    if page is not None and base is not None:
        figure_note = f"[{figure_note}]({_site_link(page, lang, base)})"

    items: list[_Line | blocks.Block] = []  # Markdown lines, and the Python blocks
    stack: list[_Container] = []

    def quote() -> int:
        return sum(c.kind == "quote" for c in stack)

    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            items.append(_Line("", None))
            i += 1
            continue
        indent = len(line) - len(line.lstrip(" "))
        while stack and indent < stack[-1].indent + 4:
            stack.pop()
        block = starts.get(i)
        if block is not None:
            end = block.end_line  # 0-based index of the line after the closing fence
            if block.kind == "python":
                items.append(block)
            elif block.kind in ("graph", "plot"):
                caption = block.attrs.get("caption", "").strip()
                note = f"*{caption}* ({figure_note})" if caption else f"({figure_note})"
                items.append(_Line(note, quote()))
            elif block.kind == "other":
                for j in range(i, end):
                    items.append(_Line(unwrapped[j], quote() if unwrapped[j].strip() else None, prose=False))
            # output blocks: left out, running the cell prints them
            i = end
            continue
        if not unwrapped[i].strip():  # blocks.unwrap_containers blanked it: a container opens here
            container, shown = _container_line(line.strip(), len(stack))
            if container is None:  # cannot happen with blocks' own pattern, but keep the text
                items.append(_Line(line.strip(), quote()))
            else:
                container.indent = indent
                stack.append(container)
                if shown is not None:
                    items.append(_Line(shown, quote()))
            i += 1
            continue
        items.append(_Line(_rewrite_links(unwrapped[i], lang, base), quote()))
        i += 1

    cells: list[nbformat.NotebookNode] = []

    def add_markdown(chunk: list[_Line]) -> None:
        # blank lines take the quote depth both neighbours share, so a quote is not cut open
        for k, item in enumerate(chunk):
            if item.quote is None:
                before = next((c.quote for c in reversed(chunk[:k]) if c.quote is not None), 0)
                after = next((c.quote for c in chunk[k + 1:] if c.quote is not None), 0)
                item.quote = min(before, after)
        out = [("> " * it.quote + it.text if it.text else ">" * it.quote).rstrip() if it.quote else it.text
               for it in chunk]
        while out and not out[0].strip():
            out.pop(0)
        while out and not out[-1].strip():
            out.pop()
        if out:
            cells.append(nbformat.v4.new_markdown_cell("\n".join(out), id=f"cell-{len(cells) + 1}"))

    chunk: list[_Line] = []
    for item in items:
        if isinstance(item, blocks.Block):
            add_markdown(chunk)
            chunk = []
            cell = nbformat.v4.new_code_cell(item.code.rstrip("\n"), id=f"cell-{len(cells) + 1}")
            if meant_to_raise(item):
                # Jupyter's "Run All" (and nbclient) go on past a cell with this tag
                cell.metadata["tags"] = ["raises-exception"]
            cells.append(cell)
            continue
        if item.prose and item.quote == 0 and _HEADING.match(item.text) and any(c.text.strip() for c in chunk):
            add_markdown(chunk)
            chunk = []
        chunk.append(item)
    add_markdown(chunk)

    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = nbformat.from_dict({
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })
    nbformat.validate(nb)
    return nb


def derive_notebook_from_file(path: Path | str, site_url: str | None = None) -> nbformat.NotebookNode:
    path = Path(path)
    m = CHAPTER.match(path.name)
    lang = m.group("lang") if m else DEFAULT_LANGUAGE
    page = f"{m.group('stem')}.md" if m else None
    return derive_notebook(path.read_text("utf8"), lang, site_url, page)


def to_ipynb(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


# --- running notebooks -----------------------------------------------------------------------


def kernel_env(root: Path | str) -> dict[str, str]:
    """The kernel's environment: the build's, with the repository root on `PYTHONPATH`."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH", "")) if p)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # no debugger notice on stderr
    return env


async def execute_notebook(
    nb: nbformat.NotebookNode,
    root: Path | str,
    workdir: Path | str,
    *,
    allow_errors: bool = True,
    extra_arguments: tuple[str, ...] = (),
) -> nbformat.NotebookNode:
    """Run `nb` top to bottom in a fresh kernel, in place, as Jupyter's "Run All" would.

    The kernel starts in `root` with `root` on `PYTHONPATH`, so `from dezero import ...` is the
    in-repo package. With `allow_errors=False` an error stops the run (nbclient's
    `CellExecutionError`) unless its cell is tagged `raises-exception`, as in Jupyter.
    """
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient

    if os.name == "posix":
        # IPC sockets: nothing listens on the network (and ipykernel does not warn about it)
        sockets = Path(tempfile.mkdtemp(prefix="k", dir=workdir))
        km = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=str(sockets / "kernel"))
    else:
        km = AsyncKernelManager(kernel_name="python3")
    client = NotebookClient(
        nb,
        km=km,
        timeout=600,
        allow_errors=allow_errors,
        record_timing=False,
        coalesce_streams=True,  # one output per stream, as Jupyter shows it (prints arrive in pieces)
        extra_arguments=list(extra_arguments),
        resources={"metadata": {"path": str(root)}},
    )
    try:
        await client.async_execute(env=kernel_env(root))
    finally:  # nbclient cleans up only a kernel it started itself: stop ours and close its sockets
        if client.kc is not None:
            client.kc.stop_channels()
        if km.has_kernel:
            await km.shutdown_kernel(now=True)
        km.context.destroy(linger=0)
    return nb


def parallelism() -> int:
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


def execute_in_background(
    notebooks: dict[object, nbformat.NotebookNode], root: Path | str, workdir: Path | str, **options
) -> dict[object, Future]:
    """Start running the notebooks (several at once, in a thread); a future for each key."""
    import asyncio

    futures: dict[object, Future] = {key: Future() for key in notebooks}

    async def run_all() -> None:
        gate = asyncio.Semaphore(parallelism())

        async def one(key: object, nb: nbformat.NotebookNode) -> None:
            async with gate:
                try:
                    futures[key].set_result(await execute_notebook(nb, root, workdir, **options))
                except BaseException as exc:  # handed to whoever waits for this notebook
                    futures[key].set_exception(exc)

        await asyncio.gather(*(one(key, nb) for key, nb in notebooks.items()))

    if notebooks:
        threading.Thread(target=asyncio.run, args=(run_all(),), name="notebooks", daemon=True).start()
    return futures


def unexpected_errors(nb: nbformat.NotebookNode) -> list[str]:
    """`ename: evalue` of errors in cells not tagged `raises-exception`."""
    found = []
    for n, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "raises-exception" in cell.metadata.get("tags", []):
            continue
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                found.append(f"code cell {n + 1}: {out.ename}: {out.evalue}")
    return found


# --- the MkDocs hook -------------------------------------------------------------------------

# the rendered page shows a raised exception the way the chapter does: its last line only
_RENDER_KERNEL_ARGS = ("--InteractiveShell.xmode=Minimal",)


class _NotebookPage(File):
    """An executed `.ipynb` that becomes a page (mkdocs-jupyter renders it)."""

    def is_documentation_page(self) -> bool:
        return True


@dataclass
class _Chapter:
    lang: str
    stem: str
    title: str
    chapter: File
    download: File
    page: File
    run: Future


# per build process; the i18n plugin runs one MkDocs build per language in it
_state: dict = {"chapters": {}, "runs": {}, "workdir": None}


def _i18n(config):
    return config.plugins.get("i18n")


def _language(config) -> str:
    lang = getattr(_i18n(config), "current_language", None)
    return lang or config.theme.get("language") or DEFAULT_LANGUAGE


def _default_language(config) -> str:
    return getattr(_i18n(config), "default_language", None) or DEFAULT_LANGUAGE


def _workdir() -> Path:
    if _state["workdir"] is None:
        _state["workdir"] = tempfile.TemporaryDirectory(prefix="dezero-notebooks-")
    return Path(_state["workdir"].name)


def _relative_link(target: File, source: File) -> str:
    """A Markdown link from `source` to `target` by source path (MkDocs checks and rewrites it)."""
    return posixpath.relpath(target.src_uri, posixpath.dirname(source.src_uri) or ".")


def _key(lang: str, nb: nbformat.NotebookNode) -> tuple[str, str]:
    import hashlib

    return lang, hashlib.sha256(to_ipynb(nb).encode()).hexdigest()


def _derive(path: Path, lang: str, stem: str, config) -> nbformat.NotebookNode:
    return derive_notebook(path.read_text("utf8"), lang, config.site_url or "/", f"{stem}.md")


def _start_runs(config, lang: str) -> None:
    """Start running this build's notebooks; the first build also starts the other languages',
    so that they run while this language's pages are written."""
    root = Path(config.config_file_path).resolve().parent
    languages = [lang]
    if not _state["runs"]:
        languages += [l for l in getattr(_i18n(config), "build_languages", []) if l != lang]
    wanted: dict[object, nbformat.NotebookNode] = {}
    for path in sorted(Path(config.docs_dir).glob("*.md")):
        m = CHAPTER.match(path.name)
        if m and m.group("lang") in languages:
            nb = _derive(path, m.group("lang"), m.group("stem"), config)
            key = _key(m.group("lang"), nb)
            if key not in _state["runs"]:
                wanted[key] = nbformat.from_dict(nb)  # a copy: the run fills in outputs
    _state["runs"].update(
        execute_in_background(wanted, root, _workdir(), extra_arguments=_RENDER_KERNEL_ARGS)
    )


def _localize(page: File, chapter: File, lang: str, stem: str, config) -> None:
    """What the i18n plugin records on the files it picks, so that the language switcher of a
    notebook page goes to the same notebook in the other languages the chapter exists in."""
    default = _default_language(config)
    others = getattr(chapter, "alternates", None) or {lang: chapter}
    page.locale = page.locale_alternate_of = page.localization = lang
    page.norm_src_uri = page.src_uri.replace(f".{lang}.", ".", 1)
    page.alternates = {
        other: SimpleNamespace(url=f"{'' if other == default else other + '/'}{NOTEBOOK_DIR}/{stem}/")
        for other in others
    }
    page.alternates[lang] = page


@event_priority(-110)  # after the i18n plugin (-100) has picked this language's files
def on_files(files, config):
    lang = _language(config)
    prefix = "" if lang == _default_language(config) else f"{lang}/"
    out_dir = _workdir() / lang / NOTEBOOK_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    _start_runs(config, lang)

    chapters = _state["chapters"] = {}
    for f in list(files.documentation_pages()):
        m = CHAPTER.match(posixpath.basename(f.src_uri))
        if not m or m.group("lang") != lang or f.abs_src_path is None:
            continue
        stem = m.group("stem")
        nb = _derive(Path(f.abs_src_path), lang, stem, config)
        run = _state["runs"].get(_key(lang, nb))
        if run is None:  # the page changed since the runs started (mkdocs serve)
            _start_runs(config, lang)
            run = _state["runs"][_key(lang, nb)]

        name = f"{stem}.{lang}.ipynb"
        download = File.generated(config, f"{NOTEBOOK_DIR}/{name}", content=to_ipynb(nb))
        download.dest_uri = f"{prefix}{NOTEBOOK_DIR}/{name}"
        rendered_src = out_dir / f"{stem}.{lang}.executed.ipynb"
        rendered_src.write_text(to_ipynb(nb), "utf8")  # replaced by the run in on_pre_page
        page = _NotebookPage.generated(
            config, f"{NOTEBOOK_DIR}/{stem}.{lang}.executed.ipynb",
            abs_src_path=str(rendered_src), inclusion=InclusionLevel.NOT_IN_NAV,
        )
        page.dest_uri = f"{prefix}{NOTEBOOK_DIR}/{stem}/index.html"
        _localize(page, f, lang, stem, config)
        title = next((h.group("title") for h in map(_H1.match, f.content_string.split("\n")) if h), stem)
        files.append(download)
        files.append(page)
        chapters[f.src_uri] = chapters[page.src_uri] = _Chapter(lang, stem, title, f, download, page, run)
    return files


def on_pre_page(page, config, files):
    chapter = _state["chapters"].get(page.file.src_uri)
    if chapter is None or page.file is not chapter.page:
        return page
    started = time.perf_counter()
    try:
        run = chapter.run.result()
    except Exception as exc:
        raise PluginError(f"{chapter.chapter.src_uri}: running its notebook failed: {exc!r}") from exc
    waited = time.perf_counter() - started
    log.debug(f"Notebook of '{chapter.chapter.src_uri}' ready (waited {waited:.1f} s)")
    for problem in unexpected_errors(run):
        log.warning(f"Notebook of '{chapter.chapter.src_uri}': {problem} (the chapter shows no such error)")
    Path(page.file.abs_src_path).write_text(to_ipynb(run), "utf8")
    return page


def on_page_markdown(markdown, page, config, files):
    chapter = _state["chapters"].get(page.file.src_uri)
    if chapter is None:
        return markdown
    if page.file is chapter.page:
        page.meta["search"] = {"exclude": True}  # search should find the chapter itself
        return markdown
    labels = _labels(chapter.lang)
    links = (
        f'[{labels["download"]}]({_relative_link(chapter.download, page.file)})'
        f'{{ .md-button download="{chapter.download.src_uri.rsplit("/", 1)[-1]}" }} '
        f'[{labels["view"]}]({_relative_link(chapter.page, page.file)}){{ .md-button }}'
    )
    lines = markdown.split("\n")
    at = next((n + 1 for n, line in enumerate(lines) if _H1.match(line)), 0)
    lines[at:at] = ["", links, ""]
    return "\n".join(lines)


_MATHJAX = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S)
_MODULE_SCRIPT = re.compile(r'<script type="module">.*?</script>', re.S)
_MARKDOWN_CELL = re.compile(
    r'(<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown[^"]*"[^>]*>)(.*?)(</div>\s*</div>\s*</div>)', re.S
)
_CODE = re.compile(r"(<(code|pre)\b.*?</\2>)", re.S)
_DISPLAY_P = re.compile(r"<p>\s*\$\$(.+?)\$\$\s*</p>", re.S)
_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE = re.compile(r"(?<![\\$])\$(?!\s)([^$<]+?)(?<!\s)\$")


def _mark_math(cell_html: str) -> str:
    """TeX left as `$...$` by nbconvert, marked up as pymdownx.arithmatex (generic) does."""
    parts = _CODE.split(cell_html)
    out = []
    for n, part in enumerate(parts):
        if n % 3 == 1:
            out.append(part)
        elif n % 3 == 0:
            part = _DISPLAY_P.sub(lambda m: f'<div class="arithmatex">\\[{m.group(1)}\\]</div>', part)
            part = _DISPLAY.sub(lambda m: f'<span class="arithmatex">\\[{m.group(1)}\\]</span>', part)
            part = _INLINE.sub(lambda m: f'<span class="arithmatex">\\({m.group(1)}\\)</span>', part)
            out.append(part)
    return "".join(out)


_HEADING_HTML = re.compile(
    r'<h(?P<level>[1-6]) id="[^"]*">(?P<inner>.*?)<a class="anchor-link" href="#[^"]*">¶</a></h(?P=level)>', re.S
)
_STYLE = re.compile(r"<style[^>]*>(.*?)</style>\s*", re.S)


def _headings(content: str) -> tuple[str, list[dict]]:
    """Give the notebook's headings the ids Python-Markdown gives the chapter's (`#61-grad`),
    Material's permalink, and return them as table-of-contents tokens."""
    from markdown.extensions.toc import slugify, unique

    used: set[str] = set()
    tokens: list[dict] = []

    def replace(m: re.Match) -> str:
        level, inner = int(m.group("level")), m.group("inner").strip()
        name = re.sub(r"<[^>]+>", "", inner).strip()
        anchor = unique(slugify(html.unescape(name), "-"), used)
        tokens.append({"level": level, "id": anchor, "name": name})
        return (f'<h{level} id="{anchor}">{inner}<a class="headerlink" href="#{anchor}" '
                f'title="Permanent link">¶</a></h{level}>')

    return _HEADING_HTML.sub(replace, content), tokens


def _shared_stylesheet(content: str, page, config) -> str:
    """Move nbconvert's inline styles (about 600 kB, the same on every notebook page) to one file."""
    import hashlib

    css = "\n".join(m.group(1).strip() for m in _STYLE.finditer(content))
    if not css:
        return content
    name = f"assets/notebooks/notebook.{hashlib.sha256(css.encode()).hexdigest()[:8]}.css"
    target = Path(config.site_dir) / name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(css, "utf8")
    link = f'<link rel="stylesheet" href="{html.escape(get_relative_url(name, page.url))}">\n'
    return link + _STYLE.sub("", content)


@event_priority(50)  # before the TeX-to-MathML hook, which renders the math marked up here
def on_page_content(html_content, page, config, files):
    from markdown.extensions.toc import nest_toc_tokens
    from mkdocs.structure.toc import get_toc

    chapter = _state["chapters"].get(page.file.src_uri)
    if chapter is None or page.file is not chapter.page:
        return html_content
    content = _MATHJAX.sub("", html_content)
    content = _MODULE_SCRIPT.sub(lambda m: "" if "mermaid" in m.group(0) else m.group(0), content)
    content = _MARKDOWN_CELL.sub(lambda m: m.group(1) + _mark_math(m.group(2)) + m.group(3), content)
    content = _shared_stylesheet(content, page, config)
    content, tokens = _headings(content)
    page.toc = get_toc(nest_toc_tokens(tokens))
    labels = _labels(chapter.lang)
    page.title = f"{chapter.title} · {labels['banner_title']}"

    # links into the book: the notebook has them absolute (it is read outside the site too)
    base = config.site_url or "/"
    here = page.file.url

    def local(m: re.Match) -> str:
        path, sep, anchor = m.group(2).partition("#")
        return f'{m.group(1)}{get_relative_url(path or ".", here)}{sep}{anchor}"'

    content = re.sub(r'(href=")' + re.escape(base) + r'([^"]*)"', local, content)

    banner = labels["banner"].format(
        chapter=html.escape(chapter.chapter.url_relative_to(page.file)), title=html.escape(chapter.title)
    )
    download = html.escape(chapter.download.url_relative_to(page.file))
    name = html.escape(chapter.download.src_uri.rsplit("/", 1)[-1])
    banner = (
        f'<div class="admonition info notebook-banner"><p class="admonition-title">{labels["banner_title"]}</p>'
        f'<p>{banner}</p><p><a class="md-button" href="{download}" download="{name}">{labels["download"]}</a></p></div>\n'
    )
    end_h1 = content.find("</h1>")
    if end_h1 < 0:
        return banner + content
    end_h1 += len("</h1>")
    return content[:end_h1] + banner + content[end_h1:]
