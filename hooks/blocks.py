"""Reading a chapter: its fenced blocks in order, admonitions and content tabs included.

Shared by the doc-test harness (tests/harness), the parity test and the build hooks, so that
they all see the same blocks at the same line numbers as pytest-markdown-docs does.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import gc
import io
import logging
import re
import shlex
import sys
import traceback
import types
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from markdown_it import MarkdownIt

OUTPUT_TITLES = {"실행 결과", "Output"}
PYTHON_LANGS = {"py", "python", "python3"}

_CONTAINER = re.compile(r"^(!!!|\?\?\?\+?|===)(\s|$)")
_FENCE = re.compile(r"^(`{3,}|~{3,})")


def unwrap_containers(text: str) -> str:
    """Turn admonition (!!!, ???) and tab (===) bodies into top-level Markdown.

    The container line becomes blank and its body loses one level of indentation, so the
    line count, and with it every block's line number, stays the same.
    """
    out: list[str] = []
    stack: list[int] = []  # indentation of each open container line
    fence: str | None = None
    for line in text.split("\n"):
        if not line.strip():
            out.append("")
            continue
        indent = len(line) - len(line.lstrip(" "))
        while stack and indent < stack[-1] + 4:
            stack.pop()
        body = line[4 * len(stack):] if stack else line
        stripped = body.lstrip(" ")
        if fence is None and _CONTAINER.match(stripped):
            stack.append(indent)
            out.append("")
            continue
        m = _FENCE.match(stripped)
        if m:
            if fence is None:
                fence = m.group(1)
            elif m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not stripped[len(m.group(1)):].strip():
                fence = None
        out.append(body)
    return "\n".join(out)


class BookMarkdownIt(MarkdownIt):
    """CommonMark parser that also sees fences inside admonitions and tabs."""

    def __init__(self) -> None:
        super().__init__("commonmark")

    def parse(self, src: str, env=None):  # type: ignore[override]
        return super().parse(unwrap_containers(src), env)


def parse_info(info: str) -> tuple[str | None, set[str], dict[str, str]]:
    """Split a fence info string into language, classes and attributes.

    Accepts `python`, `text title="Output"` and the brace form `{.python .standalone title="x"}`.
    """
    info = info.strip()
    brace = info.startswith("{") and info.endswith("}")
    if brace:
        info = info[1:-1]
    try:
        parts = shlex.split(info)
    except ValueError:
        parts = info.split()
    lang: str | None = None
    classes: set[str] = set()
    attrs: dict[str, str] = {}
    for part in parts:
        if "=" in part:
            key, _, value = part.partition("=")
            attrs[key] = value
        elif brace and part.startswith("."):
            if lang is None:
                lang = part[1:]
            else:
                classes.add(part[1:])
        elif lang is None:
            lang = part
        else:
            classes.add(part)
    return lang, classes, attrs


@dataclass
class Block:
    """A fenced block. `line` is the 1-based line of its opening fence."""

    kind: str  # "python", "output", "graph", "plot" or "other"
    lang: str | None
    code: str
    line: int
    end_line: int
    classes: set[str] = field(default_factory=set)
    attrs: dict[str, str] = field(default_factory=dict)
    output: Block | None = None  # the output block right after a python block

    @property
    def standalone(self) -> bool:
        return "standalone" in self.classes

    @property
    def title(self) -> str | None:
        return self.attrs.get("title")


def _kind(lang: str | None, attrs: dict[str, str]) -> str:
    if lang in PYTHON_LANGS:
        return "python"
    if lang == "text" and attrs.get("title") in OUTPUT_TITLES:
        return "output"
    if lang == "dezero-graph":
        return "graph"
    if lang == "dezero-plot":
        return "plot"
    return "other"


@dataclass
class Page:
    path: Path
    blocks: list[Block]
    orphan_outputs: list[Block]

    @property
    def python_blocks(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "python"]

    def python_block_at(self, line: int) -> Block:
        for b in self.python_blocks:
            if b.line == line:
                return b
        raise LookupError(f"{self.path}: no Python block opens at line {line}")


def parse_page(text: str, path: Path | str = "<page>") -> Page:
    """The page's blocks (shared: the build's hooks parse the same chapter text several times;
    treat the result as read-only)."""
    blocks, orphans = _parse_page(text)
    return Page(Path(path), blocks, orphans)


@lru_cache(maxsize=256)
def _parse_page(text: str) -> tuple[list[Block], list[Block]]:
    tokens = BookMarkdownIt().parse(text)
    blocks: list[Block] = []
    orphans: list[Block] = []
    prev_token = None
    for tok in tokens:
        if tok.type == "fence" and tok.map:
            lang, classes, attrs = parse_info(tok.info)
            block = Block(_kind(lang, attrs), lang, tok.content, tok.map[0] + 1, tok.map[1], classes, attrs)
            if block.kind == "output":
                prev = blocks[-1] if blocks else None
                directly_after = prev_token is not None and prev_token.type == "fence"
                if prev is not None and prev.kind == "python" and prev.output is None and directly_after:
                    prev.output = block
                else:
                    orphans.append(block)
            blocks.append(block)
        prev_token = tok
    return blocks, orphans


@lru_cache(maxsize=None)
def _read_page(path: str, mtime: float) -> Page:
    return parse_page(Path(path).read_text("utf8"), path)


def read_page(path: Path | str) -> Page:
    p = Path(path)
    return _read_page(str(p), p.stat().st_mtime)


# --- running blocks ---------------------------------------------------------------------

@dataclass
class _Process:
    """What a reader's fresh Python process has of its own: its `__main__` and its root logger."""

    module: types.ModuleType
    root_handlers: list = field(default_factory=list)
    root_level: int = logging.WARNING


# Each session is the namespace of a real module named `__main__`; while one of its blocks runs,
# that module *is* `sys.modules["__main__"]`, so pickle, dataclasses and `import __main__` find
# the page's classes as they would in a script, and the root logger is the session's own (a
# fresh process has no handlers: a warning goes to stderr). Keyed by id() of the namespace (the
# module keeps its namespace alive, so an id is never reused while registered).
_PROCESSES: dict[int, _Process] = {}


def new_session() -> dict:
    """A namespace like a fresh script or notebook: the `__dict__` of a new `__main__` module."""
    module = types.ModuleType("__main__")
    module.__dict__["__builtins__"] = builtins
    _PROCESSES[id(module.__dict__)] = _Process(module)
    return module.__dict__


def session_module(namespace: dict) -> types.ModuleType | None:
    """The `__main__` module whose namespace `namespace` is (None for a plain dict)."""
    process = _PROCESSES.get(id(namespace))
    return process.module if process is not None and process.module.__dict__ is namespace else None


@contextlib.contextmanager
def _as_main(namespace: dict):
    """While a block runs, its session's module is `sys.modules["__main__"]` and the root logger
    is the session's; both are put back after."""
    process = _PROCESSES.get(id(namespace))
    if process is None or process.module.__dict__ is not namespace:
        yield
        return
    saved = sys.modules.get("__main__")
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    sys.modules["__main__"] = process.module
    root.handlers[:] = process.root_handlers
    root.setLevel(process.root_level)
    try:
        yield
    finally:
        process.root_handlers, process.root_level = root.handlers[:], root.level
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        if saved is None:
            sys.modules.pop("__main__", None)
        else:
            sys.modules["__main__"] = saved


class _ReaderStream(io.TextIOBase):
    """`sys.stdout` or `sys.stderr` while a block runs: every write joins the running block's record.

    One object per stream for the whole process, so a stream a block keeps (a logging handler
    set up in an earlier block, say) still writes into the block that is running now. Outside a
    block it writes to the real stream.
    """

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if _records:
            _records[-1].append((self.name, text))
        else:
            getattr(sys, f"__{self.name}__").write(text)
        return len(text)


_records: list[list[tuple[str, str]]] = []  # the write records of the running blocks (innermost last)
_STDOUT, _STDERR = _ReaderStream("stdout"), _ReaderStream("stderr")


@contextlib.contextmanager
def _capture_streams():
    """Capture what is written to sys.stdout and sys.stderr, in order, as (stream, text) pairs."""
    record: list[tuple[str, str]] = []
    _records.append(record)
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _STDOUT, _STDERR
    try:
        yield record
    finally:
        sys.stdout, sys.stderr = saved
        del _records[next(i for i, r in enumerate(_records) if r is record)]


@dataclass
class Run:
    stdout: str  # what the block printed to sys.stdout
    error: BaseException | None = None
    error_line: str | None = None  # the exception's final line, as Python prints it
    displayed: object = None  # value of a trailing bare expression a notebook would show
    warnings: list[str] = field(default_factory=list)
    stderr: str = ""  # what the block wrote to sys.stderr
    output: str = ""  # stdout and stderr merged in the order written, as a terminal shows them

    @property
    def stderr_lines(self) -> list[str]:
        return normalize(self.stderr)


def _reader_warning_filters() -> None:
    """The warnings a reader's script or notebook shows: Python's default filters, every time.

    Deprecations show only when triggered from `__main__`; pending deprecations, import and
    resource warnings never show. "always" rather than "default" so that a warning already seen
    elsewhere in this process is still reported for this block.
    """
    warnings.simplefilter("always")
    for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
        warnings.filterwarnings("ignore", category=category)
    warnings.filterwarnings("always", category=DeprecationWarning, module="__main__")


def run_block(code: str, namespace: dict, filename: str = "<block>", first_line: int = 1) -> Run:
    """Run `code` in `namespace`, capturing stdout and stderr, warnings and an exception's final line.

    Line numbers in tracebacks point into the page: `first_line` is the page line of the
    block's first code line. A namespace from `new_session()` runs as `sys.modules["__main__"]`.
    """
    try:
        tree = ast.parse(code, filename)
    except SyntaxError as exc:  # what a reader pasting the block sees, at the page's line
        if exc.lineno is not None:
            if not (exc.text or "").strip() and 0 < exc.lineno <= len(code.split("\n")):
                exc.text = code.split("\n")[exc.lineno - 1] + "\n"
            exc.lineno += first_line - 1
            if exc.end_lineno is not None:
                exc.end_lineno += first_line - 1
        return Run("", exc, traceback.format_exception_only(type(exc), exc)[-1].rstrip("\n"))
    ast.increment_lineno(tree, first_line - 1)
    trailing = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        trailing = ast.Expression(tree.body.pop().value)
    run = Run("")
    gc.collect()  # finalizers of earlier, unrelated objects must not warn in this block's name
    with warnings.catch_warnings(record=True) as caught, _capture_streams() as record, _as_main(namespace):
        _reader_warning_filters()
        try:
            exec(compile(tree, filename, "exec"), namespace)
            if trailing is not None:
                run.displayed = eval(compile(trailing, filename, "eval"), namespace)
        except Exception as exc:  # the page may show an error on purpose
            run.error = exc
            run.error_line = traceback.format_exception_only(type(exc), exc)[-1].rstrip("\n")
    run.stdout = "".join(text for stream, text in record if stream == "stdout")
    run.stderr = "".join(text for stream, text in record if stream == "stderr")
    run.output = "".join(text for _, text in record)
    run.warnings = [f"{w.category.__name__}: {w.message}" for w in caught]
    return run


def run_page_block(block: Block, session: dict, filename: str) -> Run:
    """Run one of a page's Python blocks in the page's session, as a reader pasting it would.

    A `.standalone` block (a chapter's complete program) runs in a fresh namespace, which proves
    it runs on its own; its names then join the session, as if pasted there.
    """
    if block.standalone:
        fresh = new_session()
        run = run_block(block.code, fresh, filename, block.line + 1)
        session.update({k: v for k, v in fresh.items() if k != "__builtins__"})
        return run
    return run_block(block.code, session, filename, block.line + 1)


def normalize(text: str) -> list[str]:
    """Lines with trailing whitespace and trailing blank lines removed."""
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def shown_output(run: Run) -> list[str]:
    """What a reader sees: stdout and stderr in the order written, then the exception's final line."""
    lines = normalize(run.output)
    if run.error_line is not None:
        lines.append(run.error_line)
    return lines
