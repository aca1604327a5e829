"""The Korean and English page of each chapter hold the same code, outputs and heading ids."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

import blocks

DOCS = Path(__file__).resolve().parents[1] / "docs"
KO_PAGES = sorted(DOCS.glob("*.ko.md"))
CHAPTERS = sorted(DOCS.glob("step*.ko.md"))


def without_comments(code: str) -> list[str]:
    """Code lines with comments removed; blank lines dropped."""
    lines = code.split("\n")
    cut: dict[int, int] = {}
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.COMMENT:
            cut[tok.start[0]] = tok.start[1]
    out = [line[: cut.get(i, len(line))].rstrip() for i, line in enumerate(lines, 1)]
    return [line for line in out if line]


def signature(block: blocks.Block):
    if block.kind == "python":
        return ("python", block.standalone, block.title, without_comments(block.code))
    if block.kind == "output":
        return ("output", blocks.normalize(block.code))
    if block.kind == "graph":
        return ("graph", block.attrs.get("view", "forward"), block.attrs.get("output", "y"), without_comments(block.code))
    if block.kind == "plot":
        return ("plot", without_comments(block.code))
    return None


def signatures(path: Path):
    return [s for s in map(signature, blocks.read_page(path).blocks) if s is not None]


def test_every_page_exists_in_both_languages():
    ko = {p.name.removesuffix(".ko.md") for p in DOCS.glob("*.ko.md")}
    en = {p.name.removesuffix(".en.md") for p in DOCS.glob("*.en.md")}
    assert "index" in ko
    assert ko == en, f"only in Korean: {sorted(ko - en)}; only in English: {sorted(en - ko)}"


@pytest.mark.parametrize("ko", CHAPTERS, ids=lambda p: p.name.removesuffix(".ko.md"))
def test_same_code_and_outputs_in_the_same_order(ko: Path):
    en = ko.with_name(ko.name.replace(".ko.md", ".en.md"))
    ko_sig, en_sig = signatures(ko), signatures(en)
    for i, (k, e) in enumerate(zip(ko_sig, en_sig)):
        assert k == e, f"block {i + 1} differs between {ko.name} and {en.name}:\n  ko: {k}\n  en: {e}"
    assert len(ko_sig) == len(en_sig), f"{ko.name} has {len(ko_sig)} code/output blocks, {en.name} {len(en_sig)}"


@pytest.mark.parametrize("page", KO_PAGES, ids=lambda p: p.name)
def test_output_blocks_are_titled_in_the_page_language(page: Path):
    for lang_page, title in ((page, "실행 결과"), (page.with_name(page.name.replace(".ko.", ".en.")), "Output")):
        if not lang_page.exists():
            continue
        wrong = [b.line for b in blocks.read_page(lang_page).blocks if b.kind == "output" and b.title != title]
        assert not wrong, f"{lang_page.name}: output blocks at lines {wrong} are not titled {title!r}"


def test_parity_check_catches_a_difference():
    page = "```python\nx = 1  # 하나\nprint(x)\n```\n\n```text title=\"실행 결과\"\n1\n```\n"
    same = page.replace("# 하나", "# one").replace("실행 결과", "Output")
    changed = page.replace("x = 1", "x = 2")
    sig = lambda text: [s for s in map(signature, blocks.parse_page(text).blocks) if s]
    assert sig(page) == sig(same)
    assert sig(page) != sig(changed)


# --- heading ids ---------------------------------------------------------------------------------
# Every ## / ### heading of a chapter carries an explicit id, kebab-case English, and the two
# languages have the same ids in the same order: `## 5.2 연쇄 법칙 {#chain-rule}` and
# `## 5.2 The chain rule {#chain-rule}`. Links into sections then survive edits and translation.

ALL_CHAPTERS = sorted(DOCS.glob("step*.ko.md")) + sorted(DOCS.glob("step*.en.md"))
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_HEADING = re.compile(r"^(#{2,3})\s+(.*?)\s*#*\s*$")
_EXPLICIT_ID = re.compile(r"\{\s*#([^\s}]+)[^}]*\}$")
KEBAB = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def unfenced(lines: list[str]):
    """(1-based number, line) of every line outside code fences, fence lines left out."""
    fence = None
    for number, line in enumerate(lines, 1):
        m = _FENCE.match(line)
        if m:
            mark = m.group(1)
            if fence is None:
                fence = mark
            elif mark[0] == fence[0] and len(mark) >= len(fence) and not line.strip()[len(mark):]:
                fence = None
            continue
        if fence is None:
            yield number, line


def headings(text: str) -> list[tuple[int, int, str, str | None]]:
    """(line, level, title, explicit id or None) of every ## and ### heading outside code fences."""
    found = []
    for number, line in unfenced(text.split("\n")):
        h = _HEADING.match(line)
        if h:
            title = h.group(2)
            anchor = _EXPLICIT_ID.search(title)
            found.append((number, len(h.group(1)), title, anchor.group(1) if anchor else None))
    return found


def heading_problems(text: str) -> list[str]:
    """Headings without an explicit kebab-case id, and ids used twice on the page."""
    problems, seen = [], set()
    for line, _, title, anchor in headings(text):
        if anchor is None:
            problems.append(f"line {line}: heading {title!r} has no explicit id {{#...}}")
        elif not KEBAB.fullmatch(anchor):
            problems.append(f"line {line}: id {anchor!r} is not kebab-case English (a-z, 0-9, -)")
        elif anchor in seen:
            problems.append(f"line {line}: id {anchor!r} is used twice")
        seen.add(anchor)
    return problems


def heading_outline(text: str) -> list[tuple[int, str | None]]:
    return [(level, anchor) for _, level, _, anchor in headings(text)]


@pytest.mark.parametrize("page", ALL_CHAPTERS, ids=lambda p: p.name)
def test_every_heading_has_an_explicit_kebab_case_id(page: Path):
    problems = heading_problems(page.read_text("utf8"))
    assert not problems, f"{page.name}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("ko", CHAPTERS, ids=lambda p: p.name.removesuffix(".ko.md"))
def test_same_heading_ids_in_the_same_order(ko: Path):
    en = ko.with_name(ko.name.replace(".ko.md", ".en.md"))
    ko_ids, en_ids = heading_outline(ko.read_text("utf8")), heading_outline(en.read_text("utf8"))
    assert ko_ids == en_ids, (
        f"{ko.name} and {en.name} have different headings (level, id):\n  ko: {ko_ids}\n  en: {en_ids}"
    )


def test_heading_checks_catch_a_missing_id_and_a_different_order():
    ko = "# 1단계\n\n## 1.1 변수 {#what-is-a-variable}\n\n```python\n## not a heading\n```\n\n### 상자 {#boxes}\n"
    en = "# Step 1\n\n## 1.1 Variables {#what-is-a-variable}\n\n### Boxes {#boxes}\n"
    assert heading_problems(ko) == [] and heading_outline(ko) == heading_outline(en)
    assert heading_outline(ko) == [(2, "what-is-a-variable"), (3, "boxes")]
    assert heading_problems("## 1.1 변수란?\n") == ["line 1: heading '1.1 변수란?' has no explicit id {#...}"]
    assert "not kebab-case" in heading_problems("## 5.1 {#_1}\n")[0]
    assert "used twice" in heading_problems("## A {#a}\n## B {#a}\n")[0]
    swapped = "## 1.1 Variables {#boxes}\n\n### Boxes {#what-is-a-variable}\n"
    assert heading_outline(ko) != heading_outline(swapped)
    assert heading_outline(ko) != heading_outline(en.replace("### Boxes", "## Boxes"))
