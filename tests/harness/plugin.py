"""pytest plugin: run a page's Python blocks in order in one session and check their outputs.

pytest-markdown-docs collects the blocks (through our parser, which also sees admonitions and
tabs); the runner registered here replaces its default one. Each page gets one `__main__`-like
namespace; a block runs once, and if pytest selected a later block alone, the earlier ones
are replayed first (unchecked) so the state is what a reader would have.
"""

from __future__ import annotations

import difflib
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pytest_markdown_docs._runners import DefaultRunner, _Runner, register_runner

import blocks
from blocks import Block, Page


class BlockFailure(Exception):
    """A doc block did not do what its page says; the message is the whole report."""


@dataclass
class _Session:
    namespace: dict = field(default_factory=blocks.new_session)
    next_index: int = 0


_sessions: dict[Path, _Session] = {}


def _shown_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _where(page: Page, block: Block) -> str:
    return f"{_shown_path(page.path)}:{block.line}"


def _execute(page: Page, block: Block, session: _Session) -> blocks.Run:
    return blocks.run_page_block(block, session.namespace, str(page.path))


def run_in_page(page: Page, block: Block) -> blocks.Run:
    """Run `block` in its page's session, replaying earlier blocks first if needed."""
    session = _sessions.setdefault(page.path, _Session())
    index = page.python_blocks.index(block)
    if index < session.next_index:  # run again (e.g. pytest --lf): start a fresh session
        session = _sessions[page.path] = _Session()
    for earlier in page.python_blocks[session.next_index:index]:
        _execute(page, earlier, session)
    session.next_index = index + 1
    return _execute(page, block, session)


def _error_report(run: blocks.Run) -> str:
    lines = traceback.format_exception(run.error)
    # keep only the frames from the page on (drop the harness's own frames)
    keep = [lines[0]] + [l for l in lines[1:-1] if "hooks/blocks.py" not in l and "harness/plugin.py" not in l]
    return "".join(keep + lines[-1:])


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
                f"Add this right after it (title 실행 결과 / Output):\n" + "\n".join(actual)
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
            + report
        )


@register_runner(default=True)
class BookRunner(_Runner):
    """Default runner for every collected block: Markdown pages get the book's checks."""

    _docstrings = DefaultRunner()

    def runtest(self, test, args):
        if test.source_path.suffix == ".py":  # a docstring example: plain execution
            return self._docstrings.runtest(test, args)
        page = blocks.read_page(test.source_path)
        check_block(page, page.python_block_at(test.start_line))

    def repr_failure(self, test, excinfo, style=None):
        if isinstance(excinfo.value, BlockFailure):
            return str(excinfo.value)
        return self._docstrings.repr_failure(test, excinfo, style)


@pytest.hookimpl(tryfirst=True)
def pytest_markdown_docs_markdown_it():
    return blocks.BookMarkdownIt()


class PageStructure(pytest.Item):
    """Checks what no single block can: output blocks nobody owns, blocks left out."""

    def runtest(self):
        page = blocks.read_page(self.path)
        problems = [
            f"{_shown_path(page.path)}:{b.line}: output block ({b.title}) does not directly follow a Python block"
            for b in page.orphan_outputs
        ]
        problems += [
            f"{_shown_path(page.path)}:{b.line}: Python block marked notest; every block of the book runs"
            for b in page.python_blocks
            if "notest" in b.classes
        ]
        if problems:
            raise BlockFailure("\n".join(problems))

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
