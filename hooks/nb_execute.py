"""Running the chapter notebooks (used by hooks/notebooks.py): fresh kernels, and a cache.

- A kernel is always the interpreter that runs the build (`sys.executable -m ipykernel_launcher`),
  whatever kernelspec `python3` resolves to on the machine.
- It starts in the repository root, which is also on its `PYTHONPATH` (as `pip install -e .`
  would), so `from dezero import ...` is the in-repo package. It reads no IPython profile of the
  machine (`IPYTHONDIR` is a fresh folder) and writes no history.
- Each kernel is a process of its own, forked from a template process that has already imported
  ipykernel (`nb_kernels`): what `python -m ipykernel_launcher` would be, without paying for its
  imports again for every notebook (`DEZERO_KERNEL_TEMPLATE=off` starts them the ordinary way).
- Several notebooks run at once, in a thread of their own, as soon as they are known.
- A content-addressed cache keeps the outputs of each run, keyed by everything they depend on:
  the code cells, the kernel's options, the source of `dezero`, the interpreter, NumPy and
  IPython versions, the CPU features NumPy dispatches to and NumPy's dispatch settings. A
  changed input gives a new key, so an entry is never stale. `DEZERO_NOTEBOOK_CACHE=off` turns
  it off; `DEZERO_NOTEBOOK_CACHE=<folder>` puts it elsewhere.
- The key reads the code with each comment's text left out (`#` kept, every line and column where
  it was), so a chapter's Korean and English notebooks, whose code differs only in comments, share
  one run: half the kernels. Comments cannot change what runs; they could only show up where
  the code reads its own source, so code that names a way of doing that (`inspect`, `linecache`,
  `traceback`, `warnings`, IPython's input history, ...) is keyed by its exact text instead, and
  `with_outputs` refuses a run whose outputs contain a comment the other notebook lacks
  (`OtherComments`: the hook then runs that notebook by itself).
"""
from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import json
import os
import platform
import re
import sys
import tempfile
import threading
import tokenize
from concurrent.futures import Future
from pathlib import Path

import nbformat

import nb_kernels  # hooks/ is on sys.path while MkDocs loads the hooks (not later, in a thread)

CACHE_ENV = "DEZERO_NOTEBOOK_CACHE"
_CACHE_ENTRIES = 400  # the oldest entries beyond this many are removed


def kernel_env(root: Path | str) -> dict[str, str]:
    """The kernel's environment: the build's, with the repository root on `PYTHONPATH`."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH", "")) if p)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # no debugger notice on stderr
    return env


def kernel_argv() -> list[str]:
    """The command that starts a kernel: the build's own interpreter."""
    return [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]


def _kernel_manager(**options):
    """An `AsyncKernelManager` whose kernels are forks of a template process that has imported
    what a kernel imports (`nb_kernels`); one fresh process per notebook all the same."""
    from jupyter_client.manager import AsyncKernelManager

    class TemplateKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            provisioner = self.provisioner
            forked = nb_kernels.start(kernel_cmd, kw.get("env"), kw.get("cwd"))
            if forked is None or type(provisioner).__name__ != "LocalProvisioner":
                if forked is not None:  # pragma: no cover - another provisioner: not ours to start
                    forked.kill()
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            # what LocalProvisioner.launch_kernel records of the process it starts
            provisioner.process, provisioner.pid, provisioner.pgid = forked, forked.pid, forked.pid
            provisioner.cwd = kw.get("cwd", os.getcwd())
            self._reconcile_connection_info(provisioner.connection_info)

    return TemplateKernelManager(**options)


def _kernel_specs():
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    class BuildInterpreter(KernelSpecManager):
        """Every kernel name resolves to the interpreter running the build."""

        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return KernelSpec(argv=kernel_argv(), display_name=f"Python ({sys.executable})",
                              language="python", resource_dir=tempfile.gettempdir())

    return BuildInterpreter()


async def execute_notebook(
    nb: nbformat.NotebookNode,
    root: Path | str,
    workdir: Path | str,
    *,
    allow_errors: bool = True,
    extra_arguments: tuple[str, ...] = (),
) -> nbformat.NotebookNode:
    """Run `nb` top to bottom in a fresh kernel, in place, as Jupyter's "Run All" would.

    With `allow_errors=False` an error stops the run (nbclient's `CellExecutionError`) unless
    its cell is tagged `raises-exception`, as in Jupyter.
    """
    from nbclient import NotebookClient

    options = {"kernel_name": "python3", "kernel_spec_manager": _kernel_specs()}
    if os.name == "posix":
        # IPC sockets: nothing listens on the network (and ipykernel does not warn about it)
        sockets = Path(tempfile.mkdtemp(prefix="k", dir=workdir))
        km = _kernel_manager(transport="ipc", ip=str(sockets / "kernel"), **options)
    else:
        km = _kernel_manager(**options)
    client = NotebookClient(
        nb,
        km=km,
        timeout=600,
        allow_errors=allow_errors,
        record_timing=False,
        coalesce_streams=True,  # one output per stream, as Jupyter shows it (prints arrive in pieces)
        extra_arguments=["--HistoryManager.enabled=False", *extra_arguments],
        resources={"metadata": {"path": str(root)}},
    )
    env = kernel_env(root)
    # no IPython profile of the machine's (its startup files could print or change what cells
    # show) and no history database written in the user's home
    env["IPYTHONDIR"] = tempfile.mkdtemp(prefix="ipython", dir=workdir)
    try:
        await client.async_execute(env=env)
    finally:  # nbclient cleans up only a kernel it started itself: stop ours and close its sockets
        if client.kc is not None:
            client.kc.stop_channels()
        if km.has_kernel:
            await km.shutdown_kernel(now=True)
        km.context.destroy(linger=0)
    return nb


def prepare_kernels(root: Path | str, workdir: Path | str) -> None:
    """Start the process kernels are forked from (`nb_kernels`) now, for kernels started later
    in `root` by `execute_notebook`; it imports what they need meanwhile."""
    nb_kernels.prepare(kernel_env(root), root)


def parallelism() -> int:
    """Kernels running at once: all of a build's (ten) on this book. Forked from the template, a
    kernel costs little to start, and much of a run is waiting for messages: more at once leave
    the cores idle less (two cores: 5.3-5.8 s against 6.1-7.0 s with four, under load)."""
    return max(4, min(12, 6 * (os.cpu_count() or 1)))


# --- the cache ---------------------------------------------------------------------------------


def cache_dir() -> Path | None:
    setting = os.environ.get(CACHE_ENV, "")
    if setting.lower() in ("0", "off", "no", "false"):
        return None
    if setting:
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "dezero-step-by-step" / "notebooks"


def _numpy_dispatch() -> dict:
    try:
        import numpy as np
    except ImportError:
        return {}
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # NumPy 1.x
        try:
            from numpy.core._multiarray_umath import __cpu_features__ as features
        except ImportError:
            features = {}
    return {
        "numpy": np.__version__,
        "enabled": sorted(k for k, v in features.items() if v),
        "env": {k: v for k, v in os.environ.items() if k.startswith("NPY_")},
    }


def environment_fingerprint(root: Path | str) -> str:
    """Everything a notebook's outputs depend on apart from its own code."""
    from importlib.metadata import PackageNotFoundError, version

    def ver(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    h = hashlib.sha256()
    h.update(json.dumps({
        "python": sys.version, "executable": sys.executable, "machine": platform.machine(),
        "system": platform.system(), "dispatch": _numpy_dispatch(),
        "packages": {n: ver(n) for n in ("ipykernel", "ipython", "nbclient", "jupyter-client")},
    }, sort_keys=True).encode())
    package = Path(root) / "dezero"
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


# names through which code could read its own source (and so its comments)
_READS_SOURCE = re.compile(
    r"\b(inspect|linecache|traceback|warnings|getsource|tokenize|dis|ast|get_ipython|_ih|_i\d*|_ii+|In|Out"
    r"|__file__|__loader__|exec|eval|compile|open)\b|^\s*[%!]|[^\w\s)\]}'\"]\s*%\w", re.M)


def comments(source: str) -> tuple[str, list[str]] | None:
    """`source` with each comment's text left out (`#` kept, lines and columns unchanged), and
    the comments; None if it cannot be tokenized."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    lines = source.split("\n")
    found = []
    for tok in reversed(tokens):
        if tok.type == tokenize.COMMENT:
            (row, col), (_, end) = tok.start, tok.end
            found.append(tok.string)
            lines[row - 1] = lines[row - 1][:col] + "#" + lines[row - 1][end:]
    return "\n".join(lines), found[::-1]


@functools.lru_cache(maxsize=4096)  # a pure function of its text; the build asks several times per cell
def shared_code(source: str) -> str:
    """What the key reads of a cell: the code without its comments' text, unless the code might
    read its own source (then all of it)."""
    blanked = comments(source)
    if blanked is None or _READS_SOURCE.search(blanked[0]):
        return source
    return blanked[0]


def cache_key(nb: nbformat.NotebookNode, fingerprint: str, extra_arguments: tuple[str, ...] = ()) -> str:
    """The key of `nb`'s outputs: its code cells in order (comments' text left out, see
    `shared_code`), the kernel's options, the environment."""
    code = [shared_code(c.source) for c in nb.cells if c.cell_type == "code"]
    return hashlib.sha256(json.dumps([code, list(extra_arguments), fingerprint]).encode()).hexdigest()


def _code(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.cell_type == "code"]


def _stored(nb: nbformat.NotebookNode) -> list:
    """The outputs of `nb`'s code cells, as the cache keeps them."""
    return [[c.get("execution_count"), c.get("outputs", [])] for c in _code(nb)]


def _with_stored(nb: nbformat.NotebookNode, stored: list) -> nbformat.NotebookNode | None:
    copy = nbformat.from_dict(nb)
    cells = _code(copy)
    if len(stored) != len(cells):
        return None
    for cell, (count, outputs) in zip(cells, stored):
        cell.execution_count = count
        cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return copy


class OtherComments(ValueError):
    """The run is of the same code with other comments, and its outputs show one of them."""


def _output_text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", ""))
        parts += [str(v) for v in out.get("data", {}).values()]
        parts += [out.get("ename", ""), out.get("evalue", ""), *out.get("traceback", [])]
    return "\n".join(parts)


def with_outputs(nb: nbformat.NotebookNode, ran: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of `nb` (the chapter as it is now) with the outputs of `ran`, a run of the same code
    (whose prose may be older: `mkdocs serve` after an edit of the prose only; whose comments
    may be in another language: see `shared_code`)."""
    mine, theirs = [c.source for c in _code(nb)], [c.source for c in _code(ran)]
    if mine != theirs:
        if [shared_code(c) for c in mine] != [shared_code(c) for c in theirs]:
            raise ValueError("the run is of other code")
        own = {c.strip("# \t") for source in mine for c in (comments(source) or ("", []))[1]}
        other = {c.strip("# \t") for source in theirs for c in (comments(source) or ("", []))[1]} - own
        shown = "\n".join(_output_text(c) for c in _code(ran))
        seen = sorted(c for c in other if c and c in shown)
        if seen:
            raise OtherComments(f"the run's outputs show comments of the other notebook: {seen[:3]}")
    return _with_stored(nb, _stored(ran))


def load_cached(nb: nbformat.NotebookNode, key: str) -> nbformat.NotebookNode | None:
    """A copy of `nb` with the outputs stored under `key`, or None."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        stored = json.loads((folder / f"{key}.json").read_text("utf8"))
    except (OSError, ValueError):
        return None
    return _with_stored(nb, stored.get("cells", []))


def store(nb: nbformat.NotebookNode, key: str) -> None:
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        data = json.dumps({"cells": _stored(nb)})
        tmp = folder / f".{key}.{os.getpid()}.tmp"
        tmp.write_text(data, "utf8")
        tmp.replace(folder / f"{key}.json")
        entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for old in entries[:-_CACHE_ENTRIES]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # a cache that cannot be written only costs time


# --- several at once ---------------------------------------------------------------------------


def execute_in_background(
    notebooks: dict[object, nbformat.NotebookNode], root: Path | str, workdir: Path | str,
    *, keys: dict[object, str] | None = None, **options,
) -> dict[object, Future]:
    """Start running the notebooks (several at once, in a thread); a future for each key.

    With `keys` (cache keys per notebook), a cached run is served at once and a new run is stored.
    """
    futures: dict[object, Future] = {key: Future() for key in notebooks}
    keys = keys or {}
    todo = {}
    for name, nb in notebooks.items():
        cached = load_cached(nb, keys[name]) if name in keys else None
        if cached is not None:
            futures[name].set_result(cached)
        else:
            todo[name] = nb

    async def run_all() -> None:
        gate = asyncio.Semaphore(parallelism())

        async def one(name: object, nb: nbformat.NotebookNode) -> None:
            async with gate:
                try:
                    done = await execute_notebook(nb, root, workdir, **options)
                except BaseException as exc:  # handed to whoever waits for this notebook
                    futures[name].set_exception(exc)
                    return
                if name in keys:
                    store(done, keys[name])
                futures[name].set_result(done)

        await asyncio.gather(*(one(name, nb) for name, nb in todo.items()))

    if todo:
        threading.Thread(target=asyncio.run, args=(run_all(),), name="notebooks", daemon=True).start()
    return futures
