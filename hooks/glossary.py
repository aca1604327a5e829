"""MkDocs hook: glossary terms show their other-language term; Korean line breaking; page-language UI.

Three passes over every page's HTML, all about reading it:

- `keep_together`: inline math, inline code, a short link (a glossary term) or a number stays on
  its line with the Korean particle or the punctuation right after it (`$n$개`, `` `x`는 ``,
  `8.0e-05까지`, `$x$,`); `docs/assets/book.css` gives the wrapping `<span class="nobr">`
  `white-space: nowrap`. Long inline code is cut in two, and only its tail is kept with the
  particle, so the code can still wrap on a phone.
- `mark_outputs` gives output blocks (a fence titled 실행 결과 / Output) the class `output`, and
  `translate_interface` puts the heading permalinks' tooltip in the page's language.
- Glossary terms, below.

The pairs come from the glossary tables themselves (`docs/glossary.ko.md`, `.en.md`), whose
rows start with `<span id="anchor">term</span> | other-language term |`. On every other page,
links to a glossary entry and the first plain mention of each term get `data-term-other`,
which `docs/assets/book.css` shows as a tooltip. A term whose everyday sense differs (기울기 is
also the slope of a line, "derivative" also a value) is marked in the glossary with
`class="links-only"`: it gets the tooltip on explicit glossary links only.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

_ROW = re.compile(r'^\|\s*<span id="([\w-]+)"(?: class="([\w -]*)")?>([^<]+)</span>\s*\|\s*([^|]+?)\s*\|', re.M)
_TAGS = re.compile(r"<[^>]+>")
_SKIP = {"a", "code", "pre", "script", "style", "math", "svg", "figure", "button", "textarea",
         "h1", "h2", "h3", "h4", "h5", "h6", "summary", "abbr", "dfn"}
_TAG = re.compile(r"(<[^>]+>)")
_TAG_NAME = re.compile(r"^</?\s*([a-zA-Z0-9-]+)")
_GLOSSARY_LINK = re.compile(r'<a href="([^"]*glossary/#([\w-]+))"')
_HANGUL = "\uac00-\ud7a3"

# --- keeping units on one line ----------------------------------------------------------------

# What must not start a line: a Korean particle (any Hangul right after the unit, no space) or
# closing punctuation (and a bracket that opens right after it: 다차원 배열(np.ndarray)로).
_TAIL = rf"(?:[{_HANGUL}]+[,.:;!?)\]’”」]*|[,.:;!?)\]’”」%(]+[{_HANGUL}]*)"
_INLINE_UNIT = re.compile(
    r'(?:<span class="math-inline"[^>]*>(?:(?!</math>).)*</math></span>'
    r'|<code(?:\s[^>]*)?>(?:(?!</?code[\s>]).)*</code>'
    # a glossary link or emphasis: Chromium may break between an element and the particle after it
    r'|<(a|strong|em|b|i|mark|abbr|kbd)\b[^>]*>(?:(?!</?\1[\s>]).)*</\1>)'
    + f"(?={_TAIL})",
    re.S,
)
# A number with a decimal point, sign, exponent or range, plus what sticks to it: 8.0e-05,
# −1.5, 3-1 (a figure's number), 10분의
_NUMBER = re.compile(rf"(?<![\w.])[-−+]?\d+(?:[.,]\d+)*(?:[eE][-−+]?\d+)?(?:[-–]\d+(?:[.,]\d+)*)*{_TAIL}?")
_TAIL_AT_START = re.compile(_TAIL)
_TEXT_SKIP = {"code", "pre", "script", "style", "math", "svg", "textarea"}


def _wrap_numbers(text: str) -> str:
    def number(m: re.Match) -> str:
        token = m.group(0)
        if not re.search(rf"[-−+eE]|\d[{_HANGUL},:;!?)%]|\d\.(?!\d)", token):
            return token  # 4 or 1.5 breaks nowhere: only signs, exponents and what follows a number can
        return f'<span class="nobr">{token}</span>'

    return _NUMBER.sub(number, text)


_SHORT = 16  # longer code is cut before the particle; a longer link or emphasis is left alone


def _code_cut(text: str) -> int:
    """Where to cut long code so that its tail (what stays with the particle) is short: before the
    earliest `.`, `_`, `(`, `[`, `,` or space that leaves at most _SHORT characters."""
    cuts = [i for i in range(1, len(text) - 1) if text[i] in "._([, " and len(text) - i <= _SHORT]
    return cuts[0] if cuts else max(1, len(text) - 10)


_WHOLE = re.compile(r"(<(pre|svg|math)\b[^>]*>.*?</\2>)", re.S)


def _tags_outside_pre(content: str):
    """`_TAG.split(content)`, except that each code listing, figure or formula, which never holds a
    number to wrap and opens and closes what it holds, comes whole (a listing is thousands of
    tags). An element holding another of its kind (`<svg>` in `<svg>`) is split as usual."""
    pieces = _WHOLE.split(content)
    for n in range(0, len(pieces), 3):
        yield from _TAG.split(pieces[n])
        if n + 1 < len(pieces):
            block, name = pieces[n + 1], pieces[n + 2]
            if block.count(f"<{name}") == 1:
                yield block
            else:
                yield from _TAG.split(block)


def _is_whole(part: str) -> bool:
    return part.startswith(("<pre", "<svg", "<math")) and part.endswith(("</pre>", "</svg>", "</math>"))


def keep_together(content: str) -> str:
    """Wrap inline math or code with the particle or punctuation after it, and numbers, in nobr spans."""
    out, pos = [], 0
    for m in _INLINE_UNIT.finditer(content):
        tail = _TAIL_AT_START.match(content, m.end())
        unit = m.group(0)
        text = html.unescape(_TAGS.sub("", unit))
        if m.group(1) and (len(text) > _SHORT or not re.match(rf"[{_HANGUL}(]", tail.group(0))):
            continue  # text before punctuation never breaks: only a particle needs the span
        head = ""
        if re.fullmatch(r"<code>[^<]*</code>", unit) and len(text) > _SHORT:  # long code: only its last piece stays with the particle
            cut = _code_cut(text)
            head = f'<code class="code-head">{html.escape(text[:cut], quote=False)}</code>'
            unit = f'<code class="code-tail">{html.escape(text[cut:], quote=False)}</code>'
        out += [content[pos:m.start()], head, '<span class="nobr">', unit, tail.group(0), "</span>"]
        pos = tail.end()
    out.append(content[pos:])
    content = "".join(out)

    parts, skip = [], 0
    for part in _tags_outside_pre(content):
        if _is_whole(part):  # a listing, figure or formula: no number to wrap
            parts.append(part)
        elif part.startswith("<"):
            name = _TAG_NAME.match(part)
            if name and name.group(1).lower() in _TEXT_SKIP and not part.endswith("/>"):
                skip += -1 if part.startswith("</") else 1
            parts.append(part)
        elif skip == 0 and part:
            parts.append(_wrap_numbers(part))
        else:
            parts.append(part)
    return "".join(parts)


# --- output blocks and interface text -----------------------------------------------------------

OUTPUT_TITLES = ("실행 결과", "Output")
_OUTPUT_BLOCK = re.compile(r'<div class="([^"]*\bhighlight\b[^"]*)">(<span[^>]*\bclass="filename"[^>]*>(?:%s)</span>)'
                           % "|".join(map(re.escape, OUTPUT_TITLES)))
PERMALINK_TITLES = {"ko": "이 절로 바로 가는 링크", "en": "Link to this section"}


def mark_outputs(content: str) -> str:
    return _OUTPUT_BLOCK.sub(lambda m: f'<div class="{m.group(1)} output">{m.group(2)}', content)


def translate_interface(content: str, lang: str) -> str:
    """The toc extension's permalink tooltip (one string for the whole site) in the page's language."""
    title = html.escape(PERMALINK_TITLES.get(lang, PERMALINK_TITLES["en"]), quote=True)
    return content.replace('title="Permanent link"', f'title="{title}"')


@dataclass(frozen=True)
class Term:
    anchor: str
    term: str
    other: str
    links_only: bool = False


def _cell(text: str) -> str:
    return " ".join(html.unescape(_TAGS.sub("", text)).split())


def read_glossary(path: Path) -> list[Term]:
    return [
        Term(anchor, _cell(term), _cell(other), "links-only" in classes.split())
        for anchor, classes, term, other in _ROW.findall(path.read_text("utf8"))
    ]


def _words(term: str) -> str:
    return r"\s+".join(re.escape(w) for w in term.split())  # a term may wrap across source lines


def term_pattern(terms: list[Term], lang: str) -> re.Pattern | None:
    words = sorted((t.term for t in terms if not t.links_only), key=len, reverse=True)  # 수치 미분 before 미분
    if not words:
        return None
    alternatives = "|".join(_words(w) for w in words)
    if lang == "ko":  # Korean particles attach to the noun (역전파를): only the start must be a word start
        return re.compile(f"(?<![{_HANGUL}])({alternatives})([{_HANGUL}]*)")
    return re.compile(rf"\b({alternatives})(?:s|es)?\b", re.I)


def annotate(content: str, terms: list[Term], lang: str) -> str:
    by_anchor = {t.anchor: t for t in terms}
    by_term = {t.term.lower(): t for t in terms}
    pattern = term_pattern(terms, lang)
    seen: set[str] = set()

    def link(m: re.Match) -> str:
        term = by_anchor.get(m.group(2))
        if term is None:
            return m.group(0)
        seen.add(term.anchor)
        return f'{m.group(0)} class="term" data-term-other="{html.escape(term.other)}"'

    content = _GLOSSARY_LINK.sub(link, content)

    def mention(m: re.Match) -> str:
        term = by_term[" ".join(m.group(1).split()).lower()]
        if term.anchor in seen:
            return m.group(0)
        seen.add(term.anchor)
        if lang == "ko":  # the term and its particle stay on one line (역전파|를)
            return (f'<span class="term-word"><span class="term" tabindex="0" data-term-other="{html.escape(term.other)}">'
                    f'{m.group(1)}</span>{m.group(2)}</span>')
        return f'<span class="term" tabindex="0" data-term-other="{html.escape(term.other)}">{m.group(0)}</span>'

    out, skip = [], 0
    for part in _tags_outside_pre(content):
        if _is_whole(part):  # a listing, figure or formula: never annotated
            out.append(part)
        elif part.startswith("<"):
            name = _TAG_NAME.match(part)
            if name and name.group(1).lower() in _SKIP and not part.endswith("/>"):
                skip += -1 if part.startswith("</") else 1
            out.append(part)
        elif skip == 0 and pattern is not None and part.strip():
            out.append(pattern.sub(mention, part))
        else:
            out.append(part)
    return "".join(out)


_terms: dict[str, list[Term]] = {}


def on_config(config):
    docs = Path(config["docs_dir"])
    for lang in ("ko", "en"):
        path = docs / f"glossary.{lang}.md"
        _terms[lang] = read_glossary(path) if path.exists() else []
    return config


def page_html(content: str, lang: str, terms: tuple[Term, ...]) -> str:
    """A page's HTML with output blocks marked, interface text translated, terms annotated (unless
    `terms` is empty) and units kept together."""
    key = (content, lang, terms)
    if key not in _done:
        content = translate_interface(mark_outputs(content), lang)
        if terms:
            content = annotate(content, list(terms), lang)
        if len(_done) > 400:  # `mkdocs serve`: pages of earlier rebuilds
            _done.clear()
        _done[key] = keep_together(content)
    return _done[key]


_done: dict[tuple, str] = {}  # the same page, unchanged, in the next `mkdocs serve` rebuild


def on_page_content(content: str, page, config, files) -> str:
    name = Path(page.file.src_uri).name
    lang = "en" if name.endswith(".en.md") else "ko"
    terms = () if name.startswith("glossary.") else tuple(_terms.get(lang) or ())
    return page_html(content, lang, terms)
