"""Each chapter from step 2 on shows the diff of its complete program against the previous step's."""

import re
from pathlib import Path

import pytest

import changes

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_diff_marks_added_and_removed_lines():
    md = (DOCS / "step03.ko.md").read_text("utf8")
    out = changes.add_changes(md, "step03.ko.md", DOCS)
    assert '??? abstract "2단계에서 바뀐 코드"' in out
    assert "    --- step02.py\n    +++ step03.py" in out
    assert re.search(r"^    \+class Exp\(Function\):$", out, re.M)
    assert re.search(r"^    -", out.split("+++ step03.py", 1)[1], re.M)  # something was removed too


def test_english_title_and_no_diff_for_step_1():
    md = (DOCS / "step02.en.md").read_text("utf8")
    assert '??? abstract "What changed since step 1"' in changes.add_changes(md, "step02.en.md", DOCS)
    md1 = (DOCS / "step01.en.md").read_text("utf8")
    assert changes.add_changes(md1, "step01.en.md", DOCS) == md1


def test_the_diff_is_generated_from_the_pages_not_kept():
    prev = changes.complete_program(changes.blocks.read_page(DOCS / "step07.ko.md"))
    page = (DOCS / "step08.ko.md").read_text("utf8").replace("funcs.pop()", "funcs.pop(0)")
    out = changes.add_changes(page, "step08.ko.md", DOCS)
    assert "funcs.pop(0)" in out.split('"7단계에서 바뀐 코드"', 1)[1]
    assert prev is not None


def test_a_program_that_does_not_build_the_library_is_skipped_and_bridged():
    # step 5's complete program is NumPy only: no diff there, and step 6 compares with step 4
    md5 = (DOCS / "step05.ko.md").read_text("utf8")
    assert changes.add_changes(md5, "step05.ko.md", DOCS) == md5
    md6 = (DOCS / "step06.en.md").read_text("utf8")
    out = changes.add_changes(md6, "step06.en.md", DOCS)
    assert '??? abstract "What changed since step 4"' in out and "--- step04.py" in out


# each chapter with a diff, and the step it is compared with
DIFFS = {2: 1, 3: 2, 4: 3, 6: 4, 7: 6, 8: 7}


@pytest.mark.parametrize("step", sorted(DIFFS))
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_built_chapter_shows_the_diff(built_site, step, lang):
    page = built_site.path / ("en/" if lang == "en" else "") / f"step{step:02d}" / "index.html"
    html = page.read_text("utf8")
    prev = DIFFS[step]
    title = f"{prev}단계에서 바뀐 코드" if lang == "ko" else f"What changed since step {prev}"
    assert title in html
    diff = html.split(title, 1)[1]
    diff = diff.split('</details>', 1)[0]  # the collapsed diff admonition
    assert '<span class="gi">+' in diff and '<span class="gd">-' in diff  # added and removed lines marked
