"""Glossary terms show their other-language term, generated from the glossary page."""

import re
from pathlib import Path

import glossary

DOCS = Path(__file__).resolve().parents[1] / "docs"
KO = glossary.read_glossary(DOCS / "glossary.ko.md")
EN = glossary.read_glossary(DOCS / "glossary.en.md")


def test_both_glossaries_pair_the_same_terms():
    assert len(KO) >= 30
    assert {t.anchor for t in KO} == {t.anchor for t in EN}
    ko = {t.anchor: (t.term, t.other) for t in KO}
    en = {t.anchor: (t.other, t.term) for t in EN}
    assert ko == en, "the Korean and English glossaries pair terms differently"


def test_korean_terms_are_found_with_particles_and_longest_first():
    html = "<p>수치 미분과 역전파를 비교합니다. 미분은 변화율입니다.</p>"
    out = glossary.annotate(html, KO, "ko")
    assert ('<span class="term-word"><span class="term" tabindex="0" data-term-other="numerical differentiation">'
            '수치 미분</span>과</span>') in out
    assert 'data-term-other="backpropagation">역전파</span>를</span>' in out
    assert 'data-term-other="differentiation">미분</span>은</span>' in out


def test_only_the_first_mention_and_never_inside_code_links_or_headings():
    html = "<h2>역전파</h2><p><code>역전파</code> 역전파 그리고 역전파</p>"
    out = glossary.annotate(html, KO, "ko")
    assert out.count("data-term-other") == 1
    assert "<h2>역전파</h2><p><code>역전파</code> <span" in out


def test_glossary_links_get_the_other_term():
    out = glossary.annotate('<p><a href="../glossary/#chain-rule">chain rule</a></p>', EN, "en")
    assert '<a href="../glossary/#chain-rule" class="term" data-term-other="연쇄 법칙">' in out


def test_built_chapters_carry_the_terms(built_site):
    ko = (built_site.path / "step05" / "index.html").read_text("utf8")
    en = (built_site.path / "en" / "step05" / "index.html").read_text("utf8")
    assert 'data-term-other="chain rule"' in ko and 'data-term-other="backpropagation"' in ko
    assert 'data-term-other="연쇄 법칙"' in en and 'data-term-other="역전파"' in en


def test_a_term_split_across_source_lines_is_one_term():
    out = glossary.annotate("<p>This is gradient\nchecking.</p>", EN, "en")
    assert 'data-term-other="기울기 확인">gradient\nchecking</span>' in out


def test_links_only_terms_get_a_tooltip_on_glossary_links_only():
    terms = [glossary.Term("gradient", "기울기", "gradient", links_only=True)]
    assert glossary.annotate("<p>직선의 기울기</p>", terms, "ko") == "<p>직선의 기울기</p>"
    linked = glossary.annotate('<p><a href="../glossary/#gradient">기울기</a></p>', terms, "ko")
    assert 'data-term-other="gradient"' in linked


def test_tags_in_a_glossary_cell_are_not_part_of_the_term(tmp_path):
    page = tmp_path / "g.md"
    page.write_text('| <span id="recursion">recursion</span> | <span lang="ko">재귀</span> | x |\n', "utf8")
    assert glossary.read_glossary(page) == [glossary.Term("recursion", "recursion", "재귀")]


def test_ambiguous_terms_are_marked_links_only():
    # 기울기 is also the slope of a line; "derivative" also a value (Korean: 미분); "reference line"
    assert {t.anchor for t in KO if t.links_only} == {"gradient"}
    assert {t.anchor for t in EN if t.links_only} == {"gradient", "derivative", "reference"}


def test_the_slope_in_step_4_gets_no_gradient_tooltip(built_site):
    html = (built_site.path / "step04" / "index.html").read_text("utf8")
    section = html.split('id="rate-of-change"', 1)[1].split('id="a-small-h-instead-of-a-limit"', 1)[0]  # 4.1
    assert "기울기" in section and 'data-term-other="gradient"' not in section


# --- line breaking, output blocks, interface text (the same hook) -------------------------------

MATH = '<span class="math-inline" data-search-exclude><math><mi>n</mi></math></span>'


def test_math_code_and_numbers_stay_with_their_particle_or_punctuation():
    out = glossary.keep_together(f"<p>{MATH}개면 <code>x</code>는 {MATH}, 8.0e-05까지 1.5 그리고 4</p>")
    assert f'<span class="nobr">{MATH}개면</span>' in out
    assert '<span class="nobr"><code>x</code>는</span>' in out
    assert f'<span class="nobr">{MATH},</span>' in out
    assert '<span class="nobr">8.0e-05까지</span>' in out
    assert " 1.5 " in out and " 4<" in out  # nothing to keep together: left alone
    assert glossary.keep_together(f"<p>{MATH} 다음</p>") == f"<p>{MATH} 다음</p>"  # a space: no span


def test_long_code_before_a_particle_keeps_only_its_tail_with_it():
    out = glossary.keep_together("<p><code>sys.setrecursionlimit(10**6)</code>을 넣으면</p>")
    assert out == ('<p><code class="code-head">sys.setrecursionlimit</code><span class="nobr">'
                   '<code class="code-tail">(10**6)</code>을</span> 넣으면</p>')


def test_a_short_link_keeps_its_particle_and_code_blocks_are_left_alone():
    out = glossary.keep_together('<p><a href="g/#x" class="term">역전파</a>를 <strong>아주 긴 강조 문장이 여기 있습니다</strong>를</p>'
                                 '<pre><code>x = 1\n</code></pre>')
    assert '<span class="nobr"><a href="g/#x" class="term">역전파</a>를</span>' in out
    assert "<strong>아주 긴 강조 문장이 여기 있습니다</strong>를" in out  # long: stays breakable
    assert "<pre><code>x = 1\n</code></pre>" in out


def test_output_blocks_are_marked_and_permalinks_titled_in_the_page_language():
    block = '<div class="highlight"><span class="filename">{}</span><pre><code>1\n</code></pre></div>'
    assert glossary.mark_outputs(block.format("실행 결과")).startswith('<div class="highlight output">')
    assert glossary.mark_outputs(block.format("Output")).startswith('<div class="highlight output">')
    assert glossary.mark_outputs(block.format("step01.py")).startswith('<div class="highlight">')
    link = '<a class="headerlink" href="#x" title="Permanent link">\u2060¶</a>'
    assert 'title="이 절로 바로 가는 링크"' in glossary.translate_interface(link, "ko")
    assert 'title="Link to this section"' in glossary.translate_interface(link, "en")


def test_built_pages_keep_particles_and_mark_outputs(built_site):
    ko = (built_site.path / "step01" / "index.html").read_text("utf8")
    en = (built_site.path / "en" / "step01" / "index.html").read_text("utf8")
    assert 'class="highlight output"' in ko and 'class="highlight output"' in en
    assert "Permanent link" not in ko and "이 절로" not in en
    assert re.search(r'<span class="nobr"><code>[^<]+</code>[\uac00-\ud7a3]+', ko)
