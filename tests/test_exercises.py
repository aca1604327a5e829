"""Every chapter ends with 3–5 exercises, each with a collapsed answer, the same in both languages.

The shape a chapter follows (CONTRIBUTING.md; both languages alike):

    ## 연습 문제 {#exercises}            ## Exercises {#exercises}

    **1. 예측하고 실행하기** ...          **1. Predict, then run** ...

    ??? success "풀이"                   ??? success "Solution"

        ```python                          (the same code and output block)
        ...

An exercise starts at an unindented paragraph opening with its number in bold (`**1.`), an
ordered-list item (`1.`) or a `###` heading; its answer is a collapsed admonition
`??? success "풀이"` / `??? success "Solution"`. The section ends at the next `##` heading, at the
chapter's complete program (`??? example`) or at the end of the page. Answer code is run and its
output checked by the doc-test harness like every other block; this test checks the structure and
that the Korean and English exercises hold the same code and outputs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import blocks
from tests.test_parity import signature, unfenced as _unfenced

DOCS = Path(__file__).resolve().parents[1] / "docs"
CHAPTERS = sorted(DOCS.glob("step*.ko.md"))
HEADINGS = {"ko": "연습 문제", "en": "Exercises"}
ANSWER_TITLES = {"ko": "풀이", "en": "Solution"}
MIN_EXERCISES, MAX_EXERCISES = 3, 5

_SECTION = re.compile(r"^##\s+(.*?)\s*\{\s*#exercises\s*\}\s*$")
_NEXT_SECTION = re.compile(r"^#{1,2}\s")
_PROGRAM = re.compile(r"^(\?\?\?\+?|!!!)\s+example\b")
_START = re.compile(r"^(?:\*\*\s*(\d+)\s*[.)]|(\d+)[.)]\s|###\s)")
_ANSWER = re.compile(r'^(\s*)(\?\?\?\+?|!!!)\s+(\w+)(?:\s+"([^"]*)")?\s*$')


@dataclass
class Exercise:
    number: int
    line: int  # 1-based line where the exercise starts
    end: int  # last line (inclusive)
    answers: list[tuple[int, str]] = field(default_factory=list)  # (line, problem or "")


@dataclass
class Section:
    title: str | None
    start: int = 0
    end: int = 0
    exercises: list[Exercise] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _body_is_empty(lines: list[str], at: int, indent: int) -> bool:
    """Whether the admonition opened on line `at` (1-based) has no indented content."""
    for line in lines[at:]:
        if not line.strip():
            continue
        return len(line) - len(line.lstrip(" ")) < indent + 4
    return True


def read_exercises(text: str, lang: str) -> Section:
    """The exercises section of a chapter in `lang` ("ko" or "en"), with what is wrong with it."""
    lines = text.split("\n")
    unfenced = list(_unfenced(lines))
    section = Section(None)
    for number, line in unfenced:
        m = _SECTION.match(line)
        if m:
            section.title, section.start = m.group(1), number
            break
    if section.title is None:
        section.problems.append(f"no exercises section `## {HEADINGS[lang]} {{#exercises}}`")
        return section
    if section.title != HEADINGS[lang]:
        section.problems.append(f"the exercises heading reads {section.title!r}, not {HEADINGS[lang]!r}")
    section.end = len(lines)
    for number, line in unfenced:
        if number > section.start and (_NEXT_SECTION.match(line) or _PROGRAM.match(line)):
            section.end = number - 1
            break

    current: Exercise | None = None
    for number, line in unfenced:
        if not section.start < number <= section.end:
            continue
        start = _START.match(line)
        if start:
            if current is not None:
                current.end = number - 1
            n = int(start.group(1) or start.group(2) or len(section.exercises) + 1)
            current = Exercise(n, number, section.end)
            section.exercises.append(current)
            continue
        answer = _ANSWER.match(line)
        if answer is None or answer.group(3) != "success":
            continue
        indent, mark, _, title = answer.groups()
        problem = ""
        if mark != "???":
            problem = f"line {number}: an answer must be collapsed: `??? success`, not `{mark} success`"
        elif title != ANSWER_TITLES[lang]:
            problem = f'line {number}: an answer is titled {title!r}, not "{ANSWER_TITLES[lang]}"'
        elif _body_is_empty(lines, number, len(indent)):
            problem = f"line {number}: the answer is empty"
        if current is None:
            section.problems.append(f"line {number}: an answer comes before the first exercise")
        else:
            current.answers.append((number, problem))

    count = len(section.exercises)
    if not MIN_EXERCISES <= count <= MAX_EXERCISES:
        section.problems.append(f"{count} exercises; a chapter has {MIN_EXERCISES} to {MAX_EXERCISES}")
    for i, ex in enumerate(section.exercises, 1):
        if ex.number != i:
            section.problems.append(f"line {ex.line}: exercise numbered {ex.number}, expected {i}")
        if not ex.answers:
            section.problems.append(f"line {ex.line}: exercise {ex.number} has no answer "
                                    f'(??? success "{ANSWER_TITLES[lang]}")')
        elif len(ex.answers) > 1:
            section.problems.append(f"line {ex.line}: exercise {ex.number} has {len(ex.answers)} answers; give it one")
        section.problems.extend(p for _, p in ex.answers if p)
    return section


def exercise_blocks(page: blocks.Page, section: Section) -> list[tuple[int, object]]:
    """(exercise number, parity signature) of every block in the exercises section."""
    out = []
    for block in page.blocks:
        for ex in section.exercises:
            if ex.line <= block.line <= ex.end:
                sig = signature(block)
                if sig is not None:
                    out.append((ex.number, sig))
    return out


def checked_answers(page: blocks.Page, section: Section) -> int:
    """How many answers hold a Python block whose output the harness checks."""
    found = set()
    for block in page.python_blocks:
        if block.output is None:
            continue
        for ex in section.exercises:
            if ex.answers and ex.answers[0][0] < block.line <= ex.end:
                found.add(ex.number)
    return len(found)


def _lang_pages(ko: Path) -> tuple[Path, Path]:
    return ko, ko.with_name(ko.name.replace(".ko.md", ".en.md"))


@pytest.mark.parametrize("ko", CHAPTERS, ids=lambda p: p.name.removesuffix(".ko.md"))
def test_chapter_ends_with_three_to_five_answered_exercises(ko: Path):
    problems = []
    for lang, path in zip(("ko", "en"), _lang_pages(ko)):
        section = read_exercises(path.read_text("utf8"), lang)
        problems += [f"{path.name}: {p}" for p in section.problems]
        if section.exercises and not section.problems:
            if checked_answers(blocks.read_page(path), section) == 0:
                problems.append(f"{path.name}: no answer has code with a checked output block")
    assert not problems, "\n  ".join(["the exercises are not complete:"] + problems)


@pytest.mark.parametrize("ko", CHAPTERS, ids=lambda p: p.name.removesuffix(".ko.md"))
def test_exercises_hold_the_same_code_and_outputs_in_both_languages(ko: Path):
    ko, en = _lang_pages(ko)
    ko_sec, en_sec = read_exercises(ko.read_text("utf8"), "ko"), read_exercises(en.read_text("utf8"), "en")
    assert ko_sec.title is not None and en_sec.title is not None, "an exercises section is missing"
    assert len(ko_sec.exercises) == len(en_sec.exercises), (
        f"{ko.name} has {len(ko_sec.exercises)} exercises, {en.name} {len(en_sec.exercises)}"
    )
    ko_blocks = exercise_blocks(blocks.read_page(ko), ko_sec)
    en_blocks = exercise_blocks(blocks.read_page(en), en_sec)
    for k, e in zip(ko_blocks, en_blocks):
        assert k == e, f"the exercises' blocks differ:\n  ko: {k}\n  en: {e}"
    assert len(ko_blocks) == len(en_blocks), f"{ko.name} has {len(ko_blocks)} exercise blocks, {en.name} {len(en_blocks)}"


# --- the checks themselves, on small pages --------------------------------------------------------

def _page(n: int, lang: str = "ko", answers: int | None = None, code: str = "print(1)", out: str = "1") -> str:
    title, answer = (HEADINGS[lang], ANSWER_TITLES[lang])
    output = "실행 결과" if lang == "ko" else "Output"
    parts = [f"# Step\n\n## {title} {{#exercises}}\n"]
    for i in range(1, n + 1):
        parts.append(f"**{i}.** Question {i}?\n")
        if answers is None or i <= answers:
            parts.append(f'??? success "{answer}"\n\n    ```python\n    {code}\n    ```\n\n'
                         f'    ```text title="{output}"\n    {out}\n    ```\n')
    parts.append('??? example "Complete code"\n\n    ```{.python .standalone title="s.py"}\n    x = 1\n    ```\n')
    return "\n".join(parts)


def test_a_complete_section_passes_and_its_blocks_are_found():
    text = _page(3)
    section = read_exercises(text, "ko")
    assert section.problems == [] and [e.number for e in section.exercises] == [1, 2, 3]
    page = blocks.parse_page(text)
    assert checked_answers(page, section) == 3
    assert len(exercise_blocks(page, section)) == 6  # the complete program is not an exercise
    en = _page(3, "en")
    assert exercise_blocks(page, section) == exercise_blocks(blocks.parse_page(en), read_exercises(en, "en"))


def test_the_structure_checks_fail_when_broken():
    assert read_exercises("# Step\n\n## Summary {#summary}\n", "en").problems == [
        "no exercises section `## Exercises {#exercises}`"]
    assert "2 exercises" in read_exercises(_page(2), "ko").problems[0]
    assert "6 exercises" in read_exercises(_page(6), "ko").problems[0]
    assert "exercise 3 has no answer" in " ".join(read_exercises(_page(3, answers=2), "ko").problems)
    assert "collapsed" in " ".join(read_exercises(_page(3).replace("??? success", "???+ success", 1), "ko").problems)
    assert 'not "풀이"' in " ".join(read_exercises(_page(3).replace('"풀이"', '"Solution"', 1), "ko").problems)
    assert "numbered 3, expected 2" in " ".join(read_exercises(_page(3).replace("**2.**", "**3.**"), "ko").problems)
    assert "not 'Exercises'" in " ".join(read_exercises(_page(3, "en").replace("Exercises", "Practice"), "en").problems)
    empty = _page(3).replace('??? success "풀이"\n\n    ```python\n    print(1)', '??? success "풀이"\n\n```python\nprint(1)', 1)
    assert "empty" in " ".join(read_exercises(empty, "ko").problems)


def test_the_language_comparison_sees_a_changed_output():
    ko, en = _page(3), _page(3, "en", out="2").replace("print(1)", "print(2)")
    ko_blocks = exercise_blocks(blocks.parse_page(ko), read_exercises(ko, "ko"))
    en_blocks = exercise_blocks(blocks.parse_page(en), read_exercises(en, "en"))
    assert ko_blocks != en_blocks
    assert ko_blocks == exercise_blocks(blocks.parse_page(_page(3, "en")), read_exercises(_page(3, "en"), "en"))


def test_answers_without_checked_code_are_noticed():
    text = _page(3).replace("    ```text title=\"실행 결과\"\n    1\n    ```\n", "")
    text = text.replace("print(1)", "x = 1")
    section = read_exercises(text, "ko")
    assert section.problems == []
    assert checked_answers(blocks.parse_page(text), section) == 0
