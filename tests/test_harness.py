"""The harness itself: it passes a correct page and catches every kind of wrong one."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

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


@pytest.fixture
def run_page(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", f"{ROOT}{':'}{ROOT / 'hooks'}")

    def run(text: str, target: str = "page.md"):
        pytester.makefile(".md", page=page_text(text))
        return pytester.runpytest_subprocess(
            "-p", "tests.harness.plugin", "--markdown-docs", "--markdown-docs-syntax=superfences",
            "-p", "no:cacheprovider", target,
        )

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
def test_the_harness_catches_a_wrong_output_in_a_real_chapter(pytester, monkeypatch, chapter):
    monkeypatch.setenv("PYTHONPATH", f"{ROOT}{':'}{ROOT / 'hooks'}")
    text = (DOCS / chapter).read_text("utf8")
    assert "3.297442541400256" in text or "1.648721270700128" in text
    wrong = text.replace("1.648721270700128", "1.648721270700129").replace("3.297442541400256", "3.297442541400257")
    pytester.makefile(".md", chapter=wrong)
    result = pytester.runpytest_subprocess(
        "-p", "tests.harness.plugin", "--markdown-docs", "--markdown-docs-syntax=superfences",
        "-p", "no:cacheprovider", "chapter.md",
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 1 and outcomes.get("passed", 0) >= 1
    assert "what the block prints differs from its output block" in result.stdout.str()
