"""Every hostile file of hostile.py through `bulkquote check --json`, each in a process of its own
capped at 1 GB of address space (RLIMIT_AS) and a timeout: the outcome each must give, and
never a traceback, a native crash or a cap reached.

The files are written once into a tmp dir and checked two at a time (the machine has 2 cores),
each by a child forked from a server that imported the app once (tests/helpers/fork_server.py:
~3 s of interpreter start-up per file saved); each test then asserts one file's result.
"""

from __future__ import annotations

import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import pytest

from tests.corpus.hostile import Case, Read, Refused, build, path_of
from tests.helpers.fork_server import ForkPool

# One worker runs this module whole (.ci/run: --dist loadgroup):
# the corpus is checked once, in its module fixture.
pytestmark = pytest.mark.xdist_group("hostile_corpus")

MEMORY_CAP = 1024 ** 3
TIME_CAP = 20.0  # seconds per file; most take well under one
# What the fork server imports once, before it forks: the command, what it imports lazily, and
# the offline ZIP table (~1 s to build, read-only once built).
CHECK = ["bulkquote_gui.cli", "bulkquote_gui.commands.check", "bulkquote_gui.services.logs",
         "bulkquote_gui.core.intake.importer", "pandas", "zipcodes",
         "bulkquote_gui.core.intake.zip_table:zip_table"]


def _run(servers: ForkPool, env: dict, folder: Path, case: Case) -> dict:
    out = servers.run(["check", path_of(folder, case), *case.args, "--json"], env=env,
                      memory_cap=MEMORY_CAP, time_cap=TIME_CAP)
    return {"timeout": out.timeout, "returncode": out.returncode, "stdout": out.stdout,
            "stderr": out.stderr, "cpu_seconds": out.cpu_seconds}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    cases = build(folder)
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    with closing(ForkPool(CHECK)) as servers, ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = pool.map(lambda c: _run(servers, env, folder, c), cases)
        results = dict(zip((c.name for c in cases), outcomes))
    return {c.name: (c, results[c.name]) for c in cases}


NAMES = [c.name for c in build(None)]  # the cases only; the files are written by `corpus`


def test_the_corpus_covers_every_kind_with_at_least_60_files():
    assert len(NAMES) >= 60
    assert len(set(NAMES)) == len(NAMES)


@pytest.mark.parametrize("name", NAMES, ids=[repr(n) if n else "empty-path" for n in NAMES])
def test_hostile_file(corpus, name):
    case, result = corpus[name]
    assert not result["timeout"], f"{name!r}: over the {TIME_CAP:.0f} s cap"
    stdout = result["stdout"].decode("utf-8")  # strict: --json is valid UTF-8 whatever the name
    stderr = result["stderr"].decode("utf-8", "replace")
    assert result["returncode"] in (0, 2), f"{name!r}: exit {result['returncode']} (native crash " \
        f"or memory cap?)\n{stderr[-2000:]}"
    assert "Traceback" not in stderr and "Traceback" not in stdout, stderr[-3000:]
    summary = json.loads(stdout)
    if isinstance(case.expect, Refused):
        assert result["returncode"] == 2, f"{name!r} was read: {stdout[:500]}"
        message = summary["error"]
        assert stderr.strip() == f"bulkquote check: {message}"
        assert re.search(case.expect.pattern, message), message
        shown = case.shown_name if case.shown_name is not None else Path(name).name
        assert shown in message, f"the message does not name {shown!r}: {message}"
        return
    expect: Read = case.expect
    assert result["returncode"] == 0, f"{name!r}: {stderr}"
    assert summary["rows"] == expect.rows
    for key in ("valid", "repaired", "invalid"):
        if getattr(expect, key) is not None:
            assert summary[key] == getattr(expect, key), (key, summary)
    for field, column in expect.mapping.items():
        assert summary["mapping"].get(field) == column, summary["mapping"]
    for field in expect.unmapped:
        assert field not in summary["mapping"], summary["mapping"]
    messages = " | ".join(p["message"] + " " + p["field"] for p in summary["problems"])
    for text in expect.messages:
        assert text in messages, messages
    if expect.check is not None:
        assert expect.check(summary), summary


def test_the_whole_corpus_stays_well_inside_its_caps(corpus):
    # CPU time, the file's own cost: on a busy machine the wall time is mostly waiting for a core.
    name, slowest = max(((n, r["cpu_seconds"]) for n, (_, r) in corpus.items()), key=lambda x: x[1])
    assert slowest < TIME_CAP / 2, f"{name!r} took {slowest:.1f} s of CPU"
