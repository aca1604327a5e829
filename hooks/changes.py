"""MkDocs hook: "what changed in this step", a diff of the complete programs of two steps.

From step 2 on, the chapter's complete program (the `.standalone` Python block) is compared
with the program of the nearest earlier step, in the same language, and the unified diff is
added right after the complete-program admonition, collapsed. Only programs that build the
library (they define `class Variable`) take part: step 5's program is a NumPy-only calculation,
so it gets no diff and step 6 is compared with step 4. Generated at every build, never by hand.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import blocks

_STEP = re.compile(r"^step(\d\d)\.(ko|en)\.md$")
TITLES = {
    "ko": '??? abstract "{prev}단계에서 바뀐 코드"',
    "en": '??? abstract "What changed since step {prev}"',
}


def complete_program(page: blocks.Page) -> blocks.Block | None:
    return next((b for b in page.python_blocks if b.standalone), None)


def builds_the_library(program: blocks.Block | None) -> bool:
    return program is not None and "class Variable" in program.code


def earlier_program(step: int, lang: str, docs_dir: Path) -> tuple[int, blocks.Block] | None:
    """The nearest earlier step whose complete program builds the library, and that program."""
    for earlier in range(step - 1, 0, -1):
        path = docs_dir / f"step{earlier:02d}.{lang}.md"
        program = complete_program(blocks.read_page(path)) if path.exists() else None
        if builds_the_library(program):
            return earlier, program
    return None


def program_diff(old: blocks.Block, new: blocks.Block, old_name: str, new_name: str) -> str:
    return "\n".join(
        difflib.unified_diff(
            old.code.rstrip("\n").split("\n"), new.code.rstrip("\n").split("\n"),
            old.title or old_name, new.title or new_name, lineterm="", n=3,
        )
    )


def _end_of_container(lines: list[str], after: int) -> int:
    """Index of the first line after `after` that is no longer indented container content."""
    i = after
    while i < len(lines) and (not lines[i].strip() or lines[i].startswith("    ")):
        i += 1
    while i > after and not lines[i - 1].strip():
        i -= 1
    return i


def add_changes(markdown: str, src_name: str, docs_dir: Path) -> str:
    m = _STEP.match(src_name)
    if not m or int(m.group(1)) < 2:
        return markdown
    step, lang = int(m.group(1)), m.group(2)
    new = complete_program(blocks.parse_page(markdown, src_name))
    found = earlier_program(step, lang, docs_dir) if builds_the_library(new) else None
    if found is None:
        return markdown
    prev, old = found
    diff = program_diff(old, new, f"step{prev:02d}.{lang}.md", src_name)
    last = new.output or new
    lines = markdown.split("\n")
    at = _end_of_container(lines, last.end_line)
    fence = "\n".join("    " + line if line else "" for line in diff.split("\n"))
    section = ["", TITLES[lang].format(prev=prev), "", "    ```diff", fence, "    ```", ""]
    return "\n".join(lines[:at] + section + lines[at:])


def on_page_markdown(markdown: str, page, config, files) -> str:
    return add_changes(markdown, Path(page.file.src_uri).name, Path(config["docs_dir"]))
