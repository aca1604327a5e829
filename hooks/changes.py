"""MkDocs hook: the complete program of a step, with what changed since the previous step marked.

From step 2 on, the chapter's complete program (the `.standalone` Python block) is compared
with the program of the nearest earlier step, in the same language. The lines that are new or
changed are highlighted in the listing itself, with pymdownx.highlight's `hl_lines` (Python
colours, full-width bands); a sentence before the listing says what the bands mean, and the
earlier step's lines that were changed or removed are listed compactly after its output.

Only code counts: a line's comment and trailing spaces are dropped before comparing, and blank or
comment-only lines take no part, so rewording a comment or adding a blank line marks nothing.
The comparison is difflib's `SequenceMatcher` (longest common runs first, no junk heuristic) on
those code lines, each qualified by the `class`/`def` it sits in: a new `backward` whose body is
`raise NotImplementedError()` is new as a whole, and is not paired with the same `raise` under
the old `forward`. Only programs that build the library (they define `class Variable`) take part:
step 5's program is a NumPy-only calculation, so it gets no marks and step 6 is compared with
step 4. Generated at every build from the pages, never by hand; the harness runs the source
pages, which this hook does not touch.
"""

from __future__ import annotations

import difflib
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

import blocks

_STEP = re.compile(r"^step(\d\d)\.(ko|en)\.md$")

INTRO = {
    "ko": "색으로 강조한 줄은 [{prev}단계 전체 코드]({link})에 없던 줄이거나 바뀐 줄입니다."
          " 주석이나 빈 줄만 달라진 곳은 표시하지 않았습니다.",
    "en": "Highlighted lines are new or changed since [the complete program of step {prev}]({link})."
          " Changes to comments or blank lines alone are not marked.",
}
REMOVED_TITLE = {
    "ko": "{prev}단계 코드에서 바뀌거나 빠진 줄",
    "en": "Step {prev} lines changed or removed",
}
NOTHING_REMOVED = {
    "ko": "{prev}단계 코드에서 빠진 줄은 없습니다.",
    "en": "No line of step {prev} was removed.",
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


# --- comparing two programs ---------------------------------------------------------------------


def code_lines(code: str) -> list[tuple[int, str]]:
    """(1-based line number, the line without comment and trailing spaces) for each line of code.

    Blank and comment-only lines are left out. Comments are found with `tokenize`, so a `#`
    inside a string stays.
    """
    lines = code.split("\n")
    cut: dict[int, int] = {}  # row -> column where its comment starts
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type == tokenize.COMMENT:
                cut[tok.start[0]] = tok.start[1]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # code that does not tokenize: compare its lines as they are
    result = []
    for number, line in enumerate(lines, 1):
        text = line[: cut.get(number, len(line))].rstrip()
        if text.strip():
            result.append((number, text))
    return result


@dataclass
class Changes:
    added: list[int]  # line numbers in the new program that are new or changed
    removed: list[tuple[int, str]]  # (line number, text) of old lines changed or removed


_HEADER = re.compile(r"^(\s*)(?:async\s+def|def|class)\s+(\w+)")


def scoped(lines: list[tuple[int, str]]) -> list[str]:
    """Each code line prefixed with the `class`/`def` names it sits in: `Function.backward|    raise ...`."""
    stack: list[tuple[int, str]] = []  # (indent, name) of the enclosing headers
    keys = []
    for _, text in lines:
        indent = len(text) - len(text.lstrip())
        while stack and stack[-1][0] >= indent:
            stack.pop()
        keys.append(".".join(name for _, name in stack) + "|" + text)
        header = _HEADER.match(text)
        if header:
            stack.append((indent, header.group(2)))
    return keys


def compare(old: str, new: str) -> Changes:
    """What changed from program `old` to program `new`, counting code lines only."""
    a, b = code_lines(old), code_lines(new)
    matcher = difflib.SequenceMatcher(None, scoped(a), scoped(b), autojunk=False)
    added: list[int] = []
    removed: list[tuple[int, str]] = []
    old_lines = old.split("\n")
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        added += [n for n, _ in b[j1:j2]]
        removed += [(n, old_lines[n - 1].rstrip()) for n, _ in a[i1:i2]]
    return Changes(added, removed)


def line_ranges(numbers: list[int]) -> str:
    """`[3, 4, 5, 9]` -> `"3-5 9"`, the form `hl_lines` takes."""
    parts: list[str] = []
    start = prev = None
    for n in sorted(numbers):
        if prev is not None and n == prev + 1:
            prev = n
            continue
        if start is not None:
            parts.append(f"{start}-{prev}" if prev != start else f"{start}")
        start = prev = n
    if start is not None:
        parts.append(f"{start}-{prev}" if prev != start else f"{start}")
    return " ".join(parts)


def removed_listing(removed: list[tuple[int, str]]) -> list[str]:
    """The removed lines, runs of consecutive lines kept together, a blank line between runs.

    Each run is dedented by what its lines share, so a method body does not start far right.
    """
    runs: list[list[tuple[int, str]]] = []
    for n, text in removed:
        if runs and n == runs[-1][-1][0] + 1:
            runs[-1].append((n, text))
        else:
            runs.append([(n, text)])
    out: list[str] = []
    for run in runs:
        indent = min(len(t) - len(t.lstrip()) for _, t in run if t.strip())
        if out:
            out.append("")
        out += [t[indent:] for _, t in run]
    return out


# --- the page -----------------------------------------------------------------------------------

_FENCE_OPEN = re.compile(r"^(?P<indent>\s*)(?P<ticks>`{3,}|~{3,})\{(?P<info>.*)\}\s*$")


def _indented(lines: list[str], indent: str) -> list[str]:
    return [indent + line if line else "" for line in lines]


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
    changes = compare(old.code.rstrip("\n"), new.code.rstrip("\n"))

    lines = markdown.split("\n")
    opening = lines[new.line - 1]
    fence = _FENCE_OPEN.match(opening)
    if fence is None:
        raise ValueError(f"{src_name}:{new.line}: the complete program's fence is not in brace form")
    indent, ticks = fence.group("indent"), fence.group("ticks")
    if changes.added:
        opening = f'{indent}{ticks}{{{fence.group("info")} hl_lines="{line_ranges(changes.added)}"}}'

    intro = INTRO[lang].format(prev=prev, link=f"step{prev:02d}.md")
    after = (new.output or new).end_line  # index of the line after the program (or its output)
    if changes.removed:
        title = REMOVED_TITLE[lang].format(prev=prev)
        listing = [f'{ticks}{{.python .changes-removed title="{title}"}}',
                   *removed_listing(changes.removed), ticks]
    else:
        listing = [NOTHING_REMOVED[lang].format(prev=prev)]
    return "\n".join(
        lines[: new.line - 1]
        + _indented([intro, ""], indent) + [opening] + lines[new.line: after]
        + [""] + _indented(listing, indent)
        + lines[after:]
    )


def on_page_markdown(markdown: str, page, config, files) -> str:
    return add_changes(markdown, Path(page.file.src_uri).name, Path(config["docs_dir"]))


_MARKED_CODE = re.compile(r'(<pre><span></span><code>)((?:(?!</code>).)*?<span class="hll">.*?)(</code></pre>)', re.S)


def full_width_bands(html: str) -> str:
    """Wrap the lines of a listing with highlighted lines in `<span class="dz-lines">`.

    The stylesheet (assets/a11y.css) makes that span as wide as the longest line, so a band
    spans the whole listing, also where a long line makes the listing scroll sideways.
    """
    return _MARKED_CODE.sub(r'\1<span class="dz-lines">\2</span>\3', html)


def on_page_content(html: str, page, config, files) -> str:
    return full_width_bands(html)
