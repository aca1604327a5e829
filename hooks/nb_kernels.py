"""Kernel processes for the chapter notebooks, started from a template (used by nb_execute).

A kernel (`python -m ipykernel_launcher -f <connection file>`) spends about half of its CPU time
importing IPython, ipykernel, ZeroMQ and tornado before it runs a cell; the book runs ten of
them per build on a machine with two cores. So one process per build, the template, imports
them once (and runs nothing else: no kernel, no cell, no thread), and each kernel is a fork of
it that goes on exactly as `python -m ipykernel_launcher ...` would:

- in a session of its own (as jupyter_client starts kernels), in the requested working folder,
  with the requested environment, `sys.argv`, `sys.path[0]` (the working folder, as `-m` puts
  it) and `__main__` (`runpy`, as `-m` does); its random generators reseeded;
- one fresh process per notebook, never reused: nothing a chapter runs reaches another.

The template is started lazily with the first kernel's environment and working folder (the
build's kernels all share them; a kernel asked for with another interpreter, environment
variable that Python reads at start-up, or command is started the ordinary way). Linux only;
`DEZERO_KERNEL_TEMPLATE=off` starts every kernel the ordinary way, to compare.
"""
from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

SETTING = "DEZERO_KERNEL_TEMPLATE"
MODULE = "ipykernel_launcher"
# what a kernel imports before it runs a cell (ipykernel_launcher's imports, and its kernel's:
# shell, streams, comms, the debugger and debugpy); importing them starts no thread
PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.iostream",
           "ipykernel.comm", "ipykernel.heartbeat", "ipykernel.control", "ipykernel.parentpoller",
           "ipykernel.eventloops", "ipykernel.debugger", "IPython", "IPython.core.debugger",
           "IPython.core.completer", "pydoc", "faulthandler", "zmq", "tornado.ioloop", "jupyter_client")
# read by the interpreter at start-up: a kernel that needs other values than the template's
# cannot be a fork of it
_STARTUP_ENV = ("PYTHON", "LD_", "MALLOC", "OPENBLAS", "OMP_", "MKL_", "NPY_")

_lock = threading.Lock()
_templates: dict[tuple, "Template"] = {}


def enabled() -> bool:
    # Linux only: macOS allows fork() but not after some system libraries have started threads
    return (sys.platform.startswith("linux") and hasattr(os, "fork")
            and os.environ.get(SETTING, "").lower() not in ("0", "off", "no", "false"))


def _startup_env(env: dict[str, str]) -> tuple:
    return tuple(sorted((k, v) for k, v in env.items() if k.startswith(_STARTUP_ENV)))


class Forked:
    """The parts of `subprocess.Popen` jupyter_client uses, for a kernel the template forked (the
    template, its parent, reaps it: it is gone once `os.kill(pid, 0)` fails)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0
            except PermissionError:  # pragma: no cover - the pid was taken by someone else's process
                self.returncode = 0
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired([str(self.pid)], timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        import signal

        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        import signal

        self.send_signal(signal.SIGTERM)


class Template:
    """The template process: asked over a pipe for a kernel, it answers with the fork's pid."""

    def __init__(self, env: dict[str, str], cwd: str) -> None:
        # requests on its stdin, answers on a pipe of their own: its stdout and stderr are the
        # build's, as an ordinarily started kernel's are
        read, write = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, __file__, str(write), *PRELOAD], cwd=cwd, env=env,
                stdin=subprocess.PIPE, text=True, bufsize=1, pass_fds=(write,),
            )
        finally:
            os.close(write)
        self.answers = os.fdopen(read, "r")

    def start(self, argv: list[str], env: dict[str, str], cwd: str) -> Forked:
        self.process.stdin.write(json.dumps({"argv": argv, "env": env, "cwd": cwd}) + "\n")
        self.process.stdin.flush()
        answer = self.answers.readline()
        if not answer:
            raise RuntimeError("the kernel template process ended")
        return Forked(int(answer))

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()  # the template ends at the end of its input
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:  # pragma: no cover
                self.process.kill()


def _template(env: dict[str, str], cwd: str) -> tuple[tuple, Template]:
    """The running template for kernels with `env` in `cwd` (started if there is none); with _lock."""
    key = (cwd, _startup_env(env))
    template = _templates.get(key)
    if template is None or template.process.poll() is not None:
        if not _templates:
            atexit.register(close_all)
        template = _templates[key] = Template(env, cwd)
    return key, template


def _kernel_env(env: dict[str, str] | None) -> dict[str, str]:
    env = dict(os.environ if env is None else env)
    env["JPY_PARENT_PID"] = str(os.getpid())  # as jupyter_client's launcher sets it (ipykernel reads it)
    return env


def prepare(env: dict[str, str] | None, cwd: str | os.PathLike) -> None:
    """Start the template for kernels with `env` in `cwd` now (it imports while the caller works)."""
    if enabled():
        with _lock:
            _template(_kernel_env(env), str(cwd))


def start(cmd: list[str], env: dict[str, str] | None, cwd: str | os.PathLike | None) -> Forked | None:
    """Start `cmd` (a kernel: `python -m ipykernel_launcher ...`) as a fork of the template for
    its environment and folder; None if it is not a kernel this can start."""
    if not enabled() or cmd[:3] != [sys.executable, "-m", MODULE]:
        return None
    env, cwd = _kernel_env(env), str(cwd or os.getcwd())
    with _lock:
        key, template = _template(env, cwd)
        try:
            return template.start(cmd[3:], env, cwd)
        except (OSError, RuntimeError, ValueError):
            _templates.pop(key, None)
            return None


def close_all() -> None:
    with _lock:
        for template in _templates.values():
            template.close()
        _templates.clear()


# --- the template process ----------------------------------------------------------------------


def _kernel(request: dict, imported_env: dict[str, str]) -> None:
    """In the fork: become `python -m ipykernel_launcher <args>` and run it; never returns."""
    import random
    import runpy

    code = 1
    try:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ.update(imported_env)
        random.seed()
        sys.path[0] = request["cwd"]
        sys.argv = [MODULE, *request["argv"]]
        sys.orig_argv = [sys.executable, "-m", MODULE, *request["argv"]]
        runpy.run_module(MODULE, run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _serve() -> None:
    import importlib
    import signal

    answer_fd, preload = int(sys.argv[1]), sys.argv[2:]
    sys.path[0] = os.getcwd()  # not this file's folder: the kernel's modules come from where -m finds them
    before = dict(os.environ)
    for name in preload:
        importlib.import_module(name)
    # what importing them put in the environment (ipykernel's debugger sets PYDEVD_USE_FRAME_EVAL):
    # a kernel started the ordinary way has it too
    imported_env = {k: v for k, v in os.environ.items() if before.get(k) != v}
    def reap(signum, frame):  # forks are reaped as they end (and their CPU time counted as ours)
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass

    signal.signal(signal.SIGCHLD, reap)
    answers = os.fdopen(answer_fd, "w")
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            answers.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            _kernel(request, imported_env)
        answers.write(f"{pid}\n")
        answers.flush()


if __name__ == "__main__":
    _serve()
