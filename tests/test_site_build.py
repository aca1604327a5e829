"""`mkdocs build --strict` builds both languages with no warnings.

When it does not, the one failure here names each fault by `file:line` (a bad TeX formula, a
broken link or anchor, a failing figure); the tests that need the site are skipped meanwhile
(see `conftest.py`).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]

_LEVEL = re.compile(r"^(?P<level>ERROR|WARNING)\s+-\s+(?P<msg>.*)$")
_LINK = re.compile(r"^Doc file '(?P<file>[^']+)' contains a link '(?P<link>[^']+)', but (?P<why>.*?)\.?$")
_TEX = re.compile(r"^(?P<file>\S+?): cannot render the formula \$(?P<tex>.*)\$: (?P<why>.*)$", re.S)
_AT_LINE = re.compile(r"^(?P<file>\S+?\.md):(?P<line>\d+): (?P<what>.*)$", re.S)
_NOISE = re.compile(r"^(Error reading page|Error building page|Aborted with)")


def _docs_dir(root: Path) -> Path:
    config = root / "mkdocs.yml"
    m = re.search(r"^docs_dir:\s*(\S+)", config.read_text("utf8"), re.M) if config.exists() else None
    return root / (m.group(1) if m else "docs")


def _source(root: Path, name: str) -> Path | None:
    """The source file a log message names: relative to docs/ (MkDocs) or to the root (hooks)."""
    for candidate in (_docs_dir(root) / name, root / name):
        if candidate.is_file():
            return candidate
    return None


def _line_of(file: Path | None, *needles: str) -> int | None:
    if file is None:
        return None
    lines = file.read_text("utf8").split("\n")
    for needle in needles:
        if not needle:
            continue
        for i, line in enumerate(lines, 1):
            if needle in line:
                return i
    return None


def _where(root: Path, file: Path | None, name: str, line: int | None) -> str:
    shown = file.relative_to(root).as_posix() if file is not None and file.is_relative_to(root) else name
    return f"{shown}:{line}" if line is not None else shown


def build_faults(log: str, root: Path = ROOT) -> list[str]:
    """Each error and warning of a MkDocs log as one line `file:line: fault`, where it can be found.

    Messages may continue on the next lines (a hook's error); tracebacks are reduced to their
    final line.
    """
    messages: list[tuple[str, str]] = []
    lines = log.splitlines()
    continues = False  # the line belongs to the last ERROR/WARNING message
    for i, raw in enumerate(lines):
        m = _LEVEL.match(raw)
        if m:
            messages.append((m.group("level"), m.group("msg").strip()))
            continues = True
        elif raw.startswith("Traceback (most recent call last)"):
            last = next((l for l in lines[i + 1:] if l and not l.startswith(" ")), "")
            messages.append(("ERROR", f"the build crashed: {last}"))
            continues = False
        elif continues and raw.startswith("  ") and raw.strip():
            level, msg = messages[-1]
            messages[-1] = (level, msg + "\n" + raw.strip())
        else:
            continues = False
    faults = []
    for level, msg in messages:
        if _NOISE.match(msg):
            continue
        if m := _LINK.match(msg):
            file = _source(root, m.group("file"))
            link = m.group("link")
            line = _line_of(file, f"]({link})", f"]({link} ", f"]: {link}", f'"{link}"', link)
            faults.append(f"{_where(root, file, m.group('file'), line)}: broken link '{link}': {m.group('why')}")
        elif m := _TEX.match(msg):
            file = _source(root, m.group("file"))
            tex = m.group("tex")
            line = _line_of(file, tex, tex.strip().split("\n")[0], tex.strip()[:20])
            faults.append(f"{_where(root, file, m.group('file'), line)}: bad TeX formula ${tex}$: {m.group('why')}")
        elif m := _AT_LINE.match(msg):
            file = _source(root, m.group("file"))
            faults.append(f"{_where(root, file, m.group('file'), int(m.group('line')))}: {m.group('what')}")
        else:
            faults.append(f"{level.lower()}: {msg}")
    return list(dict.fromkeys(faults))


def test_strict_build_passes_without_warnings(site_build):
    faults = build_faults(site_build.log)
    if site_build.returncode != 0:
        report = "\n".join(faults) or "(no error line found; the end of the log follows)\n" + site_build.log[-3000:]
        pytest.fail(f"the site did not build (mkdocs build --strict):\n{report}", pytrace=False)
    warnings = [line for line in site_build.log.splitlines() if "WARNING" in line]
    if warnings:
        pytest.fail("the build warned:\n" + "\n".join(faults), pytrace=False)


def test_both_languages_are_built_with_the_right_lang(built_site):
    ko = (built_site.path / "index.html").read_text("utf8")
    en = (built_site.path / "en" / "index.html").read_text("utf8")
    assert re.search(r'<html lang="ko"', ko)
    assert re.search(r'<html lang="en"', en)
    assert "DeZero, 한 단계씩" in ko and "DeZero, step by step" in en


PROBE = "http://resolver-probe.example/"
# what the probe's request may show in the log: the request itself, and the resolver's answer to
# the name it is mapped to (~NOTFOUND), given without a lookup; no connection, no lookup job
PROBE_EVENTS = {
    "resolver-probe.example": {"URL_REQUEST_START_JOB", "REQUEST_ALIVE", "CORS_REQUEST",
                               "TRANSPORT_SECURITY_STATE_SHOULD_UPGRADE_TO_SSL", "HTTP_STREAM_JOB_CONTROLLER"},
    "~notfound": {"HOST_RESOLVER_MANAGER_REQUEST"},
}


def _logged_until(log_path: Path, url: str, timeout: float = 10.0):
    """The net log once it shows a request for `url` (Chromium writes it about once a second, in
    the order things happened: what came before that request is in it too); None on timeout."""
    from tests.browser import read_net_log

    deadline = time.monotonic() + timeout
    while True:
        log = read_net_log(log_path)
        if any(log.type_of(e) == "URL_REQUEST_START_JOB" and (e.get("params") or {}).get("url") == url
               for e in log.events):
            return log
        if time.monotonic() > deadline:
            return None
        time.sleep(0.1)


def test_the_browser_attempts_nothing_outside_loopback(site_url, chromium, tabs, chromium_net_log):
    """Chromium's own services and the book's pages reach for no host but 127.0.0.1: no request,
    no name lookup, no connection; and any other name resolves to nothing without a lookup.
    Read from the net logs of the run's browsers (one per pytest-xdist worker): this one's up to
    now, including every page the earlier tests of this process opened, and the others' as far as
    they are written."""
    from tests.browser import net_log_hosts, outside_loopback, read_net_log, seconds_since_launch

    page = tabs[1280]
    for path in ("", "en/"):
        page.goto(site_url + path, wait_until="load")
    # a name that is not loopback resolves to nothing without a lookup (--host-resolver-rules):
    # a page asking for one gets an error, and no resolver job or system lookup runs for it
    failed = page.evaluate(f"fetch('{PROBE}').then(() => 'fetched', e => String(e))")
    # Chromium's background services start within seconds of launch: let the log cover 6 s
    time.sleep(max(0.0, 6.0 - seconds_since_launch(chromium)))
    mark = f"{site_url}?net-log-mark={uuid.uuid4().hex}"  # the last request, awaited in the log
    page.evaluate("url => fetch(url).then(r => r.status)", mark)
    assert failed != "fetched"
    log = _logged_until(chromium_net_log, mark)
    assert log is not None, f"the net log does not show the request for {mark} after 10 s"
    urls = {(e.get("params") or {}).get("url") for e in log.events if log.type_of(e) == "URL_REQUEST_START_JOB"}
    assert site_url + "en/" in urls, f"the net log does not show the visit to {site_url}en/"
    assert PROBE in urls, "the net log does not show the probe request"
    lookups = [log.type_of(e) for e in log.events
               if log.type_of(e) in ("HOST_RESOLVER_MANAGER_JOB", "HOST_RESOLVER_SYSTEM_TASK", "HOST_RESOLVER_DNS_TASK")
               and "resolver-probe" in json.dumps(e.get("params"))]
    assert not lookups, f"resolver-probe.example was looked up: {lookups}"
    # the probe's request is the one host outside loopback a page asked for, and it went nowhere
    hosts = net_log_hosts(log)
    assert urlsplit(PROBE).hostname in hosts
    for host, allowed in PROBE_EVENTS.items():
        if hosts.get(host, set()) <= allowed:
            hosts.pop(host, None)
    others = sorted(chromium_net_log.parent.glob("chromium-net-log-*.json"))
    for other in others:
        if other != chromium_net_log:
            for host, types in net_log_hosts(read_net_log(other)).items():
                hosts.setdefault(host, set()).update(types)
    outside = outside_loopback(hosts)
    assert not outside, "\n".join(f"{host}: {', '.join(sorted(types))}" for host, types in sorted(outside.items()))
