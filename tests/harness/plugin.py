"""pytest plugin: run a page's Python blocks in order in one session and check their outputs.

pytest-markdown-docs collects the blocks (through our parser, which also sees admonitions and
tabs); the runner registered here replaces its default one. Each page gets one real `__main__`
module (blocks.new_session); a block runs once, and if pytest selected a later block alone, the
earlier ones are replayed first (unchecked) so the state is what a reader would have. What a
block writes to stdout and stderr is compared, in the order written, with its output block.
The page-structure item rejects Python that would not run (see `uncollected_python`).
"""

from __future__ import annotations

import ast
import difflib
import gc
import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pytest_markdown_docs._runners import DefaultRunner, _Runner, register_runner
from pytest_markdown_docs.plugin import FenceSyntax, extract_fence_tests

import blocks
from blocks import Block, Page


class BlockFailure(Exception):
    """A doc block did not do what its page says; the message is the whole report."""


@dataclass
class _Session:
    namespace: dict = field(default_factory=blocks.new_session)
    next_index: int = 0


# The page sessions of the running pytest session; a stack, because a test may run pytest
# in-process (pytester) inside another run.
_session_stack: list[dict[Path, _Session]] = [{}]


def pytest_sessionstart(session):
    _session_stack.append({})


def pytest_sessionfinish(session):
    if len(_session_stack) > 1:
        _session_stack.pop()


def _shown_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _where(page: Page, block: Block) -> str:
    return f"{_shown_path(page.path)}:{block.line}"


def _execute(page: Page, block: Block, session: _Session) -> blocks.Run:
    return blocks.run_page_block(block, session.namespace, str(page.path))


_frozen_for: Path | None = None


def _freeze_what_came_before(page: Page) -> None:
    """When a page starts: move every object alive now out of the collector's sight.

    Each block starts with `gc.collect()` so that an earlier block's garbage is finalized before
    it, not in its name. In a full test session the heap also holds the built site, the browser
    and the other tests' objects, and a full collection over them cost 0.3 s per block (about
    100 s for the book). Objects older than the page are frozen (`gc.freeze`), so each block's
    collection walks only what the page itself made.
    """
    global _frozen_for
    if _frozen_for != page.path:
        gc.collect()
        gc.freeze()
        _frozen_for = page.path


def run_in_page(page: Page, block: Block) -> blocks.Run:
    """Run `block` in its page's session, replaying earlier blocks first if needed."""
    _freeze_what_came_before(page)
    sessions = _session_stack[-1]
    session = sessions.setdefault(page.path, _Session())
    index = page.python_blocks.index(block)
    if index < session.next_index:  # run again (e.g. pytest --lf): start a fresh session
        session = sessions[page.path] = _Session()
    for earlier in page.python_blocks[session.next_index:index]:
        _execute(page, earlier, session)
    session.next_index = index + 1
    return _execute(page, block, session)


def _error_report(run: blocks.Run) -> str:
    if isinstance(run.error, SyntaxError):  # the block did not start: no frames to show
        return "".join(traceback.format_exception_only(type(run.error), run.error))
    lines = traceback.format_exception(run.error)
    # keep only the frames from the page on (drop the harness's own frames)
    keep = [lines[0]] + [l for l in lines[1:-1] if "hooks/blocks.py" not in l and "harness/plugin.py" not in l]
    return "".join(keep + lines[-1:])


def _stderr_note(run: blocks.Run) -> str:
    if not run.stderr_lines:
        return ""
    return (
        "\n(the block wrote to stderr; a reader sees those lines in the output, in the order they "
        "were written, merged with the prints as a terminal shows them:\n  "
        + "\n  ".join(run.stderr_lines) + ")"
    )


def check_block(page: Page, block: Block) -> None:
    run = run_in_page(page, block)
    where = _where(page, block)
    if run.warnings:
        raise BlockFailure(
            f"{where}: the block raised a warning a reader would see:\n  " + "\n  ".join(run.warnings)
        )
    if run.displayed is not None:
        raise BlockFailure(
            f"{where}: the block ends in a bare expression whose value ({run.displayed!r}) a notebook "
            f"would display and a script would not; print(...) it instead"
        )
    actual = blocks.shown_output(run)
    out = block.output
    if out is None:
        if run.error is not None:
            raise BlockFailure(f"{where}: the block raised an exception\n{_error_report(run)}")
        if actual:
            raise BlockFailure(
                f"{where}: the block prints but no output block follows it.\n"
                f"Add this right after it (title 실행 결과 / Output):\n" + "\n".join(actual) + _stderr_note(run)
            )
        return
    expected = blocks.normalize(out.code)
    if run.error is not None and (not expected or expected[-1] != run.error_line):
        raise BlockFailure(
            f"{where}: the block raised an exception its output block (line {out.line}) does not show\n"
            f"{_error_report(run)}"
        )
    if actual != expected:
        report = f"--- expected\n" + "\n".join(expected) + "\n--- actual\n" + "\n".join(actual)
        if max(len(expected), len(actual)) > 3:
            report += "\n\n" + "\n".join(difflib.unified_diff(expected, actual, "expected", "actual", lineterm=""))
        raise BlockFailure(
            f"{where}: what the block prints differs from its output block ({out.title}, line {out.line})\n"
            + report + _stderr_note(run)
        )


@register_runner(default=True)
class BookRunner(_Runner):
    """Default runner for every collected block: Markdown pages get the book's checks."""

    _docstrings = DefaultRunner()

    def runtest(self, test, args, **kwargs):
        # pytest-markdown-docs passes keyword arguments such as asyncio_runner (0.9.2); a runner
        # that refused them would have every failure chained to a TypeError and run twice
        if test.source_path.suffix == ".py":  # a docstring example: plain execution
            return self._docstrings.runtest(test, args, **kwargs)
        page = blocks.read_page(test.source_path)
        check_block(page, page.python_block_at(test.start_line))

    def repr_failure(self, test, excinfo, style=None):
        if isinstance(excinfo.value, BlockFailure):
            return str(excinfo.value)
        return self._docstrings.repr_failure(test, excinfo, style)


@pytest.hookimpl(tryfirst=True)
def pytest_markdown_docs_markdown_it():
    return blocks.BookMarkdownIt()


_FENCE_IN_HTML = re.compile(r"^\s*(`{3,}|~{3,})\s*\{?\s*\.?([\w+-]+)")
_PROMPT = re.compile(r"^\s*(>>>|In \[\d*\]:)( |$)", re.MULTILINE)


def python_lexer_name(lang: str | None) -> str | None:
    """The Pygments lexer that highlights `lang` as Python (or a Python session), else None.

    That is what the built page does with the fence: a reader sees Python either way.
    """
    if not lang:
        return None
    try:
        from pygments.lexers import get_lexer_by_name
        from pygments.util import ClassNotFound
    except ImportError:  # pragma: no cover - Pygments comes with MkDocs
        return "Python" if lang.lower() in {"py", "python", "python3", "pycon", "ipython"} else None
    try:
        lexer = type(get_lexer_by_name(lang))
    except ClassNotFound:
        return None
    names = [c.__name__ for c in lexer.__mro__]
    if any("Python" in n for n in names) and not any("Traceback" in n for n in names):
        return lexer.__name__
    return None


def _parses_as_python(code: str) -> bool:
    """Code a reader would take for Python: it parses and does more than name a value."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    trivial = (ast.Name, ast.Constant, ast.Attribute)
    return any(not (isinstance(st, ast.Expr) and isinstance(st.value, trivial)) for st in tree.body)


def uncollected_python(page_path: Path, text: str) -> list[str]:
    """Fences and indented blocks that a reader would take for Python but that no test runs."""
    problems = []
    where = _shown_path(page_path)
    for tok in blocks.BookMarkdownIt().parse(text):
        if tok.type not in ("fence", "code_block", "html_block") or not tok.map:
            continue
        line = tok.map[0] + 1
        if tok.type == "html_block":  # md_in_html renders a fence in there; no test sees it
            for offset, raw in enumerate(tok.content.split("\n")):
                m = _FENCE_IN_HTML.match(raw)
                if m and (m.group(2) in blocks.PYTHON_LANGS or python_lexer_name(m.group(2))):
                    problems.append(
                        f"{where}:{line + offset}: a Python fence inside an HTML block is not run; "
                        f"use an admonition (!!! or ???) or a content tab around it instead"
                    )
            continue
        if tok.type == "code_block":
            if _PROMPT.search(tok.content) or _parses_as_python(tok.content):
                problems.append(
                    f"{where}:{line}: an indented code block holds Python that would not run; "
                    f"write it as a ```python fence (with its output block)"
                )
            continue
        lang, _, _ = blocks.parse_info(tok.info)
        if lang in blocks.PYTHON_LANGS:
            continue
        lexer = python_lexer_name(lang)
        if lexer is not None:
            kind = "an interactive session" if "Console" in lexer else "Python"
            problems.append(
                f"{where}:{line}: a ```{tok.info.strip()} fence is shown as {kind} but is not run "
                f"(only ```python, ```py and ```python3, in lower case, are run); write the code as "
                f"a ```python block followed by its output block"
            )
        elif _PROMPT.search(tok.content):
            problems.append(
                f"{where}:{line}: the ```{tok.info.strip() or ' (no language)'} fence holds a `>>>` "
                f"interactive session, which is not run; write the code as a ```python block "
                f"followed by its output block"
            )
        elif not lang and _parses_as_python(tok.content):
            problems.append(
                f"{where}:{line}: a fence with no language holds Python that would not run; mark it "
                f"```python (with its output block), or ```text if it is not code"
            )
    return problems


class PageStructure(pytest.Item):
    """Checks what no single block can: output blocks nobody owns, blocks left out, Python not run."""

    def runtest(self):
        page = blocks.read_page(self.path)
        where = _shown_path(page.path)
        problems = [
            f"{where}:{b.line}: output block ({b.title}) does not directly follow a Python block"
            for b in page.orphan_outputs
        ]
        problems += [
            f"{where}:{b.line}: Python block marked notest; every block of the book runs"
            for b in page.python_blocks
            if "notest" in b.classes
        ]
        text = self.path.read_text("utf8")
        problems += uncollected_python(self.path, text)
        # what pytest-markdown-docs collects must be exactly the blocks the harness checks
        collected = {
            t.start_line for t in extract_fence_tests(
                self.config.hook.pytest_markdown_docs_markdown_it(), text, 0, self.path,
                fence_syntax=FenceSyntax(self.config.option.markdowndocs_syntax),
            )
        }
        ours = {b.line for b in page.python_blocks if "notest" not in b.classes}
        problems += [
            f"{where}:{line}: the harness and pytest-markdown-docs disagree about this fence "
            f"({'collected but not a Python block to the harness' if line in collected else 'a Python block that is not collected'})"
            for line in sorted(collected ^ ours)
        ]
        if problems:
            raise BlockFailure("\n".join(sorted(set(problems), key=problems.index)))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, BlockFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, 0, "[page structure]"


class _PageFile(pytest.File):
    def collect(self):
        yield PageStructure.from_parent(self, name="[page structure]")


def pytest_collect_file(file_path, parent):
    if parent.config.option.markdowndocs and file_path.suffix == ".md":
        return _PageFile.from_parent(parent, path=file_path)
    return None
