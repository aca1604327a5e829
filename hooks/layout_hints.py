"""MkDocs hook: how tall a block will be, for the browser to reserve before it draws it.

book.css lets the browser skip laying out a paragraph, a display equation or a listing until it
comes near the screen (`content-visibility: auto`); until then the block is a placeholder of the
height given by `contain-intrinsic-block-size`. This hook gives each such block of a chapter (a
top-level `<p>`, `<div class="math-display">`, or `<pre>` of a listing) what book.css needs to
set that height: its number of characters (`--dz-chars`), of equation rows (`--dz-rows`) or of
code lines (`--dz-lines`). book.css turns them into a height that is never less than the block
will need on a phone or a desktop, so the scroll bar is about right, and text that is not drawn
yet never lies outside its own box (an accessibility checker reading colours there would find
the next block's background: axe-core issue 2768). tests/test_a11y.py measures both.
"""
from __future__ import annotations

import html
import re

from mkdocs.plugins import event_priority

_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)([^>]*?)(/?)>")
_BLOCKS = {"div", "details", "ul", "ol", "li", "blockquote", "table", "figure", "section", "dl", "dd",
           "p", "pre", "nav", "aside", "summary", "form", "article"}
_STRIP = re.compile(r"<[^>]+>")


def _text_length(fragment: str) -> int:
    return len(" ".join(html.unescape(_STRIP.sub("", fragment)).split()))


def add_hints(content: str) -> str:
    """The page's HTML with a hint on each top-level paragraph, display equation and listing."""
    out: list[str] = []
    pos = 0
    open_blocks: list[tuple[str, str]] = []  # (tag, attributes) of the blocks around the position
    for m in _TAG.finditer(content):
        closing, tag, attrs = m.group(1), m.group(2).lower(), m.group(3)
        if tag not in _BLOCKS or m.group(4):
            continue
        if closing:
            while open_blocks and open_blocks.pop()[0] != tag:  # an unclosed block: dropped
                pass
            continue
        hint = _hint(content, m, tag, attrs, open_blocks)
        open_blocks.append((tag, attrs))
        if hint and "style=" not in attrs:
            out.append(content[pos:m.start()])
            out.append(f'<{m.group(2)}{attrs} style="{hint}">')
            pos = m.end()
    out.append(content[pos:])
    return "".join(out)


def _hint(content: str, m: re.Match, tag: str, attrs: str, around: list[tuple[str, str]]) -> str | None:
    if tag == "p" and not around:
        end = content.find("</p>", m.end())
        return f"--dz-chars:{_text_length(content[m.end():end])}"
    if tag == "div" and not around and re.search(r'\bclass="math-display\b', attrs):
        end = content.find("</math>", m.end())
        return f"--dz-rows:{max(1, content.count('<mtr', m.end(), end))}"
    if tag == "pre" and len(around) == 1 and around[0][0] == "div" and re.fullmatch(r'\s*class="highlight"\s*', around[0][1]):
        end = content.find("</pre>", m.end())
        code = html.unescape(_STRIP.sub("", content[m.end():end])).rstrip("\n")
        return f"--dz-lines:{code.count(chr(10)) + 1}"
    return None


_done: dict[str, str] = {}  # a page's HTML -> with hints (`mkdocs serve` rebuilds unchanged pages)


@event_priority(-300)  # after every hook that changes the page's HTML
def on_page_content(content: str, page, config, files) -> str:
    if content not in _done:
        if len(_done) > 400:  # about ten builds' worth of pages
            _done.clear()
        _done[content] = add_hints(content)
    return _done[content]
