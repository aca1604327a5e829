"""MkDocs hook: work that gives the same result for the same input is done once per process.

The i18n plugin builds the site once per language in one process, and `mkdocs serve` rebuilds
it after every save in the same process; most of what they compute is the same each time.

- Jinja compiles the theme's templates to Python code for every environment MkDocs makes (one
  per language build, one per rebuild): a bytecode cache in memory keeps the compiled code, keyed
  by Jinja by the template's name and a checksum of its source, so an edited template is
  compiled anew.
- Pygments highlighting of a code block (pymdownx.highlight) is a function of the block's source,
  its options and the highlighter's settings: a block seen before with all of those the same
  gets the same HTML, without the lexer and formatter running again. Inline code is not cached.
  A block's position on its page (`code_block_count`) only names its line anchors
  (`__codelineno-<count>-<line>`, `__span-<count>-<line>`): the HTML is kept with a placeholder
  there, filled in for each use, so the same block at another position (the chapter's other
  language, its notebook page) is not highlighted again.
- Material's search index reads each page's finished HTML with an HTML parser, for every page of
  every rebuild. The entries a page gives are a function of what the parser reads (the page's
  HTML, table of contents, address, title and front matter, and the index's settings): kept by
  all of those, a page whose HTML did not change gives a copy of its last entries.
- MkDocs converts every page's Markdown on every rebuild of `mkdocs serve`. The conversion is a
  function of the Markdown (after the hooks' `on_page_markdown`), the page's address, the site's
  files and their addresses, and the Markdown settings: kept by all of those, an unchanged page
  gets its last HTML, table of contents and anchors, and the messages the conversion logged
  (a broken link) are logged again.

Nothing here changes what is built (`DEZERO_BUILD_CACHE=off` builds without the caches, to
compare); `tests/test_site_build.py` checks the highlighting cache against Pygments itself.
"""
from __future__ import annotations

import copy
import inspect
import logging
import os
from collections import OrderedDict

from jinja2 import BytecodeCache

DISABLE_ENV = "DEZERO_BUILD_CACHE"  # "off": no cache (to compare builds)
_HIGHLIGHTS = 20000  # blocks kept; the book has about 1,200 per build
_SEARCH_PAGES = 400  # pages' search entries kept; the book has 44 pages per build
_PAGES = 400  # converted pages kept


def enabled() -> bool:
    return os.environ.get(DISABLE_ENV, "").lower() not in ("0", "off", "no", "false")


class MemoryBytecodeCache(BytecodeCache):
    """Jinja's compiled templates, kept for the life of the process."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        code = self.store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


_bytecode = MemoryBytecodeCache()
_highlighted: OrderedDict = OrderedDict()


def _freeze(value):
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple, set)):
        return tuple(_freeze(v) for v in value)
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


# stands for the block's position while its HTML is in the cache (never in a book's code: checked)
_POSITION = "dzblockposition"


def cached_highlight(original):
    """`pymdownx.highlight.Highlight.highlight`, remembering the HTML of each block."""
    from pymdownx.highlight import Highlight

    real = Highlight.highlight
    signature = inspect.signature(getattr(real, "__wrapped__", real))  # pymdownx's own
    names = list(signature.parameters)[1:]

    def highlight(self, src, language, *args, **kwargs):
        if (not enabled() or kwargs.get("inline") or (len(args) > 5 and args[5])
                or getattr(self, "title_mode", "text") != "text"):  # an HTML title goes into the page's stash
            return original(self, src, language, *args, **kwargs)
        try:
            call = signature.bind(self, src, language, *args, **kwargs)
        except TypeError:
            return original(self, src, language, *args, **kwargs)
        call.apply_defaults()
        params = dict(call.arguments)
        del params["self"]
        settings = {k: v for k, v in vars(self).items() if k != "md"}  # the page's Markdown: only for HTML titles
        position = None
        if not params.get("id_value") and "code_block_count" in params:
            if _POSITION in repr((settings, params)):  # the placeholder would be ambiguous
                return original(self, src, language, *args, **kwargs)
            position = params["code_block_count"]
            params["code_block_count"] = _POSITION
        key = (_freeze(settings), _freeze(params))
        try:
            html = _highlighted[key]
        except KeyError:
            html = original(self, *(params[n] for n in names))
            if not isinstance(html, str):
                return original(self, src, language, *args, **kwargs)
            _highlighted[key] = html
            if len(_highlighted) > _HIGHLIGHTS:
                _highlighted.popitem(last=False)
        if position is not None:
            html = html.replace(f"-{_POSITION}-", f"-{position}-")
        return html

    highlight.dezero_cached = True
    highlight.__wrapped__ = original
    return highlight


_search_entries: OrderedDict = OrderedDict()


def _toc(items) -> tuple:
    return tuple((i.id, i.url, i.title, i.level, _toc(i.children)) for i in items)


def search_key(index, page) -> tuple:
    """Everything Material's `SearchIndex.add_entry_from_context` reads of `page` and the index."""
    return (_freeze(getattr(index, "config", None)), page.url, str(page.title), _freeze(page.meta),
            _toc(page.toc), page.content)


def cached_search_entries(original):
    """Material's `SearchIndex.add_entry_from_context`, remembering the entries of each page."""

    def add_entry_from_context(self, page):
        if not enabled() or not isinstance(getattr(self, "entries", None), list):
            return original(self, page)
        key = search_key(self, page)
        if key in _search_entries:
            _search_entries.move_to_end(key)
            self.entries.extend(copy.deepcopy(_search_entries[key]))
            return None
        before = len(self.entries)
        original(self, page)
        _search_entries[key] = copy.deepcopy(self.entries[before:])
        if len(_search_entries) > _SEARCH_PAGES:
            _search_entries.popitem(last=False)
        return None

    add_entry_from_context.dezero_cached = True
    add_entry_from_context.__wrapped__ = original
    return add_entry_from_context


_rendered: OrderedDict = OrderedDict()
_files_keys: dict = {}


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if all(r is not record for r in self.records):
            self.records.append(record)


def _files_key(files) -> tuple:
    """The site's files and their addresses (what links on a page resolve against)."""
    listing = tuple((f.src_uri, f.dest_uri, f.url, str(f.inclusion)) for f in files)
    return _files_keys.setdefault(listing, listing)  # one object per listing: cheap to compare again


def render_key(page, config, files) -> tuple:
    """Everything MkDocs' `Page.render` reads."""
    settings = {k: config.get(k) for k in ("markdown_extensions", "mdx_configs", "use_directory_urls",
                                            "validation", "docs_dir", "site_url")}
    return (page.markdown, page.file.src_uri, page.file.dest_uri, page.file.url, str(page.file.inclusion),
            _freeze(settings), _files_key(files), logging.getLogger("mkdocs.structure.pages").getEffectiveLevel())


def cached_render(original):
    """MkDocs' `Page.render`, remembering its results for each page and input."""

    def render(self, config, files):
        if not enabled() or self.markdown is None:
            return original(self, config, files)
        key = render_key(self, config, files)
        kept = _rendered.get(key)
        if kept is None:
            recorder = _Recorder()
            loggers = [logging.getLogger(), logging.getLogger("mkdocs")]
            for logger in loggers:
                logger.addHandler(recorder)
            try:
                original(self, config, files)
            finally:
                for logger in loggers:
                    logger.removeHandler(recorder)
            links = getattr(self, "links_to_anchors", None)
            kept = _rendered[key] = (
                self.content, copy.deepcopy(self.toc), self._title_from_render, set(self.present_anchor_ids or ()),
                None if links is None else {f.src_uri: dict(v) for f, v in links.items()}, recorder.records)
            if len(_rendered) > _PAGES:
                _rendered.popitem(last=False)
            return None
        _rendered.move_to_end(key)
        content, toc, title, anchors, links, records = kept
        self.content, self.toc, self._title_from_render = content, copy.deepcopy(toc), title
        self.present_anchor_ids = set(anchors)
        if links is not None:
            self.links_to_anchors = {files.get_file_from_path(uri): dict(v) for uri, v in links.items()}
        for record in records:  # what the conversion logged, logged again (a broken link, ...)
            logging.getLogger(record.name).handle(record)
        return None

    render.dezero_cached = True
    render.__wrapped__ = original
    return render


def on_startup(command, dirty):
    from pymdownx.highlight import Highlight

    if not getattr(Highlight.highlight, "dezero_cached", False):
        Highlight.highlight = cached_highlight(Highlight.highlight)
    from mkdocs.structure.pages import Page

    if not getattr(Page.render, "dezero_cached", False):
        Page.render = cached_render(Page.render)
    try:
        from material.plugins.search.plugin import SearchIndex
    except ImportError:  # another theme
        return
    if not getattr(SearchIndex.add_entry_from_context, "dezero_cached", False):
        SearchIndex.add_entry_from_context = cached_search_entries(SearchIndex.add_entry_from_context)


def on_config(config):
    on_startup(None, False)  # also when a program calls the build without the startup event
    return config


def on_env(env, config, files):
    if enabled():
        env.bytecode_cache = _bytecode
    return env
