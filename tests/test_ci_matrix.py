"""The CI matrix: NumPy dispatch levels come from NumPy itself, and a setting it ignores fails.

`.ci/run` runs the doc tests again under each level of `.ci/numpy_levels.py list`, after
`.ci/numpy_levels.py check` has proved that NumPy applied the setting. The hosted workflow's
Python/OS matrix cannot run here; its YAML is validated against GitHub's workflow schema.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
LEVELS = ROOT / ".ci" / "numpy_levels.py"

try:
    from numpy._core import _multiarray_umath as _umath
except ImportError:  # NumPy 1
    from numpy.core import _multiarray_umath as _umath


def _run(*args: str, disable: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "NPY_DISABLE_CPU_FEATURES"}
    if disable is not None:
        env["NPY_DISABLE_CPU_FEATURES"] = disable
    return subprocess.run([sys.executable, str(LEVELS), *args], capture_output=True, text=True, env=env)


def _levels() -> dict[str, str]:
    out = _run("list")
    assert out.returncode == 0, out.stderr
    return dict(line.split("\t") for line in out.stdout.splitlines())


def test_levels_are_named_by_numpy_and_ordered():
    levels = _levels()
    assert list(levels) == ["best", "no-avx512", "baseline"]
    assert levels["best"] == ""
    dispatch = set(_umath.__cpu_dispatch__)
    found = [f for f in _umath.__cpu_dispatch__ if _umath.__cpu_features__.get(f)]
    off = {name: (value.split() if value != "=" else None) for name, value in levels.items()}
    for name in ("no-avx512", "baseline"):
        if off[name] is not None:
            assert set(off[name]) <= dispatch, f"{name} names features NumPy does not dispatch on"
    baseline = off["baseline"] if off["baseline"] is not None else (off["no-avx512"] or [])
    assert sorted(baseline) == sorted(found), "the baseline level turns off every dispatch target found"
    if off["no-avx512"]:
        assert all("AVX512" in f or f == "X86_V4" for f in off["no-avx512"])


@pytest.mark.parametrize("level", ["no-avx512", "baseline"])
def test_each_level_is_applied_by_numpy(level):
    features = _levels()[level]
    if features in ("", "="):
        pytest.skip(f"this CPU has no dispatch target for level {level}; .ci/run says so and skips it")
    out = _run("check", disable=features)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"disabled: {features}" in out.stdout


@pytest.mark.parametrize("setting", ["NOT_A_FEATURE", "AVX512F_TYPO"])
def test_a_setting_numpy_ignores_fails(setting):
    out = _run("check", disable=setting)
    assert out.returncode == 1
    assert "not applied" in out.stderr and setting in out.stderr


def test_the_numpy_floor_is_a_real_version():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (numpy_dep,) = [d for d in deps if d.startswith("numpy")]
    assert re.fullmatch(r"numpy>=\d+\.\d+(\.\d+)?", numpy_dep.replace(" ", "")), numpy_dep
    run = (ROOT / ".ci" / "run").read_text()
    assert '"numpy==$floor"' in run and "dezero-book-floor" in run


def test_ci_runs_the_matrix_and_counts_no_tests_as_failure():
    run = (ROOT / ".ci" / "run").read_text()
    assert "numpy_levels.py list" in run and "numpy_levels.py check" in run
    assert 'NPY_DISABLE_CPU_FEATURES="$features"' in run
    assert '"$status" = 5' in run


def test_hosted_workflow_is_valid_and_has_the_python_os_matrix():
    import yaml

    workflow = ROOT / ".github" / "workflows" / "book.yml"
    out = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(workflow)],
        capture_output=True, text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    matrix = yaml.safe_load(workflow.read_text())["jobs"]["doc-tests"]["strategy"]["matrix"]
    assert set(matrix["python"]) == {"3.11", "3.12", "3.13"}
    assert set(matrix["os"]) == {"ubuntu-latest", "macos-latest", "windows-latest"}


def test_this_numpy_is_at_least_the_floor():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    floor = next(d for d in deps if d.startswith("numpy")).split(">=")[1]
    as_tuple = lambda v: tuple(int(p) for p in re.findall(r"\d+", v)[:3])  # noqa: E731
    assert as_tuple(np.__version__) >= as_tuple(floor)
