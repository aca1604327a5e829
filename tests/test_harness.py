"""The harness itself: it passes a correct page and catches every kind of wrong one."""

from __future__ import annotations

import os
import re
import sys
import textwrap
from pathlib import Path

import numpy  # noqa: F401 - loaded before in-process runs: pytester unloads what they import, NumPy loads once
import pytest

ROOT = Path(__file__).resolve().parents[1]
pytest_plugins = ["pytester"]

GOOD = '''
# A good page

```python
import numpy as np

class Variable:
    def __init__(self, data):
        self.data = data

x = Variable(np.array(1.0))
print(type(x))
print(x.data)
```

```text title="Output"
<class '__main__.Variable'>
1.0
```

Prose between blocks, and a block that prints nothing:

```python
x.data = np.array(2.0)
```

!!! note "Inside an admonition"

    ```python
    print(x.data)
    ```

    ```text title="Output"
    2.0
    ```

=== "A tab"

    ```python
    y = x.data * 3
    ```

=== "Another tab"

    ```python
    print(y)
    ```

    ```text title="실행 결과"
    6.0
    ```

A block meant to raise, and the page goes on:

```python
print("before")
int("three")
```

```text title="Output"
before
ValueError: invalid literal for int() with base 10: 'three'
```

??? example "The whole program"

    ```{.python .standalone title="whole.py"}
    import numpy as np
    print(np.array(4.0))
    ```

    ```text title="Output"
    4.0
    ```

```python
print(y + 1)
```

```text title="Output"
7.0
```
'''


def page_text(text: str) -> str:
    return textwrap.dedent(text).strip() + "\n"


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the nth line of the page that contains `needle`."""
    hits = [i for i, line in enumerate(page_text(text).split("\n"), 1) if needle in line]
    return hits[nth - 1]


def run_pytest(pytester, *args):
    """pytest with the harness, in this process (the harness's modules are already imported)."""
    return pytester.runpytest_inprocess(
        "-p", "tests.harness.plugin", "--markdown-docs", "--markdown-docs-syntax=superfences",
        "-p", "no:cacheprovider", "-p", "no:hypothesispytest", *args,
    )


@pytest.fixture
def run_page(pytester):
    def run(text: str, target: str = "page.md"):
        pytester.makefile(".md", page=page_text(text))
        return run_pytest(pytester, target)

    return run


def test_a_correct_page_passes_with_every_block_collected(run_page):
    result = run_page(GOOD)
    # 8 Python blocks (2 in an admonition, 2 in tabs, 1 standalone) + the page-structure check
    result.assert_outcomes(passed=9)


def test_a_wrong_output_fails_naming_file_line_expected_and_actual(run_page):
    page = GOOD.replace("<class '__main__.Variable'>\n1.0", "<class '__main__.Variable'>\n1.5")
    result = run_page(page)
    result.assert_outcomes(failed=1, passed=8)
    out = result.stdout.str()
    block, output = line_of(page, "```python"), line_of(page, 'title="Output"')
    assert f"page.md:{block}: what the block prints differs from its output block (Output, line {output})" in out
    assert "--- expected\n<class '__main__.Variable'>\n1.5\n--- actual\n<class '__main__.Variable'>\n1.0" in out


def test_a_wrong_output_inside_an_admonition_fails(run_page):
    page = GOOD.replace("    2.0\n", "    2.5\n")
    result = run_page(page)
    result.assert_outcomes(failed=1, passed=8)
    assert f"page.md:{line_of(page, '```python', 3)}: what the block prints differs" in result.stdout.str()


def test_trailing_whitespace_is_ignored(run_page):
    run_page(GOOD.replace("1.0\n```", "1.0   \n\n```")).assert_outcomes(passed=9)


def test_a_block_that_prints_without_an_output_block_fails(run_page):
    result = run_page('''
        ```python
        print("seen")
        ```
    ''')
    result.assert_outcomes(failed=1, passed=1)
    assert "the block prints but no output block follows it" in result.stdout.str()


def test_an_output_block_not_right_after_a_python_block_fails(run_page):
    page = '''
        ```python
        print("seen")
        ```

        Some prose in between.

        ```text title="Output"
        seen
        ```
    '''
    result = run_page(page)
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    line = line_of(page, 'title="Output"')
    assert f"page.md:{line}: output block (Output) does not directly follow a Python block" in out
    assert "the block prints but no output block follows it" in out


def test_an_unexpected_exception_fails_with_a_traceback_into_the_page(run_page):
    page = '''
        ```python
        x = 1
        print(x / 0)
        ```

        ```text title="Output"
        0
        ```
    '''
    result = run_page(page)
    result.assert_outcomes(failed=1, passed=1)
    out = result.stdout.str()
    output = line_of(page, 'title="Output"')
    assert f"page.md:1: the block raised an exception its output block (line {output}) does not show" in out
    assert "ZeroDivisionError: division by zero" in out
    assert f'page.md", line {line_of(page, "x / 0")}' in out  # the traceback points into the page


def test_an_exception_without_output_block_fails(run_page):
    result = run_page('''
        ```python
        import numpy as np
        np.array(1.0) + undefined_name
        ```
    ''')
    result.assert_outcomes(failed=1, passed=1)
    assert "NameError: name 'undefined_name' is not defined" in result.stdout.str()


def test_the_wrong_exception_message_fails(run_page):
    result = run_page('''
        ```python
        int("three")
        ```

        ```text title="Output"
        ValueError: something else
        ```
    ''')
    result.assert_outcomes(failed=1, passed=1)


def test_a_trailing_bare_expression_fails(run_page):
    result = run_page('''
        ```python
        import numpy as np
        np.array(1.0) * 2
        ```
    ''')
    result.assert_outcomes(failed=1, passed=1)
    assert "bare expression" in result.stdout.str()


def test_a_warning_fails(run_page):
    result = run_page('''
        ```python
        import numpy as np
        y = np.exp(np.array(1000.0))
        ```
    ''')
    result.assert_outcomes(failed=1, passed=1)
    assert "RuntimeWarning: overflow encountered in exp" in result.stdout.str()


def test_only_warnings_a_reader_would_see_count(run_page):
    # Python hides ResourceWarning and PendingDeprecationWarning by default; a UserWarning shows
    result = run_page('''
        ```python
        import warnings
        warnings.warn("hidden", ResourceWarning)
        warnings.warn("hidden too", PendingDeprecationWarning)
        ```

        ```python
        warnings.warn("seen")
        ```
    ''')
    result.assert_outcomes(failed=1, passed=2)
    assert "UserWarning: seen" in result.stdout.str()


def test_a_standalone_block_must_not_lean_on_earlier_blocks(run_page):
    result = run_page('''
        ```python
        import numpy as np
        ```

        ```{.python .standalone}
        print(np.array(1.0))
        ```

        ```text title="Output"
        1.0
        ```
    ''')
    result.assert_outcomes(failed=1, passed=2)
    assert "NameError: name 'np' is not defined" in result.stdout.str()


def test_earlier_prints_are_not_checked_again(run_page):
    # the second block's output block shows only its own print
    run_page('''
        ```python
        print("one")
        ```

        ```text title="Output"
        one
        ```

        ```python
        print("two")
        ```

        ```text title="Output"
        two
        ```
    ''').assert_outcomes(passed=3)


def test_a_later_block_selected_alone_replays_the_earlier_ones(run_page):
    # the last block needs `y` from a tab block and runs after an expected exception
    last = line_of(GOOD, "```python", 7)  # the 8th block; the 7th is {.python .standalone}
    result = run_page(GOOD, f"page.md::[CodeFence#8][line:{last}]")
    result.assert_outcomes(passed=1)


def test_notest_is_refused(run_page):
    result = run_page('''
        ```{.python notest}
        print("never run")
        ```
    ''')
    result.assert_outcomes(failed=1)
    assert "marked notest" in result.stdout.str()


DOCS = ROOT / "docs"


@pytest.mark.parametrize("chapter", ["step03.ko.md", "step08.en.md"])
def test_the_harness_catches_a_wrong_output_in_a_real_chapter(pytester, chapter):
    text = (DOCS / chapter).read_text("utf8")
    assert "3.297442541400256" in text or "1.648721270700128" in text
    wrong = text.replace("1.648721270700128", "1.648721270700129").replace("3.297442541400256", "3.297442541400257")
    pytester.makefile(".md", chapter=wrong)
    result = run_pytest(pytester, "chapter.md")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 1 and outcomes.get("passed", 0) >= 1
    assert "what the block prints differs from its output block" in result.stdout.str()


# --- a page runs as a script would: a real __main__ ----------------------------------------


def test_a_page_runs_in_a_real_main_module_so_pickling_works(run_page):
    before = sys.modules["__main__"]
    result = run_page('''
        ```python
        import pickle
        from dataclasses import dataclass

        class Point:
            def __init__(self, x):
                self.x = x

        @dataclass
        class Pair:
            a: int
            b: int

        p = pickle.loads(pickle.dumps(Point(3)))
        print(type(p).__qualname__, p.x)
        print(pickle.loads(pickle.dumps(Pair(1, 2))))
        ```

        ```text title="Output"
        Point 3
        Pair(a=1, b=2)
        ```

        ```python
        import __main__
        print(__main__.Point is Point, __name__)
        ```

        ```text title="Output"
        True __main__
        ```
    ''')
    result.assert_outcomes(passed=3)
    assert sys.modules["__main__"] is before  # put back after each block


# --- stderr: shown in the output block, in order with the prints ----------------------------


def test_stderr_lines_are_shown_in_order_with_the_prints(run_page):
    run_page('''
        ```python
        import sys
        print("one")
        print("two (stderr)", file=sys.stderr)
        print("three")
        ```

        ```text title="Output"
        one
        two (stderr)
        three
        ```
    ''').assert_outcomes(passed=2)


def test_a_block_writing_to_stderr_with_no_output_block_fails(run_page):
    page = '''
        ```python
        import sys
        n = sys.stderr.write("careful: something happened\\n")
        ```
    '''
    result = run_page(page)
    result.assert_outcomes(failed=1, passed=1)
    out = result.stdout.str()
    assert "page.md:1: the block prints but no output block follows it" in out
    assert "the block wrote to stderr" in out and "careful: something happened" in out


def test_an_output_block_missing_a_stderr_line_fails(run_page):
    result = run_page('''
        ```python
        import logging
        logging.basicConfig(format="%(levelname)s %(message)s")
        print("before")
        ```

        ```text title="Output"
        before
        ```

        ```python
        logging.getLogger("book").warning("the handler set up above writes here")
        print("after")
        ```

        ```text title="Output"
        after
        ```
    ''')
    # the first block passes; the second block's log line (stderr) is missing from its output
    result.assert_outcomes(failed=1, passed=2)
    out = result.stdout.str()
    assert "what the block prints differs from its output block" in out
    assert "--- actual\nWARNING the handler set up above writes here\nafter" in out


# --- no Python goes unrun ------------------------------------------------------------------


@pytest.mark.parametrize("fence, code", [
    ("```Python", 'print("hi")'),
    ("```PY", 'print("hi")'),
    ("```{.Python}", 'print("hi")'),
    ("```pycon", '>>> print("hi")\nhi'),
    ("```python-console", '>>> print("hi")\nhi'),
    ("```ipython", 'print("hi")'),
    ("```py3", 'print("hi")'),
    ("```text", '>>> print("hi")\nhi'),
    ("```", '>>> print("hi")\nhi'),
    ("```", 'import numpy as np\nprint(np.array(1.0))'),
])
def test_python_that_is_not_collected_is_rejected_naming_file_and_line(run_page, fence, code):
    page = f"# A page\n\nProse.\n\n{fence}\n{code}\n```\n"
    result = run_page(page)
    result.assert_outcomes(failed=1)
    assert re.search(r"page\.md:5: .*(not run|would not run)", result.stdout.str()), result.stdout.str()


def test_an_indented_code_block_holding_python_is_rejected(run_page):
    result = run_page("# A page\n\nProse.\n\n    x = 1\n    print(x)\n")
    result.assert_outcomes(failed=1)
    assert "page.md:5: an indented code block holds Python that would not run" in result.stdout.str()


def test_a_python_fence_inside_an_html_block_is_rejected(run_page):
    # no blank line: the whole <details> is one HTML block, which no parser of the tests looks into
    page = '<details markdown="1">\n<summary>Code</summary>\n```python\nprint("hidden")\n```\n</details>\n'
    result = run_page(page)
    result.assert_outcomes(failed=1)
    assert "page.md:3: a Python fence inside an HTML block is not run" in result.stdout.str()


@pytest.mark.parametrize("fence", ["```py", "```python3", "```{.py}", "```{ .python title=\"x.py\" }"])
def test_other_spellings_that_are_collected_are_run_and_checked(run_page, fence):
    page = f'{fence}\nprint("actual")\n```\n\n```text title="Output"\nexpected\n```\n'
    result = run_page(page)
    result.assert_outcomes(failed=1, passed=1)  # the block ran, its output was compared; the page is fine
    assert "page.md:1: what the block prints differs from its output block" in result.stdout.str()


def test_text_and_output_fences_are_left_alone(run_page):
    run_page('''
        ```text
        y = x ** 2 is a formula, not a program
        ```

        ```python
        print("a >>> b")
        ```

        ```text title="Output"
        a >>> b
        ```
    ''').assert_outcomes(passed=2)


# --- one clear report per failure ----------------------------------------------------------


class _FailureRecorder:
    """Keeps the exception of every failing test of an in-process run."""

    def __init__(self):
        self.exceptions = []

    def pytest_exception_interact(self, node, call, report):
        self.exceptions.append(call.excinfo.value)


def test_a_failure_is_reported_once_without_a_chained_runner_error(pytester):
    # pytest-markdown-docs 0.9.2 calls runtest(..., asyncio_runner=...); a runner that refused the
    # keyword raised TypeError first, and every failure came chained to it (shown by --pdb, junit
    # chains, IDEs) after the block had been called twice
    page = GOOD.replace("<class '__main__.Variable'>\n1.0", "<class '__main__.Variable'>\n1.5")
    pytester.makefile(".md", page=page_text(page))
    recorder = _FailureRecorder()
    result = pytester.runpytest_inprocess(
        "-p", "tests.harness.plugin", "--markdown-docs", "--markdown-docs-syntax=superfences",
        "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "page.md", plugins=[recorder],
    )
    result.assert_outcomes(failed=1, passed=8)
    out = result.stdout.str()
    assert "asyncio_runner" not in out
    # one report (the summary line, "FAILED page.md::... - page.md:3: ...", is not a report)
    assert len(re.findall(r"^page\.md:\d+: what the block prints differs", out, re.M)) == 1
    [exc] = recorder.exceptions
    assert exc.__context__ is None and exc.__cause__ is None, repr(exc.__context__)


def test_a_syntax_error_points_at_its_page_line(run_page):
    page = '''
        Prose.

        ```python
        x = 1
        print(x
        ```
    '''
    result = run_page(page)
    result.assert_outcomes(failed=1, passed=1)
    out = result.stdout.str()
    assert f'page.md", line {line_of(page, "print(x")}' in out
    assert "SyntaxError: '(' was never closed" in out


# --- a fault at build time: one failure naming file:line, the site's users skipped -----------

PLANTED_CONFIG = f"""\
site_name: planted
theme:
  name: material
markdown_extensions:
  - attr_list
  - toc
  - pymdownx.superfences
  - pymdownx.arithmatex:
      generic: true
hooks:
  - {ROOT}/hooks/mathml.py
  - {ROOT}/hooks/figures.py
validation:
  omitted_files: warn
  absolute_links: warn
  unrecognized_links: warn
  anchors: warn
"""

USES_THE_SITE = '''
def test_reads_the_site(built_site):
    assert (built_site.path / "index.html").exists()

def test_reads_it_too(built_site):
    assert built_site.path.is_dir()

def test_serves_the_site(site_url):
    assert site_url.startswith("http://127.0.0.1:")
'''

# the planted text, and what the report's line for it says after `docs/page.md:<line>: `
FAULTS = {
    "tex": ("A formula: $\\frac{1}{2$ here.", ["bad TeX formula $\\frac{1}{2$", "a { is never closed"]),
    "link": ("See [the missing page](missing.md).",
             ["broken link 'missing.md'", "the target is not found among documentation files"]),
    "anchor": ("See [the index](index.md#nowhere).",
               ["broken link 'index.md#nowhere'", "does not contain an anchor '#nowhere'"]),
    "figure": ('```{.dezero-graph caption="A graph"}\nimport numpy as np\nfrom dezero import Variable\n'
               'x = Variable(np.array(1.0))\ny = undefined_function(x)\n```',
               ["figure", "NameError: name 'undefined_function' is not defined"]),
}


def fault_lines(out: str, fault: str, line: int) -> list[str]:
    """The report's lines that name the planted fault at its file:line."""
    return [l for l in out.splitlines()
            if l.startswith(f"docs/page.md:{line}: ") and all(part in l for part in FAULTS[fault][1])]


def plant_site(pytester, fault: str) -> int:
    """A small book with one fault, the real conftest and build test; the fault's line."""
    planted, _ = FAULTS[fault]
    pytester.makefile(".yml", mkdocs=PLANTED_CONFIG)
    docs = pytester.mkdir("docs")
    (docs / "index.md").write_text("# Home\n\nSee [the page](page.md).\n", "utf8")
    (docs / "page.md").write_text(f"# A page\n\nSome prose.\n\n{planted}\n", "utf8")
    tests = pytester.mkdir("booktests")  # not `tests`: that name is this repository's package
    for name in ("conftest.py", "test_site_build.py"):
        (tests / name).write_text((ROOT / "tests" / name).read_text("utf8"), "utf8")
    (tests / "test_uses_the_site.py").write_text(USES_THE_SITE, "utf8")
    return 5


def run_build_tests(pytester, *args):
    return pytester.runpytest_inprocess(
        "--import-mode=importlib", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-rs", *args,
    )


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_build_fault_is_one_failure_naming_file_line_and_the_rest_skip(pytester, fault):
    line = plant_site(pytester, fault)
    result = run_build_tests(pytester, "booktests")
    # the build test fails; its two siblings and the three tests that use the site are skipped
    result.assert_outcomes(failed=1, skipped=5)
    out = result.stdout.str()
    assert len(fault_lines(out, fault, line)) == 1, out
    assert "the site did not build (mkdocs build --strict)" in out
    assert out.count("SKIPPED [1] ") == 5
    assert out.count(": the site did not build; see booktests/test_site_build.py::test_strict_build") == 5


def test_a_build_fault_fails_once_when_only_tests_that_use_the_site_run(pytester):
    line = plant_site(pytester, "tex")
    result = run_build_tests(pytester, "booktests/test_uses_the_site.py")
    result.assert_outcomes(failed=1, skipped=3)  # the build test joined the run and reported it
    assert len(fault_lines(result.stdout.str(), "tex", line)) == 1


# --- isolation: the build uses this repository's dezero -------------------------------------

FOREIGN_DEZERO = '''\
"""A foreign dezero, installed elsewhere: every use of it is recorded, and none works."""
import os

with open(os.environ["FOREIGN_DEZERO_LOG"], "a") as log:
    log.write("imported\\n")


def __getattr__(name):
    with open(os.environ["FOREIGN_DEZERO_LOG"], "a") as log:
        log.write(f"used {name}\\n")
    raise AttributeError(f"the foreign dezero has no {name}")
'''

PROBE_HOOK = '''\
import os
from pathlib import Path


def on_config(config, **kwargs):
    import dezero
    Path(os.environ["DEZERO_PROBE"]).write_text(dezero.__file__)
    return config
'''


@pytest.fixture
def foreign_dezero(tmp_path):
    """A directory on PYTHONPATH holding another `dezero` (and, optionally, a sitecustomize)."""
    site = tmp_path / "foreign-site"
    (site / "dezero").mkdir(parents=True)
    (site / "dezero" / "__init__.py").write_text(FOREIGN_DEZERO, "utf8")
    return site


def _isolation_book(tmp_path) -> Path:
    book = tmp_path / "book"
    (book / "docs").mkdir(parents=True)
    (book / "mkdocs.yml").write_text(
        f"site_name: isolation\nmarkdown_extensions:\n  - attr_list\n  - pymdownx.superfences\n"
        f"hooks:\n  - {ROOT}/hooks/isolation.py\n  - probe.py\n  - {ROOT}/hooks/figures.py\n", "utf8")
    (book / "probe.py").write_text(PROBE_HOOK, "utf8")
    (book / "docs" / "index.md").write_text(
        '# Home\n\n```{.dezero-graph caption="x"}\nimport numpy as np\nfrom dezero import Variable, Square\n\n'
        'x = Variable(np.array(1.0))\ny = Square()(x)\n```\n', "utf8")
    return book


@pytest.mark.parametrize("how", ["mkdocs build", "python -m mkdocs build -f", "already imported"])
def test_the_build_uses_the_repositorys_dezero(tmp_path, foreign_dezero, how):
    import subprocess

    book = _isolation_book(tmp_path)
    log, probe = tmp_path / "foreign.log", tmp_path / "probe.txt"
    env = {**os.environ, "PYTHONPATH": str(foreign_dezero), "FOREIGN_DEZERO_LOG": str(log),
           "DEZERO_PROBE": str(probe), "NO_MKDOCS_2_WARNING": "1"}
    site = ["--site-dir", str(tmp_path / "site")]
    if how == "mkdocs build":  # the console script: sys.path[0] is the venv's bin/, not the book
        cmd, cwd = [str(Path(sys.executable).with_name("mkdocs")), "build", "--strict", *site], book
    else:  # from another directory, as `python -m mkdocs build -f book/mkdocs.yml`
        cmd, cwd = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(book / "mkdocs.yml"), *site], tmp_path
    if how == "already imported":  # imported before MkDocs starts, by a sitecustomize
        (foreign_dezero / "sitecustomize.py").write_text("import dezero\n", "utf8")
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert Path(probe.read_text()) == ROOT / "dezero" / "__init__.py"
    used = log.read_text().split("\n") if log.exists() else []
    assert not [u for u in used if u.startswith("used")], used
    assert ("imported" in used) == (how == "already imported")  # the fake was really there


def test_the_isolation_hook_comes_first_in_mkdocs_yml():
    config = (ROOT / "mkdocs.yml").read_text("utf8")
    hooks = re.search(r"^hooks:\n((?:  - .*\n)+)", config, re.M).group(1).split("\n")
    assert hooks[0].split("#")[0].strip() == "- hooks/isolation.py", hooks
