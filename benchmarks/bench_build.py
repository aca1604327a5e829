"""How long a writer and the CI wait: the clean build, the rebuild after one edit, the suite.

Run from the repository root with the test environment active (a benchmark, not a test:
pytest never collects it, and nothing here fails on a time unless you ask with --max-*):

    python benchmarks/bench_build.py build            # clean `mkdocs build`: cache off / warm cache
    python benchmarks/bench_build.py rebuild          # `mkdocs serve`: save one edit, wait for the page
    python benchmarks/bench_build.py suite            # `CI=true pytest -p no:cacheprovider`, per-file totals
    python benchmarks/bench_build.py all --runs 3

- build: `mkdocs build --strict` into a fresh folder, alternately with `DEZERO_NOTEBOOK_CACHE=off`
  (every notebook run in a kernel) and with a warm cache (primed by one untimed build), so drift
  in the machine's load hits both alike. Wall time and the CPU time of the build's processes
  (kernels included: they are forks of a template process the build ends and waits for, so
  their time is counted with it; `DEZERO_KERNEL_TEMPLATE=off` in the environment starts each
  kernel the ordinary way, to compare).
- rebuild: a copy of the tree in a temporary folder, `mkdocs serve` on a free 127.0.0.1 port;
  after its first build, one chapter's prose gets a new word, and the time from saving the file
  to the served chapter (and then its notebook page) containing it is taken, polling every 20 ms.
  The edit is undone between runs.
- suite: the README's test command as the CI runs it, with `--durations=0`; the wall time and
  the sum of test durations per file.

Every figure is the median of `--runs` runs; the load average is printed alongside (the machine
may be shared).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
COPIED = ("docs", "dezero", "hooks", "overrides", "mkdocs.yml", "pyproject.toml")


def set_root(root: Path) -> None:
    global ROOT
    ROOT = root


def load() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def median_line(name: str, values: list[float], unit: str = "s") -> str:
    shown = ", ".join(f"{v:.2f}" for v in values)
    return f"{name:<34} median {statistics.median(values):6.2f} {unit}   runs: {shown}"


# --- clean build ---------------------------------------------------------------------------------


def one_build(cache: str) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="bench-site-") as site:
        cpu = children_cpu()
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", site],
            cwd=ROOT, env={**ENV, "DEZERO_NOTEBOOK_CACHE": cache}, capture_output=True, text=True,
        )
        wall = time.perf_counter() - start
        if proc.returncode:
            sys.exit(f"the build failed:\n{proc.stdout}{proc.stderr}")
        return wall, children_cpu() - cpu


def bench_build(runs: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="bench-nbcache-") as cache:
        one_build(cache)  # primes the cache (untimed)
        for n in range(runs):
            order = [("cache off", "off"), ("warm cache", cache)]
            for name, setting in order if n % 2 == 0 else order[::-1]:
                wall, cpu = one_build(setting)
                results[f"clean build, {name}"].append(wall)
                results[f"  CPU time, {name}"].append(cpu)
                print(f"  {name}: {wall:.2f} s wall, {cpu:.2f} s CPU (load {load()})", flush=True)
    return results


# --- one edit under mkdocs serve -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.read().decode("utf8", "replace")
    except OSError:
        return None


def wait_for(url: str, marker: str, timeout: float) -> float | None:
    """Seconds until `url` serves a page containing `marker` (None after `timeout`)."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        text = fetch(url)
        if text is not None and marker in text:
            return time.perf_counter() - start
        time.sleep(0.02)
    return None


def prose_line(lines: list[str]) -> int:
    """The first plain paragraph line after the chapter's heading (not code, list, table, quote)."""
    fence = False
    for n, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
            continue
        if n and not fence and re.match(r"^[^\s#>|*\-!?<`$\\\d]", line) and len(line) > 40:
            return n
    raise SystemExit("no paragraph line found in the chapter")


def bench_rebuild(runs: int, chapter: str = "step03", timeout: float = 120.0,
                  serve_args: tuple[str, ...] = ()) -> dict[str, list[float]]:
    results: dict[str, list[float]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        tree = Path(tmp) / "book"
        tree.mkdir()
        for name in COPIED:
            src = ROOT / name
            if src.is_dir():
                shutil.copytree(src, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(src, tree / name)
        port = free_port()
        log = open(Path(tmp) / "serve.log", "w")
        server = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "serve", "--dev-addr", f"127.0.0.1:{port}", *serve_args],
            cwd=tree, env=ENV, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}/dezero-step-by-step/"
            page, notebook = f"{base}{chapter}/", f"{base}notebooks/{chapter}/"
            start = time.perf_counter()
            if wait_for(notebook, "<html", timeout) is None:
                sys.exit(f"mkdocs serve did not come up:\n{(Path(tmp) / 'serve.log').read_text()[-3000:]}")
            print(f"  first build served after {time.perf_counter() - start:.1f} s", flush=True)
            source = tree / "docs" / f"{chapter}.ko.md"
            original = source.read_text("utf8")
            lines = original.split("\n")
            at = prose_line(lines)
            for n in range(runs):
                time.sleep(1.5)  # the server is idle
                marker = f"benchmarkedit{n}x{os.getpid()}"
                edited = lines[:at] + [lines[at] + f" {marker}"] + lines[at + 1:]
                source.write_text("\n".join(edited), "utf8")
                saved = time.perf_counter()
                shown = wait_for(page, marker, timeout)
                if shown is None:
                    sys.exit(f"the edit never showed:\n{(Path(tmp) / 'serve.log').read_text()[-3000:]}")
                nb = wait_for(notebook, marker, timeout)
                nb_total = time.perf_counter() - saved
                results["one edit: chapter page served"].append(shown)
                results["one edit: its notebook page"].append(nb_total if nb is not None else float("nan"))
                print(f"  edit {n + 1}: page {shown:.2f} s, notebook page {nb_total:.2f} s (load {load()})",
                      flush=True)
                source.write_text(original, "utf8")
                wait_for(page, "</html>", timeout)
                time.sleep(0.5)
                while marker in (fetch(page) or ""):
                    time.sleep(0.05)
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()
    return results


# --- the suite -----------------------------------------------------------------------------------

DURATION = re.compile(r"^\s*(?P<s>[\d.]+)s (?:call|setup|teardown)\s+(?P<id>\S+)", re.M)


def bench_suite(runs: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = defaultdict(list)
    for n in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rfE", "--durations=0", "--durations-min=0"],
            cwd=ROOT, env={**ENV, "CI": "true"}, capture_output=True, text=True,
        )
        wall = time.perf_counter() - start
        files: dict[str, float] = defaultdict(float)
        for m in DURATION.finditer(proc.stdout):
            files[m.group("id").split("::")[0]] += float(m.group("s"))
        summary = (proc.stdout.strip().splitlines() or ["?"])[-1]
        print(f"  run {n + 1}: {wall:.1f} s, exit {proc.returncode}, load {load()}: {summary}", flush=True)
        for line in proc.stdout.splitlines():
            if line.startswith(("FAILED", "ERROR")):
                print(f"    {line[:200]}", flush=True)
        results["suite (wall)"].append(wall)
        for name, total in sorted(files.items(), key=lambda kv: -kv[1]):
            results[f"  {name}"].append(total)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=("build", "rebuild", "suite", "all"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chapter", default="step03", help="the chapter edited by `rebuild`")
    parser.add_argument("--dirty", action="store_true", help="`rebuild` with `mkdocs serve --dirty`")
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="the tree to measure (another checkout, e.g. a `git worktree` of an older commit)")
    args = parser.parse_args()
    set_root(args.root.resolve())
    print(f"{os.cpu_count()} CPUs, load average {load()}", flush=True)
    table: dict[str, list[float]] = {}
    if args.what in ("build", "all"):
        table.update(bench_build(args.runs))
    if args.what in ("rebuild", "all"):
        table.update(bench_rebuild(args.runs, args.chapter, serve_args=("--dirty",) if args.dirty else ()))
    if args.what in ("suite", "all"):
        table.update(bench_suite(args.runs))
    print()
    for name, values in table.items():
        print(median_line(name, values))
    return 0


if __name__ == "__main__":
    sys.exit(main())
