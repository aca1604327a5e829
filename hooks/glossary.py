"""MkDocs hook: glossary terms in the text show their other-language term on hover and focus.

The pairs come from the glossary tables themselves (`docs/glossary.ko.md`, `.en.md`), whose
rows start with `<span id="anchor">term</span> | other-language term |`. On every other page,
links to a glossary entry and the first plain mention of each term get `data-term-other`,
which `docs/assets/book.css` shows as a tooltip.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

_ROW = re.compile(r'^\|\s*<span id="([\w-]+)">([^<]+)</span>\s*\|\s*([^|]+?)\s*\|', re.M)
_SKIP = {"a", "code", "pre", "script", "style", "math", "svg", "figure", "button", "textarea",
         "h1", "h2", "h3", "h4", "h5", "h6", "summary", "abbr", "dfn"}
_TAG = re.compile(r"(<[^>]+>)")
_TAG_NAME = re.compile(r"^</?\s*([a-zA-Z0-9-]+)")
_GLOSSARY_LINK = re.compile(r'<a href="([^"]*glossary/#([\w-]+))"')
_HANGUL = "\uac00-\ud7a3"


@dataclass(frozen=True)
class Term:
    anchor: str
    term: str
    other: str


def read_glossary(path: Path) -> list[Term]:
    return [Term(a, html.unescape(t.strip()), html.unescape(o.strip())) for a, t, o in _ROW.findall(path.read_text("utf8"))]


def term_pattern(terms: list[Term], lang: str) -> re.Pattern:
    words = sorted((t.term for t in terms), key=len, reverse=True)  # longest first: 수치 미분 before 미분
    alternatives = "|".join(re.escape(w) for w in words)
    if lang == "ko":  # Korean particles attach to the noun (역전파를): only the start must be a word start
        return re.compile(f"(?<![{_HANGUL}])({alternatives})")
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
        term = by_term[m.group(1).lower()]
        if term.anchor in seen:
            return m.group(0)
        seen.add(term.anchor)
        return f'<span class="term" tabindex="0" data-term-other="{html.escape(term.other)}">{m.group(0)}</span>'

    out, skip = [], 0
    for part in _TAG.split(content):
        if part.startswith("<"):
            name = _TAG_NAME.match(part)
            if name and name.group(1).lower() in _SKIP and not part.endswith("/>"):
                skip += -1 if part.startswith("</") else 1
            out.append(part)
        elif skip == 0 and part.strip():
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


def on_page_content(content: str, page, config, files) -> str:
    name = Path(page.file.src_uri).name
    lang = "en" if name.endswith(".en.md") else "ko"
    if name.startswith("glossary.") or not _terms.get(lang):
        return content
    return annotate(content, _terms[lang], lang)
