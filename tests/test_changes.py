"""Each chapter from step 2 on marks, in its complete program, what changed since the previous step."""

from __future__ import annotations

import difflib
import html
import re
from pathlib import Path

import pytest

import changes

DOCS = Path(__file__).resolve().parents[1] / "docs"
LANGS = ("ko", "en")


def program(step: int, lang: str = "en") -> str:
    return changes.complete_program(changes.blocks.read_page(DOCS / f"step{step:02d}.{lang}.md")).code


def steps_compared(lang: str) -> dict[int, int]:
    """Each chapter whose program is compared, and the step it is compared with (from the pages)."""
    pairs = {}
    for path in sorted(DOCS.glob(f"step[0-9][0-9].{lang}.md")):
        step = int(path.name[4:6])
        new = changes.complete_program(changes.blocks.read_page(path))
        found = changes.earlier_program(step, lang, DOCS) if changes.builds_the_library(new) else None
        if found:
            pairs[step] = found[0]
    return pairs


def without_comment(line: str) -> str:
    """The test's own comment cutter: a `#` outside quotes starts a comment (no tokenize)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            return line[:i].rstrip()
    return line.rstrip()


def code_only(code: str) -> list[str]:
    """The code lines of a program: no blank lines, no comments."""
    return [c for c in map(without_comment, code.rstrip("\n").split("\n")) if c.strip()]


def code_line_numbers(code: str) -> list[int]:
    return [n for n, line in enumerate(code.rstrip("\n").split("\n"), 1) if without_comment(line).strip()]


# --- comparing programs -------------------------------------------------------------------------


def test_known_pairs_include_the_bridge_over_step_5():
    for lang in LANGS:
        pairs = steps_compared(lang)
        assert {2: 1, 3: 2, 4: 3, 6: 4, 7: 6, 8: 7}.items() <= pairs.items(), pairs
        assert 5 not in pairs  # step 5's program is NumPy only


@pytest.mark.parametrize("lang", LANGS)
def test_marks_agree_with_a_difflib_diff_of_the_two_programs(lang):
    """Unmarked lines are exactly the lines both programs share, in order; no more is marked
    than a plain difflib diff of the code lines marks."""
    for step, prev in steps_compared(lang).items():
        old, new = program(prev, lang), program(step, lang)
        found = changes.compare(old, new)
        new_lines, old_lines = new.rstrip("\n").split("\n"), old.rstrip("\n").split("\n")
        kept_new = [code_only(new_lines[n - 1])[0] for n in code_line_numbers(new) if n not in found.added]
        gone = {n for n, _ in found.removed}
        kept_old = [code_only(old_lines[n - 1])[0] for n in code_line_numbers(old) if n not in gone]
        assert kept_new == kept_old, f"step {step}: unmarked lines differ from the step {prev} lines kept"
        # every marked line holds code; every listed line is the old line as it was
        assert set(found.added) <= set(code_line_numbers(new)), step
        assert all(old_lines[n - 1].rstrip() == text for n, text in found.removed), step
        # a plain diff of the code lines (difflib) marks at least as many lines
        plain = difflib.SequenceMatcher(None, code_only(old), code_only(new), autojunk=False)
        inserted = sum(j2 - j1 for tag, _, _, j1, j2 in plain.get_opcodes() if tag != "equal")
        deleted = sum(i2 - i1 for tag, i1, i2, _, _ in plain.get_opcodes() if tag != "equal")
        assert len(found.added) <= inserted and len(found.removed) <= deleted, step
        assert found.added, f"step {step}: nothing marked as changed since step {prev}"


def test_a_new_method_is_new_as_a_whole_and_not_paired_with_an_old_line():
    # step 6 adds Function.backward, whose body is the same `raise` as Function.forward's
    new = program(6).split("\n")
    marked = {new[n - 1].strip() for n in changes.compare(program(4), program(6)).added}
    backward = new.index("    def backward(self, gy):") + 1
    forward_raise = new.index("    def forward(self, x):") + 2
    added = changes.compare(program(4), program(6)).added
    assert backward in added and backward + 1 in added  # def backward + its raise
    assert forward_raise not in added  # forward's raise was there in step 4
    assert "raise NotImplementedError()" in marked


def test_comment_only_and_blank_line_edits_are_not_changes():
    old = program(7)
    new = old.replace("\n\n", "\n\n\n").replace("# ", "# reworded: ")
    new = new.replace("self.input = input", "self.input = input  # a new comment")
    assert new != old
    found = changes.compare(old, new)
    assert found.added == [] and found.removed == []
    moved = changes.compare(old, old.replace("self.input = input", "self.inputs = input"))
    assert len(moved.added) == 1 and len(moved.removed) == 1


def test_a_hash_inside_a_string_is_code():
    assert changes.code_lines('s = "#"  # note\n# only a comment\n\nx = 1') == [(1, 's = "#"'), (4, "x = 1")]


def test_line_ranges_for_hl_lines():
    assert changes.line_ranges([9, 3, 4, 5, 11]) == "3-5 9 11"
    assert changes.line_ranges([]) == ""


# --- the page markdown --------------------------------------------------------------------------


def test_markdown_marks_the_program_and_lists_removed_lines():
    md = (DOCS / "step03.ko.md").read_text("utf8")
    out = changes.add_changes(md, "step03.ko.md", DOCS)
    found = changes.compare(program(2, "ko"), program(3, "ko"))
    assert f'title="step03.py" hl_lines="{changes.line_ranges(found.added)}"}}' in out
    assert "[2단계 전체 코드](step02.md)" in out
    removed = out.split('title="2단계 코드에서 바뀌거나 빠진 줄"}', 1)[1].split("```", 1)[0]
    assert [line.strip() for line in removed.strip("\n").split("\n") if line.strip()] == [
        text.strip() for _, text in found.removed
    ]


def test_no_marks_for_step_1_or_for_a_program_that_does_not_build_the_library():
    for name in ("step01.en.md", "step05.ko.md"):
        md = (DOCS / name).read_text("utf8")
        assert changes.add_changes(md, name, DOCS) == md


def test_the_marks_are_generated_from_the_pages_not_kept():
    page = (DOCS / "step08.ko.md").read_text("utf8").replace("funcs.pop()", "funcs.pop(0)")
    out = changes.add_changes(page, "step08.ko.md", DOCS)
    removed = out.split('title="7단계 코드에서 바뀌거나 빠진 줄"}', 1)[1].split("```", 1)[0]
    assert "x.backward()" in removed
    line = next(n for n, text in enumerate(program(8, "ko").split("\n"), 1) if "funcs.pop()" in text)
    marks = re.search(r'title="step08.py" hl_lines="([^"]*)"', out).group(1)
    assert any(a <= line <= b for a, b in (tuple(map(int, (r + "-" + r).split("-")[:2])) for r in marks.split()))


# --- the built pages ----------------------------------------------------------------------------

_LINE = re.compile(r'<a id="__codelineno-\d+-(\d+)"[^>]*></a>(<span class="hll">)?')


def listing(page_html: str, title: str) -> tuple[list[int], str]:
    """The highlighted line numbers of the listing titled `title`, and its text."""
    found = {
        re.sub(r"<[^>]+>", "", head): body
        for head, body in re.findall(r'<span[^>]* class="filename"[^>]*>((?:(?!</span><pre>).)*)</span><pre>(.*?)</pre>',
                                     page_html, re.S)
    }  # other hooks may wrap words of a title in spans
    assert title in found, f"no listing titled {title!r}: {sorted(found)}"
    body = found[title]
    marked = [int(n) for n, hll in _LINE.findall(body) if hll]
    return marked, html.unescape(re.sub(r"<[^>]+>", "", body))


@pytest.mark.parametrize("lang", LANGS)
def test_built_chapters_highlight_exactly_the_changed_lines(built_site, lang):
    pairs = steps_compared(lang)
    assert pairs
    for step, prev in pairs.items():
        page = built_site.path / ("en/" if lang == "en" else "") / f"step{step:02d}" / "index.html"
        text = page.read_text("utf8")
        old, new = program(prev, lang), program(step, lang)
        marked, shown = listing(text, f"step{step:02d}.py")
        assert shown.rstrip("\n") == new.rstrip("\n"), f"step {step}: the listing is not the program"
        assert marked == changes.compare(old, new).added, f"{lang} step {step}"
        assert 'class="kn">import</span>' in text.split(f">step{step:02d}.py</span>", 1)[1][:800]  # Python colours
        title = changes.REMOVED_TITLE[lang].format(prev=prev)
        removed = changes.compare(old, new).removed
        if removed:
            _, listed = listing(text, title)
            assert [l.strip() for l in listed.split("\n") if l.strip()] == [t.strip() for _, t in removed]


# In the browser: tests/test_reading.py::test_highlight_bands_span_the_whole_listing (the bands fill
# the code box), measured on the chapters test_reading.py loads anyway.
