"""The Korean and English page of each chapter hold the same code and the same outputs."""

from __future__ import annotations

import io
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
