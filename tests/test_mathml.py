"""Equations become MathML at build time; a bad formula fails the build, naming page and formula."""

import re

import pytest
from mkdocs.exceptions import PluginError

import mathml


def arithmatex_inline(tex: str) -> str:
    return f'<p>A <span class="arithmatex">\\({tex}\\)</span> b</p>'


def test_inline_and_display_math_become_mathml():
    html = arithmatex_inline("x^2") + '<div class="arithmatex">\\[\\frac{dy}{dx}\\]</div>'
    out = mathml.render_math(html, "step04.ko.md")
    assert "arithmatex" not in out and "\\(" not in out
    assert '<span class="math-inline" data-search-exclude><math alttext="x^2"' in out
    assert re.search(r'<div class="math-display" data-search-exclude><math alttext="\\frac\{dy\}\{dx\}" [^>]*display="block"', out)
    assert "<msup><mi>x</mi><mn>2</mn></msup>" in out
    assert "<mfrac>" in out


def test_primes_are_operators_and_display_limits_go_underneath():
    out = mathml.tex_to_mathml(r"f'(x) = \lim_{h \to 0} h", display=True)
    assert "<mi>f</mi><mo>\u2032</mo><mo stretchy=\"false\">(</mo>" in out and "<msup>" not in out
    assert "<munder><mo>lim</mo>" in out and "<msub><mo>lim" not in out
    assert "<msub><mo>lim</mo>" in mathml.tex_to_mathml(r"\lim_{h \to 0} h", display=False)  # inline: beside, as TeX


def test_align_star_is_supported():
    out = mathml.tex_to_mathml(r"\begin{align*} a &= b \\ c &= d \end{align*}", display=True)
    assert out.count("<mtr>") == 2


def test_html_escaped_tex_is_unescaped_before_converting():
    out = mathml.render_math(arithmatex_inline("a &lt; b"), "p.md")
    assert "<mo>&lt;</mo>" in out


def test_the_chain_rule_and_difference_quotients_are_fractions():
    out = mathml.tex_to_mathml(r"\frac{dy}{dx} = \frac{dy}{db}\frac{db}{da}\frac{da}{dx}", display=True)
    assert out.count("<mfrac>") == 4
    out = mathml.tex_to_mathml(r"f'(x) = \lim_{h \to 0} \frac{f(x+h) - f(x)}{h}", display=True)
    assert "<mfrac>" in out and "lim" in out


@pytest.mark.parametrize(
    "tex", [r"\frac{a}{", r"\foo{a}", r"\begin{aligned} a &= b \end{aligned}", r"{a", r"a}", r"\left( a", r"a & b"]
)
def test_a_malformed_formula_fails_naming_page_and_formula(tex):
    with pytest.raises(PluginError, match=r"step05\.en\.md: cannot render the formula \$.+\$"):
        mathml.render_math(arithmatex_inline(tex), "step05.en.md")


def test_built_pages_have_mathml_and_no_tex_left(built_site):
    pages = sorted(built_site.path.glob("**/step0[45]/index.html"))
    assert len(pages) >= 4, "step04 and step05 in both languages"
    for page in pages:
        text = page.read_text("utf8")
        assert "<math " in text and "<mfrac>" in text, page
        assert 'class="arithmatex"' not in text, page


def test_math_stays_out_of_the_search_index(built_site):
    index = (built_site.path / "search" / "search_index.json").read_text("utf8")
    assert "<math" not in index and "mfrac" not in index and "\\frac" not in index


def test_several_primes_keep_the_order_of_the_formula():
    out = mathml.tex_to_mathml(r"f'''(x) + C'(b)^2", display=False)
    body = out.replace('<mo stretchy="false">', "<mo>")
    assert ("<mi>f</mi><mo>\u2034</mo><mo>(</mo><mi>x</mi><mo>)</mo><mo>+</mo>"
            "<mi>C</mi><mo>\u2032</mo><mo>(</mo><mi>b</mi>") in body


def test_a_slash_is_set_tight_as_in_print():
    out = mathml.tex_to_mathml(r"1/h + 10^{-16}/h", display=False)
    assert out.count('<mo lspace="0" rspace="0">/</mo>') == 2, out
    assert "<mo>+</mo>" in out  # other operators keep their spacing


def test_an_inline_list_of_equations_becomes_one_formula_per_item():
    out = mathml.render_math(arithmatex_inline(r"A'(x) = 2x, B'(a) = e^a, C'(b) = 2b"), "p.md")
    assert out.count('<span class="math-inline"') == 3
    assert '<mo>,</mo></mrow></math></span> <span class="math-inline"' in out  # comma kept, a space between
    assert mathml.split_list(r"f(x, y) = x, g = \{a, b\}") == ["f(x, y) = x,", r"g = \{a, b\}"]
    assert mathml.split_list("x, y") == ["x, y"]  # not a list of equations: one formula
    assert mathml.split_list(r"x_{1,2} = 0") == [r"x_{1,2} = 0"]
