"""Text for the figures: escaping, width estimates, Korean particles, and text alternatives.

Part of the figure hook (hooks/figures.py). `describe_graph` writes what a screen reader says
for a computational graph, in the page's language.
"""

from __future__ import annotations

import html
import re

from figure_graph import Graph, Node, derivative_label

# --- text helpers --------------------------------------------------------------------------


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def _num(v: float) -> str:
    """Fixed formatting for coordinates: one decimal, no '-0'."""
    s = f"{v:.1f}"
    if s.endswith(".0"):
        s = s[:-2]
    return "0" if s == "-0" else s


def text_width(text: str, size: float) -> float:
    """A generous estimate of the rendered width (the real fonts are the reader's)."""
    w = 0.0
    for ch in text:
        if ord(ch) >= 0x1100 and (0xAC00 <= ord(ch) <= 0xD7A3 or 0x1100 <= ord(ch) <= 0x11FF
                                  or 0x3000 <= ord(ch) <= 0x9FFF):
            w += 1.0
        elif ch in "ilj.,:;'|!′ ":
            w += 0.34
        elif ch in "mwMW":
            w += 0.86
        elif ch.isupper() or ch.isdigit():
            w += 0.66
        else:
            w += 0.55
    return w * size


_KO_LETTERS = {  # how a Korean reader says a Latin letter: does the reading end in a consonant?
    "l": True, "m": True, "n": True, "r": False,
}
_KO_DIGITS = {"0": True, "1": True, "2": False, "3": True, "4": False, "5": False,
              "6": True, "7": True, "8": True, "9": False}


# How Korean readers say the class names of dezero functions: does the reading end in a consonant?
_KO_WORDS = {"square": False, "exp": False, "add": False, "sub": False, "mul": True, "div": False,
             "neg": False, "pow": False, "sin": True, "cos": True, "tanh": False, "log": False,
             "function": True, "variable": False}


def _has_batchim(text: str) -> bool | None:
    """Whether the Korean reading of `text`'s last word ends in a consonant (None: cannot tell)."""
    word = re.split(r"[\s,]+", text.strip())[-1]
    if word.endswith(")") and "(" in word:
        head, _, arg = word[:-1].rpartition("(")
        # C′(b) is read "C prime b"; A(Square) is A with a gloss, read "A"
        word = arg.split(",")[-1].strip() if head.endswith(("′", "'")) else head
    word = word.rstrip("′'")
    if not word:
        return None
    last = word[-1]
    if 0xAC00 <= ord(last) <= 0xD7A3:
        return (ord(last) - 0xAC00) % 28 != 0
    if last in _KO_DIGITS:
        return _KO_DIGITS[last]
    if word.lower() in _KO_WORDS:
        return _KO_WORDS[word.lower()]
    letters = word.split("/")[-1].strip("0123456789_")
    if last.isascii() and last.isalpha() and len(letters) <= 2:
        return _KO_LETTERS.get(last.lower(), False)  # read letter by letter: x 엑스, y 와이 ...
    return None


def josa(word: str, pair: str) -> str:
    """`word` with the right Korean particle: pair is "이/가", "을/를", "은/는" or "과/와"."""
    after_consonant, after_vowel = pair.split("/")
    b = _has_batchim(word)
    if b is None:
        return f"{word}{after_consonant}({after_vowel})"
    return word + (after_consonant if b else after_vowel)


# --- text alternatives ---------------------------------------------------------------------


def _fn_ko(fn: Node) -> str:
    return f"{fn.label}({fn.cls})" if fn.named and fn.label != fn.cls else fn.label


def _fn_en(fn: Node) -> str:
    return f"{fn.label} ({fn.cls})" if fn.named and fn.label != fn.cls else fn.label


def _steps(graph: Graph) -> list[tuple[list[Node], Node, list[Node]]]:
    return [(graph.inputs_of(f.id), f, graph.outputs_of(f.id)) for f in graph.functions]


def describe_graph(graph: Graph, view: str, lang: str) -> str:
    """A text alternative for screen readers, in the page's language."""
    ko = lang == "ko"
    steps = _steps(graph)
    out = graph.node(graph.output)
    if view == "backward":
        return _describe_backward(graph, steps, out, ko)
    if not steps:
        return (f"계산 그래프: 변수 {out.label} 하나뿐이고, 이 변수를 만든 함수는 없습니다."
                if ko else f"Computational graph: just the variable {out.label}; no function created it.")
    seen: set[str] = set()
    clauses = []
    for ins, f, outs in steps:
        def var(n: Node) -> str:
            if n.id in seen:
                return n.label
            seen.add(n.id)
            return ("변수 " if ko else "variable ") + n.label
        in_text = ", ".join(var(n) for n in ins)
        out_text = ", ".join(n.label for n in outs)
        for n in outs:
            seen.add(n.id)
        if ko:
            clauses.append(f"{josa(in_text, '이/가')} 함수 {josa(_fn_ko(f), '을/를')} 거쳐 {josa(out_text, '이/가')}")
        else:
            clauses.append(f"{in_text} goes through function {_fn_en(f)} to {out_text}")
    if ko:
        return "계산 그래프: " + ", ".join(c + " 되고" for c in clauses[:-1]) + \
            (", " if len(clauses) > 1 else "") + clauses[-1] + " 됩니다."
    if len(clauses) == 1:
        return f"Computational graph: {clauses[0]}."
    return "Computational graph: " + ", ".join(clauses[:-1]) + ", and " + clauses[-1] + "."


def _grad_text(n: Node, out: Node, ko: bool) -> str:
    d = f"d{out.label}/d{n.label}"
    if n.value is None:
        return d
    return f"{d} = {n.value}"


def _describe_backward(graph: Graph, steps, out: Node, ko: bool) -> str:
    start = _grad_text(out, out, ko)
    if not steps:
        return (f"역전파 계산 그래프: {start} 하나뿐입니다." if ko
                else f"Backward graph: just {start}.")
    clauses = []
    for ins, f, outs in reversed(steps):
        deriv = derivative_label(graph, f)
        targets = ", ".join(_grad_text(n, out, ko) for n in ins)
        if ko:
            what = f"함수 {_fn_ko(f)}의 도함수 {deriv}"
            clauses.append(f"{josa(what, '을/를')} 곱해 {josa(targets, '을/를')} 구하고")
        else:
            clauses.append(f"multiplying by {deriv}, the derivative of {_fn_en(f)}, gives {targets}")
    if ko:
        text = f"역전파 계산 그래프: 기울기가 출력 {out.label}에서 입력 쪽으로 거꾸로 흐릅니다. " \
               f"{start}에서 출발해, " + ", ".join(clauses)
        return text[: -len("구하고")] + "구합니다."
    body = ", ".join(clauses[:-1]) + (", and " if len(clauses) > 1 else "") + clauses[-1]
    return (f"Backward graph: gradients flow from the output {out.label} back towards the input. "
            f"Starting from {start}, {body}.")
