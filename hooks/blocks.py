"""Reading a chapter: its fenced blocks in order, admonitions and content tabs included.

Shared by the doc-test harness (tests/harness), the parity test and the build hooks, so that
they all see the same blocks at the same line numbers as pytest-markdown-docs does.
"""

from __future__ import annotations

import ast
import contextlib
import gc
import io
import re
import shlex
import traceback
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
    return Page(Path(path), blocks, orphans)


@lru_cache(maxsize=None)
def _read_page(path: str, mtime: float) -> Page:
    return parse_page(Path(path).read_text("utf8"), path)


def read_page(path: Path | str) -> Page:
    p = Path(path)
    return _read_page(str(p), p.stat().st_mtime)


# --- running blocks ---------------------------------------------------------------------

def new_session() -> dict:
    """A namespace like a fresh script or notebook: `__name__ == "__main__"`."""
    return {"__name__": "__main__", "__builtins__": __builtins__}


@dataclass
class Run:
    stdout: str
    error: BaseException | None = None
    error_line: str | None = None  # the exception's final line, as Python prints it
    displayed: object = None  # value of a trailing bare expression a notebook would show
    warnings: list[str] = field(default_factory=list)


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
    """Run `code` in `namespace`, capturing stdout, warnings and an exception's final line.

    Line numbers in tracebacks point into the page: `first_line` is the page line of the
    block's first code line.
    """
    tree = ast.parse(code, filename)
    ast.increment_lineno(tree, first_line - 1)
    trailing = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        trailing = ast.Expression(tree.body.pop().value)
    buf = io.StringIO()
    run = Run("")
    gc.collect()  # finalizers of earlier, unrelated objects must not warn in this block's name
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(buf):
        _reader_warning_filters()
        try:
            exec(compile(tree, filename, "exec"), namespace)
            if trailing is not None:
                run.displayed = eval(compile(trailing, filename, "eval"), namespace)
        except Exception as exc:  # the page may show an error on purpose
            run.error = exc
            run.error_line = traceback.format_exception_only(type(exc), exc)[-1].rstrip("\n")
    run.stdout = buf.getvalue()
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
    """What a reader sees: the prints, then the exception's final line if it raised."""
    lines = normalize(run.stdout)
    if run.error_line is not None:
        lines.append(run.error_line)
    return lines
