"""MkDocs hook: TeX to MathML at build time, so equations need no JavaScript and no CDN.

`pymdownx.arithmatex` (generic mode) leaves `\\(...\\)` in `<span class="arithmatex">` and
`\\[...\\]` in `<div class="arithmatex">`; each becomes MathML from latex2mathml. A formula
that does not convert, or that uses a command the converter does not know, fails the build
with the page and the formula named. Rendered math is kept out of the search index.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from functools import lru_cache

from latex2mathml.converter import convert
from mkdocs.exceptions import PluginError

_MATH = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">\s*(?:\\\((?P<inline>.*?)\\\)|\\\[(?P<display>.*?)\\\])\s*</(?P=tag)>',
    re.S,
)
# latex2mathml writes a command it does not know as literal text, e.g. <mi>\foo</mi>
_UNKNOWN = re.compile(r"<m(?:i|o|n|text)>(\\[A-Za-z]+)</m(?:i|o|n|text)>")


# environments latex2mathml renders; anything else (aligned, gathered, ...) it drops silently
_ENVIRONMENTS = {"align", "align*", "array", "bmatrix", "Bmatrix", "cases", "matrix", "pmatrix", "split", "vmatrix", "Vmatrix"}
_BEGIN = re.compile(r"\\begin\{([^}]*)\}")


_LIMIT_OPERATORS = {"lim", "max", "min", "sup", "inf"}
_PRIMES = {"\u2032", "\u2033", "\u2034"}
_SLASHES = {"/", "\u2215"}
_XMLNS = ' xmlns="http://www.w3.org/1998/Math/MathML"'


class MathError(ValueError):
    pass


def _typeset(mathml: str, display: bool) -> str:
    """Small corrections to latex2mathml's output so it reads like a printed formula.

    A prime follows its letter as an operator (<mi>f</mi><mo>′</mo>): as a superscript Chromium
    draws it tiny, high, and with a gap before "(x)"; the prime glyph is already raised.
    In display math, lim takes its limit underneath (<munder>), as TeX sets it.
    A slash is ordinary, as in TeX: `1/h` is set tight, without the space of a binary operator.
    """
    root = ET.fromstring(mathml.replace(_XMLNS, "", 1))
    for parent in list(root.iter()):
        for el in list(parent):
            kids = list(el)
            if el.tag == "msup" and len(kids) == 2 and kids[1].text in _PRIMES and not len(kids[1]):
                kids[1].tag = "mo"
                at = list(parent).index(el)  # earlier replacements have shifted the siblings
                parent[at:at + 1] = kids
            elif el.tag == "mo" and el.text in _SLASHES and not len(el):
                el.set("lspace", "0")
                el.set("rspace", "0")
            elif display and el.tag == "msub" and kids and kids[0].tag == "mo" and kids[0].text in _LIMIT_OPERATORS:
                el.tag = "munder"
    return ET.tostring(root, encoding="unicode").replace("<math ", f"<math{_XMLNS} ", 1)


def _check_source(tex: str) -> None:
    depth = 0
    for ch in re.sub(r"\\[{}]", "", tex):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            raise MathError("a } closes nothing")
    if depth:
        raise MathError("a { is never closed")
    for env in _BEGIN.findall(tex):
        if env not in _ENVIRONMENTS:
            raise MathError(f"environment {env!r} is not supported (use align* for aligned lines)")


@lru_cache(maxsize=8192)  # a formula recurs on the other language's page and the notebook pages
def tex_to_mathml(tex: str, display: bool) -> str:
    _check_source(tex)
    try:
        mathml = convert(tex, display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises several unrelated types
        raise MathError(f"{type(exc).__name__} {exc}".strip()) from exc
    if "<mi>&</mi>" in mathml:
        raise MathError("a stray & outside an alignment environment")
    unknown = _UNKNOWN.search(mathml)
    if unknown:
        raise MathError(f"unknown command {unknown.group(1)}")
    mathml = _typeset(mathml, display)
    alt = html.escape(tex.strip(), quote=True)
    return mathml.replace("<math ", f'<math alttext="{alt}" ', 1)


def split_list(tex: str) -> list[str]:
    """An inline list of equations, `A'(x) = 2x, B'(a) = e^a`, as one formula per item (comma kept).

    A browser never breaks a line inside a formula, so a long list would stick out of a phone's
    column; TeX would break it after the commas, and so can the reader's browser between formulas.
    Only commas outside braces and brackets split, and only if every item is an equation.
    """
    items, depth, start = [], 0, 0
    for i, ch in enumerate(tex):
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth -= 1
        elif ch == "," and depth == 0 and tex[i - 1:i] != "\\":
            items.append(tex[start:i + 1])
            start = i + 1
    items.append(tex[start:])
    if len(items) < 2 or not all("=" in item for item in items):
        return [tex]
    return [item.strip() for item in items]


def render_math(content: str, where: str) -> str:
    def convert_one(tex: str, display: bool) -> str:
        try:
            return tex_to_mathml(tex, display)
        except MathError as exc:
            raise PluginError(f"{where}: cannot render the formula ${tex.strip()}$: {exc}") from exc

    def replace(m: re.Match) -> str:
        display = m.group("display") is not None
        tex = html.unescape(m.group("display") if display else m.group("inline"))
        if display:
            return f'<div class="math-display" data-search-exclude>{convert_one(tex, True)}</div>'
        return " ".join(f'<span class="math-inline" data-search-exclude>{convert_one(item, False)}</span>'
                        for item in split_list(tex))

    return _MATH.sub(replace, content)


def on_page_content(html_content: str, page, config, files) -> str:
    return render_math(html_content, page.file.src_uri)
