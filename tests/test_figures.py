"""hooks/figures.py: graphs drawn from live dezero objects, log–log plots, and the built site."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import markdown as md
import numpy as np
import pytest
from mkdocs.exceptions import PluginError

import blocks
import figures
from dezero import Exp, Square, Variable

SVG = "{http://www.w3.org/2000/svg}"
FENCE = "`" * 3  # written out so this file holds no literal fences


def chain():
    """y = C(B(A(x))) with the names the chapters use."""
    A, B, C = Square(), Exp(), Square()
    x = Variable(np.array(0.5))
    a = A(x)
    b = B(a)
    y = C(b)
    return y, {"A": A, "B": B, "C": C, "x": x, "a": a, "b": b, "y": y}


def fence(lang: str, code: str, **attrs: str) -> str:
    opts = "".join(f' {k}="{v}"' for k, v in attrs.items())
    return f"{FENCE}{{.{lang}{opts}}}\n{code.strip()}\n{FENCE}\n"


GRAPH_CODE = """
import numpy as np
from dezero import Variable, Square, Exp

A, B, C = Square(), Exp(), Square()
x = Variable(np.array(0.5))
a = A(x)
b = B(a)
y = C(b)
"""


def parse_figure(html: str) -> ET.Element:
    """The figure HTML is well-formed XML too (so the SVG can be saved as a file)."""
    return ET.fromstring(html)


def svg_of(fig: ET.Element) -> ET.Element:
    return fig.find(f"{SVG}svg")


def node_texts(svg: ET.Element) -> dict[str, list[str]]:
    """node id -> the texts drawn in it."""
    out = {}
    for g in svg.iter(f"{SVG}g"):
        if "data-node" in g.attrib:
            out[g.attrib["data-node"]] = ["".join(t.itertext()) for t in g.iter(f"{SVG}text")]
    return out


def arrows(svg: ET.Element) -> list[tuple[str, str]]:
    return [(g.attrib["data-from"], g.attrib["data-to"]) for g in svg.iter(f"{SVG}g") if "data-from" in g.attrib]


def centre_x(svg: ET.Element, node_id: str) -> float:
    for g in svg.iter(f"{SVG}g"):
        if g.attrib.get("data-node") == node_id:
            shape = g.find(f"{SVG}ellipse")
            if shape is not None:
                return float(shape.attrib["cx"])
            rect = g.find(f"{SVG}rect")
            return float(rect.attrib["x"]) + float(rect.attrib["width"]) / 2
    raise KeyError(node_id)


# --- graph extraction ----------------------------------------------------------------------


def test_chain_has_four_variables_and_three_functions_in_data_flow_order():
    y, ns = chain()
    g = figures.extract_graph(y, ns)
    assert [n.label for n in g.variables] == ["x", "a", "b", "y"]
    assert [n.label for n in g.functions] == ["A", "B", "C"]
    assert [n.cls for n in g.functions] == ["Square", "Exp", "Square"]
    assert [n.label for n in g.nodes] == ["x", "A", "a", "B", "b", "C", "y"]
    label = {n.id: n.label for n in g.nodes}
    assert sorted((label[s], label[t]) for s, t in g.edges) == sorted([
        ("x", "A"), ("A", "a"), ("a", "B"), ("B", "b"), ("b", "C"), ("C", "y"),
    ])
    assert label[g.output] == "y"


def test_graph_follows_the_objects_not_the_names():
    """Names only label; the structure comes from creator/input/output."""
    A, B = Square(), Exp()
    x = Variable(np.array(2.0))
    y = B(A(x))  # the middle variable has no name
    unrelated = Variable(np.array(1.0))  # noqa: F841 - in the namespace, not in the graph
    g = figures.extract_graph(y, {"A": A, "B": B, "x": x, "y": y, "unrelated": unrelated})
    assert [n.kind for n in g.nodes] == ["variable", "function", "variable", "function", "variable"]
    assert [n.label for n in g.variables] == ["x", "v1", "y"]
    assert len(g.edges) == 4


def test_unnamed_function_falls_back_to_its_class_name():
    x = Variable(np.array(3.0))
    y = Square()(x)
    g = figures.extract_graph(y, {"x": x, "y": y})
    assert [n.label for n in g.functions] == ["Square"]
    assert not g.functions[0].named


def test_a_variable_nobody_computed_is_a_graph_of_one_node():
    x = Variable(np.array(1.0))
    g = figures.extract_graph(x, {"x": x})
    assert [n.label for n in g.nodes] == ["x"] and g.edges == []


def test_small_dag_is_layered_by_distance_from_the_output():
    """A made-up two-input function: the layout must still put every arrow left to right."""

    class Add:
        def __call__(self, a, b):
            y = Variable(np.asarray(a.data + b.data))
            y.set_creator(self)
            self.inputs, self.outputs = [a, b], [y]
            return y

    A, add = Square(), Add()
    x = Variable(np.array(1.0))
    a = A(x)
    y = add(a, x)  # x feeds both A and add: a skip connection
    g = figures.extract_graph(y, {"A": A, "add": add, "x": x, "a": a, "y": y})
    assert [n.label for n in g.nodes] == ["x", "A", "a", "add", "y"]
    fig = parse_figure(figures.render_graph(g, lang="en", fig_id="t"))
    svg = svg_of(fig)
    ids = {n.label: n.id for n in g.nodes}
    for s, t in arrows(svg):
        assert centre_x(svg, s) < centre_x(svg, t)
    assert (ids["x"], ids["add"]) in arrows(svg)
    desc = fig.find(f"{SVG}svg/{SVG}desc").text
    assert desc.endswith("and a, x goes through function add (Add) to y.")


# --- the SVG -------------------------------------------------------------------------------


def test_forward_svg_shapes_labels_and_arrows():
    y, ns = chain()
    g = figures.extract_graph(y, ns)
    fig = parse_figure(figures.render_graph(g, caption="Figure 3-1", lang="en", fig_id="fig-3"))
    svg = svg_of(fig)
    assert svg.attrib["role"] == "img"
    assert svg.attrib["aria-labelledby"] == "fig-3-title fig-3-desc"
    assert svg.find(f"{SVG}title").attrib["id"] == "fig-3-title"
    assert svg.find(f"{SVG}desc").attrib["id"] == "fig-3-desc"
    assert len(list(svg.iter(f"{SVG}ellipse"))) == 4
    assert len(list(svg.iter(f"{SVG}rect"))) == 3
    texts = node_texts(svg)
    label = {n.id: n.label for n in g.nodes}
    assert [texts[n.id][0] for n in g.nodes] == ["x", "A", "a", "B", "b", "C", "y"]
    assert texts[g.functions[0].id] == ["A", "Square"]
    # arrows show the data flow x -> A -> a -> B -> b -> C -> y, left to right
    flow = [(label[s], label[t]) for s, t in arrows(svg)]
    assert sorted(flow) == sorted([("x", "A"), ("A", "a"), ("a", "B"), ("B", "b"), ("b", "C"), ("C", "y")])
    xs = [centre_x(svg, n.id) for n in g.nodes]
    assert xs == sorted(xs)
    assert fig.find("figcaption").text == "Figure 3-1"


def test_backward_view_labels_and_reversed_arrows():
    y, ns = chain()
    g = figures.extract_graph(y, ns)
    svg = svg_of(parse_figure(figures.render_graph(g, view="backward", lang="en")))
    texts = node_texts(svg)
    by_label = {n.label: texts[n.id] for n in g.nodes}
    # variables: dy over dvar, drawn as a fraction
    assert by_label["y"] == ["dy", "dy"]
    assert by_label["b"] == ["dy", "db"]
    assert by_label["a"] == ["dy", "da"]
    assert by_label["x"] == ["dy", "dx"]
    assert len([l for l in svg.iter(f"{SVG}line") if l.attrib.get("class") == "dz-frac-bar"]) == 4
    # functions: their derivatives at their inputs
    assert by_label["C"] == ["C′(b)"]
    assert by_label["B"] == ["B′(a)"]
    assert by_label["A"] == ["A′(x)"]
    label = {n.id: n.label for n in g.nodes}
    flow = [(label[s], label[t]) for s, t in arrows(svg)]
    assert sorted(flow) == sorted([("y", "C"), ("C", "b"), ("b", "B"), ("B", "a"), ("a", "A"), ("A", "x")])
    for s, t in arrows(svg):  # gradients flow right to left, from y back to x
        assert centre_x(svg, s) > centre_x(svg, t)


def test_backward_view_shows_grads_once_backward_ran():
    y, ns = chain()
    y.backward()
    g = figures.extract_graph(y, ns)
    texts = node_texts(svg_of(parse_figure(figures.render_graph(g, view="backward", lang="en"))))
    by_label = {n.label: texts[n.id] for n in g.nodes}
    assert by_label["y"] == ["dy", "dy", "= 1"]
    assert by_label["x"] == ["dy", "dx", "= 3.297"]
    desc = figures.describe_graph(g, "backward", "ko")
    assert "dy/dy = 1에서 출발해" in desc and "dy/dx = 3.297을 구합니다." in desc


def test_rendering_is_deterministic():
    y1, ns1 = chain()
    y2, ns2 = chain()
    one = figures.render_graph(figures.extract_graph(y1, ns1), caption="c", lang="ko", fig_id="f")
    two = figures.render_graph(figures.extract_graph(y2, ns2), caption="c", lang="ko", fig_id="f")
    assert one == two
    page = "# t\n\n" + fence("dezero-graph", GRAPH_CODE, caption="c") + "\n" + \
        fence("dezero-graph", GRAPH_CODE, caption="d", view="backward")
    a = figures.process_markdown(page, where="docs/t.ko.md", lang="ko", stem="t")
    figures._cache.clear()
    b = figures.process_markdown(page, where="docs/t.ko.md", lang="ko", stem="t")
    assert a == b
    assert [re.search(r'id="([^"]+)"', f).group(1) for f in a.figures.values()] == ["dzfig-t-1", "dzfig-t-2"]
    assert not re.search(r"0x[0-9a-f]{6,}", "".join(a.figures.values()))  # no object addresses


# --- text alternatives ---------------------------------------------------------------------


def test_text_alternative_in_korean_and_english():
    y, ns = chain()
    g = figures.extract_graph(y, ns)
    assert figures.describe_graph(g, "forward", "ko") == (
        "계산 그래프: 변수 x가 함수 A(Square)를 거쳐 a가 되고, a가 함수 B(Exp)를 거쳐 b가 되고, "
        "b가 함수 C(Square)를 거쳐 y가 됩니다."
    )
    assert figures.describe_graph(g, "forward", "en") == (
        "Computational graph: variable x goes through function A (Square) to a, a goes through "
        "function B (Exp) to b, and b goes through function C (Square) to y."
    )
    ko = figures.describe_graph(g, "backward", "ko")
    assert "dy/dy에서 출발해, 함수 C(Square)의 도함수 C′(b)를 곱해 dy/db를 구하고" in ko
    assert ko.endswith("A′(x)를 곱해 dy/dx를 구합니다.")
    en = figures.describe_graph(g, "backward", "en")
    assert "Starting from dy/dy, multiplying by C′(b), the derivative of C (Square), gives dy/db" in en
    assert en.endswith("gives dy/dx.")
    fig = figures.render_graph(g, caption="그림 3-1", lang="ko")
    assert "<desc id=\"dzfig-desc\">계산 그래프: 변수 x가" in fig
    assert "<title id=\"dzfig-title\">그림 3-1</title>" in fig


@pytest.mark.parametrize("word, pair, expected", [
    ("변수 x", "이/가", "변수 x가"), ("l", "이/가", "l이"), ("x0", "이/가", "x0이"),
    ("A(Square)", "을/를", "A(Square)를"), ("Square", "을/를", "Square를"), ("함수 Mul", "을/를", "함수 Mul을"),
    ("C′(b)", "을/를", "C′(b)를"), ("dy/dm", "을/를", "dy/dm을"), ("Foo", "을/를", "Foo을(를)"),
])
def test_korean_particles_follow_the_reading(word, pair, expected):
    assert figures.josa(word, pair) == expected


@pytest.mark.parametrize("src_uri, locale, expected", [
    ("step03.ko.md", None, "ko"), ("step03.en.md", None, "en"), ("step03.md", "en", "en"),
    ("step03.en.md", "en", "en"), ("index.md", None, "ko"),
])
def test_page_language(src_uri, locale, expected):
    file = SimpleNamespace(src_uri=src_uri)
    if locale:
        file.locale = locale
    assert figures.page_language(SimpleNamespace(file=file), {"theme": {"language": "ko"}}) == expected


# --- errors --------------------------------------------------------------------------------


def test_a_fence_that_raises_fails_with_page_and_line():
    page = "# t\n\ntext\n\n" + fence("dezero-graph", "from dezero import Variable\ny = Variable(1.0)\n")
    with pytest.raises(PluginError) as info:
        figures.process_markdown(page, where="docs/step09.ko.md", lang="ko", stem="step09")
    msg = str(info.value)
    assert msg.startswith("docs/step09.ko.md:5: dezero-graph figure: the figure code raised TypeError")
    assert "(raised at line 7)" in msg


def test_a_fence_without_its_output_variable_fails():
    page = fence("dezero-graph", GRAPH_CODE, output="z")
    with pytest.raises(PluginError, match=r"^docs/p\.en\.md:1: .*does not define `z`"):
        figures.process_markdown(page, where="docs/p.en.md", lang="en", stem="p")


def test_unknown_view_fails():
    page = "\n" + fence("dezero-graph", GRAPH_CODE, view="sideways")
    with pytest.raises(PluginError, match=r"^docs/p\.en\.md:2: .*view=\"sideways\""):
        figures.process_markdown(page, where="docs/p.en.md", lang="en", stem="p")


def test_error_line_is_the_files_line_even_if_another_hook_changed_the_markdown():
    text = "# t\n\n" + fence("dezero-graph", "y = 1 / 0")
    source = blocks.parse_page(text, "docs/p.ko.md")
    shifted = "extra\nlines\n\n" + text  # e.g. something inserted above by another hook
    with pytest.raises(PluginError, match=r"^docs/p\.ko\.md:3: .*ZeroDivisionError"):
        figures.process_markdown(shifted, where="docs/p.ko.md", lang="ko", stem="p", source=source)


def test_plot_errors_name_page_and_line():
    page = FENCE + "python\nimport numpy as np\nhs = np.ones(3)\n" + FENCE + "\n\n" + \
        fence("dezero-plot", "x = hs", legend="a")
    with pytest.raises(PluginError, match=r"^docs/p\.ko\.md:6: dezero-plot figure: .*does not define `ys`"):
        figures.process_markdown(page, where="docs/p.ko.md", lang="ko", stem="p")
    page = fence("dezero-plot", "x = [1, 2]\nys = [[1, 2]]", legend="a,b")
    with pytest.raises(PluginError, match=r"^docs/p\.ko\.md:1: .*1 series but legend= names 2"):
        figures.process_markdown(page, where="docs/p.ko.md", lang="ko", stem="p")


# --- plots ---------------------------------------------------------------------------------

HS = 10.0 ** -np.arange(1, 13)


def plot_svg(**kw) -> ET.Element:
    ys = [HS * 3 + 1e-7, HS ** 2 + 1e-11, HS, HS ** 2]
    html = figures.render_plot(HS, ys, ["전진 차분", "중앙 차분", "~O(h)", "~O(h²)"], xlabel="h",
                               ylabel="오차", caption="그림 4-1", lang="ko", fig_id="p", **kw)
    return svg_of(parse_figure(html))


def test_plot_has_one_polyline_per_series_and_dashed_guides():
    svg = plot_svg()
    lines = list(svg.iter(f"{SVG}polyline"))
    assert len(lines) == 4
    dashed = [l for l in lines if "stroke-dasharray" in l.attrib]
    assert len(dashed) == 2
    assert all(len(l.attrib["points"].split()) == 12 for l in lines)
    markers = [e for e in svg.iter() if e.attrib.get("class") == "dz-marker"]
    assert len(markers) == 2 * 12 + 2  # the two solid series, plus one in each legend entry
    legend = ["".join(t.itertext()) for t in svg.iter(f"{SVG}text") if t.attrib.get("class") == "dz-legend-label"]
    assert legend == ["전진 차분", "중앙 차분", "O(h)", "O(h²)"]


def test_plot_has_decade_ticks_with_labels():
    svg = plot_svg()
    labels = ["".join(t.itertext()) for t in svg.iter(f"{SVG}text") if t.attrib.get("class") == "dz-tick-label"]
    x_labels = [f"10−{p}" for p in range(12, 0, -1)]
    assert labels[:12] == x_labels  # 10⁻¹² … 10⁻¹, every decade
    y_labels = labels[12:]
    assert y_labels[0] == "10−11" and y_labels[-1] == "100"  # y range from the solid series only
    sup = svg.find(f".//{SVG}text[@class='dz-tick-label']/{SVG}tspan")
    assert sup.attrib["class"] == "dz-sup" and sup.text == "−12"


def test_plot_text_alternative():
    svg = plot_svg()
    desc = svg.find(f"{SVG}desc").text
    assert desc.startswith("로그-로그 그래프. 가로축 h: 1e-12부터 1e-01까지, 세로축 오차: 1e-11부터 1e+00까지")
    assert "전진 차분: 점 12개" in desc and "점선 기준선 O(h²)." in desc


def test_plot_uses_names_from_earlier_blocks_in_one_session():
    page = "\n".join([
        "# t", "",
        FENCE + "python", "import numpy as np", "hs = 10.0 ** -np.arange(1, 6)", "x = 'a page variable'", FENCE, "",
        "??? example \"complete\"", "",
        "    " + FENCE + "{.python .standalone}", "    import numpy as np", "    errors = np.arange(1, 6) * 1e-3",
        "    " + FENCE, "",
        fence("dezero-plot", "x = hs\nys = [errors, hs]", legend="error,~O(h)", xlabel="h"),
        FENCE + "python", "print(x)", FENCE, "",
        fence("dezero-plot", "print(x)\nx = hs\nys = [hs ** 2]", legend="h2"),
    ])
    result = figures.process_markdown(page, where="docs/t.ko.md", lang="ko", stem="t")
    first, second = result.figures.values()
    assert first.count("<polyline") == 2 and second.count("<polyline") == 1
    assert 'data-search-exclude=""' in first
    # the plot's own `x = hs` does not leak into the page's session
    assert "a page variable" not in first


def test_plot_replays_the_page_only_once(monkeypatch):
    calls = []
    real = blocks.run_block
    monkeypatch.setattr(blocks, "run_block", lambda code, *a, **k: calls.append(code) or real(code, *a, **k))
    page = FENCE + "python\nimport numpy as np\nhs = np.array([0.1, 0.01])\n" + FENCE + "\n\n" + \
        fence("dezero-plot", "x = hs\nys = [hs]", legend="a") + "\n" + \
        fence("dezero-plot", "x = hs\nys = [hs * 2]", legend="b")
    figures.process_markdown(page, where="docs/t.en.md", lang="en", stem="t")
    assert len(calls) == 3  # the Python block once, then each plot


# --- placement in Markdown -----------------------------------------------------------------


def render_page(page: str) -> str:
    result = figures.process_markdown(page, where="docs/t.ko.md", lang="ko", stem="t")
    html = md.markdown(result.markdown, extensions=[
        "admonition", "attr_list", "md_in_html", "pymdownx.details", "pymdownx.superfences",
        "pymdownx.tabbed",
    ])
    return figures.insert_figures(html, result.figures)


def test_figure_replaces_the_fence_at_top_level_and_inside_an_admonition():
    inner = fence("dezero-graph", GRAPH_CODE, caption="inside").replace("\n", "\n    ").rstrip()
    page = "\n".join([
        "text before",
        fence("dezero-graph", GRAPH_CODE, caption="top"),
        "!!! note \"note\"", "", "    words", "", "    " + inner, "", "    more words", "",
        "=== \"tab\"", "", "    " + inner, "",
        "after",
    ])
    html = render_page(page)
    assert html.count('<figure class="dezero-figure') == 3
    assert "DEZEROFIGURE" not in html and "dezero-graph" not in html and "<p><figure" not in html
    note = re.search(r'<div class="admonition note">(.*?)</div>', html, re.S).group(1)
    assert "<figcaption>inside</figcaption>" in note and "more words" in note
    assert re.search(r'class="tabbed-(?:block|content)">\s*<figure', html)
    assert "<p>text before</p>" in html


# --- the built site ------------------------------------------------------------------------


CHAPTERS_WITH_GRAPHS = ["step02", "step03", "step05", "step07"]


def built_page(built_site, path: str) -> str:
    """A page of the built site; skipped while its chapter is not written yet."""
    page = built_site.path / path
    if not page.exists():
        if built_site.returncode != 0:
            pytest.fail(f"the site build failed, so {path} is missing:\n{built_site.log[-3000:]}")
        pytest.skip(f"{path} is not written yet")
    return page.read_text("utf8")


@pytest.mark.parametrize("lang", ["", "en/"])
@pytest.mark.parametrize("step", CHAPTERS_WITH_GRAPHS)
def test_built_chapters_have_inline_svg_figures(built_site, step, lang):
    html = built_page(built_site, f"{lang}{step}/index.html")
    figs = re.findall(r'<figure class="dezero-figure dz-graph-figure".*?</figure>', html, re.S)
    assert figs, f"{lang}{step}: no graph figure"
    for fig in figs:
        root = parse_figure(fig)
        svg = svg_of(root)
        assert svg is not None and svg.find(f"{SVG}title").text
        assert "data-search-exclude" in svg.attrib
        desc = svg.find(f"{SVG}desc").text
        if lang:
            assert desc.startswith(("Computational graph:", "Backward graph:"))
        else:
            assert desc.startswith(("계산 그래프:", "역전파 계산 그래프:"))
    assert "dezero-graph" not in html and "DEZEROFIGURE" not in html


def test_built_step05_has_forward_and_backward_graphs(built_site):
    for lang in ("", "en/"):
        html = built_page(built_site, f"{lang}step05/index.html")
        assert html.count('<figure class="dezero-figure dz-graph-figure"') == 2
        assert "C′(b)" in html and ">dx</text>" in html


def test_built_step04_has_the_error_plot(built_site):
    for lang, label in (("", "전진 차분"), ("en/", "forward difference")):
        html = built_page(built_site, f"{lang}step04/index.html")
        fig = re.search(r'<figure class="dezero-figure dz-plot-figure".*?</figure>', html, re.S).group(0)
        svg = svg_of(parse_figure(fig))
        assert len(list(svg.iter(f"{SVG}polyline"))) == 4
        assert label in fig and "dezero-plot" not in html


def test_built_site_links_the_figure_styles(built_site):
    html = built_page(built_site, "step03/index.html")
    assert "assets/figures.css" in html
    assert (built_site.path / "assets" / "figures.css").exists()


def test_the_figure_hook_is_one_module_per_concern():
    """hooks/figures.py runs the fences; graph model, text, layout, SVG and plot live apart."""
    hooks = Path(__file__).resolve().parents[1] / "hooks"
    modules = sorted(hooks.glob("figure*.py"))
    names = {m.stem for m in modules}
    assert {"figures", "figure_graph", "figure_text", "figure_layout", "figure_svg", "figure_plot"} <= names
    long = {m.name: n for m in modules if (n := len(m.read_text("utf8").splitlines())) > 400}
    assert not long, f"figure modules over 400 lines: {long}"


# --- build hooks in general (not copied into the planted sites of tests/test_harness.py) ----------

def test_every_build_hook_module_is_at_most_400_lines():
    """hooks/*.py stay one module per concern (the notebook hook: derive, execute, render, hook)."""
    hooks = Path(__file__).resolve().parents[1] / "hooks"
    modules = sorted(hooks.glob("*.py"))
    assert {"notebooks", "nb_derive", "nb_execute", "nb_render", "figures", "mathml"} <= {m.stem for m in modules}
    long = {m.name: n for m in modules if (n := len(m.read_text("utf8").splitlines())) > 400}
    assert not long, f"hook modules over 400 lines: {long}"


def test_the_highlighting_cache_gives_what_pygments_gives():
    """hooks/build_cache.py: a block is highlighted once per process; any change to its source,
    its options or the highlighter's settings is highlighted anew."""
    import build_cache
    from pymdownx.highlight import Highlight

    original = getattr(Highlight.highlight, "__wrapped__", None) or Highlight.highlight
    calls = []

    def counted(self, *args, **kwargs):
        calls.append(args[0])
        return original(self, *args, **kwargs)

    cached = build_cache.cached_highlight(counted)
    import markdown

    plain = Highlight(markdown.Markdown(), use_pygments=True, linenums=False)
    numbered = Highlight(markdown.Markdown(), use_pygments=True, linenums=True)
    code, other = "x = 1  # one\nprint(x)\n", "x = 2\nprint(x)\n"
    again = Highlight(markdown.Markdown(), use_pygments=True, linenums=False)  # another page, same settings
    # as this site: line anchors named by the block's position on the page (code_block_count)
    anchored = Highlight(markdown.Markdown(), use_pygments=True, linenums=False, line_spans="__span",
                         line_anchors="__codelineno", anchor_linenums=True)
    for hl in (plain, numbered, again, anchored):
        for src in (code, other, code):
            for count in (1, 2):
                got = cached(hl, src, "python", "highlight", None, -1, -1, -1, False, None, "", None, None, count)
                assert got == original(hl, src, "python", code_block_count=count)
    # each (settings, source) once: the position is filled into the anchors of the kept HTML
    assert len(calls) == 3 * 2
    assert 'id="__codelineno-2-1"' in cached(anchored, code, "python", code_block_count=2)
    tricky = "x = '__span-dzblockposition-1'\n"  # holds the cache's placeholder: highlighted as it is
    assert cached(anchored, tricky, "python", code_block_count=3) == original(anchored, tricky, "python", code_block_count=3)
    assert len(calls) == 7
    assert cached(plain, "`x`", "python", inline=True) is not None and len(calls) == 8  # inline: never cached
