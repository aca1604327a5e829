"""The book is built with this repository's `dezero`, whatever other `dezero` is installed.

Listed first among the hooks in mkdocs.yml. The figures and the examples the build runs import
`dezero`; without this hook they would get whichever `dezero` comes first on `sys.path`, which
under the `mkdocs` command (its `sys.path[0]` is the venv's `bin/`, not the repository) is an
installed one, and under `python -m mkdocs -f path/to/mkdocs.yml` from another directory too.

When MkDocs loads this hook, it
- puts a finder first on `sys.meta_path` that resolves `dezero` to the repository's package only
  (MkDocs restores `sys.path` after loading each hook, so a `sys.path` edit alone would not last);
- forgets a `dezero` that was imported from elsewhere before the build started
  (a `sitecustomize`, a `.pth` file, another plugin);
- and, from `on_startup`/`on_config`, puts the repository root first on `sys.path`.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "dezero"


class RepositoryPackageFinder(importlib.abc.MetaPathFinder):
    """Finds `PACKAGE` in `root` and nowhere else (its submodules follow the package's path)."""

    def __init__(self, root: Path, package: str = PACKAGE) -> None:
        self.root = root
        self.package = package

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.package:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, [str(self.root)])
        if spec is None:
            raise ImportError(f"{self.root / self.package} is missing: the book builds with the repository's {self.package}")
        return spec


def _is_ours(module, root: Path) -> bool:
    file = getattr(module, "__file__", None)
    if not file:
        return False
    try:
        Path(file).resolve().relative_to(root)
    except ValueError:
        return False
    return True


def isolate(root: Path = ROOT, package: str = PACKAGE) -> list[str]:
    """Make `import package` resolve to `root`'s; returns the foreign modules that were dropped."""
    if not any(isinstance(f, RepositoryPackageFinder) and f.root == root for f in sys.meta_path):
        sys.meta_path.insert(0, RepositoryPackageFinder(root, package))
    dropped = [
        name for name, module in list(sys.modules.items())
        if (name == package or name.startswith(package + ".")) and not _is_ours(module, root)
    ]
    for name in dropped:
        del sys.modules[name]
    importlib.invalidate_caches()
    return dropped


def _root_first_on_path(root: Path = ROOT) -> None:
    here = str(root)
    sys.path[:] = [here] + [p for p in sys.path if os.path.abspath(p or os.curdir) != here]


isolate()


def on_startup(command, dirty, **kwargs):
    _root_first_on_path()


def on_config(config, **kwargs):
    isolate()
    _root_first_on_path()
    return config
