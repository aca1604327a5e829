"""MkDocs hook: every chapter is also a Jupyter notebook, derived from the page at build time.

For each chapter `docs/stepNN.<lang>.md` the build

- derives a notebook (`nb_derive`): prose as Markdown cells, every Python block as a code cell,
  a first cell that installs `dezero` where it is missing, answers to exercises collapsed after a
  marker cell, and the figures the chapter draws as SVG images (`data:` URLs);
- runs it in a fresh kernel of the build's own interpreter (`nb_execute`), starting as soon as
  the build starts, several at once, in a thread, while the chapters are written; the Korean and
  English notebooks of a chapter, whose code differs only in comments, share one run; an
  unchanged chapter (same code, same `dezero`, same interpreter and NumPy) is served from a
  content-addressed cache;
- tags `raises-exception` on each cell whose block the page shows raising the exception the run
  raised, so that Jupyter's "Run All" goes on past it, and warns about any other error;
- offers it for download, without outputs, as `notebooks/stepNN.<lang>.ipynb` (under `en/` for
  English), linked at the top of the chapter ("노트북 받기" / "Download notebook");
- shows the executed notebook as a page of its own, `notebooks/stepNN/` (`en/notebooks/stepNN/`),
  written back as the book's Markdown (`nb_render`) and rendered like a chapter, linked from the
  chapter, out of the nav and the search index, with the chapter's neighbours as prev/next.

The hook adds these files itself, after the i18n plugin has picked the language's files: an
`.ipynb` inside `docs/` would be turned back into a plain copied file by the i18n plugin.
"""
from __future__ import annotations

import hashlib
import posixpath
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import nbformat
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority, get_plugin_logger
from mkdocs.structure.files import File, InclusionLevel
from mkdocs.utils import get_relative_url

import blocks
import nb_annotate
import nb_derive
import nb_execute
import nb_render
from nb_derive import CHAPTER, DEFAULT_LANGUAGE, derive_notebook, to_ipynb
from nb_execute import execute_in_background

log = get_plugin_logger(__name__)

NOTEBOOK_DIR = "notebooks"
STYLESHEET = "assets/notebook.css"
# the page shows a raised exception the way the chapter does: its last line only, no colours
KERNEL_ARGS = ("--InteractiveShell.xmode=Minimal", "--InteractiveShell.colors=nocolor")


@dataclass
class _Chapter:
    lang: str
    stem: str
    title: str
    chapter: File
    download: File
    page: File
    notebook: nbformat.NotebookNode  # derived, no outputs
    run: object  # Future of the executed notebook
    figures: list[str] = field(default_factory=list)  # the chapter's figures' HTML, in page order
    figure_html: dict[str, str] = field(default_factory=dict)  # token -> HTML on the notebook page


# per build process; the i18n plugin runs one MkDocs build per language in it
_state: dict = {"chapters": {}, "runs": {}, "workdir": None, "fingerprint": None, "derived": {},
                "dirty": False, "stamps": {}, "figures": {}}


def _i18n(config):
    return config.plugins.get("i18n")


def _language(config) -> str:
    lang = getattr(_i18n(config), "current_language", None)
    return lang or config.theme.get("language") or DEFAULT_LANGUAGE


def _default_language(config) -> str:
    return getattr(_i18n(config), "default_language", None) or DEFAULT_LANGUAGE


def _root(config) -> Path:
    return Path(config.config_file_path).resolve().parent


def _workdir() -> Path:
    if _state["workdir"] is None:
        _state["workdir"] = tempfile.TemporaryDirectory(prefix="dezero-notebooks-")
    return Path(_state["workdir"].name)


def _derive(path: Path, lang: str, stem: str, config) -> nbformat.NotebookNode:
    """The chapter's notebook (a fresh copy; derived once per content in this process)."""
    args = (path.read_text("utf8"), lang, config.site_url or "/", f"{stem}.md",
            nb_derive.repository_url(_root(config)))
    derived = _state["derived"]
    if args not in derived:
        derived.clear() if len(derived) > 200 else None
        derived[args] = derive_notebook(*args)
    return nbformat.from_dict(derived[args])


def _start_runs(config, languages: list[str]) -> None:
    """Start running the notebooks of `languages` that are not running yet (by content), one
    language after the other: the first language's runs start before the next is derived."""
    root = _root(config)
    chapters = [(p, CHAPTER.match(p.name)) for p in sorted(Path(config.docs_dir).glob("*.md"))]
    for lang in languages:
        wanted = {}
        for path, m in chapters:
            if m and m.group("lang") == lang:
                nb = _derive(path, lang, m.group("stem"), config)
                key = nb_execute.cache_key(nb, _state["fingerprint"], KERNEL_ARGS)
                if key not in _state["runs"] and key not in wanted:
                    wanted[key] = nbformat.from_dict(nb)  # a copy: the run fills in outputs
        _state["runs"].update(execute_in_background(
            wanted, root, _workdir(), keys={k: k for k in wanted}, extra_arguments=KERNEL_ARGS))


def on_startup(command, dirty):
    """`mkdocs serve --dirty`: a notebook page (and download) is rebuilt only when its chapter's
    text or its run changed (see `_dirty_files`); MkDocs skips the pages whose files did not."""
    _state["dirty"] = bool(dirty)


def _dirty_files(config, lang: str, stem: str, chapter: File, key: str) -> tuple[str, str | None]:
    """For a dirty build: the file that stands for the notebook page's source, rewritten (so
    newer than the built page) only when the chapter's text or the run's key changed, and the
    notebook as last downloaded (None if it must be made anew)."""
    folder = _workdir() / "dirty"
    folder.mkdir(exist_ok=True)
    stamp, ipynb = folder / f"{stem}.{lang}.md", folder / f"{stem}.{lang}.ipynb"
    state = hashlib.sha256(f"{key}\0{chapter.content_string}".encode()).hexdigest()
    if _state["stamps"].get((lang, stem)) != state:
        stamp.write_text(state, "utf8")
        ipynb.unlink(missing_ok=True)
        _state["stamps"][(lang, stem)] = state
    return str(stamp), (str(ipynb) if ipynb.exists() else None)


def on_pre_build(config):
    """Every language's notebooks start running now, before MkDocs has even listed the files
    (the i18n plugin's later builds of other languages find theirs started)."""
    i18n = _i18n(config)
    if _state["fingerprint"] is not None and i18n is not None and _language(config) != _default_language(config):
        return
    _state["fingerprint"] = nb_execute.environment_fingerprint(_root(config))
    nb_execute.prepare_kernels(_root(config), _workdir())  # the kernels' template imports meanwhile
    languages = [_language(config)] + [l for l in getattr(_i18n(config), "build_languages", []) or []]
    _start_runs(config, list(dict.fromkeys(languages)))


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
    if _state["fingerprint"] is None:  # no on_pre_build (a plugin test calling on_files alone)
        _state["fingerprint"] = nb_execute.environment_fingerprint(_root(config))
    chapters = _state["chapters"] = {}
    for f in list(files.documentation_pages()):
        m = CHAPTER.match(posixpath.basename(f.src_uri))
        if not m or m.group("lang") != lang or f.abs_src_path is None:
            continue
        stem = m.group("stem")
        nb = _derive(Path(f.abs_src_path), lang, stem, config)
        key = nb_execute.cache_key(nb, _state["fingerprint"], KERNEL_ARGS)
        if key not in _state["runs"]:  # the page changed since the runs started (mkdocs serve)
            _start_runs(config, [lang])
        name = f"{stem}.{lang}.ipynb"
        stamp, last = _dirty_files(config, lang, stem, f, key) if _state["dirty"] else (None, None)
        if last:
            download = File.generated(config, f"{NOTEBOOK_DIR}/{name}", abs_src_path=last)
        else:
            download = File.generated(config, f"{NOTEBOOK_DIR}/{name}", content=to_ipynb(nb))
        download.dest_uri = f"{prefix}{NOTEBOOK_DIR}/{name}"
        source = {"abs_src_path": stamp} if stamp else {"content": ""}
        page = File.generated(config, f"{NOTEBOOK_DIR}/{stem}.{lang}.executed.md",
                              inclusion=InclusionLevel.NOT_IN_NAV, **source)
        page.dest_uri = f"{prefix}{NOTEBOOK_DIR}/{stem}/index.html"
        _localize(page, f, lang, stem, config)
        title = next((h.group("title") for h in map(nb_derive._H1.match, f.content_string.split("\n")) if h), stem)
        files.append(download)
        files.append(page)
        chapters[f.src_uri] = chapters[page.src_uri] = _Chapter(
            lang, stem, title, f, download, page, nb, _state["runs"][key])
    return files


def on_pre_page(page, config, files):
    """A notebook page: wait for its run, tag and fill in the notebook, write the page's Markdown."""
    chapter = _state["chapters"].get(page.file.src_uri)
    if chapter is None or page.file is not chapter.page:
        return page
    started = time.perf_counter()
    try:
        # the run's outputs on the chapter as it is now (its prose may have changed since; the
        # run may be of the other language's notebook, whose code differs only in comments)
        try:
            executed = nb_execute.with_outputs(chapter.notebook, chapter.run.result())
        except nb_execute.OtherComments as exc:  # its outputs show them: run this one by itself
            log.info(f"Notebook of '{chapter.chapter.src_uri}' runs by itself: {exc}")
            alone = execute_in_background({0: nbformat.from_dict(chapter.notebook)}, _root(config), _workdir(),
                                          extra_arguments=KERNEL_ARGS)[0]
            executed = nb_execute.with_outputs(chapter.notebook, alone.result())
    except Exception as exc:
        raise PluginError(f"{chapter.chapter.src_uri}: running its notebook failed: {exc!r}") from exc
    log.debug(f"Notebook of '{chapter.chapter.src_uri}' ready (waited {time.perf_counter() - started:.1f} s)")
    source = blocks.read_page(chapter.chapter.abs_src_path)
    for problem in nb_annotate.tag_raising_cells(chapter.notebook, source, executed):
        log.warning(f"Notebook of '{chapter.chapter.src_uri}': {problem} (the chapter shows no such error)")
    fences = sum(b.kind in ("graph", "plot") for b in source.blocks)
    if _state["dirty"] and not chapter.figures and fences:  # the chapter was not rebuilt: its last figures
        chapter.figures = list(_state["figures"].get(chapter.chapter.src_uri, []))
    if len(chapter.figures) != fences:
        log.warning(f"Notebook of '{chapter.chapter.src_uri}': {fences} figure fences, "
                    f"{len(chapter.figures)} figures drawn")
    nb_annotate.add_figures(chapter.notebook, chapter.figures)
    nb_annotate.add_figures(executed, chapter.figures)
    chapter.figure_html = {
        nb_render.figure_token(chapter.stem, n): html
        for n, html in enumerate(chapter.figures, start=1)
    }
    chapter.download.content_string = to_ipynb(chapter.notebook)
    if _state["dirty"]:
        (_workdir() / "dirty" / f"{chapter.stem}.{chapter.lang}.ipynb").write_text(chapter.download.content_string, "utf8")
    page.file.content_string = nb_render.page_markdown(executed, chapter.lang, chapter.stem, chapter.figure_html)
    return page


def _relative_link(target: File, source: File) -> str:
    """A Markdown link from `source` to `target` by source path (MkDocs checks and rewrites it)."""
    return posixpath.relpath(target.src_uri, posixpath.dirname(source.src_uri) or ".")


def on_page_markdown(markdown, page, config, files):
    chapter = _state["chapters"].get(page.file.src_uri)
    if chapter is None:
        return markdown
    labels = nb_derive.labels(chapter.lang)
    if page.file is chapter.page:
        page.meta["search"] = {"exclude": True}  # search should find the chapter itself
        page.meta["title"] = f"{chapter.title} · {labels['banner_title']}"
        return markdown
    links = (
        f'[{labels["download"]}]({_relative_link(chapter.download, page.file)})'
        f'{{ .md-button download="{chapter.download.src_uri.rsplit("/", 1)[-1]}" }} '
        f'[{labels["view"]}]({_relative_link(chapter.page, page.file)}){{ .md-button }}'
    )
    lines = markdown.split("\n")
    at = next((n + 1 for n, line in enumerate(lines) if nb_derive._H1.match(line)), 0)
    lines[at:at] = ["", links, ""]
    return "\n".join(lines)


@event_priority(50)  # before hooks/figures.py puts its figures in and forgets them
def on_page_content(html_content, page, config, files):
    chapter = _state["chapters"].get(page.file.src_uri)
    if chapter is None:
        return html_content
    if page.file is chapter.chapter:
        # the figures the chapter's fences drew (hooks/figures.py), in page order, for the notebook
        chapter.figures = list((getattr(page, "dezero_figures", None) or {}).values())
        _state["figures"][page.file.src_uri] = chapter.figures
        return html_content
    content = nb_render.insert_figures(html_content, chapter.figure_html)
    content = nb_render.relative_site_links(content, config.site_url or "/", page.file.url)
    stylesheet = get_relative_url(STYLESHEET, page.file.url)
    banner = nb_render.banner(
        chapter.lang, chapter.chapter.url_relative_to(page.file), chapter.title,
        chapter.download.url_relative_to(page.file), chapter.download.src_uri.rsplit("/", 1)[-1],
    )
    content = f'<link rel="stylesheet" href="{stylesheet}">\n' + content
    end_h1 = content.find("</h1>")
    if end_h1 < 0:
        return banner + content
    end_h1 += len("</h1>")
    return content[:end_h1] + banner + content[end_h1:]


def on_page_context(context, page, config, nav):
    """Prev/next on a notebook page: the notebooks (or pages) next to its chapter."""
    chapter = _state["chapters"].get(page.file.src_uri)
    if chapter is None or page.file is not chapter.page:
        return context
    chapter_page = chapter.chapter.page

    def neighbour(p):
        if p is None:
            return None
        other = _state["chapters"].get(p.file.src_uri)
        return other.page.page if other is not None and other.page.page is not None else p

    page.previous_page = neighbour(chapter_page.previous_page)
    page.next_page = neighbour(chapter_page.next_page)
    return context
